"""What the docs' browser tests share (tox -e docs-browser): one build, one Chromium."""

import subprocess
import sys

import pytest

import checkpoint
from browser import headless_chromium


@pytest.fixture(scope='session')
def html(tmp_path_factory):
    out = tmp_path_factory.mktemp('html')
    result = subprocess.run(
        [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-n', '-q', '-b', 'html']
        + [str(checkpoint.ROOT / 'docs'), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope='session')
def browser():
    with headless_chromium('docs-browser') as chromium:
        yield chromium
