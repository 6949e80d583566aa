"""Which part the tests in this pytest process are about."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Modules a part defines. They are imported afresh for every app a test loads,
# because app.py reads the environment when it is imported.
PART_MODULES = ('app', 'config', 'fetch', 'models', 'manage', 'stop_words', 'worker', 'jobs')

_selected = {}


def use_part(folder):
    """Called by tests/partN/conftest.py: put that part (and only it) on sys.path."""
    part_dir = ROOT / folder
    if _selected and _selected['dir'] != part_dir:
        raise pytest.UsageError(
            'Run one part per pytest process (its modules share names): '
            'for example "tox -e part2" or "pytest tests/part2".'
        )
    _selected['dir'] = part_dir
    if str(part_dir) not in sys.path:
        sys.path.insert(0, str(part_dir))
    return part_dir


def selected_part():
    if not _selected:
        raise pytest.UsageError('This test is not inside a tests/partN folder.')
    return _selected['dir']
