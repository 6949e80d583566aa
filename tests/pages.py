"""A local web server with the pages that the word-counting parts fetch in their tests.

Everything stays on loopback: the tests never reach the internet. The fixtures
``page_server`` and ``full_backlog_url`` in tests/conftest.py start what is here.

Each page is a path: good pages, pages whose text a reader partly does not
see, pages in other encodings, and hostile ones (huge, compressed bombs,
redirect loops, servers that never answer...).
"""

import gzip
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HTML = 'text/html; charset=utf-8'

# The tests count this page by hand: keep the two in step.
KNOWN_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Counting words</title>
</head>
<body>
<h1>Counting words with Flask</h1>
<p>Flask fetches the page. The page has words, and Flask counts the words.</p>
<ul><li>Zürich</li><li>zürich</li><li>naïve</li></ul>
<p>Don\u2019t count 2024, 3.14 or mp3; don't worry.</p>
</body>
</html>
"""

# Every word a reader cannot see starts with "hidden".
INVISIBLE_PAGE = """<html><head><title>Visible</title>
<style>body { color: hiddenstyle }</style>
<script>var hiddenscript = "hiddenscript";</script>
</head><body>
<!-- hiddencomment -->
<noscript><p>hiddennoscript</p></noscript>
<template><p>hiddentemplate</p></template>
<p>visible <b>text</b><!--hiddencomment--> here</p>
<script type="application/ld+json">{"hiddenjson": "hiddenjson"}</script>
</body></html>
"""

# pages.KNOWN_PAGE counted by hand. A word is a run of letters with an
# apostrophe allowed inside; case is kept, as in the article. The title counts
# (a reader sees it in the tab); 2024 and 3.14 are no words, mp3 gives "mp";
# "Don’t" (typographic apostrophe) is "Don't".
KNOWN_ALL = {
    'Counting': 2,  # title, h1
    'words': 4,  # title, h1, twice in the first paragraph
    'with': 1,
    'Flask': 3,  # h1, twice in the first paragraph
    'fetches': 1,
    'the': 2,
    'page': 2,
    'The': 1,
    'has': 1,
    'and': 1,
    'counts': 1,
    'Zürich': 1,
    'zürich': 1,
    'naïve': 1,
    "Don't": 1,
    'count': 1,
    'or': 1,
    'mp': 1,
    "don't": 1,
    'worry': 1,
}
# Without with, the, The, has, and, Don't, or, don't (stop words, in any case).
KNOWN_NO_STOP_WORDS = {
    'Counting': 2,
    'words': 4,
    'Flask': 3,
    'fetches': 1,
    'page': 2,
    'counts': 1,
    'Zürich': 1,
    'zürich': 1,
    'naïve': 1,
    'count': 1,
    'mp': 1,
    'worry': 1,
}
# The ten most frequent; equal counts keep the order in which the words first appear.
KNOWN_TABLE = [
    ('words', 4),
    ('Flask', 3),
    ('Counting', 2),
    ('page', 2),
    ('fetches', 1),
    ('counts', 1),
    ('Zürich', 1),
    ('zürich', 1),
    ('naïve', 1),
    ('count', 1),
]

# Invisible elements nested deep: a reader sees "visible" and "words" only.
# Counting it must take time roughly linear in its size (issue 12, fault 4).
NESTED_DEPTH = 10_000


def nested_invisible_page(depth=NESTED_DEPTH, tag='template'):
    opening, closing = '<{}>hidden'.format(tag), '</{}>'.format(tag)
    return '<p>visible</p>' + opening * depth + closing * depth + '<p>words</p>'


NESTED_WORDS = {'visible': 1, 'words': 1}

STOP_WORDS_ONLY_PAGE = '<html><body><p>The and of it. Is it? It is! I’m We\'re.</p></body></html>'
NO_WORDS_PAGE = (
    '<html><body><p>1 2 3 \u2014 42!</p><script>var hidden = 1</script><!-- hidden --></body></html>'
)

# path: (status, headers, body)
STATIC = {
    '/known.html': (200, {'Content-Type': HTML}, KNOWN_PAGE.encode()),
    '/invisible.html': (200, {'Content-Type': HTML}, INVISIBLE_PAGE.encode()),
    '/stop-words-only.html': (200, {'Content-Type': HTML}, STOP_WORDS_ONLY_PAGE.encode()),
    '/no-words.html': (200, {'Content-Type': HTML}, NO_WORDS_PAGE.encode()),
    '/empty.html': (200, {'Content-Type': HTML}, b''),
    '/nested-templates.html': (200, {'Content-Type': HTML}, nested_invisible_page().encode()),
    '/nested-noscripts.html': (200, {'Content-Type': HTML}, nested_invisible_page(tag='noscript').encode()),
    '/xhtml.xhtml': (
        200,
        {'Content-Type': 'application/xhtml+xml'},
        b'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>strict markup</p></body></html>',
    ),
    # Encodings. Browsers read the label iso-8859-1 as windows-1252, where
    # byte 0x8c is the letter \u0152.
    '/latin1-header.html': (
        200,
        {'Content-Type': 'text/html; charset=iso-8859-1'},
        '<p>caf\xe9 na\xefve \u0152uvre</p>'.encode('cp1252'),
    ),
    '/cp1251-meta.html': (
        200,
        {'Content-Type': 'text/html'},
        '<html><head><meta charset="windows-1251"></head><body><p>Привет, мир</p></body></html>'.encode(
            'cp1251'
        ),
    ),
    '/cp1251-http-equiv.html': (
        200,
        {'Content-Type': 'text/html'},
        (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
            '</head><body><p>Привет, мир</p></body></html>'
        ).encode('cp1251'),
    ),
    '/header-beats-meta.html': (
        200,
        {'Content-Type': 'text/html; charset=koi8-r'},
        '<html><head><meta charset="utf-8"></head><body><p>Привет, мир</p></body></html>'.encode('koi8-r'),
    ),
    '/unknown-charset.html': (
        200,
        {'Content-Type': 'text/html; charset=x-no-such-charset'},
        '<html><head><meta charset="windows-1251"></head><body><p>мир</p></body></html>'.encode('cp1251'),
    ),
    '/no-charset.html': (200, {'Content-Type': 'text/html'}, '<p>Grüße aus Köln</p>'.encode()),
    # Labels no browser knows, though Python has codecs of those names:
    # a browser skips them, here to UTF-8.
    '/idna-meta.html': (
        200,
        {'Content-Type': 'text/html'},
        '<meta charset="idna"><p>Grüße aus Köln</p>'.encode(),
    ),
    '/idna-header.html': (200, {'Content-Type': 'text/html; charset=idna'}, '<p>Grüße aus Köln</p>'.encode()),
    '/utf7-meta.html': (
        200,
        {'Content-Type': 'text/html'},
        '<meta charset="utf-7"><p>Grüße aus Köln</p>'.encode(),
    ),
    '/utf16-bom.html': (200, {'Content-Type': 'text/html'}, '\ufeff<p>sixteen bits</p>'.encode('utf-16-le')),
    '/invalid-utf8.html': (200, {'Content-Type': HTML}, b'<p>good caf\xc3\xa9 bad\xff\xfebytes end\xc3</p>'),
    # Not HTML.
    '/plain.txt': (200, {'Content-Type': 'text/plain'}, b'plain words are not a web page'),
    '/image.png': (200, {'Content-Type': 'image/png'}, b'\x89PNG\r\n\x1a\n' + bytes(64)),
    '/no-type': (200, {}, b'<p>no content type</p>'),
    # Remote errors.
    '/status/404': (404, {'Content-Type': HTML}, b'<p>not found words</p>'),
    '/status/500': (500, {'Content-Type': HTML}, b'<p>server error words</p>'),
    '/status/204': (204, {}, b''),
    '/bad-gzip.html': (200, {'Content-Type': HTML, 'Content-Encoding': 'gzip'}, b'this is not gzip data'),
    '/huge-declared.html': (200, {'Content-Type': HTML, 'Content-Length': str(10**12)}, b'<p>short</p>'),
    '/bad-length.html': (200, {'Content-Type': HTML, 'Content-Length': 'lots'}, b'<p>odd length</p>'),
    # Redirects.
    '/loop-a': (302, {'Location': '/loop-b'}, b''),
    '/loop-b': (301, {'Location': '/loop-a'}, b''),
    '/to-file': (302, {'Location': 'file:///etc/passwd'}, b''),
    '/to-metadata': (302, {'Location': 'http://169.254.169.254/latest/meta-data/'}, b''),
    '/to-private': (307, {'Location': 'http://10.0.0.1/'}, b''),
    '/to-known-relative': (303, {'Location': 'known.html'}, b''),
}

# Inflates to 64 MiB of spaces from about 64 KiB on the wire.
BOMB_SIZE = 64 * 1024 * 1024
_bomb = {}


def gzip_bomb():
    if 'body' not in _bomb:
        _bomb['body'] = gzip.compress(b'<p>' + b' ' * BOMB_SIZE, compresslevel=9)
    return _bomb['body']


class PageHandler(BaseHTTPRequestHandler):
    server_version = 'TestPages/1.0'

    def log_message(self, format, *args):  # keep the test output quiet
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        path = parts.path
        try:
            if path in STATIC:
                self.answer(*STATIC[path])
            elif path.startswith('/chain/'):
                # /chain/3 -> /chain/2 -> /chain/1 -> /chain/0 -> /known.html
                left = int(path.rsplit('/', 1)[1])
                self.answer(302, {'Location': '/chain/{}'.format(left - 1) if left else '/known.html'}, b'')
            elif path == '/redirect':
                self.answer(302, {'Location': query['to'][0]}, b'')
            elif path == '/huge.html':
                self.stream_huge(int(query.get('bytes', ['50000000'])[0]))
            elif path == '/gzip-bomb.html':
                self.answer(200, {'Content-Type': HTML, 'Content-Encoding': 'gzip'}, gzip_bomb())
            elif path == '/delayed.html':
                # The known page, after ?seconds= (as from a slow server).
                self.server.stopping.wait(float(query['seconds'][0]))
                self.answer(*STATIC['/known.html'])
            elif path == '/held.html':
                # The known page, once the test calls release(?name=): a job runs until then.
                if not self.server.hold(query['name'][0]).wait(60):
                    return
                self.answer(*STATIC['/known.html'])
                self.server.served(query['name'][0]).set()
            elif path == '/never-answers':
                self.server.stopping.wait(60)
            elif path == '/slow-body':
                self.send_response(200)
                self.send_header('Content-Type', HTML)
                self.end_headers()
                while not self.server.stopping.wait(0.2):
                    self.wfile.write(b'<p>slow</p>\n')
                    self.wfile.flush()
            else:
                self.answer(404, {'Content-Type': HTML}, b'<p>no such test page</p>')
        except (BrokenPipeError, ConnectionResetError):
            pass  # the app stopped reading, as it should for hostile pages

    def answer(self, status, headers, body):
        self.send_response(status)
        headers = dict(headers)
        headers.setdefault('Content-Length', str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def stream_huge(self, size):
        # No Content-Length: the body only ends when the connection closes,
        # so the app can only notice the size by counting as it reads.
        self.send_response(200)
        self.send_header('Content-Type', HTML)
        self.end_headers()
        chunk = b'<p>' + b'word ' * 13000 + b'</p>\n'
        sent = 0
        while sent < size:
            self.wfile.write(chunk)
            sent += len(chunk)


class PageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host):
        super().__init__((host, 0), PageHandler)
        self.stopping = threading.Event()
        self.requests = []  # paths asked for, in order
        self.events = {}
        self.events_lock = threading.Lock()

    def url(self, path=''):
        host, port = self.server_address[:2]
        return 'http://{}:{}{}'.format(host, port, path)

    def event(self, kind, name):
        with self.events_lock:
            return self.events.setdefault((kind, name), threading.Event())

    def hold(self, name):
        """Set when /held.html?name=<name> may answer."""
        return self.event('release', name)

    def served(self, name):
        """Set once /held.html?name=<name> has sent its page."""
        return self.event('served', name)

    def release(self, name):
        """Let /held.html?name=<name> answer (now, or as soon as it is asked for)."""
        self.hold(name).set()

    def wait_until_served(self, name, timeout=30):
        assert self.served(name).wait(timeout), (
            '/held.html?name={} not sent within {}s; pages asked for: {}'.format(name, timeout, self.requests)
        )


@contextmanager
def serve_pages(host='127.0.0.1'):
    """Serve the pages on a free port of host (a loopback address)."""
    server = PageServer(host)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()


@contextmanager
def full_backlog(host='127.0.0.1'):
    """A port where connecting times out: the server's queue of connections is full.

    The socket listens with a backlog of 0 and never accepts; one connection
    fills the queue, so the kernel ignores the next ones until they time out.
    This tests the connect timeout without sending anything off this machine.
    """
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind((host, 0))
        listener.listen(0)
        filler.settimeout(2)
        filler.connect(listener.getsockname())
        time.sleep(0.05)
        yield 'http://{}:{}/'.format(host, listener.getsockname()[1])
