"""The self-check (tools/selfcheck.py) on the checkpoints, and on folders with planted mistakes.

Run with the part's packages: tox -e checker-part1 ... checker-part4 (.ci/run runs them).
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import selfchecks

import checkpoint

ARTICLE_PART1 = Path(__file__).parent / 'article_part1'
PARTS = sorted(selfchecks.PARTS)


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


def unescaped(folder):
    edit(folder / 'app.py', 'escape(name)', 'name')


def edit(path, old, new):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def only_revision(folder):
    (revision,) = (folder / 'migrations' / 'versions').glob('*.py')
    return revision


# (part, what is planted, the check that must be the one red line, words its message or hint holds)
PLANTED = [
    ('part1', unescaped, 'GET /<name> shows HTML in the name as text', 'escape()'),
    (
        'part1',
        lambda folder: edit(folder / 'Procfile', 'gunicorn --preload', 'gunicorn'),
        'with a bad APP_SETTINGS the web process stops at once',
        '--preload',
    ),
    (
        'part1',
        lambda folder: edit(folder / '.env.example', 'FLASK_DEBUG=1\n', ''),
        'flask run with .env.example',
        'FLASK_DEBUG=1',
    ),
    ('part2', unescaped, 'GET /<name> shows HTML in the name as text', 'escape()'),
    (
        'part2',
        lambda folder: edit(only_revision(folder), "op.drop_table('results')", 'pass'),
        '"flask db downgrade base" removes it',
        'it leaves these: alembic_version, results',
    ),
    (
        'part2',
        lambda folder: edit(
            folder / 'models.py', 'url = db.Column(db.String())', 'url = db.Column(db.Text())'
        ),
        '"flask db check" finds nothing',
        'flask db migrate',
    ),
    (
        'part2',
        lambda folder: edit(
            only_revision(folder), 'def upgrade():\n', "def upgrade():\n    raise RuntimeError('planted')\n"
        ),
        '"flask db upgrade" builds the article\'s results table',
        'planted',
    ),
    (
        'part2',
        lambda folder: edit(
            folder / 'config.py', "return 'postgresql+psycopg2://' + ", "return 'postgresql://' + "
        ),
        "app.py imports with the checkpoint's packages",
        'postgresql+psycopg2://',
    ),
    (
        'part2',
        lambda folder: edit(
            folder / 'config.py',
            "    return 'postgresql+psycopg2://'",
            "    if value.startswith('postgres://'):\n        return value\n    return 'postgresql+psycopg2://'",
        ),
        'DATABASE_URL as postgres://',
        'postgres:// URLs',
    ),
    (
        'part2',
        lambda folder: edit(
            folder / 'app.py',
            'from flask_migrate import Migrate\n',
            'from flask_script import Manager\nfrom flask_migrate import Migrate\n',
        ),
        "app.py imports with the checkpoint's packages",
        'Flask-Script',
    ),
    (
        'part2',
        lambda folder: only_revision(folder).unlink(),
        'the folder holds the files',
        'flask db migrate',
    ),
    (
        'part3',
        lambda folder: edit(folder / 'app.py', ' if word.lower() not in stops}', '}'),
        'the counts saved without stop words leave out the stop words',
        "counted, but they are stop words: with, the, The, has, and, Don't, or, don't",
    ),
    (
        'part3',
        lambda folder: edit(folder / 'app.py', '[^\\W\\d_]', '[A-Za-z]'),
        'every word is counted as the page has it',
        'missing: Zürich, zürich, naïve — letters outside a–z make words too',
    ),
    (
        'part3',
        lambda folder: edit(
            folder / 'app.py',
            'results = no_stop_words_count.most_common(10)',
            'results = raw_word_count.most_common(10)',
        ),
        'the page shows the ten most frequent words saved without stop words',
        'shown, but not among the words saved without stop words: the, with, The, has, and',
    ),
    (
        'part4',
        lambda folder: edit(folder / 'app.py', 'with app.app_context():', 'if True:  # no app context'),
        'POST /start answers a job id',
        'app_context()',
    ),
]


@pytest.mark.parametrize(
    'short, plant, check, words',
    PLANTED,
    ids=['{}-{}'.format(p[0], re.sub(r'\W+', '-', p[2])[:40].strip('-')) for p in PLANTED],
)
def test_a_planted_mistake_gives_one_red_line_naming_it(short, plant, check, words, tmp_path):
    folder = copy_of(short, tmp_path)
    plant(folder)
    before = fingerprint(folder)
    result, data = run_selfcheck(short, folder, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert_schema(data)
    assert data['status'] == 'fail'
    red = red_lines(data)
    assert len(red) == 1, result.stdout
    assert check in red[0]['name'], result.stdout
    assert words in red[0]['message'] + (red[0]['help'] or ''), result.stdout
    assert result.stdout.count('✗') == 1, result.stdout
    assert 'Traceback' not in result.stdout + result.stderr
    assert fingerprint(folder) == before
    if not red[0]['name'].startswith('0.'):  # app.py imports: only what needs the red check is skipped
        skipped = [c['name'] for c in data['checks'] if c['status'] == 'skip']
        assert len(skipped) <= selfchecks.HELD_BACK, skipped


def test_part3_nltk_data_looked_up_fails_the_counting_with_the_hint_and_skips_at_most_two(tmp_path):
    """The article's word_tokenize() looks for the punkt_tab download: every check that counts fails."""
    folder = copy_of('part3', tmp_path)
    edit(
        folder / 'app.py',
        "tokenizer.tokenize(text.replace('\\u2019', \"'\"))",
        "__import__('nltk').word_tokenize(text)",
    )
    result, data = run_selfcheck('part3', folder, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    red = red_lines(data)
    assert 'counting needs no downloaded NLTK data' in ' '.join(c['name'] for c in red), result.stdout
    for check in red:
        assert 'word_tokenize(text, preserve_line=True)' in (check['help'] or ''), result.stdout
    assert sum(1 for c in data['checks'] if c['status'] == 'skip') <= selfchecks.HELD_BACK, result.stdout


def test_part1_the_articles_own_code_fails_on_the_unescaped_name(tmp_path):
    result, data = run_selfcheck('part1', ARTICLE_PART1, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    checks = {c['name'].split(' ', 1)[1]: c for c in data['checks']}
    assert checks['GET / answers "Hello World!"']['status'] == 'pass'
    escaping = checks['GET /<name> shows HTML in the name as text (escaped)']
    assert escaping['status'] == 'fail'
    assert "got 'Hello <script>alert(1)!'" in escaping['message']
    assert 'escape()' in escaping['help'] and 'differences.html#differences-escape' in escaping['help']
    # os.environ['APP_SETTINGS'] and the SECRET_KEY written in config.py are named too.
    bad_settings = checks[
        'a missing or unknown APP_SETTINGS stops the app with one line naming the valid classes'
    ]
    lines = (ARTICLE_PART1 / 'app.py').read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "from_object(os.environ['APP_SETTINGS'])" in text)
    assert "KeyError: 'APP_SETTINGS' (app.py, line {})".format(line) in bad_settings['message']
    assert 'os.environ.get()' in bad_settings['help']


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
    output, _ = proc.communicate(timeout=30)
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
