"""tools/run.py serves the part, prints its URL and stops everything on Ctrl-C."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request

import pytest

import checkpoint


@pytest.fixture
def run_command(part_dir, part_env, subprocess_env, private_tmp):
    """Start tools/run.py for this part; returns (process, output up to its URL line)."""
    started = []

    def start(port, database='from DATABASE_URL'):
        env = dict(subprocess_env, APP_SETTINGS='config.DevelopmentConfig', **part_env)
        if database == 'embedded':
            for name in ('DATABASE_URL', 'REDIS_URL'):
                env.pop(name, None)
        args = [sys.executable, str(checkpoint.ROOT / 'tools' / 'run.py'), part_dir.name]
        args += ['--port', str(port), '--data-dir', str(private_tmp)]
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
