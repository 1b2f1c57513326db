"""The meeting report ``report.docx`` (SPEC §6), in Chinese or English, every number read from the result.

Sections: title and scenario; 汇报口径 (a short narrative generated from the figures); headline figures;
the land shortfall written out; the land supply plan by year; quota use; the waiting projects and what
each would need; what one more unit of each quota is worth (with the solver's gap as caveat); the gain
over first-come-first-served and 亩均 ranking; and the charts (:mod:`quota_sim.meeting.charts`).
Chinese text is set in SimSun (East Asian font slot ``w:eastAsia``), Latin text in Times New Roman.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from quota_sim.meeting import labels
from quota_sim.meeting.charts import charts
from quota_sim.meeting.data import MeetingData
from quota_sim.meeting.words import Words
from quota_sim.meeting.workbook import land_rows, summary_table
from quota_sim.vocabulary import marginal_status_label, method_label, pick

EAST_ASIAN_FONT = "SimSun"
LATIN_FONT = "Times New Roman"
TOP_WAITING = 10

REPORT_TEXT: dict[str, tuple[str, str]] = {
    "title": ("{scenario}：指标配置方案汇报", "Quota allocation plan: {scenario}"),
    "status_line": (
        "求解状态：{status}；与最优界的相对间隙 {gap}；求解器 {solver}。",
        "Solve status: {status}; gap to the best bound {gap}; solver {solver}.",
    ),
    "narrative_header": ("汇报口径", "Key messages"),
    "headline_header": ("主要指标", "Headline figures"),
    "shortfall_header": ("用地缺口测算", "The land shortfall"),
    "plan_header": ("分年度供地计划", "Land supply plan by year"),
    "use_header": ("指标使用情况", "Quota use"),
    "waiting_header": ("待批项目及所需指标", "Waiting projects and what they need"),
    "marginal_header": ("指标边际价值", "What one more unit of each quota is worth"),
    "baselines_header": ("与常用排序方法对比", "Compared with rule-of-thumb rankings"),
    "charts_header": ("图表", "Charts"),
    "total": ("合计", "Total"),
    "year_demand": ("当年具备条件的项目用地（亩）", "Land of projects becoming ready (mu)"),
    "year_supply": ("当年供给（亩）", "Supply that year (mu)"),
    "year_gap": ("当年缺口（亩）", "Shortfall (mu)"),
    "waiting_note": (
        (
            "共 {count} 个项目未入选；下表按年产值列出前 {top} 个及其所需指标，"
            "完整清单见 allocation.xlsx 的“配置表”。所需指标按当前方案的剩余供给测算："
            "补足所列数量后，项目可在所列年份和园区开工，其他已批准项目不变。"
        ),
        (
            "{count} projects were not selected; the table lists the {top} with the largest yearly output "
            "and what each needs (all of them are in the Allocation sheet of allocation.xlsx). Needs are "
            "read from the supply the plan leaves: granting the amounts shown lets the project start in the "
            "year and park shown, the other approvals unchanged."
        ),
    ),
    "waiting_output": ("年产值（万元/年）", "Output (10k yuan/yr)"),
    "marginal_caveat": (
        (
            "单位边际价值 = 在首年增加所列增量后重新求解的目标增益 ÷ 增量。"
            "每次求解允许的相对间隙为 {accepted}（约 {slack} 万元；本方案实际为 {gap}），"
            "增益小于该量时与零无法区分，仅供参考。"
        ),
        (
            "Value per unit = the objective gained when the quota's supply grows by the increment in the "
            "first year and the plan is solved again, divided by the increment. Each solve may stop within "
            "a relative gap of {accepted} (about {slack} 10k yuan; this plan: {gap}); a gain below that "
            "cannot be told from zero."
        ),
    ),
    "no_marginal": ("本次运行未计算边际价值。", "Marginal values were not computed in this run."),
    "no_charts": (
        "未安装 matplotlib（plot 附加依赖），图表从略。",
        "matplotlib (the plot extra) is not installed: no charts.",
    ),
    "method": ("排序方法", "Ranking"),
    "approved": ("批准项目（个）", "Approved"),
    "uplift": ("优化方案提高", "Optimised plan higher by"),
    "narrative_plan": (
        "{first}–{last} 年规划期内，{queued} 个排队项目中按优化方案批准 {approved} 个，",
        "Over {first}–{last}, the optimised plan approves {approved} of the {queued} queued projects, ",
    ),
    "narrative_land": (
        "使用建设用地 {used} 亩（可用 {available} 亩），",
        "using {used} mu of land ({available} mu available), ",
    ),
    "narrative_value": (
        (
            "年产值 {output} 万元、年税收 {tax} 万元，总投资 {investment} 万元，"
            "购买指标费用 {cost} 万元。"
        ),
        (
            "with a yearly output of {output} and yearly tax of {tax}, an investment of {investment} "
            "and quota purchases of {cost} (all in 10k yuan)."
        ),
    ),
    "narrative_shortfall": (
        "排队项目用地需求 {demand} 亩/年，供给 {supply} 亩/年，缺口 {shortfall} 亩/年；",
        (
            " The queue needs {demand} mu of land a year against a supply of {supply} mu/yr, a shortfall of "
            "{shortfall} mu/yr;"
        ),
    ),
    "narrative_waiting": (
        "{count} 个项目因指标不足或效益较低暂未入选。",
        " {count} projects wait for quota or were outranked.",
    ),
    "narrative_baseline": (
        "与{method}相比，目标值提高 {pct}。",
        " The objective is {pct} higher than with {method}.",
    ),
    "narrative_marginal": (
        "每增加 1 {unit}{quota}，目标值约增加 {value} 万元{caveat}。",
        " One more {unit} of {quota} would add about {value} 10k yuan to the objective{caveat}.",
    ),
    "narrative_at_least": (
        "每增加 1 {unit}{quota}，目标值至少增加 {value} 万元（限时重新求解的下限{dual}）。",
        " One more {unit} of {quota} would add at least {value} 10k yuan to the objective (a time-limited "
        "re-solve's lower bound{dual}).",
    ),
    "narrative_kept_approvals": (
        "保留已批项目时，每增加 1 {unit}{quota}，目标值至少增加 {value} 万元（此范围内精确{dual}）。",
        " With the approved projects kept, one more {unit} of {quota} would add at least {value} 10k yuan"
        " to the objective (exact within that range{dual}).",
    ),
    "narrative_no_gain_kept": (
        "保留已批项目时，再增加{quota}不能提高目标值。",
        " With the approved projects kept, more {quota} would not raise the objective.",
    ),
    "dual_beside": ("；线性松弛对偶近似为 {dual} 万元", "; the LP-dual estimate is {dual}"),
    "narrative_no_gain": (
        "再增加{quota}不能提高目标值（已证明）。",
        " More {quota} would not raise the objective (proven).",
    ),
    "dual_only": (
        "（线性松弛对偶近似，重新求解未在分析时限内完成）",
        " (an LP-dual estimate: the re-solve did not finish within the analyses' time budget)",
    ),
    "within_gap": (
        "（增益在求解允许的间隙以内，仅供参考）",
        " (a gain within the solver's accepted gap: indicative only)",
    ),
}


def _say(key: str, lang: str, **fields: object) -> str:
    words = pick(REPORT_TEXT[key], lang)
    return words.format(**fields) if fields else words


def _percent(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction:.2%}"


def report_bytes(data: MeetingData, lang: str = "zh") -> bytes:
    """The meeting report of a solved result, in ``lang`` ("zh" or "en"), as DOCX bytes."""
    words = Words(data, lang)
    document = Document()
    _set_fonts(document)
    summary = data.summary
    document.add_heading(_clean(_say("title", lang, scenario=summary["scenario"])), level=0)
    document.add_paragraph(
        _clean(
            _say(
                "status_line",
                lang,
                status=words.status(summary["status"]),
                gap=_percent(summary.get("gap")),
                solver=summary.get("solver", ""),
            )
        )
    )
    description = labels.description(words.facts["description"], lang)
    if description:
        document.add_paragraph(_clean(description))

    document.add_heading(_say("narrative_header", lang), level=1)
    document.add_paragraph(_clean(narrative(words)))

    document.add_heading(_say("headline_header", lang), level=1)
    headline = []
    for row in summary_table(words).rows[3:]:  # after scenario, description and horizon
        if row[1][0] is None:  # the shortfall and baseline sections follow: they have their own headings
            break
        headline.append(row)
    _table(
        document,
        [words.column("item"), words.column("figure"), words.column("unit")],
        [[row[0][0], _figure(row[1][0], row[1][1]), row[2][0]] for row in headline],
    )

    arithmetic = words.land_arithmetic()
    if arithmetic:
        document.add_heading(_say("shortfall_header", lang), level=1)
        for label, _figure_value, note in arithmetic:
            document.add_paragraph(
                _clean(f"{label}：{note}" if lang != "en" else f"{label}: {note}"), style="List Bullet"
            )
        balance = words.facts["land_balance"]
        by_year = zip(balance["years"], balance["demand_by_year"], balance["supply_by_year"], strict=True)
        _table(
            document,
            [words.column("year"), *(_say(key, lang) for key in ("year_demand", "year_supply", "year_gap"))],
            [[str(y), _figure(d, "mu"), _figure(v, "mu"), _figure(d - v, "mu")] for y, d, v in by_year],
        )

    _land_plan(document, words)
    _quota_use(document, words)
    _waiting(document, words)
    _marginal(document, words)
    _baselines(document, words)

    document.add_heading(_say("charts_header", lang), level=1)
    drawn = charts(words)
    if not drawn:
        document.add_paragraph(_say("no_charts", lang))
    for caption, png in drawn:
        document.add_picture(io.BytesIO(png), width=Cm(16))
        document.add_paragraph(_clean(caption), style="Caption")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def narrative(words: Words) -> str:
    """汇报口径: a few sentences whose every number is read from the result."""
    lang, summary, facts = words.lang, words.data.summary, words.facts
    kpi = summary["kpi"]
    n = labels.number
    first = facts["start_year"]
    parts = [
        _say(
            "narrative_plan",
            lang,
            first=first,
            last=first + facts["years"] - 1,
            queued=int(kpi["queued"]),
            approved=int(kpi["approved"]),
        )
    ]
    land = facts["land_quota"]
    if land:
        parts.append(
            _say(
                "narrative_land",
                lang,
                used=n(words.used(land), "mu"),
                available=n(kpi[f"{land}_available"], "mu"),
            )
        )
    parts.append(
        _say(
            "narrative_value",
            lang,
            output=n(kpi["output"], "万元"),
            tax=n(kpi["tax"], "万元"),
            investment=n(kpi["investment"], "万元"),
            cost=n(kpi["purchase_cost"], "万元"),
        )
    )
    balance = facts["land_balance"]
    if balance and balance["shortfall"] > 0:
        parts.append(
            _say(
                "narrative_shortfall",
                lang,
                demand=n(balance["demand"], "mu"),
                supply=n(balance["supply"], "mu"),
                shortfall=n(balance["shortfall"], "mu"),
            )
        )
    parts.append(_say("narrative_waiting", lang, count=int(kpi["not_selected"])))
    for method, figures in (summary.get("baselines") or {}).items():
        if figures.get("uplift_pct") is not None:
            parts.append(
                _say(
                    "narrative_baseline",
                    lang,
                    method=words.method(method),
                    pct=f"{figures['uplift_pct']:.1f}%",
                )
            )
    parts.extend(_marginal_sentence(words, land))
    return "".join(parts)


def _marginal_sentence(words: Words, quota: str | None) -> list[str]:
    """What one more unit of ``quota`` is worth, as exact as the analyses made it: a proven gain (marked
    when it is within the solver's gap), a lower bound from a time-limited re-solve or from the re-solve
    that keeps the approvals (with the LP-dual estimate), or the LP-dual estimate alone when the re-solve
    found no time."""
    lang, n = words.lang, labels.number
    rows = {m["method"]: m for m in words.data.marginal if m["quota"] == quota}
    resolved, dual = rows.get("resolve"), rows.get("lp_dual")
    name = words.quota(quota) if quota else ""
    names = {"unit": words.unit(quota), "quota": name.lower() if lang == "en" else name} if quota else {}
    dual_value = dual["value_per_unit"] if dual else None
    if resolved and resolved["value_per_unit"] is not None:
        value, status = resolved["value_per_unit"], resolved.get("status")
        if status == "neighbourhood" and value <= 0:
            return [_say("narrative_no_gain_kept", lang, **names)]
        if status in ("time_limited", "neighbourhood"):
            estimate = _say("dual_beside", lang, dual=n(dual_value, labels.PER_UNIT)) if dual_value else ""
            key = "narrative_at_least" if status == "time_limited" else "narrative_kept_approvals"
            return [_say(key, lang, value=n(value, labels.PER_UNIT), dual=estimate, **names)]
        if value <= 0:
            return [_say("narrative_no_gain", lang, **names)]
        within = resolved["objective_gain"] < _gap_slack(words.data.summary)
        caveat = _say("within_gap", lang) if within else ""
        return [_say("narrative_marginal", lang, value=n(value, labels.PER_UNIT), caveat=caveat, **names)]
    if dual_value:
        value = n(dual_value, labels.PER_UNIT)
        return [_say("narrative_marginal", lang, value=value, caveat=_say("dual_only", lang), **names)]
    return []


def _gap_slack(summary: dict[str, Any]) -> float:
    """The objective (万元) times the relative gap each solve may stop within: gains below it are noise."""
    accepted = (summary.get("solver_settings") or {}).get("gap") or 0.0
    return (summary.get("objective") or 0.0) * accepted


def _land_plan(document, words: Words) -> None:
    """Per year: the approved projects' land area, with sites the mu of each land class it takes, the land
    quota drawn from each source, and the area so far."""
    land = words.facts["land_quota"]
    if land is None:
        return
    lang = words.lang
    document.add_heading(_say("plan_header", lang), level=1)
    sources = [s["id"] for s in words.data.quota(land)["sources"]]
    sites = (words.facts.get("sites") or {}).values()
    classes = list(dict.fromkeys(name for site in sites for name in site["classes"]))
    years = [words.facts["start_year"] + t for t in range(words.facts["years"])]
    drawn = {y: dict.fromkeys(sources, 0.0) for y in years}
    taken = {y: dict.fromkeys(classes, 0.0) for y in years}
    area = dict.fromkeys(years, 0.0)
    for row in land_rows(words):
        area[row["year"]] += row["land"]
        for s, mu in row["sources"].items():
            drawn[row["year"]][s] += mu
        for c, mu in row["classes"].items():
            taken[row["year"]][c] += mu
    header = [
        words.column("year"),
        words.column("land"),
        *(words.text("class_mu", land_class=words.land_class(c)) for c in classes),
        *(words.text("source_mu", source=words.source(land, s)) for s in sources),
        words.column("cumulative"),
    ]
    rows, cumulative = [], 0.0
    for y in years:
        cumulative += area[y]
        by_class = [_figure(taken[y][c], "mu") for c in classes]
        by_source = [_figure(drawn[y][s], "mu") for s in sources]
        rows.append([str(y), _figure(area[y], "mu"), *by_class, *by_source, _figure(cumulative, "mu")])
    _table(document, header, rows)


def _quota_use(document, words: Words) -> None:
    kpi = words.data.summary["kpi"]
    document.add_heading(_say("use_header", words.lang), level=1)
    rows = []
    for quota in words.facts["quotas"]:
        q = quota["id"]
        used, available = words.used(q), kpi[f"{q}_available"]
        rows.append(
            [
                words.quota(q),
                _figure(used, quota["unit"]),
                _figure(available, quota["unit"]),
                words.unit(q),
                f"{used / available:.1%}" if available > 0 else "—",
            ]
        )
    _table(
        document,
        [words.column("quota"), words.column("used"), words.column("available"), words.column("unit"), "%"],
        rows,
    )


def _waiting(document, words: Words) -> None:
    lang = words.lang
    waiting = words.facts["waiting"]
    document.add_heading(_say("waiting_header", lang), level=1)
    by_id = {row["id"]: row for row in words.data.allocation}
    ranked = sorted(waiting, key=lambda pid: -waiting[pid]["output"])[:TOP_WAITING]
    document.add_paragraph(_clean(_say("waiting_note", lang, count=len(waiting), top=len(ranked))))
    if ranked:
        _table(
            document,
            [
                words.column("id"),
                words.column("name"),
                _say("waiting_output", lang),
                words.column("explanation"),
            ],
            [
                [
                    pid,
                    by_id[pid]["name"],
                    _figure(waiting[pid]["output"], "万元"),
                    words.explanation(by_id[pid]),
                ]
                for pid in ranked
            ],
        )


def _marginal(document, words: Words) -> None:
    lang, summary = words.lang, words.data.summary
    document.add_heading(_say("marginal_header", lang), level=1)
    rows = [m for m in words.data.marginal if m["method"] == "resolve"]
    if not rows:
        document.add_paragraph(_say("no_marginal", lang))
        return
    dual = {m["quota"]: m["value_per_unit"] for m in words.data.marginal if m["method"] == "lp_dual"}
    _table(
        document,
        [
            words.column("quota"),
            words.column("delta"),
            words.column("unit"),
            words.column("objective_gain"),
            words.column("value_per_unit"),
            words.column("marginal_status"),
            words.column("dual_per_unit"),
        ],
        [
            [
                words.quota(m["quota"]),
                _figure(m["delta"], words.unit_code(m["quota"])),
                words.unit(m["quota"]),
                _figure(m["objective_gain"], "万元") or "—",
                _figure(m["value_per_unit"], labels.PER_UNIT) or "—",
                marginal_status_label(m.get("status") or "", lang),
                _figure(dual.get(m["quota"]), labels.PER_UNIT) or "—",
            ]
            for m in rows
        ],
    )
    accepted = (summary.get("solver_settings") or {}).get("gap")
    gap = summary.get("gap")
    slack = _gap_slack(summary)
    document.add_paragraph(
        _clean(
            _say(
                "marginal_caveat",
                lang,
                accepted=_percent(accepted),
                gap=_percent(gap),
                slack=labels.number(slack, "万元"),
            )
        )
    )


def _baselines(document, words: Words) -> None:
    lang, summary = words.lang, words.data.summary
    baselines = {m: b for m, b in (summary.get("baselines") or {}).items() if b.get("objective") is not None}
    if not baselines:
        return
    document.add_heading(_say("baselines_header", lang), level=1)
    rows = [
        [
            _optimised(lang),
            _figure(summary["objective"], "万元"),
            str(int(summary["kpi"]["approved"])),
            _figure(summary["kpi"]["output"], "万元"),
            "",
        ]
    ]
    for method, figures in baselines.items():
        pct = figures.get("uplift_pct")
        rows.append(
            [
                words.method(method),
                _figure(figures["objective"], "万元"),
                str(int(figures["approved"])),
                _figure(figures["output"], "万元"),
                "—" if pct is None else f"{pct:.1f}%",
            ]
        )
    _table(
        document,
        [
            _say("method", lang),
            words.text("objective"),
            _say("approved", lang),
            words.text("output"),
            _say("uplift", lang),
        ],
        rows,
    )


def _optimised(lang: str) -> str:
    return method_label("optimised", lang)


def _figure(value: Any, unit_code: str | None) -> str:
    """A figure as text, rounded to its unit, with thousands separators."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return labels.number(float(value), unit_code or "")


def _clean(value: str) -> str:
    """Text for the document without the control characters XML forbids (a document runs no formulas)."""
    return "".join(ch for ch in str(value) if ch in "\n\t" or ord(ch) >= 32)


def _table(document, header: list[str], rows: list[list[Any]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Light Grid Accent 1"
    for cell, title in zip(table.rows[0].cells, header, strict=True):
        cell.text = _clean(title)
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = _clean("" if value is None else value)


def _set_fonts(document) -> None:
    """SimSun for Chinese (the w:eastAsia slot), Times New Roman for Latin, on the styles the report uses."""
    for name in ("Normal", "Title", "Heading 1", "Caption", "List Bullet", "Light Grid Accent 1"):
        style = document.styles[name]
        style.font.name = LATIN_FONT
        properties = style.element.get_or_add_rPr()
        fonts = properties.find(qn("w:rFonts"))
        if fonts is None:
            fonts = properties.makeelement(qn("w:rFonts"), {})
            properties.append(fonts)
        fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    document.styles["Normal"].font.size = Pt(10.5)
