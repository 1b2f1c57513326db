"""A solved scenario as tables keyed by project, quota, source, zone and year (SPEC §4)."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np

from quota_sim.model import QuotaModel
from quota_sim.projects import Projects
from quota_sim.scenario import Scenario, SolverSettings
from quota_sim.supply import CITY, SupplyLeft, serves, supply_keys, zone_label

if TYPE_CHECKING:
    from quota_sim.solve import Solution

_TOL = 1e-7
_SITE_FULL = "site"  # a blocker: the plan leaves too little area on the site
_EMPTY = np.zeros(0, dtype=np.int64)
# Waiting projects whose reasons are worked out together: their placements' arrays stay small (500
# projects on any of 75 sites over 5 years: about 190k placements).
WAITING_CHUNK = 500


@dataclass
class AllocationRow:
    """One project's outcome. ``value`` in 万元; ``start_year`` is a calendar year."""

    id: str
    name: str
    status: str  # approved | not_selected | ineligible | locked_out
    zone: str
    start_year: int | None
    value: float
    reason: str
    charged: dict[str, float]  # quota id -> ratio * demand * share on the site (0 unless approved)
    site: str = ""  # the site, for approved projects of a scenario with sites


@dataclass
class QuotaUseRow:
    """Use of one source in one year; ``zone`` is blank for city sources. cost in 万元."""

    quota: str
    source: str
    zone: str
    year: int
    available: float
    used: float
    cost: float


@dataclass
class SiteRow:
    """One site's use by the plan (SPEC §5 ``sites.csv``): areas in mu, ``projects`` the approved ids."""

    id: str
    zone: str
    area_mu: float
    used_mu: float
    free_mu: float
    ready_year: int
    projects: list[str]
    class_used: dict[str, float]  # land class -> mu of it used (used_mu * class share of the site)


@dataclass
class Result:
    """Everything a run produced; ``summary()`` is the content of summary.json."""

    scenario: Scenario
    projects: Projects
    settings: SolverSettings
    status: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    solver: str
    seconds: dict[str, float]
    allocation: list[AllocationRow]
    quota_use: list[QuotaUseRow]
    kpi: dict[str, float]
    versions: dict[str, str]
    message: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    site_use: list[SiteRow] = field(default_factory=list)  # one row per site; empty without sites

    @property
    def solved(self) -> bool:
        return self.status in ("optimal", "feasible")

    def summary(self) -> dict[str, Any]:
        summary = {
            "scenario": self.scenario.name,
            "status": self.status,
            "objective": self.objective,
            "best_bound": self.best_bound,
            "gap": self.gap,
            "solver": self.solver,
            "solver_settings": {
                "time_limit": self.settings.time_limit, "gap": self.settings.gap, "seed": self.settings.seed,
            },
            "seconds": self.seconds,
            "kpi": self.kpi,
            "versions": self.versions,
            "message": self.message,
        }
        for key in ("baselines", "importance", "analysis"):
            if key in self.extras:
                summary[key] = self.extras[key]
        return summary


def versions() -> dict[str, str]:
    """Versions of everything that can change a result."""
    found = {"python": platform.python_version()}
    for package in ("quota-sim", "pulp", "highspy", "numpy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def assign_results(
    model: QuotaModel, solution: Solution, settings: SolverSettings, seconds: dict[str, float]
) -> Result:
    """Turn a solver's solution into the allocation and quota-use tables and the KPIs."""
    scenario, projects = model.scenario, model.projects
    quota_use = _quota_use_rows(model, solution) if solution.status in ("optimal", "feasible") else []
    allocation = _allocation_rows(model, solution, quota_use)
    seconds = dict(seconds)
    seconds["total"] = float(np.sum(list(seconds.values())))
    return Result(
        scenario=scenario,
        projects=projects,
        settings=settings,
        status=solution.status,
        objective=solution.objective,
        best_bound=solution.best_bound,
        gap=solution.gap,
        solver=solution.solver,
        seconds=seconds,
        allocation=allocation,
        quota_use=quota_use,
        kpi=_kpi(scenario, projects, allocation, quota_use),
        versions=versions(),
        message=solution.message,
        site_use=_site_rows(model, solution) if solution.status in ("optimal", "feasible") else [],
    )


def approved_plan(result: Result) -> dict[str, tuple[str, str | None, int]]:
    """The approved placements of a result, project id -> (zone, site or None, calendar start year):
    a MIP start for a re-solve of the same or a similar scenario."""
    return {
        row.id: (row.zone, row.site or None, row.start_year)
        for row in result.allocation
        if row.status == "approved" and row.start_year is not None
    }


def _site_rows(model: QuotaModel, solution: Solution) -> list[SiteRow]:
    sites = model.sites
    if sites is None:
        return []
    placed: dict[str, list[int]] = {}
    for p, (_zone, site, _t) in solution.chosen.items():
        placed.setdefault(site, []).append(p)
    rows = []
    for k, site in enumerate(sites.ids):
        on_site = sorted(placed.get(site, []))
        area = float(sites.area_mu[k])
        used = float(np.sum(model.projects.land_mu[on_site])) if on_site else 0.0
        ready = int(sites.ready_year[k]) or model.scenario.start_year
        class_used = {name: used * float(areas[k]) / area for name, areas in sites.classes.items()}
        ids = [model.projects.ids[p] for p in on_site]
        rows.append(SiteRow(site, sites.zones[k], area, used, area - used, ready, ids, class_used))
    return rows


def _quota_use_rows(model: QuotaModel, solution: Solution) -> list[QuotaUseRow]:
    scenario = model.scenario
    zone_ids = scenario.zone_ids()
    rows = []
    for q in scenario.quotas:
        for s in q.sources:
            for key in supply_keys(s, zone_ids):
                for t, year in enumerate(scenario.horizon):
                    used = float(
                        np.sum([
                            solution.use.get((q.id, s.id, z, t), 0.0) for z in zone_ids if serves(s, key, z)
                        ])
                    )
                    used = 0.0 if used < _TOL else used
                    rows.append(QuotaUseRow(
                        q.id, s.id, zone_label(key), year, s.amount(key, t), used, s.price * used,
                    ))
    return rows


def _allocation_rows(
    model: QuotaModel, solution: Solution, quota_use: list[QuotaUseRow]
) -> list[AllocationRow]:
    scenario, projects = model.scenario, model.projects
    solved = solution.status in ("optimal", "feasible")
    room = _RemainingRoom(model, quota_use, solution) if solved else None
    waiting = [
        p for p in range(len(projects))
        if solution.chosen.get(p) is None and projects.lock[p] != "out" and model.eligible[p]
    ] if solved else []
    reasons = dict(zip(waiting, room.reasons(waiting), strict=True)) if room else {}
    rows = []
    for p in range(len(projects)):
        placed = solution.chosen.get(p) if solved else None
        zone, site, start, value, reason = "", None, None, 0.0, ""
        if placed:
            status = "approved"
            zone, site, t = placed
            start, value = scenario.start_year + t, float(model.value[(p, zone, site, t)])
        elif projects.lock[p] == "out":
            status, reason = "locked_out", "lock = out"
        elif not model.eligible[p]:
            status, reason = "ineligible", model.screen_failures[p]
        else:
            status = "not_selected"
            reason = reasons[p] if room else solution.status
        charged = {q.id: model.charge(q.id, p, site) if placed else 0.0 for q in scenario.quotas}
        rows.append(AllocationRow(
            projects.ids[p], projects.names[p], status, zone, start, value, reason, charged, site=site or "",
        ))
    return rows


class _RemainingRoom:
    """Supply left over by the solution, to say which quotas block a project that was not selected.

    Free sources (price 0) and priced ones are kept apart: priced room is shared by one budget.
    """

    def __init__(self, model: QuotaModel, quota_use: list[QuotaUseRow], solution: Solution) -> None:
        self.model = model
        self.area_left_mu = np.zeros(0)  # per site index, the area the plan leaves free (mu)
        if model.sites is not None:
            self.area_left_mu = model.sites.area_mu.astype(float).copy()
            for p, (_zone, site, _t) in solution.chosen.items():
                self.area_left_mu[model.sites.index[site]] -= float(model.projects.land_mu[p])
        scenario = model.scenario
        left = SupplyLeft(scenario)
        for row in quota_use:
            key = row.zone or CITY
            left.take(row.quota, row.source, key, row.year - scenario.start_year, row.used)
        self.budget_left = max(0.0, left.budget_left)
        # Per zone index: the free room (zone x quota x year, units) and the priced tiers, cheapest first
        # per quota, padded with empty tiers to one count: room (zone x tier x quota x year, units) and
        # price (zone x tier x quota, 万元/unit).
        rooms = [[left.zone_room(q, z) for q in scenario.quotas] for z in scenario.zone_ids()]
        shape = (len(rooms), len(scenario.quotas))
        tiers = max((len(priced) for zone in rooms for _free, priced in zone), default=0)
        self.free = np.zeros((*shape, scenario.years))
        self.tier_room = np.zeros((shape[0], tiers, shape[1], scenario.years))
        self.tier_price = np.zeros((shape[0], tiers, shape[1]))
        space = model.space  # a project's charge per quota (units), and each site's share that counts
        self.charge = np.column_stack([space.charges[q.id] for q in scenario.quotas]).reshape(-1, shape[1])
        if model.sites is not None:
            self.share = np.column_stack([space.shares[q.id] for q in scenario.quotas]).reshape(-1, shape[1])
        for z, zone in enumerate(rooms):
            for i, (free, priced) in enumerate(zone):
                self.free[z, i] = free
                for j, (price, room) in enumerate(priced):
                    self.tier_room[z, j, i], self.tier_price[z, j, i] = room, price

    def reasons(self, waiting: list[int]) -> list[str]:
        """The reason of each project in ``waiting`` (indices of eligible projects the plan leaves
        out), in order: ``value`` if some placement fits in what is left, else what blocks it: quota ids
        (those charged on site classes say so), ``budget``, or the site problem in a planner's words.
        Worked out on arrays, WAITING_CHUNK projects at a time."""
        found: list[str] = []
        for start in range(0, len(waiting), WAITING_CHUNK):
            found += self._reasons(waiting[start:start + WAITING_CHUNK])
        return found

    def _reasons(self, waiting: list[int]) -> list[str]:
        space = self.model.space
        places = [space.place_arrays(p) for p in waiting]
        count = np.array([len(zones) for zones, _sites, _firsts in places], dtype=np.int64)
        owner = np.repeat(np.arange(len(waiting)), count)  # per place, its project's position in waiting
        zones, sites, firsts = (np.concatenate([place[i] for place in places] or [_EMPTY]) for i in range(3))
        project = np.asarray(waiting, dtype=np.int64)[owner]
        table, names = self._blocked(project, zones, sites, firsts)
        # One row per placement (place by place, year by year): its project's position in waiting.
        row_owner = np.repeat(owner, np.maximum(space.last_year[project] - firsts + 1, 0))
        rows = np.bincount(row_owner, minlength=len(waiting))
        blocked = table.sum(axis=1)
        fewest = np.full(len(waiting), len(names) + 1, dtype=np.int64)
        np.minimum.at(fewest, row_owner, blocked)
        blocking = np.zeros((len(waiting), len(names)), dtype=bool)
        np.logical_or.at(blocking, row_owner, table & (blocked == fewest[row_owner])[:, None])
        held = self._classes_held(owner, sites, len(waiting))
        found = []
        for i, p in enumerate(waiting):
            if not rows[i]:  # no placement at all: why, in a planner's words
                found.append(space.problem(p))
            elif fewest[i] == 0:
                found.append("value")
            else:
                found.append(self._words({names[j] for j in np.flatnonzero(blocking[i])}, held[i]))
        return found

    def _blocked(
        self, project: np.ndarray, zones: np.ndarray, sites: np.ndarray, firsts: np.ndarray
    ) -> tuple[np.ndarray, list[str]]:
        """For every placement of the places given (project index, zone index, site index or -1 and
        first year index per place; each place year by year to its project's last year), what lacks
        room for it: a boolean per quota (no room left, free or priced), ``budget`` (the room is there
        but buying it would exceed the purchase budget left) and ``site`` (the plan leaves the site less
        area than the project's land); and those column names."""
        model, space = self.model, self.model.space
        spans = np.maximum(space.last_year[project] - firsts + 1, 0)
        place = np.repeat(np.arange(len(zones)), spans)
        year = firsts[place] + np.arange(len(place)) - np.repeat(np.cumsum(spans) - spans, spans)
        charges = self.charge[project]
        if model.sites is not None:
            charges = charges * self.share[sites]
        zone, site, owner = zones[place], sites[place], project[place]
        short = charges[place] - self.free[zone, :, year]
        cost = np.zeros(len(place))
        for j in range(self.tier_price.shape[1]):
            take = np.where(short > _TOL, np.minimum(short, self.tier_room[zone, j, :, year]), 0.0)
            cost += np.einsum("oq,oq->o", take, self.tier_price[zone, j])
            short -= take
        quota_short = short > _TOL
        budget = ~quota_short.any(axis=1) & (cost > self.budget_left + _TOL)
        site_full = np.zeros(len(place), dtype=bool)
        if model.sites is not None:
            site_full = self.area_left_mu[site] < model.projects.land_mu[owner].astype(float) * (1 - _TOL)
        table = np.column_stack([quota_short, budget, site_full])
        return table, [q.id for q in model.scenario.quotas] + ["budget", _SITE_FULL]

    def _classes_held(self, owner: np.ndarray, sites: np.ndarray, n: int) -> list[set[str]]:
        """Per project (``owner`` per place, ``n`` projects), the land classes some of its candidate
        sites (``sites`` per place) holds (empty without sites)."""
        held: list[set[str]] = [set() for _ in range(n)]
        if self.model.sites is None:
            return held
        for name, areas in self.model.sites.classes.items():
            some = np.zeros(n, dtype=bool)
            np.logical_or.at(some, owner, np.asarray(areas)[sites] > 0)
            for i in np.flatnonzero(some).tolist():
                held[i].add(name)
        return held

    def _words(self, blocking: set[str], held: set[str]) -> str:
        """What blocks a project (quota ids, ``budget``, ``site``) as its reason; ``held``: the land
        classes its candidate sites hold, named after the quotas charged on them."""
        words = []
        for quota in self.model.scenario.quotas:
            if quota.id in blocking:
                present = [c for c in quota.site_classes if c in held]
                words.append(f"{quota.id} (its site is {'/'.join(present)} land)" if present else quota.id)
        if "budget" in blocking:
            words.append("budget")
        if _SITE_FULL in blocking:
            words.append("no free site large enough")
        return "|".join(words)


_PROJECT_KPIS = ("land_used",)  # KPIs about the approved projects that a quota's use must not replace


def quota_used_key(quota_id: str) -> str:
    """The KPI holding a quota's use over the horizon: ``<quota>_used``, or ``<quota>_quota_used`` where
    that would replace a projects KPI (the quota ``land``: ``land_used`` is the mu of approved projects,
    which differs from the land quota's use when it charges only some land classes of the sites)."""
    key = f"{quota_id}_used"
    return f"{quota_id}_quota_used" if key in _PROJECT_KPIS else key


def _kpi(
    scenario: Scenario, projects: Projects, allocation: list[AllocationRow], quota_use: list[QuotaUseRow]
) -> dict[str, float]:
    approved = np.array([row.status == "approved" for row in allocation], dtype=bool)
    kpi: dict[str, float] = {
        "queued": len(allocation),
        "approved": int(approved.sum()),
        "not_selected": sum(row.status == "not_selected" for row in allocation),
        "ineligible": sum(row.status == "ineligible" for row in allocation),
        "locked_out": sum(row.status == "locked_out" for row in allocation),
        "land_used": float(projects.land_mu[approved].sum()),
        "investment": float(projects.investment[approved].sum()),
        "output": float(projects.output[approved].sum()),
        "tax": float(projects.tax[approved].sum()),
        "jobs": float(projects.jobs[approved].sum()),
        "purchase_cost": float(np.sum([row.cost for row in quota_use])),
    }
    for q in scenario.quotas:
        kpi[quota_used_key(q.id)] = float(np.sum([row.used for row in quota_use if row.quota == q.id]))
        kpi[f"{q.id}_available"] = float(
            np.sum([a for s in q.sources for amounts in s.amounts.values() for a in amounts])
        )
    return kpi
