"""The migrations build the article's results table, undo it, and match the model."""

from pathlib import Path

import psycopg2

from shared.schema import ARTICLE_COLUMNS, assert_article_schema, columns, columns_differ, psql, tables

EXPECTED = Path(__file__).parent / 'expected'


def test_there_is_one_migration_and_one_head(part_dir):
    versions = sorted(p.name for p in (part_dir / 'migrations' / 'versions').glob('*.py'))
    assert len(versions) == 1, versions


def test_upgrade_from_empty_builds_the_articles_table(migrated):
    assert_article_schema(migrated)


def test_flask_db_upgrade_prints_what_the_docs_show(database_url, run_in_part):
    # The docs show this output; the test keeps it true. Alembic logs to stderr.
    result = run_in_part(['flask', 'db', 'upgrade'], DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    expected = (EXPECTED / 'flask-db-upgrade.txt').read_text()
    assert result.stdout == ''
    assert result.stderr == expected


def test_psql_describes_results_as_the_docs_show(migrated):
    # The docs show this output; the test keeps it true.
    expected = (EXPECTED / 'd-results.txt').read_text().strip()
    assert psql(migrated, r'\d results') == expected


def test_downgrade_to_base_removes_the_table_and_upgrade_rebuilds_it(migrated, run_in_part):
    down = run_in_part(['flask', 'db', 'downgrade', 'base'], DATABASE_URL=migrated)
    assert down.returncode == 0, down.stderr
    left = tables(migrated)
    assert left == ['alembic_version'], (
        '"flask db downgrade base" should leave only the alembic_version table, but it leaves '
        'these: {}'.format(', '.join(left))
    )
    up = run_in_part(['flask', 'db', 'upgrade'], DATABASE_URL=migrated)
    assert up.returncode == 0, up.stderr
    rebuilt = columns(migrated)
    assert rebuilt == ARTICLE_COLUMNS, '"flask db upgrade" after the downgrade: ' + columns_differ(
        ARTICLE_COLUMNS, rebuilt
    )


def test_models_and_migrations_do_not_drift(migrated, run_in_part):
    check = run_in_part(['flask', 'db', 'check'], DATABASE_URL=migrated)
    assert check.returncode == 0, check.stderr
    assert 'No new upgrade operations detected' in check.stdout + check.stderr


def test_flask_db_check_notices_drift(migrated, run_in_part):
    # Shows that the check above can fail: change the table behind the model's back.
    with psycopg2.connect(migrated) as conn, conn.cursor() as cur:
        cur.execute('ALTER TABLE results ADD COLUMN stray integer')
    check = run_in_part(['flask', 'db', 'check'], DATABASE_URL=migrated)
    assert check.returncode != 0
    assert 'stray' in check.stdout + check.stderr


def test_manage_py_db_upgrade_runs_flask_db_upgrade(database_url, run_in_part):
    # Flask-Script cannot be imported here (Flask 3), so manage.py hands the
    # arguments to Flask's CLI and says so in one line, naming the modern command.
    result = run_in_part(['python', 'manage.py', 'db', 'upgrade'], DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if line.startswith('manage.py:')]
    assert notices == [
        'manage.py: Flask-Script does not run on Flask 3; running "flask db upgrade" instead, '
        'the command to use from now on.'
    ]
    assert_article_schema(database_url)


def test_manage_py_db_downgrade_passes_its_arguments_on(migrated, run_in_part):
    result = run_in_part(['python', 'manage.py', 'db', 'downgrade', 'base'], DATABASE_URL=migrated)
    assert result.returncode == 0, result.stderr
    assert 'running "flask db downgrade base"' in result.stderr
    assert tables(migrated) == ['alembic_version']


def test_manage_py_unknown_command_prints_usage(database_url, run_in_part):
    result = run_in_part(['python', 'manage.py', 'nonsense'], DATABASE_URL=database_url)
    assert result.returncode == 2
    assert 'Usage: manage.py' in result.stderr
    assert "No such command 'nonsense'" in result.stderr
