"""Lay the start of a part into a new or empty folder: tox -e start-partN -- FOLDER [--classroom]

The start of part N is part N-1's app as a learner has it: the files they write
and run (app.py, config.py, the Procfile, requirements.txt, .env.example,
.python-version, migrations/ ...), without what the checkpoint has for its
maintainers (its README, the legacy track's manage.py and pins), plus a
.gitignore and a README that says the task. Part 1 starts empty.

--classroom also writes .github/workflows/classroom.yml, which grades every push
with part N's self-check (tox -e check-partN -- FOLDER --classroom FILE) and
reports the points to GitHub Classroom. It checks out this course at the commit
the folder was made from, from the repository COURSE_REPOSITORY names
(owner/name on GitHub), else from this clone's "origin" remote on GitHub, else
from DEFAULT_REPOSITORY, a placeholder to replace.

A folder with anything in it is refused with one line and left as it was; the
folder is filled through a temporary folder next to it, so a failure leaves
nothing half-written.
"""

import argparse
import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import checkpoint  # noqa: E402

ROOT = checkpoint.ROOT
DEFAULT_REPOSITORY = 'OWNER/flask-by-example'  # the placeholder, when nothing names the course's repository
DOCS = 'docs/_build/html'  # where tox -e docs builds the pages, in the course checkout

# A checkpoint's files a learner does not have: the maintainers' README, the
# legacy track (manage.py runs on Flask-Script, with its own pins), and what
# running or testing a checkpoint leaves behind.
LEFT_OUT = {'README.md', 'manage.py', 'requirements-legacy.txt'}
NEVER = checkpoint.NOT_CODE

# The .gitignore of docs/getting-started.rst ("Keep it in git").
GITIGNORE = '.venv/\n__pycache__/\n.env\n'

# The GitHub Classroom reporter counts only a workflow of this name with one job of this name.
WORKFLOW_NAME = 'Autograding Tests'
JOB = 'run-autograding-tests'
RUNNER = 'selfcheck'  # the reporter reads SELFCHECK_RESULTS


class Refused(Exception):
    """One line for the user; nothing was written."""


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='tox -e start-partN --',
        description='Lay the start of a part (the previous part\'s app, a README and a .gitignore) '
        'into a new or empty folder.',
    )
    parser.add_argument('part', help=argparse.SUPPRESS)
    parser.add_argument('folder', nargs='?', help='a new or empty folder, for example ~/flask-by-example')
    parser.add_argument(
        '--classroom',
        action='store_true',
        help='also write .github/workflows/classroom.yml, which grades each push for GitHub Classroom',
    )
    args = parser.parse_args(argv)
    short = args.part.removeprefix('start-')
    try:
        part = checkpoint.find_part(short)
    except SystemExit as error:
        print('start: {}'.format(error), file=sys.stderr)
        return 2
    short = 'part' + checkpoint.PART_PATTERN.match(part.name).group(1)
    try:
        if not args.folder:
            raise Refused('name the folder to fill: tox -e start-{} -- FOLDER'.format(short))
        folder = Path(args.folder).expanduser().absolute()
        made = start(part, folder, args.classroom)
    except Refused as refusal:
        print('start-{}: {}'.format(short, refusal), file=sys.stderr)
        return 2
    except OSError as error:  # a folder it may not write in, a full disk: nothing is left half-written
        print(
            'start-{}: could not write {}: {}'.format(short, args.folder, error.strerror or error),
            file=sys.stderr,
        )
        return 2
    print('Started {} in {}: {}.'.format(short, folder, ', '.join(made)))
    print('Read its README.md: it says the task, how to run it and how to check it.')
    return 0


def start(part, folder, classroom=False):
    """Fill folder (new or empty) with the start of part; returns the top-level names written."""
    short = 'part' + checkpoint.PART_PATTERN.match(part.name).group(1)
    check = 'tox -e check-{} -- {}'.format(short, folder)
    if folder.is_dir() and any(folder.iterdir()):
        raise Refused(
            '{} is not empty, and is left as it is: name a new or empty folder '
            '(to check the work in that one instead: {})'.format(folder, check)
        )
    if folder.exists() and not folder.is_dir():
        raise Refused('{} is a file, not a folder: name a new or empty folder'.format(folder))
    if not folder.parent.is_dir():
        raise Refused('there is no folder {} to make {} in'.format(folder.parent, folder.name))
    course = (course_repository(), course_commit()) if classroom else None  # before anything is written
    with tempfile.TemporaryDirectory(prefix='.fbe-start-', dir=folder.parent) as scratch:
        new = Path(scratch) / 'start'
        previous = previous_part(part)
        if previous:
            shutil.copytree(previous, new, ignore=left_out(previous))
        else:
            new.mkdir()
        (new / '.gitignore').write_text(GITIGNORE)
        (new / 'README.md').write_text(readme(part, previous, folder, course))
        if course:
            (new / '.github' / 'workflows').mkdir(parents=True)
            (new / '.github' / 'workflows' / 'classroom.yml').write_text(classroom_workflow(part, *course))
        if folder.is_dir():
            folder.rmdir()  # empty, as checked above: the new folder takes its place
        os.replace(new, folder)
    return sorted(p.name + ('/' if p.is_dir() else '') for p in folder.iterdir())


def previous_part(part):
    found = checkpoint.parts()
    index = [p.name for p in found].index(part.name)
    return found[index - 1] if index else None


def left_out(top):
    """copytree's ignore: the maintainers' files at the top, caches and settings everywhere."""

    def ignore(directory, names):
        at_top = Path(directory) == top
        return [n for n in names if n in NEVER or n.endswith('.pyc') or (at_top and n in LEFT_OUT)]

    return ignore


# --- what the part's page says ---------------------------------------------------------


def page(part):
    """(the page's title, its path in the built docs, the article's title, the article's URL)."""
    text = (ROOT / 'docs' / 'parts' / (part.name + '.rst')).read_text()
    title = text.splitlines()[0].strip()
    found = re.search(r'`([^`<]+?)\s*<(https://realpython\.com/[^>]+)>`__', text)
    article, url = ' '.join(found.group(1).split()), found.group(2)
    return title, '{}/parts/{}.html'.format(DOCS, part.name), article, url


def readme(part, previous, folder, course=None):
    """The task; course is (repository, commit) for a Classroom folder, whose student has another path."""
    short = 'part' + checkpoint.PART_PATTERN.match(part.name).group(1)
    number = short.removeprefix('part')
    title, link, article, url = page(part)
    if course:
        source = 'https://github.com/{}/blob/{}/docs/parts/{}.rst'.format(*course, part.name)
        where = ', or its source on GitHub: [{}]({})'.format(title, source)
        folder = 'PATH/TO/YOUR/CLONE'
    else:
        where = ''
    lines = ['# {}'.format(title), '']
    if previous:
        lines += [
            'This folder is the start of part {}: the app at the end of part {}, as the '
            'course\'s `{}` checkpoint has it, without its maintainers\' files.'.format(
                number, int(number) - 1, previous.name
            )
        ]
    else:
        lines += ['This folder is the start of part 1: an empty project, yours to write.']
    lines += [
        '',
        '## The task',
        '',
        'Make the step of part {} in this folder. Its page is `{}` in the course checkout '
        '(`tox -e docs` builds it there){}. It follows Real Python\'s article '
        '[{}]({}).'.format(number, link, where, article, url),
        '',
        'Every `tox` command below runs from the root of the course checkout (the folder '
        'with `tox.ini`), in the virtual environment you installed tox into, as its '
        'Getting started page says.',
        '',
        '## A database',
        '',
    ]
    if number == '1':
        lines += [
            'Part 1 needs none. From part 2 on, `tox -e services` (from the course checkout) '
            'starts a PostgreSQL, and the Redis of part 4, for this folder and prints the '
            'lines for its `.env`.',
        ]
    else:
        lines += [
            '`tox -e services`, from the course checkout, starts a PostgreSQL with the '
            'database `wordcount_dev` (and the Redis of part 4) for this folder, and prints '
            'the lines for its `.env`. Leave it running in a terminal of its own.',
        ]
    lines += ['', '## Run it', '', 'In this folder:', '', '```console']
    if previous:
        lines += [
            '$ python3 -m venv .venv',
            '$ . .venv/bin/activate',
            '$ python -m pip install -r requirements.txt',
            '$ cp .env.example .env   # then put the lines tox -e services printed in it',
        ]
        if (previous / 'migrations').is_dir():
            lines += ['$ flask db upgrade']
        lines += ['$ flask run']
    else:
        lines += [
            '$ python3 -m venv .venv',
            '$ . .venv/bin/activate',
            '$ python -m pip install Flask   # and the rest the page installs',
            '$ flask run                     # once app.py is written',
        ]
    lines += [
        '```',
        '',
        '## Check it',
        '',
        'From the course checkout:',
        '',
        '```console',
        '$ tox -e check-{} -- {}'.format(short, folder),
        '```',
        '',
        'It runs part {}\'s checks against a copy of this folder and prints one line per '
        'check; it passes once the step is done.'.format(number),
        '',
    ]
    if course:
        lines += [
            'Each push to GitHub runs the same check (`.github/workflows/classroom.yml`): '
            'its report and your points are on the run\'s page, under Actions. One point per '
            'check.',
            '',
        ]
    lines += [
        'Keep this folder in git: `git init`, `git add .`, `git commit` (the `.gitignore` '
        'keeps out `.venv/`, `__pycache__/` and `.env`).',
        '',
    ]
    return '\n'.join(lines)


# --- the Classroom workflow ------------------------------------------------------------


def course_repository():
    """owner/name of the course on GitHub: COURSE_REPOSITORY, else the origin remote, else the placeholder."""
    named = os.environ.get('COURSE_REPOSITORY', '').strip()
    if named:
        if not re.fullmatch(r'[\w.-]+/[\w.-]+', named):
            raise Refused('COURSE_REPOSITORY must be owner/name on GitHub, not {!r}'.format(named))
        return named
    origin = git('remote', 'get-url', 'origin')
    found = re.search(r'github\.com[:/]([\w.-]+/[\w.-]+?)(?:\.git)?/?$', origin or '')
    return found.group(1) if found else DEFAULT_REPOSITORY


def course_commit():
    commit = git('rev-parse', 'HEAD')
    if not commit or not re.fullmatch(r'[0-9a-f]{40}', commit):
        raise Refused(
            '--classroom needs the course as a git clone (its workflow checks out the commit '
            'the folder was made from); {} is not one'.format(ROOT)
        )
    return commit


def git(*args):
    try:
        done = subprocess.run(['git', *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def tox_requirements():
    """What tox.ini's [tox] requires names: the README installs the same."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / 'tox.ini')
    return [line.strip() for line in config['tox']['requires'].splitlines() if line.strip()]


def max_score(short):
    sys.path.insert(0, str(ROOT / 'tests'))
    import selfchecks

    return len(list(selfchecks.checks(selfchecks.part(short))))


WORKFLOW = """\
# Grades each push with part {number}'s self-check, for GitHub Classroom
# (written by the course's tox -e start-{short} -- FOLDER --classroom).
# The reporter counts a workflow of this name with one job of this name only.
name: {name}
on:
  push:
  repository_dispatch:
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  {job}:
    # Classroom's own first push (the template) is not graded.
    if: github.actor != 'github-classroom[bot]'
    runs-on: ubuntu-latest
    timeout-minutes: 40
    steps:
      - name: Check out your work
        uses: actions/checkout@v4
        with:
          path: mine
      - name: Check out the course, at the commit this folder was made from
        uses: actions/checkout@v4
        with:
          repository: {repository}
          ref: {commit}
          path: course
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: '{python}'
      - name: Install tox, as the course's README does
        working-directory: course
        run: |
          python -m venv .venv
          .venv/bin/python -m pip install --quiet {requirements}
      - name: Check your work (tox -e check-{short}; PostgreSQL and Redis start embedded)
        id: {runner}
        working-directory: course
        env:
          UV_PYTHON_DOWNLOADS: never
        run: |
          report="$RUNNER_TEMP/report.txt" result="$RUNNER_TEMP/classroom.json"
          .venv/bin/tox -e check-{short} -- "$GITHUB_WORKSPACE/mine" --classroom "$result" 2>&1 \\
            | tee "$report" || true
          if [ ! -s "$result" ]; then  # tox itself failed: no check ran
            printf '%s' '{fallback}' > "$result"
          fi
          {{
            echo '## Self-check of part {number}'
            echo
            echo '```'
            sed -n '/^Checking /,$p' "$report"
            echo '```'
          }} >> "$GITHUB_STEP_SUMMARY"
          echo "result=$(base64 -w0 < "$result")" >> "$GITHUB_OUTPUT"
      - name: Report the points to GitHub Classroom
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
          {env}: ${{{{ steps.{runner}.outputs.result }}}}
        with:
          runners: {runner}
"""


def classroom_workflow(part, repository, commit):
    short = 'part' + checkpoint.PART_PATTERN.match(part.name).group(1)
    if repository == DEFAULT_REPOSITORY:
        print(
            'start-{}: the workflow checks out {}, a placeholder: set COURSE_REPOSITORY=owner/name '
            '(the course on GitHub) or give this clone a GitHub "origin" remote, and run again.'.format(
                short, DEFAULT_REPOSITORY
            ),
            file=sys.stderr,
        )
    points = max_score(short)
    fallback = (
        '{{"version": 1, "status": "error", "max_score": {}, "tests": [{{"name": "the self-check ran", '
        '"status": "error", "score": 0, "message": "tox could not run it: see the log"}}]}}'
    ).format(points)
    return WORKFLOW.format(
        short=short,
        number=short.removeprefix('part'),
        name=WORKFLOW_NAME,
        job=JOB,
        repository=repository,
        commit=commit,
        python=(part / '.python-version').read_text().strip(),
        requirements=' '.join('"{}"'.format(r) for r in tox_requirements()),
        runner=RUNNER,
        env=RUNNER.upper() + '_RESULTS',
        fallback=fallback,
    )


if __name__ == '__main__':
    sys.exit(main())
