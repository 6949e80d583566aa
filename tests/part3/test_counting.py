"""The form fetches a local page, counts its words and saves one Result."""

import urllib.parse
import urllib.request

import nltk.data
import pytest

import checkpoint
from harness import checking_other_folder
from pages import KNOWN_ALL, KNOWN_NO_STOP_WORDS, KNOWN_TABLE, NESTED_WORDS
from shared.answers import (
    counts_differ,
    error_messages,
    only_row,
    stop_words_differ,
    table_differs,
    ten_most_frequent,
    without_stop_words,
    word_table,
)
from shared.counting import *  # noqa: F403 - counting work grows linearly with the page
from shared.differences import assert_status, differences, listing

COUNTED = 'a page that can be counted is answered with its table of words'


def post_page(client, page_server, path='/known.html'):
    """Submit the form with the address of a local test page; the answer must be 200."""
    response = client.post('/', data={'url': page_server.url(path)})
    assert_status(response, 200, COUNTED)
    return response


def test_get_shows_the_form(client):
    response = client.get('/')
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<form method="POST" action="/">' in body
    assert 'name="url"' in body
    assert '<table>' not in body
    # Works offline: no stylesheet or script from another site.
    assert 'http' not in body.replace('https://example.com/', '')


def test_known_page_is_counted_exactly_and_saved(client, rows, page_server):
    # The checks below take this apart for the self-check, one mistake to a check.
    url = page_server.url('/known.html')
    response = post_page(client, page_server)
    assert error_messages(response) == []
    table = word_table(response)
    assert table == KNOWN_TABLE, table_differs(KNOWN_TABLE, table, KNOWN_NO_STOP_WORDS)
    assert rows() == [(url, KNOWN_ALL, KNOWN_NO_STOP_WORDS)]


def test_a_submitted_page_is_counted_and_saved(client, rows, page_server):
    url = page_server.url('/known.html')
    response = post_page(client, page_server)
    assert error_messages(response) == []
    assert word_table(response), 'the answer shows no table of words (a <tbody> row per word: word, count)'
    saved_url, result_all, no_stop_words = only_row(rows)
    assert saved_url == url, 'the row saved {!r} as its url, not the address posted, {!r}'.format(
        saved_url, url
    )
    for column, value in (('result_all', result_all), ('result_no_stop_words', no_stop_words)):
        assert isinstance(value, dict) and value, (
            '{} should hold the counts, {{word: count, ...}}, not {}'.format(column, repr(value)[:80])
        )


def test_every_word_of_a_page_is_counted(client, rows, page_server):
    post_page(client, page_server)
    _, result_all, _ = only_row(rows)
    assert result_all == KNOWN_ALL, counts_differ(KNOWN_ALL, result_all)


def test_stop_words_are_left_out(client, rows, page_server):
    post_page(client, page_server)
    _, result_all, no_stop_words = only_row(rows)
    assert isinstance(no_stop_words, dict), 'result_no_stop_words should hold counts, not {!r}'.format(
        no_stop_words
    )
    expected = without_stop_words(result_all, no_stop_words)
    assert no_stop_words == expected, stop_words_differ(expected, no_stop_words)


def test_the_table_shows_the_ten_most_frequent_words_saved(client, rows, page_server):
    table = word_table(post_page(client, page_server))
    _, _, no_stop_words = only_row(rows)
    expected = ten_most_frequent(no_stop_words)
    assert table == expected, table_differs(expected, table, no_stop_words)


def test_the_form_keeps_the_url_it_was_given(client, page_server):
    url = page_server.url('/known.html')
    body = client.post('/', data={'url': '  ' + url + ' '}).get_data(as_text=True)
    assert 'value="{}"'.format(url) in body


def test_text_a_reader_does_not_see_is_not_counted(client, rows, page_server):
    # pages.INVISIBLE_PAGE hides words in script, style, noscript, template,
    # JSON-LD and comments; each of them starts with "hidden".
    post_page(client, page_server, '/invisible.html')
    _, result_all, _ = only_row(rows)
    hidden = [word for word in result_all if word.lower().startswith('hidden')]
    assert not hidden, 'counted, but a reader never sees them: {} (script, style, comments …)'.format(
        listing(hidden)
    )
    # Only the words a reader sees; how they are counted is checked with the known page.
    seen = {word.lower() for word in result_all}
    assert seen == {'visible', 'text', 'here'}, differences(['visible', 'text', 'here'], sorted(seen))
    if not checking_other_folder():
        assert result_all == {'Visible': 1, 'visible': 1, 'text': 1, 'here': 1}


@pytest.mark.parametrize('path', ['/nested-templates.html', '/nested-noscripts.html'])
def test_ten_thousand_nested_invisible_elements_are_counted(client, rows, page_server, path):
    response = client.post('/', data={'url': page_server.url(path)})
    assert response.status_code == 200, error_messages(response)
    [(_, result_all, _)] = rows()
    assert result_all == NESTED_WORDS


def test_a_page_of_stop_words_is_saved_with_an_empty_table(client, rows, page_server):
    response = client.post('/', data={'url': page_server.url('/stop-words-only.html')})
    assert response.status_code == 200
    assert word_table(response) == []
    assert 'Every word on that page is a stop word.' in response.get_data(as_text=True)
    [(_, result_all, no_stop_words)] = rows()
    # I’m and We're: NLTK's list has had the pronouns' contractions since 2025.
    expected = {'The': 1, 'and': 1, 'of': 1, 'it': 2, 'Is': 1, 'It': 1, 'is': 1, "I'm": 1, "We're": 1}
    assert result_all == expected
    assert no_stop_words == {}


@pytest.mark.parametrize(
    'path, words',
    [
        # The header says iso-8859-1; browsers read that as windows-1252, where 0x8c is Œ.
        ('/latin1-header.html', {'café': 1, 'naïve': 1, 'Œuvre': 1}),
        ('/cp1251-meta.html', {'Привет': 1, 'мир': 1}),
        ('/cp1251-http-equiv.html', {'Привет': 1, 'мир': 1}),
        # The HTTP header wins over a <meta> that says otherwise.
        ('/header-beats-meta.html', {'Привет': 1, 'мир': 1}),
        # A charset Python does not know is skipped; the <meta> one is used.
        ('/unknown-charset.html', {'мир': 1}),
        # Nothing declared: UTF-8.
        ('/no-charset.html', {'Grüße': 1, 'aus': 1, 'Köln': 1}),
        # Nothing a browser knows declared: UTF-8 too.
        ('/idna-meta.html', {'Grüße': 1, 'aus': 1, 'Köln': 1}),
        ('/idna-header.html', {'Grüße': 1, 'aus': 1, 'Köln': 1}),
        ('/utf7-meta.html', {'Grüße': 1, 'aus': 1, 'Köln': 1}),
        ('/utf16-bom.html', {'sixteen': 1, 'bits': 1}),
        # Invalid bytes become U+FFFD, which separates words; the rest counts.
        ('/invalid-utf8.html', {'good': 1, 'café': 1, 'bad': 1, 'bytes': 1, 'end': 1}),
        ('/xhtml.xhtml', {'strict': 1, 'markup': 1}),
        # A Content-Length that is not a number is ignored; the body still counts.
        ('/bad-length.html', {'odd': 1, 'length': 1}),
    ],
)
def test_pages_are_decoded_as_declared_and_counted(client, rows, page_server, path, words):
    post_page(client, page_server, path)
    _, result_all, _ = only_row(rows)
    assert result_all == words, differences(
        words,
        result_all,
        extra='counted, but not words of the page as a browser decodes it: {}',
        missing='missing: {} — decode the page as its HTTP header or <meta> says',
    )


@pytest.mark.parametrize('path', ['/chain/3', '/to-known-relative'])
def test_redirects_are_followed_and_the_given_url_is_saved(client, rows, page_server, path):
    # The page redirected to is counted as it is when asked for directly.
    post_page(client, page_server, '/known.html')
    url = page_server.url(path)
    response = client.post('/', data={'url': url})
    assert_status(response, 200, 'a page that redirects to another is counted as that page')
    (_, direct, _), (saved_url, result_all, _) = rows()
    assert saved_url == url, 'the row saved {!r} as its url, not the address posted, {!r}'.format(
        saved_url, url
    )
    assert result_all == direct, counts_differ(direct, result_all)
    if not checking_other_folder():
        assert word_table(response) == KNOWN_TABLE


def test_each_submission_saves_its_own_row(client, rows, page_server):
    paths = ('/known.html', '/invisible.html', '/known.html')
    for path in paths:
        post_page(client, page_server, path)
    saved = [row[0] for row in rows()]
    expected = [page_server.url(path) for path in paths]
    assert saved == expected, 'rows saved for {}, one after the other: {}'.format(
        listing(paths), listing(saved) or 'none'
    )


def test_counting_needs_no_nltk_data(client, page_server, monkeypatch):
    # word_tokenize would look for punkt_tab here; the app's tokenizer must not.
    def no_data(*args, **kwargs):
        raise AssertionError('NLTK data was looked up: {}'.format(args))

    monkeypatch.setattr(nltk.data, 'find', no_data)
    monkeypatch.setattr(nltk.data, 'load', no_data)
    assert word_table(post_page(client, page_server)), 'the answer shows no table of words'


def test_the_procfile_web_process_counts_a_page(serve_procfile, migrated, page_server, rows):
    proc, base_url = serve_procfile('web', DATABASE_URL=migrated)
    assert checkpoint.wait_for_http(base_url + '/', proc=proc) == 200
    form = urllib.parse.urlencode({'url': page_server.url('/known.html')}).encode()
    with urllib.request.urlopen(base_url + '/', data=form, timeout=30) as response:
        assert response.status == 200
        body = response.read().decode()
    assert '<td>' in body, 'the answer of the web process shows no table of words'
    saved_url, _, _ = only_row(rows)
    assert saved_url == page_server.url('/known.html')
    if not checking_other_folder():
        assert rows() == [(page_server.url('/known.html'), KNOWN_ALL, KNOWN_NO_STOP_WORDS)]
