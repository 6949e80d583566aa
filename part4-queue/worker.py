"""The worker process: it runs the jobs that the web process puts in the queue.

    python worker.py

It takes jobs from the "default" queue in the Redis at REDIS_URL (or the
article's REDISTOGO_URL; a Redis on this machine when neither is set) and
runs each one, here count_and_save_words() from app.py. Start as many
workers as you like, on as many machines: they share the one queue.
"""

import signal
import sys
import time

import redis
from flask.cli import load_dotenv
from rq import Queue, SpawnWorker, Worker

from config import redis_url

listen = ['default']


def connect(url):
    """A Redis client for url. The web process uses it too (app.py imports conn)."""
    options = {
        # Fail within seconds when Redis is down, so that a request can say
        # so instead of hanging.
        'socket_connect_timeout': 5,
        'socket_timeout': 10,
        'health_check_interval': 30,
    }
    if url.startswith('rediss://') and 'ssl_cert_reqs' not in url:
        # Heroku's Key-Value Store speaks TLS with a self-signed certificate,
        # which cannot be verified. The connection is still encrypted. To
        # verify a certificate that can be, add ?ssl_cert_reqs=required.
        options.update(ssl_cert_reqs='none', ssl_check_hostname=False)
    return redis.from_url(url, **options)


if __name__ == '__main__':
    # "flask run" reads .env; read it here too, before REDIS_URL is looked up.
    load_dotenv()
conn = connect(redis_url())


# Beyond the article, explained in the docs: parts/part4-queue.html#part4-redis
def work(worker_class):
    """Run a worker; when Redis goes away, say so and start a new one once it is back."""
    while True:
        worker = None
        try:
            worker = worker_class([Queue(name, connection=conn) for name in listen], connection=conn)
            worker.work()
            return
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
            # RQ's worker gives up when its connection breaks in the middle of
            # a job, and its last steps (unregistering itself) need Redis too.
            if worker and worker._shutdown_requested_date:
                # It was asked to stop (SIGTERM, Ctrl-C; RQ notes when): only
                # the last steps failed. Stop, as asked, whatever Redis's state.
                return
            # A Redis restart should not need a worker restart too.
            print(
                'worker.py: Redis cannot be reached ({}); trying again in 5 seconds.'.format(error),
                flush=True,
            )
            retire(worker)


def retire(worker):
    """Wait until Redis is back, then let the broken worker (if any) take its leave.

    It unregisters itself and closes its listening thread and connection, so
    that the worker started next replaces it instead of adding to it.
    """
    # Until the next worker installs its own, Ctrl-C and SIGTERM stop the process.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        time.sleep(5)
        try:
            if worker:  # None when Redis was down before the worker was made
                worker.teardown()
            return
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            pass  # still down


if __name__ == '__main__':
    # Load the app, and all it imports, once. RQ would import it for every
    # job; loaded here, every job starts with it ready.
    import app  # noqa: F401

    # Worker runs each job in a forked copy of this process. On macOS, a
    # forked process that touches certain system libraries crashes; RQ's
    # SpawnWorker starts a fresh process for each job instead.
    try:
        work(SpawnWorker if sys.platform == 'darwin' else Worker)
    except KeyboardInterrupt:
        pass
