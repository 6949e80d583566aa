"""The HTTP contract of the article's later front-end steps, case by case, with a real worker.

POST /start {"url": ...} -> 200, the job id as the body.
GET /results/<id> -> 202 while queued or running; 200 with the ten most frequent
non-stop words as [word, count] pairs once done; 4xx/5xx with {"error": ...}
when the job failed; 404 for an unknown or malformed id.
"""

import re
import time

import psycopg2
import pytest
import redis
from rq.job import Job

from harness import checking_other_folder
from pages import KNOWN_ALL, KNOWN_NO_STOP_WORDS, KNOWN_TABLE, NESTED_WORDS
from shared.answers import table_differs
from shared.counting import *  # noqa: F403 - counting work grows linearly with the page
from shared.differences import assert_status
from shared.hostile import BAD_URLS, HOSTILE_PAGES
from shared.limits import *  # noqa: F403 - a size limit for request bodies; long URLs not echoed

UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')


def test_start_answers_the_job_id_and_results_the_ten_most_frequent_words(
    client, worker, wait_for, rows, page_server
):
    url = page_server.url('/known.html')
    started = client.post('/start', json={'url': url})
    assert_status(started, 200, 'the page needs the job id in a 200 answer to ask for the words')
    job_id = started.get_data(as_text=True)
    assert UUID.fullmatch(job_id), 'POST /start answered {!r}, not a job id (job.id)'.format(job_id[:80])
    done = wait_for(job_id)
    assert_status(done, 200, 'the page shows the words when the job is done')
    assert done.is_json, 'GET /results/<id> should answer JSON (jsonify), not {}'.format(done.mimetype)
    # Most frequent first; JSON has no tuples, so the pairs are lists.
    expected = [list(pair) for pair in KNOWN_TABLE]
    got = done.get_json()
    assert got == expected, table_differs(KNOWN_TABLE, [tuple(pair) for pair in got], KNOWN_NO_STOP_WORDS)
    saved = rows()
    assert len(saved) == 1, 'the job saved {} Result rows, not 1'.format(len(saved))
    assert saved == [(url, KNOWN_ALL, KNOWN_NO_STOP_WORDS)]
    # Asking again gives the same answer.
    assert client.get('/results/' + job_id).get_json() == done.get_json()


def test_results_answers_202_while_the_job_is_queued_then_its_outcome(
    client, start_worker, wait_for, page_server
):
    # No worker yet: the job waits in the queue.
    started = client.post('/start', json={'url': page_server.url('/known.html')})
    assert_status(started, 200, 'the page needs the job id in a 200 answer to ask for the words')
    job_id = started.get_data(as_text=True)
    waiting = client.get('/results/' + job_id)
    assert_status(waiting, 202, 'the page keeps asking while it gets 202')
    assert waiting.get_json() == {'status': 'queued'}
    start_worker()
    # Whether the job counts the page is checked above; here: a worker ends the waiting.
    outcome = wait_for(job_id)
    if not checking_other_folder():
        assert outcome.status_code == 200


def test_results_answers_202_while_the_job_runs(client, worker, wait_until_started, wait_for, page_server):
    # The page arrives only once the test releases it: the job runs until then.
    held = page_server.url('/held.html?name=202')
    job_id = client.post('/start', json={'url': held}).get_data(as_text=True)
    wait_until_started(job_id)
    running = client.get('/results/' + job_id)
    assert (running.status_code, running.get_json()) == (202, {'status': 'started'})
    page_server.release('202')
    done = wait_for(job_id)
    assert (done.status_code, done.get_json()) == (200, [list(pair) for pair in KNOWN_TABLE])


def test_ties_keep_the_order_in_which_the_words_first_appear(client, worker, count, page_server):
    _, done = count(page_server.url('/known.html'))
    pairs = done.get_json()
    assert [count for _, count in pairs] == sorted((count for _, count in pairs), reverse=True)
    assert pairs[4:6] == [['fetches', 1], ['counts', 1]]


def test_ten_thousand_nested_templates_are_counted(worker, count, rows, page_server):
    _, done = count(page_server.url('/nested-templates.html'))
    assert (done.status_code, done.get_json()) == (200, [[word, n] for word, n in NESTED_WORDS.items()])
    [(_, result_all, _)] = rows()
    assert result_all == NESTED_WORDS


@pytest.mark.parametrize('path', ['/idna-meta.html', '/idna-header.html'])
def test_a_charset_no_browser_knows_is_read_as_utf8(worker, count, rows, page_server, path):
    _, done = count(page_server.url(path))
    assert (done.status_code, done.get_json()) == (200, [['Grüße', 1], ['aus', 1], ['Köln', 1]])
    [(_, result_all, _)] = rows()
    assert result_all == {'Grüße': 1, 'aus': 1, 'Köln': 1}


def test_a_page_of_stop_words_gives_an_empty_list(client, worker, count, rows, page_server):
    _, done = count(page_server.url('/stop-words-only.html'))
    assert (done.status_code, done.get_json()) == (200, [])
    assert len(rows()) == 1


@pytest.mark.parametrize('path, status, message', HOSTILE_PAGES)
def test_a_failed_job_answers_the_part_3_message_and_writes_no_row(
    worker, count, rows, page_server, path, status, message
):
    _, failed = count(page_server.url(path))
    assert failed.status_code == status
    assert failed.is_json
    assert message in failed.get_json()['error']
    assert rows() == []


@pytest.mark.parametrize('url, status, message', BAD_URLS)
def test_start_refuses_a_bad_url_before_queueing_it(client, redis_url, url, status, message):
    answer = client.post('/start', json={'url': url})
    assert answer.status_code == status
    assert message in answer.get_json()['error']
    with redis.from_url(redis_url) as conn:
        assert not conn.keys('rq:job:*'), 'a job was queued'


@pytest.mark.parametrize(
    'body, content_type',
    [
        ('not json', 'application/json'),
        ('{"url": "http://example.com/"', 'application/json'),
        ('', 'application/json'),
        ('["http://example.com/"]', 'application/json'),
        ('"http://example.com/"', 'application/json'),
        ('null', 'application/json'),
        ('{}', 'application/json'),
        ('{"URL": "http://example.com/"}', 'application/json'),
        ('{"url": null}', 'application/json'),
        ('{"url": 42}', 'application/json'),
        ('{"url": ["http://example.com/"]}', 'application/json'),
        # JSON, but not sent as JSON: the article's front end sends application/json.
        ('{"url": "http://example.com/"}', 'text/plain'),
        ('url=http://example.com/', 'application/x-www-form-urlencoded'),
        (b'\xff\xfe{"url"', 'application/json'),
    ],
)
def test_start_answers_400_to_a_body_that_is_not_json_with_a_url(client, body, content_type):
    answer = client.post('/start', data=body, content_type=content_type)
    assert answer.status_code == 400
    assert answer.get_json() == {
        'error': 'Send a JSON object with the page\'s address: {"url": "https://..."}.'
    }


@pytest.mark.parametrize('opening, closing', [('[', ']'), ('{"url":', '}')])
def test_start_answers_400_to_json_nested_too_deep(client, opening, closing):
    # Python's JSON parser would exhaust the call stack (RecursionError, 500).
    body = opening * 2000 + '1' + closing * 2000
    answer = client.post('/start', data=body, content_type='application/json')
    assert answer.status_code == 400
    assert 'Send a JSON object' in answer.get_json()['error']


def test_start_answers_a_short_413_to_a_huge_body_and_queues_nothing(client, redis_url):
    # The app refuses it (MAX_CONTENT_LENGTH); that gunicorn sends such a 413
    # whole and keeps serving is checked with POST / (shared/limits.py).
    body = b'{"url": "http://example.com/' + b'a' * 1_000_000 + b'"}'
    answer = client.post('/start', data=body, content_type='application/json')
    assert answer.status_code == 413
    assert len(answer.get_data()) < 1000
    with redis.from_url(redis_url) as conn:
        assert not conn.keys('rq:job:*'), 'a job was queued'


def test_start_takes_only_post(client):
    assert client.get('/start').status_code == 405


@pytest.mark.parametrize(
    'job_id',
    [
        '00000000-0000-4000-8000-000000000000',  # well formed, never existed
        'nope',
        'NOPE-0000',
        'rq:job:x',
        '*',
        '00000000-0000-4000-8000-00000000000',  # one digit short
        '00000000-0000-4000-8000-0000000000000',
        '00000000-0000-4000-8000-00000000000G',
        'a' * 5000,
    ],
)
def test_an_unknown_or_malformed_job_id_answers_404(client, job_id):
    answer = client.get('/results/' + job_id)
    assert answer.status_code == 404
    assert answer.is_json
    assert 'There is no job' in answer.get_json()['error']


def test_a_job_whose_result_row_is_gone_answers_404(client, worker, count, migrated, page_server):
    job_id, done = count(page_server.url('/known.html'))
    assert done.status_code == 200
    with psycopg2.connect(migrated) as conn, conn.cursor() as cur:
        cur.execute('DELETE FROM results')
    gone = client.get('/results/' + job_id)
    assert gone.status_code == 404
    assert gone.get_json() == {'error': 'The result of job {!r} is no longer stored.'.format(job_id)}


def test_jobs_have_a_timeout_and_keep_their_outcome_for_a_while(app_module, client, redis_url, page_server):
    job_id = client.post('/start', json={'url': page_server.url('/known.html')}).get_data(as_text=True)
    with redis.from_url(redis_url) as conn:
        job = Job.fetch(job_id, connection=conn)
        assert job.timeout == app_module.app.config['JOB_TIMEOUT'] == 60
        assert job.result_ttl == job.failure_ttl == app_module.app.config['JOB_RESULT_TTL'] == 5000
        assert job.ttl == app_module.app.config['JOB_QUEUED_TTL'] == 600
        assert job.func_name == 'app.count_and_save_words'
        assert job.args == (page_server.url('/known.html'),)


def test_a_job_no_worker_takes_is_dropped_and_polling_ends(app_module, client, redis_url):
    app_module.app.config['JOB_QUEUED_TTL'] = 1
    job_id = client.post('/start', json={'url': 'http://127.0.0.1:9/'}).get_data(as_text=True)
    with redis.from_url(redis_url) as conn:
        # Kept for at most a second (-2: already gone; -1 would be forever).
        assert conn.pttl(Job.key_for(job_id)) in range(-2, 1001), 'no time to live'
    # Polling answers 202 while the job waits, then 404 once it has expired.
    deadline = time.monotonic() + 30
    while (gone := client.get('/results/' + job_id)).status_code == 202:
        assert time.monotonic() < deadline, 'still 202 after 30 s (1 s to live): {}'.format(gone.get_json())
        time.sleep(0.05)
    assert gone.status_code == 404
    assert 'it never existed or has expired' in gone.get_json()['error']


def test_a_job_that_expires_while_it_is_read_is_404_not_500(app_module, client, monkeypatch):
    """The race the test above can meet: Job.fetch() finds the job, then its time to live runs out."""
    job_id = client.post('/start', json={'url': 'http://127.0.0.1:9/'}).get_data(as_text=True)
    fetch = Job.fetch

    def fetch_then_expire(cls, id, connection=None, **kwargs):
        job = fetch(id, connection=connection, **kwargs)
        connection.delete(job.key)  # what Redis does when the job's time to live runs out
        return job

    monkeypatch.setattr(Job, 'fetch', classmethod(fetch_then_expire))
    gone = client.get('/results/' + job_id)
    assert gone.status_code == 404, gone.get_data(as_text=True)
    assert 'it never existed or has expired' in gone.get_json()['error']


def test_a_job_that_runs_too_long_is_stopped_with_a_clear_message(
    app_module, client, worker, wait_for, page_server
):
    # The page would keep the job busy for the fetch's 7 second read timeout.
    app_module.app.config['JOB_TIMEOUT'] = 1
    job_id = client.post('/start', json={'url': page_server.url('/never-answers')}).get_data(as_text=True)
    failed = wait_for(job_id)
    assert (failed.status_code, failed.get_json()) == (504, {'error': 'Counting took longer than 1 seconds.'})


def test_the_worker_keeps_working_after_failures(client, worker, count, rows, page_server):
    for path in ('/status/500', '/gzip-bomb.html', '/loop-a', '/plain.txt'):
        assert count(page_server.url(path))[1].status_code in (422, 502)
    assert count(page_server.url('/known.html'))[1].status_code == 200
    assert len(rows()) == 1


def test_the_production_config_refuses_loopback_in_the_worker(start_worker, count, rows, page_server):
    # The worker, not the web process (the test's, in testing config), fetches: its config decides.
    start_worker(APP_SETTINGS='config.ProductionConfig', SECRET_KEY='a-real-secret')
    _, refused = count(page_server.url('/known.html'))
    assert refused.status_code == 403
    assert refused.get_json()['error'].startswith(
        'Refusing to fetch 127.0.0.1: it is at 127.0.0.1, a loopback address.'
    )
    assert rows() == []
