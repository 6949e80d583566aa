"""Show what each step changes, straight from the checkpoint folders, and fail when a change goes unshown.

A part's page starts with::

    .. part-page:: part2-database

and then shows what the step adds, changes or removes, file by file or in excerpts::

    .. part-diff:: app.py                 (the whole file's diff; a new file whole)

    .. part-diff:: config.py
       :pyobject: database_url            (only the diff inside that function or class)

    .. part-diff:: app.py
       :lines: 1-12,40-                   (only the diff within those lines of the new file)

    .. part-diff:: models.py
       :hunks: 1,3-4                      (only those hunks of the whole-file diff, from 1)

    .. part-diff:: README.md
       :collapsed:                        (inside a closed <details>, for an appendix)

Other options: ``:caption:`` (the text above the block; it also names a collapsed
block), ``:context: N`` (unchanged lines around each change, 3 by default),
``:name:`` (a reference label of your own). ``:pyobject:`` takes a top-level function,
class or assigned name (``Class.method`` works too) and looks for it in the new file,
and in the old file for the lines it removed; the comment lines right above it
belong to it. ``:lines:``, ``:pyobject:`` and ``:hunks:`` may be combined: a line is
shown when it passes each of them. The same file may be shown in several excerpts.

A changed file is rendered as a unified diff whose headers name the two folders
(``part1-setup/app.py`` and ``part2-database/app.py``), with added lines on green,
removed lines on red and the file's own syntax highlighting inside; a new file is
shown as plain code; a removed file as a diff against nothing. ``:from:`` and ``:to:``
pick other folders (for example on the instructors' page); by default a diff goes from
the previous part to the page's part. The first block of each file on its part's page
gets a reference label named after the file, e.g. ``:ref:`part2-database/app.py```.

``.. part-screenshot::`` shows ``_static/screenshots/<part>.png`` for the page's part,
with ``:alt:`` and ``:caption:`` (what to type or open, and what you see).

When every page has been read, the build warns (an error under ``-W``) when:

* a file that differs between two consecutive parts is not shown on the later part's
  page (a collapsed block counts);
* a file shown in at least one block that is not collapsed (a file the page teaches)
  has an added or removed line that no such block shows (blank lines aside); the
  warning names the file and the lines;
* a page shows a diff for a file that does not change, or an excerpt with no change in it;
* a part folder has no page, or a page names a folder that does not exist;
* a part's page has no screenshot, or the screenshot file is missing.

The parts live in ``partdiff_root`` (the repository); inside a git work tree only files
git tracks or would track count (ignored files such as ``__pycache__/`` never do).
"""

import ast
import difflib
import html
import subprocess
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound
from sphinx.directives.code import container_wrapper
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import checkpoint  # tools/checkpoint.py: the one place that knows what a part folder is

logger = logging.getLogger(__name__)

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


# --- highlighting ----------------------------------------------------------------------

# Pygments' Procfile lexer flags "app:app" as an error; .env files read well as shell.
LANGUAGES = {'Procfile': 'text', '.env.example': 'bash'}


def _language(path):
    if Path(path).name in LANGUAGES:
        return LANGUAGES[Path(path).name]
    try:
        return get_lexer_for_filename(path).aliases[0]
    except ClassNotFound:
        return 'text'


def _css_class(ttype):
    """The short CSS class Pygments' HTML formatter gives a token type (e.g. 'k', 'nf')."""
    suffix = ''
    while STANDARD_TYPES.get(ttype) is None:
        suffix = '-' + ttype[-1] + suffix
        ttype = ttype.parent
    return STANDARD_TYPES[ttype] + suffix


def highlighted_lines(text, language):
    """The file's lines as HTML with Pygments' classes, highlighted as a whole so strings and
    comments that span lines come out right."""
    lexer = get_lexer_by_name(language, stripnl=False, stripall=False, ensurenl=True)
    lines, current = [], []
    for ttype, value in lexer.get_tokens(text):
        css = _css_class(ttype)
        for k, piece in enumerate(value.split('\n')):
            if k:
                lines.append(''.join(current))
                current = []
            if piece:
                escaped = html.escape(piece, quote=False)
                current.append('<span class="{}">{}</span>'.format(css, escaped) if css else escaped)
    if current:
        lines.append(''.join(current))
    return lines


# --- nodes -----------------------------------------------------------------------------


class diff_block(nodes.General, nodes.FixedTextElement):
    """A diff: its text for any builder, and ready-made HTML (line classes, highlighting)."""


class collapsed_block(nodes.General, nodes.Element):
    """A <details> block whose <summary> is the 'summary' attribute."""


def visit_diff_block_html(translator, node):
    translator.body.append(node['html'])
    raise nodes.SkipNode


def visit_collapsed_html(translator, node):
    ids = ''.join('<span id="{}"></span>'.format(html.escape(id_)) for id_ in node['ids'])
    translator.body.append(
        '<details class="partdiff-collapsed">{}<summary>{}</summary>\n'.format(
            ids, html.escape(node['summary'])
        )
    )


def depart_collapsed_html(translator, node):
    translator.body.append('</details>\n')


def plain_for_other_builders(app, doctree, docname):
    """Outside HTML, a diff is a plain literal block and a collapsed block an open container."""
    if app.builder.format == 'html':
        return
    for node in list(doctree.findall(diff_block)):
        node.replace_self(nodes.literal_block(node.astext(), node.astext(), language='diff'))
    for node in list(doctree.findall(collapsed_block)):
        container = nodes.container()
        container += node.children
        node.replace_self(container)


# --- state kept in the build environment ----------------------------------------------


def _state(env):
    if not hasattr(env, 'partdiff_pages'):
        env.partdiff_pages = {}  # docname -> part folder name
        # docname -> list of (from, to, path, collapsed, new lines shown, old lines shown)
        env.partdiff_shown = {}
        env.partdiff_screenshots = set()  # docnames with a screenshot
    return env


def root_of(config):
    return Path(config.partdiff_root).resolve()


def all_parts(config):
    return checkpoint.parts(root_of(config))


def previous_part(config, name):
    names = [p.name for p in all_parts(config)]
    index = names.index(name)
    return names[index - 1] if index else None


class PartPage(SphinxDirective):
    """Declare which part this page walks through."""

    required_arguments = 1

    def run(self):
        name = self.arguments[0]
        names = [p.name for p in all_parts(self.config)]
        if name not in names:
            raise self.error('part-page: no folder {!r}; the parts are: {}'.format(name, ', '.join(names)))
        state = _state(self.env)
        if self.env.docname in state.partdiff_pages:
            raise self.error('part-page: this page already walks through {}'.format(name))
        state.partdiff_pages[self.env.docname] = name
        return []


def _page_part(directive):
    part = _state(directive.env).partdiff_pages.get(directive.env.docname)
    if part is None:
        raise directive.error(
            '{}: put ".. part-page:: <folder>" before it on this page'.format(directive.name)
        )
    return part


def _read_lines(file):
    return file.read_text().splitlines() if file is not None and file.is_file() else []


class PartDiff(SphinxDirective):
    """Render one file's change between two part folders, whole or in an excerpt."""

    required_arguments = 1
    option_spec = {
        'from': directives.unchanged,
        'to': directives.unchanged,
        'pyobject': directives.unchanged_required,
        'lines': directives.unchanged_required,
        'hunks': directives.unchanged_required,
        'caption': directives.unchanged_required,
        'context': directives.nonnegative_int,
        'collapsed': directives.flag,
        'name': directives.unchanged_required,
    }

    def run(self):
        path = self.arguments[0]
        root = root_of(self.config)
        explicit = 'from' in self.options or 'to' in self.options
        if explicit and not ('from' in self.options and 'to' in self.options):
            raise self.error('part-diff: give :from: and :to: together')
        new = self.options['to'] if explicit else _page_part(self)
        old = self.options['from'] if explicit else previous_part(self.config, new)
        old_file = root / old / path if old else None
        new_file = root / new / path
        for folder in filter(None, (old, new)):
            if not (root / folder).is_dir():
                raise self.error('part-diff: no folder {!r}'.format(folder))
        old_exists = bool(old_file and old_file.is_file())
        new_exists = new_file.is_file()
        if not old_exists and not new_exists:
            raise self.error('part-diff: {} is in neither {} nor {}'.format(path, old, new))
        for file in (old_file, new_file):
            if file is not None:
                self.env.note_dependency(str(file))

        old_lines, new_lines = _read_lines(old_file), _read_lines(new_file)
        lines = diff_lines(old_lines, new_lines)
        state = _state(self.env)
        shown = state.partdiff_shown.setdefault(self.env.docname, [])
        collapsed = 'collapsed' in self.options
        if lines and all(line.kind == ' ' for line in lines):
            # Recorded, so that the check at the end names it.
            shown.append((old, new, path, collapsed, set(), set()))
            return [self._wrap(nodes.literal_block('No change.', 'No change.'), path, old, new, 'unchanged')]

        hunks = self._excerpt(lines, old_lines, new_lines, path, old_exists, new_exists)
        indexes = [k for hunk in hunks for k in hunk]
        shown.append(
            (
                old,
                new,
                path,
                collapsed,
                {lines[k].new for k in indexes if lines[k].kind == '+'},
                {lines[k].old for k in indexes if lines[k].kind == '-'},
            )
        )
        language = _language(path)
        if not old_exists:
            # A new file: plain code, one block per run of lines.
            blocks = []
            for hunk in hunks:
                text = '\n'.join(new_lines[lines[k].new - 1] for k in hunk)
                literal = nodes.literal_block(text, text, language=language)
                self.set_source_info(literal)
                blocks.append(literal)
            status = 'new in {}'.format(new)
        else:
            blocks = [
                self._diff_block(lines, hunks, old_lines, new_lines, path, old, new, new_exists, language)
            ]
            status = '{} from {} to {}'.format('changed' if new_exists else 'removed', old, new)
        return [self._wrap(blocks, path, old, new, status)]

    def _excerpt(self, lines, old_lines, new_lines, path, old_exists, new_exists):
        """The hunks this directive's options pick, as lists of indexes into lines."""
        new_ranges = old_ranges = hunk_numbers = None
        if 'lines' in self.options:
            last = len(new_lines) if new_exists else len(old_lines)
            try:
                numbers = parse_numbers(self.options['lines'], last)
            except ValueError as error:
                raise self.error('part-diff: :lines: {!r}: {}'.format(self.options['lines'], error)) from None
            if new_exists:
                new_ranges = numbers
            else:
                old_ranges = numbers
        if 'pyobject' in self.options:
            name = self.options['pyobject']
            if not path.endswith('.py'):
                raise self.error('part-diff: :pyobject: works on Python files only, not {}'.format(path))
            in_new = object_lines('\n'.join(new_lines), name) if new_exists else None
            in_old = object_lines('\n'.join(old_lines), name) if old_exists else None
            if in_new is None and in_old is None:
                raise self.error('part-diff: {} has no {!r} in either version'.format(path, name))
            if new_ranges is not None:
                in_new = (in_new or set()) & new_ranges
            new_ranges, old_ranges = in_new or set(), in_old
        context = self.options.get('context', 3)
        if 'hunks' in self.options:
            count = len(hunks_of(lines, context))
            try:
                hunk_numbers = parse_numbers(self.options['hunks'], count)
            except ValueError as error:
                raise self.error('part-diff: :hunks: {!r}: {}'.format(self.options['hunks'], error)) from None
            if max(hunk_numbers) > count:
                raise self.error(
                    'part-diff: {} has {} hunk(s), not {}'.format(path, count, max(hunk_numbers))
                )
        if not old_exists:
            # A new file shows the lines asked for, without context around them.
            context = 0
        hunks = select(lines, new_ranges, old_ranges, hunk_numbers, context)
        if not hunks:
            raise self.error('part-diff: this excerpt of {} shows no change'.format(path))
        return hunks

    def _diff_block(self, lines, hunks, old_lines, new_lines, path, old, new, new_exists, language):
        old_html = highlighted_lines('\n'.join(old_lines) + '\n', language)
        new_html = highlighted_lines('\n'.join(new_lines) + '\n', language) if new_lines else []
        whole = not any(option in self.options for option in ('lines', 'pyobject', 'hunks'))
        text, rows = [], []

        def add(kind, plain, markup):
            text.append(plain)
            # The newline inside the line's box: copying without removed lines keeps no blank line.
            rows.append('<span class="pd-line pd-{}">{}\n</span>'.format(kind, markup))

        if whole:
            for marker, label in (('---', '{}/{}'.format(old, path)), ('+++', '{}/{}'.format(new, path))):
                label = label if new_exists or marker == '---' else '/dev/null'
                add('file', '{} {}'.format(marker, label), html.escape('{} {}'.format(marker, label)))
        for hunk in hunks:
            header = hunk_header(lines, hunk)
            add('hunk', header, html.escape(header))
            for k in hunk:
                line = lines[k]
                source, markup = (old_lines, old_html) if line.kind == '-' else (new_lines, new_html)
                number = line.old if line.kind == '-' else line.new
                kind = {' ': 'ctx', '+': 'add', '-': 'del'}[line.kind]
                mark = '<span class="pd-mark">{}</span>'.format(line.kind)
                add(kind, line.kind + source[number - 1], mark + markup[number - 1])
        plain = '\n'.join(text)
        node = diff_block(plain, plain)
        node['html'] = (
            '<div class="highlight-{} notranslate partdiff-diff">'
            '<div class="highlight"><pre>{}</pre></div></div>\n'.format(language, ''.join(rows))
        )
        self.set_source_info(node)
        return node

    def _wrap(self, blocks, path, old, new, status):
        if isinstance(blocks, nodes.Node):
            blocks = [blocks]
        caption = self.options.get('caption')
        if caption is None:
            caption = '``{}``'.format(path)
            if 'pyobject' in self.options:
                caption += ': ``{}``'.format(self.options['pyobject'])
            elif 'lines' in self.options:
                caption += ', lines {}'.format(self.options['lines'])
            elif 'hunks' in self.options:
                caption += ', hunks {}'.format(self.options['hunks'])
            caption += ' ({})'.format(status)
        first, *rest = blocks
        wrapper = container_wrapper(self, first, caption)
        wrapper['classes'].append('partdiff')
        wrapper.extend(rest)
        # The label goes on the captioned block, so that :ref: finds its caption as the
        # link text, collapsed or not.
        self._label(wrapper, path, new)
        if 'collapsed' not in self.options:
            return wrapper
        # Closed by default; the summary repeats the caption, which CSS hides inside.
        outer = collapsed_block()
        outer['summary'] = caption.replace('``', '')
        outer += wrapper
        self.set_source_info(outer)
        return outer

    def _label(self, node, path, new):
        # A label named after the file, e.g. :ref:`part2-database/app.py`, on its first block.
        explicit = 'from' in self.options
        labelled = self.env.temp_data.setdefault('partdiff_labels', set())
        automatic = '{}/{}'.format(new, path)
        if 'name' in self.options:
            self.add_name(node)
        elif not explicit and automatic not in labelled:
            labelled.add(automatic)
            self.options['name'] = automatic
            self.add_name(node)


class PartScreenshot(SphinxDirective):
    """The committed screenshot of the page's part (made by docs/screenshots.py)."""

    option_spec = {'alt': directives.unchanged, 'caption': directives.unchanged}

    def run(self):
        part = _page_part(self)
        _state(self.env).partdiff_screenshots.add(self.env.docname)
        uri = '/_static/screenshots/{}.png'.format(part)
        # An :alt: or :caption: written over several lines becomes one line.
        alt = ' '.join(self.options.get('alt', 'The {} app in a browser'.format(part)).split())
        caption = ' '.join(self.options.get('caption', 'The app of {} in a browser.'.format(part)).split())
        text = '.. figure:: {}\n   :alt: {}\n\n   {}'
        return self.parse_text_to_nodes(text.format(uri, alt, caption))


# --- the consistency check --------------------------------------------------------------


def purge_doc(app, env, docname):
    state = _state(env)
    state.partdiff_pages.pop(docname, None)
    state.partdiff_shown.pop(docname, None)
    state.partdiff_screenshots.discard(docname)


def merge_info(app, env, docnames, other):
    state, theirs = _state(env), _state(other)
    for docname in docnames:
        if docname in theirs.partdiff_pages:
            state.partdiff_pages[docname] = theirs.partdiff_pages[docname]
        if docname in theirs.partdiff_shown:
            state.partdiff_shown[docname] = theirs.partdiff_shown[docname]
        if docname in theirs.partdiff_screenshots:
            state.partdiff_screenshots.add(docname)


def check_every_change_is_shown(app, env):
    state = _state(env)
    root = root_of(app.config)
    pages = {}
    for docname, part in sorted(state.partdiff_pages.items()):
        if part in pages:
            logger.warning('%s already has a page (%s)', part, pages[part], location=docname)
        pages.setdefault(part, docname)
    previous = None
    for folder in all_parts(app.config):
        part = folder.name
        docname = pages.get(part)
        if docname is None:
            logger.warning(
                'part folder %s has no page: add docs/parts/%s.rst starting with ".. part-page:: %s"',
                part,
                part,
                part,
            )
        else:
            _check_page(env, state, docname, root, previous, part)
        previous = part


def _check_page(env, state, docname, root, previous, part):
    blocks = [block for block in state.partdiff_shown.get(docname, ()) if block[:2] == (previous, part)]
    shown = {block[2] for block in blocks}
    changes = changed_files(root / previous if previous else None, root / part)
    for path in sorted(set(changes) - shown):
        logger.warning(
            '%s/%s is %s in this step but not shown: add ".. part-diff:: %s" to this page',
            part,
            path,
            changes[path],
            path,
            location=docname,
        )
    for path in sorted(shown - set(changes)):
        logger.warning('part-diff: %s does not change from %s to %s', path, previous, part, location=docname)
    for path in sorted(shown & set(changes)):
        taught = [block for block in blocks if block[2] == path and not block[3]]
        if taught:
            _check_excerpts(docname, root, previous, part, path, taught)
    if docname not in state.partdiff_screenshots:
        logger.warning('this page has no ".. part-screenshot::"', location=docname)
    screenshot = Path(env.srcdir) / '_static' / 'screenshots' / (part + '.png')
    if not screenshot.is_file():
        logger.warning('%s is missing: run docs/screenshots.py', screenshot, location=docname)


def _check_excerpts(docname, root, previous, part, path, taught):
    """Every added and removed line of a taught file must be in one of its open blocks."""
    old_lines = _read_lines(root / previous / path if previous else None)
    new_lines = _read_lines(root / part / path)
    lines = diff_lines(old_lines, new_lines)
    new_shown = set().union(*(block[4] for block in taught))
    old_shown = set().union(*(block[5] for block in taught))
    # Blank lines say nothing: excerpts of functions need not show the blank lines between them.
    added = [
        n.new for n in lines if n.kind == '+' and n.new not in new_shown and new_lines[n.new - 1].strip()
    ]
    removed = [
        n.old for n in lines if n.kind == '-' and n.old not in old_shown and old_lines[n.old - 1].strip()
    ]
    if added or removed:
        missing = []
        if added:
            missing.append('added lines {} (new file)'.format(_spans(added)))
        if removed:
            missing.append('removed lines {} (old file)'.format(_spans(removed)))
        logger.warning(
            '%s/%s: no excerpt on this page shows its %s: add an excerpt that does '
            '(:pyobject:, :lines: or :hunks:), or show the whole file',
            part,
            path,
            ' and '.join(missing),
            location=docname,
        )


def _spans(numbers):
    """[3, 4, 5, 9] -> '3-5, 9'."""
    return ', '.join(
        str(run[0]) if len(run) == 1 else '{}-{}'.format(run[0], run[-1]) for run in _runs(numbers)
    )


def setup(app):
    app.add_config_value('partdiff_root', '..', 'env', types=[str])
    app.add_directive('part-page', PartPage)
    app.add_directive('part-diff', PartDiff)
    app.add_directive('part-screenshot', PartScreenshot)
    app.add_node(diff_block, html=(visit_diff_block_html, None))
    app.add_node(collapsed_block, html=(visit_collapsed_html, depart_collapsed_html))
    app.connect('doctree-resolved', plain_for_other_builders)
    app.connect('env-purge-doc', purge_doc)
    app.connect('env-merge-info', merge_info)
    app.connect('env-check-consistency', check_every_change_is_shown)
    return {'version': '2', 'env_version': 2, 'parallel_read_safe': True, 'parallel_write_safe': True}
