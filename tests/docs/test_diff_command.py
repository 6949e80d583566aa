"""The instructors' diff command shows each step's changes, new files included, and no leftovers.

The command is read from docs/instructors.rst and run, as written there, on copies of
two consecutive parts in which a test run and a learner have left files behind.
"""

import re
import shlex
import shutil
import subprocess
import sys

import pytest

import checkpoint

sys.path.insert(0, str(checkpoint.ROOT / 'docs' / '_ext'))
import partdiff  # noqa: E402

PARTS = checkpoint.parts()
# What running a part, its tests or the run command leaves in its folder.
LEFTOVERS = [
    '__pycache__/app.cpython-311.pyc',
    'migrations/__pycache__/env.cpython-311.pyc',
    '.venv/bin/python',
    '.env',
    '.pytest_cache/v/cache/lastfailed',
    '.run/postgres/PG_VERSION',
]


def documented_command():
    """The diff command of docs/instructors.rst, its continuation line joined."""
    text = (checkpoint.ROOT / 'docs' / 'instructors.rst').read_text()
    found = re.search(r'^\s*\$ (diff -ruN .*?)\n(?:\s+(\S.*)\n)?', text, re.MULTILINE)
    assert found, 'docs/instructors.rst shows no "diff -ruN" command'
    command = found.group(1).rstrip('\\ ') + ' ' + (found.group(2) or '')
    return shlex.split(command)


@pytest.mark.parametrize('old, new', list(zip(PARTS, PARTS[1:], strict=False)), ids=lambda p: p.name)
def test_the_documented_diff_lists_exactly_the_steps_changes(tmp_path, old, new):
    command = documented_command()
    assert command[-2:] == ['part1-setup', 'part2-database'], command
    for part in (old, new):
        shutil.copytree(part, tmp_path / part.name, ignore=shutil.ignore_patterns('__pycache__'))
        for leftover in LEFTOVERS:
            path = tmp_path / part.name / leftover
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text('left behind by ' + part.name)
    result = subprocess.run(
        command[:-2] + [old.name, new.name], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr  # diff: 1 means "the folders differ"
    listed = {
        line.split()[-1].split('/', 1)[1] for line in result.stdout.splitlines() if line.startswith('diff -')
    }
    assert listed == set(partdiff.changed_files(old, new))
    # New files come whole, not as "Only in ...".
    assert 'Only in' not in result.stdout
