"""Diagnosis (诊断): pre-solve checks a planner can act on, and why an infeasible scenario is infeasible.

- :func:`check_scenario` (``quota-sim check``) solves nothing: it lists locked-in demand that
  exceeds what the horizon supplies (per quota, per zone, per year), projects that pass no
  zone's screens or can never start, projects that no supply can ever serve, and magnitudes
  that are probably typing errors.
- :func:`diagnose` runs when the locks cannot all be met: it solves the elastic model, which
  places only the locked-in projects and lets every source receive extra supply, minimising
  the total extra (each quota scaled by its largest yearly amount). The extra per quota, zone
  and year is the smallest overrun that makes the locks feasible (SPEC §4 ``diagnosis.json``).

Units: each quota's own unit (mu, tce, t); money in 万元.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from quota_sim.model import build_model
from quota_sim.placements import PlacementSpace, first_year_index
from quota_sim.projects import Projects
from quota_sim.scenario import Quota, Scenario, SolverSettings
from quota_sim.screens import eligible_zones
from quota_sim.supply import CITY, project_room, zone_label, zone_supply

#: A project larger than this (mu) is probably a typing error (the whole queue's yearly shortfall is
#: ~2,000 mu).
MAX_PLAUSIBLE_LAND_MU = 5_000.0
#: Output above this multiple of investment is implausible (typical 1-8, DOMAIN §6).
MAX_OUTPUT_PER_INVESTMENT = 100.0
#: Investment above this per mu (万元/mu) is implausible (typical 150-500).
MAX_INVESTMENT_PER_MU = 20_000.0
#: Output above this per mu (万元/mu/yr) is implausible (typical 100-400).
MAX_OUTPUT_PER_MU = 20_000.0

_TOL = 1e-9


@dataclass(frozen=True)
class Finding:
    """One problem found before solving.

    ``severity`` is ``error`` (the scenario cannot be solved as it stands) or ``warning``
    (it can, but probably not as the planner meant). ``row`` is the spreadsheet row of the
    projects table (header = 1); ``column`` the column header or the scenario key.
    """

    severity: str
    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [part for part in (self.file, f"row {self.row}" if self.row else None) if part]
        if self.column:
            where.append(f"column '{self.column}'" if self.row else f"key '{self.column}'")
        return f"{self.severity}: " + (", ".join(where) + ": " if where else "") + self.message


def _fmt(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def _label(quota: Quota) -> str:
    return quota.name or quota.id


def _supply(scenario: Scenario, quota: Quota, zone: str | None, years: range) -> float:
    """Supply of ``quota`` open to ``zone`` (city sources, plus that zone's sources) over ``years``.

    ``zone`` None counts every source in every zone.
    """
    yearly = zone_supply(quota, zone, scenario.zone_ids(), scenario.years)
    return float(np.sum(yearly[years.start : years.stop]))


def check_scenario(scenario: Scenario, projects: Projects) -> list[Finding]:
    """Pre-solve problems of a scenario and its queue, errors first, then warnings.

    Parameters
    ----------
    scenario, projects
        A validated scenario and its projects queue.

    Returns
    -------
    list of Finding
        Empty when nothing looks wrong.
    """
    findings = (
        _scenario_findings(scenario, projects)
        + _project_findings(scenario, projects)
        + _lock_findings(scenario, projects)
        + _site_lock_findings(scenario, projects)
    )
    return sorted(findings, key=lambda f: f.severity != "error")


def _scenario_findings(scenario: Scenario, projects: Projects) -> list[Finding]:
    """Admission lists naming no industry of the queue; site classes no site has."""
    file = scenario.path.name if scenario.path else scenario.name
    known = {industry for industry in projects.industries if industry}
    findings = []
    for zone in scenario.zones:
        if zone.industries is not None and not known.intersection(zone.industries):
            findings.append(Finding(
                "warning",
                f"zone {zone.id} admits only industries no queued project has "
                f"({', '.join(zone.industries)}): "
                "no project can be placed there; check the names against the projects' industry column",
                file, None, f"zones.{zone.id}.industries",
            ))
    sites = scenario.sites
    for quota in scenario.quotas:
        missing = [c for c in quota.site_classes if sites is not None and c not in sites.classes]
        if missing:
            findings.append(Finding(
                "warning",
                f"quota {quota.id} charges land classes the sites table has no column for "
                f"({', '.join(c + '_mu' for c in missing)}): they count as 0 on every site",
                file, None, f"quotas.{quota.id}.site_classes",
            ))
    return findings


def _site_lock_findings(scenario: Scenario, projects: Projects) -> list[Finding]:
    """Locked-in projects that can only use one site and together need more land than it has."""
    space = PlacementSpace.of(scenario, projects)
    if space.sites is None:
        return []
    only: dict[int, list[int]] = {}
    for p in range(len(projects)):
        if projects.lock[p] == "in":
            sites = {k for _z, k, first in space.places(p) if first <= int(space.last_year[p])}
            if len(sites) == 1:
                only.setdefault(sites.pop(), []).append(p)
    findings = []
    file = space.sites.path.name
    for k, needing in only.items():
        need, area = float(np.sum(projects.land_mu[needing])), float(space.sites.area_mu[k])
        if need > area * (1 + _TOL):
            ids = ", ".join(projects.ids[p] for p in needing)
            findings.append(Finding(
                "error",
                f"locked-in projects that can only use site {space.sites.ids[k]} need {_fmt(need)} mu, "
                f"but it has {_fmt(area)} mu (short by {_fmt(need - area)}): {ids}",
                file, space.sites.rows[k], "area_mu",
            ))
    return findings


def _project_findings(scenario: Scenario, projects: Projects) -> list[Finding]:
    """Per project: no screen passed, no start year or site, no supply anywhere, implausible magnitudes."""
    space = PlacementSpace.of(scenario, projects)
    eligible, failures, first = space.eligible, space.failures, space.first_year
    rooms = _project_rooms(scenario)
    file = projects.path.name
    findings: list[Finding] = []
    for p, pid in enumerate(projects.ids):
        row = projects.rows[p] if projects.rows else None
        locked_in = projects.lock[p] == "in"
        severity = "error" if locked_in else "warning"
        subject = f"locked-in project {pid}" if locked_in else f"project {pid}"
        findings += _magnitude_findings(projects, p, file, row)
        if projects.lock[p] == "out":
            continue
        if not eligible[p]:
            findings.append(
                Finding(
                    severity,
                    f"{subject} passes no zone's entry screens or admission list ({failures[p]})",
                    file, row, "zone",
                )
            )
            continue
        if first[p] >= scenario.years:
            findings.append(
                Finding(
                    severity,
                    f"{subject} cannot start before {int(projects.earliest_year[p])}, "
                    f"after the horizon {scenario.start_year}-{scenario.start_year + scenario.years - 1}",
                    file, row, "earliest_year",
                )
            )
            continue
        problem = space.problem(p)
        if problem:
            column = "latest_year" if problem.startswith("latest_year") else "site"
            text = f"{subject} has no possible placement: {problem}"
            findings.append(Finding(severity, text, file, row, column))
            continue
        blocked = _blocking_quota(space, p, rooms)
        if blocked is not None:
            quota, charge, room = blocked
            zones = "|".join(eligible[p])
            if room <= _TOL:
                text = (
                    f"{subject} needs {_fmt(charge)} {quota.unit} of {_label(quota)}, but no {_label(quota)} "
                    f"supply reaches its zones ({zones}) in any year: it can never be approved"
                )
            else:
                text = (
                    f"{subject} needs {_fmt(charge)} {quota.unit} of {_label(quota)}, more than the "
                    f"{_fmt(room)} {quota.unit} its zones ({zones}) ever receive: it can never be approved"
                )
            findings.append(Finding(severity, text, file, row, quota.demand))
    return findings


def _blocking_quota(
    space: PlacementSpace, p: int, rooms: dict[str, np.ndarray]
) -> tuple[Quota, float, float] | None:
    """A quota that stops project ``p`` in every placement (zone or site, start year), with its
    smallest charge and the most room. ``rooms``: :func:`_project_rooms`."""
    last = int(space.last_year[p])
    zones, sites, first = space.place_arrays(p)
    usable = first <= last
    if not usable.any():
        return None
    zones, sites, first = zones[usable], sites[usable], first[usable]
    for quota in space.scenario.quotas:
        base = float(space.charges[quota.id][p])
        if base <= 0:
            continue
        charge = np.full(len(zones), base) if space.sites is None else base * space.shares[quota.id][sites]
        room = rooms[quota.id][zones, first, last]  # the most room of each place over its start years
        if np.all(charge > room + _TOL * np.maximum(1.0, charge)):
            return quota, float(charge.min()), float(room.max())
    return None


def _project_rooms(scenario: Scenario) -> dict[str, np.ndarray]:
    """Per quota, the most one project alone can draw in a zone when it may start in any year from
    ``first`` to ``last``: ``rooms[quota][zone index, first, last]`` (year indices)."""
    zone_ids, years = scenario.zone_ids(), scenario.years
    found = {}
    for quota in scenario.quotas:
        by_year = np.array([project_room(quota, z, zone_ids, years) for z in zone_ids], dtype=float)
        window = np.full((len(zone_ids), years, years), -np.inf)
        for first in range(years):
            window[:, first, first:] = np.maximum.accumulate(by_year[:, first:], axis=1)
        found[quota.id] = window
    return found


def _magnitude_findings(projects: Projects, p: int, file: str, row: int | None) -> list[Finding]:
    """Numbers that are probably typing errors (wrong unit, extra zeros)."""
    pid = projects.ids[p]
    land = float(projects.land_mu[p])
    investment = float(projects.investment[p])
    output = float(projects.output[p])
    findings = []
    if land > MAX_PLAUSIBLE_LAND_MU:
        findings.append(
            Finding(
                "warning",
                f"project {pid} asks for {_fmt(land)} mu; more than {_fmt(MAX_PLAUSIBLE_LAND_MU)} "
                "mu is implausible for one project (a unit mix-up with m² or 公顷?)",
                file,
                row,
                "land_mu",
            )
        )
    if investment / land > MAX_INVESTMENT_PER_MU:
        findings.append(
            Finding("warning", f"project {pid} invests {_fmt(investment / land)} 万元 per mu; above "
                    f"{_fmt(MAX_INVESTMENT_PER_MU)} is implausible (investment in yuan instead of 万元?)",
                    file, row, "investment")
        )
    if investment > 0 and output > MAX_OUTPUT_PER_INVESTMENT * investment:
        findings.append(
            Finding(
                "warning",
                f"project {pid} has a yearly output {_fmt(output / investment)} times its "
                f"investment; above {_fmt(MAX_OUTPUT_PER_INVESTMENT)} is implausible",
                file,
                row,
                "output",
            )
        )
    if output / land > MAX_OUTPUT_PER_MU:
        findings.append(
            Finding(
                "warning",
                f"project {pid} has a yearly output of {_fmt(output / land)} 万元 per mu; above "
                f"{_fmt(MAX_OUTPUT_PER_MU)} is implausible",
                file,
                row,
                "output",
            )
        )
    if float(projects.tax[p]) > output > 0:
        findings.append(
            Finding(
                "warning",
                f"project {pid} pays more tax ({_fmt(float(projects.tax[p]))} 万元/yr) than its "
                f"output ({_fmt(output)} 万元/yr)",
                file,
                row,
                "tax",
            )
        )
    return findings


def _lock_findings(scenario: Scenario, projects: Projects) -> list[Finding]:
    """Locked-in demand above supply: per quota over the horizon, per zone, and in the last year.

    Each test is a necessary condition: a locked-in project may start in any year and any
    zone it passes, so only demand that has no alternative is counted against a zone or year;
    with sites it is charged the least it charges on any of its sites (SPEC §5 shares).
    """
    space = PlacementSpace.of(scenario, projects) if scenario.sites is not None else None
    eligible, _ = eligible_zones(scenario, projects)
    first = first_year_index(scenario, projects)
    locks = [
        p
        for p in range(len(projects))
        if projects.lock[p] == "in" and eligible[p] and first[p] < scenario.years
    ]
    file = scenario.path.name if scenario.path else scenario.name
    horizon = range(scenario.years)
    findings: list[Finding] = []
    for quota in scenario.quotas:
        charge = {p: _least_charge(space, quota, projects, p) for p in locks}
        needing = [p for p in locks if charge[p] > 0]
        if not needing:
            continue
        key = f"quotas.{quota.id}.sources"
        need, have = float(np.sum([charge[p] for p in needing])), _supply(scenario, quota, None, horizon)
        if need > have + _TOL * max(1.0, need):
            findings.append(
                Finding(
                    "error",
                    _shortfall_text(quota, needing, projects, need, have, "over the horizon"),
                    file,
                    None,
                    key,
                )
            )
            continue
        for zone in scenario.zone_ids():
            only_here = [p for p in needing if eligible[p] == [zone]]
            need, have = (
                float(np.sum([charge[p] for p in only_here])),
                _supply(scenario, quota, zone, horizon),
            )
            if only_here and need > have + _TOL * max(1.0, need):
                findings.append(
                    Finding(
                        "error",
                        _shortfall_text(
                            quota, only_here, projects, need, have, f"in zone {zone} over the horizon"
                        ),
                        file,
                        None,
                        key,
                    )
                )
        if quota.carry_over:
            continue
        # Without carry-over, projects that may only start in the last year must fit that year's supply.
        last = scenario.years - 1
        only_then = [p for p in needing if first[p] == last]
        need, have = (
            float(np.sum([charge[p] for p in only_then])),
            _supply(scenario, quota, None, range(last, last + 1)),
        )
        if only_then and need > have + _TOL * max(1.0, need):
            findings.append(
                Finding(
                    "error",
                    _shortfall_text(
                        quota, only_then, projects, need, have, f"in {scenario.start_year + last}"
                    ),
                    file,
                    None,
                    key,
                )
            )
    return findings


def _least_charge(space: PlacementSpace | None, quota: Quota, projects: Projects, p: int) -> float:
    """What project ``p`` charges of ``quota`` wherever it goes: ratio * demand, times the smallest
    share of the quota's land classes among its sites when the scenario has sites."""
    charge = quota.ratio * float(projects.demand[quota.demand][p])
    if space is None or charge == 0:
        return charge
    on_sites = [space.charge(quota.id, p, k) for _, k, _ in space.places(p)]
    return min(on_sites) if on_sites else charge


def _shortfall_text(
    quota: Quota, needing: list[int], projects: Projects, need: float, have: float, where: str
) -> str:
    ids = ", ".join(projects.ids[p] for p in needing[:8]) + (", ..." if len(needing) > 8 else "")
    return (
        f"locked-in projects need {_fmt(need)} {quota.unit} of {_label(quota)} {where}, "
        f"but only {_fmt(have)} "
        f"{quota.unit} is supplied (short by {_fmt(need - have)}): {ids}"
    )


def diagnose(
    scenario: Scenario, projects: Projects, settings: SolverSettings | None = None
) -> dict[str, Any]:
    """Why the locks cannot all be met: the smallest overruns, and a message in Chinese and English.

    Returns
    -------
    dict
        The content of ``diagnosis.json``: ``scenario``; ``overruns``, one entry per quota, zone
        (blank for city-wide supply) and year with ``quota``, ``unit``, ``zone``, ``year``,
        ``overrun`` (quota units) and ``sources`` (overrun per source); ``budget_overrun``
        (万元); ``site_overruns`` (with sites: per site the mu of area missing, ``site``, ``zone``,
        ``area_mu``, ``overrun``); ``unplaceable_locks`` (locked-in projects no extra supply can place,
        with the
        reason); ``findings`` (the pre-solve errors of :func:`check_scenario`); ``message_zh``
        and ``message_en``; ``status`` of the elastic solve.
    """
    from quota_sim.solve import solve_model

    settings = settings or scenario.solver
    model = build_model(scenario, projects, elastic=True)
    solution = solve_model(model, settings)
    quotas = {q.id: q for q in scenario.quotas}
    grouped: dict[tuple[str, str, int], dict[str, float]] = {}
    for (quota_id, source_id, key, t), amount in solution.extra.items():
        if amount > _TOL * max(1.0, _largest_amount(quotas[quota_id])):
            grouped.setdefault((quota_id, key, t), {})[source_id or "none"] = amount
    order = {q.id: i for i, q in enumerate(scenario.quotas)}
    overruns = [
        {
            "quota": quota_id,
            "unit": quotas[quota_id].unit,
            "zone": zone_label(key),
            "year": scenario.start_year + t,
            "overrun": round(float(np.sum(list(sources.values()))), 6),
            "sources": {s: round(a, 6) for s, a in sources.items()},
        }
        for (quota_id, key, t), sources in sorted(
            grouped.items(), key=lambda item: (order[item[0][0]], item[0][2], zone_label(item[0][1]))
        )
    ]
    space = model.space
    unplaceable = [
        {
            "id": projects.ids[p],
            "row": projects.rows[p] if projects.rows else None,
            "reason": space.failures[p] if not space.eligible[p] else space.problem(p),
        }
        for p in model.unplaceable_locks
    ]
    site_overruns = [
        {
            "site": site,
            "zone": space.sites.zones[space.sites.index[site]],
            "area_mu": float(space.sites.area_mu[space.sites.index[site]]),
            "overrun": round(amount, 6),
        }
        for site, amount in solution.extra_site.items()
        if amount > _TOL * max(1.0, float(space.sites.area_mu[space.sites.index[site]]))
    ]
    budget = round(solution.extra_budget, 6) if solution.extra_budget > _TOL else 0.0
    report = {
        "scenario": scenario.name,
        "status": solution.status,
        "overruns": overruns,
        "budget_overrun": budget,
        "site_overruns": site_overruns,
        "unplaceable_locks": unplaceable,
        "findings": [str(f) for f in check_scenario(scenario, projects) if f.severity == "error"],
    }
    report["message_zh"], report["message_en"] = diagnosis_messages(scenario, projects, report)
    return report


def _largest_amount(quota: Quota) -> float:
    return max([1.0, *(a for s in quota.sources for values in s.amounts.values() for a in values)])


def diagnosis_messages(scenario: Scenario, projects: Projects, report: dict[str, Any]) -> tuple[str, str]:
    """One readable paragraph in Chinese and one in English summing up a diagnosis report."""
    quotas = {q.id: q for q in scenario.quotas}
    zone_names = {z.id: z.name or z.id for z in scenario.zones}
    zh_parts, en_parts = [], []
    for entry in report["overruns"]:
        quota = quotas[entry["quota"]]
        city = entry["zone"] == zone_label(CITY)
        where_zh = "全市" if city else zone_names[entry["zone"]]
        where_en = "city-wide" if city else f"zone {entry['zone']}"
        zh_parts.append(
            f"{_label(quota)} {_fmt(entry['overrun'])} {quota.unit}（{where_zh}，{entry['year']}年）"
        )
        en_parts.append(
            f"{_label(quota)} {_fmt(entry['overrun'])} {quota.unit} ({where_en}, {entry['year']})"
        )
    for entry in report.get("site_overruns", []):
        zone_name = zone_names[entry["zone"]]
        zh_parts.append(f"地块 {entry['site']} 面积 {_fmt(entry['overrun'])} 亩（{zone_name}）")
        en_parts.append(f"site {entry['site']} area {_fmt(entry['overrun'])} mu (zone {entry['zone']})")
    if report["budget_overrun"] > 0:
        zh_parts.append(f"指标购买预算 {_fmt(report['budget_overrun'])} 万元")
        en_parts.append(f"purchase budget {_fmt(report['budget_overrun'])} 万元")
    short = {e["quota"] for e in report["overruns"]}
    locked = [
        projects.ids[p] for p in range(len(projects))
        if projects.lock[p] == "in" and any(float(projects.demand[quotas[q].demand][p]) > 0 for q in short)
    ]
    zh, en = (
        ["锁定立项（lock = in）的项目无法全部安排。"],
        ["The locked-in projects (lock = in) cannot all be approved."],
    )
    if zh_parts:
        zh.append("使其可行所需的最小超额指标为：" + "；".join(zh_parts) + "。")
        en.append(" The smallest overruns that would make them feasible: " + "; ".join(en_parts) + ".")
    if report["unplaceable_locks"]:
        ids = ", ".join(u["id"] for u in report["unplaceable_locks"])
        zh.append(
            "以下锁定项目在任何园区和年份都无法安排（未通过准入门槛或准入清单、开工年份窗口不在规划期内，"
            f"或没有合适的地块）：{ids}。"
        )
        en.append(
            " These locked-in projects have no possible zone or year at all (screens, admission lists, "
            f"start-year window or no suitable site): {ids}."
        )
    if locked:
        ids = ", ".join(locked[:10]) + ("…" if len(locked) > 10 else "")
        zh.append(f"可追加上述指标，或取消部分相关项目的锁定：{ids}。")
        en.append(f" Raise these quotas, or release some of the locked-in projects that need them: {ids}.")
    return "".join(zh), "".join(en)
