"""Show what each step changes, straight from the checkpoint folders, and fail when a change goes unshown.

A part's page starts with::

    .. part-page:: part2-database

and then shows every file the step adds, changes or removes::

    .. part-diff:: app.py

A changed file is rendered as a unified diff whose headers name the two folders
(``part1-setup/app.py`` and ``part2-database/app.py``); a new file is shown whole;
a removed file as a diff against nothing. ``:from:`` and ``:to:`` pick other folders
(for example on the instructors' page); by default a diff goes from the previous part
to the page's part. Each rendered file gets a reference label named after the file,
e.g. ``:ref:`part2-database/app.py```.

``.. part-screenshot::`` shows ``_static/screenshots/<part>.png`` for the page's part.

When every page has been read, the build warns (an error under ``-W``) when:

* a file that differs between two consecutive parts is not shown on the later part's page;
* a page shows a diff for a file that does not change;
* a part folder has no page, or a page names a folder that does not exist;
* a part's page has no screenshot.

The parts live in ``partdiff_root`` (the repository); inside a git work tree only files
git tracks or would track count (ignored files such as ``__pycache__/`` never do).
"""

import difflib
import subprocess
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from pygments.lexers import get_lexer_for_filename
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


# --- state kept in the build environment ----------------------------------------------


def _state(env):
    if not hasattr(env, 'partdiff_pages'):
        env.partdiff_pages = {}  # docname -> part folder name
        env.partdiff_shown = {}  # docname -> set of (from, to, path)
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
    """Render one file's change between two part folders."""

    required_arguments = 1
    option_spec = {'from': directives.unchanged, 'to': directives.unchanged}

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
        if not old_exists and not new_file.is_file():
            raise self.error('part-diff: {} is in neither {} nor {}'.format(path, old, new))
        for file in (old_file, new_file):
            if file is not None:
                self.env.note_dependency(str(file))

        if not old_exists:
            text = new_file.read_text()
            language = _language(path)
            caption = '``{}`` (new in {})'.format(path, new)
        else:
            old_lines = old_file.read_text().splitlines()
            new_lines = new_file.read_text().splitlines() if new_file.is_file() else []
            label = '{}/{}'.format(new, path) if new_file.is_file() else '/dev/null'
            diff = list(
                difflib.unified_diff(old_lines, new_lines, '{}/{}'.format(old, path), label, lineterm='')
            )
            if not diff:
                text, language = 'No change.', 'text'
            else:
                text, language = '\n'.join(diff), 'diff'
            change = 'changed' if new_file.is_file() else 'removed'
            caption = '``{}`` ({} from {} to {})'.format(path, change, old, new)
        _state(self.env).partdiff_shown.setdefault(self.env.docname, set()).add((old, new, path))

        literal = nodes.literal_block(text, text, language=language)
        self.set_source_info(literal)
        container = container_wrapper(self, literal, caption)
        if not explicit:
            # A label named after the file, e.g. :ref:`part2-database/app.py`.
            self.options['name'] = '{}/{}'.format(new, path)
            self.add_name(container)
        return [container]


# Pygments' Procfile lexer flags "app:app" as an error; .env files read well as shell.
LANGUAGES = {'Procfile': 'text', '.env.example': 'bash'}


def _language(path):
    if Path(path).name in LANGUAGES:
        return LANGUAGES[Path(path).name]
    try:
        return get_lexer_for_filename(path).aliases[0]
    except ClassNotFound:
        return 'text'


class PartScreenshot(SphinxDirective):
    """The committed screenshot of the page's part (made by docs/screenshots.py)."""

    option_spec = {'alt': directives.unchanged}

    def run(self):
        part = _page_part(self)
        _state(self.env).partdiff_screenshots.add(self.env.docname)
        uri = '/_static/screenshots/{}.png'.format(part)
        # An :alt: written over several lines becomes one line of the figure's option.
        alt = ' '.join(self.options.get('alt', 'The {} app in a browser'.format(part)).split())
        text = '.. figure:: {}\n   :alt: {}\n\n   {} running, as ``docs/screenshots.py`` sees it.'
        return self.parse_text_to_nodes(text.format(uri, alt, part))


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
    shown = {
        path for old, new, path in state.partdiff_shown.get(docname, ()) if (old, new) == (previous, part)
    }
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
    if docname not in state.partdiff_screenshots:
        logger.warning('this page has no ".. part-screenshot::"', location=docname)
    screenshot = Path(env.srcdir) / '_static' / 'screenshots' / (part + '.png')
    if not screenshot.is_file():
        logger.warning('%s is missing: run docs/screenshots.py', screenshot, location=docname)


def setup(app):
    app.add_config_value('partdiff_root', '..', 'env', types=[str])
    app.add_directive('part-page', PartPage)
    app.add_directive('part-diff', PartDiff)
    app.add_directive('part-screenshot', PartScreenshot)
    app.connect('env-purge-doc', purge_doc)
    app.connect('env-merge-info', merge_info)
    app.connect('env-check-consistency', check_every_change_is_shown)
    return {'version': '1', 'env_version': 1, 'parallel_read_safe': True, 'parallel_write_safe': True}
