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

extensions = ['partdiff']
# Where the part folders live; the docs tests point it at a copy.
partdiff_root = str(ROOT)

exclude_patterns = ['_build', 'requirements.txt']
nitpicky = True
html_theme = 'furo'
html_title = 'Flask by Example, tested'
html_static_path = ['_static']
# Screenshots are mostly white: frame them so they stand apart from the page.
html_css_files = ['custom.css']
