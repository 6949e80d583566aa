"""The files around the app: .python-version and .env.example."""

import shutil

import dotenv

import checkpoint
from processes import start_until


def test_python_version_file_names_a_supported_version(part_dir):
    version = (part_dir / '.python-version').read_text().strip()
    major, minor = (int(n) for n in version.split('.')[:2])
    assert (major, minor) >= (3, 11)


def test_env_example_parses_and_configures_the_app(part_dir, load_app):
    # python-dotenv is what the Flask CLI uses to read .env: a line it cannot
    # parse would come back as None (or be dropped), so check every key.
    values = dotenv.dotenv_values(part_dir / '.env.example')
    assert values, 'there is no .env.example in the folder, or it has no settings'
    assert all(isinstance(v, str) and v for v in values.values()), values
    app = load_app(**values).app
    assert app.config['DEBUG'] is True  # DevelopmentConfig


def test_flask_run_with_the_env_example_is_in_debug_mode(part_dir, subprocess_env, tmp_path):
    """As part 1's page says: cp .env.example .env, then flask run says "Debug mode: on".

    The Flask CLI takes debug mode from FLASK_DEBUG, not from the config's DEBUG.
    """
    folder = tmp_path / 'folder'
    ignored = shutil.ignore_patterns('__pycache__', '.env', '.venv', '.run', '.pytest_cache')
    shutil.copytree(part_dir, folder, ignore=ignored)
    assert (folder / '.env.example').is_file(), 'there is no .env.example in the folder to copy to .env'
    shutil.copy(folder / '.env.example', folder / '.env')
    # Only what .env says: nothing from the tests' own environment.
    env = {k: v for k, v in subprocess_env.items() if k not in ('APP_SETTINGS', 'FLASK_DEBUG', 'FLASK_APP')}
    port = checkpoint.free_port()
    args = ['flask', 'run', '--no-reload', '--port', str(port)]
    proc, output = start_until(args, env, 'Running on', cwd=folder, timeout=60)
    proc.kill()
    proc.communicate()
    assert 'Running on' in output, output
    assert 'Debug mode: on' in output, output
