"""Write a run's tables (SPEC §4): CSV, XLSX and JSON, each file whole or not at all.

Every cell goes through the one neutraliser (:mod:`quota_sim.cells`); every file is written through
the output set (:mod:`quota_sim.output_set`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from quota_sim.attribution import ATTRIBUTION_COLUMNS, attribute
from quota_sim.cells import csv_bytes
from quota_sim.output_set import OutputSet, scenario_inputs
from quota_sim.results import Result

OUTPUT_FILES = (
    "allocation.csv",
    "quota_use.csv",
    "marginal_values.csv",
    "summary.json",
    "allocation.xlsx",
    "diagnosis.json",
    "attribution.csv",
    "report.docx",
    "sites.csv",
)
ALLOCATION_COLUMNS = ("id", "name", "status", "zone", "start_year", "value", "reason")
QUOTA_USE_COLUMNS = ("quota", "source", "zone", "year", "available", "used", "cost")
# SPEC §4's five columns, then how exact each gain is and its upper bound (quota_sim.analysis.marginal).
MARGINAL_COLUMNS = ("quota", "delta", "objective_gain", "value_per_unit", "method", "status", "gain_bound")
SITES_COLUMNS = ("id", "zone", "area_mu", "used_mu", "free_mu", "ready_year", "projects")

Table = tuple[list[str], list[list[Any]]]


def _number(value: float | None) -> float | None:
    """Round away float noise (1e-9 of a 万元) for readable tables; keep None and integers."""
    if value is None:
        return None
    return round(float(value), 6) + 0.0


def allocation_table(result: Result) -> Table:
    """One row per project in input order, SPEC columns (``site`` after ``zone`` in a scenario with
    sites) then ``<quota>_charged`` then analysis columns."""
    quota_ids = [q.id for q in result.scenario.quotas]
    extra = result.extras.get("allocation_columns", {})
    with_sites = result.scenario.sites_path is not None
    columns = list(ALLOCATION_COLUMNS)
    if with_sites:
        columns.insert(columns.index("zone") + 1, "site")
    header = [*columns, *(f"{q}_charged" for q in quota_ids), *extra]
    rows = []
    for i, row in enumerate(result.allocation):
        rows.append([
            row.id, row.name, row.status, row.zone, *([row.site] if with_sites else []),
            row.start_year, _number(row.value), row.reason,
            *(_number(row.charged[q]) for q in quota_ids),
            *(values[i] for values in extra.values()),
        ])
    return header, rows


def quota_use_table(result: Result) -> Table:
    rows = [
        [r.quota, r.source, r.zone, r.year, _number(r.available), _number(r.used), _number(r.cost)]
        for r in result.quota_use
    ]
    return list(QUOTA_USE_COLUMNS), rows


def attribution_table(result: Result) -> Table:
    """SPEC §6: which source pays for each approved project, per quota and year."""
    rows = [
        [r.id, r.quota, r.source, r.zone, r.year, _number(r.amount), _number(r.cost)]
        for r in attribute(result)
    ]
    return list(ATTRIBUTION_COLUMNS), rows


def sites_table(result: Result) -> Table:
    """One row per site (SPEC §5 ``sites.csv``): its area, use by the plan and ``<class>_used_mu``."""
    classes = list(result.site_use[0].class_used) if result.site_use else []
    header = [*SITES_COLUMNS, *(f"{name}_used_mu" for name in classes)]
    rows = [
        [
            r.id, r.zone, _number(r.area_mu), _number(r.used_mu), _number(r.free_mu), r.ready_year,
            "|".join(r.projects), *(_number(r.class_used[name]) for name in classes),
        ]
        for r in result.site_use
    ]
    return header, rows


def marginal_table(result: Result) -> Table:
    rows = [[m[c] for c in MARGINAL_COLUMNS] for m in result.extras.get("marginal_values", [])]
    return list(MARGINAL_COLUMNS), rows


def _translated(header: Sequence[str], lang: str, units: dict[str, str]) -> list[str]:
    """Headers as they are (English, machine-readable) or as labels with units in ``lang``."""
    if lang == "en":
        return list(header)
    from quota_sim.i18n import column_label

    return [column_label(column, lang, units) for column in header]


def _units(result: Result) -> dict[str, str]:
    return {q.id: q.unit for q in result.scenario.quotas}


def _csv_bytes(
    table: Table, lang: str = "en", units: dict[str, str] | None = None, *, bom: bool = False
) -> bytes:
    """CSV in UTF-8; ``bom`` adds the byte-order mark Excel needs to show Chinese text."""
    header, rows = table
    return csv_bytes(_translated(header, lang, units or {}), rows, bom=bom)


def allocation_csv_bytes(result: Result, lang: str = "zh") -> bytes:
    """The allocation table as CSV for Excel (UTF-8 with BOM), headers in ``lang`` ("zh" or "en")."""
    return _csv_bytes(allocation_table(result), lang, _units(result), bom=True)


def allocation_xlsx_bytes(result: Result, lang: str = "zh") -> bytes:
    """The planners' workbook (SPEC §6) of a solved result in ``lang`` ("zh" or "en")."""
    from quota_sim.meeting.data import MeetingData
    from quota_sim.meeting.workbook import workbook_bytes

    return workbook_bytes(MeetingData.from_result(result), lang)


def report_docx_bytes(result: Result, lang: str = "zh") -> bytes:
    """The meeting report (SPEC §6) of a solved result in ``lang`` ("zh" or "en")."""
    from quota_sim.meeting.data import MeetingData
    from quota_sim.meeting.report import report_bytes

    return report_bytes(MeetingData.from_result(result), lang)


def _json_safe(value: Any) -> Any:
    """JSON has no inf or NaN: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def json_bytes(data: Any) -> bytes:
    return (json.dumps(_json_safe(data), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def data_files(result: Result) -> dict[str, bytes]:
    """The run's data files (SPEC §4 and attribution.csv) as bytes, by name: the tables when solved, the
    diagnosis when infeasible, the summary always. The summary of a solved result carries the
    ``planner`` block the meeting pack reads (names, land balance, what waiting projects need)."""
    summary = result.summary()
    if result.solved:
        from quota_sim.meeting.facts import planner_facts

        summary["planner"] = planner_facts(result)
    files: dict[str, bytes] = {"summary.json": json_bytes(summary)}
    if result.solved:
        files["allocation.csv"] = _csv_bytes(allocation_table(result))
        files["quota_use.csv"] = _csv_bytes(quota_use_table(result))
        files["attribution.csv"] = _csv_bytes(attribution_table(result))
        if result.site_use:
            files["sites.csv"] = _csv_bytes(sites_table(result))
        if result.extras.get("marginal_values"):
            files["marginal_values.csv"] = _csv_bytes(marginal_table(result))
    if "diagnosis" in result.extras:
        files["diagnosis.json"] = json_bytes(result.extras["diagnosis"])
    return files


def output_files(result: Result, *, lang: str = "zh", report: bool = False) -> dict[str, bytes]:
    """Every output file of the run (name -> bytes): the data files, the planners' workbook in ``lang``
    when solved and, with ``report``, the meeting report."""
    files = data_files(result)
    if result.solved:
        from quota_sim.meeting.data import MeetingData
        from quota_sim.meeting.workbook import workbook_bytes

        data = MeetingData.from_files(files)
        files["allocation.xlsx"] = workbook_bytes(data, lang)
        if report:
            from quota_sim.meeting.report import report_bytes

            files["report.docx"] = report_bytes(data, lang)
    return files


def open_outputs(out_dir: str | Path, inputs: Iterable[str | Path | None] = ()) -> OutputSet:
    """Check ``out_dir`` before a run (see :class:`OutputSet`) and stage its new set of outputs."""
    return OutputSet.open(out_dir, "run", names=OUTPUT_FILES, inputs=inputs)


def write_outputs(
    result: Result, out_dir: str | Path | OutputSet, *, lang: str = "zh", report: bool = False
) -> list[Path]:
    """Write every output of the run into ``out_dir`` as one set (an :class:`OutputSet` opened before
    the run, or a folder); outputs an earlier run wrote there and this one does not produce (e.g. an
    allocation after an infeasible re-run) are removed. The planners' workbook is in ``lang``; ``report``
    adds the meeting report. Returns the paths written."""
    outputs = out_dir if isinstance(out_dir, OutputSet) else open_outputs(out_dir, _inputs(result))
    with outputs:
        return outputs.commit(output_files(result, lang=lang, report=report))


def _inputs(result: Result) -> list[Path]:
    return scenario_inputs(result.scenario)
