"""A small run of the load test (benchmarks/load.py): 200 requests or jobs from 16 clients.

Every request is answered without a 5xx, every job ends, and the rows saved
are exactly the successes.
"""

import subprocess
import sys

import checkpoint


def test_a_small_load_loses_nothing(part_dir, postgres_admin_url, part_env, subprocess_env):
    part = part_dir.name.split('-')[0]
    args = [sys.executable, str(checkpoint.ROOT / 'benchmarks' / 'load.py'), part, '--check']
    args += ['--clients', '16', '--requests', '200', '--duration', '120', '--grace', '60']
    args += ['--database-url', postgres_admin_url]
    if 'REDIS_URL' in part_env:
        args += ['--redis-url', part_env['REDIS_URL']]
    result = subprocess.run(args, env=subprocess_env, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '200 requests issued' in result.stdout or '200 jobs issued' in result.stdout, result.stdout
