"""The Result model, on part 2's code."""

from shared.models import *  # noqa: F403 - a Result round-trips through PostgreSQL
