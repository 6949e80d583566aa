"""Every line of a code block in a span of its own, so that a wrapped line can be marked.

Sphinx highlights literalinclude and code-block with Pygments; this formatter puts each
line (its newline inside, so copying keeps the line breaks) in ``<span class="code-line">``,
the way docs/_ext/partdiff.py puts each diff line in ``<span class="pd-line">``. The
stylesheet (custom.css) then gives a line that wraps on a narrow screen a hanging indent
and a bar beside its continuation rows: drawn by CSS, so never copied as text.
"""

from pygments.formatters import HtmlFormatter


class CodeLineFormatter(HtmlFormatter):
    def wrap(self, source):
        # Pygments closes and reopens its token spans at each line end, so a line is
        # complete HTML on its own.
        return super().wrap(
            (kind, '<span class="code-line">{}</span>'.format(html) if kind == 1 else html)
            for kind, html in source
        )


def use_code_lines(app):
    if app.builder.format == 'html':
        app.builder.highlighter.formatter = CodeLineFormatter


def setup(app):
    app.connect('builder-inited', use_code_lines)
    return {'version': '1', 'parallel_read_safe': True, 'parallel_write_safe': True}
