"""The self-check (tools/selfcheck.py) on the checkpoints, and on folders with planted mistakes.

Run with the part's packages: tox -e checker-part1 ... checker-part4 (.ci/run runs them).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest
import selfchecks
from checker import assert_schema, copy_of, fingerprint, nowhere_the_copy, red_lines, run_selfcheck

import checkpoint

PARTS = sorted(selfchecks.PARTS)


def classroom(tmp_path):
    """(points, max_score, the whole JSON) of the last run's results for GitHub Classroom."""
    data = json.loads((tmp_path / 'classroom.json').read_text())
    assert data['version'] == 1 and data['status'] in ('pass', 'fail', 'error')
    for test in data['tests']:
        assert test['status'] in ('pass', 'fail', 'error') and test['score'] in (0, 1)
    return sum(test['score'] for test in data['tests']), data['max_score'], data


class Watched:
    """Run the self-check with its own temporary folder and a mark of this test's in its environment.

    After the run, left() lists the processes that still carry the mark (the folder's code
    inherits it), and scratch is where the self-check made its working copy.
    """

    def __init__(self, tmp_path):
        self.tmp_path, self.mark = tmp_path, uuid.uuid4().hex
        self.scratch = tmp_path / 'scratch'
        self.scratch.mkdir()

    def env(self, **env):
        return dict(env, TMPDIR=str(self.scratch), SELFCHECK_TEST_MARK=self.mark)

    def run(self, short, folder, **env):
        began = time.monotonic()
        result, data = run_selfcheck(short, folder, self.tmp_path, **self.env(**env))
        self.seconds = time.monotonic() - began
        return result, data

    def left(self):
        return checkpoint.processes_of_run('SELFCHECK_TEST_MARK', self.mark)


@pytest.fixture
def watched(tmp_path):
    watch = Watched(tmp_path)
    yield watch
    left = watch.left()
    checkpoint.end_processes(left)  # not to disturb the next tests
    assert not left, 'the self-check left these running: {}'.format(left)
    assert not list(watch.scratch.glob('fbe-check-*')), 'the working copy is still there'


def rename_revisions(folder):
    """Give every migration revision a new id and file name, and add an empty revision on top."""
    versions = folder / 'migrations' / 'versions'
    files = sorted(versions.glob('*.py'))
    texts = {path: path.read_text() for path in files}
    ids = [re.search(r"^revision = '(\w+)'", text, re.M).group(1) for text in texts.values()]
    new_ids = {old: uuid.uuid4().hex[:12] for old in ids}
    for path, text in texts.items():
        for old, new in new_ids.items():
            text = text.replace(old, new)
        path.unlink()
        (versions / 'r{}_my_own_name.py'.format(len(list(versions.iterdir())))).write_text(text)
    head = new_ids[ids[-1]]  # parts 2-4 have one revision; a learner may have several
    (versions / 'zz_nothing_yet.py').write_text(
        '"""an empty revision"""\n'
        "revision = 'feedbeef0001'\ndown_revision = '{}'\nbranch_labels = None\ndepends_on = None\n\n\n"
        'def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n'.format(head)
    )


@pytest.mark.parametrize('short', PARTS)
def test_the_checkpoint_passes_its_own_selfcheck_and_is_left_as_it_was(short, tmp_path):
    folder = checkpoint.ROOT / selfchecks.PARTS[short].folder
    before = fingerprint(folder)
    result, data = run_selfcheck(short, folder, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_schema(data)
    assert data['status'] == 'pass'
    assert [c['status'] for c in data['checks']] == ['pass'] * len(data['checks'])
    assert '✗' not in result.stdout and '–' not in result.stdout
    assert fingerprint(folder) == before
    points, most, _ = classroom(tmp_path)
    assert points == most == len(list(selfchecks.checks(selfchecks.PARTS[short])))


@pytest.mark.parametrize('short', PARTS)
def test_a_copy_with_other_names_and_without_extras_passes(short, tmp_path):
    """Revision ids, file names and count are the learner's; manage.py and READMEs are not needed."""
    folder = copy_of(short, tmp_path)
    for name in ('manage.py', 'README.md', 'requirements-legacy.txt', 'migrations/README'):
        (folder / name).unlink(missing_ok=True)
    if (folder / 'migrations').is_dir():
        rename_revisions(folder)
    # The learner's own settings, environment and caches are not copied: these would break every check.
    (folder / '.env').write_text('APP_SETTINGS=config.Nope\nDATABASE_URL=mysql://nowhere/x\n')
    (folder / '.venv').mkdir()
    (folder / '.venv' / 'pyvenv.cfg').write_text('home = /nowhere\n')
    (folder / '__pycache__').mkdir()
    (folder / '__pycache__' / 'app.cpython-311.pyc').write_bytes(b'not bytecode')
    result, data = run_selfcheck(short, folder, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert data['status'] == 'pass'
    assert red_lines(data) == []


def edit(path, old, new):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def only_revision(folder):
    (revision,) = (folder / 'migrations' / 'versions').glob('*.py')
    return revision


@pytest.mark.parametrize('what', ['missing', 'empty', 'only ignored files'])
def test_part1_a_folder_with_nothing_to_check_gives_one_line(what, tmp_path):
    folder = tmp_path / 'mine'
    if what != 'missing':
        folder.mkdir()
    if what == 'only ignored files':
        (folder / '.env').write_text('APP_SETTINGS=config.DevelopmentConfig\n')
        (folder / '__pycache__').mkdir()
        (folder / '__pycache__' / 'app.cpython-311.pyc').write_bytes(b'')
    result, data = run_selfcheck('part1', folder, tmp_path)
    assert result.returncode == 2
    assert result.stdout == ''
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert str(folder) in result.stderr
    assert_schema(data)
    assert data['status'] == 'error' and data['checks'] == []
    assert data['message'] in result.stderr


# --- whatever the folder's code does, the self-check answers in time and leaves nothing running ---

IMPORTS = "app.py imports with the checkpoint's packages"


def with_app_py(tmp_path, top='', old=None, new=None, short='part1'):
    """A copy of the part whose app.py starts with top (and has old replaced with new)."""
    folder = copy_of(short, tmp_path)
    if old is not None:
        edit(folder / 'app.py', old, new)
    path = folder / 'app.py'
    path.write_text(top + path.read_text())
    return folder


def the_red_line(result, data, check):
    assert result.returncode == 1, result.stdout + result.stderr
    red = red_lines(data)
    assert len(red) == 1 and check in red[0]['name'], result.stdout
    assert 'Traceback' not in result.stdout + result.stderr
    return red[0]


def test_part1_a_server_started_at_import_is_named_at_once(watched, tmp_path):
    folder = with_app_py(tmp_path, old="if __name__ == '__main__':\n    app.run()", new='app.run()')
    result, data = watched.run('part1', folder)
    red = the_red_line(result, data, IMPORTS)
    assert 'importing app.py started a server' in red['message'], result.stdout
    assert "__main__" in red['help'] and 'flask run' in red['help']
    assert watched.seconds < 15, result.stdout  # not the import's 20 s


SLEEPER = "import subprocess\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\n"


def test_part1_a_process_started_at_import_is_named_and_ended(watched, tmp_path):
    result, data = watched.run('part1', with_app_py(tmp_path, SLEEPER))
    red = the_red_line(result, data, IMPORTS)
    assert 'importing app.py left 1 process running (sleep 600)' in red['message'], result.stdout
    assert 'Procfile' in red['help']
    assert watched.seconds < 15, result.stdout


def test_part1_an_endless_loop_at_import_is_reported_after_the_limit(watched, tmp_path):
    result, data = watched.run(
        'part1', with_app_py(tmp_path, 'while True:\n    pass\n'), SELFCHECK_IMPORT_LIMIT='3'
    )
    red = the_red_line(result, data, IMPORTS)
    assert 'importing app.py had not finished after 3 s; it printed nothing' in red['message'], result.stdout
    assert watched.seconds < 3 + 12, result.stdout


def test_part4_a_worker_started_from_app_py_is_named_and_ended(watched, tmp_path):
    top = "import subprocess\nimport sys\n\nsubprocess.Popen([sys.executable, 'worker.py'])\n"
    result, data = watched.run('part4', with_app_py(tmp_path, top, short='part4'))
    red = the_red_line(result, data, IMPORTS)
    assert re.search(r'importing app.py left \d+ process(es)? running \(python worker.py\)', red['message'])
    assert 'Procfile' in red['help']
    assert watched.seconds < 30, result.stdout


FORKS = """import os, time
for _ in range(40):
    if os.fork() == 0:  # a child in a session of its own, whose child outlives it
        os.setsid()
        if os.fork() == 0:
            time.sleep(600)
        os._exit(0)
"""


def test_part1_a_fork_of_many_children_is_ended(watched, tmp_path):
    result, data = watched.run('part1', with_app_py(tmp_path, FORKS))
    red = the_red_line(result, data, IMPORTS)
    assert re.search(r'left \d+ processes running \(python', red['message']), result.stdout
    assert watched.seconds < 20, result.stdout


OUTSIDE = """from pathlib import Path
Path('written-by-app.txt').write_text('here')
Path(__file__).resolve().parent.parent.joinpath('written-by-app.txt').write_text('next to the folder')
Path('..', 'written-by-app-2.txt').write_text('next to the working directory')
"""


def test_part1_code_writing_outside_its_folder_leaves_the_folder_and_the_checkpoint_as_they_were(
    watched, tmp_path
):
    folder = with_app_py(tmp_path, OUTSIDE)
    before, checkpoint_before = fingerprint(folder), fingerprint(checkpoint.ROOT / 'part1-setup')
    result, data = watched.run('part1', folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert data['status'] == 'pass'
    assert fingerprint(folder) == before
    assert fingerprint(checkpoint.ROOT / 'part1-setup') == checkpoint_before
    everywhere = [checkpoint.ROOT, checkpoint.ROOT.parent, tmp_path, watched.scratch]
    assert [p for where in everywhere for p in where.glob('written-by-app*')] == []


def test_part1_a_very_large_output_is_shown_by_its_last_lines(watched, tmp_path):
    top = (
        "print('y' * 10_000_000)\n"
        "for n in range(200_000):\n    print('line', n, 'x' * 80)\n"
        "raise RuntimeError('planted after much output')\n"
    )
    result, data = watched.run('part1', with_app_py(tmp_path, top))
    red = the_red_line(result, data, IMPORTS)
    assert 'RuntimeError: planted after much output' in red['message'], result.stdout
    assert 'line 199999 ' in red['message'] and 'line 1 ' not in red['message']
    assert len(result.stdout) < 10_000 and len(json.dumps(data)) < 10_000
    assert watched.seconds < 30, result.stdout


def test_part1_a_request_the_app_never_answers_fails_its_check_in_time(watched, tmp_path):
    folder = with_app_py(tmp_path)
    edit(
        folder / 'app.py',
        '    return "Hello {}',
        "    while name == 'Ada':\n        pass\n    return \"Hello {}",
    )
    result, data = watched.run('part1', folder, SELFCHECK_REQUEST_LIMIT='2')
    red = the_red_line(result, data, 'GET /<name> greets the name')
    assert red['message'].startswith('the app had not answered GET /Ada after 2 s (app.py, line'), (
        result.stdout
    )
    assert watched.seconds < 60, result.stdout


@pytest.mark.parametrize('name', ['SIGINT', 'SIGTERM'])
def test_part1_ctrl_c_or_sigterm_ends_everything(name, watched, tmp_path):
    top = SLEEPER + 'while True:\n    pass\n'
    command = [sys.executable, str(checkpoint.ROOT / 'tools' / 'selfcheck.py'), 'check-part1']
    proc = subprocess.Popen(
        command + [str(with_app_py(tmp_path, top))],
        env=dict(os.environ, **watched.env()),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 15
    while not [p for p in watched.left() if 'sleep' in p.name()] and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(getattr(signal, name))
    try:
        output, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        message = '30 s after {} the self-check still ran; it should stop and say so:\n{}'
        raise AssertionError(message.format(name, output)) from None
    assert proc.returncode == 130, output
    assert 'stopped ({})'.format(name) in output


# --- folders made by tox -e start-partN (tools/start.py) ----------------------------------
# Each is the previous checkpoint: its check passes. Part 3's start scores what part 2
# already does, then full points with part 3's code in. The parametrized ids name only
# the part whose check runs, for the checker-partN environments' -k selection.


def started(short, tmp_path):
    folder = tmp_path / 'my-{}'.format(short)
    command = [sys.executable, str(checkpoint.ROOT / 'tools' / 'start.py'), 'start-' + short, str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return folder


@pytest.mark.parametrize('checked', ['check-part1', 'check-part2', 'check-part3'])
def test_a_started_folder_passes_the_check_of_the_part_before(checked, tmp_path):
    short = checked.removeprefix('check-')
    folder = started('part{}'.format(int(short.removeprefix('part')) + 1), tmp_path)
    result, data = run_selfcheck(short, folder, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert data['status'] == 'pass' and red_lines(data) == []
    points, most, _ = classroom(tmp_path)
    assert points == most


def test_part3_a_started_folder_scores_the_kept_checks_only_then_all_with_the_steps_code(tmp_path):
    folder = started('part3', tmp_path)
    result, data = run_selfcheck('part3', folder, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    points, most, found = classroom(tmp_path)
    assert 0 < points < most == len(list(selfchecks.checks(selfchecks.PARTS['part3'])))
    scored = {test['name'].split(' ', 1)[1] for test in found['tests'] if test['score']}
    kept = selfchecks.PARTS['part3'].sections[0]  # "Kept from parts 1 and 2": part 2 does these
    assert scored == {check.title for check in kept.checks}, scored
    # Part 3's step: the files it changes or adds, copied in over the start.
    part2, part3 = checkpoint.ROOT / 'part2-database', checkpoint.ROOT / 'part3-processing'
    before = fingerprint(part2)
    theirs = {name for name, digest in fingerprint(part3).items() if before.get(name) != digest}
    for name in theirs - {'README.md', 'requirements-legacy.txt'}:
        if '__pycache__' in name:
            continue
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(part3 / name, folder / name)
    result, data = run_selfcheck('part3', folder, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    points, most, _ = classroom(tmp_path)
    assert points == most


# --- where an error is, hints that lead to the fix, graders' format, 80 columns (issue 17) ---
# A learner's error is named at the file and line of their folder where it happened (a
# SyntaxError with its line and caret), never by the self-check's working copy; each run
# here also checks the fields of the results for GitHub Classroom.

CLASSROOM_FIELDS = {'name', 'status', 'score', 'message', 'test_code', 'filename', 'line_no', 'duration'}


def line_of(path, text):
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def classroom_test(tmp_path, check):
    _, _, data = classroom(tmp_path)
    for test in data['tests']:
        assert set(test) == CLASSROOM_FIELDS, test
        assert isinstance(test['duration'], (int, float)) and test['duration'] >= 0
    return next(test for test in data['tests'] if check in test['name'])


def test_part2_a_syntax_error_in_config_py_is_shown_where_it_is_with_a_caret(tmp_path):
    folder = copy_of('part2', tmp_path)
    edit(folder / 'config.py', '    DEBUG = False\n', '    DEBUG = False)\n')
    result, data = run_selfcheck('part2', folder, tmp_path)
    red = the_red_line(result, data, IMPORTS)
    line = line_of(folder / 'config.py', 'DEBUG = False)')
    first, source, caret = red['message'].splitlines()[:3]
    assert first == "SyntaxError: unmatched ')' (config.py, line {})".format(line), result.stdout
    assert source.strip() == 'DEBUG = False)' and caret.strip() == '^'
    assert caret.index('^') == source.index(')')
    assert ' ' * 12 + 'DEBUG = False)' in result.stdout  # under the message, as it was written
    nowhere_the_copy(result, tmp_path, folder)
    test = classroom_test(tmp_path, IMPORTS)
    assert (test['filename'], test['line_no'], test['score']) == ('config.py', line, 0)
    assert test['duration'] > 0


def test_part2_a_syntax_error_in_a_revision_is_located_through_flask_db_upgrade(tmp_path):
    folder = copy_of('part2', tmp_path)
    revision = only_revision(folder)
    edit(revision, 'def upgrade():\n', 'def upgrade(:\n')
    result, data = run_selfcheck('part2', folder, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    red = next(check for check in red_lines(data) if '"flask db upgrade" builds' in check['name'])
    place = '(migrations/versions/{}, line {})'.format(revision.name, line_of(revision, 'def upgrade(:'))
    assert place in red['message'], result.stdout
    assert 'def upgrade(:' in red['message'] and '^' in red['message']
    nowhere_the_copy(result, tmp_path, folder)


def test_part1_the_report_fits_80_columns_without_colour_and_grades_each_check(tmp_path):
    """An error in config.py that some checks meet in-process, one through flask run (in a copy)."""
    folder = copy_of('part1', tmp_path)
    edit(
        folder / 'config.py',
        "    if name not in CONFIGS:\n",
        "    if name == 'config.DevelopmentConfig':\n"
        "        raise RuntimeError('planted: a mistake in config.py')\n"
        '    if name not in CONFIGS:\n',
    )
    result, data = run_selfcheck('part1', folder, tmp_path, NO_COLOR='1', COLUMNS='200')
    assert result.returncode == 1, result.stdout + result.stderr
    assert '\x1b[' not in result.stdout
    assert [
        line for line in result.stdout.replace(str(folder), 'FOLDER').splitlines() if len(line) > 80
    ] == []
    assert re.search(r'\n {10}\S', result.stdout), 'a long line continues with a hanging indent'
    nowhere_the_copy(result, tmp_path, folder)
    line = line_of(folder / 'config.py', 'planted: a mistake')
    flask_run = classroom_test(tmp_path, 'flask run with .env.example')
    assert (flask_run['filename'], flask_run['line_no']) == ('config.py', line), flask_run
    assert '(config.py, line {})'.format(line) in flask_run['message']
    passed = classroom_test(tmp_path, 'GET / answers "Hello World!"')
    assert passed['score'] == 1 and passed['line_no'] is None and passed['duration'] > 0
    procfile = classroom_test(tmp_path, 'Procfile')
    assert procfile['filename'] == 'Procfile'
