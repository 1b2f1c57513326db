"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest

from tests.solvers import INSTALLED_SOLVERS


@pytest.fixture(params=INSTALLED_SOLVERS)
def solver(request: pytest.FixtureRequest) -> str:
    """Each installed MILP solver in turn (tests/solvers.py)."""
    return request.param
