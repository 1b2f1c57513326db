"""Words of the meeting pack (workbook and report) in Chinese and English: sheet names, headers,
sentences and number formats. The words for the result's codes (statuses, units, methods, land classes,
sources) are in :mod:`quota_sim.vocabulary`, shared with the app; the scenario's own names (``name`` of
zones, quotas and sources) come first.
"""

from __future__ import annotations

import math
import re

from quota_sim.vocabulary import land_class_label, pick

SHEETS: dict[str, tuple[str, str]] = {
    "summary": ("概要", "Summary"),
    "allocation": ("配置表", "Allocation"),
    "land_plan": ("供地计划", "Land supply plan"),
    "attribution": ("指标来源", "Quota sources"),
    "quota_use": ("指标使用", "Quota use"),
    "marginal": ("边际价值", "Marginal values"),
}

# Decimals a figure is rounded to, by unit: land to 0.1 mu, energy to 1 tce, emissions to 0.01 t.
DECIMALS: dict[str, int] = {
    "mu": 1,
    "亩": 1,
    "tce": 0,
    "t": 2,
    "kg": 1,
    "万元": 0,
    "人": 0,
    "count": 0,
    "%": 2,
}
PER_UNIT = "per_unit"  # a price or marginal value (万元 per quota unit): four significant digits
_SIGNIFICANT = 4

COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("项目编号", "Project ID"),
    "name": ("项目名称", "Project name"),
    "status": ("状态", "Status"),
    "zone": ("园区", "Park"),
    "site": ("地块", "Site"),
    "start_year": ("开工年份", "Start year"),
    "value": ("目标贡献（万元）", "Objective value (10k yuan)"),
    "explanation": ("说明", "Explanation"),
    "grade": ("亩均等级", "Per-mu grade"),
    "need_year": ("补足后最早开工年份", "Could start (if granted)"),
    "need_zone": ("补足后开工园区", "In park (if granted)"),
    "need_budget": ("尚缺购买预算（万元）", "Budget missing (10k yuan)"),
    "year": ("年份", "Year"),
    "quota": ("指标", "Quota"),
    "source": ("来源", "Source"),
    "supply_zone": ("供给范围", "Supplied by"),
    "amount": ("数量", "Amount"),
    "unit": ("单位", "Unit"),
    "cost": ("费用（万元）", "Cost (10k yuan)"),
    "available": ("可用量", "Available"),
    "used": ("使用量", "Used"),
    "left": ("结余（可结转时含往年）", "Left (incl. earlier years where it carries over)"),
    "land": ("用地（亩）", "Land (mu)"),
    "cumulative": ("累计用地（亩）", "Cumulative land (mu)"),
    "delta": ("增量", "Added supply"),
    "objective_gain": ("目标增益（万元）", "Objective gain (10k yuan)"),
    "value_per_unit": ("单位边际价值（万元/单位）", "Value per unit (10k yuan per unit)"),
    "method": ("方法", "Method"),
    "marginal_status": ("精确程度", "How exact"),
    "gain_bound": ("增益上界（万元）", "Gain bound (10k yuan)"),
    "dual_per_unit": ("线性松弛对偶近似（万元/单位）", "LP dual estimate (10k yuan per unit)"),
    "item": ("项目", "Item"),
    "figure": ("数值", "Figure"),
    "note": ("说明", "Note"),
}

TEXT: dict[str, tuple[str, str]] = {
    "city": ("全市", "city-wide"),
    "charged": ("{quota}核定占用（{unit}）", "{quota} charged ({unit})"),
    "short": ("尚缺{quota}（{unit}）", "{quota} missing ({unit})"),
    "source_mu": ("{source}（亩）", "{source} (mu)"),
    "quota_short": ("{quota}不足：缺 {amount} {unit}", "{quota} short: {amount} {unit} missing"),
    "budget_short": ("购买预算不足：缺 {amount} 万元", "purchase budget short: {amount} 10k yuan missing"),
    "could_start": ("补足后最早 {year} 年可在{zone}开工", "if granted, it could start in {year} in {zone}"),
    "on_site": ("{zone}（地块 {site}）", "{zone}, site {site}"),
    "class_mu": ("占用{land_class}（亩）", "{land_class} taken (mu)"),
    "need_site": ("补足后开工地块", "On site (if granted)"),
    # why a project has no placement, or what blocks it (quota_sim.results reasons with sites)
    "quota_blocked": ("{quota}不足", "{quota} short"),
    "quota_on_class": ("{quota}不足（可选地块为{land_class}）", "{quota} short (its site is {land_class})"),
    "budget_blocked": ("购买预算不足", "purchase budget short"),
    "site_full": ("无面积足够的空闲地块", "no free site large enough"),
    "no_site_in_zones": ("所在园区无地块", "no site in its parks"),
    "sites_elsewhere": ("所列地块均不在其可准入的园区", "none of its sites lies in a park it may enter"),
    "site_too_small": ("无面积足够的地块（需 {land} 亩）", "no site large enough ({land} mu)"),
    "site_not_ready": ("{year} 年前无面积足够且已具备供地条件的地块", "no site large enough ready by {year}"),
    "latest_before_start": (
        "最晚开工年份 {year} 早于可开工年份",
        "its latest start {year} is before it can start",
    ),
    "not_admitted": ("行业“{industry}”不在准入清单内", "industry {industry} not on the admission list"),
    "fits": (
        "剩余指标可容纳（最早 {year} 年，{zone}），但目标贡献不及已批准项目，未入选",
        "fits in the supply left (from {year}, {zone}) but is worth less than the approved projects",
    ),
    "fits_unproven": (
        "剩余指标可容纳（最早 {year} 年，{zone}）；方案为限时可行解（间隙 {gap}），不能断定被更优项目挤出",
        "fits in the supply left (from {year}, {zone}); the plan is time-limited (gap {gap}): "
        "not shown to be displaced by better projects",
    ),
    "after_horizon": ("最早开工年份晚于规划期", "its earliest start is after the horizon"),
    "locked_out": ("按锁定设置排除", "excluded by its lock"),
    "screen_investment": (
        "投资强度 {value} 万元/亩，低于准入值 {threshold}",
        "investment {value} 10k yuan/mu, below the screen of {threshold}",
    ),
    "screen_tax": (
        "亩均税收 {value} 万元/亩·年，低于准入值 {threshold}",
        "tax {value} 10k yuan/mu/yr, below the screen of {threshold}",
    ),
    "screen_join": ("，且", ", and "),
    "no_solution": ("方案未求得", "no plan was found"),
    "sep": ("；", "; "),
    "list_sep": ("、", ", "),
    # summary sheet
    "scenario": ("情景", "Scenario"),
    "description": ("情景说明", "Description"),
    "horizon": ("规划期", "Horizon"),
    "horizon_value": ("{first}–{last} 年（{years} 年）", "{first}–{last} ({years} years)"),
    "solve_status": ("求解状态", "Solve status"),
    "gap": ("与最优界的相对间隙", "Gap to the best bound"),
    "objective": ("目标值（万元）", "Objective (10k yuan)"),
    "queued": ("排队项目（个）", "Queued projects"),
    "count_status": ("{status}（个）", "{status}"),
    "land_used": ("批准项目用地（亩）", "Land of the approved projects (mu)"),
    "investment": ("批准项目总投资（万元）", "Investment approved (10k yuan)"),
    "output": ("批准项目年产值（万元/年）", "Yearly output approved (10k yuan/yr)"),
    "tax": ("批准项目年税收（万元/年）", "Yearly tax approved (10k yuan/yr)"),
    "jobs": ("批准项目就业（人）", "Jobs approved"),
    "purchase_cost": ("指标购买费用（万元）", "Quota purchase cost (10k yuan)"),
    "quota_used": ("{quota}已用（{unit}）", "{quota} used ({unit})"),
    "quota_available": ("{quota}可用（{unit}）", "{quota} available ({unit})"),
    "use_rate": ("使用率 {rate}", "{rate} used"),
    "shortfall_header": ("用地缺口测算（亩/年，规划期平均）", "Land shortfall (mu/yr, horizon average)"),
    "demand": ("排队项目用地需求（亩/年）", "Queue land demand (mu/yr)"),
    "supply": ("用地供给合计（亩/年）", "Land supply, all sources (mu/yr)"),
    "shortfall": ("用地缺口（亩/年）", "Land shortfall (mu/yr)"),
    "demand_note": (
        "规划期内陆续具备开工条件的未排除项目用地合计 {total} 亩 ÷ {years} 年 = {demand} 亩/年",
        "land of the projects (not excluded) becoming ready within the horizon, {total} mu ÷ {years} years "
        "= {demand} mu/yr",
    ),
    "supply_note": ("{parts} = {supply} 亩/年", "{parts} = {supply} mu/yr"),
    "shortfall_note": ("{demand} − {supply} = {shortfall} 亩/年", "{demand} − {supply} = {shortfall} mu/yr"),
    "surplus_note": (
        "{demand} − {supply} = {shortfall} 亩/年（供给大于需求，无缺口）",
        "{demand} − {supply} = {shortfall} mu/yr (supply exceeds demand: no shortfall)",
    ),
    "year_shortfall": ("{year} 年用地缺口（亩）", "Land shortfall {year} (mu)"),
    "year_note": (
        "当年具备条件的项目用地 {demand} − 当年供给 {supply} = {shortfall}",
        "land of the projects becoming ready {demand} − supply {supply} = {shortfall}",
    ),
    "baselines_header": ("与常用排序方法对比", "Compared with rule-of-thumb rankings"),
    "baseline_objective": ("{method}：目标值（万元）", "{method}: objective (10k yuan)"),
    "uplift": ("优化方案提高 {pct}", "the optimised plan is {pct} higher"),
}

# Words of the screen-failure text produced by quota_sim.screens.failure_text.
_SCREEN = re.compile(r"^(?P<zone>[^:]+): (?P<tests>.*)$")
_ADMISSION = re.compile(r"^industry (?P<industry>.*) not admitted$")
_TEST = re.compile(r"^(?P<kind>investment|tax) (?P<value>[-\d.e+]+)<(?P<threshold>[-\d.e+]+) 万元/mu(/yr)?$")


def text(key: str, lang: str, **fields: object) -> str:
    """A sentence or label of the pack in ``lang``, with ``{fields}`` filled in."""
    words = pick(TEXT[key], lang)
    return words.format(**fields) if fields else words


_QUOTA_ON_CLASS = re.compile(r"^(?P<quota>\S+) \(its site is (?P<classes>.+) land\)$")
_PROBLEMS = (
    (re.compile(r"^no site in its zones$"), "no_site_in_zones"),
    (re.compile(r"^none of its sites in a zone it passes$"), "sites_elsewhere"),
    (re.compile(r"^no site large enough \((?P<land>[\d.e+]+) mu\)$"), "site_too_small"),
    (re.compile(r"^no site large enough ready by (?P<year>\d+)$"), "site_not_ready"),
    (re.compile(r"^latest_year (?P<year>\d+) before it can start$"), "latest_before_start"),
    (re.compile(r"^no free site large enough$"), "site_full"),
    (re.compile(r"^budget$"), "budget_blocked"),
)


def blocking_sentence(reason: str, quota_name, lang: str) -> str | None:
    """A waiting project's reason from :mod:`quota_sim.results` (quota ids, ``budget`` and site problems
    joined by ``|``) in words; ``quota_name`` maps a quota id to its name. None when a part is not one
    of those (the caller falls back to other wording)."""
    sentences = []
    for part in reason.split("|"):
        on_class = _QUOTA_ON_CLASS.match(part)
        if on_class:
            codes = on_class["classes"].split("/")
            classes = text("list_sep", lang).join(land_class_label(c, lang) for c in codes)
            quota = quota_name(on_class["quota"])
            sentences.append(text("quota_on_class", lang, quota=quota, land_class=classes))
            continue
        for pattern, key in _PROBLEMS:
            found = pattern.match(part)
            if found:
                sentences.append(text(key, lang, **found.groupdict()))
                break
        else:
            name = quota_name(part)
            if name is None:
                return None
            sentences.append(text("quota_blocked", lang, quota=name))
    return text("sep", lang).join(sentences)


def column(key: str, lang: str) -> str:
    return pick(COLUMNS[key], lang)


def sheet(key: str, lang: str) -> str:
    return pick(SHEETS[key], lang)


def decimals(unit_code: str, value: float = 0.0) -> int:
    """Decimals a figure in ``unit_code`` is rounded to (2 for units this module does not know; for
    PER_UNIT, enough for four significant digits of ``value``)."""
    if unit_code == PER_UNIT:
        magnitude = math.floor(math.log10(abs(value))) if value else 0
        return max(0, _SIGNIFICANT - 1 - magnitude)
    return DECIMALS.get(unit_code, 2)


def number(value: float, unit_code: str) -> str:
    """A figure as text with thousands separators, rounded to its unit (for sentences)."""
    places = decimals(unit_code, value)
    shown = f"{value:,.{places}f}"
    return "0" if shown.lstrip("-").strip("0.,") == "" else shown


def screen_sentence(failure: str, zone_name, lang: str) -> str:
    """A failed-screen text (``tianying: investment 120.0<200 万元/mu and tax ...``) as a sentence;
    ``zone_name`` maps a zone id to its display name."""
    sentences = []
    for part in failure.split("; "):
        match = _SCREEN.match(part)
        if not match:
            sentences.append(part)
            continue
        tests = []
        admission = _ADMISSION.match(match["tests"])
        if admission:
            industry = "" if admission["industry"] == "(blank)" else admission["industry"]
            tests = [text("not_admitted", lang, industry=industry)]
        for test in [] if admission else match["tests"].split(" and "):
            found = _TEST.match(test)
            if not found:
                tests.append(test)
                continue
            key = "screen_investment" if found["kind"] == "investment" else "screen_tax"
            tests.append(text(key, lang, value=found["value"], threshold=found["threshold"]))
        colon = ": " if lang == "en" else "："
        sentences.append(zone_name(match["zone"]) + colon + text("screen_join", lang).join(tests))
    return text("sep", lang).join(sentences)


def is_cjk(paragraph: str) -> bool:
    """Whether a paragraph is written in Chinese (a fifth or more of its letters are CJK)."""
    letters = [ch for ch in paragraph if ch.isalpha()]
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in letters)
    return bool(letters) and cjk >= 0.2 * len(letters)


def description(full: str, lang: str) -> str:
    """The scenario description in ``lang``: its Chinese paragraphs, or its other ones in English
    (all of it when it has only one kind)."""
    paragraphs = [p.strip() for p in full.strip().splitlines() if p.strip()]
    chosen = [p for p in paragraphs if is_cjk(p) == (lang != "en")]
    return "\n".join(chosen or paragraphs)
