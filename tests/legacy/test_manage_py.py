"""python manage.py db ... through Flask-Script, as the article runs it, and across both tracks."""

import shutil

import pytest

from harness import ROOT, selected_part
from shared.schema import assert_article_schema, tables

REVISION = 'b8edc9731bbd'  # the committed migration in part2-database/migrations/versions


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_the_articles_command_sequence_on_a_fresh_database(tmp_path, part_dir, database_url, legacy_manage):
    # db init writes migrations/, so work on a copy: the committed folder stays as it is.
    copy = tmp_path / 'part2-database'
    shutil.copytree(part_dir, copy, ignore=shutil.ignore_patterns('migrations', '__pycache__', '.env'))
    env = {'cwd': copy, 'DATABASE_URL': database_url}

    ok(legacy_manage('db', 'init', **env))
    assert (copy / 'migrations' / 'env.py').is_file()

    migrate = ok(legacy_manage('db', 'migrate', **env))
    assert "Detected added table 'results'" in migrate.stderr
    scripts = list((copy / 'migrations' / 'versions').glob('*.py'))
    assert len(scripts) == 1, scripts
    assert tables(database_url) == ['alembic_version']  # no results table before the upgrade

    upgrade = ok(legacy_manage('db', 'upgrade', **env))
    assert 'Running upgrade  -> {}'.format(scripts[0].name.split('_')[0]) in upgrade.stderr
    assert_article_schema(database_url)


PART2 = ROOT / 'part2-database'


def part2s(*names):
    """True on parts 3 and 4 while these files (folders: without __pycache__) equal part 2's byte for byte."""

    def files(path):
        if path.is_file():
            return {'': path.read_bytes()}
        return {
            str(f.relative_to(path)): f.read_bytes()
            for f in sorted(path.rglob('*'))
            if f.is_file() and '__pycache__' not in f.parts
        }

    part = selected_part()
    return part != PART2 and all(files(part / name) == files(PART2 / name) for name in names)


# Flask-Script's own parsing, once the app is made (which every test here does):
# on parts 3 and 4 it would check again what tox -e legacy checks on part 2, with
# the same manage.py and the same pins (tox -e lint checks that pins agree).
@pytest.mark.skipif(part2s('manage.py'), reason="part 2's manage.py, whose usage tox -e legacy checks")
@pytest.mark.parametrize('args, invalid', [(['nonsense'], 'nonsense'), (['db', 'nonsense'], 'nonsense')])
def test_an_unknown_command_prints_the_usage(database_url, legacy_manage, args, invalid):
    result = legacy_manage(*args, DATABASE_URL=database_url)
    assert result.returncode == 2
    assert 'usage:' in result.stderr
    assert "invalid choice: '{}'".format(invalid) in result.stderr


@pytest.mark.parametrize('given', [None, 'mysql://u@db.example/wc'])
def test_a_bad_database_url_stops_with_one_line(legacy_manage, given):
    env = {} if given is None else {'DATABASE_URL': given}
    result = legacy_manage('db', 'upgrade', **env)
    assert result.returncode != 0
    assert 'DATABASE_URL' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


# Across the tracks, what matters is the migrations, the model they must match and
# manage.py: while parts 3 and 4 keep part 2's (they add no migration), tox -e legacy
# checks them; the articles' command sequence above still runs each part's app.
ACROSS_TRACKS = pytest.mark.skipif(
    part2s('migrations', 'models.py', 'manage.py'),
    reason="part 2's migrations, models.py and manage.py, which tox -e legacy checks across both tracks",
)


@ACROSS_TRACKS
def test_a_database_built_on_the_legacy_track_works_on_the_current_one(
    database_url, legacy_manage, current_manage
):
    # The article's "db upgrade" with the committed migrations (their downgrade and
    # upgrade again on the article's track: the next test).
    upgrade = ok(legacy_manage('db', 'upgrade', DATABASE_URL=database_url))
    assert 'Running upgrade  -> {}'.format(REVISION) in upgrade.stderr
    assert_article_schema(database_url)
    # Flask-Migrate 4 compares the table with the model, column types included.
    check = ok(current_manage('db', 'check', DATABASE_URL=database_url))
    assert 'No new upgrade operations detected' in check.stdout + check.stderr
    ok(current_manage('db', 'downgrade', 'base', DATABASE_URL=database_url))
    assert tables(database_url) == ['alembic_version']
    ok(current_manage('db', 'upgrade', DATABASE_URL=database_url))
    assert_article_schema(database_url)


@ACROSS_TRACKS
def test_a_database_built_on_the_current_track_works_on_the_legacy_one(
    database_url, legacy_manage, current_manage
):
    ok(current_manage('db', 'upgrade', DATABASE_URL=database_url))
    current = ok(legacy_manage('db', 'current', DATABASE_URL=database_url))
    assert '{} (head)'.format(REVISION) in current.stdout
    ok(legacy_manage('db', 'downgrade', 'base', DATABASE_URL=database_url))
    assert tables(database_url) == ['alembic_version']
    ok(legacy_manage('db', 'upgrade', DATABASE_URL=database_url))
    assert_article_schema(database_url)
