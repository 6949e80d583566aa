"""Part 4's fixtures: its app on a migrated database and Redis, and its worker process.

Starting a worker costs about a second (a Python that imports the app), so the
tests that ask for `worker` take turns with one shared worker process: before
each turn, whatever the previous test left running is stopped, the queue and
the database are emptied, and the worker is restarted only if it died. A test
that needs a worker of its own (other settings, another Redis, no worker yet)
starts one with start_worker.

Databases come from the DatabasePool of tests/conftest.py, emptied and reused:
a job cannot write into the next test's database, since a test's own workers
stop before its database goes back, and the shared worker has its own.
"""

import tempfile
import time
import warnings
from pathlib import Path

import psutil
import pytest
import redis
from rq import Queue

import checkpoint
from harness import redis_database, use_part
from processes import wait_until_listening

use_part('part4-queue')


def uses_shared_worker(request):
    return 'worker' in request.fixturenames


@pytest.fixture
def redis_url(request, redis_server_url):
    """The Redis of this test, emptied: no job of another test is left over.

    A test with the shared worker gets that worker's Redis database (see
    worker_turn); any other test a database of its own, where no worker listens.
    """
    if uses_shared_worker(request):
        return request.getfixturevalue('worker_turn').redis_url
    with redis.from_url(redis_server_url) as conn:
        conn.flushdb()
    return redis_server_url


@pytest.fixture
def migrated(request, database_pool, migrated_template):
    """A database as "flask db upgrade" leaves it (see DatabasePool); with the shared worker, its own."""
    if uses_shared_worker(request):
        yield request.getfixturevalue('worker_turn').database_url
        return
    url = database_pool.take(template=migrated_template)
    yield url
    database_pool.give_back(url)


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


def launch_worker(part_dir, env, log, command=None):
    """Run the Procfile's worker (or command) with env, its output in log; wait until it takes jobs."""
    args = command or checkpoint.expand(checkpoint.read_procfile(part_dir)['worker'], env)
    # Appended to, so that the log can be emptied while the worker writes to it.
    with open(log, 'a') as output:
        proc = checkpoint.start(args, part_dir, env, stdout=output, stderr=output)
    proc.log = Path(log)
    try:
        wait_until_listening(proc, env['REDIS_URL'])
    except BaseException:
        checkpoint.stop([proc], timeout=0)
        raise
    return proc


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
        log = private_tmp / 'worker-{}.log'.format(len(started))
        started.append(launch_worker(part_dir, full_env, log, command))
        return started[-1]

    yield start
    # The test is over: no need to wait for a warm shutdown, in which RQ gives
    # its pub/sub thread a second to end. SIGTERM, then SIGKILL at once.
    checkpoint.stop(started, timeout=0)


class SharedWorker:
    """One worker process, its database and its Redis database, lent to one test at a time."""

    def __init__(self, part_dir, env, pool, template, redis_url, folder):
        self.part_dir = part_dir
        self.pool = pool
        self.redis_url = redis_url
        self.database_url = pool.take(template=template)
        self.env = dict(env, DATABASE_URL=self.database_url, REDIS_URL=redis_url)
        self.log = Path(folder) / 'shared-worker.log'
        self.proc = None

    def turn(self):
        """Make the worker idle, with an empty queue and its database as the migrations leave it."""
        with redis.from_url(self.redis_url) as conn:
            if self.proc is not None and self.proc.poll() is None and not self.settle(conn):
                self.stop()
            if self.proc is None or self.proc.poll() is not None:
                self.proc = None
                conn.flushdb()  # what a dead worker left, its registration too
            else:
                # Everything but the worker's registration (rq:workers, rq:worker:<name>).
                for key in conn.scan_iter():
                    if not key.startswith(b'rq:worker'):
                        conn.delete(key)
        self.pool.renew(self.database_url)
        self.log.write_text('')
        if self.proc is None:
            self.proc = launch_worker(self.part_dir, self.env, self.log)
        return self

    def settle(self, conn, timeout=15):
        """End what the previous test left: its queued jobs, and the job running, if any.

        True once no job is queued, taken or running and the worker has no work
        horse; False if that does not happen within timeout seconds.
        """
        queue = Queue('default', connection=conn)
        deadline = time.monotonic() + timeout
        while True:
            conn.delete(queue.key)  # jobs nobody took: nobody will
            horses = psutil.Process(self.proc.pid).children()
            for horse in horses:
                horse.kill()
            # A job taken is on the intermediate queue, then in the started
            # registry until the worker (or its work horse) has recorded its end.
            seen = {
                'taken': conn.llen(queue.intermediate_queue_key),
                'running': queue.started_job_registry.count,
                'work horses': len(horses),
            }
            if not any(seen.values()) and self.proc.poll() is None:
                return True
            if time.monotonic() > deadline or self.proc.poll() is not None:
                message = 'The shared worker did not settle within {}s ({}); starting a new one.'
                warnings.warn(message.format(timeout, seen), stacklevel=2)
                return False
            time.sleep(0.02)

    def stop(self):
        if self.proc is not None:
            checkpoint.stop([self.proc], timeout=0)
            self.proc = None


@pytest.fixture(scope='session')
def shared_worker(part_dir, subprocess_env, database_pool, migrated_template, redis_server_url):
    """The worker the tests asking for `worker` share (see worker_turn), on a Redis database of its own."""
    with tempfile.TemporaryDirectory(prefix='fbe-') as folder:
        shared = SharedWorker(
            part_dir,
            subprocess_env,
            database_pool,
            migrated_template,
            redis_database(redis_server_url, 1),
            folder,
        )
        try:
            yield shared
        finally:
            shared.stop()
            database_pool.drop(shared.database_url)


@pytest.fixture
def worker_turn(shared_worker):
    """This test's turn with the shared worker: idle, its queue empty, its database as migrated."""
    return shared_worker.turn()


@pytest.fixture
def worker(worker_turn):
    """The shared worker process (see worker_turn), taking jobs; its output of this test is in proc.log.

    A test may stop it: the next test's turn starts a new one.
    """
    return worker_turn.proc


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
