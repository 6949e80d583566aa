"""Bad URLs and hostile pages: a clear message, the right status, no Result row, never a 500.

4xx: the visitor's URL, or the page it names, cannot be counted.
502: the remote server failed (no such host, refused, an error status, a bad redirect).
504: the remote server was too slow.
"""

import socket

import pytest

from shared.answers import error_messages, word_table


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


@pytest.mark.parametrize(
    'url, status, message',
    [
        ('', 400, 'Please enter the URL of a web page.'),
        ('   ', 400, 'Please enter the URL of a web page.'),
        ('example.com', 400, 'The URL must start with http:// or https://, for example https://example.com/'),
        ('file:///etc/passwd', 400, 'not "file:"'),
        ('FILE:///etc/passwd', 400, 'not "file:"'),
        ('ftp://ftp.example.com/', 400, 'not "ftp:"'),
        ('javascript:alert(1)', 400, 'not "javascript:"'),
        ('data:text/html,<p>words</p>', 400, 'not "data:"'),
        ('localhost:5000', 400, 'must start with http:// or https://'),
        ('http://', 400, 'That is not a valid URL.'),
        ('http:///path', 400, 'That is not a valid URL.'),
        ('http://exa mple.com/', 400, 'That is not a valid URL.'),
        ('http://exa\x00mple.com/', 400, 'That is not a valid URL.'),
        ('http://example.com/\x1b[31m', 400, 'That is not a valid URL.'),
        ('http://[::1/', 400, 'That is not a valid URL.'),
        ('http://127.0.0.1:99999/', 400, 'That is not a valid URL.'),
        ('http://127.0.0.1/' + 'a' * 3000, 400, 'That is not a valid URL.'),
    ],
)
def test_a_bad_url_is_the_visitors_mistake(post, url, status, message):
    got_status, got_message = post(url)
    assert got_status == status
    assert message in got_message


def test_a_missing_url_field_is_like_an_empty_one(client, rows):
    response = client.post('/', data={})
    assert response.status_code == 400
    assert error_messages(response) == ['Please enter the URL of a web page.']
    assert rows() == []


@pytest.mark.parametrize(
    'path, status, message',
    [
        ('/plain.txt', 422, 'That is not an HTML page (its type is text/plain).'),
        ('/image.png', 422, 'That is not an HTML page (its type is image/png).'),
        ('/no-type', 422, 'That is not an HTML page (its type is not given).'),
        ('/status/204', 422, 'That is not an HTML page'),
        ('/no-words.html', 422, 'The page has no words to count.'),
        ('/empty.html', 422, 'The page has no words to count.'),
        ('/huge.html', 422, 'The page is larger than 5,242,880 bytes, the limit.'),
        ('/huge-declared.html', 422, 'The page is larger than 5,242,880 bytes, the limit.'),
        ('/gzip-bomb.html', 422, 'The page is larger than 5,242,880 bytes, the limit.'),
        ('/status/404', 502, 'the server answered 404 Not Found.'),
        ('/status/500', 502, 'the server answered 500 Internal Server Error.'),
        ('/bad-gzip.html', 502, 'The page could not be decompressed'),
        ('/loop-a', 502, 'The page redirects in a loop'),
        ('/chain/9', 502, 'The page redirected more than 5 times.'),
        ('/to-file', 502, 'The page redirected to a "file:" URL'),
        ('/redirect?to=http://%5Boops/', 502, 'The page redirected to an invalid URL.'),
        # Testing allows loopback only: other private addresses stay refused.
        (
            '/to-metadata',
            403,
            'Refusing to fetch 169.254.169.254: it is at 169.254.169.254, a link-local address.',
        ),
        ('/to-private', 403, 'Refusing to fetch 10.0.0.1: it is at 10.0.0.1, a private address.'),
    ],
)
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
        assert client.post('/', data={'url': page_server.url(path)}).status_code in (422, 502)
    assert client.get('/').status_code == 200
    response = client.post('/', data={'url': page_server.url('/known.html')})
    assert response.status_code == 200
    assert len(rows()) == 1


def test_the_url_and_messages_are_escaped_in_the_page(client, page_server):
    url = page_server.url('/redirect?to=') + '"><script>alert(1)</script>'
    response = client.post('/', data={'url': url})
    # A valid URL (requests quotes the markup); the redirect leads to a missing page.
    assert response.status_code == 502
    body = response.get_data(as_text=True)
    assert '<script>alert(1)' not in body
    assert '&lt;script&gt;alert(1)' in body
