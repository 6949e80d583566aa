"""The part pages in a real browser: nothing scrolls sideways, no taught code line wraps at
1280 px (a line that wraps on a narrower screen is marked), diffs show their colours.

    tox -e docs-browser

The docs are built (HTML, as tox -e docs does) into a temporary folder and each part's
page is opened in headless Chromium at 1280 x 900, in furo's light and dark themes, with
every collapsed block opened. Chromium comes from PATH (tests/browser.py), never from a
Playwright download; plain tox leaves this env out because a new machine may lack it.
"""

import re

import pytest

import checkpoint

WIDTH, HEIGHT = 1280, 900
PARTS = checkpoint.parts()


@pytest.fixture
def open_page(browser, html):
    pages = []

    def open_(part, theme):
        page = browser.new_page(viewport={'width': WIDTH, 'height': HEIGHT})
        pages.append(page)
        page.goto((html / 'parts' / (part.name + '.html')).as_uri())
        # furo keeps the reader's choice in body[data-theme]: 'light', 'dark' or 'auto'.
        page.evaluate('theme => { document.body.dataset.theme = theme }', theme)
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true })")
        return page

    yield open_
    for page in pages:
        page.close()


def rgb(colour):
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 0.5)' -> (1, 2, 3, 0.5)."""
    numbers = [float(n) for n in re.findall(r'[\d.]+', colour)]
    return tuple(numbers + [1.0] * (4 - len(numbers)))


def luminance(colour):
    r, g, b, _ = rgb(colour)
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


THEMES = ['light', 'dark']


@pytest.mark.parametrize('theme', THEMES)
@pytest.mark.parametrize('part', PARTS, ids=lambda p: p.name)
def test_no_code_block_scrolls_sideways(open_page, part, theme):
    page = open_page(part, theme)
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll('article pre')]
            .filter(pre => pre.scrollWidth > pre.clientWidth)
            .map(pre => pre.scrollWidth + ' > ' + pre.clientWidth + ': ' + pre.innerText.split('\\n')[0])"""
    )
    assert page.evaluate("() => document.querySelectorAll('article pre').length") > 0
    assert too_wide == []


@pytest.mark.parametrize('theme', THEMES)
@pytest.mark.parametrize('part', PARTS[1:], ids=lambda p: p.name)
def test_diff_lines_have_their_own_colours(open_page, part, theme):
    page = open_page(part, theme)
    colours = page.evaluate(
        """() => Object.fromEntries(['add', 'del', 'ctx', 'hunk', 'file'].map(kind => {
            const line = document.querySelector('.partdiff-diff .pd-' + kind);
            return [kind, line && getComputedStyle(line).backgroundColor];
        }))"""
    )
    body = page.evaluate('() => getComputedStyle(document.body).backgroundColor')
    assert (luminance(body) < 0.5) == (theme == 'dark'), body
    assert colours['add'] and colours['ctx'] and colours['hunk'], colours
    present = {kind: colour for kind, colour in colours.items() if colour}
    # Added, removed and unchanged lines, hunk headers and file headers: all different.
    assert len(set(present.values())) == len(present), present
    # Added lines are green, removed lines red.
    red, green, blue, _ = rgb(colours['add'])
    assert green > red and green > blue, colours['add']
    if colours['del']:
        red, green, blue, _ = rgb(colours['del'])
        assert red > green and red > blue, colours['del']


@pytest.mark.parametrize('theme', THEMES)
def test_added_and_removed_lines_appear_somewhere(open_page, theme):
    # The colour test above can only compare what a page has: make sure every kind is seen.
    seen = set()
    for part in PARTS[1:]:
        page = open_page(part, theme)
        seen.update(
            page.evaluate(
                """() => ['add', 'del', 'ctx', 'hunk', 'file']
                    .filter(kind => document.querySelector('.partdiff-diff .pd-' + kind))"""
            )
        )
    assert seen == {'add', 'del', 'ctx', 'hunk', 'file'}


@pytest.mark.parametrize('part', PARTS[1:], ids=lambda p: p.name)
def test_copying_a_diff_gives_the_new_lines_one_per_line(open_page, html, part):
    # sphinx-copybutton copies the innerText of a copy of the block, without the
    # elements that copybutton_exclude (docs/conf.py) names, as its script shows.
    script = (html / '_static' / 'copybutton.js').read_text()
    exclude = re.search(r"let exclude = '([^']*)'", script).group(1)
    assert '.pd-del' in exclude
    page = open_page(part, 'light')
    copied, kept = page.evaluate(
        """exclude => {
            const pre = document.querySelector('.partdiff-diff pre');
            const clone = pre.cloneNode(true);
            clone.querySelectorAll(exclude).forEach(node => node.remove());
            const kept = [...pre.querySelectorAll('.pd-add, .pd-ctx')]
                .map(line => line.textContent.slice(1, -1));
            return [clone.innerText, kept];
        }""",
        exclude,
    )
    assert copied.rstrip('\n').split('\n') == kept


@pytest.mark.parametrize('theme', THEMES)
@pytest.mark.parametrize('part', PARTS, ids=lambda p: p.name)
def test_no_taught_code_line_wraps(open_page, part, theme):
    # A line typed by eye must be the line: at 1280 px no code line outside the collapsed
    # appendices (a part's README tables, generated files) takes more than one row. Each
    # line's rows: the height of a Range over its characters, in line heights.
    page = open_page(part, theme)
    wrapped = page.evaluate(
        """() => [...document.querySelectorAll('article pre')].flatMap(pre => {
            const lineHeight = parseFloat(getComputedStyle(pre).lineHeight);
            const chars = [];
            const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode())
                for (let i = 0; i < node.data.length; i++) chars.push([node, i]);
            const appendix = pre.closest('details.partdiff-collapsed') !== null;
            const found = [];
            let start = 0;
            for (const line of chars.map(([node, i]) => node.data[i]).join('').split('\\n')) {
                if (line.trim()) {
                    const range = document.createRange();
                    range.setStart(...chars[start]);
                    const [node, i] = chars[start + line.length - 1];
                    range.setEnd(node, i + 1);
                    const rows = Math.round(range.getBoundingClientRect().height / lineHeight);
                    if (rows > 1) found.push({appendix, rows, line});
                }
                start += line.length + 1;
            }
            return found;
        })"""
    )
    taught = [w['line'] for w in wrapped if not w['appendix']]
    print('{} {}: {} wrapped code lines, {} taught'.format(part.name, theme, len(wrapped), len(taught)))
    assert page.evaluate("() => document.querySelectorAll('article pre').length") > 0
    assert taught == []


@pytest.mark.parametrize('part', PARTS[:2], ids=lambda p: p.name)
def test_a_line_that_wraps_on_a_narrow_screen_is_marked(browser, html, part):
    # Below furo's 63em a long line wraps: its continuation rows are indented and carry a
    # bar (a background of its line box, so copying leaves it out).
    page = browser.new_page(viewport={'width': 800, 'height': HEIGHT})
    try:
        page.goto((html / 'parts' / (part.name + '.html')).as_uri())
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true })")
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('article pre :is(.code-line, .pd-line)')]
                .map(line => [line, getComputedStyle(line)])
                .filter(([line, style]) => line.offsetHeight > 1.5 * parseFloat(style.lineHeight))
                .map(([line, style]) => [
                    style.backgroundImage, parseFloat(style.paddingLeft) + parseFloat(style.textIndent)
                ])"""
        )
        lines = page.evaluate(
            "() => document.querySelectorAll('article pre :is(.code-line, .pd-line)').length"
        )
        # What is copied (sphinx-copybutton takes innerText) is the code, no marker in it.
        changed_by_copying = page.evaluate(
            """() => [...document.querySelectorAll('article pre')]
                .filter(pre => !pre.closest('.partdiff-diff') && pre.innerText !== pre.textContent)
                .map(pre => pre.textContent.split('\\n')[0])"""
        )
    finally:
        page.close()
    assert lines > 0
    assert changed_by_copying == []
    assert boxes, 'no line wraps at 800 px: nothing to check'
    for image, first_row_offset in boxes:
        assert image.startswith('linear-gradient'), image
        assert first_row_offset <= 14, first_row_offset  # the first row starts left of the rest
