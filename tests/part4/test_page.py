"""The page at /: a form whose script polls for the words, and which works without JavaScript too.

tests/part4/test_browser.py drives it in a real browser; these tests read the
HTML the server sends.
"""

import re
import time

from pages import KNOWN_TABLE
from shared.answers import error_messages, word_table


def follow(client, location, timeout=30):
    """Load /?job=<id> as a browser without JavaScript would, until the job has an outcome."""
    deadline = time.monotonic() + timeout
    while 'Counting the words' in (page := client.get(location)).get_data(as_text=True):
        # Until the job is done, the page reloads itself when scripts are off.
        assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page.get_data(as_text=True)
        assert time.monotonic() < deadline, 'no outcome after {}s'.format(timeout)
        time.sleep(0.05)
    return page


def test_the_form_loads_its_script_from_the_app_and_nothing_from_elsewhere(client):
    body = client.get('/').get_data(as_text=True)
    assert '<form method="POST" action="/" id="url-form">' in body
    assert '<script src="/static/main.js"></script>' in body
    assert 'http' not in body.replace('https://example.com/', '')
    script = client.get('/static/main.js')
    assert script.status_code == 200
    assert "fetch('/start'" in script.get_data(as_text=True)
    assert 'http' not in script.get_data(as_text=True)


def test_without_javascript_the_form_starts_a_job_and_the_page_shows_its_outcome(
    client, worker, page_server, rows
):
    posted = client.post('/', data={'url': page_server.url('/known.html')})
    assert posted.status_code == 303
    location = posted.headers['Location']
    assert re.fullmatch(r'/\?job=[0-9a-f-]{36}', location)
    page = follow(client, location)
    assert page.status_code == 200
    assert word_table(page) == KNOWN_TABLE
    assert len(rows()) == 1
    # The chart: one bar a row, the longest for the most frequent word.
    widths = re.findall(r'<span style="width: ([\d.]+)%"></span>', page.get_data(as_text=True))
    assert [float(width) for width in widths] == [round(100 * count / 4, 1) for _, count in KNOWN_TABLE]


def test_without_javascript_a_failed_job_shows_its_message(client, worker, page_server):
    location = client.post('/', data={'url': page_server.url('/status/404')}).headers['Location']
    page = follow(client, location)
    assert page.status_code == 502
    assert error_messages(page) == ['The page could not be fetched: the server answered 404 Not Found.']
    assert word_table(page) == []


def test_without_javascript_a_bad_url_is_refused_at_once(client, redis_url):
    page = client.post('/', data={'url': 'ftp://example.com/'})
    assert page.status_code == 400
    assert error_messages(page) == [
        'The URL must start with http:// or https:// (for example https://example.com/), not "ftp:".'
    ]
    assert 'value="ftp://example.com/"' in page.get_data(as_text=True)


def test_an_unknown_job_in_the_address_says_so(client):
    page = client.get('/?job=00000000-0000-4000-8000-000000000000')
    assert page.status_code == 404
    assert error_messages(page) == [
        "There is no job '00000000-0000-4000-8000-000000000000': it never existed or has expired."
    ]


def test_the_url_and_messages_are_escaped_in_the_page(client, redis_url):
    page = client.post('/', data={'url': 'http://exa mple.com/"><script>alert(1)</script>'})
    assert page.status_code == 400
    body = page.get_data(as_text=True)
    assert '<script>alert(1)' not in body
    assert '&lt;script&gt;alert(1)' in body
    job = client.get('/?job=<script>alert(1)</script>').get_data(as_text=True)
    assert '<script>alert(1)' not in job
