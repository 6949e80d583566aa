"""Part 4's fixtures: its app on a migrated database and Redis, and its worker process.

Starting a worker costs about a second (a Python that imports the app), so the
tests that ask for `worker` take turns with one shared worker process: before
each turn, whatever the previous test left running is stopped, the queue and
the database are emptied, and the worker is restarted only if it died. A test
that needs a worker of its own (other settings, another Redis, no worker yet)
starts one with start_worker.

Creating and dropping a database costs PostgreSQL about 0.2 s of CPU, emptying
its tables a fortieth of that: a test's database is emptied and reused (see
ReusedDatabases), unless the test changed its tables.
"""

import contextlib
import tempfile
import time
import warnings
from pathlib import Path

import psutil
import psycopg2
import pytest
import redis
from psycopg2 import sql
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


# What a test may change in a database besides its rows: relations and their
# columns, constraints, indexes, triggers, functions, schemas. (alembic_version's
# row is kept as it is: a migration that changes it changes relations too.)
SCHEMA = """
SELECT string_agg(item, E'\n' ORDER BY item) FROM (
    SELECT format('relation %s.%s %s: %s', n.nspname, c.relname, c.relkind, (
        SELECT string_agg(format('%s %s %s %s', a.attname, format_type(a.atttypid, a.atttypmod),
                                 a.attnotnull, pg_get_expr(d.adbin, d.adrelid)), ', ' ORDER BY a.attnum)
        FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    UNION ALL
    SELECT format('constraint %s %s', conname, pg_get_constraintdef(oid)) FROM pg_constraint
    WHERE connamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(indexrelid)) FROM pg_index
    WHERE indrelid::regclass::text NOT LIKE 'pg_%'
    UNION ALL
    SELECT format('trigger %s', tgname) FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT format('function %s', p.oid::regprocedure)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT format('schema %s', nspname) FROM pg_namespace
) AS schema (item)
"""

TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"


class ReusedDatabases:
    """New databases (copies of template, or empty) for the tests of this pytest process, reused once emptied.

    give_back() empties a database's tables and restarts its sequences, so that
    it is again as new, and the next test takes it. A database whose schema a
    test changed (a constraint added, the migrations run, say), or that a
    connection still locks, is dropped instead.
    """

    def __init__(self, admin_url, template=None):
        self.admin_url = admin_url
        self.template = template
        self.schema = None  # that of a new database, read from the first
        self.free = []

    def take(self):
        return self.free.pop() if self.free else self.create()

    def create(self, name=None):
        url = checkpoint.create_database(self.admin_url, name, template=self.template)
        if self.schema is None:
            with connect(url) as cur:
                self.schema = schema_of(cur)
        return url

    def give_back(self, url):
        if self.empty(url):
            self.free.append(url)
        else:
            self.drop(url)

    def empty(self, url):
        """Empty url's tables; False (nothing emptied) if its schema is not a new one's or it is locked."""
        with connect(url) as cur:
            cur.execute("SET LOCAL lock_timeout = '5s'")
            if schema_of(cur) != self.schema:
                return False
            cur.execute(TABLES)
            tables = [sql.Identifier(name) for (name,) in cur.fetchall()]
            try:
                if tables:
                    cur.execute(sql.SQL('TRUNCATE {} RESTART IDENTITY').format(sql.SQL(', ').join(tables)))
            except psycopg2.errors.LockNotAvailable:
                return False
        return True

    def drop(self, url):
        checkpoint.drop_database(self.admin_url, checkpoint.database_name(url))

    def close(self):
        while self.free:
            self.drop(self.free.pop())


@contextlib.contextmanager
def connect(url):
    """A cursor on url in one transaction, committed at the end; the connection is closed."""
    with contextlib.closing(psycopg2.connect(url)) as conn, conn, conn.cursor() as cur:
        yield cur


def schema_of(cur):
    cur.execute(SCHEMA)
    return cur.fetchone()[0]


@pytest.fixture(scope='session')
def empty_databases(postgres_admin_url):
    """The ReusedDatabases of this pytest process that are empty."""
    databases = ReusedDatabases(postgres_admin_url)
    yield databases
    databases.close()


@pytest.fixture(scope='session')
def migrated_databases(postgres_admin_url, migrated_template):
    """The ReusedDatabases of this pytest process that are copies of migrated_template."""
    databases = ReusedDatabases(postgres_admin_url, migrated_template)
    yield databases
    databases.close()


@pytest.fixture
def database_url(empty_databases):
    """A new empty database for this test (see ReusedDatabases)."""
    url = empty_databases.take()
    yield url
    empty_databases.give_back(url)


@pytest.fixture
def migrated(request, migrated_databases):
    """A database as "flask db upgrade" leaves it (ReusedDatabases); with the shared worker, its own."""
    if uses_shared_worker(request):
        yield request.getfixturevalue('worker_turn').database_url
        return
    url = migrated_databases.take()
    yield url
    migrated_databases.give_back(url)


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

    def __init__(self, part_dir, env, databases, redis_url, folder):
        self.part_dir = part_dir
        self.databases = databases
        self.redis_url = redis_url
        self.database_url = databases.create()
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
        if not self.databases.empty(self.database_url):
            self.databases.drop(self.database_url)
            self.databases.create(checkpoint.database_name(self.database_url))
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
def shared_worker(part_dir, subprocess_env, migrated_databases, redis_server_url):
    """The worker the tests asking for `worker` share (see worker_turn), on a Redis database of its own."""
    with tempfile.TemporaryDirectory(prefix='fbe-') as folder:
        shared = SharedWorker(
            part_dir, subprocess_env, migrated_databases, redis_database(redis_server_url, 1), folder
        )
        try:
            yield shared
        finally:
            shared.stop()
            migrated_databases.drop(shared.database_url)


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
