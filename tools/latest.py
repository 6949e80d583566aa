"""Install a part's direct dependencies at their newest releases and say what moved.

Used by tox -e latest-part1 ... latest-part4 (commands_pre), in the tox environment
that then runs the part's tests:

    python tools/latest.py PART_FOLDER PACKAGE [PACKAGE ...]

PACKAGE names what the part's code uses directly (tox.ini lists them). They are
installed unpinned with everything they need resolved fresh, then every package
of the part's pinned requirements.txt is compared with what got installed. It
fails, before any test runs, when the list in tox.ini no longer matches the
part: a listed package the part does not pin, or a module the part imports that
no listed package provides.
"""

import ast
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pins(path):
    """{name: (version, requirement)} for every "name==version" line of a requirements file."""
    found = {}
    for line in Path(path).read_text().splitlines():
        line = line.split('#', 1)[0].strip()
        if not line or line.startswith('-'):
            continue
        req = Requirement(line)
        versions = [s.version for s in req.specifier if s.operator == '==']
        if versions:
            found[canonicalize_name(req.name)] = (versions[0], req)
    return found


def installed(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def needed(direct):
    """The installed distributions the direct packages pull in, themselves included."""
    seen, todo = set(), [canonicalize_name(n) for n in direct]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for line in requires:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({'extra': ''}):
                todo.append(canonicalize_name(req.name))
    return seen


def imported_modules(part):
    """Top-level modules the part's Python files import, less the stdlib and the part's own."""
    own = {p.stem for p in part.glob('*.py')} | {p.name for p in part.iterdir() if p.is_dir()}
    modules = set()
    for path in part.rglob('*.py'):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split('.')[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split('.')[0])
    return sorted(modules - own - set(sys.stdlib_module_names))


def main(folder, direct):
    part = ROOT / folder
    pinned = pins(part / 'requirements.txt')
    legacy = part / 'requirements-legacy.txt'
    legacy_pins = pins(legacy) if legacy.exists() else {}
    direct = [canonicalize_name(n) for n in direct]
    problems = [
        f'tox.ini lists {name} for {folder}, but {folder}/requirements.txt does not pin it'
        for name in direct
        if name not in pinned
    ]
    if problems:
        sys.exit('\n'.join(problems))

    # --upgrade: the newest release of every package in the resolution, not only
    # of the named ones, so the rest is resolved fresh too.
    command = [sys.executable, '-m', 'uv', 'pip', 'install', '--quiet', '--upgrade']
    subprocess.run([*command, '--python', sys.executable, *direct], check=True)

    # Every module the part imports must come from a listed package, or the
    # list in tox.ini has fallen behind the code.
    providers = importlib.metadata.packages_distributions()
    for module in imported_modules(part):
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        if not dists:
            if canonicalize_name(module) in legacy_pins:
                continue  # only the article's stack has it (flask_script): not part of this track
            problems.append(f'{folder} imports {module}, which no installed package provides')
        elif not dists & set(direct):
            problems.append(f'{folder} imports {module} (from {", ".join(sorted(dists))}): add it to tox.ini')
    if problems:
        sys.exit('\n'.join(problems))

    closure = needed(direct)
    rows, same = [], []
    for name, (version, req) in sorted(pinned.items()):
        if req.marker is not None and not req.marker.evaluate():
            continue  # pinned for other Pythons only
        now = installed(name)
        kind = 'direct' if name in direct else 'pulled in'
        if now is None or name not in closure:
            rows.append(f'  {name} {version} -> no longer needed ({kind})')
        elif now != version:
            rows.append(f'  {name} {version} -> {now} ({kind})')
        else:
            same.append(name)
    for name in sorted(closure - set(pinned)):
        rows.append(f'  {name} (not pinned) -> {installed(name)} (new dependency)')
    print(f'\n{folder}: newest releases against {folder}/requirements.txt')
    print('\n'.join(rows) if rows else '  nothing moved: every pin is the newest release')
    if same:
        print(f'  unchanged: {", ".join(same)}')
    print(f'Python {sys.version.split()[0]}\n', flush=True)


if __name__ == '__main__':
    if len(sys.argv) < 3 or not re.match(r'^part\d+-', sys.argv[1]):
        sys.exit('usage: python tools/latest.py PART_FOLDER PACKAGE [PACKAGE ...]')
    main(sys.argv[1], sys.argv[2:])
