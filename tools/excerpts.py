"""What a part's docs page shows, read without Sphinx.

docs/_ext/partdiff.py renders the ``part-diff`` excerpts with the functions
here (which lines of a file's diff an excerpt shows); the page-order test
(tests/docs/test_page_order.py) uses them to rebuild a learner's folder as a
page has shown it up to each point where the page says to run something:

    items = page_items('docs/parts/part3-processing.rst')
    for run in run_points(items):
        write_learner_folder(ROOT, items, run, folder)

A page is read as a list of items in page order: ``Excerpt`` (a ``part-diff``),
``FirstVersion`` (a ``.. code-block:: python`` whose caption starts with the
file it belongs in, such as ````config.py````: a first version of a function the
checkpoint leans on before the page shows it) and ``Commands`` (a
``.. code-block:: console`` whose commands run the learner's app:
``flask ...``, ``python worker.py`` or ``gunicorn ...``).
"""

import ast
import difflib
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# Used only outside a git work tree (for example a copy of the repository).
IGNORED_PARTS = {'__pycache__', '.tox', '.venv', 'venv', '.pytest_cache', '.ruff_cache', '.run', '.env'}
IGNORED_SUFFIXES = ('.pyc', '.pyo')


# --- what changed between two folders -------------------------------------------------


def part_files(folder):
    """The files of a part folder, as POSIX paths relative to it."""
    folder = Path(folder)
    try:
        listed = subprocess.run(
            ['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '.'],
            cwd=folder,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {
            path.relative_to(folder).as_posix()
            for path in folder.rglob('*')
            if path.is_file()
            and not IGNORED_PARTS.intersection(path.relative_to(folder).parts)
            and not path.name.endswith(IGNORED_SUFFIXES)
        }
    return {name for name in listed.decode().split('\0') if name and (folder / name).is_file()}


def changed_files(old, new):
    """{path: 'added' | 'removed' | 'changed'} between two part folders (old may be None)."""
    old_files = part_files(old) if old else set()
    new_files = part_files(new)
    changes = {path: 'added' for path in new_files - old_files}
    changes.update({path: 'removed' for path in old_files - new_files})
    for path in old_files & new_files:
        if (Path(old) / path).read_bytes() != (Path(new) / path).read_bytes():
            changes[path] = 'changed'
    return changes


# --- one file's diff, line by line, and the excerpts of it ----------------------------


class Line:
    """One line of a diff: kind is ' ' (unchanged), '+' (added) or '-' (removed).

    old and new are the line's 1-based numbers in the old and new file (None on the side
    it is missing from); old_before and new_before count the lines of each file above it.
    """

    __slots__ = ('kind', 'old', 'new', 'old_before', 'new_before')

    def __init__(self, kind, old, new, old_before, new_before):
        self.kind, self.old, self.new = kind, old, new
        self.old_before, self.new_before = old_before, new_before


def diff_lines(old_lines, new_lines):
    """Every line of both files in diff order, as Line objects."""
    result = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == 'equal':
            for k in range(i2 - i1):
                result.append(Line(' ', i1 + k + 1, j1 + k + 1, i1 + k, j1 + k))
            continue
        for i in range(i1, i2):
            result.append(Line('-', i + 1, None, i, j1))
        for j in range(j1, j2):
            result.append(Line('+', None, j + 1, i2, j))
    return result


def _grow(lines, wanted, changes, context):
    """The indexes to show: the changes, with up to `context` wanted unchanged lines around each."""
    shown = set(changes)
    for index in changes:
        for step in (-1, 1):
            k = index + step
            for _ in range(context):
                if not (0 <= k < len(lines)) or lines[k].kind != ' ' or not wanted[k]:
                    break
                shown.add(k)
                k += step
    return shown


def _runs(indexes):
    """Sorted indexes grouped into runs of consecutive ones."""
    runs = []
    for index in sorted(indexes):
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def hunks_of(lines, context):
    """The whole-file diff's hunks, as lists of indexes into lines."""
    changes = [k for k, line in enumerate(lines) if line.kind != ' ']
    return _runs(_grow(lines, [True] * len(lines), changes, context))


def select(lines, new_ranges=None, old_ranges=None, hunks=None, context=3):
    """The hunks of an excerpt, as lists of indexes into lines.

    new_ranges: the new-file line numbers to show (None: all); an unchanged or added line
    is shown when its new number is in them. old_ranges: old-file line numbers whose
    removed (and unchanged) lines are shown too. A removed line with no old_ranges given
    is shown when it sits next to or inside new_ranges. hunks: 1-based numbers of the
    whole-file diff's hunks (with this context) to keep.
    """
    if new_ranges is None and old_ranges is None:
        wanted = [True] * len(lines)
    else:
        new_ranges, old_ranges = new_ranges or set(), old_ranges or set()
        wanted = []
        for line in lines:
            if line.kind == ' ':
                wanted.append(line.new in new_ranges or line.old in old_ranges)
            elif line.kind == '+':
                wanted.append(line.new in new_ranges)
            elif old_ranges:
                wanted.append(line.old in old_ranges)
            else:
                above, below = line.new_before, line.new_before + 1
                wanted.append(above in new_ranges or below in new_ranges)
    if hunks is not None:
        keep = set()
        for number, hunk in enumerate(hunks_of(lines, context), 1):
            if number in hunks:
                keep.update(hunk)
        wanted = [w and k in keep for k, w in enumerate(wanted)]
    changes = [k for k, line in enumerate(lines) if line.kind != ' ' and wanted[k]]
    return _runs(_grow(lines, wanted, changes, context))


def parse_numbers(spec, last):
    """'10-25,40-' -> {10, ..., 25, 40, ..., last}; raises ValueError when malformed."""
    numbers = set()
    for item in spec.replace(' ', '').split(','):
        if not item:
            raise ValueError('empty item')
        start, dash, end = item.partition('-')
        first = int(start) if start else 1
        final = (int(end) if end else last) if dash else first
        if first < 1 or final < first:
            raise ValueError('{!r} is not a range'.format(item))
        numbers.update(range(first, final + 1))
    return numbers


def object_lines(text, name):
    """The 1-based line numbers of a top-level function, class or assigned name ('A.b' goes inside A).

    Decorators and the comment lines right above it are included. None when not found.
    """
    body = ast.parse(text).body
    node = None
    for part in name.split('.'):
        node = next((child for child in body if part in _defined_names(child)), None)
        if node is None:
            return None
        body = getattr(node, 'body', [])
    start = min([node.lineno] + [d.lineno for d in getattr(node, 'decorator_list', [])])
    source = text.splitlines()
    while start > 1 and source[start - 2].lstrip().startswith('#'):
        start -= 1
    return set(range(start, node.end_lineno + 1))


def _defined_names(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, 'target', None)]
    return {target.id for target in targets if isinstance(target, ast.Name)}


def hunk_header(lines, hunk):
    """'@@ -a,b +c,d @@' for a run of lines, as unified diffs write it."""
    first = lines[hunk[0]]
    old_count = sum(1 for k in hunk if lines[k].kind != '+')
    new_count = sum(1 for k in hunk if lines[k].kind != '-')
    return '@@ -{} +{} @@'.format(
        _unified_range(first.old_before + 1, old_count), _unified_range(first.new_before + 1, new_count)
    )


def _unified_range(start, length):
    if length == 1:
        return str(start)
    return '{},{}'.format(start if length else start - 1, length)


def read_lines(file):
    return file.read_text().splitlines() if file is not None and file.is_file() else []


class ExcerptError(ValueError):
    """An excerpt's options that cannot be met; the message says why."""


def pick(lines, old_lines, new_lines, path, options, old_exists=True, new_exists=True):
    """The hunks a part-diff's options (:lines:, :pyobject:, :hunks:, :context:) pick, as lists of indexes."""
    new_ranges = old_ranges = hunk_numbers = None
    if 'lines' in options:
        last = len(new_lines) if new_exists else len(old_lines)
        try:
            numbers = parse_numbers(options['lines'], last)
        except ValueError as error:
            raise ExcerptError(':lines: {!r}: {}'.format(options['lines'], error)) from None
        if new_exists:
            new_ranges = numbers
        else:
            old_ranges = numbers
    if 'pyobject' in options:
        name = options['pyobject']
        if not path.endswith('.py'):
            raise ExcerptError(':pyobject: works on Python files only, not {}'.format(path))
        in_new = object_lines('\n'.join(new_lines), name) if new_exists else None
        in_old = object_lines('\n'.join(old_lines), name) if old_exists else None
        if in_new is None and in_old is None:
            raise ExcerptError('{} has no {!r} in either version'.format(path, name))
        if new_ranges is not None:
            in_new = (in_new or set()) & new_ranges
        new_ranges, old_ranges = in_new or set(), in_old
    context = int(options.get('context', 3))
    if 'hunks' in options:
        count = len(hunks_of(lines, context))
        try:
            hunk_numbers = parse_numbers(options['hunks'], count)
        except ValueError as error:
            raise ExcerptError(':hunks: {!r}: {}'.format(options['hunks'], error)) from None
        if max(hunk_numbers) > count:
            raise ExcerptError('{} has {} hunk(s), not {}'.format(path, count, max(hunk_numbers)))
    if not old_exists:
        # A new file shows the lines asked for, without context around them.
        context = 0
    hunks = select(lines, new_ranges, old_ranges, hunk_numbers, context)
    if not hunks:
        raise ExcerptError('this excerpt of {} shows no change'.format(path))
    return hunks


# --- a page, read in order ------------------------------------------------------------

# Console commands that run the learner's own app (not tox, pip or psql).
RUN_COMMAND = re.compile(r'^\$ (?:\w+=\S+ )*(flask |python worker\.py|gunicorn )')
FIRST_VERSION_CAPTION = re.compile(r'^``([\w./-]+\.py)``')


@dataclass
class Excerpt:
    path: str
    options: dict
    line: int


@dataclass
class FirstVersion:
    path: str
    code: str
    line: int


@dataclass
class Commands:
    commands: list
    line: int


@dataclass
class Page:
    part: str
    items: list = field(default_factory=list)


def _directives(text):
    """(line, name, argument, options, content) of each directive, in order."""
    lines = text.splitlines()
    found = []
    for k, line in enumerate(lines):
        match = re.match(r'^(\s*)\.\. ([\w-]+):: ?(.*)$', line)
        if not match:
            continue
        indent = len(match.group(1))
        options, content, j = {}, [], k + 1
        while j < len(lines):
            option = re.match(r'^\s+:([\w-]+):(?: (.*))?$', lines[j])
            if not option or len(lines[j]) - len(lines[j].lstrip()) <= indent:
                break
            options[option.group(1)] = (option.group(2) or '').strip()
            j += 1
        while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
            content.append(lines[j])
            j += 1
        body = [line for line in content]
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
        margin = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
        found.append((k + 1, match.group(2), match.group(3).strip(), options, [b[margin:] for b in body]))
    return found


def read_page(path):
    """A part's page as a Page: its part folder and its items in page order."""
    page = None
    for line, name, argument, options, body in _directives(Path(path).read_text()):
        if name == 'part-page':
            page = Page(argument)
        elif page is None:
            continue
        elif name == 'part-diff' and 'from' not in options:
            page.items.append(Excerpt(argument, options, line))
        elif name == 'code-block' and argument == 'python':
            caption = FIRST_VERSION_CAPTION.match(options.get('caption', ''))
            if not caption:
                raise ValueError(
                    '{}:{}: a Python block on a part page is a first version: give it a caption '
                    'naming its file, e.g. :caption: ``config.py``: a first ``database_url()``'.format(
                        path, line
                    )
                )
            page.items.append(FirstVersion(caption.group(1), '\n'.join(body) + '\n', line))
        elif name == 'code-block' and argument == 'console':
            commands = [b for b in body if RUN_COMMAND.match(b)]
            if commands:
                page.items.append(Commands([c[2:] for c in commands], line))
    if page is None:
        raise ValueError('{} has no ".. part-page::"'.format(path))
    return page


# --- the learner's folder at a point of the page ---------------------------------------


def _statements(code):
    """A first version's top-level statements as (defined names or None for an import, source lines)."""
    tree = ast.parse(code)
    source = code.splitlines()
    result = []
    for node in tree.body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, 'decorator_list', [])])
        while start > 1 and source[start - 2].lstrip().startswith('#'):
            start -= 1
        text = source[start - 1 : node.end_lineno]
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            result.append((None, text))
        else:
            names = _defined_names(node)
            if not names:
                raise ValueError('a first version may only define names: {!r}'.format(text[0]))
            result.append((names, text))
    return result


def learner_file(old_lines, new_lines, shown_new, shown_old, firsts):
    """The file as the learner has typed it: the old file with the shown changes made.

    shown_new, shown_old: the new and old line numbers of the changes shown so far.
    firsts: (statements, new line numbers the page shows after it) of each first
    version, in page order. A first version's definition takes the place of the
    checkpoint's definition of that name (unless the page shows the checkpoint's
    again later), or goes at the end; its imports go below the file's imports.
    """
    lines = diff_lines(old_lines, new_lines)
    replaced = {}  # new line number -> first version lines to put there (first line) or None (the rest)
    extra, imports = [], []
    source = '\n'.join(new_lines)
    for statements, shown_after in firsts:
        for names, text in statements:
            if names is None:
                imports.extend(text)
                continue
            where = set().union(*(object_lines(source, name) or set() for name in names)) if source else set()
            if not where:
                extra.extend([''] + text)
            elif not (where & shown_after):
                for number in where:
                    replaced[number] = None
                replaced[min(where)] = text
    out = []
    for line in lines:
        if line.kind == '-':
            if line.old not in shown_old:
                out.append(old_lines[line.old - 1])
            continue
        if line.new in replaced:
            out.extend(replaced[line.new] or [])
            continue
        # Blank lines go in unshown: excerpts of functions leave out those between them.
        if line.kind == ' ' or line.new in shown_new or not new_lines[line.new - 1].strip():
            out.append(new_lines[line.new - 1])
    if imports:
        at = 0
        for k, text in enumerate(out):
            if re.match(r'(import|from) \w', text):
                at = k + 1
            elif text and not text.startswith((' ', '#', '"', "'", ')')) and at:
                break
        out[at:at] = imports
    return '\n'.join(out + extra) + '\n'


def shown_by(page_items, root, old, new, upto):
    """{path: (shown new lines, shown old lines, [(first version statements, new lines shown after)])}.

    What the items before index upto show of each file, collapsed blocks aside.
    """
    files = {}
    for item in page_items[:upto]:
        if isinstance(item, Excerpt) and 'collapsed' not in item.options:
            old_lines = read_lines(root / old / item.path)
            new_lines = read_lines(root / new / item.path)
            lines = diff_lines(old_lines, new_lines)
            hunks = pick(
                lines,
                old_lines,
                new_lines,
                item.path,
                item.options,
                (root / old / item.path).is_file(),
                (root / new / item.path).is_file(),
            )
            shown_new, shown_old, firsts = files.setdefault(item.path, (set(), set(), []))
            for hunk in hunks:
                for k in hunk:
                    if lines[k].kind == '+':
                        shown_new.add(lines[k].new)
                        for _code, after in firsts:
                            after.add(lines[k].new)
                    elif lines[k].kind == '-':
                        shown_old.add(lines[k].old)
        elif isinstance(item, FirstVersion):
            files.setdefault(item.path, (set(), set(), []))[2].append((_statements(item.code), set()))
    return files


def write_learner_folder(root, page, upto, folder, previous):
    """Write into folder the previous part's files with what page.items[:upto] has shown typed in."""
    root, folder = Path(root), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # Part 1 starts from nothing: a folder name no part has.
    previous = previous or '.no-previous-part'
    for name in sorted(part_files(root / previous)) if (root / previous).is_dir() else []:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / previous / name, folder / name)
    for path, (shown_new, shown_old, firsts) in shown_by(page.items, root, previous, page.part, upto).items():
        old_lines = read_lines(root / previous / path)
        new_lines = read_lines(root / page.part / path)
        text = learner_file(old_lines, new_lines, shown_new, shown_old, firsts)
        target = folder / path
        if not text.strip():
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def run_points(page):
    """The indexes of the page's Commands items: where it says to run the app."""
    return [k for k, item in enumerate(page.items) if isinstance(item, Commands)]
