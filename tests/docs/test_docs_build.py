"""The docs build fails when a part's page leaves a change unexplained.

Each test builds a copy of docs/ (with Sphinx's fast "dummy" builder and the same
-W --keep-going -n as tox -e docs) after breaking it in one way, and checks that the
build fails and says why. The part folders, tests/ and tools/ are linked, not copied.
The breaks are made from what the pages and part folders hold today, so the tests keep
working as the pages change.
"""

import re
import shutil
import subprocess
import sys

import pytest

import checkpoint

sys.path.insert(0, str(checkpoint.ROOT / 'docs' / '_ext'))
import partdiff  # noqa: E402

# A part-diff directive with its options (indented lines starting with a colon).
DIRECTIVE = re.compile(r'^\.\. part-diff:: (\S+)[ \t]*\n(?:[ \t]+:.*\n)*', re.MULTILINE)


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


def replace_blocks(page, path, replacement=''):
    """Remove every part-diff of path from the page, putting replacement where the first was."""
    text = page.read_text()
    found = [match for match in DIRECTIVE.finditer(text) if match.group(1) == path]
    assert found, '{} shows no diff of {}'.format(page.name, path)
    for match in reversed(found):
        text = text[: match.start()] + (replacement if match is found[0] else '') + text[match.end() :]
    page.write_text(text)


def previous(part):
    parts = checkpoint.parts()
    index = parts.index(part)
    return parts[index - 1] if index else None


def diff_of(part, path):
    old = previous(part)
    old_lines = (old / path).read_text().splitlines() if old and (old / path).is_file() else []
    return partdiff.diff_lines(old_lines, (part / path).read_text().splitlines())


@pytest.mark.parametrize('part', checkpoint.parts(), ids=lambda p: p.name)
def test_removing_a_file_from_a_part_page_fails_the_build(repo, part):
    page = part_page(repo, part)
    first = DIRECTIVE.search(page.read_text())
    assert first, '{} shows no diff at all'.format(page.name)
    path = first.group(1)
    replace_blocks(page, path)
    returncode, output = build(repo)
    assert returncode != 0
    assert '{}/{} is '.format(part.name, path) in output
    assert 'but not shown: add ".. part-diff:: {}"'.format(path) in output


def an_excerpt_leaving_something_out(part):
    """(path, directive) for a file of this step: an excerpt that shows only part of its change."""
    changes = partdiff.changed_files(previous(part), part)
    for path in sorted(changes):
        lines = diff_of(part, path)
        if changes[path] == 'changed' and len(partdiff.hunks_of(lines, 3)) > 1:
            return path, '.. part-diff:: {}\n   :hunks: 1\n'.format(path)
        if changes[path] == 'added' and len(lines) > 1:
            return path, '.. part-diff:: {}\n   :lines: 1\n'.format(path)
    pytest.fail('{}: no file with more than one hunk or line'.format(part.name))


@pytest.mark.parametrize('part', checkpoint.parts(), ids=lambda p: p.name)
def test_an_excerpt_that_leaves_a_hunk_out_fails_the_build(repo, part):
    path, excerpt = an_excerpt_leaving_something_out(part)
    replace_blocks(part_page(repo, part), path, excerpt)
    returncode, output = build(repo)
    assert returncode != 0
    assert '{}/{}: no excerpt on this page shows its '.format(part.name, path) in output
    if ':lines: 1' in excerpt:
        # The warning names the lines left out, blank ones aside.
        text = (part / path).read_text().splitlines()
        missing = [str(n) for n, line in enumerate(text, 1) if n > 1 and line.strip()]
        assert 'added lines {}'.format(missing[0]) in output


def test_a_collapsed_file_counts_as_shown_and_needs_no_excerpts(repo):
    part = checkpoint.parts()[1]
    path, excerpt = an_excerpt_leaving_something_out(part)
    replace_blocks(part_page(repo, part), path, excerpt.replace(':hunks: 1', ':collapsed:'))
    returncode, output = build(repo)
    assert returncode == 0, output


def test_an_excerpt_without_a_change_fails_the_build(repo):
    part = checkpoint.parts()[1]
    page = part_page(repo, part)
    changes = partdiff.changed_files(previous(part), part)
    for path in sorted(path for path in changes if changes[path] == 'changed'):
        lines = diff_of(part, path)
        # A line that is unchanged, and so are the lines around it.
        quiet = [
            lines[k].new
            for k in range(1, len(lines) - 1)
            if {line.kind for line in lines[k - 1 : k + 2]} == {' '}
        ]
        if quiet:
            break
    else:
        pytest.fail('{}: no changed file with an unchanged stretch'.format(part.name))
    page.write_text(page.read_text() + '\n.. part-diff:: {}\n   :lines: {}\n'.format(path, quiet[0]))
    returncode, output = build(repo)
    assert returncode != 0
    assert 'part-diff: this excerpt of {} shows no change'.format(path) in output


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


def test_a_page_without_its_screenshot_fails_the_build(repo):
    page = repo / 'docs' / 'parts' / 'part1-setup.rst'
    text = page.read_text()
    found = re.search(r'^\.\. part-screenshot::\n(?:[ \t]+\S.*\n)*', text, re.MULTILINE)
    assert found, 'part1-setup.rst shows no screenshot'
    page.write_text(text[: found.start()] + text[found.end() :])
    returncode, output = build(repo)
    assert returncode != 0
    assert 'this page has no ".. part-screenshot::"' in output
