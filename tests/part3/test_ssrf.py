"""Server-side request forgery: ProductionConfig fetches public addresses only.

Development and testing allow loopback, so that local pages can be counted.
No test sends anything off this machine: refused addresses are never
connected to, and names are resolved from /etc/hosts or by a replaced resolver.
"""

import ipaddress
import socket

import pytest

from pages import serve_pages
from shared.answers import error_messages

LOOPBACK = ['127.0.0.0/8', '::1/128']
REFUSED_LOOPBACK = (
    'Refusing to fetch 127.0.0.1: it is at 127.0.0.1, a loopback address. Only public addresses are fetched.'
)


@pytest.fixture
def fetch(load_app):
    """The part's fetch module (imported with the app)."""
    load_app(DATABASE_URL='postgresql://unused.invalid/none')
    import fetch

    return fetch


@pytest.mark.parametrize(
    'address, problem',
    [
        ('127.0.0.1', 'a loopback address'),
        ('127.255.0.9', 'a loopback address'),
        ('::1', 'a loopback address'),
        ('::ffff:127.0.0.1', 'a loopback address'),  # IPv4-mapped IPv6
        ('2002:7f00:1::', 'a loopback address'),  # 6to4 around 127.0.0.1
        ('64:ff9b::7f00:1', 'a loopback address'),  # NAT64 around 127.0.0.1
        ('10.1.2.3', 'a private address'),
        ('172.16.0.1', 'a private address'),
        ('192.168.1.1', 'a private address'),
        ('::ffff:192.168.1.1', 'a private address'),
        ('fc00::1', 'a private address'),
        ('fd12:3456::1', 'a private address'),
        ('169.254.169.254', 'a link-local address'),  # cloud metadata service
        ('fe80::1', 'a link-local address'),
        ('0.0.0.0', 'an unspecified address'),
        ('::', 'an unspecified address'),
        ('224.0.0.1', 'a multicast address'),
        ('ff02::1', 'a multicast address'),
        ('240.0.0.1', 'a reserved address'),
        ('255.255.255.255', 'a reserved address'),
        ('100.64.0.1', 'not a public address'),  # carrier-grade NAT
        ('192.0.2.10', 'a private address'),  # documentation range
        ('2001:db8::1', 'a private address'),
    ],
)
def test_non_public_addresses_are_refused(fetch, address, problem):
    assert fetch.refusal(ipaddress.ip_address(address), []) == problem


@pytest.mark.parametrize('address', ['93.184.215.14', '8.8.8.8', '2606:4700::6810:84e5', '::ffff:8.8.8.8'])
def test_public_addresses_are_allowed(fetch, address):
    assert fetch.refusal(ipaddress.ip_address(address), []) is None


@pytest.mark.parametrize('address', ['127.0.0.1', '::1', '::ffff:127.0.0.1'])
def test_allowed_networks_let_loopback_through(fetch, address):
    assert fetch.refusal(ipaddress.ip_address(address), LOOPBACK) is None


@pytest.mark.parametrize('address', ['10.0.0.1', '169.254.169.254', '::ffff:192.168.0.1', 'fe80::1'])
def test_allowing_loopback_allows_nothing_else(fetch, address):
    assert fetch.refusal(ipaddress.ip_address(address), LOOPBACK) is not None


@pytest.mark.parametrize(
    'settings, networks',
    [
        ('config.ProductionConfig', []),
        ('config.StagingConfig', []),
        ('config.DevelopmentConfig', LOOPBACK),
        ('config.TestingConfig', LOOPBACK),
    ],
)
def test_only_development_and_testing_allow_loopback(load_app, part_env, settings, networks):
    app = load_app(APP_SETTINGS=settings, SECRET_KEY='from-env', **part_env).app
    assert app.config['FETCH_ALLOWED_NETWORKS'] == networks


@pytest.fixture
def production(load_app, migrated):
    """Part 3's app under ProductionConfig, on a migrated database."""
    return load_app(APP_SETTINGS='config.ProductionConfig', SECRET_KEY='from-env', DATABASE_URL=migrated)


@pytest.fixture
def refused(production, rows):
    """refused(url) posts url to the production app and returns its message; checks status and rows."""

    def post(url):
        response = production.app.test_client().post('/', data={'url': url})
        assert response.status_code == 403
        assert rows() == []
        [message] = error_messages(response)
        return message

    return post


def test_production_refuses_a_loopback_page(refused, page_server):
    asked_before = len(page_server.requests)
    message = refused(page_server.url('/known.html'))
    assert message == REFUSED_LOOPBACK
    assert page_server.requests[asked_before:] == []  # refused before connecting


def test_production_refuses_a_name_that_resolves_to_loopback(refused, page_server):
    # "localhost" comes from /etc/hosts: a real lookup, no name server asked.
    url = page_server.url('/known.html').replace('127.0.0.1', 'localhost')
    assert refused(url).startswith('Refusing to fetch localhost: it is at ')


def test_production_refuses_an_ipv6_loopback_url(refused):
    assert 'a loopback address' in refused('http://[::1]:9/')


def test_production_refuses_a_name_with_one_private_address_among_public_ones(refused, monkeypatch):
    # The resolver is replaced for this made-up name: the connection may use
    # any address a name has, so one private address is enough to refuse.
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == 'mixed.example':
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, '', ('93.184.215.14', port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, '', ('10.0.0.7', port)),
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, 'getaddrinfo', resolve)
    message = refused('http://mixed.example/')
    assert message.startswith('Refusing to fetch mixed.example: it is at 10.0.0.7, a private address.')


def test_production_checks_every_redirect_hop(production, rows, page_server):
    # Production config, but this test allows one loopback address, 127.0.0.2,
    # as if it were a public server. Its page redirects to 127.0.0.1, which
    # stays refused: the redirect is checked like the first URL.
    production.app.config['FETCH_ALLOWED_NETWORKS'] = ['127.0.0.2/32']
    target = page_server.url('/known.html')
    with serve_pages('127.0.0.2') as outside:
        client = production.app.test_client()
        allowed = client.post('/', data={'url': outside.url('/known.html')})
        assert allowed.status_code == 200  # the first hop alone is fetched
        asked_before = len(page_server.requests)
        response = client.post('/', data={'url': outside.url('/redirect?to=' + target)})
        assert outside.requests == ['/known.html', '/redirect?to=' + target]
    assert page_server.requests[asked_before:] == []  # the second hop was never asked
    assert response.status_code == 403
    assert error_messages(response) == [REFUSED_LOOPBACK]
    assert [row[0] for row in rows()] == [outside.url('/known.html')]


def test_development_allows_loopback(load_app, migrated, page_server):
    app = load_app(APP_SETTINGS='config.DevelopmentConfig', DATABASE_URL=migrated).app
    response = app.test_client().post('/', data={'url': page_server.url('/known.html')})
    assert response.status_code == 200
