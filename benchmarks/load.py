"""A bounded load test of part 3 or part 4, on real services and processes, all on loopback.

    tox -e load-part3        # or: python benchmarks/load.py part3 [options]
    tox -e load-part4        # or: python benchmarks/load.py part4 [options]

Part 3: --clients threads post the form (POST /) with distinct URLs of one
page, each waiting for its answer. Part 4: each client posts /start and
polls /results/<id> (every --poll seconds) until the job has ended, then
starts the next. Clients start nothing new after --duration seconds or
--requests requests (jobs) in all, so the run always ends; a job still
unfinished --grace seconds after that counts as lost.

Services and processes as in benchmarks/part4_queue.py (it lends its Bench):
PostgreSQL from --database-url or TEST_DATABASE_URL (else embedded), Redis
from --redis-url or TEST_REDIS_URL (else embedded), the page served by
"python -m http.server", the part's web process from its Procfile (gunicorn,
one worker) and, for part 4, one "python worker.py".

It prints requests/s (jobs/s), the answers by status, jobs lost, rows saved
against successes, and the resident memory (RSS) of the web and worker
processes before and after. With --check it exits 1 when a request got a 5xx,
a job was lost, or the rows differ from the successes (tests/*/test_load.py).
--code DIR measures the parts of another checkout (for a before/after).
"""

import argparse
import collections
import contextlib
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import part4_queue  # noqa: E402  (benchmarks/part4_queue.py: services, processes, HTTP)
from part4_queue import Bench, Failure, build_page, http  # noqa: E402


def rss_mb(proc):
    """Resident memory of proc and its children, in MB."""
    try:
        tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        return sum(p.memory_info().rss for p in tree) / 1e6
    except psutil.Error:
        return float('nan')


class Load:
    """The clients' shared tally."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.issued = 0
        self.deadline = time.monotonic() + args.duration
        self.statuses = collections.Counter()  # part 3: POST /; part 4: POST /start
        self.outcomes = collections.Counter()  # part 4: the last answer of /results
        self.lost = 0
        self.http_requests = 0

    def next_number(self):
        """The number of the next request, or None once the bounds are reached."""
        with self.lock:
            if self.issued >= self.args.requests or time.monotonic() > self.deadline:
                return None
            self.issued += 1
            return self.issued

    def note(self, counter, status):
        with self.lock:
            counter[status] += 1
            self.http_requests += 1


def part3_client(load, base, page_url):
    while (n := load.next_number()) is not None:
        status, _ = http('POST', base + '/', data={'url': '{}?n={}'.format(page_url, n)})
        load.note(load.statuses, status)


def part4_client(load, base, page_url):
    while (n := load.next_number()) is not None:
        status, body = http('POST', base + '/start', json_body={'url': '{}?n={}'.format(page_url, n)})
        load.note(load.statuses, status)
        if status != 200:
            continue
        job_url = base + '/results/' + body.decode()
        give_up = max(load.deadline, time.monotonic()) + load.args.grace
        while True:
            status, _ = http('GET', job_url)
            if status != 202:
                load.note(load.outcomes, status)
                break
            with load.lock:
                load.http_requests += 1
            if time.monotonic() > give_up:
                with load.lock:
                    load.lost += 1
                break
            time.sleep(load.args.poll)


def run(args, stack, tmp):
    part4_queue.PART3 = args.code / 'part3-processing'
    part4_queue.PART4 = args.code / 'part4-queue'
    part_dir = part4_queue.PART4 if args.part == 'part4' else part4_queue.PART3
    bench = Bench(args, stack, tmp)
    bench.start_postgres()
    env = {}
    if args.part == 'part4':
        bench.start_redis()
        env['REDIS_URL'] = bench.redis_url
    page_url = bench.serve_page(build_page(args.page_kb * 1000)[0])
    database_url = bench.migrated_database(part_dir)
    base = bench.start_web(part_dir, database_url, **env)
    # The web process's gunicorn (its workers are its children): a child of this process.
    web = [p for p in psutil.Process().children() if 'gunicorn' in ' '.join(p.cmdline())][-1]
    workers = bench.start_workers(1, database_url) if args.part == 'part4' else []
    memory = [('web', web), *(('worker', w) for w in workers)]
    before = {name: rss_mb(proc) for name, proc in memory}

    load = Load(args)
    client = part4_client if args.part == 'part4' else part3_client
    threads = [threading.Thread(target=client, args=(load, base, page_url)) for _ in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    after = {name: rss_mb(proc) for name, proc in memory}
    rows = bench.count_rows(database_url)

    successes = (load.outcomes if args.part == 'part4' else load.statuses)[200]
    what = 'jobs' if args.part == 'part4' else 'requests'
    print(
        '{} ({}) on {}{}'.format(
            args.part,
            args.code,
            bench.postgres_label,
            (', ' + bench.redis_label if args.part == 'part4' else ''),
        )
    )
    print(
        '{} clients, {:.1f} s: {} {} issued, {:.1f} {}/s done ({} HTTP requests, {:.1f}/s)'.format(
            args.clients,
            elapsed,
            load.issued,
            what,
            successes / elapsed,
            what,
            load.http_requests,
            load.http_requests / elapsed,
        )
    )
    print('answers by status: {}'.format(dict(sorted(load.statuses.items()))))
    if args.part == 'part4':
        print(
            'job outcomes by status: {}; jobs lost (started, never ended): {}'.format(
                dict(sorted(load.outcomes.items())), load.lost
            )
        )
    print('rows saved: {}, successes: {}'.format(rows, successes))
    for name, _ in memory:
        print('RSS {}: {:.0f} MB before, {:.0f} MB after'.format(name, before[name], after[name]))
    errors = sum(n for s, n in (load.statuses + load.outcomes).items() if s >= 500)
    return errors == 0 and load.lost == 0 and rows == successes and successes > 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('part', choices=['part3', 'part4'])
    parser.add_argument('--clients', type=int, default=16)
    parser.add_argument('--duration', type=float, default=30, help='seconds to start new requests (30)')
    parser.add_argument(
        '--requests', type=int, default=5000, help='at most this many requests or jobs (5000)'
    )
    parser.add_argument('--grace', type=float, default=90, help='seconds a job may take after the end (90)')
    parser.add_argument('--poll', type=float, default=0.25, help='seconds between polls of /results (0.25)')
    parser.add_argument('--page-kb', type=int, default=20, help='size of the page counted, in KB (20)')
    parser.add_argument('--code', type=Path, default=part4_queue.ROOT, help='checkout whose parts to run')
    parser.add_argument('--database-url')
    parser.add_argument('--redis-url')
    parser.add_argument(
        '--check', action='store_true', help='exit 1 on a 5xx, a lost job or rows != successes'
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='fbe-load-') as folder, contextlib.ExitStack() as stack:
        try:
            ok = run(args, stack, Path(folder))
        except Failure as error:
            print('Failed: {}'.format(error), file=sys.stderr)
            return 1
    if args.check and not ok:
        print('Check failed: a 5xx answer, a lost job, or rows that differ from the successes.')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
