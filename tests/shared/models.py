"""A Result round-trips through PostgreSQL.

The table is built from the model itself (db.create_all()), not by the
migrations: these check the model, and the migrations have checks of their
own, so a broken migration fails those and leaves these to say what the
model does.
"""

import pytest


@pytest.fixture
def app_module(load_app, database_url):
    module = load_app(DATABASE_URL=database_url)
    with module.app.app_context():
        module.db.create_all()
    return module


def test_result_round_trips_its_json(app_module):
    app, db = app_module.app, app_module.db
    Result = app_module.Result
    counts = {'flask': 3, 'zürich': 1, 'quote"s': 2}
    pairs = [['flask', 3], ['postgres', 2], ['ünïcode', 1]]
    with app.app_context():
        row = Result('https://example.com/', counts, pairs)
        db.session.add(row)
        db.session.commit()
        row_id = row.id
        assert isinstance(row_id, int)
        assert repr(row) == '<id {}>'.format(row_id)
    with app.app_context():  # a new session: read back from the database
        # Result.query works on Flask-SQLAlchemy 2 (the legacy track) and 3 alike.
        stored = Result.query.filter_by(id=row_id).one()
        assert stored.url == 'https://example.com/'
        assert stored.result_all == counts
        assert stored.result_no_stop_words == pairs


def test_ids_come_from_the_sequence(app_module):
    app, db, Result = app_module.app, app_module.db, app_module.Result
    with app.app_context():
        rows = [Result('u{}'.format(n), {}, []) for n in range(3)]
        db.session.add_all(rows)
        db.session.commit()
        ids = [r.id for r in rows]
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_empty_and_null_values_are_kept_apart(app_module):
    app, db, Result = app_module.app, app_module.db, app_module.Result
    with app.app_context():
        row = Result(None, {}, None)
        db.session.add(row)
        db.session.commit()
        row_id = row.id
    with app.app_context():
        stored = Result.query.filter_by(id=row_id).one()
        assert stored.url is None
        assert stored.result_all == {}
        assert stored.result_no_stop_words is None
