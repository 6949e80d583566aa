"""A learner's own folder, given the .env lines tox -e services prints, migrates and serves.

The folder is a copy of a checkpoint outside the clone, with .env written the
way the docs say: .env.example with its DATABASE_URL and REDIS_URL lines
replaced by the printed ones. Its commands read nothing else: the test's
environment has no DATABASE_URL, REDIS_URL or APP_SETTINGS.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import psycopg2
import pytest

import checkpoint
from pages import KNOWN_TABLE
from processes import printed_urls

PASSED_ON = ('DATABASE_URL', 'REDIS_URL', 'REDISTOGO_URL', 'APP_SETTINGS', 'SECRET_KEY', 'FLASK_APP', 'PORT')


@pytest.fixture
def learner_folder(private_tmp, services, started_before):
    """learner_folder(part) starts the services and copies the part to a folder of the learner's,
    with the printed lines in its .env. Returns (folder, the printed URLs, a command runner).
    The services have run before (started_before): a first start has a test of its own."""
    started = []

    def make(part):
        _, output = services()
        urls = printed_urls(output)
        folder = private_tmp / 'flask-by-example'
        ignore = shutil.ignore_patterns('__pycache__', '.venv', '.env', '.run', '.pytest_cache')
        shutil.copytree(checkpoint.ROOT / part, folder, ignore=ignore)
        kept = [
            line
            for line in (folder / '.env.example').read_text().splitlines()
            if not line.startswith(tuple(name + '=' for name in urls))
        ]
        printed = ['{}={}'.format(name, url) for name, url in urls.items()]
        (folder / '.env').write_text('\n'.join(kept + printed) + '\n')
        env = {k: v for k, v in os.environ.items() if k not in PASSED_ON}
        env['PYTHONUNBUFFERED'] = '1'

        def start(args, **kwargs):
            proc = checkpoint.start(args, folder, env, **kwargs)
            started.append(proc)
            return proc

        def run(args):
            command = checkpoint.python_command(args)
            return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=120)

        return folder, urls, start, run

    yield make
    checkpoint.stop(started)


def serve(start, folder):
    """flask run, as the learner types it; returns its base URL once it answers."""
    port = checkpoint.free_port()
    with open(folder / 'flask.log', 'w') as log:
        web = start(['flask', 'run', '--port', str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = 'http://127.0.0.1:{}'.format(port)
    checkpoint.wait_for_http(url + '/', timeout=60, proc=web)
    return url


def test_part2_folder_migrates_and_serves_on_the_printed_database(learner_folder):
    folder, urls, start, run = learner_folder('part2-database')
    upgrade = run(['flask', 'db', 'upgrade'])
    assert upgrade.returncode == 0, upgrade.stderr
    with psycopg2.connect(urls['DATABASE_URL']) as conn, conn.cursor() as cur:
        cur.execute('SELECT count(*) FROM results')
        assert cur.fetchone() == (0,)
    url = serve(start, folder)
    with urllib.request.urlopen(url + '/', timeout=10) as response:
        assert response.status == 200


def test_part4_folder_counts_a_page_with_its_worker_on_the_printed_servers(learner_folder, page_server):
    folder, urls, start, run = learner_folder('part4-queue')
    assert set(urls) == {'DATABASE_URL', 'REDIS_URL'}
    upgrade = run(['flask', 'db', 'upgrade'])
    assert upgrade.returncode == 0, upgrade.stderr
    with open(folder / 'worker.log', 'w') as log:
        start([sys.executable, 'worker.py'], stdout=log, stderr=subprocess.STDOUT)  # python worker.py
    url = serve(start, folder)
    request = urllib.request.Request(
        url + '/start',
        data=json.dumps({'url': page_server.url('/known.html')}).encode(),
        headers={'Content-Type': 'application/json'},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        job_id = response.read().decode()
    deadline = time.monotonic() + 60
    while True:
        with urllib.request.urlopen(url + '/results/' + job_id, timeout=10) as response:
            if response.status == 200:
                assert json.loads(response.read()) == [list(pair) for pair in KNOWN_TABLE]
                break
        said = (folder / 'worker.log').read_text()
        assert time.monotonic() < deadline, 'no result; the worker said:\n' + said
        time.sleep(0.1)
    with psycopg2.connect(urls['DATABASE_URL']) as conn, conn.cursor() as cur:
        cur.execute('SELECT url FROM results')
        assert cur.fetchall() == [(page_server.url('/known.html'),)]
