import re
import time
from collections import Counter

from bs4 import BeautifulSoup, ElementFilter, NavigableString
from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from nltk.tokenize import RegexpTokenizer
from redis.exceptions import RedisError
from rq import Queue, get_current_job
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.timeouts import JobTimeoutException
from sqlalchemy.exc import SQLAlchemyError

from config import configure
from fetch import MAX_URL_LENGTH, FetchError, fetch_page, prepare
from stop_words import stops
from worker import conn

app = Flask(__name__)
# APP_SETTINGS names the config class to load, e.g. "config.DevelopmentConfig".
configure(app)
db = SQLAlchemy(app)
# Registers the "flask db ..." commands (Alembic migrations).
migrate = Migrate(app, db)
# The queue the worker (worker.py) takes its jobs from.
q = Queue(connection=conn)

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


class JobFailed(Exception):
    """Raised by a job to fail it; job.meta holds the message for the visitor."""


def fail(message, status):
    """Fail the running job with a message and the HTTP status /results answers."""
    job = get_current_job()
    job.meta.update(error=message, status=status)
    job.save_meta()
    raise JobFailed(message)


def count_and_save_words(url):
    """The job: fetch the page, count its words, save a Result. Returns its id.

    The worker runs this, outside any request, so it pushes an application
    context itself: Flask-SQLAlchemy needs one for every use of db.session.
    Any failure raises, so that RQ marks the job failed.
    """
    with app.app_context():
        try:
            html = fetch_page(url, app.config)
            raw_word_count, no_stop_words_count = count_words(visible_text(html))
            if not raw_word_count:
                raise FetchError('The page has no words to count.', 422)
        except FetchError as error:
            fail(error.message, error.status)
        except JobTimeoutException:
            fail('Counting took longer than {} seconds.'.format(get_current_job().timeout), 504)
        try:
            result = Result(
                url=url,
                result_all=raw_word_count,
                result_no_stop_words=no_stop_words_count,
            )
            db.session.add(result)
            wait_for_redis(get_current_job())
            db.session.commit()
        except SQLAlchemyError:
            # Undo the half-done transaction: nothing is half-written.
            db.session.rollback()
            app.logger.exception('Saving the result for %s failed', url)
            fail('Unable to add item to database. Please try again later.', 503)
        return result.id


# Beyond the article, explained in the docs: parts/part4-queue.html#part4-redis
def wait_for_redis(job):
    """Return once Redis answers and still counts the job as running.

    RQ records the job's outcome in Redis after the job returns. Were the
    row committed while Redis is down, the job would end "failed" with its
    row saved (and a retry would save it twice). So the job commits only
    once Redis is back; if the job's time runs out first, nothing is saved.
    """
    while True:
        try:
            status = job.get_status()
            break
        except InvalidJobOperation:  # Redis came back without its data
            status = None
            break
        except RedisError:
            time.sleep(1)
    if status != JobStatus.STARTED:
        # Given up for dead (see job_outcome()), or lost, while Redis was down.
        raise JobFailed('The job was given up while Redis was down.')


def start_job(url):
    """Check the form of the URL and queue the job. Returns the job, or raises FetchError."""
    # Only the form: the worker resolves and fetches it. A URL that cannot
    # be fetched at all is refused now, with no job.
    prepare(url)
    return q.enqueue(
        count_and_save_words,
        url,
        job_timeout=app.config['JOB_TIMEOUT'],
        ttl=app.config['JOB_QUEUED_TTL'],
        result_ttl=app.config['JOB_RESULT_TTL'],
        failure_ttl=app.config['JOB_RESULT_TTL'],
    )


# RQ names its jobs with a random UUID.
JOB_ID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
WAITING = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)
UNAVAILABLE = 'The job queue (Redis) cannot be reached. Please try again later.'


# Beyond the article, explained in the docs: differences.html#differences-job-answers
def job_outcome(job_key):
    """(HTTP status, body) for the job: 202 while it waits or runs, 200 with
    the ten most frequent words once it is done, 4xx/5xx with an error."""
    if not JOB_ID.fullmatch(job_key):
        return 404, {'error': 'There is no job {!r}.'.format(job_key)}
    try:
        job = Job.fetch(job_key, connection=conn)
        status = job.get_status()
        if status == JobStatus.STARTED:
            # A worker that was killed leaves its job "started". Once the
            # job's heartbeat has expired, cleanup() marks it failed.
            q.started_job_registry.cleanup()
            status = job.get_status()
        if status in WAITING:
            return 202, {'status': status.value}
        if status != JobStatus.FINISHED:
            job.refresh()
            message = 'The worker stopped before the words were counted. Please try again.'
            return job.meta.get('status', 503), {'error': job.meta.get('error', message)}
        result_id = job.return_value()
    except (NoSuchJobError, InvalidJobOperation):  # or it expired after Job.fetch() found it
        return 404, {'error': 'There is no job {!r}: it never existed or has expired.'.format(job_key)}
    except RedisError:
        app.logger.exception('Reading job %s failed', job_key)
        return 503, {'error': UNAVAILABLE}
    try:
        result = db.session.get(Result, result_id)
    except SQLAlchemyError:
        db.session.rollback()
        app.logger.exception('Reading result %s failed', result_id)
        return 503, {'error': 'Unable to read the result from the database. Please try again later.'}
    if result is None:
        return 404, {'error': 'The result of job {!r} is no longer stored.'.format(job_key)}
    # The JSON column keeps the counts in the order they were saved, so ties
    # come out in the order part 3 shows them.
    return 200, Counter(result.result_no_stop_words).most_common(10)


@app.route('/', methods=['GET', 'POST'])
def index():
    """The form. With JavaScript, static/main.js starts the job and polls for it.

    Without JavaScript the form posts here: the job starts and the browser is
    sent to /?job=<id>, which shows how the job stands (and reloads itself
    until it is done).
    """
    errors = []
    results = []
    url = request.form.get('url', '').strip()
    job_key = request.args.get('job', '')
    status = 200
    pending = False
    if request.method == 'POST':
        try:
            job = start_job(url)
            return redirect(url_for('index', job=job.id), code=303)
        except FetchError as error:
            errors.append(error.message)
            status = error.status
        except RedisError:
            app.logger.exception('Queueing %s failed', url)
            errors.append(UNAVAILABLE)
            status = 503
    elif job_key:
        outcome_status, outcome = job_outcome(job_key)
        if outcome_status == 200:
            results = outcome
        elif outcome_status == 202:
            pending = True
        else:
            errors.append(outcome['error'])
            status = outcome_status
    # A URL longer than any that is fetched is not sent back whole.
    url = url[:MAX_URL_LENGTH]
    return (
        render_template('index.html', errors=errors, results=results, url=url, job=job_key, pending=pending),
        status,
    )


@app.route('/start', methods=['POST'])
def get_counts():
    """Start counting the words of {"url": ...}; answers the job id."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        # Python's JSON parser goes one level deeper in Python's call stack
        # for each [ or {: a body nested thousands deep exhausts the stack.
        data = None
    if not isinstance(data, dict) or not isinstance(data.get('url'), str):
        return jsonify(error='Send a JSON object with the page\'s address: {"url": "https://..."}.'), 400
    try:
        job = start_job(data['url'].strip())
    except FetchError as error:
        return jsonify(error=error.message), error.status
    except RedisError:
        app.logger.exception('Queueing %s failed', data['url'])
        return jsonify(error=UNAVAILABLE), 503
    return Response(job.id, mimetype='text/plain')


@app.route('/results/<job_key>', methods=['GET'])
def get_results(job_key):
    status, body = job_outcome(job_key)
    return jsonify(body), status
