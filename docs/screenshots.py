"""Take docs/_static/screenshots/<part>.png: the part running, seen by headless Chromium.

    tox -e screenshot-part1,screenshot-part2,screenshot-part3

Each tox env holds one part's requirements. This script starts that part with the run
command (tools/run.py: an embedded PostgreSQL in a temporary folder, `flask db upgrade`,
the Procfile's processes on a free loopback port), opens one page in headless Chromium
and saves the picture. Chromium must be on PATH (Debian: apt-get install chromium).

A part that counts the words of a page is shown with its table of words: the script
serves SAMPLE_PAGE on loopback (which DevelopmentConfig lets the app fetch) and has
Chromium submit the app's form with that page's URL.
"""

import html
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent / 'tools'))

import checkpoint  # noqa: E402

OUTPUT = DOCS / '_static' / 'screenshots'
BROWSERS = ('chromium', 'chromium-browser', 'google-chrome', 'chrome')
# The page to show for each part and the window size, when not DEFAULT_PAGE. Part 1
# greets a name with HTML in it, to show that the app prints it as text.
DEFAULT_PAGE = ('/', '1024,768')
PAGES = {
    'part1-setup': ('/%3Cb%3EAda', '480,80'),
    'part2-database': ('/', '480,80'),
    'part3-processing': ('/', '720,640'),
}
# Parts whose form is submitted with the URL of SAMPLE_PAGE before the picture is taken.
SUBMIT_SAMPLE = {'part3-processing'}

# The page whose words the screenshot counts. The script's words are never counted:
# a reader does not see them.
SAMPLE_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Counting words with Flask</title>
<script>var hidden = function () { return 'scripts are not counted'; };</script>
</head>
<body>
<h1>Counting words with Flask</h1>
<p>The word counter fetches a page, keeps the text a reader sees and counts its words.
Flask serves the form, requests fetches the page, BeautifulSoup finds the text and NLTK
splits it into words.</p>
<p>Common words such as "the" and "and" are stop words: the counter counts them, but the
table of words leaves them out. The counts of each page go to PostgreSQL.</p>
</body>
</html>
"""

# Submits the app's form as soon as Chromium has loaded it.
SUBMIT_PAGE = """<!DOCTYPE html>
<html><body onload="document.forms[0].submit()">
<form method="POST" action="{action}"><input type="hidden" name="url" value="{url}"></form>
</body></html>
"""


def browser():
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(
        'No Chromium on PATH (looked for {}). On Debian: apt-get install chromium'.format(BROWSERS)
    )


def screenshot(url, window, target, chromium, profile, wait_ms=None):
    # wait_ms gives a page time to navigate (submit a form) before the picture.
    wait = ['--virtual-time-budget={}'.format(wait_ms)] if wait_ms else []
    subprocess.run(
        [
            chromium,
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--no-first-run',
            '--disable-sync',
            '--hide-scrollbars',
            '--user-data-dir={}'.format(profile),
            '--screenshot={}'.format(target),
            '--window-size={}'.format(window),
            *wait,
            url,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


@contextmanager
def sample_server(app_url):
    """Serve SAMPLE_PAGE, and a page that submits the app's form with its URL, on loopback."""
    pages = {'/sample.html': SAMPLE_PAGE}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path)
            if body is None:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header('Content-Type', 'text/html; charset=utf-8')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):
            pass  # keep the script's output to the one line it prints

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    base = 'http://127.0.0.1:{}'.format(server.server_address[1])
    sample_url = base + '/sample.html'
    pages['/submit.html'] = SUBMIT_PAGE.format(action=html.escape(app_url + '/'), url=html.escape(sample_url))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sample_url, base + '/submit.html'
    finally:
        server.shutdown()
        server.server_close()


def check_counts(app_url, sample_url):
    """Submit the form once from here: a picture of an error message would be worse than none."""
    form = urllib.parse.urlencode({'url': sample_url}).encode()
    try:
        with urllib.request.urlopen(app_url + '/', data=form, timeout=30) as response:
            body = response.read().decode()
    except OSError as error:
        raise SystemExit('counting {} failed ({}): no screenshot taken'.format(sample_url, error)) from None
    if '<table>' not in body:
        raise SystemExit('counting {} showed no table of words: no screenshot taken'.format(sample_url))


def take(part_dir, chromium):
    port = checkpoint.free_port()
    with tempfile.TemporaryDirectory(prefix='screenshots-') as tmp:
        env = {k: v for k, v in os.environ.items() if k != 'DATABASE_URL'}
        env['APP_SETTINGS'] = 'config.DevelopmentConfig'
        run = [sys.executable, str(checkpoint.ROOT / 'tools' / 'run.py'), part_dir.name]
        run += ['--port', str(port), '--data-dir', tmp]
        server = checkpoint.start(run, checkpoint.ROOT, env)
        try:
            url = 'http://127.0.0.1:{}'.format(port)
            checkpoint.wait_for_http(url + '/', timeout=120, proc=server)
            path, window = PAGES.get(part_dir.name, DEFAULT_PAGE)
            page = url + path
            # A picture of an error page would be worse than none.
            status = checkpoint.wait_for_http(page, timeout=5)
            if status != 200:
                raise SystemExit('{} answered {}, not 200: no screenshot taken'.format(page, status))
            target = OUTPUT / (part_dir.name + '.png')
            profile = Path(tmp) / 'chromium'
            if part_dir.name in SUBMIT_SAMPLE:
                with sample_server(url) as (sample_url, submit_url):
                    check_counts(url, sample_url)
                    screenshot(submit_url, window, target, chromium, profile, wait_ms=10000)
            else:
                screenshot(page, window, target, chromium, profile)
        finally:
            # Ctrl-C, as a user would: run.py stops the app and the database.
            server.send_signal(signal.SIGINT)
            checkpoint.stop([server], timeout=30)
    print('wrote {} ({} bytes)'.format(target.relative_to(checkpoint.ROOT), target.stat().st_size))


def main(argv):
    if not argv:
        raise SystemExit('usage: python docs/screenshots.py PART... (for example part1, part2-database)')
    chromium = browser()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for name in argv:
        # tox passes its env name, screenshot-partN.
        take(checkpoint.find_part(name.removeprefix('screenshot-')), chromium)


if __name__ == '__main__':
    main(sys.argv[1:])
