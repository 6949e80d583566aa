"""Tests of behaviour that several parts share.

A part's test module imports the tests that apply to it, so pytest runs them
there against that part. Each needs the fixture ``part_env``: the environment
the part's app needs beyond APP_SETTINGS (part 2 on adds DATABASE_URL).
"""
