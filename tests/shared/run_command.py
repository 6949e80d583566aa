"""tools/run.py serves the part, prints its URL and stops everything on Ctrl-C."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import psutil
import pytest

import checkpoint


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
        if parent:
            args = [sys.executable, '-c', 'import subprocess, sys; subprocess.call(sys.argv[1:])', *args]
        proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        started.append(proc)
        watchdog = threading.Timer(120, proc.kill)  # never hang the test run
        watchdog.start()
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if 'is running at' in line:
                break
        watchdog.cancel()
        return proc, ''.join(lines)

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
    web_pids = children_of(proc.pid)
    assert web_pids, 'no process started'
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output + rest
    assert '[run] Stopping.' in rest
    assert not [pid for pid in web_pids if alive(pid)], 'processes left running'


def started_by(proc, private_tmp):
    """Every process the run command started, and its embedded PostgreSQL's (not a child of it)."""
    pids = [child.pid for child in psutil.Process(proc.pid).children(recursive=True)]
    postmaster = private_tmp / 'postgres' / 'postmaster.pid'
    if postmaster.exists():
        pids.append(int(postmaster.read_text().split()[0]))
    return pids


def wait_until_gone(proc, pids, output, timeout=60):
    rest, _ = proc.communicate(timeout=timeout)
    deadline = time.monotonic() + 15
    while [pid for pid in pids if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if alive(pid)], 'processes left running:\n' + output + rest
    return rest


@pytest.mark.parametrize('how', ['SIGHUP', 'SIGTERM', 'its parent killed'])
def test_run_command_stops_everything_on_a_closed_terminal_or_sigterm(run_command, private_tmp, how):
    # A closed terminal (or dropped SSH session) sends SIGHUP; a platform
    # SIGTERM; tox killed leaves the run command behind without a signal.
    proc, output = run_command(checkpoint.free_port(), 'embedded', parent=how == 'its parent killed')
    pids = started_by(proc, private_tmp)
    assert pids, output
    if how == 'its parent killed':
        proc.kill()
    else:
        os.kill(proc.pid, getattr(signal, how))
    wait_until_gone(proc, pids, output)
    assert not (private_tmp / 'run.pid').exists()


def test_a_second_run_on_the_same_data_says_where_the_first_runs(run_command):
    first, output = run_command(checkpoint.free_port())
    url = re.search(r'is running at (\S+)', output).group(1)
    second, refused = run_command(checkpoint.free_port())
    assert second.wait(30) != 0
    assert 'Already running at {}, pid {}'.format(url, first.pid) in refused, refused
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200


def test_a_killed_run_leaves_nothing_that_stops_the_next(run_command, private_tmp):
    killed, _ = run_command(checkpoint.free_port(), 'embedded')
    pids = started_by(killed, private_tmp)
    killed.kill()  # SIGKILL: no chance to stop anything
    killed.wait(10)
    # What it started runs on; stop all but its PostgreSQL, which the next run takes over.
    for pid in pids[:-1] if (private_tmp / 'postgres').is_dir() else pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    proc, output = run_command(checkpoint.free_port(), 'embedded')
    assert 'A run that was killed (pid {}) left'.format(killed.pid) in output, output
    pids = started_by(proc, private_tmp)
    proc.send_signal(signal.SIGINT)
    rest = wait_until_gone(proc, pids, output)
    assert proc.returncode == 0, output + rest


def test_run_command_moves_to_a_free_port_when_its_port_is_taken(run_command):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc, output = run_command(port)
        assert 'Port {} is taken; using '.format(port) in output, output
        url = re.search(r'is running at (\S+)', output).group(1)
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200


def children_of(pid):
    """PIDs of pid's direct children (Linux /proc)."""
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/{}/stat'.format(entry)) as stat:
                    fields = stat.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid):
    try:
        with open('/proc/{}/stat'.format(pid)) as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False
