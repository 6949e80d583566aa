"""Give the toctree captions the heading level that assistive technology needs.

Sphinx writes each toctree caption (the sidebar's "The course", "Reference") as
<p class="caption" role="heading"> without aria-level, which the ARIA rules require
for role="heading" (axe: aria-required-attr, critical). They are headings under the
site title, so level 2.
"""

CAPTION = 'class="caption" role="heading">'


def add_level(app, pagename, templatename, context, doctree):
    # furo hands the sidebar's toctree to its template as rendered HTML; the body of a
    # page with a toctree of its own (the index) has the same caption.
    for key in ('furo_navigation_tree', 'body'):
        value = context.get(key)
        if isinstance(value, str) and CAPTION in value:
            context[key] = value.replace(CAPTION, CAPTION[:-1] + ' aria-level="2">')


def setup(app):
    app.connect('html-page-context', add_level, priority=900)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
