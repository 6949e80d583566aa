import psycopg2
import pytest

from harness import use_part

use_part('part3-processing')


@pytest.fixture
def app_module(load_app, migrated):
    """Part 3's app (testing config) on a migrated database."""
    return load_app(DATABASE_URL=migrated)


@pytest.fixture
def client(app_module):
    return app_module.app.test_client()


@pytest.fixture
def rows(migrated):
    """rows() lists the saved results as (url, result_all, result_no_stop_words), oldest first."""

    def read():
        with psycopg2.connect(migrated) as conn, conn.cursor() as cur:
            cur.execute('SELECT url, result_all, result_no_stop_words FROM results ORDER BY id')
            return cur.fetchall()

    return read
