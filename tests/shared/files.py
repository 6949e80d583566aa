"""The files around the app: .python-version and .env.example."""

import dotenv


def test_python_version_file_names_a_supported_version(part_dir):
    version = (part_dir / '.python-version').read_text().strip()
    major, minor = (int(n) for n in version.split('.')[:2])
    assert (major, minor) >= (3, 11)


def test_env_example_parses_and_configures_the_app(part_dir, load_app):
    # python-dotenv is what the Flask CLI uses to read .env: a line it cannot
    # parse would come back as None (or be dropped), so check every key.
    values = dotenv.dotenv_values(part_dir / '.env.example')
    assert values, '.env.example has no settings'
    assert all(isinstance(v, str) and v for v in values.values()), values
    app = load_app(**values).app
    assert app.config['DEBUG'] is True  # DevelopmentConfig
