"""Commands that run until stopped (tools/run.py, tools/services.py), as a learner starts them.

Shared by the run command's tests (tests/shared/run_command.py) and the
services command's (tests/services): start one and read its output up to a
line, stop it the ways a terminal or a platform does, and check with psutil
that nothing it started is left.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from checkpoint import end_processes

# A parent process of its own for the command, as tox is: killing it leaves the command without a signal.
THROUGH_A_PARENT = [sys.executable, '-c', 'import subprocess, sys; subprocess.call(sys.argv[1:])']

# The ways a command is stopped besides Ctrl-C: a closed terminal (or dropped
# SSH session) sends SIGHUP, a platform SIGTERM; tox killed leaves it behind without a signal.
STOPS = ['SIGHUP', 'SIGTERM', 'its parent killed']
# The same, each a pytest.param: SIGTERM in every run, the others (each a
# whole run with its servers, of the same shutdown) marked slow.
STOPS_OTHERS_SLOW = [how if how == 'SIGTERM' else pytest.param(how, marks=pytest.mark.slow) for how in STOPS]


def start_until(args, env, until, parent=False, timeout=120, cwd=None):
    """Start args and read its output up to the first line holding until (or its end).

    parent=True starts it through a parent process of its own. Returns (process,
    output so far); the rest is proc.communicate()'s.
    """
    if parent:
        args = [*THROUGH_A_PARENT, *args]
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    watchdog = threading.Timer(timeout, proc.kill)  # never hang the test run
    watchdog.start()
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if until in line:
            break
    watchdog.cancel()
    return proc, ''.join(lines)


def printed_urls(output):
    """{'DATABASE_URL': ..., 'REDIS_URL': ...} from the lines of output that hold nothing else."""
    return dict(re.findall(r'^(DATABASE_URL|REDIS_URL)=(\S+)$', output, re.M))


def stop_as(proc, how):
    """Stop proc as STOPS (or 'SIGINT', Ctrl-C) says; for 'its parent killed', proc is that parent."""
    if how == 'its parent killed':
        proc.kill()
    else:
        os.kill(proc.pid, getattr(signal, how))


def postgres_pid(postgres_dir):
    """The pid of the embedded PostgreSQL of postgres_dir (not a child of the command), or None."""
    postmaster = Path(postgres_dir) / 'postmaster.pid'
    if postmaster.exists():
        return int(postmaster.read_text().split()[0])
    return None


def started_by(proc, postgres_dir):
    """Every process proc started, and its embedded PostgreSQL's."""
    pids = [child.pid for child in psutil.Process(proc.pid).children(recursive=True)]
    postgres = postgres_pid(postgres_dir)
    return pids + [postgres] if postgres else pids


def wait_until_gone(proc, pids, output, timeout=60):
    """Wait for proc, told to stop, to end and every one of pids with it; returns the rest of proc's output.

    When a deadline passes, the test fails saying what it waited for and what still
    runs, and ends those processes (not to disturb the next tests).
    """
    try:
        rest, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if proc.poll() is None:
            what = 'it still runs'
        else:  # its output stays open while a process it started holds it
            what = 'it exited with code {}, but what it started still holds its output open'.format(
                proc.returncode
            )
        left_behind(
            [proc.pid, *pids],
            'waited {} s for the command to end after it was told to stop: {}'.format(timeout, what),
            output,
        )
    deadline = time.monotonic() + 15
    while [pid for pid in pids if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    if [pid for pid in pids if alive(pid)]:
        left_behind(pids, 'the command ended, but 15 s later these were still running', output + rest)
    return rest


def exit_code_within(proc, seconds, should):
    """proc's exit code once it ends within seconds; else the test fails saying what proc should have done."""
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pass
    left_behind([proc.pid], 'waited {} s for the command to end: it should {}'.format(seconds, should), '')


def left_behind(pids, waited, output):
    """Fail the test: waited says what for; names the processes of pids still running, and ends them."""
    left = []
    for pid in pids:
        try:
            if alive(pid):
                left.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    names = []
    for process in left:
        try:
            names.append('{} ({})'.format(process.pid, ' '.join(process.cmdline())[:80] or process.name()))
        except psutil.Error:
            names.append(str(process.pid))
    end_processes(left)
    said = '. Its output:\n' + output if output else '.'
    pytest.fail('{}; still running: {}{}'.format(waited, ', '.join(names) or 'none', said))


def alive(pid):
    """True while pid runs (a zombie has ended)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_until_listening(proc, url, timeout=60):
    """Wait until the worker process has registered itself in Redis."""
    # Imported here: only part 4's environments have redis and rq.
    import redis
    from rq import Worker

    deadline = time.monotonic() + timeout
    tls = {'ssl_cert_reqs': 'none', 'ssl_check_hostname': False} if url.startswith('rediss:') else {}
    with redis.from_url(url, **tls) as conn:
        while not any(worker.pid == proc.pid for worker in Worker.all(connection=conn)):
            if proc.poll() is not None:
                raise RuntimeError(
                    'The worker exited with code {}:\n{}'.format(proc.returncode, proc.log.read_text())
                )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    'The worker did not start within {}s:\n{}'.format(timeout, proc.log.read_text())
                )
            time.sleep(0.05)
