"""Each part's page can be typed in the order it is read (tox -e page-order).

A learner types a part from its page into their own folder, starting from the
previous part's checkpoint. At every point where the page says to run
something (a console block with "flask ...", "python worker.py" or
"gunicorn ..."), this test rebuilds that folder from what the page has shown so
far: the previous checkpoint, the lines of each excerpt above that point, and
the first versions (captioned ``.. code-block:: python``) above it, in place of
the checkpoint's definitions of the same names (tools/excerpts.py). Then:

- ruff finds no undefined name in the folder's Python files (a function the
  page shows only later, called from one it has shown);
- the commands run as the page gives them, on a real PostgreSQL (and Redis
  for part 4): "flask db ..." must succeed; "flask run" and gunicorn must serve
  the home page, and where it has the form, count the test page on loopback;
  "python worker.py" must run the job that the form queues.
"""

import os
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import excerpts
import pytest
import redis

import checkpoint
import pages
from processes import wait_until_listening

PARTS = [part.name for part in checkpoint.parts()]
POINTS = []
for _index, _part in enumerate(PARTS):
    _page = excerpts.read_page(checkpoint.ROOT / 'docs' / 'parts' / (_part + '.rst'))
    for _number, _at in enumerate(excerpts.run_points(_page), 1):
        POINTS.append(
            pytest.param(
                _page,
                _at,
                PARTS[_index - 1] if _index else None,
                id='{}-run{}-line{}'.format(_part, _number, _page.items[_at].line),
            )
        )


def test_every_part_page_has_a_run_point():
    """A page without one would pass unchecked."""
    pages_with_points = {param.values[0].part for param in POINTS}
    assert pages_with_points == set(PARTS)


class Learner:
    """The learner's folder and the processes started in it."""

    def __init__(self, folder, env, logs):
        self.folder, self.env, self.logs = folder, env, logs
        self.processes = []
        self.base = None

    def log(self, name):
        return self.logs / '{}-{}.log'.format(len(self.processes), name)

    def outputs(self):
        return '\n'.join(
            '--- {}:\n{}'.format(path.name, path.read_text()[-3000:]) for path in sorted(self.logs.iterdir())
        )

    def run(self, command):
        args, env = _split(command, self.env)
        if args[:2] == ['flask', 'run']:
            self.serve(args + ['--port', str(checkpoint.free_port())], env)
        elif args[0] == 'gunicorn':
            self.serve(
                args + ['--bind', '127.0.0.1:{}'.format(checkpoint.free_port()), '--workers', '1'], env
            )
        elif args[:2] == ['python', 'worker.py']:
            proc = self.start([sys.executable, 'worker.py'], env, 'worker')
            try:
                wait_until_listening(proc, env['REDIS_URL'], timeout=30)
            except (RuntimeError, TimeoutError) as error:
                pytest.fail(str(error))
        else:
            result = subprocess.run(
                checkpoint.python_command(args),
                cwd=self.folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, '"{}" failed in the learner\'s folder:\n{}{}'.format(
                command, result.stdout, result.stderr
            )

    def start(self, args, env, name):
        log = self.log(name)
        with open(log, 'w') as output:
            proc = checkpoint.start(args, self.folder, env, stdout=output, stderr=subprocess.STDOUT)
        proc.log = log
        self.processes.append(proc)
        return proc

    def serve(self, args, env):
        port = (
            args[args.index('--port') + 1]
            if '--port' in args
            else args[args.index('--bind') + 1].split(':')[1]
        )
        proc = self.start(args, env, args[0])
        self.base = 'http://127.0.0.1:{}'.format(port)
        try:
            checkpoint.wait_for_http(self.base + '/', timeout=30, proc=proc)
        except (RuntimeError, TimeoutError) as error:
            pytest.fail('{}\n{}'.format(error, self.outputs()))


def _split(command, env):
    """'APP_SETTINGS=x gunicorn app:app' -> (['gunicorn', 'app:app'], env with APP_SETTINGS=x)."""
    words = shlex.split(command)
    env = dict(env)
    while '=' in words[0]:
        name, _, value = words.pop(0).partition('=')
        env[name] = value
    return words, env


def _get(url, data=None):
    """(status, final URL, body) of a request; redirects are followed."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with urllib.request.urlopen(url, data=body, timeout=30) as response:
            return response.status, response.url, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, url, error.read().decode()


def check_served(learner, part_dir):
    """The home page answers; with the form, the test page is counted (by the worker, from part 4)."""
    status, _url, body = _get(learner.base + '/')
    assert status == 200, '{}\n{}'.format(body, learner.outputs())
    if 'name="url"' not in body:
        assert 'Hello World!' in body
        return
    with pages.serve_pages('127.0.0.1') as server:
        status, url, body = _get(learner.base + '/', {'url': server.url('/known.html')})
        deadline = time.monotonic() + 60
        # From part 4 the form leads to /?job=<id>, which shows the words once the worker is done.
        while status in (200, 202) and '<td>' not in body and 'job=' in url and time.monotonic() < deadline:
            time.sleep(0.5)
            status, url, body = _get(url)
    word, count = pages.KNOWN_TABLE[0]
    assert status == 200 and word in body and '<td>{}</td>'.format(count) in body, '{}: {}\n{}'.format(
        status, body[-2000:], learner.outputs()
    )


@pytest.fixture(scope='session')
def left_by(postgres_admin_url):
    """left_by(part): a new database as the part's "flask db upgrade" leaves it.

    The upgrade runs once for each part; PostgreSQL copies its database for each test.
    """
    templates = {}

    def database(part):
        if part not in templates:
            url = checkpoint.create_database(postgres_admin_url)
            result = subprocess.run(
                checkpoint.python_command(['flask', 'db', 'upgrade']),
                cwd=checkpoint.ROOT / part,
                env=dict(os.environ, APP_SETTINGS='config.DevelopmentConfig', DATABASE_URL=url),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stderr
            templates[part] = checkpoint.database_name(url)
        return checkpoint.create_database(postgres_admin_url, template=templates[part])

    yield database
    for name in templates.values():
        checkpoint.drop_database(postgres_admin_url, name)


@pytest.mark.parametrize(('page', 'at', 'previous'), POINTS)
def test_what_the_page_has_shown_runs(
    page, at, previous, tmp_path, postgres_admin_url, redis_server_url, left_by
):
    folder, logs = tmp_path / 'flask-by-example', tmp_path / 'logs'
    logs.mkdir()
    excerpts.write_learner_folder(checkpoint.ROOT, page, at, folder, previous)
    if (folder / '.env.example').is_file():
        shutil.copyfile(folder / '.env.example', folder / '.env')  # as part 1 has the learner do

    # Nothing is used before the page has shown it.
    lint = subprocess.run(
        [
            sys.executable,
            '-m',
            'ruff',
            'check',
            '--isolated',
            '--no-cache',
            '--select',
            'F821,F822',
            '--output-format',
            'concise',
            '.',
        ],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, 'Names the page has not shown yet at line {}:\n{}'.format(
        page.items[at].line, lint.stdout + lint.stderr
    )

    if previous and (checkpoint.ROOT / previous / 'migrations').is_dir():
        database = left_by(previous)  # the learner's database as the previous part left it
    else:
        database = checkpoint.create_database(postgres_admin_url)
    with redis.from_url(redis_server_url) as conn:
        conn.flushdb()
    env = {k: v for k, v in os.environ.items() if k not in ('SECRET_KEY', 'PORT', 'REDISTOGO_URL')}
    env.update(
        APP_SETTINGS='config.DevelopmentConfig',
        DATABASE_URL=database,
        REDIS_URL=redis_server_url,
        PYTHONUNBUFFERED='1',
        PYTHONDONTWRITEBYTECODE='1',
    )
    learner = Learner(folder, env, logs)
    try:
        for command in page.items[at].commands:
            learner.run(command)
        if learner.base:
            check_served(learner, checkpoint.ROOT / page.part)
    finally:
        checkpoint.stop(learner.processes, timeout=5)
        checkpoint.drop_database(postgres_admin_url, checkpoint.database_name(database))


# --- how the folder is rebuilt (tools/excerpts.py), on small files -------------------

OLD = ['import os', '', '', 'def greet(name):', "    return 'Hi ' + name"]
NEW = [
    'import os',
    '',
    'from helpers import checked',
    '',
    '',
    'def greet(name):',
    "    return 'Hello ' + checked(name)",
    '',
    '',
    'def checked(name):',
    '    return name.strip()',
]


def first(code, shown_after=()):
    return excerpts._statements(code), set(shown_after)


def test_unshown_changes_are_not_typed_yet():
    assert excerpts.learner_file(OLD, NEW, set(), set(), []).split('\n') == [
        'import os',
        '',
        '',
        '',
        'def greet(name):',
        "    return 'Hi ' + name",
        '',
        '',
        '',
    ]


def test_a_first_version_takes_the_checkpoints_place():
    shown_new, shown_old = {3, 7}, {5}
    code = 'import re\n\n\ndef checked(name):\n    return name\n'
    text = excerpts.learner_file(OLD, NEW, shown_new, shown_old, [first(code)])
    assert text.index('import re') < text.index('def greet')
    assert '    return name\n' in text and 'name.strip()' not in text
    # Shown again after the first version: the checkpoint's wins.
    text = excerpts.learner_file(OLD, NEW, shown_new | {10, 11}, shown_old, [first(code, {10, 11})])
    assert 'name.strip()' in text


def test_a_first_version_of_a_name_the_checkpoint_lacks_goes_at_the_end():
    text = excerpts.learner_file(OLD, NEW, set(), set(), [first('def extra():\n    pass\n')])
    assert text.rstrip().endswith('def extra():\n    pass')


def test_a_python_block_without_its_file_is_refused(tmp_path):
    page = tmp_path / 'page.rst'
    page.write_text('.. part-page:: part1-setup\n\n.. code-block:: python\n\n   x = 1\n')
    with pytest.raises(ValueError, match='caption naming its file'):
        excerpts.read_page(page)


def test_a_first_version_may_only_define_names():
    with pytest.raises(ValueError, match='only define names'):
        excerpts._statements('print(1)\n')
