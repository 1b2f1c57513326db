"""Fixtures shared by the test modules."""

from __future__ import annotations

import signal
import sys

import pytest

from tests.solvers import INSTALLED_SOLVERS


def pytest_configure(config: pytest.Config) -> None:
    """Deliver Ctrl-C to the runs the tests start. A test run started in the background (``cmd &``)
    inherits SIGINT ignored, and every process it starts would keep ignoring it, so the tests that
    stop a run with Ctrl-C would wait for a run that never stops. A handler of our own becomes the
    default at ``exec``, where an ignored signal stays ignored."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove the folder Streamlit's AppTest keeps for its scripts: a TemporaryDirectory made when
    ``streamlit.testing`` is imported and never cleaned up, which would warn (ResourceWarning) at exit."""
    app_test = sys.modules.get("streamlit.testing.v1.app_test")
    if app_test is not None:
        app_test.TMP_DIR.cleanup()


#: Markers of the modules that start servers, clusters or builds: few tests, each long.
LONG_MODULES = ("browser", "cluster", "slow")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the long modules first, the rest in file order. ``make test`` hands whole modules to its
    processes in this order: a long module started last would leave the other process idle."""
    items.sort(key=lambda item: not any(item.get_closest_marker(name) for name in LONG_MODULES))


@pytest.fixture(params=INSTALLED_SOLVERS)
def solver(request: pytest.FixtureRequest) -> str:
    """Each installed MILP solver in turn (tests/solvers.py)."""
    return request.param
