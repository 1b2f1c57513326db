"""An independent validator: re-checks a solution against the rules of SPEC §2, §4 and §5.

It reads the solution as the output tables show it (``allocation.csv``, ``quota_use.csv``,
``sites.csv``, ``summary.json``) and recomputes screens, admission lists, start-year windows, sites
(candidates, size, readiness, capacity), charges by land-class share, supply balances, costs and
values from the scenario, its sites table and the projects queue alone. It shares no code with
the model, so a modelling mistake
shows up here as a violation instead of being repeated.

Units: land in mu, money in 万元, energy in tce, emissions in t (a quota's unit is only a label).
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from quota_sim.cells import neutralise
from quota_sim.projects import Projects
from quota_sim.scenario import Quota, Scenario

STATUSES = ("approved", "not_selected", "ineligible", "locked_out")
Placement = tuple[str, int, str | None]  # (zone id, horizon year index, site id or None)
SCREEN_REL_TOL = 1e-9  # a ratio that equals its threshold up to rounding (6000 / 30 vs 200) passes
SOLUTION_STATUSES = ("optimal", "feasible")
SUMMARY_STATUSES = ("optimal", "feasible", "infeasible", "no_solution")


def passes_screens(scenario: Scenario, projects: Projects, index: int, zone_id: str) -> bool:
    """Whether project ``index`` passes the entry screens of zone ``zone_id`` (SPEC §2).

    With both thresholds set, investment intensity (万元/mu) **or** tax per mu (万元/mu/yr) must
    reach its threshold; with one set, that one must; with none, the project passes.
    """
    zone = next(z for z in scenario.zones if z.id == zone_id)
    land = float(projects.land_mu[index])

    def reaches(ratio: float, threshold: float | None) -> bool | None:
        return None if threshold is None else ratio >= threshold * (1.0 - SCREEN_REL_TOL)

    intensity_ok = reaches(float(projects.investment[index]) / land, zone.min_investment_intensity)
    tax_ok = reaches(float(projects.tax[index]) / land, zone.min_tax_per_mu)
    if intensity_ok is None and tax_ok is None:
        return True
    if intensity_ok is None:
        return bool(tax_ok)
    if tax_ok is None:
        return intensity_ok
    return intensity_ok or bool(tax_ok)


def admitted(scenario: Scenario, projects: Projects, index: int, zone_id: str) -> bool:
    """Whether zone ``zone_id``'s admission list (SPEC §5) lets project ``index``'s industry in."""
    zone = next(z for z in scenario.zones if z.id == zone_id)
    return zone.industries is None or projects.industries[index] in zone.industries


def passing_zones(scenario: Scenario, projects: Projects, index: int) -> list[str]:
    """Candidate zones of project ``index`` whose screens and admission list it passes, in its order."""
    declared = set(scenario.zone_ids())
    return [
        z
        for z in projects.zones[index]
        if z in declared
        and passes_screens(scenario, projects, index, z)
        and admitted(scenario, projects, index, z)
    ]


def site_share(scenario: Scenario, quota: Quota, site_id: str) -> float:
    """share_q(k) of SPEC §5: the listed classes' area on the site over its area (1 when none listed)."""
    if not quota.site_classes:
        return 1.0
    sites = scenario.sites
    k = sites.ids.index(site_id)
    listed = math.fsum(float(sites.classes[c][k]) for c in quota.site_classes if c in sites.classes)
    return listed / float(sites.area_mu[k])


def project_value(
    scenario: Scenario,
    projects: Projects,
    index: int,
    zone_id: str,
    year_index: int,
    site_id: str | None = None,
) -> float:
    """Objective term of project ``index`` approved in ``zone_id`` (on ``site_id``) from horizon year
    ``year_index`` (0-based).

    SPEC §2 and §5: ``delta^t * V_p * (1 - relocation_penalty)`` off the preferred place (the first
    candidate site; the first zone when the project names no site), in 万元 when the weights are 1
    per 万元.
    """
    objective = scenario.objective
    delta = 1.0 / (1.0 + objective.discount_rate)
    ramp = int(projects.ramp_years[index])
    annuity = 0.0
    for k in range(objective.appraisal_years):
        annuity += delta**k * min(1.0, (k + 1) / (ramp + 1))
    weights = objective.weights
    yearly = (
        weights.get("output", 0.0) * float(projects.output[index])
        + weights.get("tax", 0.0) * float(projects.tax[index])
        + weights.get("jobs", 0.0) * float(projects.jobs[index])
    )
    bonus = 1.0 + objective.strategic_bonus * (1.0 if bool(projects.strategic[index]) else 0.0)
    base = bonus * (weights.get("investment", 0.0) * float(projects.investment[index]) + annuity * yearly)
    named = projects.sites[index] if site_id is not None else ()
    preferred = site_id == named[0] if named else zone_id == projects.zones[index][0]
    relocation = 1.0 if preferred else 1.0 - objective.relocation_penalty
    return delta**year_index * base * relocation


def verify_outputs(scenario: Scenario, projects: Projects, out_dir: str | Path) -> list[str]:
    """Read ``allocation.csv``, ``quota_use.csv`` and ``summary.json`` from ``out_dir`` and check them.

    Returns the violations found, empty when the solution obeys every rule. A missing file is a
    violation unless the summary says there is no solution to check.
    """
    out = Path(out_dir)
    summary_path = out / "summary.json"
    if not summary_path.exists():
        return [f"{summary_path}: missing"]
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    tables: dict[str, list[dict[str, str]]] = {}
    problems: list[str] = []
    names = ["allocation.csv", "quota_use.csv"] + (["sites.csv"] if scenario.sites is not None else [])
    for name in names:
        path = out / name
        if path.exists():
            with path.open(encoding="utf-8-sig", newline="") as handle:
                tables[name] = list(csv.DictReader(handle))
        elif summary.get("status") in SOLUTION_STATUSES:
            problems.append(f"{path}: missing")
    if problems:
        return problems
    return verify_tables(
        scenario,
        projects,
        tables.get("allocation.csv", []),
        tables.get("quota_use.csv", []),
        summary,
        site_rows=tables.get("sites.csv"),
    )


def verify_tables(
    scenario: Scenario,
    projects: Projects,
    allocation: list[dict],
    quota_use: list[dict],
    summary: dict | None = None,
    tol: float = 1e-6,
    site_rows: list[dict] | None = None,
) -> list[str]:
    """Check a solution given as output-table rows (values may be the strings of a CSV).

    Parameters
    ----------
    allocation, quota_use
        Rows of ``allocation.csv`` and ``quota_use.csv`` as dictionaries keyed by column name.
    summary
        The content of ``summary.json``; when given, the objective, KPIs and status are checked too.
    tol
        Relative tolerance: ``a`` matches ``b`` when ``|a - b| <= tol * max(1, |a|, |b|)``.
    site_rows
        Rows of ``sites.csv`` (scenarios with sites); checked against the allocation when given.

    Returns
    -------
    list[str]
        Human-readable violations, empty when all is well.
    """
    checker = _Checker(scenario, projects, tol)
    if summary is not None:
        checker.check_summary_header(summary)
        if summary.get("status") not in SOLUTION_STATUSES:
            return checker.problems
    approved = checker.check_allocation(allocation)
    if scenario.sites is not None:
        checker.check_site_capacity(approved)
        if site_rows is not None:
            checker.check_site_rows(site_rows, approved)
    total_cost = checker.check_quota_use(quota_use, approved)
    if summary is not None:
        checker.check_summary_totals(summary, approved, total_cost)
    return checker.problems


class _Checker:
    """Accumulates violations while the tables are checked one rule at a time."""

    def __init__(self, scenario: Scenario, projects: Projects, tol: float) -> None:
        self.scenario = scenario
        self.projects = projects
        self.tol = tol
        self.problems: list[str] = []

    # --- comparison helpers -------------------------------------------------------------
    def close(self, a: float, b: float) -> bool:
        return abs(a - b) <= self.tol * max(1.0, abs(a), abs(b))

    def at_most(self, a: float, b: float) -> bool:
        return a <= b + self.tol * max(1.0, abs(a), abs(b))

    def number(self, where: str, value: Any) -> float | None:
        """Parse a cell; blank gives None, anything else not a finite number is a violation."""
        if value is None or (isinstance(value, str) and value.strip() == ""):
            return None
        try:
            parsed = float(value)
        except (TypeError, ValueError):
            self.problems.append(f"{where}: not a number: {value!r}")
            return None
        if not math.isfinite(parsed):
            self.problems.append(f"{where}: not a finite number: {value!r}")
            return None
        return parsed

    @staticmethod
    def text(value: Any) -> str:
        return "" if value is None else str(value).strip()

    # --- allocation.csv -----------------------------------------------------------------
    def check_allocation(self, rows: list[Mapping[str, Any]]) -> dict[int, Placement]:
        """Check every allocation row; return the approved projects as index -> (zone, year index)."""
        projects = self.projects
        if len(rows) != len(projects):
            self.problems.append(f"allocation: {len(rows)} rows for {len(projects)} projects")
        approved: dict[int, Placement] = {}
        for index, row in enumerate(rows[: len(projects)]):
            pid = projects.ids[index]
            where = f"allocation row {index + 1} ({pid})"
            if self.text(row.get("id")) not in (pid, neutralise(pid).strip()):  # as the export writes it
                self.problems.append(f"{where}: id {row.get('id')!r}, expected {pid!r} (input order)")
                continue
            placement = self.check_allocation_row(index, row, where)
            if placement is not None:
                approved[index] = placement
        return approved

    def check_allocation_row(self, index: int, row: Mapping[str, Any], where: str) -> Placement | None:
        projects = self.projects
        status = self.text(row.get("status"))
        if status not in STATUSES:
            self.problems.append(f"{where}: status {status!r} is not one of {', '.join(STATUSES)}")
            return None
        zones = passing_zones(self.scenario, projects, index)
        lock = projects.lock[index]
        if lock == "out":
            if status != "locked_out" and not (status == "ineligible" and not zones):
                self.problems.append(f"{where}: locked out but status {status!r}")
        elif not zones and status != "ineligible":
            self.problems.append(f"{where}: passes no zone's screens or admission list but status {status!r}")
        elif zones and status == "ineligible":
            self.problems.append(
                f"{where}: ineligible but passes the screens and admission list of {', '.join(zones)}"
            )
        if lock == "in" and status != "approved":
            self.problems.append(f"{where}: locked in but status {status!r}")
        if status == "ineligible" and not self.text(row.get("reason")):
            self.problems.append(f"{where}: ineligible without a reason")

        placement = self.check_placement(index, row, where, status, zones)
        year_index = placement[1] if placement else None
        site = placement[2] if placement else None
        value = self.number(f"{where} value", row.get("value"))
        expected_value = project_value(self.scenario, projects, index, *placement) if placement else 0.0
        if value is None or not self.close(value, expected_value):
            self.problems.append(f"{where}: value {value}, expected {expected_value:.10g}")
        for quota in self.scenario.quotas:
            column = f"{quota.id}_charged"
            if column not in row:
                self.problems.append(f"{where}: column {column!r} missing")
                continue
            charged = self.number(f"{where} {column}", row.get(column))
            expected = (
                quota.ratio * float(projects.demand[quota.demand][index]) if year_index is not None else 0.0
            )
            if site is not None:
                expected *= site_share(self.scenario, quota, site)
            if charged is None or not self.close(charged, expected):
                self.problems.append(f"{where}: {column} {charged}, expected {expected:.10g}")
        return placement

    def check_placement(
        self, index: int, row: Mapping[str, Any], where: str, status: str, zones: list[str]
    ) -> Placement | None:
        """Check zone, site and start year; return (zone, year index, site) for a valid approval."""
        zone = self.text(row.get("zone"))
        site = self.text(row.get("site")) if self.scenario.sites is not None else ""
        if self.scenario.sites is None and "site" in row:
            self.problems.append(f"{where}: a site column in a scenario without sites")
        start = self.number(f"{where} start_year", row.get("start_year"))
        if status != "approved":
            if zone or site or start is not None:
                self.problems.append(
                    f"{where}: {status} but zone {zone!r} / site {site!r} / start_year {start}"
                )
            return None
        if self.text(row.get("reason")):
            self.problems.append(f"{where}: approved with reason {row.get('reason')!r}")
        if zone not in zones:
            self.problems.append(f"{where}: approved in zone {zone!r}, not among passing candidates {zones}")
            return None
        if start is None or start != int(start) or int(start) not in self.scenario.horizon:
            self.problems.append(f"{where}: start_year {start} outside the horizon {self.scenario.horizon}")
            return None
        earliest = int(self.projects.earliest_year[index])
        if earliest and start < earliest:
            self.problems.append(f"{where}: starts {int(start)} before its earliest year {earliest}")
            return None
        latest = int(self.projects.latest_year[index])
        if latest and start > latest:
            self.problems.append(f"{where}: starts {int(start)} after its latest year {latest}")
            return None
        if self.scenario.sites is not None and not self.site_allows(index, zone, site, int(start), where):
            return None
        return zone, int(start) - self.scenario.start_year, site or None

    def site_allows(self, index: int, zone: str, site: str, start: int, where: str) -> bool:
        """SPEC §5: the site is known, in the zone, a candidate, large enough and ready by ``start``."""
        sites = self.scenario.sites
        if site not in sites.ids:
            self.problems.append(f"{where}: approved on site {site!r}, not in the sites table")
            return False
        k = sites.ids.index(site)
        named = self.projects.sites[index]
        problem = None
        if sites.zones[k] != zone:
            problem = f"site {site} lies in zone {sites.zones[k]}, not {zone}"
        elif named and site not in named:
            problem = f"site {site} is not one of its candidate sites {'|'.join(named)}"
        elif float(sites.area_mu[k]) < float(self.projects.land_mu[index]) * (1 - 1e-9):
            problem = f"site {site} ({float(sites.area_mu[k]):g} mu) is smaller than the project"
        elif int(sites.ready_year[k]) and start < int(sites.ready_year[k]):
            problem = f"starts {start} on site {site}, before it is ready in {int(sites.ready_year[k])}"
        if problem:
            self.problems.append(f"{where}: {problem}")
            return False
        return True

    # --- sites --------------------------------------------------------------------------
    def check_site_capacity(self, approved: dict[int, Placement]) -> None:
        """SPEC §5: the land of the projects placed on a site over the horizon stays within its area."""
        sites = self.scenario.sites
        land: dict[str, float] = defaultdict(float)
        for index, (_zone, _t, site) in approved.items():
            land[site] += float(self.projects.land_mu[index])
        for site, used in land.items():
            area = float(sites.area_mu[sites.ids.index(site)])
            if not self.at_most(used, area):
                self.problems.append(f"site {site}: projects use {used:.10g} mu of its {area:.10g} mu")

    def check_site_rows(self, rows: list[Mapping[str, Any]], approved: dict[int, Placement]) -> None:
        """``sites.csv``: one row per site in table order, its use and projects as the allocation says."""
        sites = self.scenario.sites
        if [self.text(r.get("id")) for r in rows] != sites.ids:
            self.problems.append(f"sites.csv: ids {[r.get('id') for r in rows]}, expected {sites.ids}")
            return
        on_site: dict[str, list[int]] = defaultdict(list)
        for index, (_zone, _t, site) in approved.items():
            on_site[site].append(index)
        for k, row in enumerate(rows):
            where = f"sites.csv row {k + 1} ({sites.ids[k]})"
            placed = sorted(on_site[sites.ids[k]])
            used = math.fsum(float(self.projects.land_mu[i]) for i in placed)
            area = float(sites.area_mu[k])
            expected = {"area_mu": area, "used_mu": used, "free_mu": area - used}
            for name, share in sites.classes.items():
                expected[f"{name}_used_mu"] = used * float(share[k]) / area
            for column, value in expected.items():
                reported = self.number(f"{where} {column}", row.get(column))
                if reported is None or not self.close(reported, value):
                    self.problems.append(f"{where}: {column} {reported}, expected {value:.10g}")
            listed = sorted(filter(None, self.text(row.get("projects")).split("|")))
            if listed != sorted(self.projects.ids[i] for i in placed):
                self.problems.append(f"{where}: projects {listed}, but the allocation places {placed}")

    # --- quota_use.csv ------------------------------------------------------------------
    def check_quota_use(self, rows: list[Mapping[str, Any]], approved: dict[int, Placement]) -> float:
        """Check supply rows and balances against the approved projects' charges; return the total cost."""
        scenario = self.scenario
        horizon = scenario.horizon
        quotas = {q.id: q for q in scenario.quotas}
        used: dict[tuple[str, str, str, int], float] = {}
        total_cost = 0.0
        for number, row in enumerate(rows, start=1):
            where = f"quota_use row {number}"
            qid, sid, zone = (
                self.text(row.get("quota")),
                self.text(row.get("source")),
                self.text(row.get("zone")),
            )
            year = self.number(f"{where} year", row.get("year"))
            quota = quotas.get(qid)
            source = next((s for s in quota.sources if s.id == sid), None) if quota else None
            if source is None:
                self.problems.append(f"{where}: unknown quota/source {qid!r}/{sid!r}")
                continue
            if (source.scope == "city" and zone) or (
                source.scope == "zone" and zone not in scenario.zone_ids()
            ):
                self.problems.append(f"{where}: zone {zone!r} invalid for a {source.scope} source")
                continue
            if year is None or year != int(year) or int(year) not in horizon:
                self.problems.append(f"{where}: year {year} outside the horizon {horizon}")
                continue
            t = int(year) - scenario.start_year
            key = (qid, sid, zone, t)
            if key in used:
                self.problems.append(f"{where}: duplicate row for {qid}/{sid}/{zone or 'city'}/{int(year)}")
                continue
            amount = source.amount(zone or None, t)
            available = self.number(f"{where} available", row.get("available"))
            use = self.number(f"{where} used", row.get("used"))
            cost = self.number(f"{where} cost", row.get("cost"))
            if available is None or not self.close(available, amount):
                self.problems.append(f"{where}: available {available}, scenario amount {amount:.10g}")
            if use is None:
                self.problems.append(f"{where}: used missing")
                use = 0.0
            if not self.at_most(0.0, use):
                self.problems.append(f"{where}: used {use} is negative")
            if cost is None or not self.close(cost, source.price * use):
                self.problems.append(
                    f"{where}: cost {cost}, expected price * used = {source.price * use:.10g}"
                )
            used[key] = use
            total_cost += source.price * use
        for quota in scenario.quotas:
            self.check_quota(quota, used, approved)
        if not self.at_most(total_cost, scenario.objective.purchase_budget):
            budget = scenario.objective.purchase_budget
            self.problems.append(f"purchase cost {total_cost:.10g} exceeds the budget {budget:.10g}")
        return total_cost

    def check_quota(
        self,
        quota: Quota,
        used: dict[tuple[str, str, str, int], float],
        approved: dict[int, Placement],
    ) -> None:
        """Row completeness, supply limits and charge balances of one quota."""
        scenario = self.scenario
        years = range(scenario.years)
        charged: dict[tuple[str, int], float] = defaultdict(float)
        for index, (zone, t, site) in approved.items():
            share = site_share(scenario, quota, site) if site is not None else 1.0
            charged[zone, t] += quota.ratio * float(self.projects.demand[quota.demand][index]) * share
        city_use = defaultdict(float)
        zone_use: dict[tuple[str, int], float] = defaultdict(float)
        for source in quota.sources:
            keys = [""] if source.scope == "city" else scenario.zone_ids()
            for zone in keys:
                label = f"quota {quota.id} source {source.id}" + (f" zone {zone}" if zone else "")
                cumulative_use = cumulative_supply = 0.0
                for t in years:
                    if (quota.id, source.id, zone, t) not in used:
                        self.problems.append(f"{label}: no quota_use row for {scenario.start_year + t}")
                        continue
                    use = used[quota.id, source.id, zone, t]
                    amount = source.amount(zone or None, t)
                    cumulative_use += use
                    cumulative_supply += amount
                    if quota.carry_over and not self.at_most(cumulative_use, cumulative_supply):
                        self.problems.append(
                            f"{label}: used {cumulative_use:.10g} up to {scenario.start_year + t}, "
                            f"more than the {cumulative_supply:.10g} supplied (carry-over)"
                        )
                    if not quota.carry_over and not self.at_most(use, amount):
                        self.problems.append(
                            f"{label}: used {use:.10g} in {scenario.start_year + t}, more than {amount:.10g}"
                        )
                    if zone:
                        zone_use[zone, t] += use
                    else:
                        city_use[t] += use
        for t in years:
            year = scenario.start_year + t
            total_charged = math.fsum(charged[z, t] for z in scenario.zone_ids())
            total_used = city_use[t] + math.fsum(zone_use[z, t] for z in scenario.zone_ids())
            if not self.close(total_charged, total_used):
                self.problems.append(
                    f"quota {quota.id} {year}: approved projects charge {total_charged:.10g} "
                    f"but sources supply {total_used:.10g}"
                )
            for zone in scenario.zone_ids():
                if not self.at_most(charged[zone, t], zone_use[zone, t] + city_use[t]):
                    self.problems.append(
                        f"quota {quota.id} {year} zone {zone}: charged {charged[zone, t]:.10g} exceeds zone "
                        f"supply {zone_use[zone, t]:.10g} plus city supply {city_use[t]:.10g}"
                    )
                if not self.at_most(zone_use[zone, t], charged[zone, t]):
                    self.problems.append(
                        f"quota {quota.id} {year} zone {zone}: zone sources supply {zone_use[zone, t]:.10g} "
                        f"but the zone's projects charge only {charged[zone, t]:.10g}"
                    )

    # --- summary.json -------------------------------------------------------------------
    def check_summary_header(self, summary: Mapping[str, Any]) -> None:
        status = summary.get("status")
        if status not in SUMMARY_STATUSES:
            self.problems.append(f"summary: status {status!r} is not one of {', '.join(SUMMARY_STATUSES)}")
        if summary.get("scenario") != self.scenario.name:
            self.problems.append(
                f"summary: scenario {summary.get('scenario')!r}, expected {self.scenario.name!r}"
            )
        gap = summary.get("gap")
        settings = summary.get("solver_settings")
        # The run's own gap setting (a command-line --gap overrides the scenario's) when the summary has it.
        allowed = settings.get("gap", self.scenario.solver.gap) if isinstance(settings, Mapping) else None
        allowed = self.scenario.solver.gap if allowed is None else float(allowed)
        if status == "optimal" and gap is not None and gap > allowed + self.tol:
            self.problems.append(f"summary: status optimal with gap {gap} above solver gap {allowed}")

    def check_summary_totals(
        self, summary: Mapping[str, Any], approved: dict[int, Placement], total_cost: float
    ) -> None:
        projects = self.projects
        values = math.fsum(
            project_value(self.scenario, projects, i, *placement) for i, placement in approved.items()
        )
        objective = self.number("summary objective", summary.get("objective"))
        if objective is None or not self.close(objective, values - total_cost):
            self.problems.append(
                f"summary: objective {objective}, expected values {values:.10g} - cost {total_cost:.10g}"
            )
        bound = self.number("summary best_bound", summary.get("best_bound"))
        if objective is not None and bound is not None and not self.at_most(objective, bound):
            self.problems.append(f"summary: objective {objective} above the best bound {bound}")
        kpi = summary.get("kpi")
        if not isinstance(kpi, Mapping):
            self.problems.append("summary: kpi missing")
            return
        chosen = sorted(approved)
        expected = {
            "approved": float(len(chosen)),
            "land_used": math.fsum(float(projects.land_mu[i]) for i in chosen),
            "investment": math.fsum(float(projects.investment[i]) for i in chosen),
            "output": math.fsum(float(projects.output[i]) for i in chosen),
            "tax": math.fsum(float(projects.tax[i]) for i in chosen),
        }
        for key, value in expected.items():
            reported = self.number(f"summary kpi {key}", kpi.get(key))
            if reported is None or not self.close(reported, value):
                self.problems.append(f"summary: kpi {key} {reported}, expected {value:.10g}")
