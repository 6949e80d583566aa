"""Fetch the page a visitor asks for, without trusting the visitor or the page.

The article calls requests.get(url) and reads r.text. On a server that is open
to anyone, that lets a visitor
- read files or other services through schemes such as file: (requests
  refuses those, but we say so clearly),
- make the server fetch addresses only it can reach: its own machine, the
  private network, a cloud provider's metadata service at 169.254.169.254
  (server-side request forgery, SSRF),
- tie up a worker forever with a server that never answers, or fill its
  memory with a huge page, or with a small compressed page that inflates to
  gigabytes.

fetch_page() below closes these doors. Whatever goes wrong, it raises
FetchError with a message for the visitor and the HTTP status the app answers
with: 4xx when the URL or the page it names cannot be counted, 502 or 504 when
the remote server fails.
"""

import ipaddress
import socket
import time
from email.message import Message
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
import webencodings
from bs4.dammit import EncodingDetector

HTML_TYPES = ('text/html', 'application/xhtml+xml')
MAX_URL_LENGTH = 2048
# IPv6 addresses that reach an IPv4 address through a NAT64 gateway.
NAT64 = ipaddress.ip_network('64:ff9b::/96')
# Kinds of addresses that are not on the public internet, as the ipaddress
# module names them, in the order the refusal message looks for them.
NOT_PUBLIC = [
    ('is_loopback', 'a loopback address'),
    ('is_link_local', 'a link-local address'),
    ('is_unspecified', 'an unspecified address'),
    ('is_multicast', 'a multicast address'),
    ('is_reserved', 'a reserved address'),
    ('is_private', 'a private address'),
]


class FetchError(Exception):
    def __init__(self, message, status):
        super().__init__(message)
        self.message = message
        self.status = status


def fetch_page(url, config):
    """Return the HTML of the page at url as text, or raise FetchError."""
    deadline = time.monotonic() + config['FETCH_TOTAL_TIMEOUT']
    seen = set()
    with requests.Session() as session:
        # Ignore proxy settings from the environment: the address we check
        # must be the address we connect to.
        session.trust_env = False
        # We follow redirects ourselves, so that every hop is checked.
        for hop in range(config['FETCH_MAX_REDIRECTS'] + 1):
            request = prepare(url, redirected=hop > 0)
            if request.url in seen:
                raise FetchError('The page redirects in a loop ({}).'.format(request.url), 502)
            seen.add(request.url)
            check_address(request.url, config['FETCH_ALLOWED_NETWORKS'])
            with send(session, request, config, deadline) as response:
                if not response.is_redirect:
                    return read_html(response, config, deadline)
                url = urljoin(request.url, session.get_redirect_target(response))
    raise FetchError('The page redirected more than {} times.'.format(config['FETCH_MAX_REDIRECTS']), 502)


def prepare(url, redirected=False):
    """Check the form of the URL and let requests build the request."""
    # A bad URL typed by the visitor is their mistake (400); a bad redirect
    # target is the remote server's (502).
    if redirected:
        invalid = FetchError('The page redirected to an invalid URL.', 502)
    else:
        invalid = FetchError('That is not a valid URL.', 400)
    if not url:
        raise FetchError('Please enter the URL of a web page.', 400)
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or not c.isprintable() for c in url):
        raise invalid
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise invalid from None
    scheme = parts.scheme.lower()
    if redirected and scheme not in ('http', 'https'):
        message = 'The page redirected to a "{}:" URL; only http:// and https:// pages are fetched.'
        raise FetchError(message.format(scheme), 502)
    if not scheme:
        raise FetchError('The URL must start with http:// or https://, for example https://example.com/', 400)
    if scheme not in ('http', 'https'):
        message = 'The URL must start with http:// or https:// (for example https://example.com/), not "{}:".'
        raise FetchError(message.format(scheme), 400)
    try:
        return requests.Request('GET', url).prepare()
    except (requests.exceptions.RequestException, ValueError):
        raise invalid from None


# Beyond the article, explained in the docs: differences.html#differences-ssrf
def check_address(url, allowed_networks):
    """Refuse a URL whose host name resolves to a non-public address.

    Every address the name resolves to must be allowed, since the connection
    may use any of them. requests resolves the name again when it connects:
    a name server that answers differently the second time ("DNS rebinding")
    could still lead it elsewhere. A firewall that blocks the server's
    outgoing traffic to private networks closes that gap too.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == 'https' else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise FetchError('The host name {} could not be found.'.format(parts.hostname), 502) from None
    for _family, _type, _proto, _name, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0])
        problem = refusal(address, allowed_networks)
        if problem:
            raise FetchError(
                'Refusing to fetch {}: it is at {}, {}. Only public addresses are fetched.'.format(
                    parts.hostname, address, problem
                ),
                403,
            )


def refusal(address, allowed_networks):
    """Why address may not be fetched (a short phrase), or None if it may."""
    # Some IPv6 addresses carry an IPv4 address and reach it: ::ffff:127.0.0.1
    # (IPv4-mapped), 2002:7f00:1:: (6to4) and 64:ff9b::7f00:1 (NAT64) all
    # lead to 127.0.0.1. Judge those by the IPv4 address inside.
    if address.version == 6:
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        address = inner or address
    if any(address in ipaddress.ip_network(net) for net in allowed_networks):
        return None
    for kind, phrase in NOT_PUBLIC:
        if getattr(address, kind):
            return phrase
    if not address.is_global:  # for example 100.64.0.0/10, shared by internet providers
        return 'not a public address'
    return None


def send(session, request, config, deadline):
    """Send the request; wait for the status line and headers, not the body."""
    host = urlsplit(request.url).hostname
    if time.monotonic() > deadline:
        raise FetchError('Fetching the page took too long.', 504)
    try:
        return session.send(
            request,
            stream=True,  # the body is read in read_html(), piece by piece
            allow_redirects=False,
            timeout=(config['FETCH_CONNECT_TIMEOUT'], config['FETCH_READ_TIMEOUT']),
        )
    except requests.exceptions.ConnectTimeout:
        message = 'The server at {} did not accept a connection within {} seconds.'
        raise FetchError(message.format(host, config['FETCH_CONNECT_TIMEOUT']), 504) from None
    except requests.exceptions.ReadTimeout:
        message = 'The server at {} did not answer within {} seconds.'
        raise FetchError(message.format(host, config['FETCH_READ_TIMEOUT']), 504) from None
    except requests.exceptions.SSLError:
        message = 'A secure connection to {} could not be made (a certificate problem?).'
        raise FetchError(message.format(host), 502) from None
    except requests.exceptions.ConnectionError:
        message = 'Could not connect to {}: the connection was refused or broken.'
        raise FetchError(message.format(host), 502) from None
    except requests.exceptions.RequestException as error:
        message = 'The request to {} failed ({}).'
        raise FetchError(message.format(host, type(error).__name__), 502) from None
    except ValueError:
        # requests reads the Location header of a redirect even when it does
        # not follow it, and fails on one such as http://[broken/
        raise FetchError('The page redirected to an invalid URL.', 502) from None


def read_html(response, config, deadline):
    """Check the answer, read its body up to the size cap and decode it."""
    if not 200 <= response.status_code < 300:
        message = 'The page could not be fetched: the server answered {} {}.'
        raise FetchError(message.format(response.status_code, response.reason), 502)
    content_type = response.headers.get('Content-Type', '')
    if content_type.split(';')[0].strip().lower() not in HTML_TYPES:
        message = 'That is not an HTML page (its type is {}). Only web pages can be counted.'
        raise FetchError(message.format(content_type or 'not given'), 422)
    limit = config['FETCH_MAX_BYTES']
    too_large = FetchError('The page is larger than {:,} bytes, the limit.'.format(limit), 422)
    length = response.headers.get('Content-Length', '')
    if length.isdigit() and int(length) > limit:
        raise too_large
    body = bytearray()
    try:
        # read1() returns what has arrived (at most 64 KiB), so the checks
        # below run even when a server sends a byte now and then. It
        # decompresses gzip and deflate as it goes, so the cap applies to what
        # the page inflates to, not only to what was sent.
        while chunk := response.raw.read1(64 * 1024, decode_content=True):
            body += chunk
            if len(body) > limit:
                raise too_large
            if time.monotonic() > deadline:
                message = 'The page took longer than {} seconds to arrive.'
                raise FetchError(message.format(config['FETCH_TOTAL_TIMEOUT']), 504)
    except urllib3.exceptions.DecodeError:
        raise FetchError('The page could not be decompressed: the server sent broken data.', 502) from None
    except urllib3.exceptions.ReadTimeoutError:
        message = 'The server stopped sending the page for more than {} seconds.'
        raise FetchError(message.format(config['FETCH_READ_TIMEOUT']), 504) from None
    except (urllib3.exceptions.HTTPError, OSError):
        raise FetchError('The connection broke before the page was complete.', 502) from None
    return decode(bytes(body), content_type)


# Beyond the article, explained in the docs: differences.html#differences-decoding
def decode(body, content_type):
    """Turn the bytes into text the way a browser does.

    The encoding comes from a byte order mark, else the charset in the
    Content-Type header, else a <meta charset> near the top of the page, else
    UTF-8. Bytes that are not valid in that encoding become U+FFFD (the
    replacement character), as in a browser: the rest of the page still counts.
    """
    header = Message()
    header['Content-Type'] = content_type
    labels = [header.get_content_charset(), EncodingDetector.find_declared_encoding(body, is_html=True)]
    # Only the labels of the WHATWG Encoding Standard count, as in a browser
    # (webencodings holds its table; it reads latin-1 and ascii as
    # windows-1252, as browsers do). Any other label is skipped, even one
    # that names a Python codec, such as "idna", which is no text encoding.
    encodings = [webencodings.lookup(label) for label in labels if label]
    fallback = next((encoding for encoding in encodings if encoding), 'utf-8')
    # A byte order mark wins over both labels; decode() looks for one first.
    text, _encoding = webencodings.decode(body, fallback, errors='replace')
    return text
