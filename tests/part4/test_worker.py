"""worker.py: the Procfile's worker process, and the SpawnWorker it uses on macOS."""

import sys

import psutil

import checkpoint
from pages import KNOWN_TABLE
from processes import start_until


def test_the_procfile_declares_a_web_and_a_worker_process(part_dir):
    assert checkpoint.read_procfile(part_dir) == {
        'web': 'gunicorn --preload app:app',
        'worker': 'python worker.py',
    }


def test_the_macos_worker_spawns_each_job_in_a_fresh_process(
    client, start_worker, work_horse, wait_for, page_server
):
    # worker.py picks RQ's SpawnWorker when sys.platform is 'darwin'. Run it
    # here as if on macOS (the app is imported first: the standard library
    # must see the real platform).
    as_macos = (
        "import sys, runpy, app; sys.platform = 'darwin'; runpy.run_path('worker.py', run_name='__main__')"
    )
    proc = start_worker(command=[sys.executable, '-c', as_macos])
    job_id = client.post('/start', json={'url': page_server.url('/known.html')}).get_data(as_text=True)
    assert wait_for(job_id, timeout=60).get_json() == [list(pair) for pair in KNOWN_TABLE], (
        proc.log.read_text()
    )
    # A job that takes a while shows how it runs: a forked work horse would
    # carry the worker's command line; a spawned one is a new Python started
    # with RQ's own program.
    slow = client.post('/start', json={'url': page_server.url('/never-answers')}).get_data(as_text=True)
    horse = work_horse(proc)
    assert horse.cmdline() != psutil.Process(proc.pid).cmdline()
    assert 'pickle' in ' '.join(horse.cmdline())
    horse.kill()
    assert wait_for(slow).status_code == 503


def test_the_worker_waits_for_redis_instead_of_crashing(part_dir, subprocess_env, migrated):
    # Nothing listens on this port: the worker says so and keeps trying.
    down = 'redis://127.0.0.1:{}/0'.format(checkpoint.free_port())
    env = dict(subprocess_env, DATABASE_URL=migrated, REDIS_URL=down)
    args = checkpoint.python_command(['python', 'worker.py'])
    proc, output = start_until(args, env, 'trying again in 5 seconds', cwd=part_dir)
    try:
        assert proc.poll() is None, 'the worker exited although Redis may come back:\n' + output
        assert 'worker.py: Redis cannot be reached' in output
        assert 'trying again in 5 seconds' in output
        assert 'Traceback' not in output
    finally:
        checkpoint.stop([proc], timeout=0)
