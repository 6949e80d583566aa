"""tools/start.py (tox -e start-partN -- FOLDER [--classroom]): every part's start, refusals, the workflow.

The slow half, the self-check on started folders (check-part(N-1) passes, part 3's
points), is in tests/selfcheck/test_selfcheck.py, run by tox -e checker-partN.
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import selfchecks
from ruamel.yaml import YAML  # check-jsonschema's YAML reader, in the lint environment

import checkpoint
import start

ROOT = checkpoint.ROOT
PARTS = sorted(selfchecks.PARTS)  # part1 ... part4
START = ROOT / 'tools' / 'start.py'


def run_start(short, *args, **env):
    return subprocess.run(
        [sys.executable, str(START), 'start-' + short, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, **env),
    )


def fingerprint(folder):
    """Every path under folder, with its bytes' hash for a file."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else 'dir'
        for p in sorted(Path(folder).rglob('*'))
    }


def learner_files(part_dir):
    """The checkpoint's files a learner has: all but the maintainers' ones and leftovers of runs."""
    found = fingerprint(part_dir)
    return {
        name: digest
        for name, digest in found.items()
        if not set(Path(name).parts) & start.NEVER
        and not name.endswith('.pyc')
        and name not in start.LEFT_OUT
    }


@pytest.mark.parametrize('short', PARTS)
def test_start_lays_the_previous_checkpoint_a_readme_and_a_gitignore_into_a_new_folder(short, tmp_path):
    folder = tmp_path / 'new' / 'my-{}'.format(short)
    folder.parent.mkdir()
    result = run_start(short, folder)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ''
    parts = checkpoint.parts()
    number = int(short.removeprefix('part'))
    got = fingerprint(folder)
    assert got.pop('README.md') and got.pop('.gitignore')
    if number == 1:
        assert got == {}  # an empty project
    else:
        previous = parts[number - 2]
        assert got == learner_files(previous)  # byte for byte
        assert (folder / 'README.md').read_text() != (previous / 'README.md').read_text()
        for name in ('manage.py', 'requirements-legacy.txt'):
            assert not (folder / name).exists()
        assert (previous / 'manage.py').exists() == (number > 2)
    assert (folder / '.gitignore').read_text() == start.GITIGNORE
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no temporary folder left


@pytest.mark.parametrize('short', PARTS)
def test_the_readme_says_the_page_the_article_the_database_how_to_run_and_check(short, tmp_path):
    folder = tmp_path / 'mine'
    assert run_start(short, folder).returncode == 0
    readme = (folder / 'README.md').read_text()
    part = checkpoint.find_part(short)
    page = (ROOT / 'docs' / 'parts' / (part.name + '.rst')).read_text()
    assert readme.startswith('# ' + page.splitlines()[0] + '\n')
    assert '`docs/_build/html/parts/{}.html`'.format(part.name) in readme
    article = re.search(r'<(https://realpython\.com/[^>]+)>', page).group(1)
    assert '({})'.format(article) in readme
    assert '`tox -e services`' in readme
    assert '$ tox -e check-{} -- {}\n'.format(short, folder) in readme
    assert '$ flask run' in readme
    assert ('$ flask db upgrade' in readme) == (short in ('part3', 'part4'))
    assert 'classroom.yml' not in readme


def test_the_gitignore_is_the_one_getting_started_shows():
    page = (ROOT / 'docs' / 'getting-started.rst').read_text()
    shown = re.search(r"\$ printf '(.*?)' > \.gitignore", page).group(1)
    assert shown.replace('\\n', '\n') == start.GITIGNORE


def test_an_empty_folder_is_filled(tmp_path):
    folder = tmp_path / 'empty'
    folder.mkdir()
    result = run_start('part3', folder)
    assert result.returncode == 0, result.stderr
    assert (folder / 'models.py').read_bytes() == (ROOT / 'part2-database' / 'models.py').read_bytes()


@pytest.mark.parametrize('what', ['a file', 'only a .git folder', 'a started part'])
def test_a_folder_with_files_is_refused_in_one_line_and_left_as_it_was(what, tmp_path):
    folder = tmp_path / 'mine'
    folder.mkdir()
    if what == 'a file':
        (folder / 'app.py').write_text('my own work\n')
    elif what == 'only a .git folder':
        (folder / '.git').mkdir()
        (folder / '.git' / 'HEAD').write_text('ref: refs/heads/main\n')
    else:
        assert run_start('part2', folder).returncode == 0
    before, around = fingerprint(folder), sorted(p.name for p in tmp_path.iterdir())
    result = run_start('part3', folder, '--classroom')
    assert result.returncode == 2
    assert result.stdout == ''
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith('start-part3: {} is not empty, and is left as it is'.format(folder))
    assert 'tox -e check-part3 -- {}'.format(folder) in result.stderr  # what to do instead
    assert fingerprint(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == around


@pytest.mark.parametrize(
    'args, words',
    [
        ([], 'name the folder to fill: tox -e start-part2 -- FOLDER'),
        (['{tmp}/a-file'], 'is a file, not a folder'),
        (['{tmp}/nowhere/mine'], 'there is no folder'),
        (['{tmp}/' + 'x' * 300], 'could not write'),  # a name too long for the system
    ],
)
def test_a_bad_folder_gets_one_line(args, words, tmp_path):
    (tmp_path / 'a-file').write_text('x')
    result = run_start('part2', *[a.format(tmp=tmp_path) for a in args])
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr, result.stderr
    assert 'Traceback' not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a-file']


# --- --classroom -----------------------------------------------------------------------


def workflow_of(folder):
    return YAML(typ='safe').load((folder / '.github' / 'workflows' / 'classroom.yml').read_text())


def head():
    return subprocess.run(
        ['git', 'rev-parse', 'HEAD'], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.parametrize('short', PARTS)
def test_classroom_writes_a_workflow_that_grades_each_push_with_the_parts_selfcheck(short, tmp_path):
    folder = tmp_path / 'template'
    result = run_start(short, folder, '--classroom', COURSE_REPOSITORY='some-school/flask-course')
    assert result.returncode == 0, result.stderr
    workflow = workflow_of(folder)
    assert workflow['name'] == 'Autograding Tests'  # the reporter counts this name only
    assert set(workflow['on']) == {'push', 'repository_dispatch'}
    (job_name,) = workflow['jobs']
    assert job_name == 'run-autograding-tests'
    steps = workflow['jobs'][job_name]['steps']
    course = next(s for s in steps if s.get('with', {}).get('path') == 'course')
    assert course['with'] == {'repository': 'some-school/flask-course', 'ref': head(), 'path': 'course'}
    install = next(s for s in steps if 'pip install' in s.get('run', ''))
    assert '"tox>=4.20" "tox-uv>=1.20"' in install['run']
    check = next(s for s in steps if s.get('id') == 'selfcheck')
    assert 'tox -e check-{} -- "$GITHUB_WORKSPACE/mine" --classroom "$result"'.format(short) in check['run']
    assert 'GITHUB_STEP_SUMMARY' in check['run']
    reporter = steps[-1]
    assert reporter['uses'] == 'classroom-resources/autograding-grading-reporter@v1'
    assert reporter['with'] == {'runners': 'selfcheck'}
    assert reporter['env'] == {'SELFCHECK_RESULTS': '${{ steps.selfcheck.outputs.result }}'}
    readme = (folder / 'README.md').read_text()
    assert 'https://github.com/some-school/flask-course/blob/{}/docs/parts/'.format(head()) in readme
    assert 'classroom.yml' in readme


def test_classroom_without_a_named_repository_uses_the_placeholder_and_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv('COURSE_REPOSITORY', raising=False)  # the lint environment sets it
    result = run_start('part2', tmp_path / 'template', '--classroom', COURSE_REPOSITORY='')
    assert result.returncode == 0
    origin = start.course_repository()  # a GitHub "origin" remote of this clone, or the placeholder
    assert (
        workflow_of(tmp_path / 'template')['jobs']['run-autograding-tests']['steps'][1]['with']['repository']
        == origin
    )
    if origin == start.DEFAULT_REPOSITORY:
        assert 'a placeholder: set COURSE_REPOSITORY=owner/name' in result.stderr


def test_a_bad_course_repository_is_refused_before_anything_is_written(tmp_path):
    result = run_start('part2', tmp_path / 'template', '--classroom', COURSE_REPOSITORY='https://x y')
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "start-part2: COURSE_REPOSITORY must be owner/name on GitHub, not 'https://x y'"
    )
    assert list(tmp_path.iterdir()) == []


def step_script(folder, tmp_path, tox):
    """Run the workflow's grading step as GitHub would, with tox replaced by the script tox."""
    script = next(s for s in workflow_of(folder)['jobs']['run-autograding-tests']['steps'] if s.get('id'))
    workspace = tmp_path / 'workspace'
    (workspace / 'course' / '.venv' / 'bin').mkdir(parents=True)
    fake = workspace / 'course' / '.venv' / 'bin' / 'tox'
    fake.write_text('#!/bin/sh\n' + tox)
    fake.chmod(0o755)
    files = {name: tmp_path / name for name in ('output', 'summary', 'temp')}
    files['temp'].mkdir()
    env = dict(
        os.environ,
        GITHUB_WORKSPACE=str(workspace),
        RUNNER_TEMP=str(files['temp']),
        GITHUB_OUTPUT=str(files['output']),
        GITHUB_STEP_SUMMARY=str(files['summary']),
    )
    done = subprocess.run(
        ['bash', '-e', '-c', script['run']], cwd=workspace / 'course', env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    (line,) = files['output'].read_text().splitlines()
    assert line.startswith('result=')
    return json.loads(base64.b64decode(line.removeprefix('result='))), files['summary'].read_text(), done


def test_the_grading_step_passes_on_the_selfchecks_result_and_its_report(tmp_path):
    folder = tmp_path / 'template'
    assert run_start('part3', folder, '--classroom').returncode == 0
    result = {'version': 1, 'status': 'fail', 'max_score': 20, 'tests': [{'name': 'x', 'score': 0}]}
    tox = (
        'echo "tox installs things"\necho "Checking $4 against part3-processing ..."\n'
        'echo "FAIL: 1 failed."\n'
        'printf \'%s\' \'{}\' > "$6"\nexit 1\n'.format(json.dumps(result))
    )
    found, summary, done = step_script(folder, tmp_path, tox)
    assert found == result
    assert summary.startswith('## Self-check of part 3\n\n```\nChecking ')
    assert 'FAIL: 1 failed.' in summary and 'tox installs things' not in summary
    assert 'tox installs things' in done.stdout  # the log shows everything


def test_the_grading_step_reports_an_error_when_tox_itself_fails(tmp_path):
    folder = tmp_path / 'template'
    assert run_start('part2', folder, '--classroom').returncode == 0
    found, _, _ = step_script(folder, tmp_path, 'echo "no such env"\nexit 3\n')
    assert found['status'] == 'error'
    assert found['max_score'] == len(list(selfchecks.checks(selfchecks.PARTS['part2'])))
    assert [t['score'] for t in found['tests']] == [0]


# --- the self-check of part N on a started part N fails on what part N adds ------------

MISSING = {
    'part1': 'missing: app.py, config.py',
    'part2': 'missing: models.py, migrations/',
    'part4': 'missing: worker.py',
}  # part 3's start has every file part 3 needs: tests/selfcheck/test_selfcheck.py runs its checks


@pytest.mark.parametrize('short', sorted(MISSING))
def test_check_of_the_part_fails_on_its_start_and_scores_nothing(short, tmp_path):
    folder = tmp_path / 'mine'
    assert run_start(short, folder).returncode == 0
    classroom = tmp_path / 'classroom.json'
    command = [sys.executable, str(ROOT / 'tools' / 'selfcheck.py'), 'check-' + short, str(folder)]
    result = subprocess.run(
        command + ['--classroom', str(classroom)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert MISSING[short] in result.stdout
    data = json.loads(classroom.read_text())
    assert data['version'] == 1 and data['status'] == 'fail'
    assert data['max_score'] == len(list(selfchecks.checks(selfchecks.PARTS[short]))) > 0
    assert sum(t['score'] for t in data['tests']) == 0
    assert data['tests'][0]['status'] == 'fail' and MISSING[short] in data['tests'][0]['message']
    assert {t['status'] for t in data['tests'][1:]} == {'fail'}
    assert {t['message'] for t in data['tests'][1:]} == {'skipped: needs 0.1 to pass first'}
