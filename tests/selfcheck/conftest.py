"""The --record-golden option of the self-check's own tests (see test_golden.py)."""


def pytest_addoption(parser):
    parser.addoption(
        '--record-golden',
        action='store_true',
        help="write each golden case's report.txt instead of comparing it (runs only the golden tests)",
    )


def pytest_collection_modifyitems(config, items):
    if not config.getoption('record_golden'):
        return
    others = [item for item in items if item.path.name != 'test_golden.py']
    if others:
        config.hook.pytest_deselected(items=others)
        items[:] = [item for item in items if item.path.name == 'test_golden.py']
