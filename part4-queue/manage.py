"""The article's database commands: python manage.py db init|migrate|upgrade.

One file, two tracks:
- with requirements-legacy.txt (Flask 1.1, Flask-Script, Flask-Migrate 2)
  this is the article's Flask-Script manager;
- with requirements.txt (Flask 3, Flask-Migrate 4) Flask-Script cannot be
  imported, so the same arguments go to Flask's own CLI, the way to run them
  from now on: "python manage.py db upgrade" runs "flask db upgrade".
"""

import sys

from flask.cli import FlaskGroup, load_dotenv

try:
    from flask_migrate import MigrateCommand
    from flask_script import Manager
except ImportError:
    # Flask-Script needs flask._compat, which Flask 2.0 removed, and
    # Flask-Migrate 3.0 removed MigrateCommand.
    Manager = None


def create_app():
    # Imported here, not at the top, so that .env has been loaded first.
    from app import app

    return app


if __name__ == '__main__' and Manager is not None:
    # The article's track. Flask-Script does not read .env, so load it here.
    load_dotenv()
    manager = Manager(create_app())
    manager.add_command('db', MigrateCommand)
    manager.run()
elif __name__ == '__main__':
    args = sys.argv[1:]
    if args:
        print(
            'manage.py: Flask-Script does not run on Flask 3; running "flask {}" instead, '
            'the command to use from now on.'.format(' '.join(args)),
            file=sys.stderr,
        )
    FlaskGroup(create_app=create_app)(args=args, prog_name='manage.py')
