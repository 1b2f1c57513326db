"""Outputs as one set, written only over files the program wrote: real folders and files, real runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from quota_sim import output_set
from quota_sim.batch import run_batch
from quota_sim.cli import main
from quota_sim.errors import InputError
from quota_sim.output_set import OutputSet, manifest_name, read_manifest, read_trusted
from tests.instances import project_row, scenario_dict, write_instance
from tests.test_batch import write_scenario

ROWS = [project_row("P1", land_mu=60, output=300), project_row("P2", land_mu=50, output=200)]
LOCKED = [project_row("A", land_mu=80, lock="in"), project_row("B", land_mu=80, lock="in")]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _no_staging_left(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if ".quota-sim-" in p.name and p.is_dir()]


# ---------------------------------------------------------------------------- batch keeps the user's files


def test_batch_into_the_scenarios_own_folder_keeps_every_user_file(tmp_path, capsys):
    case = tmp_path / "study" / "case"
    scenario = write_scenario(case, "case", file_name="scenario.toml")
    (case / "note.docx").write_bytes(b"PK\x03\x04 the planner's note")
    user_files = _snapshot(case)
    assert (
        main(["batch", str(scenario), "--out", str(tmp_path / "study"), "--jobs", "1", "--no-analysis"]) == 0
    )
    after = _snapshot(case)
    for name, data in user_files.items():
        assert after[name] == data, name
    assert {"summary.json", "allocation.csv", "inputs.sha256"} <= set(read_manifest(case, "run"))
    # A second, infeasible run removes its own allocation but nothing of the user's.
    (case / "projects.csv").write_text(
        "id,zone,land_mu,investment,output,energy_tce,lock\nq1,a,80,1,1,0,in\nq2,a,80,1,1,0,in\n",
        encoding="utf-8",
    )
    user_files = {n: d for n, d in _snapshot(case).items() if n in user_files}
    assert (
        main(["batch", str(scenario), "--out", str(tmp_path / "study"), "--jobs", "1", "--no-analysis"]) == 1
    )
    after = _snapshot(case)
    assert not (case / "allocation.csv").exists() and (case / "summary.json").exists()
    for name, data in user_files.items():
        assert after[name] == data, name
    assert _no_staging_left(tmp_path / "study") and _no_staging_left(case)


def test_batch_member_whose_outputs_would_overwrite_its_input_is_bad_input(tmp_path):
    case = tmp_path / "study" / "case"
    scenario = write_scenario(case, "case", projects="allocation.csv", file_name="scenario.toml")
    other = write_scenario(tmp_path / "other", "other")
    before = _snapshot(case)
    report = run_batch([scenario, other], tmp_path / "study", jobs=1)
    statuses = {o.name: o for o in report.outcomes}
    assert statuses["case"].status == "bad_input" and "allocation.csv" in statuses["case"].error
    assert statuses["other"].status == "optimal"
    assert _snapshot(case) == before
    assert report.exit_code == 2


def test_batch_refuses_a_comparison_file_it_did_not_write(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "comparison.csv").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match=r"comparison\.csv"):
        run_batch([write_scenario(tmp_path / "in", "a")], out, jobs=1)
    assert (out / "comparison.csv").read_text(encoding="utf-8") == "mine"
    assert not (out / "a").exists()


def test_resume_trusts_only_files_the_manifest_vouches_for(tmp_path):
    scenario = write_scenario(tmp_path / "in", "a")
    out = tmp_path / "out"
    assert run_batch([scenario], out, jobs=1).outcomes[0].computed
    assert not run_batch([scenario], out, jobs=1).outcomes[0].computed
    summary = out / "a" / "summary.json"
    summary.write_text(
        summary.read_text(encoding="utf-8").replace('"optimal"', '"feasible"'), encoding="utf-8"
    )
    assert read_trusted(out / "a", "run", "summary.json") is None
    assert run_batch([scenario], out, jobs=1).outcomes[0].computed  # an edited result is solved again


# ---------------------------------------------------------------------------- run checks --out first


def test_run_into_the_input_folder_is_refused_and_the_input_survives(tmp_path, capsys):
    scenario = write_instance(tmp_path / "in", {**scenario_dict(), "projects": "allocation.csv"}, LOCKED)
    before = _snapshot(tmp_path / "in")
    assert main(["run", str(scenario), "--out", str(tmp_path / "in")]) == 2
    err = capsys.readouterr().err
    assert "holds an input" in err and "Traceback" not in err
    assert _snapshot(tmp_path / "in") == before
    assert main(["run", str(scenario), "--out", str(tmp_path)]) == 2  # a folder above the inputs
    assert _snapshot(tmp_path / "in") == before
    assert [p.name for p in tmp_path.iterdir()] == ["in"]


def test_run_refuses_a_file_and_a_file_it_did_not_write(tmp_path, capsys):
    scenario = write_instance(tmp_path / "in", scenario_dict(), ROWS)
    target = tmp_path / "out.txt"
    target.write_text("mine", encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(target)]) == 2
    assert "not a folder" in capsys.readouterr().err
    out = tmp_path / "out"
    out.mkdir()
    (out / "allocation.csv").write_text("my own table", encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(out)]) == 2
    assert "allocation.csv" in capsys.readouterr().err
    assert _snapshot(out) == {"allocation.csv": b"my own table"}


def test_a_folder_of_an_older_version_is_refused_naming_every_file_in_the_way(tmp_path, capsys):
    """An older quota-sim wrote no manifest: its files are not overwritten, and the message lists them
    all and says what to do; doing it lets the run go ahead."""
    scenario = write_instance(tmp_path / "in", scenario_dict(), ROWS)
    out = tmp_path / "results"
    assert main(["run", str(scenario), "--out", str(out), "--no-analysis"]) == 0
    (out / manifest_name("run")).unlink()  # as an older version left it
    before = _snapshot(out)
    written = sorted(before)
    assert {"allocation.csv", "quota_use.csv", "summary.json"} <= set(written)
    assert main(["run", str(scenario), "--out", str(out), "--no-analysis"]) == 2
    err = capsys.readouterr().err
    assert f"holds {len(written)} files that quota-sim would overwrite but cannot prove it wrote" in err
    assert all(name in err for name in written)
    assert "no manifest .quota-sim-run.json" in err and f"mv {out} {out}.old" in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert _snapshot(out) == before and _no_staging_left(tmp_path)
    os.rename(out, tmp_path / "results.old")  # as the message says
    assert main(["run", str(scenario), "--out", str(out), "--no-analysis"]) == 0
    assert _snapshot(tmp_path / "results.old") == before
    (out / manifest_name("run")).unlink()
    (out / "notes.txt").write_text("mine", encoding="utf-8")  # the folder is not only outputs: no mv of it
    assert main(["run", str(scenario), "--out", str(out), "--no-analysis"]) == 2
    err = capsys.readouterr().err
    assert "cannot prove it wrote" in err and "notes.txt" not in err and " mv " not in err


def test_a_batch_member_folder_of_an_older_version_is_a_bad_input_row_naming_the_files(tmp_path):
    scenario = write_scenario(tmp_path / "in", "case")
    assert run_batch([scenario], tmp_path / "study", jobs=1).exit_code == 0
    member = tmp_path / "study" / "case"
    (member / manifest_name("run")).unlink()
    before = _snapshot(member)
    report = run_batch([scenario], tmp_path / "study", jobs=1)
    (outcome,) = report.outcomes
    assert outcome.status == "bad_input" and "cannot prove it wrote" in outcome.error
    assert "summary.json" in outcome.error and "inputs.sha256" in outcome.error
    assert _snapshot(member) == before


def test_run_cannot_write_the_output_folder(tmp_path, capsys):
    """A folder that cannot be created (its parent is a file: this bites even for root)."""
    scenario = write_instance(tmp_path / "in", scenario_dict(), ROWS)
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(tmp_path / "plain" / "out")]) == 2
    err = capsys.readouterr().err
    assert "cannot write the output folder" in err and "Traceback" not in err


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc, a file system no one can write")
def test_run_into_a_read_only_file_system_is_refused(tmp_path, capsys):
    scenario = write_instance(tmp_path / "in", scenario_dict(), ROWS)
    assert main(["run", str(scenario), "--out", "/proc/self/quota-sim-out"]) == 2
    assert "cannot write the output folder" in capsys.readouterr().err


def test_user_files_beside_the_outputs_survive_reruns(tmp_path):
    scenario = write_instance(tmp_path / "in", scenario_dict(), ROWS)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(out), "--no-analysis"]) == 0
    assert (out / "allocation.csv").exists()
    infeasible = write_instance(tmp_path / "in2", scenario_dict(), LOCKED)
    assert main(["run", str(infeasible), "--out", str(out)]) == 1
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not (out / "allocation.csv").exists() and (out / "diagnosis.json").exists()
    assert set(read_manifest(out, "run")) == {"summary.json", "diagnosis.json"}
    assert _no_staging_left(out) and _no_staging_left(tmp_path)


# ---------------------------------------------------------------------------- one set, swapped at once


def test_a_folder_of_its_own_is_swapped_whole(tmp_path):
    out = tmp_path / "out"
    with OutputSet.open(out, "run", names=["a.csv", "b.csv"]) as first:
        first.commit({"a.csv": b"1", "b.csv": b"1"})
    inode = out.stat().st_ino
    with OutputSet.open(out, "run", names=["a.csv", "b.csv"]) as second:
        assert second.beside  # staged in a folder beside the target, swapped in at once
        second.commit({"a.csv": b"2"})
    assert out.stat().st_ino != inode
    assert _snapshot(out) == {"a.csv": b"2", manifest_name("run"): _snapshot(out)[manifest_name("run")]}
    assert read_trusted(out, "run", "a.csv") == b"2"
    assert _no_staging_left(tmp_path)


def test_a_failure_while_staging_leaves_the_old_set(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with OutputSet.open(out, "run", names=["a.csv", "b.csv"]) as first:
        first.commit({"a.csv": b"old", "b.csv": b"old"})
    before = _snapshot(out)
    real = output_set._create_exclusive

    def disk_full(path, data, mode=0o666):
        if path.name == "b.csv":
            raise OSError(28, "No space left on device")
        real(path, data, mode)

    monkeypatch.setattr(output_set, "_create_exclusive", disk_full)
    second = OutputSet.open(out, "run", names=["a.csv", "b.csv"])
    with pytest.raises(OSError, match="space"):
        second.commit({"a.csv": b"new", "b.csv": b"new"})
    assert _snapshot(out) == before
    assert _no_staging_left(tmp_path)


def test_the_manifest_lists_what_was_written_with_its_hash(tmp_path):
    scenario = write_instance(tmp_path / "in", scenario_dict(), ROWS)
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--no-analysis"]) == 0
    manifest = json.loads((out / manifest_name("run")).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {p.name for p in out.iterdir()} - {manifest_name("run")}
    for name in manifest["files"]:
        assert read_trusted(out, "run", name) == (out / name).read_bytes()
