import pytest

from shared.config_selection import *  # noqa: F403 - APP_SETTINGS and SECRET_KEY
from shared.files import *  # noqa: F403 - .python-version, .env.example
from shared.hello import *  # noqa: F403 - the hello routes
from shared.procfile import *  # noqa: F403 - the Procfile's web process
from shared.run_command import *  # noqa: F403 - tools/run.py


@pytest.fixture
def part_env():
    """Part 1 needs nothing beyond APP_SETTINGS."""
    return {}
