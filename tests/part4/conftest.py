import time

import psutil
import pytest
import redis

import checkpoint
from harness import use_part
from processes import wait_until_listening

use_part('part4-queue')


@pytest.fixture
def redis_url(redis_server_url):
    """The Redis of this test run, its database emptied: no job of another test is left over."""
    with redis.from_url(redis_server_url) as conn:
        conn.flushdb()
    return redis_server_url


@pytest.fixture
def part_env(database_url, redis_url):
    return {'DATABASE_URL': database_url, 'REDIS_URL': redis_url}


@pytest.fixture
def app_module(load_app, migrated, redis_url):
    """Part 4's web app (testing config) on a migrated database and the test's Redis."""
    return load_app(DATABASE_URL=migrated, REDIS_URL=redis_url)


@pytest.fixture
def client(app_module):
    return app_module.app.test_client()


@pytest.fixture
def start_worker(part_dir, subprocess_env, migrated, redis_url, private_tmp):
    """start_worker(**env) runs the Procfile's worker process and waits until it takes jobs.

    It uses the test's database and Redis unless env says otherwise. Returns
    the process; its output is in proc.log (a path). Stopped when the test ends.
    """
    started = []

    def start(command=None, **env):
        full_env = dict(subprocess_env, DATABASE_URL=migrated, REDIS_URL=redis_url)
        full_env.update(env)
        args = command or checkpoint.expand(checkpoint.read_procfile(part_dir)['worker'], full_env)
        log = private_tmp / 'worker-{}.log'.format(len(started))
        with open(log, 'w') as output:
            proc = checkpoint.start(args, part_dir, full_env, stdout=output, stderr=output)
        proc.log = log
        started.append(proc)
        wait_until_listening(proc, full_env['REDIS_URL'])
        return proc

    yield start
    # The test is over: no need to wait for a warm shutdown, in which RQ gives
    # its pub/sub thread a second to end. SIGTERM, then SIGKILL at once.
    checkpoint.stop(started, timeout=0)


@pytest.fixture
def worker(start_worker):
    return start_worker()


@pytest.fixture
def work_horse():
    """work_horse(worker process) is the process it forked to run its current job."""
    return find_work_horse


def find_work_horse(proc, timeout=10):
    deadline = time.monotonic() + timeout
    while not (children := psutil.Process(proc.pid).children()):
        assert time.monotonic() < deadline, 'the worker started no work horse'
        time.sleep(0.02)
    return children[0]


@pytest.fixture
def wait_for(client):
    """wait_for(job_id) polls /results/<job_id> until it answers anything but 202; returns that answer.

    client= polls through another app's test client.
    """
    default_client = client

    def wait(job_id, timeout=30, interval=0.05, client=None):
        deadline = time.monotonic() + timeout
        while True:
            response = (client or default_client).get('/results/' + job_id)
            if response.status_code != 202:
                return response
            assert time.monotonic() < deadline, 'still 202 after {}s: {}'.format(timeout, response.get_json())
            time.sleep(interval)

    return wait


@pytest.fixture
def wait_until_started(request):
    """wait_until_started(job_id) polls /results/<job_id> until a worker has started the job.

    client= polls another app than the test's own (one on a Redis of the test's own).
    """

    def wait(job_id, timeout=30, client=None):
        client = client or request.getfixturevalue('client')
        deadline = time.monotonic() + timeout
        while (answer := client.get('/results/' + job_id)).get_json() != {'status': 'started'}:
            assert time.monotonic() < deadline, 'the job never started: {}'.format(answer.get_json())
            time.sleep(0.02)

    return wait


@pytest.fixture
def count(client, wait_for):
    """count(url) starts a job with POST /start and waits for its outcome; returns (job id, answer)."""

    def run(url, timeout=30):
        started = client.post('/start', json={'url': url})
        assert started.status_code == 200, started.get_data(as_text=True)
        job_id = started.get_data(as_text=True)
        return job_id, wait_for(job_id, timeout)

    return run
