"""Which of a part's tests a learner's folder is checked with, and how the report names them.

The self-check (tools/selfcheck.py, ``tox -e check-partN -- FOLDER``) runs the
checkpoint's own tests against a copy of a learner's folder. Only the tests
listed in a part's sections run there: they check behaviour the part's page
teaches. Every other test stays checkpoint-only: tests of our exact wording,
our stop-word list, the docs' sample output, manage.py, tools/run.py, or the
number and names of our migration files. A new test is checkpoint-only until
it is listed here; tests/tools/test_selfchecks.py fails when a part's test
module is in neither list below, or when a listed test no longer exists.

Links are pages of the built docs (``tox -e docs`` writes them to docs/_build/html/).
"""

from typing import NamedTuple


class Check(NamedTuple):
    test: str  # the test function's name; its parametrized cases count as one check
    title: str  # one line for the learner: what their folder should do
    # Checks that must pass first; otherwise this one is skipped. Only what this check
    # cannot run without: a skipped check tells the learner nothing, so no check may hold
    # back more than HELD_BACK others (tests/tools/test_selfchecks.py). A check whose
    # result would merely be wrong after another's mistake compares with what the folder
    # itself did instead (the table with the folder's own saved counts, and so on).
    needs: tuple = ()


HELD_BACK = 2  # the most checks one failed check may skip, directly or through others


class Section(NamedTuple):
    title: str
    link: str
    checks: tuple


class Part(NamedTuple):
    folder: str
    files: tuple  # what the doctor stage requires before any check runs (the other files have checks)
    sections: tuple
    self_check_modules: tuple  # tests/partN modules holding self-checks
    checkpoint_only_modules: tuple  # tests/partN modules that are wholly checkpoint-only


P1 = 'parts/part1-setup.html'
P2 = 'parts/part2-database.html'
P3 = 'parts/part3-processing.html'
P4 = 'parts/part4-queue.html'

THE_APP = Section(
    'A first route',
    P1 + '#a-first-route',
    (
        Check('test_index_says_hello_world', 'GET / answers "Hello World!"'),
        Check('test_hello_name_greets_by_name', 'GET /<name> greets the name, "Hello Ada!"'),
        Check('test_hello_name_escapes_html', 'GET /<name> shows HTML in the name as text (escaped)'),
        Check('test_a_very_long_name_is_answered', 'a 5,000-character name is greeted too'),
        Check('test_a_path_with_a_slash_is_not_found', 'a path with a slash in it is 404 Not Found'),
        Check('test_post_is_not_allowed', 'POST / is 405 Method Not Allowed'),
    ),
)

CONFIGURATION = Section(
    'A configuration class per environment',
    P1 + '#a-configuration-class-per-environment',
    (
        Check(
            'test_app_settings_selects_the_class', 'APP_SETTINGS selects the config class (DEBUG, TESTING)'
        ),
        Check(
            'test_development_has_a_default_key_but_takes_one_from_the_environment',
            'DevelopmentConfig has a SECRET_KEY of its own, and takes SECRET_KEY from the environment',
        ),
        Check(
            'test_deployed_configs_refuse_to_start_without_a_secret_key',
            'ProductionConfig and StagingConfig refuse to start without SECRET_KEY',
        ),
        Check(
            'test_bad_app_settings_stop_with_one_clear_line',
            'a missing or unknown APP_SETTINGS stops the app with one line naming the valid classes',
        ),
    ),
)

FLASK_SETTINGS = Section(
    'Run it (the flask command)',
    P1 + '#run-it',
    (
        Check(
            'test_env_example_parses_and_configures_the_app',
            '.env.example holds KEY=value lines that configure the app',
        ),
        Check(
            'test_flask_run_with_the_env_example_is_in_debug_mode',
            'flask run with .env.example\'s settings says "Debug mode: on"',
        ),
    ),
)

SERVING = Section(
    'Serve it as a host does',
    P1 + '#serve-it-as-a-host-does',
    (
        Check(
            'test_procfile_web_process_serves_http', "the Procfile's web process serves the app with gunicorn"
        ),
        Check(
            'test_procfile_web_process_stops_at_once_on_a_bad_config',
            'with a bad APP_SETTINGS the web process stops at once, with the message and no traceback',
        ),
        Check(
            'test_python_version_file_names_a_supported_version', '.python-version names Python 3.11 or later'
        ),
    ),
)

PART1_SECTIONS = (THE_APP, CONFIGURATION, FLASK_SETTINGS, SERVING)

UPGRADE = 'test_upgrade_from_empty_builds_the_articles_table'
ROUND_TRIP = 'test_result_round_trips_its_json'

# What parts 3 and 4 keep from parts 1 and 2 (their "/" is no longer the hello route).
KEPT_CONFIG = CONFIGURATION.checks + FLASK_SETTINGS.checks + SERVING.checks
# On a table built from the model itself (db.create_all()): the migrations have checks of their own.
THE_MODEL = (
    Check(ROUND_TRIP, 'a Result is saved and read back, JSON and all'),
    Check('test_ids_come_from_the_sequence', 'each new Result gets a new, larger id', (ROUND_TRIP,)),
    Check(
        'test_empty_and_null_values_are_kept_apart',
        'empty counts ({}) and no counts (NULL) are kept apart',
        (ROUND_TRIP,),
    ),
)
SUBMITTED = 'test_a_submitted_page_is_counted_and_saved'
EVERY_WORD = 'test_every_word_of_a_page_is_counted'
STARTED = 'test_start_answers_the_job_id_and_results_the_ten_most_frequent_words'

PARTS = {
    'part1': Part(
        folder='part1-setup',
        files=('app.py', 'config.py'),
        sections=PART1_SECTIONS,
        self_check_modules=('test_part1',),
        checkpoint_only_modules=(),
    ),
    'part2': Part(
        folder='part2-database',
        files=('app.py', 'config.py', 'models.py', 'migrations/env.py'),
        sections=(
            Section(
                'Kept from part 1',
                P1,
                tuple(check for section in PART1_SECTIONS for check in section.checks),
            ),
            Section(
                'Update the configuration (where the database is)',
                P2 + '#update-the-configuration',
                (
                    Check(
                        'test_database_url_names_the_psycopg2_driver',
                        'DATABASE_URL as postgres://, postgresql:// or postgresql+psycopg2:// '
                        'connects through psycopg2',
                    ),
                    Check(
                        'test_bad_database_url_stops_with_one_clear_line',
                        'a missing or malformed DATABASE_URL stops the app with one line',
                    ),
                    Check(
                        'test_flask_db_upgrade_with_a_bad_database_url_prints_the_message_not_a_traceback',
                        '"flask db upgrade" with a bad DATABASE_URL prints that line, not a traceback',
                    ),
                ),
            ),
            Section('The data model', P2 + '#the-data-model', THE_MODEL),
            Section(
                'Migrations',
                P2 + '#migrations',
                (
                    Check(
                        UPGRADE, '"flask db upgrade" builds the article\'s results table in an empty database'
                    ),
                    Check(
                        'test_downgrade_to_base_removes_the_table_and_upgrade_rebuilds_it',
                        '"flask db downgrade base" removes it, and "flask db upgrade" builds it again',
                        (UPGRADE,),
                    ),
                    Check(
                        'test_models_and_migrations_do_not_drift',
                        '"flask db check" finds nothing the migrations leave out of the model',
                        (UPGRADE,),
                    ),
                ),
            ),
        ),
        self_check_modules=('test_database_url', 'test_migrations', 'test_models', 'test_shared'),
        checkpoint_only_modules=(),
    ),
    'part3': Part(
        folder='part3-processing',
        files=('app.py', 'config.py', 'models.py', 'migrations/env.py'),
        sections=(
            Section('Kept from parts 1 and 2', P2, KEPT_CONFIG + THE_MODEL),
            Section(
                'Handle the form in index()',
                P3 + '#handle-the-form-in-index',
                (
                    Check(
                        SUBMITTED, 'POST / fetches the page, shows a table of its words and saves one Result'
                    ),
                    Check('test_each_submission_saves_its_own_row', 'each submission saves a row of its own'),
                    Check(
                        'test_the_procfile_web_process_counts_a_page',
                        "the Procfile's web process counts a page too",
                        (SUBMITTED,),
                    ),
                ),
            ),
            Section(
                'Keep the text a reader sees',
                P3 + '#keep-the-text-a-reader-sees',
                (
                    Check(
                        'test_text_a_reader_does_not_see_is_not_counted',
                        'only visible text is counted: no script, style or comments',
                    ),
                ),
            ),
            Section(
                'Split the text into words with NLTK',
                P3 + '#split-the-text-into-words-with-nltk',
                (
                    Check(
                        EVERY_WORD,
                        'every word is counted as the page has it: letters of any alphabet, '
                        'an apostrophe inside a word, the case kept',
                    ),
                    Check('test_counting_needs_no_nltk_data', 'counting needs no downloaded NLTK data'),
                ),
            ),
            Section(
                'Leave out the stop words',
                P3 + '#leave-out-the-stop-words',
                (
                    Check(
                        'test_stop_words_are_left_out',
                        'the counts saved without stop words leave out the stop words, and only those',
                    ),
                ),
            ),
            Section(
                'Show the results',
                P3 + '#show-the-results',
                (
                    Check(
                        'test_the_table_shows_the_ten_most_frequent_words_saved',
                        'the page shows the ten most frequent words saved without stop words, '
                        'most frequent first',
                    ),
                    Check(
                        'test_the_url_and_messages_are_escaped_in_the_page',
                        'the address and the messages are shown as text, not HTML',
                    ),
                ),
            ),
            Section(
                "Beyond the article: fetching a stranger's address safely",
                P3 + '#beyond-the-article-fetching-a-stranger-s-address-safely',
                (
                    Check(
                        'test_redirects_are_followed_and_the_given_url_is_saved',
                        'redirects are followed, and the address the visitor gave is saved',
                    ),
                    Check(
                        'test_pages_are_decoded_as_declared_and_counted',
                        'pages are decoded as their headers or <meta> say',
                        (EVERY_WORD,),
                    ),
                    Check(
                        'test_the_app_keeps_serving_after_failures',
                        'pages that cannot be counted get 422 or 502, and the app keeps counting',
                    ),
                ),
            ),
        ),
        self_check_modules=('test_counting', 'test_hostile', 'test_shared'),
        # Our messages, word for word, and fetch.py's own functions; the load test runs the checkpoint.
        checkpoint_only_modules=('test_database_trouble', 'test_load', 'test_ssrf'),
    ),
    'part4': Part(
        folder='part4-queue',
        files=('app.py', 'config.py', 'models.py', 'migrations/env.py', 'worker.py'),
        sections=(
            Section('Kept from parts 1 to 3', P3, KEPT_CONFIG + THE_MODEL),
            Section(
                'Turn the counting into a job',
                P4 + '#turn-the-counting-into-a-job',
                (
                    Check(
                        STARTED,
                        'POST /start answers a job id; a worker counts the page; '
                        'GET /results/<id> answers the ten most frequent words',
                    ),
                    Check(
                        'test_results_answers_202_while_the_job_is_queued_then_its_outcome',
                        'GET /results/<id> answers 202 while the job waits for a worker, then its outcome',
                    ),
                    Check(
                        'test_ties_keep_the_order_in_which_the_words_first_appear',
                        'most frequent first; ties keep the order in which the words first appear',
                        (STARTED,),
                    ),
                    Check(
                        'test_the_worker_keeps_working_after_failures',
                        'jobs for pages that cannot be counted fail, and the worker keeps working',
                        (STARTED,),
                    ),
                    Check('test_start_takes_only_post', 'GET /start is 405 Method Not Allowed'),
                ),
            ),
            Section(
                'The page',
                P4 + '#the-page',
                (
                    Check(
                        'test_the_url_and_messages_are_escaped_in_the_page',
                        'the address and the messages are shown as text, not HTML',
                    ),
                ),
            ),
        ),
        self_check_modules=('test_contract', 'test_page', 'test_shared'),
        # Our messages word for word, config.py's own functions, the exact Procfile and markup,
        # a browser, services stopped under the app, and the load test (which runs the checkpoint).
        checkpoint_only_modules=(
            'test_browser',
            'test_failures',
            'test_load',
            'test_redis_url',
            'test_worker',
        ),
    ),
}


def part(name):
    """A part by short name ('part2'), env name ('check-part2') or folder name ('part2-database')."""
    for key, found in PARTS.items():
        if name in (key, 'check-' + key, found.folder):
            return found
    raise KeyError(name)


def part_of_folder(folder):
    return next(p for p in PARTS.values() if p.folder == folder)


def depth(found, test, seen=()):
    """0 for a check that needs none, else one more than the deepest check it needs."""
    if test in seen:
        raise ValueError('a loop of needs through ' + test)
    needs = next(check.needs for _, _, check in checks(found) if check.test == test)
    return max((depth(found, other, seen + (test,)) + 1 for other in needs), default=0)


def checks(found):
    """The part's checks in report order, each with its section's number and title."""
    for number, section in enumerate(found.sections, 1):
        for check in section.checks:
            yield number, section, check


# Known mistakes: (test name or None for any, pattern searched in what happened, hint, link).
# The first that matches a failure is shown under it. A hint says which file to change and
# how, and what the self-check gives the app where that matters: it sets APP_SETTINGS,
# DATABASE_URL, SECRET_KEY ... itself, and reads .env.example but never .env, so a hint
# never sends the learner to a change it cannot see. The link is the section that teaches
# the fix.
T = 'troubleshooting.html'
SECRET_FROM_ENV = (
    'The self-check sets SECRET_KEY in the environment: in config.py, read it with '
    'os.environ.get("SECRET_KEY") instead of writing a key there.'
)
D = 'differences.html'
HINTS = (
    (
        None,
        r'started a server at import',
        "In app.py, keep app.run() under if __name__ == '__main__': so that only python app.py runs "
        'the development server. The self-check, flask run and gunicorn import app.py and start a '
        'server of their own: they need no app.run().',
        P1 + '#a-first-route',
    ),
    (
        None,
        r'left a process running at import',
        'Take the code that starts other processes out of app.py: start them from the Procfile '
        '(for example worker: python worker.py) or by hand. The self-check imports app.py many '
        'times, as flask and gunicorn do.',
        P1 + '#serve-it-as-a-host-does',
    ),
    (
        'test_flask_run_with_the_env_example_is_in_debug_mode',
        r'Debug mode: off',
        "flask run takes debug mode from FLASK_DEBUG, not from the config's DEBUG: put FLASK_DEBUG=1 "
        'in .env.example. The self-check runs flask run with a copy of .env.example as .env; '
        'it never reads your own .env.',
        P1 + '#run-it',
    ),
    (
        'test_hello_name_escapes_html',
        r'<',
        "In app.py's hello_name(), pass the name through escape() (from markupsafe) before you put "
        'it into the answer: the self-check asks for /<script>..., and a visitor could too.',
        D + '#differences-escape',
    ),
    (
        None,
        r"flask_script|flask\._compat|MigrateCommand",
        'Flask-Script does not run on current Flask, and Flask-Migrate 3 removed MigrateCommand: '
        'app.py must not import them. Keep Migrate(app, db) in app.py; the self-check runs '
        '"flask db upgrade", never manage.py.',
        T + '#troubleshooting-flask-compat',
    ),
    (
        None,
        r"flask\.ext",
        'The flask.ext imports are gone: in app.py (and models.py), import the extensions '
        'directly, from flask_sqlalchemy import SQLAlchemy instead of from flask.ext.sqlalchemy.',
        D + '#differences-flask-ext',
    ),
    (
        None,
        r"sqlalchemy\.dialects:postgres\b",
        'The self-check gives your app DATABASE_URL as postgres://..., as Heroku does, and '
        "SQLAlchemy no longer accepts postgres:// URLs: config.py's database_url() must turn it "
        'into postgresql+psycopg2://.',
        P2 + '#part2-beyond',
    ),
    (
        None,
        r"No module named 'psycopg'",
        'The self-check gives your app a postgresql:// URL in DATABASE_URL, as hosts do, and '
        'current SQLAlchemy reads it as psycopg 3, which is not installed: your config.py must '
        "accept it and name the driver, postgresql+psycopg2:// (part 2's database_url()). "
        'Changing .env does not help: the self-check never reads it.',
        P2 + '#update-the-configuration',
    ),
    (
        None,
        r"Working outside of application context",
        'Flask-SQLAlchemy needs an application context: in app.py, count_and_save_words(), the job '
        'the self-check has a real worker run, must push one (with app.app_context(): ...) before '
        'it uses db.session.',
        T + '#troubleshooting-app-context',
    ),
    (
        None,
        r"punkt|Resource .* not found",
        'NLTK is looking for data that is not installed, and the self-check installs none, as a '
        'host would not: in app.py, split words without it, for example '
        'word_tokenize(text, preserve_line=True).',
        T + '#troubleshooting-punkt-tab',
    ),
    (
        None,
        r"cannot import name 'Connection' from 'rq'",
        'RQ 2 removed Connection: in worker.py and app.py, pass connection=conn to Queue and Worker '
        'instead of "with Connection(conn):".',
        T + '#troubleshooting-rq-connection',
    ),
    (
        None,
        r"has no attribute 'get_id'",
        'RQ removed Job.get_id(): in app.py, use job.id.',
        T + '#troubleshooting-job-get-id',
    ),
    (
        None,
        r"partially initialized module",
        'A circular import: models.py imports db from app, so app.py must create db before it '
        'imports models. In app.py, put "from models import Result" at the end, after '
        'db = SQLAlchemy(app), not among the imports at the top.',
        P2 + '#connect-the-app-to-the-database',
    ),
    (
        None,
        r"attribute 'TestingConfig'|config\.TestingConfig'? is not",
        'The self-check runs your app with APP_SETTINGS=config.TestingConfig: config.py needs a '
        'TestingConfig class (TESTING = True).',
        P1 + '#a-configuration-class-per-environment',
    ),
    (
        'test_downgrade_to_base_removes_the_table_and_upgrade_rebuilds_it',
        r"should leave only the alembic_version table",
        "A revision's downgrade() must undo its upgrade(): in your revision in migrations/versions/, "
        'where upgrade() creates a table, downgrade() drops it (op.drop_table). Check what '
        '"flask db migrate" wrote.',
        P2 + '#migrations',
    ),
    (
        None,
        r"New upgrade operations detected",
        'The model and the migrations disagree: after changing models.py, run "flask db migrate" '
        'in your folder to write a revision for the change into migrations/versions/, and check it.',
        P2 + '#migrations',
    ),
    (
        None,
        r"KeyError: '(APP_SETTINGS|DATABASE_URL|SECRET_KEY|REDIS_URL)'",
        'The self-check also starts your app with this variable unset, as a new machine would: '
        'os.environ[...] then fails with a KeyError. Read it with os.environ.get() where the '
        'message points (app.py or config.py), and stop with a message that says what to set '
        '(raise SystemExit(...)).',
        P1 + '#a-configuration-class-per-environment',
    ),
    (
        'test_deployed_configs_refuse_to_start_without_a_secret_key',
        r'',
        'The self-check starts your app with APP_SETTINGS=config.ProductionConfig (and Staging) '
        'and no SECRET_KEY: in config.py, do not write a key for them; read it from the '
        'environment, and refuse to start without it outside development and testing.',
        D + '#differences-secret-key',
    ),
    (
        'test_app_settings_selects_the_class',
        r'from-env',
        SECRET_FROM_ENV,
        D + '#differences-secret-key',
    ),
    (
        'test_development_has_a_default_key_but_takes_one_from_the_environment',
        r'mine',
        SECRET_FROM_ENV,
        D + '#differences-secret-key',
    ),
    (
        'test_procfile_web_process_stops_at_once_on_a_bad_config',
        r'',
        'In the Procfile, start gunicorn with --preload: the self-check starts the web process '
        'with a bad APP_SETTINGS, and with --preload gunicorn imports the app once and stops at '
        'once; without it, it keeps starting workers that die.',
        D + '#differences-preload',
    ),
)
