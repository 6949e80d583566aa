"""Check that a package pinned in several places has one version everywhere.

    python tools/check_pins.py [--root FOLDER]

A bump of a shared package (Flask, SQLAlchemy, ...) must move in every part that
pins it, or the diff between two parts shows version noise that is not a lesson.
Checked together, as one stack:

- current: every part's requirements.txt, the tests' and tools' requirements
  (installed next to a part's) and the "name==version" lines of tox.ini;
- legacy: every part's requirements-legacy.txt (the article's Flask-Script stack,
  the same in each part), and the tests' requirements installed next to them.

The two stacks differ from each other on purpose (Flask 1.1 against Flask 3);
docs/requirements.txt builds the docs in an environment of its own and is
checked by nothing here. A part may pin another version than the others on
purpose: add it to DELIBERATE with the reason, and say so on the part's page
(the check looks for the package's name there).
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (file, package): (why, the docs page that says so). Empty while every part
# pins the same versions; for example:
#   ('part4-queue/requirements.txt', 'flask'):
#       ('part 4 needs Flask 3.2 for ...', 'docs/parts/part4-queue.rst'),
DELIBERATE = {}

PIN = re.compile(r'^\s*(?:[\w!,-]+:\s*)?([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)')
# pre-commit hooks that run a package pinned in tox.ini too: repository -> package.
HOOKS = {'ruff-pre-commit': 'ruff', 'check-jsonschema': 'check-jsonschema'}


def normalize(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def pins_in(path, root):
    """[(package, version, 'file:line')] for each "name==version" line of a requirements file or tox.ini."""
    found = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = PIN.match(line)
        if match and not line.lstrip().startswith('#'):
            found.append((normalize(match[1]), match[2], f'{path.relative_to(root)}:{number}'))
    return found


def hook_pins(path, root):
    """The pre-commit hooks' revisions, as pins of the packages they run."""
    found, repo = [], None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if match := re.match(r'\s*-\s*repo:\s*\S+/([^/\s]+?)(?:\.git)?\s*$', line):
            repo = match[1]
        elif (match := re.match(r'\s*rev:\s*v?(\S+)', line)) and repo in HOOKS:
            found.append((HOOKS[repo], match[1], f'{path.relative_to(root)}:{number}'))
    return found


def stacks(root):
    """{stack name: [(package, version, where)]}"""
    root = Path(root)
    shared = [p for d in ('tests', 'tools') for p in sorted((root / d).glob('requirements*.txt'))]
    current = [*sorted(root.glob('part*/requirements.txt')), *shared]
    legacy = [*sorted(root.glob('part*/requirements-legacy.txt')), root / 'tests' / 'requirements.txt']
    found = {
        'current': [pin for path in current for pin in pins_in(path, root)],
        'legacy': [pin for path in legacy if path.exists() for pin in pins_in(path, root)],
    }
    if (root / 'tox.ini').exists():
        found['current'] += pins_in(root / 'tox.ini', root)
    if (root / '.pre-commit-config.yaml').exists():
        found['current'] += hook_pins(root / '.pre-commit-config.yaml', root)
    return found


def check(root=ROOT, deliberate=None):
    """A list of problems, empty when the pins agree."""
    root = Path(root)
    deliberate = DELIBERATE if deliberate is None else deliberate
    problems, used = [], set()
    for stack, pins in stacks(root).items():
        by_package = {}
        for package, version, where in pins:
            key = (where.split(':')[0], package)
            if key in deliberate:
                used.add(key)
                continue
            by_package.setdefault(package, {}).setdefault(version, []).append(where)
        for package, versions in sorted(by_package.items()):
            if len(versions) > 1:
                listed = '; '.join(f'{v} in {", ".join(w)}' for v, w in sorted(versions.items()))
                problems.append(f'{package} has {len(versions)} versions in the {stack} stack: {listed}')
    for (path, package), (why, page) in sorted(deliberate.items()):
        if (path, package) not in used:
            problems.append(f'DELIBERATE lists {package} in {path}, which does not pin it (any more)')
        page_path = root / page
        if not page_path.exists() or not re.search(re.escape(package), page_path.read_text(), re.IGNORECASE):
            problems.append(f'{package} differs in {path} on purpose ({why}), but {page} does not mention it')
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--root', default=ROOT, type=Path, help='the repository to check (default: this one)')
    args = parser.parse_args(argv)
    problems = check(args.root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print('Bump it in every file named, or see DELIBERATE in tools/check_pins.py.', file=sys.stderr)
        return 1
    count = sum(len(pins) for pins in stacks(args.root).values())
    print(f'check_pins: {count} pins agree')
    return 0


if __name__ == '__main__':
    sys.exit(main())
