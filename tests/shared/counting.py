"""Counting takes work roughly linear in the page's size (parts 3 and 4 share visible_text())."""

import sys

import pytest

from pages import nested_invisible_page


def calls(function, *args):
    """How many function calls (Python's and C's) function(*args) makes.

    A measure of its work that, unlike a time, is the same on every machine.
    """
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        count += 1

    sys.setprofile(profile)
    try:
        function(*args)
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize('tag', ['template', 'noscript'])
def test_nested_invisible_elements_take_linear_work(app_module, tag):
    visible_text = app_module.visible_text
    assert visible_text(nested_invisible_page(2000, tag)).split() == ['visible', 'words']
    small = calls(visible_text, nested_invisible_page(1000, tag))
    large = calls(visible_text, nested_invisible_page(2000, tag))
    # Twice the nesting, about twice the work. Work growing with the square
    # of the nesting (as it once did) makes it four times.
    assert large < 2.5 * small, (small, large)
