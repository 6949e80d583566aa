"""pytest plugin of the self-check: run a part's self-checks on a learner's folder.

tools/selfcheck.py loads it (pytest -p selfcheck_plugin) with
SELFCHECK_PART=part2, CHECK_FOLDER=<a copy of the learner's folder> and
SELFCHECK_RESULTS=<a file>. It keeps the tests tests/selfchecks.py lists for
the part, runs each after the checks it needs (and skips it when one of those
failed), and writes each outcome to SELFCHECK_RESULTS as JSON, with one
sentence of what happened instead of a traceback.

Each check has CHECK_LIMIT seconds to run, and each request to the app through
Flask's test client REQUEST_LIMIT seconds. Whatever of the folder's code a check
started and left running is ended when it ends (the processes that session-scoped
fixtures start, such as the embedded servers, are kept until the run ends).
"""

import contextlib
import json
import os
import re
import signal
import time
from pathlib import Path

import pytest
import selfchecks

_state = {'compare': None, 'outcomes': {}, 'results': {}, 'kept': set()}

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
        report.selfcheck_message = what_happened(call.excinfo, _state['compare'])
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
            results[case] = {'case': case, 'status': status, 'message': message, 'raw': raw}
    outcomes = [r['status'] for r in results.values()]
    _state['outcomes'][name] = (
        'fail' if 'fail' in outcomes else ('skip' if 'pass' not in outcomes else 'pass')
    )


def pytest_sessionfinish(session):
    path = os.environ.get('SELFCHECK_RESULTS')
    if path:
        results = {name: list(cases.values()) for name, cases in _state['results'].items()}
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


def _in_learners_folder(excinfo):
    folder = os.environ.get('CHECK_FOLDER')
    if not folder:
        return ''
    for entry in reversed(excinfo.traceback):
        path = Path(str(entry.path))
        if path.is_relative_to(folder):
            return ' ({}, line {})'.format(path.relative_to(folder), entry.lineno + 1)
    return ''


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


def what_happened(excinfo, compare):
    folder = os.environ.get('CHECK_FOLDER')
    message = _what_happened(excinfo, compare)
    # Name the learner's files as they know them, not by the copy's path.
    return message.replace(folder + os.sep, '').replace(folder, 'your folder') if folder else message


def _what_happened(excinfo, compare):
    value = excinfo.value
    if isinstance(value, CheckTimeout):
        return str(value) + _in_learners_folder(excinfo)
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
    first = next((line.strip() for line in str(value).splitlines() if re.search('[A-Za-z]', line)), '')
    return shorten('{}: {}'.format(type(value).__name__, first)) + _in_learners_folder(excinfo)
