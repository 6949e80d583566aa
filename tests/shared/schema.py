"""The article's results table as PostgreSQL reports it, and helpers to read a schema.

Used by every check that a migration built the right table, whichever track
(Flask's CLI or the article's Flask-Script) ran it.
"""

import subprocess

import psycopg2

import checkpoint
from shared.differences import differences, listing

# (column, type, NOT NULL, default) as PostgreSQL reports them.
ARTICLE_COLUMNS = [
    ('id', 'integer', True, "nextval('results_id_seq'::regclass)"),
    ('url', 'character varying', False, None),
    ('result_all', 'json', False, None),
    ('result_no_stop_words', 'json', False, None),
]

ARTICLE_INDEXES = [('results_pkey', 'CREATE UNIQUE INDEX results_pkey ON public.results USING btree (id)')]


def columns(url):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid)
            FROM pg_attribute a
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = to_regclass('public.results') AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """
        )
        return cur.fetchall()


def indexes(url):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'results'")
        return cur.fetchall()


def tables(url):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        return [row[0] for row in cur.fetchall()]


def columns_differ(expected, found):
    """One line, column by column: how the results table's columns differ from expected."""
    said = []
    found_by_name = {column[0]: column for column in found}
    for name, *want in expected:
        if name not in found_by_name:
            said.append('no column {}'.format(name))
            continue
        found_column = found_by_name[name][1:]
        for what, wanted, got in zip(('type', 'NOT NULL', 'default'), want, found_column, strict=True):
            if wanted != got:
                said.append('column {}: {} {}, not {}'.format(name, what, got, wanted))
    expected_names = [column[0] for column in expected]
    extra = [name for name in found_by_name if name not in expected_names]
    if extra:
        said.append('columns the model does not have: {}'.format(listing(extra)))
    if not said and found != expected:
        said.append('the columns in another order: {}'.format(listing(found_by_name)))
    return '; '.join(said)


def assert_article_schema(url):
    """The database holds exactly the article's results table (and Alembic's bookkeeping)."""
    found = tables(url)
    assert found == ['alembic_version', 'results'], differences(
        ['alembic_version', 'results'],
        found,
        extra='tables the model does not have: {}',
        missing='no table {}',
    )
    found = columns(url)
    assert found == ARTICLE_COLUMNS, columns_differ(ARTICLE_COLUMNS, found)
    found = indexes(url)
    assert found == ARTICLE_INDEXES, differences(
        ARTICLE_INDEXES, found, extra='an index the article does not have: {}', missing='no index {}'
    )


def psql(url, command):
    result = subprocess.run(
        [checkpoint.psql_path(), '--no-psqlrc', '-d', url, '-c', command],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return '\n'.join(line.rstrip() for line in result.stdout.splitlines()).strip()
