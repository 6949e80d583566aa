"""What part 3 keeps from parts 1 and 2, checked again on part 3's code.

The hello routes are gone: "/" answers the form (see test_counting.py).
"""

from shared.config_selection import *  # noqa: F403 - APP_SETTINGS and SECRET_KEY
from shared.files import *  # noqa: F403 - .python-version, .env.example
from shared.models import *  # noqa: F403 - the Result model round-trips through PostgreSQL
from shared.procfile import *  # noqa: F403 - the Procfile's web process
from shared.run_command import *  # noqa: F403 - tools/run.py
