"""Links into the built docs from outside them lead to a page and a section.

Two kinds: the links the self-check prints (tests/selfchecks.py), and the one-line
pointers in the checkpoints' code ("# Beyond the article, explained in the docs: ...")
where a checkpoint does something the article does not. The part pages are rewritten
from time to time; a renamed section would leave either pointing at nothing.
tox -e docs builds the HTML before these run.
"""

import re

import pytest
import selfchecks

import checkpoint

HTML = checkpoint.ROOT / 'docs' / '_build' / 'html'
POINTER = re.compile(r'# Beyond the article, explained in the docs: (\S+)')


def selfcheck_links():
    found = {section.link for part in selfchecks.PARTS.values() for section in part.sections}
    found |= {hint[3] for hint in selfchecks.HINTS}
    found.add('getting-started.html')  # the doctor stage's section (tools/selfcheck.py)
    return sorted(found)


def code_pointers():
    """(file, link) for every pointer in the part folders' Python files."""
    found = []
    for part in checkpoint.parts():
        for path in sorted(part.glob('*.py')):
            for link in POINTER.findall(path.read_text()):
                found.append(('{}/{}'.format(part.name, path.name), link))
    return found


def assert_leads_somewhere(link):
    page, _, anchor = link.partition('#')
    if not (HTML / 'index.html').exists():
        pytest.fail('build the docs first: tox -e docs')
    assert (HTML / page).is_file(), 'no page ' + page
    if anchor:
        ids = set(re.findall(r'id="([^"]+)"', (HTML / page).read_text()))
        assert anchor in ids, '{} has no section #{}'.format(page, anchor)


@pytest.mark.parametrize('link', selfcheck_links())
def test_selfcheck_link_leads_to_a_page_and_section(link):
    assert_leads_somewhere(link)


@pytest.mark.parametrize(('source', 'link'), code_pointers())
def test_pointer_in_the_code_leads_to_a_page_and_section(source, link):
    assert_leads_somewhere(link)


def test_the_code_has_pointers_in_every_part_that_goes_beyond_the_article():
    parts = {source.split('/')[0] for source, _ in code_pointers()}
    assert parts == {part.name for part in checkpoint.parts()}
