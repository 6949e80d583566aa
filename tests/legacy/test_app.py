"""Part 2's app on the article's stack: the routes, the config classes and gunicorn."""

from shared.config_selection import *  # noqa: F403 - APP_SETTINGS and SECRET_KEY
from shared.hello import *  # noqa: F403 - the hello routes
from shared.procfile import *  # noqa: F403 - the Procfile's web process under gunicorn
