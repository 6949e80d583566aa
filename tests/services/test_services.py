"""tools/services.py (tox -e services): a PostgreSQL and a Redis for a learner's own folder."""

import importlib.util
import json
import socket
import subprocess
from pathlib import Path

import psutil
import psycopg2
import pytest
import redis

import checkpoint
from processes import STOPS, alive, exit_code_within, printed_urls, started_by, stop_as, wait_until_gone


def stop(proc, output, data_dir, how='SIGINT'):
    """Stop the services command as `how` says; assert that nothing it started is left. Returns its output."""
    pids = started_by(proc, data_dir / 'postgres')
    assert len(pids) >= 2, output  # PostgreSQL, and Redis unless there is none
    stop_as(proc, how)
    rest = wait_until_gone(proc, pids, output)
    assert not (data_dir / 'services.pid').exists()
    return output + rest


def checkpoint_database_url(value):
    """What part 2's database_url() (in its config.py) makes of value."""
    path = checkpoint.ROOT / 'part2-database' / 'config.py'
    spec = importlib.util.spec_from_file_location('part2_config', path)
    config = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(config)
    return config.database_url(value)


EXPECTED = Path(__file__).parent / 'expected'
# The ports a first start takes when they are free (tools/services.py's PREFERRED_PORTS).
FIRST_PORTS = {'postgres': 15432, 'redis': 16379}


def test_a_first_start_prints_what_the_docs_show(services, data_dir):
    # The docs show this output; the test keeps it true.
    free = all(checkpoint.port_is_free(port) for port in FIRST_PORTS.values())
    proc, output = services()
    ports = json.loads((data_dir / 'ports.json').read_text())
    if free:
        assert ports == FIRST_PORTS
    for name, port in ports.items():  # another program may hold a first port here
        output = output.replace('127.0.0.1:{}/'.format(port), '127.0.0.1:{}/'.format(FIRST_PORTS[name]))
    assert output == (EXPECTED / 'first-start.txt').read_text()
    stop(proc, output, data_dir)


@pytest.mark.usefixtures('started_before')
def test_it_prints_the_env_lines_and_keeps_data_and_urls_across_a_restart(services, data_dir):
    proc, output = services()
    urls = printed_urls(output)
    assert set(urls) == {'DATABASE_URL', 'REDIS_URL'}, output
    assert urls['DATABASE_URL'].startswith('postgresql://postgres@127.0.0.1:')
    assert urls['DATABASE_URL'].endswith('/wordcount_dev')
    for name, url in urls.items():
        assert '\nexport {}={}\n'.format(name, url) in output, output
    # The checkpoints' database_url() and psql take it as it is.
    assert checkpoint_database_url(urls['DATABASE_URL']).startswith('postgresql+psycopg2://')
    psql = subprocess.run(
        [checkpoint.psql_path(), urls['DATABASE_URL'], '-tAc', 'SELECT current_database()'],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert psql.stdout.strip() == 'wordcount_dev', psql.stderr
    with psycopg2.connect(urls['DATABASE_URL']) as conn, conn.cursor() as cur:
        cur.execute('CREATE TABLE kept (word text)')
        cur.execute("INSERT INTO kept VALUES ('kept')")
    with redis.from_url(urls['REDIS_URL']) as conn:
        conn.set('kept', 'yes')

    stopped = stop(proc, output, data_dir)
    assert proc.returncode == 0, stopped
    assert '[services] Stopping.' in stopped

    again, output = services()
    assert printed_urls(output) == urls, output
    assert 'taken' not in output
    with psycopg2.connect(urls['DATABASE_URL']) as conn, conn.cursor() as cur:
        cur.execute('SELECT word FROM kept')
        assert cur.fetchall() == [('kept',)]
    with redis.from_url(urls['REDIS_URL']) as conn:
        assert conn.get('kept') == b'yes'
    stop(again, output, data_dir)


@pytest.mark.usefixtures('started_before')
@pytest.mark.parametrize('how', STOPS)
def test_it_stops_everything_on_a_closed_terminal_or_sigterm(services, data_dir, how):
    proc, output = services(parent=how == 'its parent killed')
    stop(proc, output, data_dir, how)


@pytest.mark.usefixtures('started_before')
def test_a_second_start_says_where_the_first_runs(services, data_dir):
    first, output = services()
    urls = printed_urls(output)
    second, refused = services()
    assert exit_code_within(second, 30, 'refuse at once while the first runs') == 1
    assert 'Already running, pid {}'.format(first.pid) in refused, refused
    assert printed_urls(refused) == urls, refused
    with psycopg2.connect(urls['DATABASE_URL']):
        pass  # the first one still serves
    stop(first, output, data_dir)


def test_without_redis_it_says_so_and_starts_postgresql_alone(services, data_dir):
    proc, output = services(redis=False)
    said = [line for line in output.splitlines() if 'Redis' in line]
    expected = '[services] No Redis here (parts 1 to 3 need none); for part 4 install one: '
    assert said == [expected + checkpoint.INSTALL_REDIS], output
    urls = printed_urls(output)
    assert list(urls) == ['DATABASE_URL'], output
    with psycopg2.connect(urls['DATABASE_URL']):
        pass
    children = psutil.Process(proc.pid).children(recursive=True)
    assert not [child for child in children if 'redis' in child.name()]
    postgres = started_by(proc, data_dir / 'postgres')
    stop_as(proc, 'SIGINT')
    wait_until_gone(proc, postgres, output)


@pytest.mark.usefixtures('started_before')
def test_a_saved_port_taken_by_another_program_is_said_and_replaced(services, data_dir):
    proc, output = services()
    urls = printed_urls(output)
    stop(proc, output, data_dir)
    saved = json.loads((data_dir / 'ports.json').read_text())
    with socket.socket() as taken:
        # The stopped server's last connections may wait in TIME_WAIT there.
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(('127.0.0.1', saved['postgres']))
        taken.listen()
        again, output = services()
    moved = printed_urls(output)
    assert moved['REDIS_URL'] == urls['REDIS_URL']
    assert moved['DATABASE_URL'] != urls['DATABASE_URL']
    new_port = json.loads((data_dir / 'ports.json').read_text())['postgres']
    assert (
        'Port {} of the last start is taken by another program: PostgreSQL moves to port {}. '
        "Update DATABASE_URL in your project's .env.".format(saved['postgres'], new_port)
    ) in output, output
    with psycopg2.connect(moved['DATABASE_URL']):
        pass
    stop(again, output, data_dir)


@pytest.mark.usefixtures('started_before')
def test_a_killed_run_leaves_nothing_that_changes_the_urls(services, data_dir):
    killed, output = services()
    urls = printed_urls(output)
    left = started_by(killed, data_dir / 'postgres')
    killed.kill()  # SIGKILL: its servers run on, holding their ports
    exit_code_within(killed, 10, 'end at once on SIGKILL')
    proc, output = services()
    assert 'A run that was killed (pid {}) left'.format(killed.pid) in output, output
    assert printed_urls(output) == urls, output
    stop(proc, output, data_dir)
    assert not [pid for pid in left if alive(pid)]
