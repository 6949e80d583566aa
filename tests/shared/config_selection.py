"""APP_SETTINGS chooses the config class; bad settings stop the app with one clear line."""

import pytest

from harness import our_wording


@pytest.mark.parametrize(
    'settings, debug, testing',
    [
        ('config.DevelopmentConfig', True, False),
        ('config.StagingConfig', True, False),
        ('config.ProductionConfig', False, False),
        ('config.TestingConfig', False, True),
    ],
)
def test_app_settings_selects_the_class(load_app, part_env, settings, debug, testing):
    app = load_app(APP_SETTINGS=settings, SECRET_KEY='from-env', **part_env).app
    assert app.config['DEBUG'] is debug
    assert app.config['TESTING'] is testing
    if testing:  # a fixed key of its own
        assert app.config['SECRET_KEY']
        our_wording(app.config['SECRET_KEY'], 'testing-only-not-secret', how='equal')
    else:
        assert app.config['SECRET_KEY'] == 'from-env'


@pytest.mark.parametrize('settings', ['config.ProductionConfig', 'config.StagingConfig'])
def test_deployed_configs_refuse_to_start_without_a_secret_key(load_app, part_env, settings):
    with pytest.raises(SystemExit) as stopped:
        load_app(APP_SETTINGS=settings, SECRET_KEY=None, **part_env)
    assert 'SECRET_KEY' in str(stopped.value)
    our_wording(str(stopped.value), 'SECRET_KEY is not set.', how='start')


def test_development_has_a_default_key_but_takes_one_from_the_environment(load_app, part_env):
    assert load_app(APP_SETTINGS='config.DevelopmentConfig', **part_env).app.config['SECRET_KEY']
    app = load_app(APP_SETTINGS='config.DevelopmentConfig', SECRET_KEY='mine', **part_env).app
    assert app.config['SECRET_KEY'] == 'mine'


@pytest.mark.parametrize(
    'settings, problem',
    [
        (None, 'APP_SETTINGS is not set.'),
        ('', 'APP_SETTINGS is not set.'),
        ('config.Nope', "APP_SETTINGS='config.Nope' is not a config class."),
        ('os.system', "APP_SETTINGS='os.system' is not a config class."),
        ('config.Config', "APP_SETTINGS='config.Config' is not a config class."),
    ],
)
def test_bad_app_settings_stop_with_one_clear_line(load_app, part_env, settings, problem):
    with pytest.raises(SystemExit) as stopped:
        load_app(APP_SETTINGS=settings, **part_env)
    message = str(stopped.value)
    our_wording(message, problem, how='start')
    assert 'config.DevelopmentConfig' in message
    assert '\n' not in message
