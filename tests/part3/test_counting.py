"""The form fetches a local page, counts its words and saves one Result."""

import urllib.parse
import urllib.request

import nltk.data
import pytest

import checkpoint
from pages import KNOWN_ALL, KNOWN_NO_STOP_WORDS, KNOWN_TABLE, NESTED_WORDS
from shared.answers import error_messages, word_table
from shared.counting import *  # noqa: F403 - counting work grows linearly with the page


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
    url = page_server.url('/known.html')
    response = client.post('/', data={'url': url})
    assert response.status_code == 200
    assert error_messages(response) == []
    assert word_table(response) == KNOWN_TABLE
    assert rows() == [(url, KNOWN_ALL, KNOWN_NO_STOP_WORDS)]


def test_the_form_keeps_the_url_it_was_given(client, page_server):
    url = page_server.url('/known.html')
    body = client.post('/', data={'url': '  ' + url + ' '}).get_data(as_text=True)
    assert 'value="{}"'.format(url) in body


def test_text_a_reader_does_not_see_is_not_counted(client, rows, page_server):
    # pages.INVISIBLE_PAGE hides words in script, style, noscript, template,
    # JSON-LD and comments.
    response = client.post('/', data={'url': page_server.url('/invisible.html')})
    assert response.status_code == 200
    [(_, result_all, _)] = rows()
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
    response = client.post('/', data={'url': page_server.url(path)})
    assert response.status_code == 200, error_messages(response)
    [(_, result_all, _)] = rows()
    assert result_all == words


@pytest.mark.parametrize('path', ['/chain/3', '/to-known-relative'])
def test_redirects_are_followed_and_the_given_url_is_saved(client, rows, page_server, path):
    url = page_server.url(path)
    response = client.post('/', data={'url': url})
    assert response.status_code == 200
    assert word_table(response) == KNOWN_TABLE
    assert rows() == [(url, KNOWN_ALL, KNOWN_NO_STOP_WORDS)]


def test_each_submission_saves_its_own_row(client, rows, page_server):
    for path in ('/known.html', '/invisible.html', '/known.html'):
        assert client.post('/', data={'url': page_server.url(path)}).status_code == 200
    assert [row[0] for row in rows()] == [
        page_server.url('/known.html'),
        page_server.url('/invisible.html'),
        page_server.url('/known.html'),
    ]


def test_counting_needs_no_nltk_data(client, page_server, monkeypatch):
    # word_tokenize would look for punkt_tab here; the app's tokenizer must not.
    def no_data(*args, **kwargs):
        raise AssertionError('NLTK data was looked up: {}'.format(args))

    monkeypatch.setattr(nltk.data, 'find', no_data)
    monkeypatch.setattr(nltk.data, 'load', no_data)
    response = client.post('/', data={'url': page_server.url('/known.html')})
    assert response.status_code == 200
    assert word_table(response) == KNOWN_TABLE


def test_the_procfile_web_process_counts_a_page(serve_procfile, migrated, page_server, rows):
    proc, base_url = serve_procfile('web', DATABASE_URL=migrated)
    assert checkpoint.wait_for_http(base_url + '/', proc=proc) == 200
    form = urllib.parse.urlencode({'url': page_server.url('/known.html')}).encode()
    with urllib.request.urlopen(base_url + '/', data=form, timeout=30) as response:
        assert response.status == 200
        body = response.read().decode()
    assert '<td>Zürich</td>' in body
    assert rows() == [(page_server.url('/known.html'), KNOWN_ALL, KNOWN_NO_STOP_WORDS)]
