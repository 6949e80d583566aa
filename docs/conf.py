"""Sphinx configuration. Build with: tox -e docs"""

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
