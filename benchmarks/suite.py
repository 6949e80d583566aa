"""The test suite's cost: warm `tox p` of two commits, side by side on this machine.

    python benchmarks/suite.py                      # 06429dd against HEAD
    python benchmarks/suite.py OLD NEW --rounds 3   # any two commits
    python benchmarks/suite.py --envs lint,part1    # a few environments only (tox p -e ...)

Each commit is cloned from this repository into a folder of its own (the
committed state: changes not committed are not measured). Each clone's
environments are built and run once untimed (the warm-up: what makes the next
run "warm"), then `tox p` is timed for each commit in turn, --rounds times,
the order alternating from round to round. It prints, per run, the wall time,
the CPU time, and each environment's time as tox reports it; then the median
of each commit and the ratio NEW/OLD. The CPU time is that of every process
the run started, the detached PostgreSQL servers too, where the benchmark can
count them in a cgroup of their own (as root, with cgroup v1's cpuacct);
elsewhere it is that of tox and what it waited for, without those servers
(the output says which). It exits 1 if any run fails, the warm-up too (a cold run that
fails is a flaky test), and keeps that run's whole output in the work folder.

The machine should be otherwise idle: the figures are only comparable side
by side. TEST_DATABASE_URL and TEST_REDIS_URL are removed from the environment,
so that both run as the README's command does, on embedded servers.
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The commit on which the issue measured `tox p` (231 s and 226 s warm, 2 cores).
BASELINE = '06429dd'

# tox's summary line of an environment: "  part4: OK (150.18=setup[0.01]+cmd[150.17] seconds)".
SUMMARY = re.compile(r'^\s+(\S+): (OK|FAIL[^(]*|SKIP[^(]*)\s*\((\d+(?:\.\d+)?)', re.M)


def run(args, cwd, **kwargs):
    return subprocess.run(args, cwd=cwd, check=True, text=True, **kwargs)


def git(*args):
    return run(['git', *args], ROOT, capture_output=True).stdout.strip()


def clone(commit, folder):
    """A clone of this repository at commit in folder (kept if it is already there)."""
    if (folder / '.git').is_dir():
        run(['git', 'fetch', '--quiet', str(ROOT), '+refs/heads/*:refs/remotes/origin/*'], folder)
    else:
        run(['git', 'clone', '--quiet', '--no-checkout', str(ROOT), str(folder)], ROOT)
    run(['git', 'checkout', '--quiet', '--force', commit], folder)
    return folder


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPUACCT = Path('/sys/fs/cgroup/cpuacct')


def cpu_group():
    """A new cpuacct cgroup (its folder), or None where none can be made."""
    try:
        return Path(tempfile.mkdtemp(prefix='fbe-suite-', dir=CPUACCT))
    except OSError:
        return None


def group_cpu(group):
    """CPU seconds of every process that ran in group; then the group is removed."""
    seconds = int((group / 'cpuacct.usage').read_text()) / 1e9
    tasks = (group / 'tasks').read_text().split()
    for pid in tasks:  # what outlived the run (none should): back to the root group
        try:
            (CPUACCT / 'tasks').write_text(pid)
        except OSError:
            pass
    try:
        group.rmdir()
    except OSError:
        pass
    return seconds


def tox_p(tox, folder, envs, extra=()):
    """Run tox p in folder; returns (ok, wall seconds, CPU seconds, {env: (status, seconds)}, output)."""
    args = [*tox, 'p', *extra]
    if envs:
        args += ['-e', envs]
    env = {k: v for k, v in os.environ.items() if k not in ('TEST_DATABASE_URL', 'TEST_REDIS_URL')}
    env['UV_PYTHON_DOWNLOADS'] = 'never'
    group = cpu_group()
    join = (lambda: (group / 'tasks').write_text(str(os.getpid()))) if group else None
    cpu = children_cpu()
    start = time.monotonic()
    done = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True, preexec_fn=join)
    wall = time.monotonic() - start
    cpu = group_cpu(group) if group else children_cpu() - cpu
    output = done.stdout + done.stderr
    per_env = {name: (status.strip(), float(seconds)) for name, status, seconds in SUMMARY.findall(output)}
    return done.returncode == 0, wall, cpu, per_env, output


def failure(output, log):
    """The failed environments and the end of tox's output; the whole output is kept in log."""
    log.write_text(output)
    failed = [name for name, status, _ in SUMMARY.findall(output) if not status.startswith('OK')]
    return '  failed: {} (the whole output: {})\n{}'.format(', '.join(failed) or '?', log, output[-5000:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'old', nargs='?', default=BASELINE, help='the commit to compare against (%(default)s)'
    )
    parser.add_argument('new', nargs='?', default='HEAD', help='the commit measured (%(default)s)')
    parser.add_argument('--rounds', type=int, default=1, help='timed runs of each commit (%(default)s)')
    parser.add_argument('--envs', help='only these environments, comma-separated (tox p -e ...)')
    parser.add_argument(
        '--warm-up',
        choices=['run', 'notest'],
        default='run',
        help='run: a whole untimed tox p first (default); notest: only build the environments',
    )
    parser.add_argument(
        '--workdir', type=Path, help='keep the clones here and reuse them (default: a temporary folder)'
    )
    parser.add_argument('--tox', default=shutil.which('tox') or 'tox', help='the tox command (%(default)s)')
    args = parser.parse_args()
    tox = [args.tox]

    refs = (('old', args.old), ('new', args.new))
    commits = {label: git('rev-parse', '--short', ref + '^{commit}') for label, ref in refs}
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix='fbe-suite-'))
    workdir.mkdir(parents=True, exist_ok=True)
    print('Machine: {} CPU cores, load average {:.2f} {:.2f} {:.2f}'.format(os.cpu_count(), *os.getloadavg()))
    print('Clones in {}; environments: {}'.format(workdir, args.envs or "each commit's env_list"))
    group = cpu_group()
    if group:
        group_cpu(group)
        print('CPU: of every process a run starts, the database servers too (a cgroup)')
    else:
        print('CPU: of tox and what it waited for, not the detached database servers (no cgroup here)')
    failed = False
    try:
        folders = {label: clone(commit, workdir / label) for label, commit in commits.items()}
        for label, folder in folders.items():
            print('warm-up ({}) of {} {} ...'.format(args.warm_up, label, commits[label]), flush=True)
            extra = ['--notest'] if args.warm_up == 'notest' else []
            ok, wall, cpu, _, output = tox_p(tox, folder, args.envs, extra)
            print('  {:.0f} s wall, {:.0f} s CPU{}'.format(wall, cpu, '' if ok else ' (FAILED)'), flush=True)
            if not ok:  # a cold run that fails is a flaky test (or a missing install step): show it
                failed = True
                print(failure(output, workdir / 'warm-up-{}.log'.format(label)))
        times = {label: [] for label in commits}
        for round_number in range(args.rounds):
            order = list(commits) if round_number % 2 == 0 else list(commits)[::-1]
            for label in order:
                ok, wall, cpu, per_env, output = tox_p(tox, folders[label], args.envs)
                times[label].append(wall)
                print(
                    '\nround {}, {} {}: tox p {} in {:.1f} s wall, {:.1f} s CPU (load average {:.2f})'.format(
                        round_number + 1,
                        label,
                        commits[label],
                        'OK' if ok else 'FAILED',
                        wall,
                        cpu,
                        os.getloadavg()[0],
                    )
                )
                for name, (status, seconds) in sorted(per_env.items(), key=lambda item: -item[1][1]):
                    print('  {:<18} {:>7.1f} s  {}'.format(name, seconds, status))
                if not ok:
                    failed = True
                    print(failure(output, workdir / 'round-{}-{}.log'.format(round_number + 1, label)))
        old, new = statistics.median(times['old']), statistics.median(times['new'])
        print(
            '\nwarm tox p, median of {} run(s) each, {} environments:'.format(args.rounds, args.envs or 'all')
        )
        print('  old {}: {:.1f} s'.format(commits['old'], old))
        print('  new {}: {:.1f} s'.format(commits['new'], new))
        print('  ratio new/old: {:.2f}'.format(new / old))
    finally:
        if args.workdir is None and not failed:  # kept when a run failed: its log is there
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
