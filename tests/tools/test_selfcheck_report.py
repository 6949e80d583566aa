"""The self-check's report, without running a check: where an error is, and the 80-column layout.

tools/selfcheck.py and the location functions of tests/selfcheck_plugin.py; the runs
themselves are in tests/selfcheck/test_selfcheck.py (tox -e checker-partN).
"""

import io
import json
import re
import shutil
import subprocess
import sys

import pytest
import selfcheck  # tools/selfcheck.py
import selfchecks

import checkpoint

plugin = selfcheck.selfcheck_plugin()
ANSI = re.compile(r'\x1b\[')


@pytest.fixture
def copy(tmp_path):
    """A working copy as the self-check makes it: fbe-check-…/part2-database."""
    folder = tmp_path / 'fbe-check-x1' / 'part2-database'
    (folder / 'migrations' / 'versions').mkdir(parents=True)
    (folder / 'app.py').write_text('from config import configure\n')
    (folder / 'config.py').write_text('class Config(object):\n    DEBUG = False)\n')
    (folder / 'migrations' / 'env.py').write_text('# env\n')
    return folder


# --- where: paths as the learner names them ---------------------------------------------


def test_a_path_in_the_copy_is_named_from_the_folder(copy):
    text = "cannot import name 'db' from partially initialized module 'app' ({})".format(copy / 'app.py')
    said = plugin.in_learners_terms(text, copy)
    assert said.endswith("module 'app' (app.py)")
    assert (
        plugin.in_learners_terms('in {}, and {}/'.format(copy, copy), copy)
        == 'in your folder, and your folder'
    )


def test_a_file_of_a_check_s_own_copy_is_named_when_its_bytes_are_theirs(copy, tmp_path):
    """Some checks copy the folder (flask run with .env.example): their tracebacks name that copy."""
    other = tmp_path / 'pytest-7' / 'test_flask_run0' / 'folder'
    shutil.copytree(copy, other)
    text = 'File "{}", line 2\nFile "{}", line 1'.format(other / 'config.py', other / 'migrations' / 'env.py')
    assert (
        plugin.in_learners_terms(text, copy) == 'File "config.py", line 2\nFile "migrations/env.py", line 1'
    )
    # A file of the same name that is not theirs (a package's app.py) keeps its path.
    package = tmp_path / 'site-packages' / 'flask' / 'app.py'
    package.parent.mkdir(parents=True)
    package.write_text('class Flask: ...\n')
    assert plugin.in_learners_terms('File "{}"'.format(package), copy) == 'File "{}"'.format(package)
    # A URL is not a path.
    assert plugin.in_learners_terms('see http://localhost/app.py', copy) == 'see http://localhost/app.py'


def test_the_innermost_frame_in_the_folder_is_where_it_happened(copy):
    frames = [
        (str(copy / 'app.py'), 6),
        ('<frozen importlib._bootstrap>', 241),
        (str(copy / 'config.py'), 2),
        ('/usr/lib/python3/site-packages/sqlalchemy/engine.py', 90),
    ]
    assert plugin.locate(frames, copy) == {'file': 'config.py', 'line': 2, 'shown': ''}
    assert plugin.locate(frames[1:2], copy) is None


def test_a_syntax_error_is_where_it_is_not_where_it_was_imported(copy):
    try:
        compile((copy / 'config.py').read_text(), str(copy / 'config.py'), 'exec')
    except SyntaxError as error:
        where = plugin.locate([(str(copy / 'app.py'), 1)], copy, plugin.syntax_of(error))
    assert where['file'] == 'config.py' and where['line'] == 2
    source, caret = where['shown'].splitlines()
    assert source == '    DEBUG = False)'  # as Python shows it: indented by 4, not by its own
    assert caret.strip() == '^' and len(caret) == len(source)
    assert plugin.said(where) == ' (config.py, line 2)\n' + where['shown']


def test_a_syntax_error_in_a_command_s_output_is_located_with_its_line_and_caret(copy):
    """As flask db upgrade prints it, quoted in a failed assert (pytest indents it by 2)."""
    output = (
        'Traceback (most recent call last):\n'
        '  File "/venv/bin/flask", line 8, in <module>\n'
        '  File "{}", line 19\n'
        '    def upgrade(:\n'
        '                ^\n'
        'SyntaxError: invalid syntax\n'
    ).format(copy / 'migrations' / 'env.py')
    for text in (output, output.replace('\n', '\n  ')):
        where = plugin.in_output(text, copy)
        assert where['file'] == 'migrations/env.py' and where['line'] == 19
        assert where['shown'] == '    def upgrade(:\n                ^'
    assert plugin.in_output('Error: planted', copy) is None


# --- the report in 80 columns, without colour where colour is not wanted -----------------


def test_a_long_message_wraps_at_80_columns_with_a_hanging_indent():
    url = 'parts/part2-database.html#connect-the-app-to-the-database-and-then-some-more-words'
    text = 'hint: ' + 'a circular import: models.py imports db from app, ' * 3 + 'See ' + url
    lines = selfcheck.wrap(text, 80, 8, 14).splitlines()
    assert len(lines) > 2
    assert lines[0].startswith(' ' * 8 + 'hint: ') and all(line.startswith(' ' * 14) for line in lines[1:])
    assert all(len(line) <= 80 for line in lines[:-1])
    assert lines[-1].strip() == url  # longer than the room left: on a line of its own, whole
    place = 'x' * 47 + ' ImportError: cannot import name (models.py, line 3)'
    assert '(models.py, line 3)' in selfcheck.wrap(place, 80, 8, 10).splitlines()[-1]


def test_lines_shown_as_they_are_stay_so_and_are_cut_at_the_width():
    text = (
        'SyntaxError: unmatched (config.py, line 7)\n    DEBUG = False)\n                 ^\n  | ' + 'y' * 200
    )
    lines = selfcheck.wrap(text, 80, 8, 10).splitlines()
    assert lines[1:3] == [' ' * 12 + 'DEBUG = False)', ' ' * 25 + '^']
    assert len(lines[3]) == 80 and lines[3].endswith('…')


def report_of(monkeypatch, tty, **env):
    """The printed report of a failed doctor stage, its stdout a terminal or not."""
    for name in ('NO_COLOR', 'COLUMNS'):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    out.isatty = lambda: tty
    monkeypatch.setattr(sys, 'stdout', out)
    report = selfcheck.Report('part2', selfchecks.PARTS['part2'], None)
    message = "ModuleNotFoundError: No module named 'psycopg' (app.py, line 11)"
    report.add_doctor(selfcheck.IMPORTS, message)
    report.skip_rest('needs 0.1 to pass first')
    assert report.finish() == 1
    return out.getvalue()


def test_the_report_is_coloured_only_on_a_terminal_without_no_color(monkeypatch):
    assert ANSI.search(report_of(monkeypatch, tty=True))
    assert not ANSI.search(report_of(monkeypatch, tty=True, NO_COLOR='1'))
    assert not ANSI.search(report_of(monkeypatch, tty=False))


def test_every_line_of_the_report_fits_80_columns(monkeypatch):
    shown = report_of(monkeypatch, tty=False, COLUMNS='200')
    assert 'hint: The self-check gives your app a postgresql:// URL' in shown
    assert max(len(line) for line in shown.splitlines()) <= 80, shown
    # A narrower terminal narrows it; only a link longer than the room left overflows, whole.
    narrow = report_of(monkeypatch, tty=False, COLUMNS='60').splitlines()
    assert [line.split() for line in narrow if len(line) > 60] == [
        ['parts/part2-database.html#update-the-configuration']
    ]


def test_no_hint_sends_the_learner_to_a_change_the_self_check_cannot_see():
    """The self-check never reads .env: a hint that names it says so."""
    for *_, advice, _link in selfchecks.HINTS:
        if re.search(r'\.env\b(?!\.example)', advice):
            assert 'never read' in advice, advice
        assert re.search(r'\b[\w/]+\.py\b|Procfile|\.env\.example|migrations/', advice), (
            'a hint names the file to change: ' + advice
        )


def test_the_classroom_file_has_a_place_and_a_duration_per_check(tmp_path):
    """A folder that is not there: one line; the file still lists the run, with every field."""
    out = tmp_path / 'classroom.json'
    command = [sys.executable, str(checkpoint.ROOT / 'tools' / 'selfcheck.py'), 'check-part1']
    done = subprocess.run(
        command + [str(tmp_path / 'nowhere'), '--classroom', str(out)], capture_output=True, text=True
    )
    assert done.returncode == 2
    (test,) = json.loads(out.read_text())['tests']
    assert set(test) == {'name', 'status', 'score', 'message', 'test_code', 'filename', 'line_no', 'duration'}
