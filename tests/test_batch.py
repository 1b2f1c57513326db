"""Batches: failing members, resume, parallel equivalence, Dask cluster, command line."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from quota_sim.batch import (
    HASH_FILE,
    MemberOutcome,
    RunOptions,
    batch_exit_code,
    collect_scenario_files,
    inputs_digest,
    run_batch,
)
from quota_sim.cli import main
from quota_sim.errors import InputError

PROJECTS = """id,zone,land_mu,investment,output,energy_tce,lock
p1,a,40,8000,9000,30,
p2,a,30,6000,5000,10,
p3,a|b,50,9000,12000,45,
p4,b,20,3000,2600,5,
p5,b,35,7000,8000,25,
p6,a|b,25,4000,4100,12,
"""

# Two locked-in projects needing 160 mu against 100 mu of supply: infeasible.
PROJECTS_LOCKED = PROJECTS.replace("p1,a,40,8000,9000,30,", "p1,a,80,8000,9000,30,in").replace(
    "p3,a|b,50,9000,12000,45,", "p3,a|b,80,9000,12000,45,in"
)

SCENARIO = """name = "{name}"
projects = "{projects}"
start_year = 2026
years = 2

[[zones]]
id = "a"
name = "田营科技园"

[[zones]]
id = "b"
name = "B"

[quotas.land]
unit = "mu"
demand = "land_mu"

[[quotas.land.sources]]
id = "plan"
scope = "city"
amounts = [{land}, {land}]

[quotas.{energy_id}]
unit = "tce"
demand = "energy_tce"

[[quotas.{energy_id}.sources]]
id = "cap"
scope = "city"
amounts = 60

[objective]
weights = {{ output = 1.0 }}
appraisal_years = 1
discount_rate = 0.0

[solver]
time_limit = 20
"""


def write_scenario(
    folder: Path,
    name: str,
    *,
    land: int = 50,
    projects: str = "projects.csv",
    energy_id: str = "energy",
    file_name: str | None = None,
) -> Path:
    """A two-zone, two-year scenario over ``folder/projects`` (created with six projects if absent)."""
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / projects
    if not table.exists():
        table.write_text(PROJECTS, encoding="utf-8")
    path = folder / (file_name or f"{name}.toml")
    path.write_text(
        SCENARIO.format(name=name, projects=projects, land=land, energy_id=energy_id), encoding="utf-8"
    )
    return path


def read_comparison(out: Path) -> list[dict[str, str]]:
    with open(out / "comparison.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------------------- inputs


def test_collect_files_patterns_and_directories(tmp_path: Path) -> None:
    a = write_scenario(tmp_path / "set", "a")
    b = write_scenario(tmp_path / "set", "b")
    c = write_scenario(tmp_path / "other", "c")
    pattern = str(tmp_path / "*" / "*.toml")
    assert collect_scenario_files([str(tmp_path / "set")]) == [a, b]
    assert collect_scenario_files([pattern]) == [c, a, b]
    assert collect_scenario_files([str(b), str(tmp_path / "set")]) == [b, a]  # each file once
    with pytest.raises(InputError, match="not found"):
        collect_scenario_files([str(tmp_path / "missing.toml")])
    with pytest.raises(InputError, match="matches"):
        collect_scenario_files([str(tmp_path / "*.nothing")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no \*\.toml"):
        collect_scenario_files([str(tmp_path / "empty")])


def test_digest_tracks_inputs_not_locations() -> None:
    raw = {"name": "x", "projects": "/a/p.csv", "years": 2}
    base = inputs_digest(raw, b"id\n", RunOptions())
    assert inputs_digest({**raw, "projects": "/b/p.csv"}, b"id\n", RunOptions()) == base
    assert inputs_digest({**raw, "years": 3}, b"id\n", RunOptions()) != base
    assert inputs_digest(raw, b"id \n", RunOptions()) != base
    assert inputs_digest(raw, b"id\n", RunOptions(time_limit=5)) != base
    assert inputs_digest(raw, b"id\n", RunOptions(analyses=False)) != base


def test_exit_code_reports_the_worst_member() -> None:
    def outcome(code: int) -> MemberOutcome:
        return MemberOutcome("m", "m.toml", "x", code)

    assert batch_exit_code([outcome(0), outcome(0)]) == 0
    assert batch_exit_code([outcome(0), outcome(1)]) == 1
    assert batch_exit_code([outcome(1), outcome(3), outcome(0)]) == 3
    assert batch_exit_code([outcome(3), outcome(2), outcome(1)]) == 2


def test_duplicate_names_stop_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_scenario(tmp_path / "in", "same", file_name="one.toml")
    write_scenario(tmp_path / "in", "same", file_name="two.toml")
    out = tmp_path / "out"
    assert main(["batch", str(tmp_path / "in"), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "two.toml" in err and "one.toml" in err and "unique" in err
    assert not out.exists()


# ---------------------------------------------------------------------------- failing members


def test_failing_members_are_reported_and_others_complete(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_scenario(folder, "good", land=50)
    write_scenario(folder, "roomy", land=200, energy_id="nox")
    (folder / "locked.csv").write_text(PROJECTS_LOCKED, encoding="utf-8")
    write_scenario(folder, "locked", projects="locked.csv")
    (folder / "broken.toml").write_text(
        (folder / "good.toml")
        .read_text(encoding="utf-8")
        .replace('name = "good"', 'name = "broken"\nfoo = 1'),
        encoding="utf-8",
    )
    (folder / "badrow.csv").write_text(PROJECTS.replace("p2,a,30", "p2,a,-30"), encoding="utf-8")
    write_scenario(folder, "badrow", projects="badrow.csv")
    out = tmp_path / "out"

    report = run_batch([folder], out, jobs=2)

    rows = {row["name"]: row for row in read_comparison(out)}
    assert list(rows) == ["badrow", "broken", "good", "locked", "roomy"]
    assert rows["good"]["status"] in ("optimal", "feasible") and rows["good"]["error"] == ""
    assert rows["roomy"]["status"] == "optimal"
    assert rows["locked"]["status"] == "infeasible"
    assert rows["broken"]["status"] == "bad_input"
    assert "foo" in rows["broken"]["error"] and "broken.toml" in rows["broken"]["error"]
    assert rows["badrow"]["status"] == "bad_input"
    assert "badrow.csv" in rows["badrow"]["error"] and "land_mu" in rows["badrow"]["error"]
    assert report.exit_code == 2
    assert {o.name: o.exit_code for o in report.outcomes} == {
        "badrow": 2,
        "broken": 2,
        "good": 0,
        "locked": 1,
        "roomy": 0,
    }

    # Quota columns are the union over members; a member without a quota leaves it blank.
    with open(out / "comparison.csv", encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header[:6] == ["name", "file", "status", "gap", "objective", "approved"]
    assert header[6:9] == ["land_used", "energy_used", "nox_used"]
    assert header[-5:] == ["output", "tax", "investment", "seconds", "error"]
    assert rows["good"]["nox_used"] == "" and rows["roomy"]["energy_used"] == ""
    assert float(rows["good"]["land_used"]) <= 100 + 1e-6
    assert float(rows["roomy"]["objective"]) == pytest.approx(float(rows["roomy"]["output"]))

    # Full outputs per solved member, a diagnosis for the infeasible one, nothing for bad input.
    assert {p.name for p in (out / "good").iterdir()} >= {"allocation.csv", "summary.json", HASH_FILE}
    assert (out / "locked" / "diagnosis.json").is_file()
    assert not (out / "broken").exists() and not (out / "badrow").exists()
    summary = json.loads((out / "good" / "summary.json").read_text(encoding="utf-8"))
    assert summary["objective"] == pytest.approx(float(rows["good"]["objective"]))

    # The XLSX sheet holds the same table.
    sheet = load_workbook(out / "comparison.xlsx").active
    assert sheet.title == "comparison"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == header
    assert [v[0] for v in values[1:]] == list(rows)
    assert values[3][4] == pytest.approx(float(rows["good"]["objective"]))


def test_infeasible_only_batch_exits_1_from_the_command(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_scenario(folder, "good")
    (folder / "locked.csv").write_text(PROJECTS_LOCKED, encoding="utf-8")
    write_scenario(folder, "locked", projects="locked.csv")
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "quota_sim",
            "batch",
            str(folder / "*.toml"),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--no-analysis",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "2 scenarios" in done.stdout and "comparison.csv" in done.stdout
    assert "Traceback" not in done.stderr and "%|" not in done.stderr  # no progress bar off a terminal
    assert [row["status"] for row in read_comparison(out)] in (
        ["optimal", "infeasible"],
        ["feasible", "infeasible"],
    )
    assert (out / "good" / "allocation.csv").is_file()
    assert not (out / "good" / "marginal_values.csv").exists()  # --no-analysis


# ---------------------------------------------------------------------------- resume


def _mtimes(out: Path, names: list[str]) -> dict[str, tuple[int, int]]:
    """Per member, its summary.json's (inode, mtime): outputs are written anew and renamed into place,
    so a member written again has a new inode even within the clock's resolution."""
    stats = {name: (out / name / "summary.json").stat() for name in names}
    return {name: (stat.st_ino, stat.st_mtime_ns) for name, stat in stats.items()}


def test_resume_recomputes_only_incomplete_or_changed_members(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    names = ["s1", "s2", "s3"]
    for land in (40, 50, 60):
        write_scenario(folder, f"s{land // 10 - 3}", land=land)
    out = tmp_path / "out"
    first = run_batch([folder], out, jobs=2)
    assert [o.computed for o in first.outcomes] == [True, True, True]
    before = _mtimes(out, names)
    comparison_before = read_comparison(out)

    # A member interrupted after writing its outputs but before its hash is solved again.
    (out / "s2" / HASH_FILE).unlink()
    second = run_batch([folder], out, jobs=2)
    assert {o.name: o.computed for o in second.outcomes} == {"s1": False, "s2": True, "s3": False}
    after = _mtimes(out, names)
    assert after["s1"] == before["s1"] and after["s3"] == before["s3"]
    assert after["s2"] != before["s2"]
    assert second.exit_code == 0
    unchanged = [{k: v for k, v in row.items() if k != "seconds"} for row in read_comparison(out)]
    assert unchanged == [{k: v for k, v in row.items() if k != "seconds"} for row in comparison_before]

    # Changed inputs (scenario text, projects bytes, solver options) and --force recompute.
    write_scenario(folder, "s3", land=65)
    assert [o.computed for o in run_batch([folder], out, jobs=2).outcomes] == [False, False, True]
    assert [o.computed for o in run_batch([folder], out, options=RunOptions(gap=1e-3)).outcomes] == [True] * 3
    assert [o.computed for o in run_batch([folder], out, options=RunOptions(gap=1e-3)).outcomes] == [
        False
    ] * 3
    assert [
        o.computed for o in run_batch([folder], out, options=RunOptions(gap=1e-3), force=True).outcomes
    ] == [True] * 3


def test_stale_files_of_an_earlier_run_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder).mkdir()
    (folder / "locked.csv").write_text(PROJECTS_LOCKED, encoding="utf-8")
    path = write_scenario(folder, "m", projects="locked.csv")
    out = tmp_path / "out"
    assert run_batch([path], out, jobs=1).exit_code == 1
    assert (out / "m" / "diagnosis.json").is_file()
    (folder / "locked.csv").write_text(PROJECTS, encoding="utf-8")
    assert run_batch([path], out, jobs=1).exit_code == 0
    assert not (out / "m" / "diagnosis.json").exists()
    assert (out / "m" / HASH_FILE).is_file()


# ---------------------------------------------------------------------------- parallel equivalence


def _strip_timing(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def test_two_jobs_give_the_same_results_as_one(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for land in (30, 45, 60, 80):
        write_scenario(folder, f"land{land}", land=land)
    one, two = tmp_path / "one", tmp_path / "two"
    assert run_batch([folder], one, jobs=1).exit_code == 0
    assert run_batch([folder], two, jobs=2).exit_code == 0
    assert _strip_timing(read_comparison(one)) == _strip_timing(read_comparison(two))
    for land in (30, 45, 60, 80):
        name = f"land{land}"
        for table in ("allocation.csv", "quota_use.csv"):
            assert (one / name / table).read_bytes() == (two / name / table).read_bytes()
        assert (one / name / HASH_FILE).read_text() == (two / name / HASH_FILE).read_text()
    objectives = [float(row["objective"]) for row in read_comparison(one)]
    assert objectives == sorted(objectives)  # more land never lowers the optimum


def test_progress_bar_counts_members(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    write_scenario(folder, "a")
    write_scenario(folder, "b", land=70)
    seen: list[str] = []
    run_batch([folder], tmp_path / "out", jobs=2, progress=True, on_outcome=lambda o: seen.append(o.name))
    assert sorted(seen) == ["a", "b"]
    assert "2/2" in capsys.readouterr().err
