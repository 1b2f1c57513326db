"""What `quota-sim run` does, as one call: solve, analyse, write every output."""

from __future__ import annotations

import time
from pathlib import Path

from quota_sim.analysis import enrich
from quota_sim.export import open_outputs, write_outputs
from quota_sim.output_set import scenario_inputs
from quota_sim.projects import Projects
from quota_sim.results import Result
from quota_sim.scenario import Scenario
from quota_sim.solve import solve_scenario


def run_and_write(
    scenario: Scenario,
    out_dir: str | Path,
    *,
    projects: Projects | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    solver: str | None = None,
    analyses: bool = True,
    importance_top: int = 0,
    jobs: int = 1,
    load_seconds: float = 0.0,
    lang: str = "zh",
    report: bool = False,
) -> Result:
    """Solve ``scenario``, add the analyses (marginal values, baselines, grades, the replacement cost
    of the ``importance_top`` most valuable approvals, or the diagnosis when infeasible; re-solves
    in ``jobs`` processes) and write the SPEC §4 files into ``out_dir``. ``load_seconds``: time the
    caller spent reading the scenario file, counted in ``seconds.load``. The planners' workbook is in
    ``lang``; ``report`` adds the meeting report (SPEC §6).

    ``out_dir`` is checked before solving (:func:`quota_sim.export.open_outputs`): a folder that is a
    file, cannot be written, holds the inputs or holds files quota-sim did not write is bad input."""
    outputs = open_outputs(out_dir, scenario_inputs(scenario))
    try:
        result = solve_scenario(scenario, projects, time_limit=time_limit, gap=gap, solver=solver)
    except BaseException:
        outputs.discard()
        raise
    result.seconds["load"] += load_seconds
    result.seconds["total"] += load_seconds
    if analyses:
        started = time.perf_counter()
        with outputs:  # staged files are discarded if the analyses fail or are interrupted
            enrich(result, importance_top=importance_top, jobs=jobs)
        result.seconds["analysis"] = time.perf_counter() - started
        result.seconds["total"] += result.seconds["analysis"]
    write_outputs(result, outputs, lang=lang, report=report)
    return result

