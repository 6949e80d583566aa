import pytest

from harness import use_part

use_part('part3-processing')


@pytest.fixture
def app_module(load_app, migrated):
    """Part 3's app (testing config) on a migrated database."""
    return load_app(DATABASE_URL=migrated)


@pytest.fixture
def client(app_module):
    return app_module.app.test_client()
