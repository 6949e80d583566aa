import os

basedir = os.path.abspath(os.path.dirname(__file__))


class Config(object):
    DEBUG = False
    TESTING = False
    # Beyond the article, explained in the docs: differences.html#differences-secret-key
    # Signs session cookies. It must be secret, so it comes from the
    # environment and is never written in the code.
    SECRET_KEY = os.environ.get('SECRET_KEY')


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


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = 'testing-only-not-secret'


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
