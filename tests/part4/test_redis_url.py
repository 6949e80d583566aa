"""Where Redis is: REDIS_URL (or the article's REDISTOGO_URL), checked; rediss:// with a self-signed cert."""

import socket
import ssl
import sys
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
import trustme

EXAMPLE = 'for example: export REDIS_URL="redis://localhost:6379"'


@pytest.fixture
def config(load_app, migrated, redis_url):
    """Part 4's config module, as the app imported it."""
    load_app(DATABASE_URL=migrated, REDIS_URL=redis_url)
    return sys.modules['config']


def test_neither_variable_means_a_redis_on_this_machine(config):
    assert config.redis_url({}) == 'redis://localhost:6379'
    assert config.redis_url({'REDIS_URL': '  '}) == 'redis://localhost:6379'


def test_redis_url_wins_over_the_articles_redistogo_url(config):
    assert config.redis_url({'REDISTOGO_URL': 'redis://old:6379'}) == 'redis://old:6379'
    both = {'REDIS_URL': 'rediss://new:6380/1', 'REDISTOGO_URL': 'redis://old:6379'}
    assert config.redis_url(both) == 'rediss://new:6380/1'


@pytest.mark.parametrize(
    'value, problem',
    [
        ('localhost:6379', 'must be a redis:// or rediss:// URL with a host'),
        ('http://localhost:6379', 'must be a redis:// or rediss:// URL with a host'),
        ('redis://', 'must be a redis:// or rediss:// URL with a host'),
        ('redis:///0', 'must be a redis:// or rediss:// URL with a host'),
        ('redis://localhost:99999', 'is not a valid Redis URL'),
        ('redis://localhost:port', 'is not a valid Redis URL'),
        ('redis://[::1', 'is not a valid Redis URL'),
        ('redis://localhost:6379/zero', 'must end in a database number such as /0'),
    ],
)
def test_a_malformed_url_stops_the_app_with_one_clear_line(load_app, migrated, value, problem):
    with pytest.raises(SystemExit) as stopped:
        load_app(DATABASE_URL=migrated, REDIS_URL=value)
    message = str(stopped.value)
    assert message.startswith('REDIS_URL ')
    assert problem in message
    assert message.endswith(EXAMPLE)
    assert '\n' not in message


def test_a_malformed_redistogo_url_is_named_in_the_message(config):
    with pytest.raises(SystemExit) as stopped:
        config.redis_url({'REDISTOGO_URL': 'redis://localhost:port'})
    assert str(stopped.value) == 'REDISTOGO_URL is not a valid Redis URL, ' + EXAMPLE


def test_the_worker_stops_with_the_same_line(run_in_part, migrated):
    result = run_in_part(
        ['python', 'worker.py'], DATABASE_URL=migrated, REDIS_URL='redis://localhost:port', timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip() == 'REDIS_URL is not a valid Redis URL, ' + EXAMPLE


@contextmanager
def tls_proxy(target_url):
    """A TLS endpoint with a self-signed certificate in front of a plain Redis, as Heroku offers.

    Yields the rediss:// URL of the proxy.
    """
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert('redis.example').configure_cert(context)
    target = urlsplit(target_url)
    listener = socket.create_server(('127.0.0.1', 0))
    stopping = threading.Event()

    def pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve():
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
                secure = context.wrap_socket(client, server_side=True)
            except OSError:
                continue
            upstream = socket.create_connection((target.hostname, target.port))
            threading.Thread(target=pipe, args=(secure, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, secure), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield 'rediss://127.0.0.1:{}{}'.format(listener.getsockname()[1], target.path)
    finally:
        stopping.set()
        listener.close()


def test_rediss_with_a_self_signed_certificate_works(
    load_app, migrated, redis_url, start_worker, wait_for, page_server
):
    with tls_proxy(redis_url) as secure_url:
        client = load_app(DATABASE_URL=migrated, REDIS_URL=secure_url).app.test_client()
        start_worker(REDIS_URL=secure_url)
        job_id = client.post('/start', json={'url': page_server.url('/known.html')}).get_data(as_text=True)
        assert wait_for(job_id, client=client).status_code == 200


def test_rediss_really_is_tls_a_certificate_check_fails_on_request(
    load_app, migrated, redis_url, page_server
):
    # Asking for verification shows the connection goes through TLS: the
    # self-signed certificate is refused, and the app says Redis is unreachable.
    with tls_proxy(redis_url) as secure_url:
        checked = secure_url + '?ssl_cert_reqs=required'
        client = load_app(DATABASE_URL=migrated, REDIS_URL=checked).app.test_client()
        answer = client.post('/start', json={'url': page_server.url('/known.html')})
    assert answer.status_code == 503
