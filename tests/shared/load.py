"""Small runs of the load test (benchmarks/load.py): 16 clients, 20 requests or jobs (200 if slow).

Every request is answered without a 5xx, every job ends, and the rows saved
are exactly the successes. The partN environments run the 20 (a second one for
some clients while others wait); tox -e part3-slow and part4-slow the 200.
"""

import subprocess
import sys

import pytest

import checkpoint


@pytest.mark.parametrize('requests', [20, pytest.param(200, marks=pytest.mark.slow)])
def test_a_small_load_loses_nothing(part_dir, postgres_admin_url, part_env, subprocess_env, requests):
    part = part_dir.name.split('-')[0]
    args = [sys.executable, str(checkpoint.ROOT / 'benchmarks' / 'load.py'), part, '--check']
    args += ['--clients', '16', '--requests', str(requests), '--duration', '120', '--grace', '60']
    args += ['--database-url', postgres_admin_url]
    if 'REDIS_URL' in part_env:
        args += ['--redis-url', part_env['REDIS_URL']]
    result = subprocess.run(args, env=subprocess_env, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stdout + result.stderr
    issued = ['{} {} issued'.format(requests, what) for what in ('requests', 'jobs')]
    assert any(line in result.stdout for line in issued), result.stdout
