"""The MILP solvers installed here, for tests that run on each of them."""

from __future__ import annotations

import os
import shutil

from quota_sim.solve import scip_available


def installed_solvers() -> list[str]:
    """HiGHS always; CBC when a ``cbc`` binary is on the PATH or bundled with PuLP; SCIP when
    pyscipopt imports."""
    from pulp.apis.coin_api import pulp_cbc_path

    solvers = ["highs"]
    if shutil.which("cbc") or (pulp_cbc_path and os.access(pulp_cbc_path, os.X_OK)):
        solvers.append("cbc")
    if scip_available():
        solvers.append("scip")
    return solvers


INSTALLED_SOLVERS = installed_solvers()
