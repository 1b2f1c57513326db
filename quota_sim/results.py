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
    charged: dict[str, float]  # quota id -> ratio * demand (0 unless approved)


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
        for key in ("baselines", "importance"):
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
    )


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
    room = _RemainingRoom(model, quota_use) if solved else None
    rows = []
    for p in range(len(projects)):
        placed = solution.chosen.get(p) if solved else None
        charged = {q.id: float(model.charges[q.id][p]) if placed else 0.0 for q in scenario.quotas}
        zone, start, value, reason = "", None, 0.0, ""
        if placed:
            status = "approved"
            zone, t = placed
            start, value = scenario.start_year + t, float(model.value[(p, zone, t)])
        elif projects.lock[p] == "out":
            status, reason = "locked_out", "lock = out"
        elif not model.eligible[p]:
            status, reason = "ineligible", model.screen_failures[p]
        else:
            status = "not_selected"
            reason = room.reason(p) if room else solution.status
        rows.append(
            AllocationRow(projects.ids[p], projects.names[p], status, zone, start, value, reason, charged)
        )
    return rows


class _RemainingRoom:
    """Supply left over by the solution, to say which quotas block a project that was not selected.

    Free sources (price 0) and priced ones are kept apart: priced room is shared by one budget.
    """

    def __init__(self, model: QuotaModel, quota_use: list[QuotaUseRow]) -> None:
        self.model = model
        scenario = model.scenario
        years = scenario.years
        left = SupplyLeft(scenario)
        for row in quota_use:
            key = row.zone or CITY
            left.take(row.quota, row.source, key, row.year - scenario.start_year, row.used)
        self.budget_left = max(0.0, left.budget_left)
        self.free: dict[tuple[str, str], np.ndarray] = {}  # (quota, zone) -> room per year
        self.priced: dict[tuple[str, str], list[tuple[float, np.ndarray]]] = {}  # cheapest first
        for q in scenario.quotas:
            for z in scenario.zone_ids():
                free = np.zeros(years)
                priced = []
                for source, key, price in left.draw_order(q, z):
                    room = np.array([max(0.0, left.available(q.id, source, key, t)) for t in range(years)])
                    if price > 0:
                        priced.append((price, room))
                    else:
                        free += room
                self.free[q.id, z] = free
                self.priced[q.id, z] = priced

    def blockers(self, p: int, zone: str, t: int) -> list[str]:
        """Quotas without room for project ``p`` in ``zone`` in year index ``t``; ``budget`` when the
        room is there but buying it would exceed the purchase budget left."""
        blocked, cost = [], 0.0
        for q in self.model.scenario.quotas:
            short = self.model.charges[q.id][p] - self.free[q.id, zone][t]
            for price, room in self.priced[q.id, zone]:
                if short <= _TOL:
                    break
                take = min(short, room[t])
                cost += take * price
                short -= take
            if short > _TOL:
                blocked.append(q.id)
        if not blocked and cost > self.budget_left + _TOL:
            blocked.append("budget")
        return blocked

    def reason(self, p: int) -> str:
        """``value`` if some placement fits in what is left, else what blocks it (quota ids or ``budget``)."""
        years = self.model.scenario.years
        first = int(self.model.first_year[p])
        if first >= years:
            return "earliest_year after horizon"
        options = [self.blockers(p, z, t) for z in self.model.eligible[p] for t in range(first, years)]
        fewest = min(len(b) for b in options)
        if fewest == 0:
            return "value"
        blocking = {q for b in options if len(b) == fewest for q in b}
        order = [q.id for q in self.model.scenario.quotas] + ["budget"]
        return "|".join(q for q in order if q in blocking)


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
        kpi[f"{q.id}_used"] = float(np.sum([row.used for row in quota_use if row.quota == q.id]))
        kpi[f"{q.id}_available"] = float(
            np.sum([a for s in q.sources for amounts in s.amounts.values() for a in amounts])
        )
    return kpi
