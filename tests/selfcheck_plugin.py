"""pytest plugin of the self-check: run a part's self-checks on a learner's folder.

tools/selfcheck.py loads it (pytest -p selfcheck_plugin) with
SELFCHECK_PART=part2, CHECK_FOLDER=<a copy of the learner's folder> and
SELFCHECK_RESULTS=<a file>. It keeps the tests tests/selfchecks.py lists for
the part, runs each after the checks it needs (and skips it when one of those
failed), and writes each outcome to SELFCHECK_RESULTS as JSON, with one
sentence of what happened instead of a traceback, where in the learner's folder
it happened (the file and line, as the learner names them: never the working
copy's path), and how long the check took.

Each check has CHECK_LIMIT seconds to run, and each request to the app through
Flask's test client REQUEST_LIMIT seconds. Whatever of the folder's code a check
started and left running is ended when it ends (the processes that session-scoped
fixtures start, such as the embedded servers, are kept until the run ends).
"""

import contextlib
import filecmp
import json
import os
import re
import signal
import textwrap
import time
import traceback
from pathlib import Path

import pytest
import selfchecks

_state = {'compare': None, 'outcomes': {}, 'results': {}, 'kept': set(), 'durations': {}}

# Seconds. SELFCHECK_REQUEST_LIMIT in the environment shortens the second, for the self-check's own tests.
CHECK_LIMIT = 120  # a check that had not finished by then fails
REQUEST_LIMIT = float(os.environ.get('SELFCHECK_REQUEST_LIMIT') or 15)  # the app's answer to one request
SHOWN = 2000  # characters of what a process printed, kept for the hints


class CheckTimeout(BaseException):
    """A check or a request took too long: the folder's code did not answer, or loops.

    Not an Exception, so that Flask's error handling does not turn it into a 500 answer.
    """


def _processes():
    import checkpoint  # tools/checkpoint.py, on the path once pytest has read its settings

    return checkpoint.processes_of_run(checkpoint.SELFCHECK_MARK, os.environ.get(checkpoint.SELFCHECK_MARK))


def _end_leftovers(before):
    """End what the check started and left running, except what session fixtures keep."""
    import psutil

    import checkpoint

    kept = _state['kept']
    left = set()
    for proc in _processes() - before - kept:
        try:
            if not kept.intersection(proc.parents()):
                left.add(proc)
        except psutil.Error:
            pass
    checkpoint.end_processes(left)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    if fixturedef.scope == 'function':
        return (yield)
    before = _processes()
    try:
        return (yield)
    finally:
        _state['kept'] |= _processes() - before


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before = _processes()
    try:
        return (yield)
    finally:
        _end_leftovers(before)


# --- deadlines: SIGALRM raises CheckTimeout in the check (POSIX; none on Windows) --------

_deadlines = []  # (time.monotonic() by when, what to say)


def _arm():
    signal.setitimer(signal.ITIMER_REAL, 0)
    if _deadlines:
        first = min(when for when, _ in _deadlines)
        signal.setitimer(signal.ITIMER_REAL, max(0.01, first - time.monotonic()))


def _on_alarm(number, frame):
    due = [entry for entry in _deadlines if entry[0] <= time.monotonic() + 0.01]
    if due:
        raise CheckTimeout(min(due)[1])
    _arm()


@contextlib.contextmanager
def deadline(seconds, message):
    if not hasattr(signal, 'SIGALRM'):
        yield
        return
    entry = (time.monotonic() + seconds, message)
    _deadlines.append(entry)
    _arm()
    try:
        yield
    finally:
        _deadlines.remove(entry)
        _arm()


def pytest_configure(config):
    if hasattr(signal, 'SIGALRM'):
        signal.signal(signal.SIGALRM, _on_alarm)
    import werkzeug.test  # Flask's test client is werkzeug's

    original = werkzeug.test.Client.open

    def open_with_a_deadline(self, *args, **kwargs):
        first = args[0] if args else kwargs.get('path', '/')
        method = getattr(first, 'method', kwargs.get('method', 'GET'))
        said = 'the app had not answered {} {} after {:g} s'.format(
            method, shorten(getattr(first, 'path', first), 60), REQUEST_LIMIT
        )
        with deadline(REQUEST_LIMIT, said):
            return original(self, *args, **kwargs)

    werkzeug.test.Client.open = open_with_a_deadline


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with deadline(CHECK_LIMIT, 'the check had not finished after {} s'.format(CHECK_LIMIT)):
        return (yield)


def _table():
    found = selfchecks.part(os.environ['SELFCHECK_PART'])
    return {check.test: (index, check) for index, (_, _, check) in enumerate(selfchecks.checks(found))}


def pytest_collection_modifyitems(session, config, items):
    table = _table()
    found = selfchecks.part(os.environ['SELFCHECK_PART'])
    keep = [item for item in items if getattr(item, 'originalname', item.name) in table]
    dropped = [item for item in items if item not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)

    def order(item):  # every check after those it needs
        return (selfchecks.depth(found, item.originalname), table[item.originalname][0])

    items[:] = sorted(keep, key=order)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _state['compare'] = None
    table = _table()
    _, check = table[item.originalname]
    for needed in check.needs:
        if _state['outcomes'].get(needed, 'skip') != 'pass':
            pytest.skip('needs {} to pass first'.format(needed))  # the report numbers it


def pytest_assertrepr_compare(config, op, left, right):
    if _state['compare'] is None:
        _state['compare'] = (op, left, right)
    return None  # pytest's own explanation stays, for --verbose


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and call.excinfo is not None:
        where = _where(call.excinfo, _state['compare'])
        report.selfcheck_message = what_happened(call.excinfo, _state['compare'], where)
        report.selfcheck_where = where and {'file': where['file'], 'line': where['line']}
        # What a worker process the test started printed (part 4): often the real reason.
        for value in getattr(item, 'funcargs', {}).values():
            log = getattr(value, 'log', None)
            if isinstance(log, Path) and log.exists():
                report.sections.append(('worker output', log.read_text(errors='replace')[-5000:]))
    params = getattr(getattr(item, 'callspec', None), 'params', None)
    if params:  # the case, as its first parameter: path='/<script>alert(1)'
        name, value = next(iter(params.items()))
        report.selfcheck_case = '{}={}'.format(name, shorten(repr(value), 60))
    return report


def pytest_runtest_logreport(report):
    name = report.nodeid.split('::')[-1].split('[')[0]
    case = getattr(report, 'selfcheck_case', None)
    results = _state['results'].setdefault(name, {})
    # Seconds, set-up and teardown included: graders report each check's duration.
    _state['durations'][name, case] = _state['durations'].get((name, case), 0) + report.duration
    if report.when == 'call' or report.failed or report.skipped:
        if report.failed:
            status, message = 'fail', getattr(report, 'selfcheck_message', None) or 'it failed'
        elif report.skipped:
            status, message = 'skip', _skip_reason(report)
        else:
            status, message = 'pass', None
        previous = results.get(case)
        if previous is None or previous['status'] == 'pass':  # a failed teardown spoils a pass
            # For the hints: the exception's lines and what the processes printed, not test source.
            errors = [line for line in report.longreprtext.splitlines() if line.startswith('E ')]
            shown = ['--- {} ---\n{}'.format(name, text[-SHOWN:]) for name, text in report.sections]
            raw = '\n'.join(errors[-50:] + shown)
            where = getattr(report, 'selfcheck_where', None)
            results[case] = {'case': case, 'status': status, 'message': message, 'raw': raw, 'where': where}
    outcomes = [r['status'] for r in results.values()]
    _state['outcomes'][name] = (
        'fail' if 'fail' in outcomes else ('skip' if 'pass' not in outcomes else 'pass')
    )


def pytest_sessionfinish(session):
    path = os.environ.get('SELFCHECK_RESULTS')
    if path:
        results = {
            name: [
                dict(found, duration=round(_state['durations'].get((name, case), 0), 3))
                for case, found in cases.items()
            ]
            for name, cases in _state['results'].items()
        }
        Path(path).write_text(json.dumps(results))


def _skip_reason(report):
    if isinstance(report.longrepr, tuple):
        return report.longrepr[2].removeprefix('Skipped: ')
    return str(report.longrepr)


# --- one sentence instead of a traceback ---------------------------------------------


def shorten(text, limit=200):
    text = ' '.join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + '…'


def error_line(text):
    """The line of a command's output (or a traceback) that says what went wrong."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    pattern = re.compile(r'^([\w.]*(Error|Exception|Exit|Warning)\b|Error\b|error:)')
    for line in reversed(lines):
        if pattern.search(line):
            return shorten(line)
    return shorten(lines[-1]) if lines else ''


# --- where it happened, in the learner's folder ------------------------------------------
# Used by tools/selfcheck.py too (the doctor stage), so none of it needs pytest.

# An absolute path in a message or a command's output (not one inside a URL).
PATH = re.compile(r'(?<![\w.~:/\\])(?:[A-Za-z]:)?[\\/][^\s"\'<>()\[\]{},;:]+')
FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def learners_path(path, folder):
    """path as the learner knows it ('config.py', 'migrations/env.py'), or None when it is not theirs.

    Theirs: a path in folder (the self-check's working copy), or a file in a copy of it that
    a check made (some copy the folder to a temporary folder of their own) with the same bytes.
    """
    path = Path(path)
    if not path.is_absolute():
        return None
    for base in dict.fromkeys([Path(folder), Path(folder).resolve()]):
        if path.is_relative_to(base):
            inside = path.relative_to(base).as_posix()
            return 'your folder' if inside == '.' else inside
    try:
        if not path.is_file():
            return None
        for start in range(1, len(path.parts)):  # the longest tail that names one of their files
            tail = Path(*path.parts[start:])
            theirs = Path(folder) / tail
            if theirs.is_file() and filecmp.cmp(theirs, path, shallow=False):
                return tail.as_posix()
    except OSError:
        return None
    return None


def in_learners_terms(text, folder=None):
    """text with every path of the working copy (or a check's copy of it) named as in their folder."""
    folder = folder or os.environ.get('CHECK_FOLDER')
    if not folder or not text:
        return text
    text = PATH.sub(lambda found: learners_path(found.group(0), folder) or found.group(0), str(text))
    for base in dict.fromkeys([str(Path(folder).resolve()), str(folder)]):
        text = text.replace(base + os.sep, '').replace(base, 'your folder')
    return text


def locate(frames, folder, syntax=None):
    """Where an error happened in the learner's folder: {'file', 'line', 'shown'}, or None.

    frames: (file name, line number) pairs, outermost first; the innermost in the folder wins.
    syntax: for a SyntaxError, {'filename', 'lineno', 'lines'}: it happened in the file that
    did not compile, not where that file was imported; lines are its source line and caret.
    """
    if syntax and syntax.get('filename') and syntax.get('lineno'):
        name = learners_path(syntax['filename'], folder)
        if name:
            shown = '\n'.join(line.rstrip() for line in syntax['lines'] if line.strip())
            return {'file': name, 'line': syntax['lineno'], 'shown': shown}
    for filename, lineno in reversed(list(frames)):
        name = learners_path(filename, folder)
        if name and name != 'your folder':
            return {'file': name, 'line': lineno, 'shown': ''}
    return None


def syntax_of(error):
    """What locate() needs of a SyntaxError (or IndentationError); None for any other error."""
    if not isinstance(error, SyntaxError):
        return None
    lines = ''.join(traceback.format_exception_only(type(error), error)).splitlines()
    return {'filename': error.filename, 'lineno': error.lineno, 'lines': lines[1:-1]}


def in_output(text, folder):
    """Where a traceback in a command's output happened in the learner's folder, or None."""
    text = str(text)
    frames = [(name, int(line)) for name, line in FRAME.findall(text)]
    if not frames:
        return None
    # A SyntaxError's last "File" line is the file that did not compile: its source line and
    # caret follow, then the error (all indented further where the output is quoted).
    last = list(FRAME.finditer(text))[-1]
    after = text[last.end() :].splitlines()[1:4]
    error = re.compile(r'\s*(SyntaxError|IndentationError|TabError)\b')
    ends = [n for n, line in enumerate(after) if error.match(line)]
    syntax = None
    if ends:
        shown = textwrap.indent(textwrap.dedent('\n'.join(after[: ends[0]])), '    ').splitlines()
        syntax = {'filename': last.group(1), 'lineno': int(last.group(2)), 'lines': shown}
    return locate(frames, folder, syntax)


def said(where):
    """' (config.py, line 7)', and the source line and caret of a SyntaxError below it."""
    if not where:
        return ''
    return ' ({}, line {})'.format(where['file'], where['line']) + (
        '\n' + where['shown'] if where['shown'] else ''
    )


def _where(excinfo, compare):
    """Where the check's error happened in the learner's folder, or None.

    The check's own traceback first; for a failed assert, a traceback in the output of a
    command the check ran (flask db upgrade, gunicorn, flask run).
    """
    folder = os.environ.get('CHECK_FOLDER')
    if not folder:
        return None
    frames = [(str(entry.path), entry.lineno + 1) for entry in excinfo.traceback]
    found = locate(frames, folder, syntax_of(excinfo.value))
    if found or not isinstance(excinfo.value, AssertionError):
        return found
    texts = [str(excinfo.value)] + [side for side in (compare or ())[1:] if isinstance(side, str)]
    for text in texts:
        found = in_output(text, folder)
        if found:
            return found
    return None


def _compared(got, expected):
    """An assert got == expected without a message of its own, in words.

    Counts, lists and tables: what is extra and what is missing (shared/differences.py);
    anything else: both values.
    """
    if isinstance(got, (dict, list)) and type(got) is type(expected):
        from shared.differences import differences

        said = differences(expected, got)
        if said and len(said) <= 200:
            return said
    return 'expected {}, got {}'.format(shorten(repr(expected)), shorten(repr(got)))


def what_happened(excinfo, compare, where=None):
    """One sentence of what happened, and where in the learner's folder (see _where)."""
    message = _what_happened(excinfo, compare)
    if where and said(where).splitlines()[0] not in message:
        message += said(where)
    # Name the learner's files as they know them, not by the copy's path.
    return in_learners_terms(message)


def _what_happened(excinfo, compare):
    value = excinfo.value
    if isinstance(value, CheckTimeout):
        return str(value)
    if isinstance(value, SystemExit):
        return 'the app stopped: {}'.format(shorten(value.code))
    if excinfo.errisinstance(pytest.fail.Exception) and 'DID NOT RAISE' in str(value):
        return 'the app started, although it should have stopped with a message'
    if isinstance(value, AssertionError):
        text = str(value)
        message = '' if text.startswith('assert ') else text.split('\nassert ', 1)[0]
        if message.strip():
            return error_line(message)
        if compare is not None:
            op, left, right = compare
            if op == '==':
                return _compared(left, right)
            if op in ('in', 'not in') and isinstance(right, str) and '\n' in right.strip():
                # A command's output: show the line that tells what happened.
                return 'expected {}{} in the output, which says: {}'.format(
                    'no ' if op == 'not in' else '', shorten(repr(left), 80), error_line(right)
                )
            if op == 'in':
                return 'expected {} in {}'.format(shorten(repr(left), 80), shorten(repr(right)))
            if op == 'not in':
                return 'expected no {} in {}'.format(shorten(repr(left), 80), shorten(repr(right)))
            return 'expected {} {} {}'.format(shorten(repr(left)), op, shorten(repr(right)))
        return shorten(text.splitlines()[0]) if text else 'a check failed'
    # The first line that says something (NLTK's LookupError opens with a line of stars).
    text = value.msg if isinstance(value, SyntaxError) else str(value)  # its place comes below
    first = next((line.strip() for line in str(text).splitlines() if re.search('[A-Za-z]', line)), '')
    return shorten('{}: {}'.format(type(value).__name__, first))
