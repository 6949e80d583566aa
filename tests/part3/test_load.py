"""The load test, small: see tests/shared/load.py."""

from shared.load import *  # noqa: F403 - 20 requests (jobs) from 16 clients, nothing lost; 200 if slow
