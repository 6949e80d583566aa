"""The article's track: manage.py on requirements-legacy.txt (tox -e legacy, legacy-part3, legacy-part4).

These tests run with the legacy packages installed (Flask 1.1, Flask-Script,
Flask-Migrate 2). LEGACY_PART names the part (default part2-database). The
cross-track tests also need a second virtualenv with that part's normal
requirements.txt; tox builds it and names it in CURRENT_STACK_VENV.
"""

import os
from pathlib import Path

import pytest

from harness import use_part

use_part(os.environ.get('LEGACY_PART') or 'part2-database')

NOTICE = 'manage.py: Flask-Script does not run on Flask 3'


@pytest.fixture(scope='session', autouse=True)
def article_stack():
    """Fail at once, not test by test, when the legacy packages are not the ones installed."""
    try:
        import flask_script  # noqa: F401
        from flask_migrate import MigrateCommand  # noqa: F401
    except ImportError as error:
        pytest.fail(
            'tests/legacy need the part\'s requirements-legacy.txt installed; '
            'run them with "tox -e legacy", "tox -e legacy-part3" or "tox -e legacy-part4" ({})'.format(error)
        )


@pytest.fixture(scope='session')
def current_python():
    """The Python of a virtualenv with part 2's requirements.txt (the current track)."""
    venv = os.environ.get('CURRENT_STACK_VENV', '').strip()
    if not venv:
        pytest.fail(
            'CURRENT_STACK_VENV is not set. "tox -e legacy" builds a virtualenv with '
            "the part's requirements.txt and sets it; run the tests that way."
        )
    for python in (Path(venv) / 'bin' / 'python', Path(venv) / 'Scripts' / 'python.exe'):
        if python.exists():
            return str(python)
    pytest.fail('CURRENT_STACK_VENV={} has no Python in bin/ or Scripts/.'.format(venv))


@pytest.fixture
def legacy_manage(run_in_part):
    """python manage.py ... with this environment's packages: the article's Flask-Script."""

    def run(*args, **kwargs):
        result = run_in_part(['python', 'manage.py', *args], **kwargs)
        assert NOTICE not in result.stderr, 'manage.py fell back to Flask\'s CLI:\n' + result.stderr
        return result

    return run


@pytest.fixture
def current_manage(run_in_part, current_python):
    """python manage.py ... in the current-stack virtualenv: Flask's own CLI."""

    def run(*args, **kwargs):
        result = run_in_part([current_python, 'manage.py', *args], **kwargs)
        assert NOTICE in result.stderr, result.stderr
        return result

    return run


@pytest.fixture
def part_env(database_url):
    return {'DATABASE_URL': database_url}


@pytest.fixture
def migrated(legacy_manage, database_url):
    """The test's database after the article's "python manage.py db upgrade"."""
    ok = legacy_manage('db', 'upgrade', DATABASE_URL=database_url)
    assert ok.returncode == 0, ok.stderr
    return database_url
