"""When saving fails: a clear message, status 503, the transaction rolled back, the app keeps serving."""

import psycopg2

import checkpoint
from shared.answers import error_messages, word_table

SAVE_FAILED = ['Unable to add item to database. Please try again later.']


def post(app, url):
    return app.test_client().post('/', data={'url': url})


def test_a_database_without_the_table(load_app, database_url, run_in_part, page_server):
    # Forgot "flask db upgrade": the results table does not exist.
    app = load_app(DATABASE_URL=database_url).app
    response = post(app, page_server.url('/known.html'))
    assert response.status_code == 503
    assert error_messages(response) == SAVE_FAILED
    assert word_table(response) == []
    assert 'Traceback' not in response.get_data(as_text=True)
    # The same app, without a restart, saves once the table is there.
    assert run_in_part(['flask', 'db', 'upgrade'], DATABASE_URL=database_url).returncode == 0
    assert post(app, page_server.url('/known.html')).status_code == 200


def test_a_database_server_that_is_not_running(load_app, page_server):
    port = checkpoint.free_port()  # nothing listens there
    app = load_app(DATABASE_URL='postgresql://postgres@127.0.0.1:{}/wordcount'.format(port)).app
    response = post(app, page_server.url('/known.html'))
    assert response.status_code == 503
    assert error_messages(response) == SAVE_FAILED
    assert app.test_client().get('/').status_code == 200


def test_a_constraint_error_is_rolled_back(app_module, migrated, rows, page_server):
    with psycopg2.connect(migrated) as conn, conn.cursor() as cur:
        cur.execute("ALTER TABLE results ADD CONSTRAINT no_invisible CHECK (url NOT LIKE '%invisible%')")
    app = app_module.app
    response = post(app, page_server.url('/invisible.html'))
    assert response.status_code == 503
    assert error_messages(response) == SAVE_FAILED
    # The failed transaction is gone: the next save works and is the only row.
    assert post(app, page_server.url('/known.html')).status_code == 200
    assert [row[0] for row in rows()] == [page_server.url('/known.html')]


def test_connections_cut_by_the_server_are_replaced(
    app_module, migrated, postgres_admin_url, rows, page_server
):
    # The server ends the app's connections (as an administrator or a
    # failover does) while the app keeps one in its pool.
    app = app_module.app
    assert post(app, page_server.url('/known.html')).status_code == 200
    with psycopg2.connect(postgres_admin_url) as conn, conn.cursor() as cur:
        cur.execute(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity'
            ' WHERE datname = %s AND pid <> pg_backend_pid()',
            (checkpoint.database_name(migrated),),
        )
        assert cur.rowcount >= 1
    assert post(app, page_server.url('/invisible.html')).status_code == 200
    assert [row[0] for row in rows()] == [page_server.url('/known.html'), page_server.url('/invisible.html')]


def test_the_first_request_after_a_database_restart_succeeds(load_app, own_postgres, page_server):
    app = load_app(DATABASE_URL=own_postgres.url).app
    assert post(app, page_server.url('/known.html')).status_code == 200
    own_postgres.restart()
    response = post(app, page_server.url('/invisible.html'))
    assert response.status_code == 200, error_messages(response)
    assert own_postgres.urls() == [page_server.url('/known.html'), page_server.url('/invisible.html')]
