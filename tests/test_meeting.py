"""The meeting pack (SPEC §6): the planners' workbook and the report, in Chinese and English."""

from __future__ import annotations

import io
import json
import re

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from quota_sim import vocabulary
from quota_sim.cells import neutralise
from quota_sim.cli import main
from quota_sim.export import allocation_xlsx_bytes, report_docx_bytes
from quota_sim.meeting import charts, labels
from quota_sim.meeting.data import MeetingData
from quota_sim.meeting.report import _marginal_sentence, report_bytes
from quota_sim.meeting.words import Words
from quota_sim.output_set import read_trusted
from quota_sim.pipeline import run_and_write, solve_scenario
from quota_sim.results import quota_used_key
from quota_sim.scenario import baseline_path, load_scenario
from tests.instances import load_instance, project_row, scenario_dict

ZH_SHEETS = ["概要", "配置表", "供地计划", "指标来源", "指标使用", "边际价值"]
EN_SHEETS = ["Summary", "Allocation", "Land supply plan", "Quota sources", "Quota use", "Marginal values"]


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory):
    """The baseline run with its analyses and the report, in Chinese."""
    out = tmp_path_factory.mktemp("baseline")
    result = run_and_write(load_scenario(baseline_path()), out, report=True)
    return result, out


def _book(path_or_bytes):
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return openpyxl.load_workbook(source)


def _summary_figures(book, sheet="概要"):
    return {row[0]: row[1] for row in book[sheet].iter_rows(min_row=2, values_only=True)}


def test_golden_zh_sheet_names(baseline_run):
    _, out = baseline_run
    assert _book(out / "allocation.xlsx").sheetnames == ZH_SHEETS


def _codes(summary):
    """Every code of the result that a Chinese workbook must show in words."""
    facts = summary["planner"]
    codes = set(vocabulary.STATUSES) | set(vocabulary.METHODS) | set(facts["zones"])
    codes |= {"value", "budget", "lock", "investment", "tax", "mu", "tce", "city", "approved"}
    for quota in facts["quotas"]:
        codes.add(quota["id"])
        codes |= {s["id"] for s in quota["sources"]}
    return codes


def test_no_code_is_left_in_the_chinese_workbook(baseline_run):
    _, out = baseline_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    pattern = re.compile(
        r"(?<![A-Za-z_])(" + "|".join(sorted(map(re.escape, _codes(summary)))) + r")(?![A-Za-z_])"
    )
    book = _book(out / "allocation.xlsx")
    description = neutralise(labels.description(summary["planner"]["description"], "zh"))
    scanned = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for cell in row:
                if (
                    isinstance(cell, str) and cell != description
                ):  # the scenario's own text is quoted as written
                    scanned += 1
                    assert not pattern.search(cell), (sheet.title, cell)
    assert scanned > 1000


def _words(out, lang="zh"):
    return Words(MeetingData.from_folder(out), lang)


def test_the_workbook_numbers_equal_the_summary(baseline_run):
    _, out = baseline_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    kpi = summary["kpi"]
    words = _words(out)
    book = _book(out / "allocation.xlsx")
    figures = _summary_figures(book)
    assert figures["目标值（万元）"] == round(summary["objective"])
    assert figures["批准（个）"] == kpi["approved"] and figures["未入选（个）"] == kpi["not_selected"]
    assert figures["批准项目用地（亩）"] == round(kpi["land_used"], 1)
    assert figures["批准项目年产值（万元/年）"] == round(kpi["output"])
    assert figures["指标购买费用（万元）"] == round(kpi["purchase_cost"])
    for quota in summary["planner"]["quotas"]:
        q = quota["id"]
        label = labels.text("quota_used", "zh", quota=words.quota(q), unit=words.unit(q))
        assert figures[label] == round(kpi[quota_used_key(q)], labels.decimals(quota["unit"]))
    balance = summary["planner"]["land_balance"]
    assert figures["用地缺口（亩/年）"] == round(balance["shortfall"], 1)
    by_year = zip(balance["years"], balance["demand_by_year"], balance["supply_by_year"], strict=True)
    for year, demand, supply in by_year:
        assert figures[f"{year} 年用地缺口（亩）"] == round(demand - supply, 1)
    fcfs = labels.text("baseline_objective", "zh", method=vocabulary.method_label("fcfs", "zh"))
    assert figures[fcfs] == round(summary["baselines"]["fcfs"]["objective"])
    # The allocation sheet: one row per project, statuses in words, counts as in the summary.
    rows = list(book["配置表"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    status = header.index("状态")
    assert len(body) == kpi["queued"]
    assert sum(r[status] == "批准" for r in body) == kpi["approved"]
    assert sum(r[status] == "不符合准入条件" for r in body) == kpi["ineligible"]
    land_used = kpi[quota_used_key("land")]
    land = header.index(labels.text("charged", "zh", quota=words.quota("land"), unit="亩"))
    assert sum(r[land] for r in body) == pytest.approx(land_used, abs=0.05 * len(body))
    # The land plan ends at the land of the approved projects; the sources add up to the land charged.
    plan = list(book["供地计划"].iter_rows(values_only=True))
    assert plan[-1][-1] == pytest.approx(kpi["land_used"], abs=0.1)
    land_sources = [labels.text("source_mu", "zh", source=words.source("land", s["id"]))
                    for s in words.data.quota("land")["sources"]]
    first = plan[0].index(land_sources[0])
    charged = first - 1  # the land charged, or the area where they are the same
    assert plan[0][first:-1] == tuple(land_sources)
    for row in plan[1:]:
        assert sum(row[first:-1]) == pytest.approx(row[charged], abs=0.2)
    # Attribution sums per quota to the quota used.
    sources = list(book["指标来源"].iter_rows(values_only=True))
    amount, quota = sources[0].index("数量"), sources[0].index("指标")
    land_drawn = sum(r[amount] for r in sources[1:] if r[quota] == words.quota("land"))
    assert land_drawn == pytest.approx(land_used, abs=0.05 * len(sources))


def test_the_workbook_is_numbers_with_formats_and_frozen_headers(baseline_run):
    _, out = baseline_run
    book = _book(out / "allocation.xlsx")
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.column_dimensions["A"].width > 5
    sheet = book["配置表"]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    approved = next(row for row in rows if row[header.index("状态")].value == "批准")
    value = approved[header.index("目标贡献（万元）")]
    assert isinstance(value.value, (int, float)) and value.value > 1000 and value.number_format == "#,##0"
    words = _words(baseline_run[1])
    land = approved[header.index(labels.text("charged", "zh", quota=words.quota("land"), unit="亩"))]
    assert isinstance(land.value, (int, float)) and land.number_format == "#,##0.0"


def test_waiting_projects_say_what_they_need(baseline_run):
    result, out = baseline_run
    book = _book(out / "allocation.xlsx")
    rows = list(book["配置表"].iter_rows(values_only=True))
    header = rows[0]
    explain, year = header.index("说明"), header.index("补足后最早开工年份")
    short = header.index(labels.text("short", "zh", quota=_words(out).quota("land"), unit="亩"))
    waiting = [r for r in rows[1:] if r[header.index("状态")] == "未入选"]
    # More quota lets a waiting project start within the horizon, unless its parcels stop it (taken,
    # too small or not ready before its latest start year): then its explanation says so.
    startable = [r for r in waiting if r[year] is not None]
    assert startable and all(r[year] in result.scenario.horizon for r in startable)
    assert all("地块" in r[explain] for r in waiting if r[year] is None)
    blocked = [r for r in startable if r[short]]
    assert blocked
    for row in blocked:
        assert (
            f"缺 {labels.number(row[short], 'mu')} 亩" in row[explain]
            and f"最早 {row[year]} 年" in row[explain]
        )


def test_the_report_opens_and_its_numbers_are_the_result(baseline_run):
    _, out = baseline_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    kpi = summary["kpi"]
    document = docx.Document(str(out / "report.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "汇报口径" in text and "用地缺口测算" in text
    narrative = next(p.text for p in document.paragraphs if p.text.startswith("2026–2030 年规划期内"))
    assert f"批准 {kpi['approved']} 个" in narrative
    assert f"使用建设用地 {kpi[quota_used_key('land')]:,.1f} 亩" in narrative
    assert f"年产值 {kpi['output']:,.0f} 万元" in narrative
    assert f"提高 {summary['baselines']['fcfs']['uplift_pct']:.1f}%" in narrative
    balance = summary["planner"]["land_balance"]
    assert f"缺口 {balance['shortfall']:,.1f} 亩/年" in narrative
    sentence = "".join(_marginal_sentence(_words(out), "land"))
    assert sentence and sentence in narrative
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert f"{summary['objective']:,.0f}" in cells and f"{kpi[quota_used_key('land')]:,.1f}" in cells
    assert len(document.inline_shapes) == 4  # the charts
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "SimSun"


def test_report_from_the_folder_uses_the_same_data(baseline_run, tmp_path):
    result, out = baseline_run
    assert MeetingData.from_folder(out) == MeetingData.from_result(result)
    assert main(["report", str(out)]) == 0
    assert docx.Document(str(out / "report.docx")).paragraphs[0].text == "baseline：指标配置方案汇报"


def test_english_workbook_and_report(baseline_run):
    result, _ = baseline_run
    book = _book(allocation_xlsx_bytes(result, "en"))
    assert book.sheetnames == EN_SHEETS
    statuses = {row[2] for row in book["Allocation"].iter_rows(min_row=2, values_only=True)}
    assert statuses == {"Approved", "Not selected", "Ineligible", "Locked out"}
    document = docx.Document(io.BytesIO(report_docx_bytes(result, "en")))
    assert document.paragraphs[0].text == "Quota allocation plan: baseline"
    assert any(p.text.startswith("Over 2026–2030, the optimised plan approves") for p in document.paragraphs)


def test_report_without_matplotlib_or_cjk_font(baseline_run, monkeypatch):
    result, _ = baseline_run
    data = MeetingData.from_result(result)
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    drawn = charts.charts(Words(data, "zh"))
    assert len(drawn) == 4 and all(not labels.is_cjk(caption) for caption, _ in drawn)
    monkeypatch.setattr(charts, "available", lambda: False)
    document = docx.Document(io.BytesIO(report_bytes(data, "zh")))
    assert not document.inline_shapes
    assert any("未安装 matplotlib" in p.text for p in document.paragraphs)


def test_report_command_bad_folders(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "not a results folder" in capsys.readouterr().err
    (tmp_path / "summary.json").write_text('{"scenario": "x"}', encoding="utf-8")
    assert main(["report", str(tmp_path)]) == 2
    assert "no run manifest" in capsys.readouterr().err
    # A run folder whose allocation was edited after the run: it is not the run's any more.
    scenario, projects, _ = load_instance(tmp_path / "in", scenario_dict(), [project_row("P1", land_mu=60)])
    out = tmp_path / "out"
    run_and_write(scenario, out, projects=projects, analyses=False)
    (out / "allocation.csv").write_text("id\nP9\n", encoding="utf-8")
    assert main(["report", str(out)]) == 2
    assert "lacks allocation.csv" in capsys.readouterr().err
    assert not (out / "report.docx").exists()


def test_report_command_joins_the_run_set(tmp_path):
    """The report is listed with the run's files: the next run may replace it, a reader trusts it."""
    scenario, projects, _ = load_instance(tmp_path / "in", scenario_dict(), [project_row("P1", land_mu=60)])
    out = tmp_path / "out"
    run_and_write(scenario, out, projects=projects, analyses=False)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["report", str(out), "--lang", "en"]) == 0
    assert read_trusted(out, "run", "report.docx") is not None
    assert read_trusted(out, "run", "allocation.csv") is not None
    run_and_write(scenario, out, projects=projects, analyses=False)
    assert not (out / "report.docx").exists() and (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_hostile_names_are_neutralised(tmp_path):
    rows = [
        project_row("P1", land_mu=40, name='=HYPERLINK("http://x")'),
        project_row("P2", land_mu=40, name="@SUM(A1)"),
        project_row("P3", land_mu=40, name="+cmd|' /C calc'!A0"),
        project_row("P4", land_mu=40, name="-2+3 \x07bell"),
    ]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(), rows)
    result = solve_scenario(scenario, projects)
    book = _book(allocation_xlsx_bytes(result, "zh"))
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for cell in row:
                assert not (isinstance(cell, str) and cell[:1] in "=+-@"), (sheet.title, cell)
    names = {row[1] for row in book["配置表"].iter_rows(min_row=2, values_only=True)}
    assert '\'=HYPERLINK("http://x")' in names and "'@SUM(A1)" in names
    document = docx.Document(io.BytesIO(report_docx_bytes(result, "zh")))
    assert document.paragraphs


def test_a_small_scenario_without_analyses(tmp_path):
    """No marginal values, no baselines: the pack still holds what there is."""
    rows = [project_row("P1", land_mu=60), project_row("P2", land_mu=60)]
    scenario, projects, _ = load_instance(tmp_path / "in", scenario_dict(), rows)
    out = tmp_path / "out"
    run_and_write(scenario, out, projects=projects, analyses=False, report=True, lang="en")
    book = _book(out / "allocation.xlsx")
    assert book.sheetnames == EN_SHEETS[:-1]
    figures = _summary_figures(book, "Summary")
    assert figures["Land shortfall (mu/yr)"] == 20.0  # 120 mu of queue against 100 mu/yr
    waiting = [r for r in book["Allocation"].iter_rows(min_row=2, values_only=True) if r[2] == "Not selected"]
    assert len(waiting) == 1 and "Land short: 20.0 mu missing" in waiting[0][6]
    document = docx.Document(str(out / "report.docx"))
    assert any("Marginal values were not computed" in p.text for p in document.paragraphs)


def test_a_displaced_project_is_only_called_outranked_by_a_proven_plan(tmp_path):
    quotas = {"land": {"unit": "mu", "demand": "land_mu", "sources": [
        {"id": "linkage", "scope": "city", "amounts": 100, "price": 10}]}}
    rows = [project_row("P1", land_mu=10)]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(quotas=quotas), rows)
    data = MeetingData.from_result(solve_scenario(scenario, projects))
    row = data.allocation[0]
    assert Words(data, "zh").explanation(row).endswith("但目标贡献不及已批准项目，未入选")
    data.summary.update(status="feasible", gap=0.25)
    assert "限时可行解（间隙 25.00%），不能断定被更优项目挤出" in Words(data, "zh").explanation(row)
    assert "not shown to be displaced" in Words(data, "en").explanation(row)


def _sites_result(tmp_path):
    """Two parks with sites: P1 on cropland in park a, P2 waits for forest quota (its only site is forest),
    P3 has no site large enough."""
    zones = [{"id": "a", "name": "甲园"}, {"id": "b", "name": "乙园"}]
    quotas = {
        "land": {"unit": "mu", "demand": "land_mu", "site_classes": ["cropland", "forest"],
                 "sources": [{"id": "plan", "scope": "city", "amounts": 100, "name": "计划指标"}]},
        "forest": {"unit": "mu", "demand": "land_mu", "site_classes": ["forest"],
                   "sources": [{"id": "quota", "scope": "city", "amounts": 5, "name": "林地定额"}]},
    }
    sites = [
        {"id": "s1", "zone": "a", "area_mu": 80, "name": "甲一", "construction_mu": 20, "cropland_mu": 60},
        {"id": "s2", "zone": "b", "area_mu": 40, "name": "乙一", "forest_mu": 40},
    ]
    rows = [
        project_row("P1", zone="a", land_mu=40, output=100, site="s1"),
        project_row("P2", zone="b", land_mu=30, output=90, site="s2"),
        project_row("P3", zone="b", land_mu=60, output=80),
    ]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(zones=zones, quotas=quotas), rows, sites)
    return solve_scenario(scenario, projects)


def test_sites_names_land_classes_and_site_problems(tmp_path):
    result = _sites_result(tmp_path)
    assert [row.status for row in result.allocation] == ["approved", "not_selected", "not_selected"]
    book = _book(allocation_xlsx_bytes(result, "zh"))
    rows = list(book["配置表"].iter_rows(values_only=True))
    header = rows[0]
    assert rows[1][header.index("地块")] == "甲一"
    waiting = "林地不足：缺 25.0 亩；补足后最早 2026 年可在乙园（地块 乙一）开工"
    assert rows[2][header.index("说明")] == waiting
    assert rows[2][header.index("补足后开工地块")] == "乙一"
    assert rows[3][header.index("说明")] == "无面积足够的地块（需 60 亩）"
    plan = list(book["供地计划"].iter_rows(values_only=True))
    assert plan[0] == (
        "年份", "园区", "地块", "项目编号", "项目名称", "用地（亩）", "占用存量建设用地（亩）",
        "占用耕地（亩）", "占用林地（亩）", "用地核定占用（亩）", "计划指标（亩）", "累计用地（亩）",
    )
    # 40 mu on s1 (a quarter construction, three quarters cropland): 10 + 30, the land quota charged 30.
    assert plan[1] == (2026, "甲园", "甲一", "P1", "P1", 40.0, 10.0, 30.0, 0.0, 30.0, 30.0, 40.0)
    codes = {"s1", "s2", "construction", "cropland", "forest", "plan", "quota", "land", "a", "b"}
    pattern = re.compile(r"(?<![A-Za-z_])(" + "|".join(codes) + r")(?![A-Za-z_])")
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for cell in row:
                assert not (isinstance(cell, str) and pattern.search(cell)), (sheet.title, cell)
    document = docx.Document(io.BytesIO(report_docx_bytes(result, "zh")))
    plan = next(t for t in document.tables if t.rows[0].cells[0].text == "年份" and "占用耕地（亩）" in
                [c.text for c in t.rows[0].cells])
    header = [c.text for c in plan.rows[0].cells]
    first = [c.text for c in plan.rows[1].cells]
    assert first[header.index("用地（亩）")] == "40.0" and first[header.index("占用耕地（亩）")] == "30.0"


def test_blocking_reasons_with_sites_in_words():
    names = {"land": "建设用地指标", "forest": "林地定额"}.get
    reason = "forest (its site is public_forest land)|no free site large enough"
    expected = "林地定额不足（可选地块为公益林地）；无面积足够的空闲地块"
    assert labels.blocking_sentence(reason, names, "zh") == expected
    assert labels.blocking_sentence("no site large enough ready by 2029", names, "zh") == (
        "2029 年前无面积足够且已具备供地条件的地块")
    assert labels.blocking_sentence("latest_year 2027 before it can start", names, "en") == (
        "its latest start 2027 is before it can start")
    assert labels.blocking_sentence("something else", names, "zh") is None
    screen = labels.screen_sentence("b: industry 再生铅 not admitted", {"b": "乙园"}.get, "zh")
    assert screen == "乙园：行业“再生铅”不在准入清单内"


@pytest.mark.parametrize(
    ("resolve", "dual", "expected"),
    [
        ({"objective_gain": 5000.0, "value_per_unit": 100.0, "status": "optimal"}, 90.0,
         "每增加 1 亩用地，目标值约增加 100.0 万元。"),
        ({"objective_gain": 10.0, "value_per_unit": 0.2, "status": "optimal"}, 90.0,
         "每增加 1 亩用地，目标值约增加 0.2000 万元（增益在求解允许的间隙以内，仅供参考）。"),
        ({"objective_gain": 1000.0, "value_per_unit": 20.0, "status": "time_limited"}, 6227.0,
         "每增加 1 亩用地，目标值至少增加 20.00 万元（限时重新求解的下限；线性松弛对偶近似为 6,227 万元）。"),
        ({"objective_gain": 0.0, "value_per_unit": 0.0, "status": "lp_bound"}, 90.0,
         "再增加用地不能提高目标值（已证明）。"),
        ({"objective_gain": 1000.0, "value_per_unit": 20.0, "status": "neighbourhood"}, 6227.0,
         "保留已批项目时，每增加 1 亩用地，目标值至少增加 20.00 万元"
         "（此范围内精确；线性松弛对偶近似为 6,227 万元）。"),
        ({"objective_gain": 0.0, "value_per_unit": 0.0, "status": "neighbourhood"}, 90.0,
         "保留已批项目时，再增加用地不能提高目标值。"),
        ({"objective_gain": None, "value_per_unit": None, "status": "no_time"}, 90.0,
         "每增加 1 亩用地，目标值约增加 90.00 万元（线性松弛对偶近似，重新求解未在分析时限内完成）。"),
        ({"objective_gain": None, "value_per_unit": None, "status": "no_time"}, None, ""),
    ],
)
def test_what_one_more_mu_is_worth_is_said_as_exactly_as_known(tmp_path, resolve, dual, expected):
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(), [project_row("P1", land_mu=60)])
    data = MeetingData.from_result(solve_scenario(scenario, projects))
    data.summary["objective"], data.summary["solver_settings"]["gap"] = 100_000.0, 0.01  # slack 1,000 万元
    data.marginal = [{"quota": "land", "delta": 50.0, "method": "resolve", **resolve}]
    if dual is not None:
        data.marginal.append({"quota": "land", "delta": 50.0, "method": "lp_dual",
                              "objective_gain": dual * 50, "value_per_unit": dual, "status": "lp"})
    assert "".join(_marginal_sentence(Words(data, "zh"), "land")) == expected


def test_a_site_named_after_its_park_is_not_named_twice(tmp_path):
    data = MeetingData.from_result(_sites_result(tmp_path))
    data.facts["sites"]["s2"]["name"] = "乙园3号地块"
    assert Words(data, "zh").place("b", "s2") == "乙园3号地块"
    assert Words(data, "zh").place("a", "s1") == "甲园（地块 甲一）"
