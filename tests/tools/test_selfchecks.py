"""The table of self-checks (tests/selfchecks.py) stays true to the test modules it names."""

import ast
import re
from pathlib import Path

import pytest
import selfchecks

TESTS = Path(selfchecks.__file__).parent


def part_test_dirs():
    return sorted(p for p in TESTS.iterdir() if p.is_dir() and re.fullmatch(r'part\d+', p.name))


def defined_tests(module_path):
    """The test functions a module defines, and those it takes from tests/shared with import *."""
    tree = ast.parse(module_path.read_text())
    names = {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith('test_')
    }
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith('shared.'):
            if any(alias.name == '*' for alias in node.names):
                shared = TESTS / (node.module.replace('.', '/') + '.py')
                names |= defined_tests(shared)
    return names


def test_every_part_has_an_entry():
    assert sorted(p.name for p in part_test_dirs()) == sorted(selfchecks.PARTS)


@pytest.mark.parametrize('short', sorted(selfchecks.PARTS))
def test_every_test_module_of_a_part_is_listed_once(short):
    """A new module must be sorted into self-check or checkpoint-only: nothing rots silently."""
    part = selfchecks.PARTS[short]
    modules = sorted(p.stem for p in (TESTS / short).glob('test_*.py'))
    listed = list(part.self_check_modules) + list(part.checkpoint_only_modules)
    assert sorted(listed) == modules, (
        'sort each of tests/{}/test_*.py into one list of tests/selfchecks.py'.format(short)
    )


@pytest.mark.parametrize('short', sorted(selfchecks.PARTS))
def test_every_listed_check_is_a_test_of_a_self_check_module(short):
    part = selfchecks.PARTS[short]
    defined = set()
    for module in part.self_check_modules:
        defined |= defined_tests(TESTS / short / (module + '.py'))
    listed = [check.test for _, _, check in selfchecks.checks(part)]
    assert sorted(set(listed) - defined) == []
    assert len(listed) == len(set(listed)), 'a test is listed twice'
    needs = {check.test: check.needs for _, _, check in selfchecks.checks(part)}
    for test, needed in needs.items():
        assert set(needed) <= set(listed), test
        assert selfchecks.depth(part, test) < len(needs), 'a loop of needs'
    # Every self-check module contributes a check (or belongs in checkpoint_only_modules).
    for module in part.self_check_modules:
        assert defined_tests(TESTS / short / (module + '.py')) & set(listed), module


@pytest.mark.parametrize('short', sorted(selfchecks.PARTS))
def test_the_doctor_asks_only_for_names_the_tutorial_fixes(short):
    for name in selfchecks.PARTS[short].files:
        assert not re.search(r'manage\.py|README|requirements|versions/', name), name


def test_hint_patterns_compile():
    for test, pattern, advice, link in selfchecks.HINTS:
        re.compile(pattern)
        assert advice.endswith('.') and ('.html' in link), (test, pattern)


def held_back(part, test):
    """The checks skipped when test fails: those that need it, directly or through others."""
    needs = {check.test: set(check.needs) for _, _, check in selfchecks.checks(part)}
    found, more = set(), {test}
    while more:
        more = {other for other, needed in needs.items() if needed & more} - found
        found |= more
    return found


@pytest.mark.parametrize('short', sorted(selfchecks.PARTS))
def test_no_check_holds_back_more_than_two_others(short):
    """One mistake fails one check and skips at most HELD_BACK others (issue 17)."""
    part = selfchecks.PARTS[short]
    assert selfchecks.HELD_BACK == 2
    for _, _, check in selfchecks.checks(part):
        skipped = held_back(part, check.test)
        assert len(skipped) <= selfchecks.HELD_BACK, '{} holds back {}: {}'.format(
            check.test, len(skipped), ', '.join(sorted(skipped))
        )


def test_held_back_counts_the_checks_needed_through_others():
    """The count above can fail: a chain a <- b <- c holds back two behind a, and a fan of three, three."""
    chain = selfchecks.Part(
        'x',
        (),
        (
            selfchecks.Section(
                's',
                'l',
                (
                    selfchecks.Check('a', 'a'),
                    selfchecks.Check('b', 'b', ('a',)),
                    selfchecks.Check('c', 'c', ('b',)),
                    selfchecks.Check('d', 'd', ('c',)),
                ),
            ),
        ),
        (),
        (),
    )
    assert held_back(chain, 'a') == {'b', 'c', 'd'}
    assert held_back(chain, 'c') == {'d'}
