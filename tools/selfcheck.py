"""Check a learner's folder against a checkpoint: tox -e check-part2 -- FOLDER [options]

Options: [--json FILE] [--classroom FILE] [--verbose].

Runs the checkpoint's own tests that check behaviour (the self-checks listed in
tests/selfchecks.py) against a copy of FOLDER, and prints one line per check,
grouped by the sections of the part's page. The folder itself is never
modified; its .env, virtual environments and __pycache__ are left out of the copy.
Exit status: 0 when every check passes, 1 when one fails, 2 when none could run.

Where an error of the folder's code happened is named as in the learner's folder
("config.py, line 7": the innermost frame there; for a SyntaxError the file that
did not compile, with its line and a caret), never by the working copy's path. The
report wraps at 80 columns (or a narrower terminal), never inside a path or URL, and
is coloured only on a terminal without NO_COLOR.

--classroom FILE writes the results as GitHub Classroom's graders do, for its
reporter (classroom-resources/autograding-grading-reporter, which reads them
base64-encoded from <RUNNER>_RESULTS): {"version": 1, "status", "max_score",
"tests": [{"name", "status", "score", "message", "test_code", "filename",
"line_no", "duration"}]}, one test per line of the report. Points: each check of
the part's page is worth one point when it passes, so max_score is the number of
checks; a failed or skipped check scores 0, and the doctor stage's lines are worth
none (when one fails, no check runs, and the folder scores 0). filename and
line_no say where a failure happened in the folder, else filename is the file the
check's title names (or null) and line_no null; duration is the check's seconds.
--json FILE writes {"status", "checks": [{"name", "status", "message", "help"}]}.

Whatever the folder's code does, the self-check answers in bounded time and leaves
no process of it behind: its code runs in process groups of the self-check's own,
each process marked in its environment (checkpoint.SELFCHECK_MARK), and whatever
is left of it is ended after each stage, on Ctrl-C, on SIGTERM and on an error.
Its output is read by a thread that keeps only the last lines. Importing app.py
has IMPORT_LIMIT seconds (SELFCHECK_IMPORT_LIMIT in the environment changes it,
for the self-check's own tests).
"""

import argparse
import collections
import functools
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests'))

import selfchecks  # noqa: E402 - tests/selfchecks.py, the table of checks

import checkpoint  # noqa: E402 - tools/checkpoint.py: ending processes

# Never copied: the learner's own settings and environments, and caches.
IGNORED = checkpoint.NOT_CODE

IMPORTS = "app.py imports with the checkpoint's packages and defines app"

IMPORT_LIMIT = float(os.environ.get('SELFCHECK_IMPORT_LIMIT') or 20)  # seconds
CHECKS_LIMIT = 30 * 60  # seconds for all the checks (each has a limit of its own too)
SHOWN_LINES = 10  # of what the folder's code printed, where it explains a failure
LINE_LIMIT = 200  # characters of one such line
# What the development server (app.run()) prints when it starts, or cannot.
SERVER_SAYS = re.compile(r'Running on https?://\S+|Port \d+ is in use by another program')

# Run in the copy by the doctor stage: import app.py as the tests will, and say what it defines.
DOCTOR = r"""
import json, os, sys, traceback
sys.path.insert(0, os.getcwd())
out = {}
try:
    import app as module
except BaseException as error:
    if isinstance(error, SystemExit):
        out['error'] = 'it stopped: {}'.format(error.code)
    else:
        lines = traceback.format_exception_only(type(error), error)
        out['error'] = lines[-1].strip()
        out['raw'] = ''.join(traceback.format_exception(type(error), error, error.__traceback__))
    # Where it happened: the parent finds the innermost frame in the folder (or, for a
    # SyntaxError, the file that did not compile) and names it as the learner does.
    out['frames'] = [(f.filename, f.lineno) for f in traceback.extract_tb(error.__traceback__)]
    if isinstance(error, SyntaxError):
        lines = ''.join(traceback.format_exception_only(type(error), error)).splitlines()
        out['syntax'] = {'filename': error.filename, 'lineno': error.lineno, 'lines': lines[1:-1]}
else:
    import flask
    app = getattr(module, 'app', None)
    out['app'] = isinstance(app, flask.Flask)
    out['migrate'] = 'migrate' in getattr(app, 'extensions', {})
    out['Result'] = hasattr(sys.modules.get('models'), 'Result')
    out['count_and_save_words'] = callable(getattr(module, 'count_and_save_words', None))
with open(sys.argv[1], 'w') as file:
    json.dump(out, file)
"""


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='tox -e check-partN --', description='Check your own folder against a checkpoint.'
    )
    parser.add_argument('part', help=argparse.SUPPRESS)
    parser.add_argument('folder', nargs='?', help='your folder, for example ~/flask-by-example')
    parser.add_argument('--json', metavar='FILE', help='also write the results to FILE as JSON')
    parser.add_argument(
        '--classroom',
        metavar='FILE',
        help="also write the results to FILE as GitHub Classroom's reporter reads them",
    )
    parser.add_argument('--verbose', action='store_true', help="show pytest's own output too")
    args = parser.parse_args(argv)
    part = selfchecks.part(args.part)
    short = next(key for key, value in selfchecks.PARTS.items() if value is part)
    report = Report(short, part, args.json, args.classroom)
    if not args.folder:
        return report.error('Name the folder to check: tox -e check-{} -- FOLDER'.format(short))
    folder = Path(args.folder).expanduser()
    if not folder.is_dir():
        return report.error('There is no folder at {}.'.format(folder))
    become_subreaper()
    with tempfile.TemporaryDirectory(prefix='fbe-check-') as scratch:
        copy = Path(scratch) / part.folder
        shutil.copytree(folder, copy, ignore=ignored, symlinks=True)
        report.copy = copy
        if not any(p.is_file() for p in copy.rglob('*')):
            return report.error('{} is empty: there is nothing to check.'.format(folder))
        print(wrap('Checking {} against {} ...'.format(folder, part.folder), report.width, 0, 2), flush=True)
        try:
            doctor(report, part, copy)
            if report.failed():
                first = next(row for row in report.rows if row.status == 'fail')
                report.skip_rest('needs 0.{} to pass first'.format(first.count))
            else:
                run_checks(report, short, part, copy, args.verbose)
        except Stopped as stop:
            print('\ncheck-{}: stopped ({}); no process of the folder\'s code is left.'.format(short, stop))
            return 130
    return report.finish()


# --- the folder's processes ------------------------------------------------------------


class Stopped(BaseException):
    """Ctrl-C, SIGTERM or a closed terminal: stop the checks and everything they started."""


def on_signal(number, frame):
    raise Stopped(signal.Signals(number).name)


def become_subreaper():
    """Linux: become the parent of orphans of the folder's code, so that the sweeps find them."""
    if sys.platform.startswith('linux'):
        import ctypes

        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


RUN_ID = uuid.uuid4().hex


def start(args, cwd, env, output=subprocess.PIPE):
    """Start the folder's code in a session of its own, marked as this run's."""
    env = dict(env, PYTHONUNBUFFERED='1', **{checkpoint.SELFCHECK_MARK: RUN_ID})
    return subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
        start_new_session=os.name == 'posix',
    )


def leftovers():
    """Every process of the folder's code still running (this process's descendants, or marked)."""
    return checkpoint.processes_of_run(checkpoint.SELFCHECK_MARK, RUN_ID)


def end(proc, interrupt=False, grace=3):
    """End proc's process group, then anything else of the folder's code still running.

    interrupt=True gives pytest a Ctrl-C first, so that it stops the servers it started.
    """
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if interrupt and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        if os.name == 'posix':
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                except (ProcessLookupError, PermissionError):
                    break
                try:
                    proc.wait(grace)
                except subprocess.TimeoutExpired:
                    continue
                if sig == signal.SIGTERM:  # the group may outlive its leader
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                break
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for _ in range(10):  # one that is ending may have started another meanwhile
            found = leftovers()
            if not found:
                break
            checkpoint.end_processes(found, grace)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Tail:
    """Read a process's output in a thread, keeping only its last lines (and counting them)."""

    def __init__(self, stream):
        self.lines = collections.deque(maxlen=SHOWN_LINES)
        self.partial = b''
        self.count = 0
        self.last_output = None
        self.server = None  # what the development server printed
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        with stream:
            while True:
                try:
                    chunk = os.read(stream.fileno(), 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.last_output = time.monotonic()
                *complete, partial = (self.partial + chunk).split(b'\n')
                self.partial = partial[-LINE_LIMIT * 4 :]
                self.count += len(complete)
                for line in complete[-SHOWN_LINES:]:
                    self.lines.append(shorten(line.decode(errors='replace')))
                if self.server is None:
                    found = SERVER_SAYS.search(chunk.decode(errors='replace'))
                    self.server = found.group(0) if found else None

    def join(self, timeout=2):
        self.thread.join(timeout)

    def text(self):
        lines = list(self.lines) + ([shorten(self.partial.decode(errors='replace'))] if self.partial else [])
        return '\n'.join(line for line in lines if line.strip())

    def shown(self):
        """The last lines, for a report: '' when it printed nothing."""
        text = self.text()
        if not text:
            return ''
        return '\nthe last lines it printed:\n' + textwrap.indent(text, '  | ')


def shorten(line):
    line = re.sub(r'\x1b\[[0-9;]*[A-Za-z]', '', line).rstrip()  # colours of a terminal
    return line if len(line) <= LINE_LIMIT else line[: LINE_LIMIT - 1] + '…'


def listening(proc):
    """'127.0.0.1:5000' where proc or a process it started listens, else None."""
    import psutil

    try:
        found = [psutil.Process(proc.pid), *leftovers()]
    except psutil.Error:
        return None
    for each in found:
        try:
            for conn in each.net_connections('inet'):
                if conn.status == psutil.CONN_LISTEN:
                    return '{}:{}'.format(*conn.laddr)
        except psutil.Error:
            pass
    return None


def describe(processes):
    """'2 processes running (sleep 600, python worker.py)'"""
    import psutil

    names = set()
    for proc in processes:
        try:
            command = proc.cmdline() or [proc.name()]
            names.add(' '.join(' '.join([Path(command[0]).name, *command[1:]]).split())[:60])
        except psutil.Error:
            pass
    shown = ', '.join(sorted(names)[:3]) + (', …' if len(names) > 3 else '')
    return '{} process{} running ({})'.format(len(processes), '' if len(processes) == 1 else 'es', shown)


def ignored(folder, names):
    return [
        name
        for name in names
        if name in IGNORED or name.endswith('.pyc') or (Path(folder, name, 'pyvenv.cfg').exists())
    ]


# --- the doctor stage ------------------------------------------------------------------


def doctor(report, part, copy):
    missing = [name for name in part.files if not (copy / name).exists()]
    if 'migrations/env.py' in missing:
        missing[missing.index('migrations/env.py')] = 'migrations/ ("flask db init" makes it)'
    elif 'migrations/env.py' in part.files and not list((copy / 'migrations' / 'versions').glob('*.py')):
        missing.append('a revision in migrations/versions/ ("flask db migrate" writes one)')
    report.add_doctor(
        'the folder holds the files {} needs'.format(part.folder),
        'missing: ' + ', '.join(missing) if missing else None,
    )
    if missing:
        return
    env = dict(
        clean_env(),
        APP_SETTINGS='config.TestingConfig',
        # Never connected to: the app only reads them when it is imported.
        DATABASE_URL='postgresql://127.0.0.1:9/selfcheck',
        REDIS_URL='redis://127.0.0.1:9/0',
    )
    began = time.monotonic()
    found, problem, raw = import_app(copy, env)
    took = time.monotonic() - began
    if problem:
        report.add_doctor(IMPORTS, problem, raw, selfcheck_plugin().in_output(raw, copy), took)
        return
    if 'error' in found:
        error, _, shown = found['error'].partition('\n')
        where = selfcheck_plugin().locate(found['frames'], copy, found.get('syntax'))
        message = error + selfcheck_plugin().said(where) + ('\n' + shown if shown else '')
        report.add_doctor(IMPORTS, message, found.get('raw', ''), where, took)
        return
    problem = None if found['app'] else 'app.py has no module-level app = Flask(__name__)'
    report.add_doctor(IMPORTS, problem, duration=took)
    if 'models.py' in part.files:
        report.add_doctor(
            'models.py defines Result and app.py imports it',
            None if found['Result'] else 'no Result class in models.py, or app.py does not import models',
        )
        report.add_doctor(
            'app.py sets up Flask-Migrate, for the flask db commands',
            None if found['migrate'] else 'app.py does not call Migrate(app, db)',
        )
    if 'worker.py' in part.files:
        report.add_doctor(
            'app.py defines count_and_save_words(url), the job the worker runs',
            None if found['count_and_save_words'] else 'there is no function count_and_save_words in app.py',
        )


def import_app(copy, env):
    """Import app.py in a process of its own and watch it.

    Returns (what it defines, None, '') or (None, what went wrong, output for the hints).
    """
    result_file = copy.parent / 'imported.json'  # outside the copy, removed with it
    began = time.monotonic()
    proc = start([sys.executable, '-c', DOCTOR, str(result_file)], copy, env)
    tail = Tail(proc.stdout)
    port, server_since = None, None
    try:
        while proc.poll() is None:
            waited = time.monotonic() - began
            if waited > IMPORT_LIMIT:
                break
            port = port or listening(proc)
            if (port or tail.server) and not server_since:
                server_since = time.monotonic()
            if server_since and time.monotonic() - server_since > 1:  # and the import goes on
                break
            time.sleep(0.1)
        waited = time.monotonic() - began
        finished = proc.poll() is not None
        left = leftovers() if finished else set()
        left = describe(left) if left else ''  # now: they are ended next
    finally:
        end(proc)
        tail.join()
    if port or tail.server:
        saw = ['it listens on ' + port] if port else []
        saw += ['it printed "{}"'.format(tail.server)] if tail.server else []
        problem = 'importing app.py started a server ({}; found after {:.1f} s): app.run() runs on import'
        problem = problem.format(' and '.join(saw), waited)
        return None, problem + tail.shown(), 'started a server at import'
    if not finished:
        if tail.last_output is None:
            saw = 'it printed nothing'
        elif time.monotonic() - tail.last_output < 2:
            saw = 'its output was still coming ({} lines)'.format(tail.count)
        else:
            saw = 'it printed {} lines, then nothing for {:.0f} s'.format(
                tail.count, time.monotonic() - tail.last_output
            )
        problem = 'importing app.py had not finished after {:.0f} s; {}'.format(waited, saw)
        return None, problem + tail.shown(), ''
    if left:
        problem = (
            'importing app.py left {}: app.py starts processes on import, so every import '
            '(each flask command, each gunicorn worker) would start more'.format(left)
        )
        return None, problem + tail.shown(), 'left a process running at import'
    if not result_file.exists():
        output = tail.text()
        problem = 'importing app.py failed: ' + (
            selfcheck_plugin().error_line(output) or 'it printed nothing'
        )
        return None, problem + tail.shown(), output
    found = json.loads(result_file.read_text())
    if 'error' in found:  # what it printed before the error may explain it
        found['error'] += tail.shown()
    return found, None, ''


def clean_env():
    names = ('APP_SETTINGS', 'SECRET_KEY', 'FLASK_APP', 'PORT', 'DATABASE_URL', 'REDIS_URL', 'REDISTOGO_URL')
    env = {k: v for k, v in os.environ.items() if k not in names}
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    return env


@functools.cache
def selfcheck_plugin():
    """tests/selfcheck_plugin.py: its one-line errors, and where an error is in the learner's folder."""
    spec = importlib.util.spec_from_file_location('selfcheck_plugin', ROOT / 'tests' / 'selfcheck_plugin.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the checks ------------------------------------------------------------------------


def run_checks(report, short, part, copy, verbose):
    with tempfile.TemporaryDirectory(prefix='fbe-check-results-') as scratch:
        results_file = Path(scratch) / 'results.json'
        paths = [str(ROOT / 'tests'), str(ROOT / 'tools'), os.environ.get('PYTHONPATH')]
        env = dict(
            os.environ,
            CHECK_FOLDER=str(copy),
            SELFCHECK_PART=short,
            SELFCHECK_RESULTS=str(results_file),
            PYTHONDONTWRITEBYTECODE='1',
            PYTHONPATH=os.pathsep.join(filter(None, paths)),
        )
        command = [sys.executable, '-m', 'pytest', str(ROOT / 'tests' / short), '-p', 'selfcheck_plugin']
        command += ['-c', str(ROOT / 'tox.ini'), '--rootdir', str(ROOT)]
        # The browser tests need Playwright and Chromium, and check our page's markup.
        command += ['--ignore', str(ROOT / 'tests' / 'part4' / 'test_browser.py')]
        command += ['-p', 'no:cacheprovider', '-q', '--no-header', '-rN', '--tb=short']
        if importlib.util.find_spec('xdist'):
            command += ['-n', '0']  # one process: a check runs after the checks it needs
        if verbose:
            command += ['-v', '-rfEs']
        print('Running the checks (a minute or two) ...', flush=True)
        # In the copy: what the folder's code writes next to itself goes there, and is removed.
        proc = start(command, copy, env, output=None if verbose else subprocess.PIPE)
        tail = Tail(proc.stdout) if proc.stdout else None
        try:
            returncode = proc.wait(CHECKS_LIMIT)
        except subprocess.TimeoutExpired:
            returncode = 'none: the checks had not finished after {} minutes'.format(CHECKS_LIMIT // 60)
        finally:
            end(proc, interrupt=proc.poll() is None)
            if tail:
                tail.join()
        results = json.loads(results_file.read_text()) if results_file.exists() else None
    if returncode not in (0, 1) or results is None:
        output = tail.text() if tail else ''
        last = ' '.join(output.strip().splitlines()[-3:])
        report.skip_rest('not run')
        return report.error('The checks could not run (pytest exit status {}). {}'.format(returncode, last))
    for number, section, check in selfchecks.checks(part):
        report.add(number, section, check, results.get(check.test, []))


# --- the report ------------------------------------------------------------------------

WIDTH = 80  # columns of the report; a narrower terminal narrows it
FILE_NAMED = re.compile(r'\.env\.example|\.python-version|Procfile|[\w/]+\.py\b')  # in a check's title


class Row(NamedTuple):
    number: int  # of the section; 0 for the doctor stage
    section: selfchecks.Section
    count: int  # of the check in its section
    title: str
    status: str  # pass, fail or skip
    message: str = None
    help: str = None
    where: dict = None  # {'file', 'line'} in the learner's folder, when the failure is located there
    duration: float = 0.0  # seconds


class Report:
    MARKS = {'pass': '✓', 'fail': '✗', 'skip': '–'}

    def __init__(self, short, part, json_file, classroom_file=None):
        self.short, self.part, self.json_file = short, part, json_file
        self.classroom_file = classroom_file
        self.rows = []
        self.status = None
        self.message = None
        self.copy = None  # the working copy, whose paths are named as in the learner's folder
        self.colour = sys.stdout.isatty() and not os.environ.get('NO_COLOR')
        self.width = max(40, min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns))

    def failed(self):
        return any(row.status == 'fail' for row in self.rows)

    def theirs(self, text):
        """text with the working copy's paths named as in the learner's folder."""
        if not text or self.copy is None:
            return text
        return selfcheck_plugin().in_learners_terms(text, self.copy)

    def add_doctor(self, title, problem, raw='', where=None, duration=0.0):
        before = selfchecks.Section('Before the checks', 'getting-started.html', ())
        count = sum(1 for row in self.rows if row.number == 0) + 1
        status = 'fail' if problem else 'pass'
        help_ = hint(None, (problem or '') + raw)
        self.rows.append(Row(0, before, count, title, status, self.theirs(problem), help_, where, duration))

    def add(self, number, section, check, cases):
        count = sum(1 for row in self.rows if row.number == number) + 1
        row = Row(
            number, section, count, check.title, 'pass', duration=sum(c.get('duration', 0) for c in cases)
        )
        failed = [c for c in cases if c['status'] == 'fail']
        if failed:
            first = failed[0]
            message = first['message']
            if first['case'] and len(cases) > 1:
                message += ' [case {}; {} of {} cases failed]'.format(first['case'], len(failed), len(cases))
            help_ = hint(check.test, message + '\n' + (first.get('raw') or ''))
            row = row._replace(
                status='fail', message=self.theirs(message), help=help_, where=first.get('where')
            )
        elif not cases:
            row = row._replace(status='skip', message='not run')
        elif all(c['status'] == 'skip' for c in cases):
            row = row._replace(status='skip', message=cases[0]['message'])
        self.rows.append(row)

    def skip_rest(self, why):
        for number, section, check in selfchecks.checks(self.part):
            count = sum(1 for row in self.rows if row.number == number) + 1
            self.rows.append(Row(number, section, count, check.title, 'skip', why))

    def error(self, message):
        self.status, self.message = 'error', self.theirs(message)
        print('check-{}: {}'.format(self.short, self.message), file=sys.stderr)
        if not self.rows:  # nothing ran: one line, no report
            self.write_json()
        return 2

    def paint(self, text, status):
        if not self.colour:
            return text
        return '\n'.join(
            '\033[{}m{}\033[0m'.format({'pass': 32, 'fail': 31, 'skip': 2}[status], line)
            for line in text.splitlines()
        )

    def finish(self):
        if self.status != 'error':
            self.status = 'fail' if self.failed() or not self.rows else 'pass'
        self.number_the_needs()
        self.write_json()  # first: a reader of the report may quit early (| head)
        shown, said = None, None
        for row in self.rows:
            if shown != row.number:
                link = '  ({})'.format(row.section.link) if row.number else ''
                print('\n' + wrap('{}. {}{}'.format(row.number, row.section.title, link), self.width, 0, 3))
                shown = row.number
            mark = '{} {}.{} '.format(self.MARKS[row.status], row.number, row.count)
            print(self.paint(wrap(mark + row.title, self.width, 2, 2 + len(mark)), row.status))
            if row.message and row.status == 'fail':
                print(wrap(row.message, self.width, 8, 10))
            elif (
                row.message and row.status == 'skip' and row.message != said
            ):  # once for a run of the same reason
                print(wrap('skipped: ' + row.message, self.width, 8, 17))
            said = row.message if row.status == 'skip' else None
            if row.help:
                print(wrap('hint: ' + row.help, self.width, 8, 14))
        totals = {s: sum(1 for row in self.rows if row.status == s) for s in ('pass', 'fail', 'skip')}
        print(
            '\n{}: {} passed, {} failed, {} skipped.'.format(
                self.status.upper(), totals['pass'], totals['fail'], totals['skip']
            )
        )
        if self.status == 'error':
            print(wrap(self.message, self.width, 0, 2))
        else:
            print(
                wrap(
                    'Links are pages of the docs (tox -e docs builds them into docs/_build/html/).',
                    self.width,
                    0,
                    2,
                )
            )
        return {'pass': 0, 'fail': 1}.get(self.status, 2)

    def number_the_needs(self):
        """'needs test_x to pass first' -> 'needs 3.1 to pass first'."""
        numbers = {row.title: '{}.{}'.format(row.number, row.count) for row in self.rows}
        titles = {check.test: check.title for _, _, check in selfchecks.checks(self.part)}
        for index, row in enumerate(self.rows):
            message = row.message
            if row.status == 'skip' and message and message.startswith('needs test_'):
                needed = message.split()[1]
                message = message.replace(needed, numbers.get(titles.get(needed), needed))
                self.rows[index] = row._replace(message=message)

    def write_json(self):
        self.write_classroom()
        if not self.json_file:
            return
        data = {'status': self.status, 'checks': []}
        if self.status == 'error':
            data['message'] = self.message
        for row in self.rows:
            data['checks'].append(
                {
                    'name': '{}.{} {}'.format(row.number, row.count, row.title),
                    'status': row.status,
                    'message': row.message,
                    'help': row.help,
                }
            )
        Path(self.json_file).expanduser().write_text(json.dumps(data, indent=2, ensure_ascii=False) + '\n')

    def write_classroom(self):
        """The results as GitHub Classroom's reporter reads them: one point per passed check."""
        if not self.classroom_file:
            return
        tests_of = {check.title: check.test for _, _, check in selfchecks.checks(self.part)}
        tests = []
        for row in self.rows:
            text = '\n'.join(filter(None, [row.message, row.help and 'hint: ' + row.help]))
            if row.status == 'skip':
                text = 'skipped: ' + text
            code = (
                'tests/{}: {}'.format(self.short, tests_of[row.title]) if row.number else 'the doctor stage'
            )
            named = FILE_NAMED.search(row.title)
            tests.append(
                {
                    'name': '{}.{} {}'.format(row.number, row.count, row.title),
                    'status': 'pass' if row.status == 'pass' else 'fail',
                    'score': 1 if row.number and row.status == 'pass' else 0,
                    'message': text or None,
                    'test_code': code,
                    # Where the failure is in the learner's folder, else the file the check is about.
                    'filename': row.where['file'] if row.where else (named.group(0) if named else None),
                    'line_no': row.where['line'] if row.where else None,
                    'duration': round(row.duration, 3),
                }
            )
        if self.status == 'error':
            tests.append(
                {
                    'name': 'the self-check ran',
                    'status': 'error',
                    'score': 0,
                    'message': self.message,
                    'test_code': '',
                    'filename': None,
                    'line_no': None,
                    'duration': 0,
                }
            )
        data = {
            'version': 1,
            'status': self.status,
            'max_score': sum(1 for _ in selfchecks.checks(self.part)),
            'tests': tests,
        }
        Path(self.classroom_file).expanduser().write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + '\n'
        )


def wrap(text, width, indent, hanging):
    """text for a terminal of width columns: each line indented by indent, continued at hanging.

    Words are never broken, so paths and URLs stay whole (a longer one overflows its line).
    Lines that start with spaces are shown as they are (a source line and its caret, the
    lines a program printed), cut at width.
    """
    out = []
    # A place, "(config.py, line 7)", stays on one line: no-break spaces until wrapped.
    text = re.sub(r'\(([^()\s]+), line (\d+)\)', '(\\1,\xa0line\xa0\\2)', str(text))
    for line in text.splitlines() or ['']:
        if line[:1].isspace():
            line = ' ' * indent + line
            out.append(line if len(line) <= width else line[: width - 1] + '…')
            continue
        out.extend(
            textwrap.wrap(
                line,
                width,
                initial_indent=' ' * indent,
                subsequent_indent=' ' * hanging,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or ['']
        )
    return '\n'.join(out).replace('\xa0', ' ')


def hint(test, text):
    """The hint for a known mistake whose trace shows in text, with its link; or None."""
    for only, pattern, advice, link in selfchecks.HINTS:
        if only not in (None, test):
            continue
        if re.search(pattern, text):
            return '{} See {}'.format(advice, link)
    return None


if __name__ == '__main__':
    if hasattr(sys.stdout, 'reconfigure'):
        sys.stdout.reconfigure(errors='replace')
    for number in (signal.SIGTERM, getattr(signal, 'SIGHUP', None)):
        if number is not None:
            signal.signal(number, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        sys.exit(main())
    except BrokenPipeError:  # the report piped into head or less, which quit early
        sys.exit(1)
    except Stopped:  # before the folder's code ran, or after it ended
        sys.exit(130)
