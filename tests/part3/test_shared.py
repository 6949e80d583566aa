"""What part 3 keeps from parts 1 and 2, checked again on part 3's code.

The hello routes are gone: "/" answers the form (see test_counting.py).
"""

from shared.config_selection import *  # noqa: F403 - APP_SETTINGS and SECRET_KEY
from shared.files import *  # noqa: F403 - .python-version, .env.example
from shared.models import *  # noqa: F403 - the Result model round-trips through PostgreSQL
from shared.procfile import *  # noqa: F403 - the Procfile's web process

# tools/run.py serves part 3. It starts the same processes for part 3 as for
# part 2 (PostgreSQL and gunicorn), whose tests stop them every way a run can
# end (signals, a killed run, a second run) and serve on a DATABASE_URL given;
# part 4's add Redis and the worker. Here: once, on an embedded PostgreSQL with part 3's migrations.
from shared.run_command import run_command, test_run_command_serves_the_part_and_stops_on_ctrl_c  # noqa: F401
