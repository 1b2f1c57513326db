"""Exports: atomic writes, XLSX sheets, stale outputs removed (hostile text: test_hostile_exports)."""

from __future__ import annotations

import io
import os

import openpyxl
import pytest

from quota_sim import export
from quota_sim.export import write_outputs
from quota_sim.output_set import write_atomic
from quota_sim.pipeline import solve_scenario
from tests.instances import load_instance, project_row, scenario_dict


def test_write_atomic_keeps_the_old_file_when_the_rename_fails(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    target.write_bytes(b"old")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def _result(tmp_path, rows=None):
    rows = rows or [project_row("P1", land_mu=60), project_row("P2", land_mu=60, name="@evil")]
    scenario, projects, _ = load_instance(tmp_path / "in", scenario_dict(), rows)
    return solve_scenario(scenario, projects)


def test_xlsx_is_the_planners_workbook(tmp_path):
    result = _result(tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(export.allocation_xlsx_bytes(result, lang="en")), read_only=True)
    assert book.sheetnames == ["Summary", "Allocation", "Land supply plan", "Quota sources", "Quota use"]
    rows = list(book["Allocation"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Project ID", "Project name", "Status")
    assert rows[2][1] == "'@evil"
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Solve status"] == "Optimal" and summary["Approved"] == 1


def test_chinese_headers_in_the_download(tmp_path):
    result = _result(tmp_path)
    text = export.allocation_csv_bytes(result, lang="zh").decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[:3] == ["项目编号", "项目名称", "状态"]
    assert export.allocation_csv_bytes(result, lang="en").decode("utf-8-sig").startswith("id,name,status,")


def test_infeasible_rerun_removes_the_stale_allocation(tmp_path):
    out = tmp_path / "out"
    write_outputs(_result(tmp_path), out)
    assert (out / "allocation.csv").exists()
    locked = [project_row("A", land_mu=80, lock="in"), project_row("B", land_mu=80, lock="in")]
    infeasible = _result(tmp_path / "second", locked)
    assert infeasible.status == "infeasible"
    write_outputs(infeasible, out)
    assert not (out / "allocation.csv").exists() and (out / "summary.json").exists()
