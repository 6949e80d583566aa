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
    STOPS,
    alive,
    exit_code_within,
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


def assert_serves(part_dir, url, output, embedded):
    """The run serves url; embedded: it started the servers, printed their URLs, applied the migrations."""
    assert '{} is running at {}'.format(part_dir.name, url) in output, output
    needs_database = (part_dir / 'migrations').is_dir()
    assert ('starting an embedded PostgreSQL' in output) == (needs_database and embedded), output
    needs_redis = (part_dir / 'worker.py').is_file()
    assert ('starting an embedded Redis' in output) == (needs_redis and embedded), output
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
    # The URLs of the servers it started, each alone on its line, for psql or a .env.
    printed = printed_urls(output)
    assert ('DATABASE_URL' in printed) == (needs_database and embedded), output
    assert ('REDIS_URL' in printed) == (needs_redis and embedded), output
    if 'DATABASE_URL' in printed:
        with psycopg2.connect(printed['DATABASE_URL']) as conn, conn.cursor() as cur:
            cur.execute('SELECT count(*) FROM alembic_version')  # the migrations it applied
            assert cur.fetchone() == (1,)
    if 'REDIS_URL' in printed:
        import redis  # part 4's

        with redis.from_url(printed['REDIS_URL']) as conn:
            assert conn.ping()


def assert_stops(proc, pids, output, how='SIGINT'):
    """Stopped as how says (Ctrl-C: SIGINT), the run ends well and every one of pids with it."""
    assert pids, 'no process started:\n' + output
    stop_as(proc, how)
    rest = wait_until_gone(proc, pids, output)
    if how in ('SIGINT', 'SIGTERM'):
        assert proc.returncode == 0, output + rest
        assert '[run] Stopping.' in rest, output + rest
    return rest


def test_run_command_serves_the_part_and_stops_on_ctrl_c(part_dir, run_command, private_tmp):
    # On the DATABASE_URL (REDIS_URL) given: test_a_second_run_on_the_same_data_says_where_the_first_runs.
    port = checkpoint.free_port()
    proc, output = run_command(port, 'embedded')
    assert_serves(part_dir, 'http://127.0.0.1:{}/'.format(port), output, embedded=True)
    assert_stops(proc, started_by(proc, private_tmp / 'postgres'), output)
    assert not (private_tmp / 'run.pid').exists()


# SIGTERM: test_a_killed_run_leaves_nothing_that_stops_the_next stops its second run so.
@pytest.mark.slow
@pytest.mark.parametrize('how', [how for how in STOPS if how != 'SIGTERM'])
def test_run_command_stops_everything_on_a_closed_terminal_or_a_killed_parent(run_command, private_tmp, how):
    proc, output = run_command(checkpoint.free_port(), 'embedded', parent=how == 'its parent killed')
    assert_stops(proc, started_by(proc, private_tmp / 'postgres'), output, how)
    assert not (private_tmp / 'run.pid').exists()


def test_a_second_run_on_the_same_data_says_where_the_first_runs(part_dir, run_command):
    # The first run, on the DATABASE_URL (and REDIS_URL) given, is asked for a taken
    # port: it moves to a free one, and the second run names the port the first really took.
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        first, output = run_command(port)
    assert 'Port {} is taken; using '.format(port) in output, output
    url = re.search(r'is running at (\S+)', output).group(1)
    assert ':{}/'.format(port) not in url, output
    second, refused = run_command(checkpoint.free_port())
    assert exit_code_within(second, 30, 'refuse at once while the first runs') != 0
    assert 'Already running at {}, pid {}'.format(url, first.pid) in refused, refused
    assert_serves(part_dir, url, output, embedded=False)
    assert_stops(first, [child.pid for child in psutil.Process(first.pid).children()], output)


def test_a_killed_run_leaves_nothing_that_stops_the_next(run_command, private_tmp):
    killed, _ = run_command(checkpoint.free_port(), 'embedded')
    pids = started_by(killed, private_tmp / 'postgres')
    killed.kill()  # SIGKILL: no chance to stop anything
    exit_code_within(killed, 10, 'end at once on SIGKILL')
    # What it started runs on; stop all but its PostgreSQL, which the next run takes over.
    for pid in pids[:-1] if (private_tmp / 'postgres').is_dir() else pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    proc, output = run_command(checkpoint.free_port(), 'embedded')
    assert 'A run that was killed (pid {}) left'.format(killed.pid) in output, output
    # The next run stopped as a platform stops it (SIGTERM): everything it started ends.
    assert_stops(proc, started_by(proc, private_tmp / 'postgres'), output, 'SIGTERM')
    assert not (private_tmp / 'run.pid').exists()
