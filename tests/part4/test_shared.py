"""What part 4 keeps from parts 1 to 3, checked again on part 4's code."""

from shared.config_selection import *  # noqa: F403 - APP_SETTINGS and SECRET_KEY
from shared.files import *  # noqa: F403 - .python-version, .env.example
from shared.models import *  # noqa: F403 - the Result model round-trips through PostgreSQL
from shared.procfile import *  # noqa: F403 - the Procfile's web process
from shared.run_command import *  # noqa: F403 - tools/run.py, which also starts Redis and the worker
