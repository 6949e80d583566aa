"""Bad URLs and hostile pages: a clear message, the right status, no Result row, never a 500.

4xx: the visitor's URL, or the page it names, cannot be counted.
502: the remote server failed (no such host, refused, an error status, a bad redirect).
504: the remote server was too slow.
"""

import socket

import pytest

from shared.answers import error_messages, word_table
from shared.differences import assert_status, status_said
from shared.hostile import BAD_URLS, HOSTILE_PAGES
from shared.limits import *  # noqa: F403 - a size limit for request bodies; long URLs not echoed


@pytest.fixture
def post(client, rows):
    """post(url) submits the form; checks what every failure must do, returns (status, message)."""

    def submit(url):
        response = client.post('/', data={'url': url})
        body = response.get_data(as_text=True)
        assert 'Traceback' not in body
        assert word_table(response) == []
        assert rows() == []
        [message] = error_messages(response)
        return response.status_code, message

    return submit


@pytest.mark.parametrize('url, status, message', BAD_URLS)
def test_a_bad_url_is_the_visitors_mistake(post, url, status, message):
    got_status, got_message = post(url)
    assert got_status == status
    assert message in got_message


def test_a_missing_url_field_is_like_an_empty_one(client, rows):
    response = client.post('/', data={})
    assert response.status_code == 400
    assert error_messages(response) == ['Please enter the URL of a web page.']
    assert rows() == []


@pytest.mark.parametrize('path, status, message', HOSTILE_PAGES)
def test_a_hostile_page_gets_a_clear_message(post, page_server, path, status, message):
    got_status, got_message = post(page_server.url(path))
    assert got_status == status
    assert message in got_message


def test_the_size_cap_comes_from_the_config(app_module, post, page_server):
    app_module.app.config['FETCH_MAX_BYTES'] = 100
    assert post(page_server.url('/known.html')) == (422, 'The page is larger than 100 bytes, the limit.')


def test_a_huge_page_is_not_read_to_the_end(app_module, post, page_server):
    # The server would send 200 MB; the app stops reading at the cap.
    app_module.app.config['FETCH_MAX_BYTES'] = 1000
    assert post(page_server.url('/huge.html?bytes=200000000'))[0] == 422


def test_connection_refused(post):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    status, message = post('http://127.0.0.1:{}/'.format(port))
    assert (status, message) == (502, 'Could not connect to 127.0.0.1: the connection was refused or broken.')


def test_a_host_that_does_not_resolve(post, monkeypatch):
    # No name server is asked: the resolver is replaced for names under
    # .invalid (a top-level domain that never exists), so no traffic leaves
    # this machine. What is tested is the app's handling of the failure.
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if str(host).endswith('.invalid'):
            raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, 'getaddrinfo', resolve)
    assert post('http://no-such-host.invalid/') == (
        502,
        'The host name no-such-host.invalid could not be found.',
    )


def test_connect_timeout(app_module, post, full_backlog_url):
    app_module.app.config['FETCH_CONNECT_TIMEOUT'] = 0.3
    status, message = post(full_backlog_url)
    assert (status, message) == (
        504,
        'The server at 127.0.0.1 did not accept a connection within 0.3 seconds.',
    )


def test_read_timeout_when_the_server_never_answers(app_module, post, page_server):
    app_module.app.config['FETCH_READ_TIMEOUT'] = 0.3
    status, message = post(page_server.url('/never-answers'))
    assert (status, message) == (504, 'The server at 127.0.0.1 did not answer within 0.3 seconds.')


def test_total_timeout_when_the_page_trickles_in(app_module, post, page_server):
    # Each piece arrives within the read timeout, but the whole takes too long.
    app_module.app.config.update(FETCH_READ_TIMEOUT=1, FETCH_TOTAL_TIMEOUT=0.8)
    status, message = post(page_server.url('/slow-body'))
    assert (status, message) == (504, 'The page took longer than 0.8 seconds to arrive.')


def test_the_app_keeps_serving_after_failures(client, rows, page_server):
    for path in ('/status/500', '/gzip-bomb.html', '/loop-a', '/plain.txt'):
        response = client.post('/', data={'url': page_server.url(path)})
        assert response.status_code in (422, 502), status_said(
            response, '422 or 502', 'a page that cannot be counted gets a message, not a server error'
        )
    assert_status(client.get('/'), 200, 'the form is still there after pages that failed')
    response = client.post('/', data={'url': page_server.url('/known.html')})
    assert_status(response, 200, 'the app counts the next page after pages that failed')
    saved = len(rows())
    assert saved == 1, '{} rows saved, not 1: a page that fails saves nothing'.format(saved)


def test_the_url_and_messages_are_escaped_in_the_page(client, page_server):
    url = page_server.url('/redirect?to=') + '"><script>alert(1)</script>'
    response = client.post('/', data={'url': url})
    # A valid URL (requests quotes the markup); the redirect leads to a missing page.
    assert response.status_code == 502
    body = response.get_data(as_text=True)
    assert '<script>alert(1)' not in body
    assert '&lt;script&gt;alert(1)' in body
