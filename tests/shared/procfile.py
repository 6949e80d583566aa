"""The Procfile's web process really starts and answers HTTP."""

import subprocess
import urllib.request

import checkpoint
from harness import our_wording


def test_procfile_web_process_serves_http(serve_procfile, part_env):
    proc, base_url = serve_procfile('web', **part_env)
    assert checkpoint.wait_for_http(base_url + '/', proc=proc) == 200
    with urllib.request.urlopen(base_url + '/', timeout=5) as response:
        assert response.headers['Server'].startswith('gunicorn')


def test_procfile_web_process_stops_at_once_on_a_bad_config(serve_procfile, part_env):
    # gunicorn --preload imports the app before forking, so a bad setting ends
    # the server with the app's message instead of a loop of dying workers.
    proc, _ = serve_procfile('web', APP_SETTINGS='config.Nope', **part_env)
    try:
        output, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        raise AssertionError(
            "with APP_SETTINGS='config.Nope' the web process was still running 30 seconds "
            "after it started; it should stop at once, with the app's message"
        ) from None
    assert proc.returncode != 0
    assert 'APP_SETTINGS' in output
    our_wording(output, "APP_SETTINGS='config.Nope' is not a config class.")
    assert 'Traceback' not in output
