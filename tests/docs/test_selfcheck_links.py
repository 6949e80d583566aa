"""Every link the self-check prints (tests/selfchecks.py) leads to a page and section of the built docs.

The part pages are rewritten from time to time; a renamed section would leave the
learner's report pointing at nothing. tox -e docs builds the HTML before these run.
"""

import re

import pytest
import selfchecks

import checkpoint

HTML = checkpoint.ROOT / 'docs' / '_build' / 'html'


def links():
    found = {section.link for part in selfchecks.PARTS.values() for section in part.sections}
    found |= {hint[3] for hint in selfchecks.HINTS}
    found.add('getting-started.html')  # the doctor stage's section (tools/selfcheck.py)
    return sorted(found)


@pytest.mark.parametrize('link', links())
def test_link_leads_to_a_page_and_section(link):
    page, _, anchor = link.partition('#')
    if not (HTML / 'index.html').exists():
        pytest.fail('build the docs first: tox -e docs')
    assert (HTML / page).is_file(), 'no page ' + page
    if anchor:
        ids = set(re.findall(r'id="([^"]+)"', (HTML / page).read_text()))
        assert anchor in ids, '{} has no section #{}'.format(page, anchor)
