"""The docs build fails when a part's page leaves a change unexplained.

Each build is of a copy of docs/ (with Sphinx's fast "dummy" builder and the same
-W --keep-going -n as tox -e docs) after breaking it; the part folders, tests/ and
tools/ are linked, not copied. A build costs seconds, so breaks that touch different
pages or files share one build, and each test checks that the build warns about its
own break, by its own words: with -W any warning fails the build. The breaks are made
from what the pages and part folders hold today, so the tests keep working as the
pages change.
"""

import functools
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
PARTS = checkpoint.parts()


def copy_of_the_repo(folder):
    """A stand-in repository root in folder: a copy of docs/, links to everything else."""
    root = folder / 'repo'
    root.mkdir()
    for entry in checkpoint.ROOT.iterdir():
        if entry.name == 'docs':
            shutil.copytree(entry, root / 'docs', ignore=shutil.ignore_patterns('_build'))
        elif not entry.name.startswith('.'):
            (root / entry.name).symlink_to(entry)
    return root


class Build:
    """The outcome of building a copy of the docs: returncode and output."""

    def __init__(self, root):
        result = subprocess.run(
            [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-n', '-q', '-b', 'dummy']
            + [str(root / 'docs'), str(root / '_build')],
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.returncode, self.output = result.returncode, result.stdout + result.stderr

    def warning(self, text):
        """The warning line that holds text; fails the test when there is none."""
        found = [line for line in self.output.splitlines() if text in line]
        assert found, 'no warning says {!r}:\n{}'.format(text, self.output)
        assert self.returncode != 0, self.output
        assert any('WARNING' in line or 'ERROR' in line for line in found), found
        return found[0]


def broken_build(tmp_path_factory, *breaks):
    """Build a copy after breaks(root) each; returns (Build, what each break returned)."""
    root = copy_of_the_repo(tmp_path_factory.mktemp('docs-build'))
    made = [make(root) for make in breaks]
    return Build(root), made


@pytest.fixture(scope='module')
def on_every_part_page(tmp_path_factory):
    """on_every_part_page(make): one build after make(root, part) on every part's page, made once.

    Returns (Build, {part: what make returned}).
    """
    builds = {}

    def build(make):
        if make not in builds:
            made = [functools.partial(make, part=part) for part in PARTS]
            outcome, returned = broken_build(tmp_path_factory, *made)
            builds[make] = outcome, dict(zip(PARTS, returned, strict=True))
        return builds[make]

    return build


def part_page(root, part):
    return root / 'docs' / 'parts' / (part.name + '.rst')


def replace_blocks(page, path, replacement=''):
    """Remove every part-diff of path from the page, putting replacement where the first was."""
    text = page.read_text()
    found = [match for match in DIRECTIVE.finditer(text) if match.group(1) == path]
    assert found, '{} shows no diff of {}'.format(page.name, path)
    for match in reversed(found):
        text = text[: match.start()] + (replacement if match is found[0] else '') + text[match.end() :]
    page.write_text(text)


def previous(part):
    index = PARTS.index(part)
    return PARTS[index - 1] if index else None


def diff_of(part, path):
    old = previous(part)
    old_lines = (old / path).read_text().splitlines() if old and (old / path).is_file() else []
    return partdiff.diff_lines(old_lines, (part / path).read_text().splitlines())


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


# --- a copy that must build cleanly ------------------------------------------------------


def collapse_a_file(root):
    part = PARTS[1]
    path, excerpt = an_excerpt_leaving_something_out(part)
    replace_blocks(part_page(root, part), path, excerpt.replace(':hunks: 1', ':collapsed:'))


def test_a_collapsed_file_counts_as_shown_and_needs_no_excerpts(tmp_path_factory):
    # This copy builds cleanly, so the warnings below come from their breaks, not from the copy itself.
    build, _ = broken_build(tmp_path_factory, collapse_a_file)
    assert build.returncode == 0, build.output


# --- one build: on each part's page, one changed file left out ---------------------------


def remove_a_file(root, part):
    page = part_page(root, part)
    first = DIRECTIVE.search(page.read_text())
    assert first, '{} shows no diff at all'.format(page.name)
    replace_blocks(page, first.group(1))
    return first.group(1)


@pytest.mark.parametrize('part', PARTS, ids=lambda p: p.name)
def test_removing_a_file_from_a_part_page_fails_the_build(on_every_part_page, part):
    build, paths = on_every_part_page(remove_a_file)
    line = build.warning('{}/{} is '.format(part.name, paths[part]))
    assert 'but not shown: add ".. part-diff:: {}"'.format(paths[part]) in line


# --- one build: on each part's page, an excerpt that leaves part of a change out ----------


def leave_a_hunk_out(root, part):
    path, excerpt = an_excerpt_leaving_something_out(part)
    replace_blocks(part_page(root, part), path, excerpt)
    return path, excerpt


@pytest.mark.parametrize('part', PARTS, ids=lambda p: p.name)
def test_an_excerpt_that_leaves_a_hunk_out_fails_the_build(on_every_part_page, part):
    build, made = on_every_part_page(leave_a_hunk_out)
    path, excerpt = made[part]
    line = build.warning('{}/{}: no excerpt on this page shows its '.format(part.name, path))
    if ':lines: 1' in excerpt:
        # The warning names the lines left out, blank ones aside.
        text = (part / path).read_text().splitlines()
        missing = [str(n) for n, line in enumerate(text, 1) if n > 1 and line.strip()]
        assert 'added lines {}'.format(missing[0]) in line


# --- one build: breaks of different pages and files ---------------------------------------


def add_an_excerpt_without_a_change(root):
    part = PARTS[1]
    page = part_page(root, part)
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
    return path


def add_a_part_folder_without_a_page(root):
    last = PARTS[-1]
    number = int(checkpoint.PART_PATTERN.match(last.name).group(1)) + 1
    shutil.copytree(last, root / 'part{}-extra'.format(number), ignore=shutil.ignore_patterns('__pycache__'))
    return number


def show_an_unchanged_file(root):
    page = root / 'docs' / 'parts' / 'part2-database.rst'
    page.write_text(page.read_text() + '\n.. part-diff:: Procfile\n')


def delete_a_screenshot(root):
    (root / 'docs' / '_static' / 'screenshots' / 'part1-setup.png').unlink()


def remove_a_pages_screenshot(root):
    page = root / 'docs' / 'parts' / 'part1-setup.rst'
    text = page.read_text()
    found = re.search(r'^\.\. part-screenshot::\n(?:[ \t]+\S.*\n)*', text, re.MULTILINE)
    assert found, 'part1-setup.rst shows no screenshot'
    page.write_text(text[: found.start()] + text[found.end() :])


@pytest.fixture(scope='module')
def other_breaks(tmp_path_factory):
    breaks = (
        add_an_excerpt_without_a_change,
        add_a_part_folder_without_a_page,
        show_an_unchanged_file,
        delete_a_screenshot,
        remove_a_pages_screenshot,
    )
    build, made = broken_build(tmp_path_factory, *breaks)
    return build, dict(zip(breaks, made, strict=True))


def test_an_excerpt_without_a_change_fails_the_build(other_breaks):
    build, made = other_breaks
    path = made[add_an_excerpt_without_a_change]
    build.warning('part-diff: this excerpt of {} shows no change'.format(path))


def test_a_part_folder_without_a_page_fails_the_build(other_breaks):
    build, made = other_breaks
    build.warning('part folder part{}-extra has no page'.format(made[add_a_part_folder_without_a_page]))


def test_showing_an_unchanged_file_fails_the_build(other_breaks):
    build, _ = other_breaks
    build.warning('part-diff: Procfile does not change from part1-setup to part2-database')


def test_a_missing_screenshot_fails_the_build(other_breaks):
    build, _ = other_breaks
    build.warning('part1-setup.png is missing')


def test_a_page_without_its_screenshot_fails_the_build(other_breaks):
    build, _ = other_breaks
    assert 'part1-setup.rst' in build.warning('this page has no ".. part-screenshot::"')
