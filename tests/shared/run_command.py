"""tools/run.py serves the part, prints its URL and stops everything on Ctrl-C."""

import os
import re
import signal
import socket
import sys
import urllib.request

import psutil
import psycopg2
import pytest

import checkpoint
from processes import (
    STOPS_OTHERS_SLOW,
    alive,
    printed_urls,
    start_until,
    started_by,
    stop_as,
    wait_until_gone,
)


@pytest.fixture
def run_command(part_dir, part_env, subprocess_env, private_tmp):
    """Start tools/run.py for this part; returns (process, output up to its URL line)."""
    started = []

    def start(port, database='from DATABASE_URL', parent=False):
        """parent=True starts it through a parent process of its own, as tox does."""
        env = dict(subprocess_env, APP_SETTINGS='config.DevelopmentConfig', **part_env)
        if database == 'embedded':
            for name in ('DATABASE_URL', 'REDIS_URL'):
                env.pop(name, None)
        args = [sys.executable, str(checkpoint.ROOT / 'tools' / 'run.py'), part_dir.name]
        args += ['--port', str(port), '--data-dir', str(private_tmp)]
        proc, output = start_until(args, env, 'is running at', parent=parent)
        started.append(proc)
        return proc, output

    yield start
    checkpoint.stop(started)


@pytest.mark.parametrize('database', ['from DATABASE_URL', 'embedded'])
def test_run_command_serves_the_part_and_stops_on_ctrl_c(part_dir, run_command, database):
    port = checkpoint.free_port()
    proc, output = run_command(port, database)
    url = 'http://127.0.0.1:{}/'.format(port)
    assert '{} is running at {}'.format(part_dir.name, url) in output, output
    needs_database = (part_dir / 'migrations').is_dir()
    assert ('starting an embedded PostgreSQL' in output) == (needs_database and database == 'embedded')
    needs_redis = (part_dir / 'worker.py').is_file()
    assert ('starting an embedded Redis' in output) == (needs_redis and database == 'embedded')
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
    # The URLs of the servers it started, each alone on its line, for psql or a .env.
    printed = printed_urls(output)
    assert ('DATABASE_URL' in printed) == (needs_database and database == 'embedded'), output
    assert ('REDIS_URL' in printed) == (needs_redis and database == 'embedded'), output
    if 'DATABASE_URL' in printed:
        with psycopg2.connect(printed['DATABASE_URL']) as conn, conn.cursor() as cur:
            cur.execute('SELECT count(*) FROM alembic_version')  # the migrations it applied
            assert cur.fetchone() == (1,)
    if 'REDIS_URL' in printed:
        import redis  # part 4's

        with redis.from_url(printed['REDIS_URL']) as conn:
            assert conn.ping()
    web_pids = [child.pid for child in psutil.Process(proc.pid).children()]
    assert web_pids, 'no process started'
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output + rest
    assert '[run] Stopping.' in rest
    assert not [pid for pid in web_pids if alive(pid)], 'processes left running'


@pytest.mark.parametrize('how', STOPS_OTHERS_SLOW)
def test_run_command_stops_everything_on_a_closed_terminal_or_sigterm(run_command, private_tmp, how):
    proc, output = run_command(checkpoint.free_port(), 'embedded', parent=how == 'its parent killed')
    pids = started_by(proc, private_tmp / 'postgres')
    assert pids, output
    stop_as(proc, how)
    wait_until_gone(proc, pids, output)
    assert not (private_tmp / 'run.pid').exists()


def test_a_second_run_on_the_same_data_says_where_the_first_runs(run_command):
    # The first run is asked for a taken port: it moves to a free one, and the
    # second run names the port the first really took.
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        first, output = run_command(port)
    assert 'Port {} is taken; using '.format(port) in output, output
    url = re.search(r'is running at (\S+)', output).group(1)
    assert ':{}/'.format(port) not in url, output
    second, refused = run_command(checkpoint.free_port())
    assert second.wait(30) != 0
    assert 'Already running at {}, pid {}'.format(url, first.pid) in refused, refused
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200


def test_a_killed_run_leaves_nothing_that_stops_the_next(run_command, private_tmp):
    killed, _ = run_command(checkpoint.free_port(), 'embedded')
    pids = started_by(killed, private_tmp / 'postgres')
    killed.kill()  # SIGKILL: no chance to stop anything
    killed.wait(10)
    # What it started runs on; stop all but its PostgreSQL, which the next run takes over.
    for pid in pids[:-1] if (private_tmp / 'postgres').is_dir() else pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    proc, output = run_command(checkpoint.free_port(), 'embedded')
    assert 'A run that was killed (pid {}) left'.format(killed.pid) in output, output
    pids = started_by(proc, private_tmp / 'postgres')
    proc.send_signal(signal.SIGINT)
    rest = wait_until_gone(proc, pids, output)
    assert proc.returncode == 0, output + rest
