from collections import Counter

from bs4 import BeautifulSoup, ElementFilter, NavigableString
from flask import Flask, render_template, request
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from nltk.tokenize import RegexpTokenizer
from sqlalchemy.exc import SQLAlchemyError

from config import configure
from fetch import MAX_URL_LENGTH, FetchError, fetch_page
from stop_words import stops

app = Flask(__name__)
# APP_SETTINGS names the config class to load, e.g. "config.DevelopmentConfig".
configure(app)
db = SQLAlchemy(app)
# Registers the "flask db ..." commands (Alembic migrations).
migrate = Migrate(app, db)

# Imported last on purpose: models.py imports db from this module.
from models import Result  # noqa: E402, F401

# Beyond the article, explained in the docs: differences.html#differences-visible-text
# Elements whose text a reader never sees on the page.
INVISIBLE_TAGS = ['script', 'style', 'noscript', 'template']

# Beyond the article, explained in the docs: differences.html#differences-nltk-data
# A word is a run of letters (of any alphabet), with an apostrophe allowed
# inside: "Flask", "Zürich", "don't". Digits and other punctuation separate
# words. The tokenizer is a regular expression, so it needs no NLTK data
# (nltk.word_tokenize needs the punkt_tab download).
tokenizer = RegexpTokenizer(r"[^\W\d_]+(?:'[^\W\d_]+)*")


class OnlyWhatCounts(ElementFilter):
    """Tells BeautifulSoup what to build while it parses: only what counting needs.

    Building a Tag object for every element is most of BeautifulSoup's work,
    and counting words needs none of them: the text of the other elements is
    kept as plain strings, one after the other. The invisible elements are
    built so that their text can be left out. Strings of nothing but
    whitespace hold no words, so they are skipped.
    """

    def allow_tag_creation(self, nsprefix, name, attrs):
        return name in INVISIBLE_TAGS

    def allow_string_creation(self, string):
        return not string.isspace()


def visible_text(html):
    """The text of the page as a reader sees it."""
    # lxml is a much faster parser than Python's html.parser.
    soup = BeautifulSoup(html, 'lxml', parse_only=OnlyWhatCounts())
    # Only the invisible elements were built as tags, so the visible text is
    # the strings right under the page; whatever is inside a tag is skipped,
    # in one pass however deeply the tags nest. (Emptying each invisible
    # element instead took time growing with the square of the nesting.)
    # type() leaves out comments, which are strings of their own kind. The
    # space between pieces keeps "<li>one</li><li>two</li>" two words.
    return ' '.join(text for text in soup.contents if type(text) is NavigableString)


def count_words(text):
    """Count every word, then the words that are not stop words."""
    # Typographic apostrophes (don’t) count as plain ones (don't).
    raw_words = tokenizer.tokenize(text.replace('\u2019', "'"))
    raw_word_count = Counter(raw_words)
    no_stop_words_count = Counter(
        {word: count for word, count in raw_word_count.items() if word.lower() not in stops}
    )
    return raw_word_count, no_stop_words_count


@app.route('/', methods=['GET', 'POST'])
def index():
    errors = []
    results = []
    url = ''
    status = 200
    if request.method == 'POST':
        url = request.form.get('url', '').strip()
        try:
            html = fetch_page(url, app.config)
            raw_word_count, no_stop_words_count = count_words(visible_text(html))
            if not raw_word_count:
                raise FetchError('The page has no words to count.', 422)
        except FetchError as error:
            # Nothing to save: tell the visitor what went wrong.
            errors.append(error.message)
            status = error.status
        else:
            try:
                result = Result(
                    url=url,
                    result_all=raw_word_count,
                    result_no_stop_words=no_stop_words_count,
                )
                db.session.add(result)
                db.session.commit()
                results = no_stop_words_count.most_common(10)
            except SQLAlchemyError:
                # Undo the half-done transaction so the next request starts clean.
                db.session.rollback()
                app.logger.exception('Saving the result for %s failed', url)
                errors.append('Unable to add item to database. Please try again later.')
                status = 503
    # A URL longer than any that is fetched is not sent back whole.
    return render_template('index.html', errors=errors, results=results, url=url[:MAX_URL_LENGTH]), status
