"""Part 4's page in a real browser: headless Chromium, driven by Playwright.

The app runs as it would on a host: the Procfile's web process (gunicorn) and
its worker process, on one database and one Redis. The browser types the URL
of a local test page into the form, as a visitor would, and waits for the
table of words that static/main.js builds from /start and /results/<id>.

    tox -e part4-browser

Chromium comes from the system's packages (Debian: apt-get install chromium),
never from Playwright's own download. Without it, or without Playwright, the
tests fail and say what to install: a browser test that skips proves nothing.
"""

import re
import time
from urllib.parse import urlsplit

import pytest
import redis

import checkpoint
from browser import headless_chromium
from pages import KNOWN_TABLE

# Milliseconds to wait for a job's outcome to appear on the page.
OUTCOME_TIMEOUT = 30_000
# How often static/main.js asks /results/<id> (its POLL_MS).
POLL_SECONDS = 1
JOB_URL = re.compile(r'/\?job=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')


@pytest.fixture(scope='session')
def browser():
    """Headless Chromium from PATH, for the whole test run."""
    with headless_chromium('part4-browser') as chromium:
        yield chromium


def start_web(serve_procfile, database_url, redis_url):
    """Start the Procfile's web process (gunicorn) on a loopback port; returns (process, base URL)."""
    return serve_procfile('web', DATABASE_URL=database_url, REDIS_URL=redis_url)


def wait_for_web(web, url):
    try:
        checkpoint.wait_for_http(url + '/', timeout=60, proc=web)
    except RuntimeError:
        pytest.fail('The web process exited:\n' + web.stdout.read(), pytrace=False)
    return url


@pytest.fixture
def web_url(serve_procfile, migrated, redis_url):
    """Base URL of part 4's web process, with no worker yet: jobs wait in the queue."""
    return wait_for_web(*start_web(serve_procfile, migrated, redis_url))


@pytest.fixture
def app_url(serve_procfile, start_worker, migrated, redis_url):
    """Base URL of part 4 served by its Procfile: the web process and a worker, on one database and Redis.

    (start_worker runs the Procfile's worker on the same migrated database and
    Redis.) The web process starts first, so that both load the app at once.
    """
    web, url = start_web(serve_procfile, migrated, redis_url)
    start_worker()
    return wait_for_web(web, url)


class Visit:
    """A browser context and its page, with every request and script error it saw."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.requests = []
        self.errors = []
        context.on('request', lambda request: self.requests.append((request.method, request.url)))
        self.page.on('pageerror', lambda error: self.errors.append(str(error)))

    def submit(self, url):
        """Type url into the form and submit it, as a visitor does."""
        self.page.get_by_label('URL of a web page').fill(url)
        self.page.get_by_role('button', name='Count the words').click()

    def count(self, method, url_start):
        """How many requests of this method went to a URL that starts with url_start."""
        return sum(1 for seen in self.requests if seen[0] == method and seen[1].startswith(url_start))

    def table(self):
        """The table of words once it appears: [(word, count)], and each bar's width and its cell's."""
        self.page.locator('#outcome table').wait_for(timeout=OUTCOME_TIMEOUT)
        rows = self.page.locator('#outcome tbody tr').evaluate_all(
            """rows => rows.map(row => {
                const cell = row.cells[2];
                const style = getComputedStyle(cell);
                const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
                const inner = cell.clientWidth - padding;
                const bar = cell.querySelector('span');
                return [row.cells[0].textContent, row.cells[1].textContent,
                        bar ? bar.getBoundingClientRect().width : null, inner];
            })"""
        )
        return [(word, int(count)) for word, count, _, _ in rows], [(bar, inner) for _, _, bar, inner in rows]


@pytest.fixture
def visit(browser):
    """visit(app URL, javascript=True) opens the app's page in a new browser context."""
    contexts = []

    def open_page(url, javascript=True):
        opened = Visit(browser.new_context(java_script_enabled=javascript))
        contexts.append(opened.context)
        response = opened.page.goto(url + '/')
        assert response.status == 200
        return opened

    yield open_page
    for context in contexts:
        context.close()


def assert_bars_proportional(table, bars):
    """Each row has a bar; the first fills its cell, the others are as long as their count allows."""
    (top_word, top_count), (top_bar, cell_width) = table[0], bars[0]
    assert cell_width > 50, 'the chart column is too narrow to show bars'
    assert top_bar == pytest.approx(cell_width, abs=1), '{}: its bar does not fill the cell'.format(top_word)
    for (word, count), (bar, _) in zip(table, bars, strict=True):
        assert bar is not None, '{} has no bar'.format(word)
        assert bar == pytest.approx(top_bar * count / top_count, abs=1), word


def test_the_page_counts_a_page_and_shows_the_table_with_bars(visit, web_url, start_worker, page_server):
    app_url = web_url
    known = page_server.url('/known.html')
    browser_visit = visit(app_url)
    browser_visit.submit(known)
    # No worker yet: the job waits in the queue, and the page says so while it polls.
    page = browser_visit.page
    page.locator('#status', has_text='Counting the words').wait_for(timeout=OUTCOME_TIMEOUT)
    start_worker()
    table, bars = browser_visit.table()
    assert table == KNOWN_TABLE
    assert_bars_proportional(table, bars)
    # main.js did the work: JSON to /start, no form post to /, and it asked for the results until they came.
    assert browser_visit.count('POST', app_url + '/start') == 1
    assert ('POST', app_url + '/') not in browser_visit.requests
    assert browser_visit.count('GET', app_url + '/results/') >= 2
    # The visitor's URL stays in the box, and the address names the job.
    assert page.get_by_label('URL of a web page').input_value() == known
    assert JOB_URL.fullmatch(page.url.removeprefix(app_url))
    assert page.get_by_role('button', name='Count the words').is_enabled()
    assert page.locator('.error').count() == 0
    assert browser_visit.errors == []
    # Reloading that address shows the same table, from the server this time.
    page.reload()
    assert browser_visit.table() == (table, bars)


def test_a_page_that_cannot_be_fetched_shows_the_error_and_no_table(visit, app_url, page_server):
    browser_visit = visit(app_url)
    browser_visit.submit(page_server.url('/status/404'))
    error = browser_visit.page.get_by_role('alert')
    error.wait_for(timeout=OUTCOME_TIMEOUT)
    assert error.inner_text() == 'The page could not be fetched: the server answered 404 Not Found.'
    assert browser_visit.page.locator('table').count() == 0
    assert browser_visit.page.locator('#status').count() == 0
    assert browser_visit.page.get_by_role('button', name='Count the words').is_enabled()
    # The form still works: a URL refused at once (no job) replaces that error with its own.
    browser_visit.submit('example.com')
    refused = 'The URL must start with http:// or https://, for example https://example.com/'
    browser_visit.page.get_by_role('alert').filter(has_text=refused).wait_for(timeout=OUTCOME_TIMEOUT)
    assert error.all_inner_texts() == [refused]
    assert browser_visit.page.locator('table').count() == 0
    assert browser_visit.errors == []


def test_without_javascript_the_form_still_ends_in_the_table(visit, web_url, start_worker, page_server):
    app_url = web_url
    browser_visit = visit(app_url, javascript=False)
    browser_visit.submit(page_server.url('/known.html'))
    # POST / answers 303 to /?job=<id>. No worker yet: the job waits, and the
    # page reloads itself (<noscript><meta refresh>) until it is done.
    status = browser_visit.page.locator('#status')
    status.wait_for(timeout=OUTCOME_TIMEOUT)
    # Said inside <noscript>, which Playwright's has_text= does not look into.
    assert 'This page reloads until they are ready.' in status.inner_text()
    start_worker()
    table, bars = browser_visit.table()
    assert table == KNOWN_TABLE
    assert_bars_proportional(table, bars)
    assert ('POST', app_url + '/') in browser_visit.requests
    assert ('POST', app_url + '/start') not in browser_visit.requests
    assert JOB_URL.fullmatch(browser_visit.page.url.removeprefix(app_url))
    assert browser_visit.count('GET', app_url + '/?job=') >= 2, 'the page never reloaded'


def test_the_page_loads_nothing_from_another_origin(visit, app_url, page_server):
    browser_visit = visit(app_url)
    browser_visit.submit(page_server.url('/known.html'))
    browser_visit.table()
    origin = urlsplit(app_url)
    assert browser_visit.requests, 'no request was recorded'
    elsewhere = [
        (method, url)
        for method, url in browser_visit.requests
        if urlsplit(url)[:2] != origin[:2]  # scheme and host:port
    ]
    assert elsewhere == []
    # The script came from the app itself and ran (it posted to /start).
    assert ('GET', app_url + '/static/main.js') in browser_visit.requests
    assert ('POST', app_url + '/start') in browser_visit.requests


def test_an_older_job_never_replaces_the_outcome_of_a_newer_one(
    visit, web_url, start_worker, redis_url, page_server
):
    app_url = web_url
    browser_visit = visit(app_url)
    page = browser_visit.page
    # Job A waits in the queue (no worker yet). Reloading its address keeps polling it there.
    browser_visit.submit(page_server.url('/known.html'))
    page.wait_for_url(JOB_URL)
    page.reload()
    page.locator('#status').wait_for(timeout=OUTCOME_TIMEOUT)
    older = page.url.removeprefix(app_url + '/?job=')
    # The visitor counts another page: job B.
    browser_visit.submit(page_server.url('/known.html'))
    page.wait_for_url(lambda url: JOB_URL.search(url) and older not in url)
    # Job A ends (here: it expires) while B still waits. The page is about B now.
    with redis.from_url(redis_url) as conn:
        assert conn.delete('rq:job:' + older) == 1
    time.sleep(3 * POLL_SECONDS)
    assert page.locator('.error').count() == 0, page.locator('.error').all_inner_texts()
    start_worker()
    assert browser_visit.table()[0] == KNOWN_TABLE
