"""The article's results table as PostgreSQL reports it, and helpers to read a schema.

Used by every check that a migration built the right table, whichever track
(Flask's CLI or the article's Flask-Script) ran it.
"""

import subprocess

import psycopg2

import checkpoint

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


def assert_article_schema(url):
    """The database holds exactly the article's results table (and Alembic's bookkeeping)."""
    assert tables(url) == ['alembic_version', 'results']
    assert columns(url) == ARTICLE_COLUMNS
    assert indexes(url) == ARTICLE_INDEXES


def psql(url, command):
    result = subprocess.run(
        [checkpoint.psql_path(), '--no-psqlrc', '-d', url, '-c', command],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return '\n'.join(line.rstrip() for line in result.stdout.splitlines()).strip()
