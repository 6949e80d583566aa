"""Part 3's word counting against the article's, on the same large real HTML pages.

    tox -e bench-part3                    # or, in an environment with part 3's requirements:
    python benchmarks/part3_processing.py [--html-dir DIR] [--sizes 2,10] [--repeat 3]

Input: the HTML documentation of Python 3.11 from the Debian package
python3.11-doc, fetched with "apt-get download" into benchmarks/.cache/ (not
committed) and unpacked there. The pages of its library/ folder, in name
order, are joined into one document of about 2 MiB and one of about 10 MiB.
Without apt-get, point --html-dir at any folder of real HTML pages (for
example an unpacked Python documentation download).

Both pipelines start from the same decoded text (fetching is not timed) and
end with the two word counts the app saves:
- article: BeautifulSoup with html.parser, get_text(), NLTK's word_tokenize,
  nltk.Text, the ".*[A-Za-z].*" filter, Counter, and the stop words as a list.
  The article's word_tokenize needs the punkt data (today punkt_tab), a
  download this project does not make; word_tokenize(text, preserve_line=True)
  is the same tokenizer without the sentence splitting that needs the data,
  and stands in for it.
- part3: visible_text() and count_words() from part3-processing/app.py
  (BeautifulSoup with lxml, NLTK's RegexpTokenizer, a set of stop words).

Each pipeline runs in its own Python process, so that peak memory is its own:
time is the best of --repeat runs; "peak" is what tracemalloc saw during one
more run (Python objects), "rss" is how much the process's peak resident
memory grew (everything, C libraries such as lxml included).
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PART = ROOT / 'part3-processing'
CACHE = Path(__file__).resolve().parent / '.cache'
PACKAGE = 'python3.11-doc'
MIB = 1024 * 1024


# --- input ----------------------------------------------------------------------


def debian_docs():
    """The library/ folder of the python3.11-doc package, downloaded once."""
    html = CACHE / 'unpacked' / 'usr' / 'share' / 'doc' / 'python3.11' / 'html' / 'library'
    if html.is_dir():
        return html
    if not shutil.which('apt-get') or not shutil.which('dpkg-deb'):
        raise SystemExit('apt-get and dpkg-deb are needed to fetch {}; or pass --html-dir'.format(PACKAGE))
    CACHE.mkdir(exist_ok=True)
    subprocess.run(['apt-get', 'download', PACKAGE], cwd=CACHE, check=True)
    [deb] = sorted(CACHE.glob(PACKAGE + '_*.deb'))
    subprocess.run(['dpkg-deb', '-x', str(deb), str(CACHE / 'unpacked')], check=True)
    return html


def build_input(html_dir, size_mib):
    """Join the folder's .html pages, in name order, until size_mib is reached."""
    target = size_mib * MIB
    out = CACHE / 'input-{}mib.html'.format(size_mib)
    pages = sorted(Path(html_dir).glob('*.html'))
    data = bytearray()
    used = 0
    for page in pages:
        if len(data) >= target:
            break
        data += page.read_bytes()
        used += 1
    if len(data) < target:
        raise SystemExit('{} holds only {:.1f} MiB of HTML'.format(html_dir, len(data) / MIB))
    CACHE.mkdir(exist_ok=True)
    out.write_bytes(bytes(data))
    return out, used


def describe_source(html_dir):
    debs = sorted(CACHE.glob(PACKAGE + '_*.deb'))
    if debs and str(html_dir).startswith(str(CACHE)):
        version = subprocess.run(
            ['dpkg-deb', '-f', str(debs[-1]), 'Version'], capture_output=True, text=True
        ).stdout.strip()
        return 'Debian package {} {}, library/*.html'.format(PACKAGE, version)
    return str(html_dir)


# --- the two pipelines (run in a child process) ----------------------------------


def article_pipeline():
    import re

    import nltk
    from bs4 import BeautifulSoup

    sys.path.insert(0, str(PART))
    from stop_words import stops

    # The article's stop words were a list: its English words and JavaScript leftovers.
    stops_list = sorted(stops) + ['var', 'function', 'script', 'document']
    non_punct = re.compile('.*[A-Za-z].*')

    def run(text):
        raw = BeautifulSoup(text, 'html.parser').get_text()
        tokens = nltk.word_tokenize(raw, preserve_line=True)  # stand-in, see the module docstring
        text = nltk.Text(tokens)
        raw_words = [w for w in text if non_punct.match(w)]
        raw_word_count = Counter(raw_words)
        no_stop_words = [w for w in raw_words if w.lower() not in stops_list]
        no_stop_words_count = Counter(no_stop_words)
        return raw_word_count, no_stop_words_count

    return run


def part3_pipeline():
    # app.py needs a config and a database URL to import; the database is never used.
    os.environ.update(APP_SETTINGS='config.TestingConfig', DATABASE_URL='postgresql://unused.invalid/none')
    sys.path.insert(0, str(PART))
    import app

    def run(text):
        return app.count_words(app.visible_text(text))

    return run


PIPELINES = {'article': article_pipeline, 'part3': part3_pipeline}


def child(name, path, repeat):
    run = PIPELINES[name]()
    text = Path(path).read_bytes().decode('utf-8', errors='replace')
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        raw_word_count, no_stop_words_count = run(text)
        times.append(time.perf_counter() - start)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del raw_word_count, no_stop_words_count
    tracemalloc.start()
    raw_word_count, no_stop_words_count = run(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        json.dumps(
            {
                'seconds': min(times),
                'peak_mib': peak / MIB,
                'rss_growth_mib': (rss_after - rss_before) / 1024,  # ru_maxrss is in KiB on Linux
                'words': sum(raw_word_count.values()),
                'distinct': len(raw_word_count),
                'top': no_stop_words_count.most_common(5),
            }
        )
    )


def measure(name, path, repeat):
    result = subprocess.run(
        [sys.executable, __file__, '--child', name, str(path), '--repeat', str(repeat)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit('{} pipeline failed:\n{}'.format(name, result.stderr))
    return json.loads(result.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--html-dir', help='a folder of real HTML pages (default: {})'.format(PACKAGE))
    parser.add_argument('--sizes', default='2,10', help='input sizes in MiB, comma separated')
    parser.add_argument('--repeat', type=int, default=3, help='timed runs per pipeline (best is shown)')
    parser.add_argument('--child', nargs=2, metavar=('PIPELINE', 'FILE'), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.repeat)
        return
    html_dir = Path(args.html_dir) if args.html_dir else debian_docs()
    print('Input: {}'.format(describe_source(html_dir)))
    print('Python {}'.format(sys.version.split()[0]))
    header = '{:>8} {:>8} {:>9} {:>10} {:>10} {:>9} {:>9}'
    print(header.format('size', 'pipeline', 'seconds', 'peak MiB', 'rss MiB', 'words', 'distinct'))
    for size in (int(s) for s in args.sizes.split(',')):
        path, pages = build_input(html_dir, size)
        results = {name: measure(name, path, args.repeat) for name in PIPELINES}
        label = '{:.1f}MiB'.format(path.stat().st_size / MIB)
        for name, r in results.items():
            print(
                '{:>8} {:>8} {:>9.3f} {:>10.1f} {:>10.1f} {:>9} {:>9}'.format(
                    label, name, r['seconds'], r['peak_mib'], r['rss_growth_mib'], r['words'], r['distinct']
                )
            )
        article, part3 = results['article'], results['part3']
        print(
            '{:>8} {} pages joined; part3 is {:.1f}x faster, peak memory {:.2f}x the article\'s '
            '(tracemalloc), rss growth {:.2f}x'.format(
                label,
                pages,
                article['seconds'] / part3['seconds'],
                part3['peak_mib'] / article['peak_mib'],
                part3['rss_growth_mib'] / max(article['rss_growth_mib'], 0.1),
            )
        )
        print(
            '{:>8} most frequent non-stop words: article {}, part3 {}'.format(
                '', article['top'], part3['top']
            )
        )


if __name__ == '__main__':
    main()
