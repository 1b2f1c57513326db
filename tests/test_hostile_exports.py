"""Hostile text through every CSV and XLSX quota-sim writes: no formula, no split row, no bad character."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from quota_sim import export
from quota_sim.analysis.sweep import sweep_csv_bytes
from quota_sim.batch import run_batch
from quota_sim.cells import csv_bytes, neutralise
from quota_sim.cli import main
from quota_sim.pipeline import solve_scenario
from tests.instances import load_instance, project_row, scenario_dict, write_instance

HOSTILE = [
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    'safe\r=HYPERLINK("http://x","y")',
    "safe\n@SUM(A1)",
    "safe\r\n-1",
    "  =1+1",
    "＝1+1",
    "\u3000＠x",
    "x\x01\x07y",
    'a,b"c;d',
    "\u202e=cmd",
    "line\u2028=2",
]
FORMULA_START = ("=", "+", "-", "@", "＝", "＋", "－", "＠")


def _safe_text(cell: object) -> bool:
    if not isinstance(cell, str):
        return True
    if any(ch in cell for ch in "\r\n\t\x01\x07\u2028\u202e"):
        return False
    return cell.startswith("'") or not cell.lstrip(" \u3000").startswith(FORMULA_START)


def _check_csv(data: bytes, rows_expected: int) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    assert len(text.splitlines()) == rows_expected + 1  # also a reader that splits on any line break
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == rows_expected + 1
    assert len({len(row) for row in rows}) == 1  # no row split or merged
    for row in rows:
        for cell in row:
            assert _safe_text(cell), repr(cell)
    return rows


def _check_xlsx(data: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                assert _safe_text(cell.value), (sheet.title, cell.coordinate, cell.value)


@pytest.mark.parametrize("text", HOSTILE)
def test_the_neutraliser_makes_every_hostile_text_safe(text):
    assert _safe_text(neutralise(text))


@pytest.mark.parametrize("cell", ["P-1", "田营科技园", "", 12.5, -3, None, True, "a, b", 'say "hi"'])
def test_ordinary_cells_pass_unchanged(cell):
    assert neutralise(cell) == cell


def test_csv_quotes_separators_and_quotes():
    data = csv_bytes(["id", "name"], [["p1", 'a,b"c'], ["p2", None]]).decode()
    assert data == 'id,name\np1,"a,b""c"\np2,\n'


def _hostile_rows() -> list[dict]:
    return [project_row(f"P{i}", land_mu=10, output=100 + i, name=name) for i, name in enumerate(HOSTILE)]


def test_run_outputs_and_app_downloads_are_safe(tmp_path):
    scenario = write_instance(tmp_path / "in", scenario_dict(), _hostile_rows())
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out)]) == 0
    for name in ("allocation.csv", "quota_use.csv", "marginal_values.csv"):
        rows = list(csv.reader(io.StringIO((out / name).read_text(encoding="utf-8"), newline="")))
        _check_csv((out / name).read_bytes(), len(rows) - 1)
    allocation = _check_csv((out / "allocation.csv").read_bytes(), len(HOSTILE))
    assert allocation[1][1] == "'=1+1"
    _check_xlsx((out / "allocation.xlsx").read_bytes())
    result = solve_scenario(*load_instance(tmp_path / "again", scenario_dict(), _hostile_rows())[:2])
    for lang in ("zh", "en"):
        _check_csv(export.allocation_csv_bytes(result, lang), len(HOSTILE))
        _check_xlsx(export.allocation_xlsx_bytes(result, lang))


def test_the_validator_reads_neutralised_ids(tmp_path):
    from quota_sim.verify import verify_outputs

    rows = [project_row("-1", land_mu=10), project_row("=2", land_mu=10), project_row("P3", land_mu=10)]
    scenario, projects, path = load_instance(tmp_path / "in", scenario_dict(), rows)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-analysis"]) == 0
    assert (out / "allocation.csv").read_text(encoding="utf-8").splitlines()[1].startswith("'-1,")
    assert verify_outputs(scenario, projects, out) == []


def test_batch_comparison_is_safe(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    write_instance(folder, scenario_dict(name="good"), _hostile_rows())
    bad_rows = [project_row("P1", land_mu="=1+1")]
    write_instance(folder / "bad", scenario_dict(name="bad"), bad_rows)
    hostile_file = folder / "=HYPERLINK(1).toml"
    (folder / "good.toml").rename(hostile_file)
    monkeypatch.chdir(folder)
    report = run_batch(["=HYPERLINK(1).toml", str(Path("bad") / "bad.toml")], tmp_path / "out", jobs=1)
    assert {o.status for o in report.outcomes} == {"optimal", "bad_input"}
    rows = _check_csv(report.comparison_csv.read_bytes(), 2)
    assert rows[1][1] == "'=HYPERLINK(1).toml"
    _check_xlsx(report.comparison_xlsx.read_bytes())


def test_sweep_table_is_safe():
    rows = [{"lever": text, "value": 1.0, "status": "optimal"} for text in HOSTILE]
    _check_csv(sweep_csv_bytes(rows), len(HOSTILE))
