"""Every page of the docs passes axe-core's WCAG 2.1 A and AA rules, light and dark.

    tox -e docs-browser

axe-core comes inside the axe-playwright-python package (no download at run time) and
runs in the headless Chromium of tests/browser.py, on the docs built by conftest.py.
"""

import pytest

WCAG21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']
THEMES = ['light', 'dark']
# The course in reading order, then the reference pages.
PAGES = [
    'index',
    'getting-started',
    'parts/part1-setup',
    'parts/part2-database',
    'parts/part3-processing',
    'parts/part4-queue',
    'troubleshooting',
    'differences',
    'testing',
    'instructors',
]


def axe_violations(page):
    """axe-core's WCAG 2.1 A/AA violations on an open page, one readable line each."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={'runOnly': {'type': 'tag', 'values': WCAG21_AA}})
    return [
        '{} ({}): {}; e.g. {}'.format(v['id'], v['impact'], v['help'], v['nodes'][0]['html'][:160])
        for v in result.response['violations']
    ]


def test_every_page_is_checked(html):
    built = {p.relative_to(html).with_suffix('').as_posix() for p in html.rglob('*.html')}
    built -= {'genindex', 'search'}  # Sphinx's own pages
    assert built == set(PAGES)


@pytest.mark.parametrize('theme', THEMES)
@pytest.mark.parametrize('name', PAGES)
def test_axe_finds_nothing(browser, html, name, theme):
    page = browser.new_page(viewport={'width': 1280, 'height': 900})
    try:
        page.goto((html / (name + '.html')).as_uri())
        page.evaluate('theme => { document.body.dataset.theme = theme }', theme)
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true })")
        assert axe_violations(page) == []
    finally:
        page.close()
