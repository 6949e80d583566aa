"""What the part-diff directive's excerpts pick (docs/_ext/partdiff.py), on small files."""

import difflib
import sys

import pytest

import checkpoint

sys.path.insert(0, str(checkpoint.ROOT / 'docs' / '_ext'))
import partdiff  # noqa: E402

OLD = """\
import os


def greet(name):
    return 'Hello ' + name


def unchanged():
    return 1


def removed():
    return 2
""".splitlines()

NEW = """\
import os
import sys


def greet(name):
    # Escaped, so a name cannot inject HTML.
    return 'Hello ' + escape(name)


def unchanged():
    return 1


# Comments right above a definition belong to it.
@decorated
def added():
    return 3
""".splitlines()


def shown(lines, hunks):
    """The excerpt as unified-diff lines: marker and text."""
    return [
        lines[k].kind + (OLD[lines[k].old - 1] if lines[k].kind == '-' else NEW[lines[k].new - 1])
        for h in hunks
        for k in h
    ]


def changes(lines, hunks):
    return [text for text in shown(lines, hunks) if text[0] != ' ']


@pytest.fixture
def lines():
    return partdiff.diff_lines(OLD, NEW)


def test_the_whole_diff_is_what_difflib_prints(lines):
    hunks = partdiff.hunks_of(lines, 3)
    mine = []
    for hunk in hunks:
        mine.append(partdiff.hunk_header(lines, hunk))
        mine.extend(shown(lines, [hunk]))
    assert mine == list(difflib.unified_diff(OLD, NEW, lineterm=''))[2:]


def test_pyobject_shows_the_changes_inside_the_function_only(lines):
    hunks = partdiff.select(
        lines, partdiff.object_lines('\n'.join(NEW), 'greet'), partdiff.object_lines('\n'.join(OLD), 'greet')
    )
    assert changes(lines, hunks) == [
        "-    return 'Hello ' + name",
        '+    # Escaped, so a name cannot inject HTML.',
        "+    return 'Hello ' + escape(name)",
    ]
    # Context stays inside the function too.
    assert shown(lines, hunks)[0] == ' def greet(name):'


def test_pyobject_takes_decorators_and_the_comment_above():
    assert partdiff.object_lines('\n'.join(NEW), 'added') == {14, 15, 16, 17}
    assert partdiff.object_lines('\n'.join(NEW), 'missing') is None


def test_a_removed_function_is_found_in_the_old_file(lines):
    hunks = partdiff.select(lines, set(), partdiff.object_lines('\n'.join(OLD), 'removed'))
    assert changes(lines, hunks) == ['-def removed():', '-    return 2']


def test_lines_pick_new_file_lines_and_the_removals_among_them(lines):
    hunks = partdiff.select(lines, partdiff.parse_numbers('5-8', len(NEW)))
    assert changes(lines, hunks) == [
        "-    return 'Hello ' + name",
        '+    # Escaped, so a name cannot inject HTML.',
        "+    return 'Hello ' + escape(name)",
    ]


def test_hunks_pick_by_number(lines):
    whole = partdiff.hunks_of(lines, 1)
    assert len(whole) == 3
    hunks = partdiff.select(lines, hunks={1, 3}, context=1)
    assert [k for h in hunks for k in h] == whole[0] + whole[2]


def test_context_sets_the_unchanged_lines_around(lines):
    zero = partdiff.select(lines, context=0)
    assert all(lines[k].kind != ' ' for h in zero for k in h)
    assert len(shown(lines, partdiff.select(lines, context=1))) > len(shown(lines, zero))


def test_an_excerpt_without_a_change_is_empty(lines):
    assert partdiff.select(lines, partdiff.object_lines('\n'.join(NEW), 'unchanged')) == []


@pytest.mark.parametrize(
    'spec, numbers',
    [('3', {3}), ('2-4', {2, 3, 4}), ('-2', {1, 2}), ('5-', {5, 6}), ('1,5-6', {1, 5, 6})],
)
def test_line_ranges(spec, numbers):
    assert partdiff.parse_numbers(spec, 6) == numbers


@pytest.mark.parametrize('spec', ['', 'a', '4-2', '0', '1,,2'])
def test_bad_line_ranges(spec):
    with pytest.raises(ValueError):
        partdiff.parse_numbers(spec, 6)


def test_highlighting_keeps_one_entry_per_line():
    text = 'x = """a\nb"""\n\ny = 1\n'
    highlighted = partdiff.highlighted_lines(text, 'python')
    assert len(highlighted) == 4
    assert highlighted[2] == ''
    # The string spans two lines and is a string on both.
    assert 'class="s2"' in highlighted[1]
