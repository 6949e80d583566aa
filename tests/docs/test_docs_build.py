"""The docs build fails when a part's page leaves a change unexplained.

Each test builds a copy of docs/ (with Sphinx's fast "dummy" builder and the same
-W --keep-going -n as tox -e docs) after breaking it in one way, and checks that the
build fails and says why. The part folders, tests/ and tools/ are linked, not copied.
"""

import re
import shutil
import subprocess
import sys

import pytest

import checkpoint

DIRECTIVE = re.compile(r'^\.\. part-diff:: (\S+)\n', re.MULTILINE)


@pytest.fixture
def repo(tmp_path):
    """A stand-in repository root: a copy of docs/, links to everything else."""
    root = tmp_path / 'repo'
    root.mkdir()
    for entry in checkpoint.ROOT.iterdir():
        if entry.name == 'docs':
            shutil.copytree(entry, root / 'docs', ignore=shutil.ignore_patterns('_build'))
        elif not entry.name.startswith('.'):
            (root / entry.name).symlink_to(entry)
    return root


def build(root):
    result = subprocess.run(
        [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-n', '-q', '-b', 'dummy']
        + [str(root / 'docs'), str(root / '_build')],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, result.stdout + result.stderr


def part_page(root, part):
    return root / 'docs' / 'parts' / (part.name + '.rst')


def test_the_copy_builds_cleanly(repo):
    # Without this, the failures below could come from the copy itself.
    returncode, output = build(repo)
    assert returncode == 0, output


@pytest.mark.parametrize('part', checkpoint.parts(), ids=lambda p: p.name)
def test_removing_a_diff_from_a_part_page_fails_the_build(repo, part):
    page = part_page(repo, part)
    text = page.read_text()
    removed = DIRECTIVE.search(text)
    assert removed, '{} shows no diff at all'.format(page.name)
    page.write_text(text[: removed.start()] + text[removed.end() :])
    returncode, output = build(repo)
    assert returncode != 0
    assert '{}/{} is '.format(part.name, removed.group(1)) in output
    assert 'but not shown: add ".. part-diff:: {}"'.format(removed.group(1)) in output


def test_a_part_folder_without_a_page_fails_the_build(repo):
    last = checkpoint.parts()[-1]
    number = int(checkpoint.PART_PATTERN.match(last.name).group(1)) + 1
    shutil.copytree(last, repo / 'part{}-extra'.format(number), ignore=shutil.ignore_patterns('__pycache__'))
    returncode, output = build(repo)
    assert returncode != 0
    assert 'part folder part{}-extra has no page'.format(number) in output


def test_showing_an_unchanged_file_fails_the_build(repo):
    page = repo / 'docs' / 'parts' / 'part2-database.rst'
    page.write_text(page.read_text() + '\n.. part-diff:: Procfile\n')
    returncode, output = build(repo)
    assert returncode != 0
    assert 'part-diff: Procfile does not change from part1-setup to part2-database' in output


def test_a_missing_screenshot_fails_the_build(repo):
    (repo / 'docs' / '_static' / 'screenshots' / 'part1-setup.png').unlink()
    returncode, output = build(repo)
    assert returncode != 0
    assert 'part1-setup.png' in output
