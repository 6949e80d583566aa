"""Take docs/_static/screenshots/<part>.png: the part running, seen by headless Chromium.

    tox -e screenshot-part1,screenshot-part2,screenshot-part3,screenshot-part4

Each tox env holds one part's requirements. This script starts that part with the run
command (tools/run.py: an embedded PostgreSQL in a temporary folder, `flask db upgrade`,
the Procfile's processes on a free loopback port), opens one page in headless Chromium
and saves the picture. Chromium must be on PATH (Debian: apt-get install chromium).

A part that counts the words of a page is shown with its table of words: the script
serves SAMPLE_PAGE on loopback (which DevelopmentConfig lets the app fetch) and has
Chromium submit the app's form with that page's URL.

Part 4 counts in a worker process, with a job queue in Redis: the script starts an
embedded Redis in the same temporary folder, and the run command starts the web and
worker processes of the Procfile. Its page shows the table once static/main.js has
polled for it, so Playwright (tests/requirements-browser.txt) drives Chromium there:
it types the sample page's URL into the form, clicks the button and waits for the table.
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
    'part4-queue': ('/', '720,640'),
}
# Parts whose form is submitted with the URL of SAMPLE_PAGE before the picture is taken.
SUBMIT_SAMPLE = {'part3-processing'}
# Parts whose form a visitor fills in and whose script shows the table: Playwright does it.
TYPE_SAMPLE = {'part4-queue'}
# Seconds to wait for the table of words (part 4: the worker fetches and counts the page).
COUNT_TIMEOUT = 60
# Without the networking flags Chromium keeps trying to reach Google's servers.
CHROMIUM_FLAGS = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
    '--hide-scrollbars',
]

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
            *CHROMIUM_FLAGS,
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


def type_and_screenshot(app_url, sample_url, window, target, chromium):
    """Type sample_url into the app's form, submit it and take the picture once the table shows."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit(
            'Playwright is not installed (part 4\'s page needs it): '
            'python -m pip install -r tests/requirements-browser.txt'
        ) from None
    width, height = (int(size) for size in window.split(','))
    with sync_playwright() as playwright:
        # The Chromium on PATH: Playwright never downloads a browser of its own here.
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={'width': width, 'height': height})
            page.goto(app_url + '/')
            page.get_by_label('URL of a web page').fill(sample_url)
            page.get_by_role('button', name='Count the words').click()
            page.locator('#outcome table, #outcome .error').first.wait_for(timeout=COUNT_TIMEOUT * 1000)
            # A picture of an error message would be worse than none.
            error = page.locator('#outcome .error')
            if error.count():
                message = error.first.inner_text()
                raise SystemExit('counting {} failed ({}): no screenshot taken'.format(sample_url, message))
            page.screenshot(path=str(target))
        finally:
            browser.close()


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
        # Services of its own, in the temporary folder: never a database or Redis of yours.
        env = {k: v for k, v in os.environ.items() if k not in ('DATABASE_URL', 'REDIS_URL', 'REDISTOGO_URL')}
        env['APP_SETTINGS'] = 'config.DevelopmentConfig'
        redis = None
        if (part_dir / 'worker.py').is_file():
            # The web process queues the jobs in Redis; the worker process runs them.
            redis = checkpoint.start_embedded_redis(Path(tmp) / 'redis', keep=False)
            env['REDIS_URL'] = redis.url
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
            if part_dir.name in TYPE_SAMPLE:
                with sample_server(url) as (sample_url, _):
                    type_and_screenshot(url, sample_url, window, target, chromium)
            elif part_dir.name in SUBMIT_SAMPLE:
                with sample_server(url) as (sample_url, submit_url):
                    check_counts(url, sample_url)
                    screenshot(submit_url, window, target, chromium, profile, wait_ms=10000)
            else:
                screenshot(page, window, target, chromium, profile)
        finally:
            # Ctrl-C, as a user would: run.py stops the app and the database.
            server.send_signal(signal.SIGINT)
            checkpoint.stop([server], timeout=30)
            if redis is not None:
                redis.cleanup()
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
