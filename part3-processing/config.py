import os

from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import ArgumentError

basedir = os.path.abspath(os.path.dirname(__file__))


class Config(object):
    DEBUG = False
    TESTING = False
    # Beyond the article, explained in the docs: differences.html#differences-secret-key
    # Signs session cookies. It must be secret, so it comes from the
    # environment and is never written in the code.
    SECRET_KEY = os.environ.get('SECRET_KEY')
    # Filled in by configure() from DATABASE_URL.
    SQLALCHEMY_DATABASE_URI = None
    # An event system we do not use; Flask-SQLAlchemy 2 warns unless it is set.
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Test each pooled connection (a cheap "SELECT 1") before it is used, so
    # that the first request after a database restart gets a new connection
    # instead of one the restart has cut.
    SQLALCHEMY_ENGINE_OPTIONS = {'pool_pre_ping': True}
    # Request bodies larger than this are refused (413) before they are read:
    # a form with one URL needs little, and a huge body would fill memory.
    MAX_CONTENT_LENGTH = 16 * 1024
    # Beyond the article, explained in the docs: differences.html#differences-fetch-limits
    # Limits for fetching a page (see fetch.py). Seconds to wait for a
    # connection, for each read, and for the whole fetch. The total is
    # checked between steps, so a fetch normally ends well before gunicorn's
    # 30 second worker timeout.
    FETCH_CONNECT_TIMEOUT = 3.05
    FETCH_READ_TIMEOUT = 7
    FETCH_TOTAL_TIMEOUT = 15
    # Pages larger than this (after decompression) are refused.
    FETCH_MAX_BYTES = 5 * 1024 * 1024
    FETCH_MAX_REDIRECTS = 5
    # Networks the app may fetch from although they are not public. Empty:
    # only public addresses, so a visitor cannot make the server read pages
    # of its own machine or private network (server-side request forgery).
    FETCH_ALLOWED_NETWORKS = []


class ProductionConfig(Config):
    DEBUG = False


class StagingConfig(Config):
    DEVELOPMENT = True
    DEBUG = True


class DevelopmentConfig(Config):
    DEVELOPMENT = True
    DEBUG = True
    # Only on your own machine is a well-known key acceptable.
    SECRET_KEY = os.environ.get('SECRET_KEY') or 'dev-only-not-secret'
    # Your own machine (loopback) is allowed, to count pages you serve locally.
    FETCH_ALLOWED_NETWORKS = ['127.0.0.0/8', '::1/128']


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = 'testing-only-not-secret'
    # The tests serve their pages on loopback.
    FETCH_ALLOWED_NETWORKS = ['127.0.0.0/8', '::1/128']


CONFIGS = {
    'config.' + cls.__name__: cls
    for cls in (ProductionConfig, StagingConfig, DevelopmentConfig, TestingConfig)
}


def configure(app):
    """Load the class named by APP_SETTINGS, or stop with one clear line."""
    name = os.environ.get('APP_SETTINGS', '').strip()
    if name not in CONFIGS:
        problem = ' is not set' if not name else '={!r} is not a config class'.format(name)
        raise SystemExit('APP_SETTINGS{}. Set it to one of: {}'.format(problem, ', '.join(CONFIGS)))
    app.config.from_object(CONFIGS[name])
    if not app.config['SECRET_KEY']:
        raise SystemExit(
            'SECRET_KEY is not set. {} needs a real secret, for example: '
            'export SECRET_KEY="$(python -c \'import secrets; print(secrets.token_hex())\')"'.format(name)
        )
    app.config['SQLALCHEMY_DATABASE_URI'] = database_url(os.environ.get('DATABASE_URL'))


# Beyond the article, explained in the docs: differences.html#differences-postgres-urls
def database_url(value):
    """Check DATABASE_URL and name the psycopg2 driver in it.

    SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, and hosts such as
    Heroku hand out postgres://, which SQLAlchemy no longer accepts.
    """
    example = 'for example: export DATABASE_URL="postgresql://localhost/wordcount_dev"'
    if not value or not value.strip():
        raise SystemExit('DATABASE_URL is not set. Point it at a PostgreSQL database, ' + example)
    try:
        url = make_url(value.strip())
    except (ArgumentError, ValueError):
        raise SystemExit('DATABASE_URL is not a valid database URL, ' + example) from None
    if url.drivername not in ('postgres', 'postgresql', 'postgresql+psycopg2'):
        raise SystemExit(
            'DATABASE_URL must be a PostgreSQL URL (postgresql://...), not {}://..., '.format(url.drivername)
            + example
        )
    # Keep the rest of the URL exactly as written; only the scheme changes.
    return 'postgresql+psycopg2://' + value.strip().split('://', 1)[1]
