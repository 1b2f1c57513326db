"""The planners' workbook ``allocation.xlsx`` (SPEC §6): every code in words, numbers rounded to their unit.

Sheets (Chinese names; English with ``lang="en"``): 概要 (headline figures and the land shortfall
written out), 配置表 (one row per project, with what a waiting project would need), 供地计划 (approved
land by year, park and project, with the mu drawn from each land source and the running total),
指标来源 (which source pays for each approved project), 指标使用 (quota use) and 边际价值 (when computed).
Numbers stay numbers with a thousands-separator format; header rows are frozen; text cells pass the
one neutraliser of :mod:`quota_sim.cells`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from quota_sim.cells import neutralise
from quota_sim.meeting import labels
from quota_sim.meeting.data import MeetingData
from quota_sim.meeting.words import Words
from quota_sim.vocabulary import marginal_status_label, unit_label

YEAR = "year"  # a column of calendar years: an integer without thousands separator
TEXT = None  # a text column
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_MAX_WIDTH = 60
_SAMPLE_ROWS = 300  # rows looked at to size a column


def number_format(unit_code: str | None, value: float = 0.0) -> str:
    """Excel number format of a figure in ``unit_code``: thousands separator, its unit's decimals."""
    if unit_code == YEAR:
        return "0"
    places = labels.decimals(unit_code or "", value)
    return "#,##0" + ("." + "0" * places if places else "")


def rounded(value: Any, unit_code: str | None) -> Any:
    """A number rounded to its unit (years as int); text and blanks unchanged."""
    if value is None or isinstance(value, str) or unit_code is TEXT:
        return value
    if unit_code == YEAR:
        return int(value)
    return round(float(value), labels.decimals(unit_code, float(value))) + 0.0


def _width(value: Any) -> int:
    shown = f"{value:,.2f}" if isinstance(value, float) else str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in shown)


class _Table:
    """One sheet: a header row and rows whose cells carry a unit code (number) or TEXT."""

    def __init__(self, title: str, header: Sequence[str]) -> None:
        self.title, self.header = title, list(header)
        self.rows: list[list[tuple[Any, str | None]]] = []

    def add(self, cells: Iterable[tuple[Any, str | None]]) -> None:
        self.rows.append(list(cells))

    def write(self, book: Workbook, wrap: Sequence[int] = ()) -> None:
        sheet = book.create_sheet(self.title)
        sheet.freeze_panes = "A2"
        widths = [_width(h) for h in self.header]
        for row in self.rows[:_SAMPLE_ROWS]:
            for i, (value, unit_code) in enumerate(row):
                widths[i] = max(widths[i], _width(rounded(value, unit_code)))
        for i, width in enumerate(widths):
            sheet.column_dimensions[get_column_letter(i + 1)].width = min(_MAX_WIDTH, width + 2)
        header = []
        for title in self.header:
            cell = WriteOnlyCell(sheet, value=neutralise(title))
            cell.font = _BOLD
            header.append(cell)
        sheet.append(header)
        for row in self.rows:
            cells = []
            for i, (value, unit_code) in enumerate(row):
                shown = neutralise(rounded(value, unit_code))
                if (unit_code is TEXT or value is None) and i not in wrap:
                    cells.append(shown)  # a plain cell: no style to carry
                    continue
                cell = WriteOnlyCell(sheet, value=shown)
                if unit_code is not TEXT and value is not None:
                    cell.number_format = number_format(unit_code, float(value))
                if i in wrap:
                    cell.alignment = _WRAP
                cells.append(cell)
            sheet.append(cells)


def workbook_bytes(data: MeetingData, lang: str = "zh") -> bytes:
    """The planners' workbook of a solved result, in ``lang`` ("zh" or "en")."""
    words = Words(data, lang)
    book = Workbook(write_only=True)
    summary_table(words).write(book, wrap=(1, 3))
    allocation_sheet(words).write(book)
    land_plan_table(words).write(book)
    attribution_table(words).write(book)
    quota_use_table(words).write(book)
    if data.marginal:
        marginal_table(words).write(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def summary_table(words: Words) -> _Table:
    """Headline figures (label, figure, unit, note) and the land shortfall arithmetic."""
    summary = words.data.summary
    kpi, facts = summary["kpi"], words.facts
    unit = words.column("unit")
    table = _Table(
        labels.sheet("summary", words.lang),
        [words.column("item"), words.column("figure"), unit, words.column("note")],
    )
    wan = unit_label("万元", words.lang)
    first = facts["start_year"]
    last = first + facts["years"] - 1

    def line(label: str, value: Any, unit_code: str | None, shown_unit: str = "", note: str = "") -> None:
        table.add([(label, TEXT), (value, unit_code), (shown_unit, TEXT), (note, TEXT)])

    line(words.text("scenario"), summary["scenario"], TEXT)
    line(words.text("description"), labels.description(facts["description"], words.lang), TEXT)
    line(
        words.text("horizon"), words.text("horizon_value", first=first, last=last, years=facts["years"]), TEXT
    )
    line(words.text("solve_status"), words.status(summary["status"]), TEXT)
    if summary.get("gap") is not None:
        line(words.text("gap"), summary["gap"] * 100, "%", "%")
    line(words.text("objective"), summary["objective"], "万元", wan)
    line(words.text("queued"), kpi["queued"], "count")
    for status in ("approved", "not_selected", "ineligible", "locked_out"):
        line(words.text("count_status", status=words.status(status)), kpi[status], "count")
    line(words.text("land_used"), kpi["land_used"], "mu", unit_label("mu", words.lang))
    line(words.text("investment"), kpi["investment"], "万元", wan)
    line(words.text("output"), kpi["output"], "万元", wan)
    line(words.text("tax"), kpi["tax"], "万元", wan)
    line(words.text("jobs"), kpi["jobs"], "人", unit_label("人", words.lang))
    line(words.text("purchase_cost"), kpi["purchase_cost"], "万元", wan)
    for quota in facts["quotas"]:
        q = quota["id"]
        used, available = words.used(q), kpi[f"{q}_available"]
        rate = f"{used / available:.1%}" if available > 0 else "—"
        line(
            words.text("quota_used", quota=words.quota(q), unit=words.unit(q)),
            used,
            quota["unit"],
            words.unit(q),
            words.text("use_rate", rate=rate),
        )
        line(
            words.text("quota_available", quota=words.quota(q), unit=words.unit(q)),
            available,
            quota["unit"],
            words.unit(q),
        )
    arithmetic = words.land_arithmetic()
    if arithmetic:
        line(words.text("shortfall_header"), None, TEXT)
        for label, figure, note in arithmetic + words.yearly_shortfall():
            line(label, figure, "mu", unit_label("mu", words.lang), note)
    baselines = summary.get("baselines") or {}
    if baselines:
        line(words.text("baselines_header"), None, TEXT)
        for method, figures in baselines.items():
            if figures.get("objective") is None:
                continue
            pct = figures.get("uplift_pct")
            note = words.text("uplift", pct=f"{pct:.1f}%") if pct is not None else ""
            line(
                words.text("baseline_objective", method=words.method(method)),
                figures["objective"],
                "万元",
                wan,
                note,
            )
    return table


def _short_quotas(words: Words) -> list[str]:
    """Quotas some waiting project is short of, in scenario order."""
    short = {q for need in words.facts["waiting"].values() for q in need["short"]}
    return [q["id"] for q in words.facts["quotas"] if q["id"] in short]


def allocation_sheet(words: Words) -> _Table:
    """One row per project: status, park, start, value, explanation, charges, and what a waiting one needs."""
    data, facts = words.data, words.facts
    quotas = [q["id"] for q in facts["quotas"]]
    short = _short_quotas(words)
    waiting = facts["waiting"]
    any_budget = any(need["budget"] > 0 for need in waiting.values())
    has_site = bool(data.allocation) and "site" in data.allocation[0]
    has_grade = bool(data.allocation) and "grade" in data.allocation[0]
    header = [words.column(c) for c in ("id", "name", "status", "zone")]
    header += [words.column("site")] if has_site else []
    header += [words.column(c) for c in ("start_year", "value", "explanation")]
    header += [words.text("charged", quota=words.quota(q), unit=words.unit(q)) for q in quotas]
    header += [words.text("short", quota=words.quota(q), unit=words.unit(q)) for q in short]
    header += [words.column("need_budget")] if any_budget else []
    header += [words.column("need_year"), words.column("need_zone")]
    header += [words.text("need_site")] if has_site else []
    header += [words.column("grade")] if has_grade else []
    table = _Table(labels.sheet("allocation", words.lang), header)
    for row in data.allocation:
        need = waiting.get(row["id"])
        cells = [
            (row["id"], TEXT),
            (row["name"], TEXT),
            (words.status(row["status"]), TEXT),
            (words.zone(row["zone"]) if row["zone"] else "", TEXT),
        ]
        cells += [(words.site(row["site"]) if row["site"] else "", TEXT)] if has_site else []
        cells += [(row["start_year"], YEAR), (row["value"], "万元"), (words.explanation(row), TEXT)]
        cells += [(row[f"{q}_charged"], words.unit_code(q)) for q in quotas]
        cells += [((need["short"].get(q, 0.0) if need else None), words.unit_code(q)) for q in short]
        cells += [((need["budget"] if need else None), "万元")] if any_budget else []
        cells += [
            ((need["year"] if need else None), YEAR),
            ((words.zone(need["zone"]) if need else ""), TEXT),
        ]
        if has_site:
            cells += [((words.site(need["site"]) if need and need.get("site") else ""), TEXT)]
        cells += [(row["grade"], TEXT)] if has_grade else []
        table.add(cells)
    return table


def land_rows(words: Words) -> list[dict[str, Any]]:
    """Approved land by year, park, site and project, in that order (parks in scenario order, projects in
    queue order): ``land`` the project's area (mu), ``charged`` its land-quota charge, ``sources`` land
    source id -> mu drawn (from attribution), ``classes`` land class -> mu of it taken on the project's
    site (area × the class's share of the site; empty without sites), ``cumulative`` the area so far."""
    data, facts = words.data, words.facts
    land = facts["land_quota"]
    drawn: dict[str, dict[str, float]] = {}
    for row in data.attribution:
        if row["quota"] == land:
            sources = drawn.setdefault(row["id"], {})
            sources[row["source"]] = sources.get(row["source"], 0.0) + row["amount"]
    zone_order = {z: i for i, z in enumerate(facts["zones"])}
    sites = facts.get("sites") or {}
    approved = [
        (row["start_year"], zone_order.get(row["zone"], len(zone_order)), row.get("site") or "", i, row)
        for i, row in enumerate(data.allocation)
        if row["status"] == "approved"
    ]
    rows, total = [], 0.0
    for year, _, site, _, row in sorted(approved, key=lambda item: item[:4]):
        area = facts["land_mu"].get(row["id"], 0.0)
        total += area
        parcel = sites.get(site)
        classes = (
            {name: area * mu / parcel["area_mu"] for name, mu in parcel["classes"].items()} if parcel else {}
        )
        rows.append({
            "year": year, "zone": row["zone"], "site": site, "id": row["id"], "name": row["name"],
            "land": area, "charged": row[f"{land}_charged"] if land else 0.0,
            "sources": drawn.get(row["id"], {}), "classes": classes, "cumulative": total,
        })
    return rows


def land_plan_table(words: Words) -> _Table:
    """供地计划: the rows of :func:`land_rows` with a column per land source and per land class."""
    facts = words.facts
    land = facts["land_quota"]
    sources = [s["id"] for s in words.data.quota(land)["sources"]] if land else []
    rows = land_rows(words)
    has_site = any(row["site"] for row in rows)
    sites = (facts.get("sites") or {}).values()
    classes = list(dict.fromkeys(name for site in sites for name in site["classes"]))
    show_charged = land is not None and any(abs(row["charged"] - row["land"]) > 1e-6 for row in rows)
    header = [words.column("year"), words.column("zone")] + ([words.column("site")] if has_site else [])
    header += [words.column(c) for c in ("id", "name", "land")]
    header += [words.text("class_mu", land_class=words.land_class(c)) for c in classes]
    header += [words.text("charged", quota=words.quota(land), unit=words.unit(land))] if show_charged else []
    header += [words.text("source_mu", source=words.source(land, s)) for s in sources]
    header += [words.column("cumulative")]
    table = _Table(labels.sheet("land_plan", words.lang), header)
    for row in rows:
        cells = [(row["year"], YEAR), (words.zone(row["zone"]), TEXT)]
        cells += [(words.site(row["site"]) if row["site"] else "", TEXT)] if has_site else []
        cells += [(row["id"], TEXT), (row["name"], TEXT), (row["land"], "mu")]
        cells += [(row["classes"].get(c, 0.0), "mu") for c in classes]
        cells += [(row["charged"], "mu")] if show_charged else []
        cells += [(row["sources"].get(s, 0.0), "mu") for s in sources]
        cells += [(row["cumulative"], "mu")]
        table.add(cells)
    return table


def attribution_table(words: Words) -> _Table:
    data = words.data
    names = {row["id"]: row["name"] for row in data.allocation}
    zones = {row["id"]: row["zone"] for row in data.allocation}
    header = [
        words.column(c)
        for c in ("id", "name", "zone", "quota", "source", "supply_zone", "year", "amount", "unit", "cost")
    ]
    table = _Table(labels.sheet("attribution", words.lang), header)
    for row in data.attribution:
        q = row["quota"]
        table.add(
            [
                (row["id"], TEXT),
                (names.get(row["id"], ""), TEXT),
                (words.zone(zones.get(row["id"], "")), TEXT),
                (words.quota(q), TEXT),
                (words.source(q, row["source"]), TEXT),
                (words.supply_zone(row["zone"]), TEXT),
                (row["year"], YEAR),
                (row["amount"], words.unit_code(q)),
                (words.unit(q), TEXT),
                (row["cost"], "万元"),
            ]
        )
    return table


def quota_use_table(words: Words) -> _Table:
    """Quota use per source, supply zone and year; ``left`` is what remains after that year's use (with
    carry-over: the supply of all years so far less all use so far, i.e. what rolls on)."""
    header = [
        words.column(c)
        for c in ("quota", "source", "supply_zone", "year", "available", "used", "left", "unit", "cost")
    ]
    table = _Table(labels.sheet("quota_use", words.lang), header)
    carry = {q["id"]: q["carry_over"] for q in words.facts["quotas"]}
    rows = words.data.quota_use
    balance: dict[tuple[str, str, str], float] = {}
    left = [0.0] * len(rows)
    for i in sorted(
        range(len(rows)),
        key=lambda i: (rows[i]["quota"], rows[i]["source"], rows[i]["zone"], rows[i]["year"]),
    ):
        row = rows[i]
        key = (row["quota"], row["source"], row["zone"])
        balance[key] = (
            (balance.get(key, 0.0) if carry[row["quota"]] else 0.0) + row["available"] - row["used"]
        )
        left[i] = balance[key]
    for row, remaining in zip(rows, left, strict=True):
        q = row["quota"]
        code = words.unit_code(q)
        table.add(
            [
                (words.quota(q), TEXT),
                (words.source(q, row["source"]), TEXT),
                (words.supply_zone(row["zone"]), TEXT),
                (row["year"], YEAR),
                (row["available"], code),
                (row["used"], code),
                (remaining, code),
                (words.unit(q), TEXT),
                (row["cost"], "万元"),
            ]
        )
    return table


def marginal_table(words: Words) -> _Table:
    """Every marginal value row: increment, gain, value per unit, method, how exact, the gain's bound."""
    header = [
        words.column(c)
        for c in ("quota", "delta", "unit", "objective_gain", "value_per_unit", "method", "marginal_status",
                  "gain_bound")
    ]
    table = _Table(labels.sheet("marginal", words.lang), header)
    for row in words.data.marginal:
        q = row["quota"]
        table.add(
            [
                (words.quota(q), TEXT),
                (row["delta"], words.unit_code(q)),
                (words.unit(q), TEXT),
                (row["objective_gain"], "万元"),
                (row["value_per_unit"], labels.PER_UNIT),
                (words.method(row["method"]), TEXT),
                (marginal_status_label(row.get("status") or "", words.lang), TEXT),
                (row.get("gain_bound"), "万元"),
            ]
        )
    return table
