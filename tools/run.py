"""Run one checkpoint the way a host would: migrations, then every Procfile process.

    tox -e run            # the latest part
    tox -e run-part1      # a named part (tox installs that part's requirements)
    python tools/run.py part2-database   # inside an environment that has them

With DATABASE_URL set it uses that database. Otherwise it starts an embedded
PostgreSQL whose data lives in .run/postgres (ignored by git), so what you
store survives a restart. A part with a worker (part 4) needs Redis too:
REDIS_URL, or an embedded redis-server with its data in .run/redis.
It prints the URLs of the servers it starts (DATABASE_URL=..., REDIS_URL=...),
for psql; the folder you type yourself has servers of its own: tox -e services.
Ctrl-C stops everything this command started, and so do closing the terminal
(SIGHUP), SIGTERM, and the end of the command that started this one (tox).
One run at a time uses a data folder: .run/run.pid names the running one.
"""

import argparse
import os
import sys
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
    foreground = checkpoint.Foreground(args.data_dir / 'run.pid', log)
    running = foreground.claim()
    if running:
        where = 'at ' + running['url'] if 'url' in running else '(still starting)'
        log(
            'Already running {}, pid {}, with its data in {}. Stop that one first.'.format(
                where, running['pid'], args.data_dir
            )
        )
        return 1
    try:
        return serve(args, part_dir, foreground)
    finally:
        foreground.release()


def serve(args, part_dir, foreground):
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
    started_urls = []  # the URLs of the servers started here, to print
    foreground.catch_signals()

    try:
        if (part_dir / 'worker.py').is_file():
            if not (env.get('REDIS_URL') or env.get('REDISTOGO_URL')):
                env['REDIS_URL'] = start_redis(services, args.data_dir)
                started_urls.append('REDIS_URL=' + env['REDIS_URL'])
            else:
                log('Using REDIS_URL (or REDISTOGO_URL) from the environment.')
        if (part_dir / 'migrations').is_dir():
            if not env.get('DATABASE_URL'):
                env['DATABASE_URL'] = start_postgres(services, args.data_dir)
                started_urls.insert(0, 'DATABASE_URL=' + env['DATABASE_URL'])
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
        # Say where we run in the pid file before saying so on the terminal.
        foreground.publish(url=url)
        if started_urls:
            # For psql, or to look at the checkpoint's data from elsewhere. Your own
            # folder has servers of its own: tox -e services.
            log("The checkpoint's servers, as a .env or psql would name them:")
            print('\n'.join(started_urls), flush=True)
        log('{} is running at {}  (Ctrl-C stops it)'.format(part_dir.name, url))
        return foreground.wait(lambda: checkpoint.first_exited(processes))
    finally:
        checkpoint.stop(processes)
        for server in services:
            server.cleanup()


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
