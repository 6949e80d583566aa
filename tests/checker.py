"""Run the self-check (tools/selfcheck.py) as a learner does, for its own tests in tests/selfcheck.

test_selfcheck.py and test_golden.py share these: the run, a copy of a checkpoint
to plant a mistake in, and what the JSON report and the folder look like afterwards.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import selfchecks

import checkpoint


def run_selfcheck(short, folder, tmp_path, **env):
    """Run the self-check as tox -e check-partN does; returns (completed process, JSON report or None).

    The results for GitHub Classroom are written too: classroom(tmp_path) reads them.
    """
    report = tmp_path / 'report.json'
    command = [sys.executable, str(checkpoint.ROOT / 'tools' / 'selfcheck.py'), 'check-' + short, str(folder)]
    result = subprocess.run(
        command + ['--json', str(report), '--classroom', str(tmp_path / 'classroom.json')],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        env=dict(os.environ, **env),
    )
    data = json.loads(report.read_text()) if report.exists() else None
    return result, data


def copy_of(short, tmp_path):
    target = tmp_path / 'my-wordcount'
    source = checkpoint.ROOT / selfchecks.PARTS[short].folder
    shutil.copytree(source, target, ignore=shutil.ignore_patterns('__pycache__', '.env'))
    return target


def fingerprint(folder):
    """Every file under folder, with a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(folder).rglob('*'))
        if p.is_file()
    }


def red_lines(data):
    return [check for check in data['checks'] if check['status'] == 'fail']


def assert_schema(data):
    assert set(data) == (
        {'status', 'checks', 'message'} if data['status'] == 'error' else {'status', 'checks'}
    )
    assert data['status'] in ('pass', 'fail', 'error')
    for check in data['checks']:
        assert set(check) == {'name', 'status', 'message', 'help'}
        assert check['status'] in ('pass', 'fail', 'skip')


def nowhere_the_copy(result, tmp_path, folder):
    """Neither the working copy (fbe-check-…) nor any other temporary path shows, but the folder's own."""
    shown = result.stdout + result.stderr
    shown += (tmp_path / 'report.json').read_text() + (tmp_path / 'classroom.json').read_text()
    # The folder itself, and the virtual environment the checks run in (a clone in /tmp has it there).
    shown = shown.replace(str(folder), 'FOLDER').replace(sys.prefix, 'ENV')
    assert 'fbe-check' not in shown and '/tmp/' not in shown and str(tmp_path) not in shown, shown
