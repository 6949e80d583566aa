"""What part 2 keeps from part 1, checked again on part 2's code."""

from shared.config_selection import *  # noqa: F403 - APP_SETTINGS and SECRET_KEY
from shared.files import *  # noqa: F403 - .python-version, .env.example
from shared.hello import *  # noqa: F403 - the hello routes
from shared.procfile import *  # noqa: F403 - the Procfile's web process
from shared.run_command import *  # noqa: F403 - tools/run.py
