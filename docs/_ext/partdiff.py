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

import html
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives

# tools/excerpts.py: what changed and which lines an excerpt shows, without Sphinx
# (the page-order test reads the pages with it too).
from excerpts import (  # noqa: F401 - the docs tests use these through this module
    ExcerptError,
    Line,
    _runs,
    changed_files,
    diff_lines,
    hunk_header,
    hunks_of,
    object_lines,
    parse_numbers,
    part_files,
    pick,
    read_lines,
    select,
)
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound
from sphinx.directives.code import container_wrapper
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import checkpoint  # tools/checkpoint.py: the one place that knows what a part folder is

logger = logging.getLogger(__name__)


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

        old_lines, new_lines = read_lines(old_file), read_lines(new_file)
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
        try:
            return pick(lines, old_lines, new_lines, path, self.options, old_exists, new_exists)
        except ExcerptError as error:
            raise self.error('part-diff: {}'.format(error)) from None

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
    old_lines = read_lines(root / previous / path if previous else None)
    new_lines = read_lines(root / part / path)
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
