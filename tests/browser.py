"""Headless Chromium for the browser tests (tests/part4/test_browser.py, tests/docs/test_docs_browser.py).

Chromium comes from the system's packages (Debian: apt-get install chromium) or another
Chromium on PATH, never from Playwright's own download. Without it, or without
Playwright, the tests fail and say what to install: a browser test that skips proves nothing.
"""

import shutil
from contextlib import contextmanager

import pytest

# Names of a Chromium on PATH: Debian's package, other distributions', Google's.
CHROMIUM_NAMES = ('chromium', 'chromium-browser', 'google-chrome', 'chrome')
# Without the networking flags Chromium keeps trying to reach Google's servers.
CHROMIUM_ARGS = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
]


def find_chromium():
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        'No Chromium on PATH (looked for {}). Install the system package, '
        'on Debian: apt-get install chromium'.format(', '.join(CHROMIUM_NAMES)),
        pytrace=False,
    )


@contextmanager
def headless_chromium(tox_env):
    """A Playwright Browser on the Chromium from PATH; tox_env names the env that installs Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            'Playwright for Python is not installed: run these tests with "tox -e {}", '
            'or pip install -r tests/requirements-browser.txt'.format(tox_env),
            pytrace=False,
        )
    executable = find_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
