from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from markupsafe import escape

from config import configure

app = Flask(__name__)
# APP_SETTINGS names the config class to load, e.g. "config.DevelopmentConfig".
configure(app)
db = SQLAlchemy(app)
# Registers the "flask db ..." commands (Alembic migrations).
migrate = Migrate(app, db)

# Imported last on purpose: models.py imports db from this module.
from models import Result  # noqa: E402, F401


@app.route('/')
def hello():
    return "Hello World!"


@app.route('/<name>')
def hello_name(name):
    # Beyond the article, explained in the docs: differences.html#differences-escape
    # The name comes straight from the URL, so a visitor can put HTML or a
    # <script> in it. escape() turns it into harmless text before we echo it.
    return "Hello {}!".format(escape(name))
