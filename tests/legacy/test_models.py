"""Part 2's Result model on the article's stack (Flask-SQLAlchemy 2.4, SQLAlchemy 1.3)."""

from shared.models import *  # noqa: F403 - a Result round-trips through PostgreSQL
