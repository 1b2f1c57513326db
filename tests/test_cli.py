"""The command line as SPEC §3/§4 states it: outputs, exit codes, bad input writes nothing."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import openpyxl

from quota_sim.cli import main, print_summary
from quota_sim.pipeline import solve_scenario
from quota_sim.scenario import load_scenario
from tests.instances import hard_knapsack, project_row, scenario_dict, write_instance

OUTPUTS = (
    "allocation.csv",
    "quota_use.csv",
    "marginal_values.csv",
    "summary.json",
    "allocation.xlsx",
    "attribution.csv",
)


def _small(tmp_path: Path, **changes) -> Path:
    scenario = scenario_dict(years=2, **changes)
    rows = [
        project_row("P1", land_mu=60, output=300),
        project_row("P2", land_mu=50, output=200),
        project_row("P3", land_mu=70, output=250, name="=HYPERLINK(\"http://x\")"),
        project_row("P4", land_mu=30, output=90, lock="out"),
    ]
    return write_instance(tmp_path / "in", scenario, rows)


def test_run_writes_every_output_and_exits_0(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(_small(tmp_path)), "--out", str(out)]) == 0
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal"
    assert set(summary["seconds"]) >= {"load", "build", "solve", "total"}
    # 100 mu a year, carried over: P1+P2 in one year and P3 in the other give 750.
    assert summary["objective"] == 750
    assert summary["kpi"]["approved"] == 3
    with (out / "allocation.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == ["P1", "P2", "P3", "P4"]
    assert list(rows[0])[:7] == ["id", "name", "status", "zone", "start_year", "value", "reason"]
    assert rows[3]["status"] == "locked_out" and rows[3]["zone"] == "" and rows[3]["start_year"] == ""
    assert rows[2]["name"].startswith("'=")  # a formula in a name is neutralised
    sheet = openpyxl.load_workbook(out / "allocation.xlsx", read_only=True)["配置表"]
    assert next(iter(sheet.iter_rows(min_row=4, max_row=4, values_only=True)))[1].startswith("'=")
    printed = capsys.readouterr().out
    assert "optimal" in printed and "approved 3 of 4" in printed


def test_a_hand_ranking_not_done_within_the_budget_is_said_so(tmp_path, capsys):
    result = solve_scenario(load_scenario(_small(tmp_path)))
    result.extras["baselines"] = {
        "fcfs": {"status": "feasible", "objective": 600.0, "uplift_pct": 25.0},
        "per_mu": {"status": "no_time"},
    }
    print_summary(result, None)
    printed = capsys.readouterr().out
    assert "first come first served 600 万元 (plan +25.0 %)" in printed
    assert "亩均 ranking not done within the analyses' budget" in printed
    result.extras["baselines"] = {"fcfs": {"status": "no_time"}, "per_mu": {"status": "no_time"}}
    print_summary(result, None)
    assert "allocated by hand: first come first served not done" in capsys.readouterr().out


def test_bad_input_exits_2_names_the_place_and_writes_nothing(tmp_path, capsys):
    path = _small(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-analysis"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    projects = path.parent / "projects.csv"
    projects.write_text(projects.read_text(encoding="utf-8").replace(",60,", ",sixty,"), encoding="utf-8")
    assert main(["run", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "projects.csv" in err and "row 2" in err and "land_mu" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []  # no staging left


def test_scenario_typo_exits_2(tmp_path, capsys):
    path = _small(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace("discount_rate", "discount_rat"), encoding="utf-8"
    )
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "discount_rat" in err and "discount_rate" in err


def test_infeasible_locks_exit_1_with_diagnosis(tmp_path):
    scenario = scenario_dict(years=1)
    rows = [project_row("A", land_mu=80, lock="in"), project_row("B", land_mu=70, lock="in")]
    path = write_instance(tmp_path / "in", scenario, rows)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 1
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "infeasible"
    diagnosis = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert "50" in json.dumps(diagnosis)  # 150 mu locked in against 100 mu of supply
    assert not (out / "allocation.csv").exists()


def test_cbc_and_options_are_accepted(tmp_path):
    out = tmp_path / "out"
    code = main(
        [
            "run",
            str(_small(tmp_path)),
            "--out",
            str(out),
            "--solver",
            "cbc",
            "--time-limit",
            "30",
            "--gap",
            "0",
        ]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["solver"] == "cbc" and summary["objective"] == 750


def test_module_entry_point_runs_the_embedded_baseline_from_anywhere(tmp_path):
    out = tmp_path / "baseline"
    done = subprocess.run(
        [sys.executable, "-m", "quota_sim", "run", "--out", str(out), "--no-analysis"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["scenario"] == "baseline"
    assert "HiGHS" not in done.stdout


def test_importance_on_request(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(_small(tmp_path)), "--out", str(out), "--importance", "2"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["importance"]) == 2
    with (out / "allocation.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert "replacement_cost" in rows[0] and "grade" in rows[0]
    assert sum(1 for r in rows if r["replacement_cost"]) == 2


def test_no_solution_within_the_time_limit_exits_3(tmp_path, capsys):
    scenario, _ = hard_knapsack(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["run", str(scenario.path), "--out", str(out), "--time-limit", "1e-6"]) == 3
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "no_solution" and summary["objective"] is None
    assert not (out / "allocation.csv").exists()
    assert "no_solution" in capsys.readouterr().out


def test_every_command_refuses_bad_option_values_with_exit_2(tmp_path, capsys):
    for argv in (
        ["sweep", "--lever", "quotas.land.ratio", "--values", "1", "--gap", "-1"],
        ["batch", str(tmp_path), "--time-limit", "0"],
        ["run", "--time-limit", "-5"],
        ["run", "--gap", "nan"],
        ["run", "--jobs", "0"],
        ["batch", str(tmp_path), "--importance", "-1"],
        ["sweep", "--lever", "quotas.land.ratio", "--values", "1", "--time-limit", "inf"],
        ["app", "--port", "0"],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "usage: quota-sim" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_help_imports_no_solver_or_table_library():
    code = (
        "import sys\n"
        "from quota_sim.cli import build_parser\n"
        "build_parser().format_help()\n"
        "heavy = {'numpy', 'scipy', 'pulp', 'highspy', 'openpyxl', 'quota_sim.scenario'}\n"
        "print(sorted(m for m in sys.modules if m in heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_verify_command_checks_a_run_independently(tmp_path, capsys):
    path = _small(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-analysis"]) == 0
    assert main(["verify", str(out), str(path)]) == 0
    assert "valid" in capsys.readouterr().out
    allocation = out / "allocation.csv"
    text = allocation.read_text(encoding="utf-8-sig")
    allocation.write_text(text.replace("locked_out", "approved", 1), encoding="utf-8")
    assert main(["verify", str(out), str(path)]) == 1
    assert "violations" in capsys.readouterr().out
    assert main(["verify", str(out)]) == 2  # the embedded baseline is another scenario
    assert "not 'baseline'" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "nowhere"), str(path)]) == 2


def test_export_model_writes_the_milp_highs_solves(tmp_path, capsys):
    import highspy

    path = _small(tmp_path)
    mps, lp = tmp_path / "model.mps", tmp_path / "model.lp"
    assert main(["export-model", str(path), str(mps)]) == 0
    assert main(["export-model", str(path), str(lp)]) == 0
    text = lp.read_text(encoding="utf-8")
    assert "x_0_0_0" in text and "supply_0_0_city_1" in text
    for model in (mps, lp):
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.readModel(str(model))
        highs.run()
        assert highs.getInfo().objective_function_value == 750  # as `run` finds (first test)
    before = mps.read_bytes()
    assert main(["export-model", str(path), str(mps)]) == 2  # never overwrites
    assert mps.read_bytes() == before
    assert main(["export-model", str(path), str(tmp_path / "model.txt")]) == 2
    assert "exists" in capsys.readouterr().err


def test_analysis_seconds_sets_the_analyses_budget(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(_small(tmp_path)), "--out", str(out), "--analysis-seconds", "7.5"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["analysis"]["budget_seconds"] == 7.5
    assert main(["run", str(_small(tmp_path)), "--out", str(out), "--analysis-seconds", "0"]) == 2


def test_a_model_with_too_many_placements_is_not_built_and_exits_3(tmp_path, capsys, monkeypatch):
    from quota_sim import placements
    from quota_sim.model import build_model
    from quota_sim.projects import projects_for
    from quota_sim.scenario import load_scenario

    path = _small(tmp_path)
    scenario = load_scenario(path)
    count = build_model(scenario, projects_for(scenario)).n_x
    monkeypatch.setattr(placements, "MAX_PLACEMENTS", count)
    assert main(["run", str(path), "--out", str(tmp_path / "fits"), "--no-analysis"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(placements, "MAX_PLACEMENTS", count - 1)
    out = tmp_path / "too_large"
    assert main(["run", str(path), "--out", str(out), "--no-analysis"]) == 3
    message = capsys.readouterr().err
    assert f"more than {count - 1:,} placements" in message and "'site' column" in message
    assert not out.exists() or not any(out.iterdir())
