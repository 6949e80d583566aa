"""Failures in words: what is extra, what is missing, what the answer should have been.

The tests of every part build their assertion messages with these, so the
checkpoint's developer and a learner running the self-check read the same
sentence ("counted, but they are stop words: the, with"), not two whole lists
to diff by eye. pytest still shows its own comparison under the message
(tox -e check-partN -- FOLDER --verbose shows it too). The self-check's plugin
(tests/selfcheck_plugin.py) uses differences() for an assert that has no
message of its own.
"""

import html
import re

SHOWN = 8  # items named in one sentence; the rest are counted


def listing(items, shown=SHOWN):
    """'the, with, and' or 'a, b, c, … (4 more)'."""
    items = [item if isinstance(item, str) else repr(item) for item in items]
    more = ', … ({} more)'.format(len(items) - shown) if len(items) > shown else ''
    return ', '.join(items[:shown]) + more


def differences(expected, got, why=(), extra='extra: {}', missing='missing: {}'):
    """One line saying how got differs from expected, or '' when they are equal.

    expected and got are dicts (word -> count) or lists (of (word, count) pairs,
    rows, names ...). why holds (side, test, sentence) triples: an item on that
    side ('extra' or 'missing') for which test(item) is true is named under that
    sentence, the first that fits, instead of under extra or missing.
    """
    if isinstance(expected, dict) and isinstance(got, dict):
        plus = [key for key in got if key not in expected]
        minus = [key for key in expected if key not in got]
        changed = [key for key in expected if key in got and got[key] != expected[key]]
    else:
        expected, got = list(expected), list(got)
        plus = [item for item in got if item not in expected]
        minus = [item for item in expected if item not in got]
        changed = []
    said = []
    for side, found, plain in (('missing', minus, missing), ('extra', plus, extra)):
        groups = {}
        for item in found:
            sentence = next((s for where, test, s in why if where == side and test(item)), plain)
            groups.setdefault(sentence, []).append(item)
        said += [sentence.format(listing(items)) for sentence, items in groups.items()]
    if changed:
        said.append(
            'counted differently: '
            + listing(['{} {} (not {})'.format(key, got[key], expected[key]) for key in changed])
        )
    if not said and expected != got:
        if sorted(map(repr, expected)) == sorted(map(repr, got)):
            said.append('the same items in another order: {}, not {}'.format(listing(got), listing(expected)))
        else:  # the same items, some of them more often
            said.append('expected {}, got {}'.format(listing(expected), listing(got)))
    return '; '.join(said)


# --- HTTP answers ----------------------------------------------------------------------


JOB_ID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
ERROR = re.compile(r'<p class="error"[^>]*>(.*?)</p>', re.S)


def answer_text(response, limit=80):
    """What an answer says, in short: its JSON error, the page's error messages, or its text."""
    text = response.get_data(as_text=True)
    if response.is_json:
        said = response.get_json(silent=True)
        said = said.get('error', said) if isinstance(said, dict) else said
        text = said if isinstance(said, str) else repr(said)
    elif 'html' in (response.mimetype or ''):
        # The word-count page's messages (parts 3 and 4), else the page's text.
        text = ' '.join(ERROR.findall(text)) or re.sub(r'<title>.*?</title>', '', text, flags=re.S)
        text = html.unescape(re.sub(r'<[^>]*>', ' ', text))
    text = ' '.join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + '…'


def status_said(response, expected, needs):
    """'POST /start answered 503 SERVICE UNAVAILABLE, not 200: the page needs 200 to …; it said: …'."""
    request = getattr(response, 'request', None)
    path = JOB_ID.sub('<id>', request.path) if request is not None else ''
    path = path if len(path) <= 40 else path[:39] + '…'
    asked = '{} {}'.format(request.method, path) if request is not None else 'the request'
    said = answer_text(response)
    return '{} answered {}, not {}: {}{}'.format(
        asked, response.status, expected, needs, '; it said: ' + said if said else ''
    )


def assert_status(response, expected, needs):
    """The answer has the status expected; otherwise say what it had, and what needs the status."""
    assert response.status_code == expected, status_said(response, expected, needs)
