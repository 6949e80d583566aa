"""Sphinx configuration. Build with: tox -e docs"""

import logging
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# _ext/partdiff.py renders the diffs between part folders; it reuses tools/checkpoint.py.
sys.path[:0] = [str(DOCS / '_ext'), str(ROOT / 'tools')]

project = 'Flask by Example, as tested checkpoints'
author = 'the project contributors'
copyright = '2026, ' + author

extensions = ['partdiff', 'codelines', 'a11y', 'sphinx_copybutton']
# Where the part folders live; the docs tests point it at a copy.
partdiff_root = str(ROOT)

# The copy button leaves out prompts ("$ ", ">>> ") and the output lines after them.
# In a diff it copies the new version of the lines shown: no markers, no removed lines.
copybutton_prompt_text = r'\$ |>>> |\.\.\. '
copybutton_prompt_is_regexp = True
# A command split over lines with a trailing backslash is copied whole.
copybutton_line_continuation_character = '\\'
copybutton_exclude = '.linenos, .pd-mark, .pd-del, .pd-file, .pd-hunk'

exclude_patterns = ['_build', 'requirements.txt']
nitpicky = True
html_theme = 'furo'
html_title = 'Flask by Example, tested'
html_static_path = ['_static']
# Diff colours for light and dark themes, wrapped code lines, framed screenshots.
html_css_files = ['custom.css']


class _Warnings(logging.Handler):
    """Counts the warnings of a build."""

    count = 0

    def emit(self, record):
        self.count += 1


def setup(app):
    # Sphinx reads again only the pages that changed since the last build, so a
    # warning that failed one build (-W) would not be said in the next, which would
    # pass. After a warning, drop the saved environment, as Sphinx itself does after
    # an error: the next build reads and checks every page again.
    warnings = _Warnings(logging.WARNING)
    logging.getLogger('sphinx').addHandler(warnings)

    def forget_pages_after_warnings(app, exception):
        logging.getLogger('sphinx').removeHandler(warnings)
        if warnings.count:
            (Path(app.doctreedir) / 'environment.pickle').unlink(missing_ok=True)

    app.connect('build-finished', forget_pages_after_warnings)
