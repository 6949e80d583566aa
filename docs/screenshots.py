"""Take docs/_static/screenshots/<part>.png: the part running, seen by headless Chromium.

    tox -e screenshot-part1,screenshot-part2

Each tox env holds one part's requirements. This script starts that part with the run
command (tools/run.py: an embedded PostgreSQL in a temporary folder, `flask db upgrade`,
the Procfile's processes on a free loopback port), opens one page in headless Chromium
and saves the picture. Chromium must be on PATH (Debian: apt-get install chromium).
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
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
}


def browser():
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(
        'No Chromium on PATH (looked for {}). On Debian: apt-get install chromium'.format(BROWSERS)
    )


def screenshot(url, window, target, chromium, profile):
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
            url,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


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
            screenshot(page, window, target, chromium, Path(tmp) / 'chromium')
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
