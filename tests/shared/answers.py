"""Reading the word-count page the app answers with (parts 3 and 4)."""

from bs4 import BeautifulSoup

from pages import KNOWN_ALL, KNOWN_NO_STOP_WORDS
from shared.differences import differences, listing


def word_table(response):
    """The Word/Count table of the page as [(word, count), ...]."""
    soup = BeautifulSoup(response.get_data(as_text=True), 'html.parser')
    return [(tr('td')[0].get_text(), int(tr('td')[1].get_text())) for tr in soup.select('table tbody tr')]


def error_messages(response):
    soup = BeautifulSoup(response.get_data(as_text=True), 'html.parser')
    return [p.get_text() for p in soup.select('p.error')]


# --- the counts of pages.KNOWN_PAGE, and why a folder's counts differ from them -------------

KNOWN_STOP_WORDS = [word for word in KNOWN_ALL if word not in KNOWN_NO_STOP_WORDS]
_STOPS = {word.lower() for word in KNOWN_STOP_WORDS}
_LOWER = {word.lower() for word in KNOWN_ALL}


def why_counts_differ(got):
    """differences()'s reasons for counts of a page that differ from the counts by hand."""

    def recased(word):  # counted, but not as the page writes it
        return word not in KNOWN_ALL and word.lower() in _LOWER

    def piece(word):  # 'Z' and 'rich' of Zürich, 'Don' and 't' of Don't
        return word not in KNOWN_ALL and any(word in other for other in KNOWN_ALL)

    def cut(word):  # Zürich, when 'Z' and 'rich' were counted instead
        return not word.isascii() and any(piece(other) and other in word for other in got)

    def glued(word, start=0):  # 'Zürichzürich': words of neighbouring elements run together
        if word in KNOWN_ALL:
            return start > 0
        return any(word[:end] in KNOWN_ALL and glued(word[end:], start + end) for end in range(1, len(word)))

    return (
        (
            'missing',
            lambda word: any(recased(other) and other.lower() == word.lower() for other in got),
            'missing: {} — case is kept: "The" and "the" are two words',
        ),
        ('missing', lambda word: "'" in word, "missing: {} — an apostrophe inside a word keeps it one word"),
        ('missing', cut, 'missing: {} — letters outside a–z make words too'),
        ('extra', lambda word: any(c.isdigit() for c in word), 'counted, but digits are no letters: {}'),
        ('extra', piece, 'counted, but they are pieces of words: {}'),
        (
            'extra',
            glued,
            'counted, but they are words run together: {} — the text of neighbouring elements '
            'needs a space between them',
        ),
        ('extra', recased, 'counted in another case: {} — case is kept, as the page has it'),
    )


def counts_differ(expected, got):
    """One line: how the counts got (word -> count) differ from the counts by hand."""
    return differences(expected, got, why_counts_differ(got), extra='counted, but not words of the page: {}')


def stop_words_differ(expected, got):
    """One line: how the counts without stop words got differ from those expected."""
    why = (('extra', lambda word: word.lower() in _STOPS, 'counted, but they are stop words: {}'),)
    return differences(expected, got, why, missing='left out, but they are not stop words: {}')


def without_stop_words(result_all, no_stop_words):
    """The counts without stop words that the folder's own full counts (result_all) call for.

    Judged word by word against the folder's own counts, so that a word counted
    wrongly fails only the check of counting. Words that are not words of the page
    (pieces a tokenizer made) are taken as the folder has them.
    """
    expected = {w: n for w, n in result_all.items() if w in KNOWN_ALL and w.lower() not in _STOPS}
    expected.update({w: n for w, n in no_stop_words.items() if w not in KNOWN_ALL})
    return expected


def ten_most_frequent(counts):
    """The ten most frequent words of counts, ties in the order the words first appear on the page.

    A word that is not one of the page's (a piece a tokenizer made, 'Z' of 'Zürich')
    stands where the first word of the page that holds it stands.
    """
    order = list(KNOWN_ALL)

    def first_seen(word):
        if word in order:
            return order.index(word)
        return min((n for n, other in enumerate(order) if word in other), default=len(order))

    in_page_order = sorted(counts.items(), key=lambda pair: first_seen(pair[0]))
    return sorted(in_page_order, key=lambda pair: -pair[1])[:10]


def table_differs(expected, table, saved):
    """One line: how the page's table differs from the ten most frequent words saved (saved)."""
    if sorted(expected) == sorted(table):
        return (
            'the right words, in another order: most frequent first, and equal counts in the order '
            'the words first appear on the page: {}'.format(listing(word for word, _ in expected))
        )
    why = (
        (
            'extra',
            lambda word: word not in saved,
            'shown, but not among the words saved without stop words: {}',
        ),
    )
    return differences(
        dict(expected),
        dict(table),
        why,
        extra='shown, but not among the ten most frequent: {}',
        missing='not shown, but among the ten most frequent: {}',
    )


def only_row(rows):
    """The one Result row that one counted page saves: (url, result_all, result_no_stop_words)."""
    saved = rows()
    assert len(saved) == 1, 'the app saved {} Result rows for one page, not 1'.format(len(saved))
    return saved[0]
