"""Scenario types (SPEC §1.1) and their loading from TOML.

A scenario is immutable. Variants are made by changing the plain TOML dictionary it
was read from (``Scenario.raw``) and validating again with :func:`scenario_from_dict`,
so every variant passes the same checks as a file on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

OBJECTIVE_INDICATORS = ("output", "tax", "investment", "jobs")


@dataclass(frozen=True)
class Zone:
    """A park (development zone) and its entry screens."""

    id: str
    name: str
    min_investment_intensity: float | None = None  # 万元 investment per mu
    min_tax_per_mu: float | None = None  # 万元 tax per mu per year


@dataclass(frozen=True)
class Source:
    """One supply of a quota, e.g. the yearly plan land quota or revitalised stock land.

    ``amounts`` maps ``None`` (a city source, serving every zone) or a zone id (a
    zone source) to the supply of each horizon year, in the quota's unit. A zone
    source lists every declared zone; zones the file does not name get zeros.
    """

    id: str
    scope: Literal["city", "zone"]
    amounts: dict[str | None, tuple[float, ...]]
    price: float = 0.0  # 万元 per unit used
    name: str = ""

    def amount(self, zone: str | None, year_index: int) -> float:
        """Supply in one horizon year (0-based) for ``zone`` (None for a city source)."""
        values = self.amounts.get(zone)
        return values[year_index] if values else 0.0


@dataclass(frozen=True)
class Quota:
    """A scarce indicator (land, energy, an emission...) charged by a projects-table column."""

    id: str
    unit: str
    demand: str  # the projects-table column this quota charges
    sources: tuple[Source, ...]
    ratio: float = 1.0  # charged = ratio * demand (e.g. 2.0 for 倍量替代)
    carry_over: bool = True  # unused supply rolls to later years
    name: str = ""


@dataclass(frozen=True)
class Objective:
    """What the plan maximises (SPEC §2)."""

    weights: dict[str, float]  # per indicator in OBJECTIVE_INDICATORS
    strategic_bonus: float = 0.0
    discount_rate: float = 0.06
    appraisal_years: int = 10
    relocation_penalty: float = 0.0  # fraction of value lost outside the preferred zone
    purchase_budget: float = 1e30  # 万元, cap on the purchase cost of priced sources


@dataclass(frozen=True)
class SolverSettings:
    name: Literal["highs", "cbc"] = "highs"
    time_limit: float = 60.0  # seconds
    gap: float = 1e-4  # relative MIP gap accepted as optimal
    seed: int = 0


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. ``raw`` is the merged TOML dictionary it was built from."""

    name: str
    description: str
    projects_path: Path
    start_year: int
    years: int
    zones: tuple[Zone, ...]
    quotas: tuple[Quota, ...]
    objective: Objective
    solver: SolverSettings
    path: Path | None = None  # the scenario file, if it came from one
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def horizon(self) -> list[int]:
        """Calendar years of the horizon."""
        return [self.start_year + t for t in range(self.years)]

    def zone_ids(self) -> list[str]:
        return [z.id for z in self.zones]
