"""Golden tests of the self-check: broken learner folders, each with the report it must print.

Each folder in tests/selfcheck/golden/ is one case, named <part>-<what>. It holds the
learner's mistake and the report recorded for it:

- mistake.diff: a unified diff against the part's checkpoint (partN-...), applied to a
  fresh copy of it with git apply. Or folder.txt: the folder to check as it is, named
  by a line "Folder: PATH" (relative to the case), for whole folders such as the
  article's own code in tests/selfcheck/article_part1.
- The lines above the diff (or of folder.txt): first, one line saying what the learner
  did; then, optionally, "Red: TITLE" for each check that must fail (the report must
  have exactly these red lines, in this order; TITLE is part of the check's name) and
  "Says: WORDS" for words the red lines' messages or hints must hold. These hold
  whatever is recorded.
- report.txt: what tox -e check-partN -- FOLDER prints for it (standard output, then
  standard error), normalised by normalise() below.

Each case is one test, its id the folder's name (so tox -e checker-partN, which
selects -k partN, runs its part's cases). It runs the self-check on the case, asserts
that it fails (exit status 1), names the Red: checks and holds the Says: words, prints
no traceback, never shows the self-check's working copy or another temporary path
(nowhere_the_copy) and leaves the folder as it was; then compares the report with
report.txt, and fails with a unified diff (recorded, then this run) when their words
differ. Where a line wraps is left out of that comparison: it moves with the length of
a path the report shows (the temporary folder's, longer for a longer user name or
test name), and the report's 80 columns are tested in tests/tools/test_selfcheck_report.py.

When a change to the self-check changes reports on purpose, record them again, one
part or all four, then read the change in git diff:

    tox -e checker-part2 -- --record-golden
    tox -e checker-part1,checker-part2,checker-part3,checker-part4 -- --record-golden

--record-golden (tests/selfcheck/conftest.py) runs only the golden tests, and writes
each report.txt instead of comparing it. To run (compare) only part 2's golden tests:
tox -e checker-part2 -- -k "part2 and golden" (a -k of your own replaces the
environment's -k part2, so it names the part again). A new case is a new folder with a
mistake.diff (diff -ruN -x __pycache__ part2-database my-copy, with the lines above
it added), recorded the same way.
"""

import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import selfchecks
from checker import assert_schema, copy_of, fingerprint, nowhere_the_copy, red_lines, run_selfcheck

GOLDEN = Path(__file__).parent / 'golden'
CASES = sorted(path for path in GOLDEN.iterdir() if path.is_dir())


class Case:
    def __init__(self, path):
        self.path, self.short = path, path.name.split('-', 1)[0]
        self.diff = path / 'mistake.diff'
        header = self.diff if self.diff.exists() else path / 'folder.txt'
        lines = []
        for line in header.read_text(encoding='utf-8').splitlines():
            if line.startswith(('diff ', '--- ')):  # the diff itself
                break
            lines.append(line)
        self.description = lines[0]
        fields = [line.split(': ', 1) for line in lines[1:] if ': ' in line]
        self.red = [value for key, value in fields if key == 'Red']
        self.says = [value for key, value in fields if key == 'Says']
        self.folder = next((path / value for key, value in fields if key == 'Folder'), None)

    def lay_out(self, tmp_path):
        """The learner's folder, in tmp_path/my-wordcount."""
        if self.folder:
            return Path(shutil.copytree(self.folder, tmp_path / 'my-wordcount'))
        folder = copy_of(self.short, tmp_path)
        # No repository above the copy: git apply patches the folder's files as patch(1) does.
        env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tmp_path))
        subprocess.run(['git', 'apply', str(self.diff)], cwd=folder, env=env, check=True)
        return folder


def normalise(text, tmp_path):
    """What differs from run to run, or from machine to machine, made the same; nothing else.

    The paths of this run: the test's temporary folder (the learner's folder is in
    it), the system's (the self-check's working copy is in it), the random part of
    the working copy's name, and the temporary folder of the pytest run inside the
    self-check (its user's name, its number); the virtual environment (tox's) and
    where the packages are installed in it; the ports the checks' servers were given.
    """
    text = text.replace(sys.prefix, '<env>')  # first: a clone in /tmp has its environment there
    text = text.replace(str(tmp_path), '<tmp>').replace(tempfile.gettempdir(), '<tmpdir>')
    text = re.sub(r'fbe-check-(results-)?[\w-]+', r'fbe-check-\1<random>', text)
    text = re.sub(r'/pytest-of-[^/\s]+/pytest-\d+/', '/pytest-of-<user>/pytest-<n>/', text)
    text = re.sub(r'''[^\s'"(]*/site-packages/''', '.../site-packages/', text)
    return re.sub(r'\b(127\.0\.0\.1|localhost):\d+', r'\1:<port>', text)


def words_of(report):
    """The report with every run of spaces and line breaks as one space: its words, in order."""
    return ' '.join(report.split())


@pytest.mark.parametrize('path', CASES, ids=[path.name for path in CASES])
def test_golden(path, tmp_path, request):
    case = Case(path)
    folder = case.lay_out(tmp_path)
    before = fingerprint(folder)
    result, data = run_selfcheck(case.short, folder, tmp_path, NO_COLOR='1')
    report = normalise(result.stdout + result.stderr, tmp_path)
    recorded = path / 'report.txt'
    if request.config.getoption('record_golden'):
        recorded.write_text(report, encoding='utf-8')
    said = '{}: {}\n{}'.format(path.name, case.description, report)
    assert result.returncode == 1, said
    assert_schema(data)
    red = red_lines(data)
    if case.red:
        assert len(red) == len(case.red), said
        for check, title in zip(red, case.red, strict=True):
            assert title in check['name'], said
    for words in case.says:
        assert any(words in check['message'] + (check['help'] or '') for check in red), said
    if not any(check['name'].startswith('0.') for check in red):
        # app.py imports: only what cannot run without a red check is skipped.
        skipped = [check['name'] for check in data['checks'] if check['status'] == 'skip']
        assert len(skipped) <= selfchecks.HELD_BACK, said
    assert 'Traceback (most recent call last)' not in report, said
    nowhere_the_copy(result, tmp_path, folder)
    assert fingerprint(folder) == before, 'the self-check changed the folder'
    assert recorded.exists(), 'no report recorded: tox -e checker-{} -- --record-golden'.format(case.short)
    expected = recorded.read_text(encoding='utf-8')
    if words_of(report) != words_of(expected):
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            report.splitlines(keepends=True),
            'recorded: ' + str(recorded.relative_to(GOLDEN.parent)),
            'this run',
        )
        pytest.fail(
            '{}\nThe report changed (a change on purpose? tox -e checker-{} -- --record-golden):\n{}'.format(
                said.split('\n')[0], case.short, ''.join(diff)
            ),
            pytrace=False,
        )
