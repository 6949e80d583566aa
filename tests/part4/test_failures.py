"""Nothing waits forever, nothing is lost: killed workers, Redis down, PostgreSQL down.

Each service is stopped for real: the worker's processes are killed, a Redis
server of the test's own is shut down, the database is one nobody listens on.
"""

import os
import signal
import subprocess
import time

import psutil
import psycopg2
import pytest
import redis
from rq import Worker

import checkpoint
from pages import KNOWN_TABLE
from processes import exit_code_within

WORKER_STOPPED = {'error': 'The worker stopped before the words were counted. Please try again.'}
REDIS_DOWN = {'error': 'The job queue (Redis) cannot be reached. Please try again later.'}


def test_a_killed_work_horse_fails_the_job_at_once(
    client, worker, work_horse, wait_until_started, wait_for, rows, page_server
):
    job_id = client.post('/start', json={'url': page_server.url('/never-answers')}).get_data(as_text=True)
    wait_until_started(job_id)
    work_horse(worker).kill()  # SIGKILL, in the middle of the fetch
    failed = wait_for(job_id, timeout=10)
    assert (failed.status_code, failed.get_json()) == (503, WORKER_STOPPED)
    assert rows() == []


@pytest.mark.slow  # RQ notices a dead worker only after a minute: tox -e part4-slow
def test_a_killed_worker_ends_in_a_failure_not_202_forever(
    client, worker, start_worker, work_horse, wait_until_started, wait_for, rows, page_server
):
    # The whole worker dies at once (a machine lost, kill -9): nobody is left
    # to mark the job failed. Its heartbeat expires within the job's timeout
    # (at most 30 s, RQ's monitoring interval) plus RQ's 60 s grace; then
    # /results finds it abandoned.
    job_id = client.post('/start', json={'url': page_server.url('/never-answers')}).get_data(as_text=True)
    wait_until_started(job_id)
    horse = work_horse(worker)
    os.kill(worker.pid, signal.SIGKILL)
    horse.kill()
    exit_code_within(worker, 10, 'end at once on SIGKILL')
    assert client.get('/results/' + job_id).status_code == 202
    failed = wait_for(job_id, timeout=120, interval=1)
    assert (failed.status_code, failed.get_json()) == (503, WORKER_STOPPED)
    assert rows() == []
    # A new worker takes the next job as usual.
    start_worker()
    next_job = client.post('/start', json={'url': page_server.url('/known.html')}).get_data(as_text=True)
    assert wait_for(next_job).status_code == 200


@pytest.fixture
def own_redis(private_tmp):
    """A Redis server of this test's own, so that the test may stop it."""
    with checkpoint.start_embedded_redis(private_tmp / 'redis', keep=False) as server:
        yield server


def test_redis_down_answers_503_and_the_app_keeps_serving(
    load_app, migrated, own_redis, start_worker, wait_for, page_server, rows
):
    client = load_app(DATABASE_URL=migrated, REDIS_URL=own_redis.url).app.test_client()
    worker = start_worker(REDIS_URL=own_redis.url)
    url = page_server.url('/known.html')
    job_id = client.post('/start', json={'url': url}).get_data(as_text=True)

    own_redis.stop()
    assert (client.post('/start', json={'url': url}).status_code) == 503
    assert client.post('/start', json={'url': url}).get_json() == REDIS_DOWN
    answer = client.get('/results/' + job_id)
    assert (answer.status_code, answer.get_json()) == (503, REDIS_DOWN)
    # The page says so too, and still shows its form.
    assert client.get('/').status_code == 200
    form = client.post('/', data={'url': url})
    assert form.status_code == 503
    assert REDIS_DOWN['error'] in form.get_data(as_text=True)
    assert client.get('/?job=' + job_id).status_code == 503

    # Redis is back (empty: it kept nothing), and so is the app, without a restart.
    own_redis.start()
    again = client.post('/start', json={'url': url})
    assert again.status_code == 200
    assert wait_for(again.get_data(as_text=True), client=client, timeout=90).status_code == 200, (
        worker.log.read_text()
    )
    assert url in [row[0] for row in rows()]


def test_postgresql_down_during_a_job_fails_it_with_a_clear_message(
    client, start_worker, wait_for, rows, page_server
):
    # The worker's database server is not running (nothing listens on its port).
    down = 'postgresql://postgres@127.0.0.1:{}/wordcount'.format(checkpoint.free_port())
    start_worker(DATABASE_URL=down)
    job_id = client.post('/start', json={'url': page_server.url('/known.html')}).get_data(as_text=True)
    failed = wait_for(job_id)
    assert (failed.status_code, failed.get_json()) == (
        503,
        {'error': 'Unable to add item to database. Please try again later.'},
    )
    assert rows() == []


def test_a_constraint_error_in_a_job_is_rolled_back(client, worker, wait_for, migrated, rows, page_server):
    with psycopg2.connect(migrated) as conn, conn.cursor() as cur:
        cur.execute("ALTER TABLE results ADD CONSTRAINT no_invisible CHECK (url NOT LIKE '%invisible%')")
    bad = client.post('/start', json={'url': page_server.url('/invisible.html')}).get_data(as_text=True)
    assert wait_for(bad).status_code == 503
    good = client.post('/start', json={'url': page_server.url('/known.html')}).get_data(as_text=True)
    assert wait_for(good).status_code == 200
    assert [row[0] for row in rows()] == [page_server.url('/known.html')]


def test_postgresql_down_when_reading_a_result_answers_503(
    client, worker, wait_for, load_app, redis_url, page_server
):
    job_id = client.post('/start', json={'url': page_server.url('/known.html')}).get_data(as_text=True)
    assert wait_for(job_id).status_code == 200
    # A web process whose database is down finds the finished job in Redis
    # but cannot read its result.
    down = 'postgresql://postgres@127.0.0.1:{}/wordcount'.format(checkpoint.free_port())
    cut_off = load_app(DATABASE_URL=down, REDIS_URL=redis_url).app.test_client()
    answer = cut_off.get('/results/' + job_id)
    assert (answer.status_code, answer.get_json()) == (
        503,
        {'error': 'Unable to read the result from the database. Please try again later.'},
    )


def test_the_first_request_after_a_database_restart_succeeds(
    load_app, own_postgres, redis_url, start_worker, wait_for, page_server
):
    client = load_app(DATABASE_URL=own_postgres.url, REDIS_URL=redis_url).app.test_client()
    start_worker(DATABASE_URL=own_postgres.url)
    first = client.post('/start', json={'url': page_server.url('/known.html')}).get_data(as_text=True)
    assert wait_for(first, client=client).status_code == 200
    own_postgres.restart()
    # The web process reads the finished job's row through its pool...
    answer = client.get('/results/' + first)
    assert answer.status_code == 200, answer.get_json()
    # ... and the worker saves the next job's.
    second = client.post('/start', json={'url': page_server.url('/invisible.html')}).get_data(as_text=True)
    assert wait_for(second, client=client).status_code == 200
    assert own_postgres.urls() == [page_server.url('/known.html'), page_server.url('/invisible.html')]


@pytest.fixture
def kept_redis(private_tmp):
    """A Redis server of this test's own that keeps its data across a restart, as a real one does."""
    with checkpoint.start_embedded_redis(private_tmp / 'kept-redis', keep=True) as server:
        yield server


def wait_for_log(proc, text, count=1, timeout=60):
    """Wait until the worker's output holds text count times."""
    deadline = time.monotonic() + timeout
    while proc.log.read_text().count(text) < count:
        assert proc.poll() is None, proc.log.read_text()
        output = proc.log.read_text()
        assert time.monotonic() < deadline, 'no {!r} after {}s:\n{}'.format(text, timeout, output)
        time.sleep(0.1)


def test_one_sigterm_stops_the_worker_while_redis_is_down(own_redis, start_worker):
    worker = start_worker(REDIS_URL=own_redis.url)
    own_redis.stop()
    # RQ notices, and tries again now and then.
    wait_for_log(worker, 'could not connect to Redis instance')
    worker.send_signal(signal.SIGTERM)  # once, as a platform does
    try:
        worker.wait(15)
    except subprocess.TimeoutExpired:
        pytest.fail('one SIGTERM did not stop the worker:\n' + worker.log.read_text())


# Each outage waits out worker.py's 5-second retry: tox -e part4-slow.
@pytest.mark.slow
def test_redis_outages_leave_no_worker_behind(
    kept_redis, start_worker, load_app, migrated, page_server, wait_until_started
):
    client = load_app(DATABASE_URL=migrated, REDIS_URL=kept_redis.url).app.test_client()
    worker = start_worker(REDIS_URL=kept_redis.url)

    def counts():
        """Threads of the worker process, workers registered in Redis, connections to Redis."""
        with redis.from_url(kept_redis.url) as conn:
            others = len(conn.client_list()) - 1
            return psutil.Process(worker.pid).num_threads(), len(Worker.all(connection=conn)), others

    before = counts()
    for outage in range(1, 3):
        # Redis stops in the middle of a job: RQ's worker gives up, and
        # worker.py starts a new one once Redis is back.
        job_id = client.post('/start', json={'url': page_server.url('/never-answers')}).get_data(as_text=True)
        wait_until_started(job_id, client=client)
        kept_redis.stop()
        wait_for_log(worker, 'worker.py: Redis cannot be reached', count=outage)
        kept_redis.start()
        wait_for_log(worker, 'Listening on default', count=outage + 1)
        # The job's work horse ends (its fetch times out) before counting.
        deadline = time.monotonic() + 30
        while psutil.Process(worker.pid).children():
            assert time.monotonic() < deadline, 'the work horse did not end'
            time.sleep(0.2)
    # A retired worker's pub/sub thread mostly ends at once. But RQ sends
    # UNSUBSCRIBE before it stops the thread: one that reads the reply first
    # waits for a new subscription, up to RQ's 60 seconds (sleep_time in
    # Worker.subscribe), then sees it was stopped and ends. A thread, worker
    # or connection still there after that was left behind.
    deadline = time.monotonic() + 65
    while (after := counts()) != before and time.monotonic() < deadline:
        time.sleep(1)
    assert after == before, worker.log.read_text()


def test_a_job_that_saves_while_redis_is_down_is_reported_finished(
    kept_redis, start_worker, load_app, migrated, page_server, rows, wait_for, wait_until_started
):
    # Redis is down from before the page arrives until after the job has
    # counted it. The job must not end "failed" with its row saved (a retry
    # would save it twice): it waits for Redis to save.
    client = load_app(DATABASE_URL=migrated, REDIS_URL=kept_redis.url).app.test_client()
    worker = start_worker(REDIS_URL=kept_redis.url)
    url = page_server.url('/held.html?name=saves')
    job_id = client.post('/start', json={'url': url}).get_data(as_text=True)
    wait_until_started(job_id, client=client)
    kept_redis.stop()
    page_server.release('saves')
    page_server.wait_until_served('saves')
    # Counting takes milliseconds; the job then asks Redis every second
    # whether it may save. Nothing may be saved while Redis is down.
    time.sleep(2)
    assert rows() == [], worker.log.read_text()
    kept_redis.start()
    # RQ gives a job up for abandoned once its heartbeat (at most 90 s) has expired.
    done = wait_for(job_id, client=client, timeout=150, interval=1)
    assert (done.status_code, done.get_json()) == (200, [list(pair) for pair in KNOWN_TABLE]), (
        worker.log.read_text()
    )
    assert [row[0] for row in rows()] == [url]
