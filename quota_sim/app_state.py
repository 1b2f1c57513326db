"""What the planners' app computes around the library, kept free of Streamlit so it can be tested.

- :class:`Levers` — the values a planner moves (yearly plan land quota, stock land, linkage
  quota and price, purchase budget, energy increment, each pollutant's allocation and
  replacement ratio, objective weights, bonus, discount rate, horizon, time limit), read from
  a scenario with :func:`levers_from_scenario` and applied with :func:`apply_levers`, which
  goes through :func:`quota_sim.scenario.with_values` so a variant passes the same checks as
  a file.
- :func:`land_balance` — the queue's yearly land demand and shortfall (as docs/baseline.md defines them).
- :func:`read_upload` — an uploaded projects table, checked.
- Tables for the page: :func:`allocation_frame`, :func:`quota_use_by_industry`,
  :func:`start_years_by_zone`, :func:`demand_vs_supply`, :func:`supply_per_year`,
  :func:`headline_figures`.
- Saved scenarios: :func:`snapshot`, :func:`compare_figures`, :func:`status_changes`.

Units: land in mu, money in 万元, energy in tce, emissions in t (each quota's own unit).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import itertools
import math
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quota_sim.errors import InputError
from quota_sim.projects import Projects, read_projects_bytes
from quota_sim.results import Result, quota_used_key
from quota_sim.scenario import OBJECTIVE_INDICATORS, Quota, Scenario, Source, scenario_from_dict, with_values
from quota_sim.shortfall import LandBalance, land_balance  # noqa: F401  (the page uses them from here)
from quota_sim.supply import NO_BUDGET, land_quota, supply_keys, zone_supply
from quota_sim.upload_store import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB

_SAME = 1e-9  # relative tolerance under which a lever counts as unchanged

ENERGY_QUOTA = "energy"
PLAN_SOURCE = "plan"
STOCK_SOURCE = "stock"
LINKAGE_SOURCE = "linkage"
LAND_UNITS = ("mu", "亩")  # quotas in these units (forest, farmland) are land, not pollutants


# --------------------------------------------------------------------------- where the levers sit


@dataclass(frozen=True)
class LeverSources:
    """Which quota and source of a scenario each supply lever moves (None where the scenario has none).

    Each entry is ``(quota id, source id)``. The land levers look for the sources named
    ``plan``, ``stock`` and ``linkage`` of the quota charged by ``land_mu``; without
    those names, the first unpriced city source is the plan, the first zone source the
    stock and the first priced source the linkage quota. The energy increment is the
    first unpriced source of the quota charged by ``energy_tce`` (or named ``energy``).
    Every other quota not measured in mu is a pollutant; its allocation is its first
    unpriced source. The other quotas in mu (forest quota, basic-farmland plan adjustment) are
    land-class quotas, moved by their first unpriced source too.
    """

    plan: tuple[str, str] | None
    stock: tuple[str, str] | None
    linkage: tuple[str, str] | None
    energy: tuple[str, str] | None
    pollutants: tuple[tuple[str, str | None], ...]
    land_classes: tuple[tuple[str, str | None], ...] = ()


def _energy_quota(scenario: Scenario) -> Quota | None:
    for quota in scenario.quotas:
        if quota.id == ENERGY_QUOTA or quota.demand == "energy_tce":
            return quota
    return None


def _pick_source(quota: Quota, name: str, scope: str | None, priced: bool | None) -> Source | None:
    for source in quota.sources:
        if source.id == name:
            return source
    for source in quota.sources:
        if (scope is None or source.scope == scope) and (priced is None or (source.price > 0) == priced):
            return source
    return None


def find_lever_sources(scenario: Scenario) -> LeverSources:
    """Locate the quota sources the supply levers move (see :class:`LeverSources`)."""
    land = land_quota(scenario)
    energy = _energy_quota(scenario)
    plan = stock = linkage = energy_source = None
    if land is not None:
        plan_source = _pick_source(land, PLAN_SOURCE, "city", False)
        stock_source = _pick_source(land, STOCK_SOURCE, "zone", None)
        linkage_source = _pick_source(land, LINKAGE_SOURCE, None, True)
        plan = (land.id, plan_source.id) if plan_source else None
        stock = (land.id, stock_source.id) if stock_source and stock_source is not plan_source else None
        taken = [s.id for s in (plan_source, stock_source) if s is not None]
        linkage = (land.id, linkage_source.id) if linkage_source and linkage_source.id not in taken else None
    if energy is not None:
        chosen = _pick_source(energy, "", None, False) or (energy.sources[0] if energy.sources else None)
        energy_source = (energy.id, chosen.id) if chosen else None
    pollutants, land_classes = [], []
    for quota in scenario.quotas:
        if quota is land or quota is energy:
            continue
        chosen = _pick_source(quota, "", None, False) or (quota.sources[0] if quota.sources else None)
        kind = land_classes if quota.unit in LAND_UNITS else pollutants
        kind.append((quota.id, chosen.id if chosen else None))
    return LeverSources(plan, stock, linkage, energy_source, tuple(pollutants), tuple(land_classes))


def _quota(scenario: Scenario, quota_id: str) -> Quota:
    return next(q for q in scenario.quotas if q.id == quota_id)


def _source(scenario: Scenario, where: tuple[str, str]) -> Source:
    return next(s for s in _quota(scenario, where[0]).sources if s.id == where[1])


# --------------------------------------------------------------------------- the levers


@dataclass(frozen=True)
class PollutantLever:
    """One pollutant quota: its yearly allocation (its unit per year) and replacement ratio."""

    quota: str
    unit: str
    amount: float | None  # yearly allocation, summed over zones; None when the quota has no source
    ratio: float


@dataclass(frozen=True)
class Levers:
    """The values a planner moves. None marks a lever the scenario has no place for.

    Attributes
    ----------
    plan_land : yearly plan land quota, mu/yr (the horizon average of the ``plan`` source)
    stock_land : stock land to revitalise, mu over the whole horizon, all parks
    linkage_amount : linkage (增减挂钩) quota on offer, mu/yr
    linkage_price : its price, 万元/mu
    purchase_budget : 万元 over the horizon; None is no limit
    energy_increment : yearly energy-use increment, tce/yr
    pollutants : one :class:`PollutantLever` per emission quota
    weights : objective weight per indicator (output, tax, investment, jobs)
    strategic_bonus, discount_rate : fractions
    years : horizon length
    time_limit : solver time limit, s
    land_classes : one :class:`PollutantLever` (its yearly amount, mu/yr) per land-class quota: the
        forest quota (林地定额), the basic-farmland plan adjustment (基本农田调整)…
    """

    plan_land: float | None
    stock_land: float | None
    linkage_amount: float | None
    linkage_price: float | None
    purchase_budget: float | None
    energy_increment: float | None
    pollutants: tuple[PollutantLever, ...]
    weights: dict[str, float] = field(default_factory=dict)
    strategic_bonus: float = 0.0
    discount_rate: float = 0.06
    years: int = 1
    time_limit: float = 60.0
    land_classes: tuple[PollutantLever, ...] = ()


def _matrix(source: Source, zone_ids: Sequence[str], years: int) -> dict[str | None, list[float]]:
    """A source's supply as {None or zone id: amounts per year}, every zone listed for a zone source."""
    return {key: [source.amount(key, t) for t in range(years)] for key in supply_keys(source, zone_ids)}


def _total(matrix: Mapping[str | None, Sequence[float]]) -> float:
    return float(np.sum([np.sum(values) for values in matrix.values()]))


def levers_from_scenario(scenario: Scenario) -> Levers:
    """The lever values a scenario holds."""
    where = find_lever_sources(scenario)
    zone_ids, years = scenario.zone_ids(), scenario.years

    def yearly(at: tuple[str, str] | None) -> float | None:
        return None if at is None else _total(_matrix(_source(scenario, at), zone_ids, years)) / years

    pollutants = []
    for quota_id, source_id in where.pollutants:
        quota = _quota(scenario, quota_id)
        amount = yearly((quota_id, source_id)) if source_id else None
        pollutants.append(PollutantLever(quota_id, quota.unit, amount, quota.ratio))
    land_classes = []
    for quota_id, source_id in where.land_classes:
        quota = _quota(scenario, quota_id)
        amount = yearly((quota_id, source_id)) if source_id else None
        land_classes.append(PollutantLever(quota_id, quota.unit, amount, quota.ratio))
    objective = scenario.objective
    budget = objective.purchase_budget
    return Levers(
        plan_land=yearly(where.plan),
        stock_land=None
        if where.stock is None
        else _total(_matrix(_source(scenario, where.stock), zone_ids, years)),
        linkage_amount=yearly(where.linkage),
        linkage_price=None if where.linkage is None else _source(scenario, where.linkage).price,
        purchase_budget=None if budget >= NO_BUDGET else budget,
        energy_increment=yearly(where.energy),
        pollutants=tuple(pollutants),
        weights={k: float(objective.weights.get(k, 0.0)) for k in OBJECTIVE_INDICATORS},
        strategic_bonus=objective.strategic_bonus,
        discount_rate=objective.discount_rate,
        years=scenario.years,
        time_limit=scenario.solver.time_limit,
        land_classes=tuple(land_classes),
    )


def _changed(old: float | None, new: float | None) -> bool:
    if old is None or new is None:
        return (old is None) != (new is None)
    return abs(new - old) > _SAME * max(1.0, abs(old))


def _resized(matrix: Mapping[str | None, Sequence[float]], years: int) -> dict[str | None, list[float]]:
    """Amounts cut to ``years`` or extended by repeating each row's last year."""
    out = {}
    for key, values in matrix.items():
        values = list(values)
        out[key] = values[:years] + [values[-1] if values else 0.0] * max(0, years - len(values))
    return out


def _scaled(matrix: Mapping[str | None, Sequence[float]], total: float) -> dict[str | None, list[float]]:
    """Amounts scaled to a new ``total`` keeping their shape; spread evenly when all are zero."""
    current = _total(matrix)
    if current > 0:
        factor = total / current
        return {key: [v * factor for v in values] for key, values in matrix.items()}
    cells = sum(len(values) for values in matrix.values())
    return {key: [total / cells] * len(values) for key, values in matrix.items()}


def _as_toml(matrix: Mapping[str | None, Sequence[float]]) -> Any:
    """A supply matrix as the TOML value of ``amounts``: a list for a city source, a table per zone."""
    if None in matrix:
        return [float(v) for v in matrix[None]]
    return {str(key): [float(v) for v in values] for key, values in matrix.items()}


def lever_changes(scenario: Scenario, levers: Levers) -> dict[str, Any]:
    """The ``with_values`` changes that turn ``scenario`` into one holding ``levers``.

    Only levers that differ from the scenario's own values appear, so applying a
    scenario's own levers changes nothing (and its TOML stays the same text).
    Supply levers keep the shape of the scenario's amounts over parks and years and
    scale them to the new level; a new horizon cuts every amounts list or extends it by
    repeating its last year.
    """
    where = find_lever_sources(scenario)
    now = levers_from_scenario(scenario)
    zone_ids, years = scenario.zone_ids(), levers.years
    changes: dict[str, Any] = {}
    matrices: dict[tuple[str, str], dict[str | None, list[float]]] = {}
    if levers.years != now.years:
        changes["years"] = int(levers.years)
        for quota in scenario.quotas:
            for source in quota.sources:
                matrices[quota.id, source.id] = _resized(_matrix(source, zone_ids, scenario.years), years)

    def matrix(at: tuple[str, str]) -> dict[str | None, list[float]]:
        return matrices.get(at) or _matrix(_source(scenario, at), zone_ids, scenario.years)

    supply = [
        (where.plan, now.plan_land, levers.plan_land, years),
        (where.stock, now.stock_land, levers.stock_land, 1),
        (where.linkage, now.linkage_amount, levers.linkage_amount, years),
        (where.energy, now.energy_increment, levers.energy_increment, years),
    ]
    old_pollutants = {p.quota: p for p in now.pollutants}
    for new in levers.pollutants:
        old = old_pollutants[new.quota]
        source_id = dict(where.pollutants)[new.quota]
        if source_id is not None:
            supply.append(((new.quota, source_id), old.amount, new.amount, years))
        if _changed(old.ratio, new.ratio):
            changes[f"quotas.{new.quota}.ratio"] = float(new.ratio)
    old_classes = {p.quota: p for p in now.land_classes}
    for new in levers.land_classes:
        source_id = dict(where.land_classes)[new.quota]
        if source_id is not None:
            supply.append(((new.quota, source_id), old_classes[new.quota].amount, new.amount, years))
    for at, old_value, new_value, per in supply:
        if at is not None and new_value is not None and _changed(old_value, new_value):
            matrices[at] = _scaled(matrix(at), float(new_value) * per)
    for (quota_id, source_id), values in matrices.items():
        changes[f"quotas.{quota_id}.sources.{source_id}.amounts"] = _as_toml(values)
    if (
        where.linkage is not None
        and levers.linkage_price is not None
        and _changed(now.linkage_price, levers.linkage_price)
    ):
        changes[f"quotas.{where.linkage[0]}.sources.{where.linkage[1]}.price"] = float(levers.linkage_price)
    if _changed(now.purchase_budget, levers.purchase_budget):
        changes["objective.purchase_budget"] = (
            None if levers.purchase_budget is None else float(levers.purchase_budget)
        )
    for key in OBJECTIVE_INDICATORS:
        if _changed(now.weights.get(key, 0.0), levers.weights.get(key, 0.0)):
            changes[f"objective.weights.{key}"] = float(levers.weights.get(key, 0.0))
    for name in ("strategic_bonus", "discount_rate"):
        if _changed(getattr(now, name), getattr(levers, name)):
            changes[f"objective.{name}"] = float(getattr(levers, name))
    if _changed(now.time_limit, levers.time_limit):
        changes["solver.time_limit"] = float(levers.time_limit)
    return changes


def apply_levers(scenario: Scenario, levers: Levers) -> Scenario:
    """A validated variant of ``scenario`` holding ``levers`` (the scenario itself if nothing moved).

    Raises
    ------
    InputError
        If a lever value fails the scenario checks.
    """
    changes = lever_changes(scenario, levers)
    return sharing_sites(with_values(scenario, changes), scenario) if changes else scenario


def sharing_sites(variant: Scenario, source: Scenario) -> Scenario:
    """``variant`` holding ``source``'s sites table (read once) when both read the same table for the
    same parks and start year, so a variant does not read and check the table again."""
    same = (variant.sites_path, variant.zone_ids(), variant.start_year)
    if variant.sites_path is not None and same == (source.sites_path, source.zone_ids(), source.start_year):
        vars(variant).setdefault("sites", source.sites)  # the slot of the cached property
    return variant


# --------------------------------------------------------------------------- the queue's land demand


def demand_vs_supply(scenario: Scenario, projects: Projects) -> pd.DataFrame:
    """The queue's land demand by the year projects become ready, and the land supply per year (mu).

    Columns year, ready and supply (the demand and supply of :func:`quota_sim.shortfall.land_balance`:
    land of projects not locked out becoming ready that year, the first year carrying those ready
    at once; every land source) and cumulative_ready / cumulative_supply (running totals).
    Projects that cannot start within the horizon are in no year.
    """
    balance = land_balance(scenario, projects)
    zeros = np.zeros(scenario.years)
    ready = np.array(balance.demand_by_year) if balance else zeros
    supply = np.array(balance.supply_by_year) if balance else zeros
    return pd.DataFrame(
        {
            "year": scenario.horizon,
            "ready": ready,
            "supply": supply,
            "cumulative_ready": np.cumsum(ready),
            "cumulative_supply": np.cumsum(supply),
        }
    )


# --------------------------------------------------------------------------- uploads


def read_upload(data: bytes, filename: str, scenario: Scenario) -> Projects:
    """Check an uploaded projects table against a scenario's zones and quota columns.

    Raises
    ------
    InputError
        If the file exceeds :data:`MAX_UPLOAD_MB`, is not a readable CSV/XLSX table, or
        has a bad cell (the message names the row and column).
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(
            f"file too large ({len(data) / 1024 / 1024:.1f} MB); the limit is {MAX_UPLOAD_MB} MB",
            file=filename,
        )
    charged_by: dict[str, list[str]] = {}
    for quota in scenario.quotas:
        charged_by.setdefault(quota.demand, []).append(quota.id)
    return read_projects_bytes(
        data,
        filename,
        scenario.zone_ids(),
        {column: ", ".join(ids) for column, ids in charged_by.items()},
        start_year=scenario.start_year,
        site_zones=scenario.sites.zone_of() if scenario.sites is not None else None,
    )


def with_projects(scenario: Scenario, path: Path) -> Scenario:
    """The scenario reading its projects from ``path`` (absolute)."""
    return sharing_sites(with_values(scenario, {"projects": str(Path(path).resolve())}), scenario)


# --------------------------------------------------------------------------- tables for the page


def allocation_frame(result: Result) -> pd.DataFrame:
    """One row per project: id, name, industry, status, zone, start_year, value (万元), reason,
    then ``<quota>_charged`` for every quota (its unit)."""
    industries = list(result.projects.industries)
    quota_ids = [q.id for q in result.scenario.quotas]
    rows = []
    for i, row in enumerate(result.allocation):
        record = {
            "id": row.id,
            "name": row.name,
            "industry": industries[i] if i < len(industries) else "",
            "status": row.status,
            "zone": row.zone,
            "start_year": row.start_year,
            "value": row.value,
            "reason": row.reason,
        }
        for quota_id in quota_ids:
            record[f"{quota_id}_charged"] = row.charged.get(quota_id, 0.0)
        rows.append(record)
    frame = pd.DataFrame(
        rows,
        columns=["id", "name", "industry", "status", "zone", "start_year", "value", "reason"]
        + [f"{q}_charged" for q in quota_ids],
    )
    frame["start_year"] = frame["start_year"].astype("Int64")
    return frame


def filter_allocation(
    frame: pd.DataFrame,
    statuses: Sequence[str] = (),
    zones: Sequence[str] = (),
    industries: Sequence[str] = (),
) -> pd.DataFrame:
    """Rows whose status, zone and industry are among those chosen (an empty choice keeps all)."""
    keep = np.ones(len(frame), dtype=bool)
    if statuses:
        keep &= frame["status"].isin(list(statuses)).to_numpy()
    if zones:
        keep &= frame["zone"].isin(list(zones)).to_numpy()
    if industries:
        keep &= frame["industry"].isin(list(industries)).to_numpy()
    return frame[keep]


def supply_per_year(scenario: Scenario, quota_id: str) -> pd.DataFrame:
    """Supply of one quota per calendar year, over all its sources and parks: columns year, supply."""
    totals = zone_supply(_quota(scenario, quota_id), None, scenario.zone_ids(), scenario.years)
    return pd.DataFrame({"year": scenario.horizon, "supply": totals})


def quota_use_by_industry(result: Result, quota_id: str, no_industry: str = "") -> pd.DataFrame:
    """Charged amount of one quota per start year and industry (approved projects): year, industry, used."""
    frame = allocation_frame(result)
    approved = frame[frame["status"] == "approved"].copy()
    approved["industry"] = approved["industry"].replace("", no_industry)
    column = f"{quota_id}_charged"
    if approved.empty:
        return pd.DataFrame(
            {
                "year": pd.Series(dtype="int64"),
                "industry": pd.Series(dtype="str"),
                "used": pd.Series(dtype="float64"),
            }
        )
    grouped = approved.groupby(["start_year", "industry"], as_index=False)[column].sum()
    grouped = grouped.rename(columns={"start_year": "year", column: "used"})
    grouped["year"] = grouped["year"].astype("int64")
    return grouped[grouped["used"] > 0].reset_index(drop=True)


def start_years_by_zone(result: Result) -> pd.DataFrame:
    """Number of approved projects per park and start year: zone, year, projects."""
    frame = allocation_frame(result)
    approved = frame[frame["status"] == "approved"]
    if approved.empty:
        return pd.DataFrame(
            {
                "zone": pd.Series(dtype="str"),
                "year": pd.Series(dtype="int64"),
                "projects": pd.Series(dtype="int64"),
            }
        )
    counted = approved.groupby(["zone", "start_year"], as_index=False).size()
    counted = counted.rename(columns={"start_year": "year", "size": "projects"})
    counted["year"] = counted["year"].astype("int64")
    return counted


@dataclass(frozen=True)
class QuotaFigure:
    """Use of one quota over the horizon: used and available in its unit."""

    quota: str
    unit: str
    used: float
    available: float


@dataclass(frozen=True)
class Headline:
    """The headline figures of a result (money in 万元, land in mu)."""

    status: str
    objective: float | None
    gap: float | None
    seconds: float
    approved: int
    queued: int
    output: float  # 万元/yr at full production
    tax: float  # 万元/yr at full production
    investment: float  # 万元
    jobs: float
    purchase_cost: float  # 万元
    quotas: tuple[QuotaFigure, ...]


def headline_figures(result: Result) -> Headline:
    """The headline figures, read from the result's KPIs and its scenario's supply."""
    kpi = result.kpi
    quotas = []
    for quota in result.scenario.quotas:
        scenario = result.scenario
        supply = float(np.sum(zone_supply(quota, None, scenario.zone_ids(), scenario.years)))
        used = float(kpi.get(quota_used_key(quota.id), 0.0))
        quotas.append(QuotaFigure(quota.id, quota.unit, used, supply))
    return Headline(
        status=result.status,
        objective=result.objective,
        gap=result.gap,
        seconds=float(result.seconds.get("total", 0.0)),
        approved=int(kpi.get("approved", 0)),
        queued=int(kpi.get("queued", len(result.allocation))),
        output=float(kpi.get("output", 0.0)),
        tax=float(kpi.get("tax", 0.0)),
        investment=float(kpi.get("investment", 0.0)),
        jobs=float(kpi.get("jobs", 0.0)),
        purchase_cost=float(kpi.get("purchase_cost", 0.0)),
        quotas=tuple(quotas),
    )


# --------------------------------------------------------------------------- saved scenarios


@dataclass(frozen=True)
class SavedScenario:
    """A solved scenario kept for comparison: its figures, each project's status and its TOML."""

    name: str
    figures: dict[str, Any]
    statuses: dict[str, str]
    names: dict[str, str]
    toml: str


def snapshot(name: str, result: Result, toml_text: str) -> SavedScenario:
    """Keep what a comparison needs of ``result`` under ``name``."""
    head = headline_figures(result)
    figures: dict[str, Any] = {
        "status": head.status,
        "objective": head.objective,
        "gap": head.gap,
        "approved": head.approved,
        "queued": head.queued,
        "output": head.output,
        "tax": head.tax,
        "investment": head.investment,
        "jobs": head.jobs,
        "purchase_cost": head.purchase_cost,
    }
    for quota in head.quotas:
        figures[f"{quota.quota}_used"] = quota.used
        figures[f"{quota.quota}_available"] = quota.available
    return SavedScenario(
        name=name,
        figures=figures,
        statuses={row.id: row.status for row in result.allocation},
        names={row.id: row.name for row in result.allocation},
        toml=toml_text,
    )


def compare_figures(saved: Sequence[SavedScenario]) -> pd.DataFrame:
    """Figures side by side: one row per figure, one column per saved scenario."""
    keys: list[str] = []
    for item in saved:
        keys.extend(k for k in item.figures if k not in keys)
    return pd.DataFrame(
        {item.name: [item.figures.get(k) for k in keys] for item in saved},
        index=pd.Index(keys, name="figure"),
    )


def status_changes(saved: Sequence[SavedScenario]) -> pd.DataFrame:
    """Projects whose status differs between the saved scenarios: id, name, then a status per scenario.

    A project missing from a scenario (a different projects table) shows a blank status there.
    """
    ids: list[str] = []
    names: dict[str, str] = {}
    for item in saved:
        for project_id in item.statuses:
            if project_id not in names:
                ids.append(project_id)
                names[project_id] = item.names.get(project_id, "")
    rows = []
    for project_id in ids:
        statuses = [item.statuses.get(project_id, "") for item in saved]
        if len(set(statuses)) > 1:
            rows.append(
                {
                    "id": project_id,
                    "name": names[project_id],
                    **{item.name: s for item, s in zip(saved, statuses, strict=True)},
                }
            )
    return pd.DataFrame(rows, columns=["id", "name", *[item.name for item in saved]])


def unique_name(name: str, taken: Sequence[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``... if it is already taken."""
    if name not in taken:
        return name
    n = 2
    while f"{name} ({n})" in taken:
        n += 1
    return f"{name} ({n})"


def slider_top(*values: float | None, floor: float = 1.0) -> float:
    """A slider's upper end: three times the largest value given, rounded up to a round number."""
    largest = max([v for v in values if v is not None and math.isfinite(v)] + [floor])
    top = 3.0 * largest
    magnitude = 10.0 ** (math.floor(math.log10(top)) - 1)
    return float(math.ceil(top / magnitude) * magnitude)


def scenario_from_toml(text: str, label: str = "scenario") -> Scenario:
    """A scenario from standalone TOML text (as :func:`quota_sim.scenario.scenario_to_toml` writes it).

    Raises
    ------
    InputError
        On a TOML syntax error or any invalid value.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML: {error}", file=label) from None
    return scenario_from_dict(raw, Path.cwd(), label)


# --------------------------------------------------------------------------- lever values on the page


def lever_step(value: float | None, preferred: float) -> float:
    """A step that lands exactly on ``value``: ``preferred``, its half or fifth, or the largest power
    of ten below ``preferred`` that divides ``value`` (down to 1e-6); ``preferred`` when ``value`` is None."""
    if value is None or not math.isfinite(value) or value == 0:
        return preferred
    candidates = [preferred, preferred / 2, preferred / 5]
    candidates += [10.0**k for k in range(6, -7, -1) if 10.0**k < preferred]
    for step in candidates:
        count = value / step
        if abs(count - round(count)) < 1e-6:
            return step
    return 1e-6


def step_format(step: float) -> str:
    """A printf format showing as many decimals as ``step`` needs ("%.0f" for 10, "%.2f" for 0.05)."""
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-9:
        decimals += 1
    return f"%.{decimals}f"


LEVER_FIELDS = (
    "plan_land",
    "stock_land",
    "linkage_amount",
    "linkage_price",
    "purchase_budget",
    "energy_increment",
    "strategic_bonus",
    "discount_rate",
    "years",
    "time_limit",
)


def lever_values(levers: Levers) -> dict[str, float | None]:
    """Every lever as ``{name: value}``: the fields of :data:`LEVER_FIELDS`, ``weight_<indicator>``,
    ``<quota>_amount`` and ``<quota>_ratio`` for each pollutant."""
    values: dict[str, float | None] = {name: getattr(levers, name) for name in LEVER_FIELDS}
    for indicator in OBJECTIVE_INDICATORS:
        values[f"weight_{indicator}"] = levers.weights.get(indicator, 0.0)
    for lever in levers.pollutants:
        values[f"{lever.quota}_amount"] = lever.amount
        values[f"{lever.quota}_ratio"] = lever.ratio
    for lever in levers.land_classes:
        values[f"{lever.quota}_amount"] = lever.amount
    return values


def lever_differences(before: Levers, after: Levers) -> list[tuple[str, float | None, float | None]]:
    """The levers that differ: ``(name, value before, value after)`` in :func:`lever_values` order."""
    old, new = lever_values(before), lever_values(after)
    return [(name, old.get(name), new.get(name)) for name in new if _changed(old.get(name), new.get(name))]


def levers_to_dict(levers: Levers) -> dict[str, Any]:
    """Levers as plain JSON-ready data (see :func:`levers_from_dict`)."""
    return dataclasses.asdict(levers)


def levers_from_dict(data: Mapping[str, Any]) -> Levers:
    """Levers from :func:`levers_to_dict`'s data."""
    fields = dict(data)
    fields["pollutants"] = tuple(PollutantLever(**p) for p in fields.get("pollutants", ()))
    fields["land_classes"] = tuple(PollutantLever(**p) for p in fields.get("land_classes", ()))
    fields["weights"] = dict(fields.get("weights", {}))
    return Levers(**fields)


def _short(value: float | None) -> str:
    if value is None:
        return "none"
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.4g}"


def setting_name(base_name: str, changes: Sequence[tuple[str, float | None, float | None]]) -> str:
    """A file-name-safe name for a setting: the scenario's name, then each changed lever and its new
    value (``baseline_plan_land-1500``); over 80 characters, the scenario's name and a digest of
    the changes."""
    if not changes:
        return base_name
    name = base_name + "_" + "_".join(f"{lever}-{_short(new)}" for lever, _, new in changes)
    if len(name) <= 80:
        return name
    digest = hashlib.sha256(repr(changes).encode("utf-8")).hexdigest()[:8]
    return f"{base_name}_{len(changes)}-changes-{digest}"


def file_stem(name: str) -> str:
    """``name`` made safe as a file name (letters, digits, CJK, ``-_.()`` kept; anything else ``_``)."""
    safe = "".join(c if c.isalnum() or c in "-_.()" else "_" for c in name.strip())
    return safe.strip("._") or "scenario"


def described(
    variant: Scenario, base: Scenario, name: str, changes: Sequence[tuple[str, Any, Any]], projects: Projects
) -> Scenario:
    """``variant`` renamed ``name`` with a description that states its own figures: the levers changed
    from ``base`` and the land balance it gives (the base's description, whose figures no longer hold,
    is replaced). ``variant`` itself when nothing changed."""
    if not changes:
        return variant
    lines = [f"由 {base.name} 调整 / adjusted from {base.name}:"]
    lines += [f"- {lever}: {_short(old)} -> {_short(new)}" for lever, old, new in changes]
    balance = land_balance(variant, projects)
    if balance is not None:
        lines.append(
            f"用地：排队需求 {balance.demand:,.0f} 亩/年，供给 {balance.supply:,.0f} 亩/年，"
            f"缺口 {max(balance.shortfall, 0):,.0f} 亩/年 / land: queue demand {balance.demand:,.0f} mu/yr, "
            f"supply {balance.supply:,.0f} mu/yr, shortfall {max(balance.shortfall, 0):,.0f} mu/yr"
        )
    return sharing_sites(with_values(variant, {"name": name, "description": "\n".join(lines)}), variant)


# --------------------------------------------------------------------------- honest reasons

#: Above this relative gap a time-limited plan says nothing about why a project waits.
UNPROVEN_GAP = 0.05


def reason_is_unproven(result: Result, reason: str) -> bool:
    """True when ``reason`` claims better projects took the room (``value``) but the plan is a
    time-limited one too far from its bound (gap above :data:`UNPROVEN_GAP`, or unknown) to show it."""
    if reason != "value" or result.status != "feasible":
        return False
    return result.gap is None or result.gap > UNPROVEN_GAP


# --------------------------------------------------------------------------- tables as planners read them


def display_number(value: Any, decimals: int = 0) -> str:
    """A figure with thousands separators; blank, None and NaN as "—"."""
    if value is None or value == "":
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "—"
    return f"{number:,.{decimals}f}"


def display_percent(value: Any, decimals: int = 2) -> str:
    """A fraction as a percentage (0.004426 -> "0.44%"); None as "—"."""
    if value is None:
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "—" if not math.isfinite(number) else f"{number:.{decimals}%}"


def decimals_for(values: Sequence[Any]) -> int:
    """Decimals that show a column's figures: 0 from 100 up, 1 from 10, 2 from 0.1, else 4."""
    numbers = [
        abs(float(v)) for v in values if isinstance(v, int | float) and math.isfinite(float(v)) and v != 0
    ]
    if not numbers:
        return 0
    largest = max(numbers)
    return 0 if largest >= 100 else 1 if largest >= 10 else 2 if largest >= 0.1 else 4


def display_frame(
    frame: pd.DataFrame, decimals: Mapping[str, int] | None = None, percents: Sequence[str] = ()
) -> pd.DataFrame:
    """``frame`` with every numeric column written as text: thousands separators, the decimals of
    ``decimals`` (else :func:`decimals_for`), ``percents`` as percentages, and "—" for missing values."""
    shown = frame.copy()
    for column in shown.columns:
        values = list(shown[column])
        if column in percents:
            shown[column] = [display_percent(v) for v in values]
            continue
        numeric = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
        if numeric and all(
            isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool) for v in numeric
        ):
            places = (decimals or {}).get(column, decimals_for([float(v) for v in numeric]))
            shown[column] = [display_number(v, places) for v in values]
        else:
            shown[column] = [
                "—" if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values
            ]
    return shown


# --------------------------------------------------------------------------- planners' pins


@dataclass(frozen=True)
class Pin:
    """A planner's decision on one project: ``lock`` "in" (must be approved), "out" (never) or ""
    (release the table's lock); a pinned-in project may also be fixed to one park (``zone``), one
    site of it (``site``, with sites) and its start ``year`` (exactly that year)."""

    project: str
    lock: str
    zone: str | None = None
    year: int | None = None
    site: str | None = None


def pinned_projects(projects: Projects, pins: Sequence[Pin]) -> Projects:
    """The queue with the pins applied (the table's own locks stay for projects not pinned; a pin
    with ``lock`` "" releases the table's lock).

    Raises
    ------
    InputError
        If a pin names an unknown project, a lock other than in/out/"", or a park not among the
        project's candidate parks.
    """
    if not pins:
        return projects
    index = {project_id: i for i, project_id in enumerate(projects.ids)}
    n = len(projects.ids)
    locks, zones = list(projects.lock), list(projects.zones)
    sites = list(projects.sites) if len(projects.sites) == n else [()] * n
    earliest = projects.earliest_year.copy()
    latest = projects.latest_year.copy() if len(projects.latest_year) == n else np.zeros(n, dtype=int)
    for pin in pins:
        if pin.project not in index:
            raise InputError(f"no project '{pin.project}' in the queue", column="id")
        if pin.lock not in ("in", "out", ""):
            raise InputError(
                f"a pin locks a project 'in' or 'out' or releases it, not '{pin.lock}'", column="lock"
            )
        i = index[pin.project]
        locks[i] = pin.lock
        if pin.zone is not None:
            if pin.zone not in zones[i]:
                raise InputError(f"park '{pin.zone}' is not among the project's parks", column="zone")
            zones[i] = (pin.zone,)
        if pin.site is not None:
            sites[i] = (pin.site,)
        if pin.year is not None:
            earliest[i] = latest[i] = int(pin.year)
    return dataclasses.replace(
        projects, lock=locks, zones=zones, sites=sites, earliest_year=earliest, latest_year=latest
    )


def _year_cell(years: np.ndarray, i: int) -> str:
    return str(int(years[i])) if i < len(years) and years[i] else ""


def projects_csv_bytes(projects: Projects) -> bytes:
    """The queue as a projects table (SPEC §1.2 columns, then every other quota demand column), UTF-8 CSV."""
    core = [
        "id",
        "name",
        "industry",
        "industry_code",
        "zone",
        "land_mu",
        "investment",
        "output",
        "tax",
        "jobs",
        "strategic",
        "earliest_year",
        "ramp_years",
        "lock",
        "queued_since",
        "site",
        "latest_year",
    ]
    demand = [column for column in projects.demand if column not in core]  # e.g. a labour quota charges jobs
    header = [*core, *demand]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for i, project_id in enumerate(projects.ids):
        writer.writerow(
            [
                project_id,
                projects.names[i],
                projects.industries[i],
                projects.industry_codes[i],
                "|".join(projects.zones[i]),
                repr(float(projects.land_mu[i])),
                repr(float(projects.investment[i])),
                repr(float(projects.output[i])),
                repr(float(projects.tax[i])),
                repr(float(projects.jobs[i])),
                "1" if projects.strategic[i] else "0",
                str(int(projects.earliest_year[i])) if projects.earliest_year[i] else "",
                str(int(projects.ramp_years[i])),
                projects.lock[i],
                projects.queued_since[i],
                "|".join(projects.sites[i]) if i < len(projects.sites) else "",
                _year_cell(projects.latest_year, i),
                *[repr(float(projects.demand[column][i])) for column in demand],
            ]
        )
    return buffer.getvalue().encode("utf-8")


def with_pins(
    scenario: Scenario, projects: Projects, pins: Sequence[Pin], keep: Callable[[bytes, str], Path]
) -> Scenario:
    """The scenario reading a copy of its queue with the pins applied, kept as a file by ``keep(table,
    file name) -> path`` (the page's upload store, which names it by its content, so the scenario's
    TOML reproduces the pinned plan); ``scenario`` itself without pins."""
    if not pins:
        return scenario
    table = projects_csv_bytes(pinned_projects(projects, pins))
    return with_projects(scenario, keep(table, "pinned.csv"))


# --------------------------------------------------------------------------- per-park balance


def balance_frame(result: Result, quota_id: str) -> pd.DataFrame:
    """One quota's balance per park and year (park "" = the city's sources, shared by every park).

    Columns zone, year, supply (new free supply that year), used (drawn from every source),
    bought (drawn from priced sources), carried_over (free supply left at the year's end and
    carried to the next year; 0 for a quota that does not carry over) and cost (万元).
    """
    quota = _quota(result.scenario, quota_id)
    priced = {s.id for s in quota.sources if s.price > 0}
    rows: dict[tuple[str, int], dict[str, float]] = {}
    for row in result.quota_use:
        if row.quota != quota_id:
            continue
        entry = rows.setdefault(
            (row.zone, row.year), {"supply": 0.0, "used": 0.0, "bought": 0.0, "free_used": 0.0, "cost": 0.0}
        )
        entry["used"] += row.used
        entry["cost"] += row.cost
        if row.source in priced:
            entry["bought"] += row.used
        else:
            entry["supply"] += row.available
            entry["free_used"] += row.used
    records = []
    left: dict[str, float] = {}
    for (zone, year), entry in sorted(
        rows.items(), key=lambda item: (item[0][0] != "", item[0][0], item[0][1])
    ):
        carried = 0.0
        if quota.carry_over:
            carried = max(left.get(zone, 0.0) + entry["supply"] - entry["free_used"], 0.0)
            left[zone] = carried
        records.append(
            {
                "zone": zone,
                "year": year,
                "supply": entry["supply"],
                "used": entry["used"],
                "bought": entry["bought"],
                "carried_over": carried,
                "cost": entry["cost"],
            }
        )
    return pd.DataFrame(records, columns=["zone", "year", "supply", "used", "bought", "carried_over", "cost"])


# --------------------------------------------------------------------------- sites on a map

_WKT_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _wkt_rings(body: str) -> list:
    """Nested coordinate lists of a WKT body ("(x y, x y), (…)"), following its parentheses."""
    stack: list[list] = [[]]
    for token in re.findall(r"\(|\)|[^(),]+", body):
        if token == "(":
            stack.append([])
        elif token == ")":
            if len(stack) < 2:
                raise ValueError("unbalanced parentheses")
            done = stack.pop()
            stack[-1].append(done)
        elif token.strip():
            numbers = [float(n) for n in _WKT_NUMBER.findall(token)]
            if len(numbers) != 2:
                raise ValueError(f"a point needs two numbers: '{token.strip()}'")
            stack[-1].append(numbers)
    if len(stack) != 1:
        raise ValueError("unbalanced parentheses")
    return stack[0]


def _polygon(rings: Any) -> bool:
    """True for a list of closed-ring candidates: lists of at least 4 points of two numbers each."""
    return (
        isinstance(rings, list)
        and bool(rings)
        and all(
            isinstance(ring, list)
            and len(ring) >= 4
            and all(isinstance(p, list) and len(p) == 2 for p in ring)
            for ring in rings
        )
    )


def _wound(rings: list) -> list:
    """A polygon's rings wound as d3-geo (Vega's maps) reads them: the outer ring clockwise, holes
    counter-clockwise; the other way round a ring is taken to cover the rest of the globe."""

    def area(ring: list) -> float:  # twice the signed area in the lon/lat plane; > 0 anticlockwise
        return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))

    return [ring[::-1] if (area(ring) > 0) == (k == 0) else ring for k, ring in enumerate(rings)]


def wkt_geometry(text: str) -> dict[str, Any] | None:
    """A GeoJSON geometry from WKT (POINT, POLYGON, MULTIPOLYGON; lon/lat), its rings wound for
    d3-geo (see :func:`_wound`); None if blank or unreadable."""
    text = (text or "").strip()
    kind, _, body = text.partition("(")
    kind = kind.strip().upper()
    try:
        rings = _wkt_rings("(" + body)
    except ValueError:
        return None
    if kind == "POINT" and len(rings) == 1 and len(rings[0]) == 1:
        return {"type": "Point", "coordinates": rings[0][0]}
    if kind == "POLYGON" and len(rings) == 1 and _polygon(rings[0]):
        return {"type": "Polygon", "coordinates": _wound(rings[0])}
    if kind == "MULTIPOLYGON" and len(rings) == 1 and all(_polygon(p) for p in rings[0]):
        return {"type": "MultiPolygon", "coordinates": [_wound(polygon) for polygon in rings[0]]}
    return None


#: A site's state in a plan: used by approved projects, free, blocked by a land class whose quota
#: has no supply (e.g. public-welfare forest at 0), or not ready within the horizon.
SITE_STATES = ("used", "free", "blocked", "not_ready")
OTHER_CLASS = "other"  # the part of a site's area no land-class column covers


def site_frame(result: Result) -> pd.DataFrame:
    """One row per site of a scenario with sites: id, name, zone, area_mu, ready_year, main_class (the
    land class covering most of it), state (see :data:`SITE_STATES`), used_mu, free_mu, projects
    (approved ids, ``|``-separated) and ``<class>_mu`` for every land class. Empty without sites."""
    scenario = result.scenario
    sites = scenario.sites
    if sites is None:
        return pd.DataFrame()
    use = {row.id: row for row in result.site_use}
    end = scenario.start_year + scenario.years - 1
    blocking = _blocking_classes(scenario, list(sites.classes))
    records = []
    for k, site in enumerate(sites.ids):
        area = float(sites.area_mu[k])
        classes = {name: float(areas[k]) for name, areas in sites.classes.items()}
        covered = float(np.sum(list(classes.values()))) if classes else 0.0
        shares = {**classes, OTHER_CLASS: max(area - covered, 0.0)}
        main = max(shares, key=lambda name: (shares[name], name != OTHER_CLASS))
        row = use.get(site)
        used = row.used_mu if row else 0.0
        ready = int(sites.ready_year[k]) or scenario.start_year
        if used > 0:
            state = "used"
        elif ready > end:
            state = "not_ready"
        elif any(classes.get(name, 0.0) > 0 for name in blocking):
            state = "blocked"
        else:
            state = "free"
        records.append(
            {
                "id": site,
                "name": sites.names[k] if k < len(sites.names) else "",
                "zone": sites.zones[k],
                "area_mu": area,
                "ready_year": ready,
                "main_class": main,
                "state": state,
                "used_mu": used,
                "free_mu": area - used,
                "projects": "|".join(row.projects) if row else "",
                **{f"{name}_mu": value for name, value in classes.items()},
            }
        )
    return pd.DataFrame(records)


def _blocking_classes(scenario: Scenario, classes: Sequence[str]) -> set[str]:
    """Land classes charged by a quota that has no supply over the whole horizon."""
    blocking: set[str] = set()
    for quota in scenario.quotas:
        if not quota.site_classes:
            continue
        supply = float(supply_per_year(scenario, quota.id)["supply"].sum())
        if supply <= 0:
            blocking.update(name for name in quota.site_classes if name in classes)
    return blocking


def _centre(shape: dict[str, Any]) -> tuple[float, float]:
    """Where to write a site's label: the mean of its (first) outer ring's corners, or the point."""
    if shape["type"] == "Point":
        return tuple(shape["coordinates"])
    ring = shape["coordinates"][0] if shape["type"] == "Polygon" else shape["coordinates"][0][0]
    corners = ring[:-1] or ring
    return (float(np.mean([c[0] for c in corners])), float(np.mean([c[1] for c in corners])))


def site_features(result: Result) -> list[dict[str, Any]]:
    """The sites that have a geometry, as GeoJSON features whose properties are :func:`site_frame`'s row
    and ``lon``/``lat``, where to write its label."""
    frame = site_frame(result)
    if frame.empty:
        return []
    geometry = result.scenario.sites.geometry
    features = []
    for k, row in enumerate(frame.to_dict("records")):
        shape = wkt_geometry(geometry[k]) if k < len(geometry) else None
        if shape is not None:
            row["lon"], row["lat"] = _centre(shape)
            features.append({"type": "Feature", "geometry": shape, "properties": row})
    return features
