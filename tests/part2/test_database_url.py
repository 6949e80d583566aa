"""DATABASE_URL: accepted forms, and one clear line for each bad one."""

import pytest

from harness import our_wording


@pytest.mark.parametrize(
    'given, used',
    [
        ('postgresql://u:p@db.example:5433/wc', 'postgresql+psycopg2://u:p@db.example:5433/wc'),
        ('postgres://u:p@db.example/wc', 'postgresql+psycopg2://u:p@db.example/wc'),
        ('postgresql+psycopg2://u@db.example/wc', 'postgresql+psycopg2://u@db.example/wc'),
        ('postgresql:///wordcount_dev', 'postgresql+psycopg2:///wordcount_dev'),
        ('  postgresql://db.example/wc\n', 'postgresql+psycopg2://db.example/wc'),
        (
            'postgresql://u:p%40ss@db.example/wc?sslmode=require',
            'postgresql+psycopg2://u:p%40ss@db.example/wc?sslmode=require',
        ),
    ],
)
def test_database_url_names_the_psycopg2_driver(load_app, given, used):
    app = load_app(DATABASE_URL=given).app
    assert app.config['SQLALCHEMY_DATABASE_URI'] == used
    with app.app_context():
        assert app.extensions['sqlalchemy'].engine.dialect.driver == 'psycopg2'


@pytest.mark.parametrize(
    'given, problem',
    [
        (None, 'DATABASE_URL is not set.'),
        ('', 'DATABASE_URL is not set.'),
        ('   ', 'DATABASE_URL is not set.'),
        ('wordcount_dev', 'DATABASE_URL is not a valid database URL'),
        ('postgresql://db.example:port/wc', 'DATABASE_URL is not a valid database URL'),
        ('mysql://u@db.example/wc', 'DATABASE_URL must be a PostgreSQL URL (postgresql://...), not mysql://'),
        ('sqlite:///wc.db', 'DATABASE_URL must be a PostgreSQL URL (postgresql://...), not sqlite://'),
        ('postgresql+psycopg://u@db.example/wc', 'not postgresql+psycopg://'),
    ],
)
def test_bad_database_url_stops_with_one_clear_line(load_app, given, problem):
    with pytest.raises(SystemExit) as stopped:
        load_app(DATABASE_URL=given)
    message = str(stopped.value)
    assert 'DATABASE_URL' in message
    our_wording(message, problem)
    our_wording(message, 'export DATABASE_URL=')
    assert '\n' not in message


@pytest.mark.parametrize('given', [None, 'not a url', 'mysql://u@db.example/wc'])
def test_flask_db_upgrade_with_a_bad_database_url_prints_the_message_not_a_traceback(run_in_part, given):
    env = {} if given is None else {'DATABASE_URL': given}
    result = run_in_part(['flask', 'db', 'upgrade'], **env)
    assert result.returncode != 0
    assert 'DATABASE_URL' in result.stderr
    assert 'Traceback' not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
