"""Published multidimensional knapsack problems (OR-Library) solved through the command line.

With one zone, one year, one quota per knapsack constraint and profits as output, the scenario's
optimum is the knapsack's published optimum (see tests/data/mkp/README.md). The Chu & Beasley 5×100
problems take 20-60 s each to prove optimal with gap 0 on a 2-core machine, so only their loading is
tested here; ``bench/bench_mkp.py`` solves them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from quota_sim.cli import main
from quota_sim.projects import projects_for
from quota_sim.scenario import load_scenario
from quota_sim.verify import verify_outputs
from tests.instances import KnapsackProblem, knapsack_instance, read_knapsack_file, write_instance

DATA = Path(__file__).parent / "data" / "mkp"


def best_known() -> dict[str, float]:
    """Published values by problem name (``<set>_<index>``)."""
    with (DATA / "best_known.csv").open(encoding="utf-8", newline="") as handle:
        return {
            f"{row['set']}_{row['instance_index']}": float(row["best_known"])
            for row in csv.DictReader(handle)
        }


MKNAP1 = read_knapsack_file(DATA / "mknap1.txt")
# One Chu & Beasley 5x100 problem (proven optimum 24274), the fastest of the three here: about 5 s.
CHU_BEASLEY = [read_knapsack_file(DATA / "mknapcb1_first5.txt", "mknapcb1")[1]]


def test_the_data_files_match_their_published_values() -> None:
    known = best_known()
    chu_beasley = read_knapsack_file(DATA / "mknapcb1_first5.txt", "mknapcb1")
    assert [(p.name, len(p.profits), len(p.capacities)) for p in chu_beasley] == [
        (f"mknapcb1_{i}", 100, 5) for i in (1, 2, 3, 4, 5)
    ]
    assert [p.name for p in MKNAP1] == [f"mknap1_{i}" for i in range(1, 8)]
    assert {p.name: p.optimum for p in MKNAP1} == {
        name: v for name, v in known.items() if name.startswith("mknap1")
    }
    assert [known[p.name] for p in chu_beasley] == [24381, 24274, 23551, 23534, 23991]


@pytest.mark.parametrize("problem", MKNAP1 + CHU_BEASLEY, ids=[p.name for p in MKNAP1 + CHU_BEASLEY])
def test_cli_finds_the_published_optimum(problem: KnapsackProblem, tmp_path: Path) -> None:
    scenario_raw, rows = knapsack_instance(problem)
    path = write_instance(tmp_path / "input", scenario_raw, rows)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-analysis"]) == 0  # the command, in process
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal"
    assert summary["objective"] == pytest.approx(best_known()[problem.name], rel=1e-9)
    scenario = load_scenario(path)
    assert verify_outputs(scenario, projects_for(scenario), out) == []
