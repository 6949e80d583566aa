from flask import Flask
from markupsafe import escape

from config import configure

app = Flask(__name__)
# APP_SETTINGS names the config class to load, e.g. "config.DevelopmentConfig".
configure(app)


@app.route('/')
def hello():
    return "Hello World!"


@app.route('/<name>')
def hello_name(name):
    # Beyond the article, explained in the docs: differences.html#differences-escape
    # The name comes straight from the URL, so a visitor can put HTML or a
    # <script> in it. escape() turns it into harmless text before we echo it.
    return "Hello {}!".format(escape(name))


if __name__ == '__main__':
    app.run()
