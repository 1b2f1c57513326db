"""Scenario types (SPEC §1.1) and their loading from TOML.

A scenario is immutable. Variants are made by changing the plain TOML dictionary it
was read from (``Scenario.raw``) and validating again with :func:`scenario_from_dict`,
so every variant passes the same checks as a file on disk.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import numbers
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import tomli_w

import quota_sim
from quota_sim.codes import SOLVER_NAMES
from quota_sim.errors import InputError
from quota_sim.input_files import MAX_SCENARIO_BYTES, read_input_file
from quota_sim.sites import Sites, sites_for

OBJECTIVE_INDICATORS = ("output", "tax", "investment", "jobs")
# Ratios, prices, weights and rates multiply project figures in the model; beyond this the solver's
# arithmetic fails (supply amounts and the budget may be larger: there a huge value means no limit).
MAX_COEFFICIENT = 1e12
# A number that is not 0 but below this is a unit or typing mistake (the gap excepted).
MIN_MAGNITUDE = 1e-9
# Counts a scenario may hold: beyond them it is a mistake, and the model would not fit in memory.
MAX_YEARS = 50
MAX_APPRAISAL_YEARS = 100
MAX_ZONES = 1_000
MAX_QUOTAS = 100
MAX_SOURCES = 100  # per quota
MAX_NESTING = 16  # tables and arrays inside one another
YEAR_RANGE = (1900, 2200)  # start_year
MAX_TIME_LIMIT = 7 * 24 * 3600.0  # seconds
MAX_SEED = 2**31 - 1
# Control characters a text value may hold (a description may span lines).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Zone:
    """A park (development zone) and its entry screens."""

    id: str
    name: str
    min_investment_intensity: float | None = None  # 万元 investment per mu
    min_tax_per_mu: float | None = None  # 万元 tax per mu per year
    industries: tuple[str, ...] | None = None  # admission list (准入清单); None admits every industry

    def admits(self, industry: str) -> bool:
        """Whether a project of ``industry`` may be placed in this zone (its admission list)."""
        return self.industries is None or industry in self.industries


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
    site_classes: tuple[str, ...] = ()  # land classes charged on the chosen site (SPEC §5); () = all of it


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
    name: Literal["highs", "cbc", "scip"] = "highs"
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
    sites_path: Path | None = None  # the sites table (SPEC §5), if the scenario has one
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def horizon(self) -> list[int]:
        """Calendar years of the horizon."""
        return [self.start_year + t for t in range(self.years)]

    def zone_ids(self) -> list[str]:
        return [z.id for z in self.zones]

    @cached_property
    def sites(self) -> Sites | None:
        """The sites table (SPEC §5), read and checked on first use; None without ``sites``.

        Raises
        ------
        InputError
            On a bad cell of the sites table.
        """
        return sites_for(self)


# ---------------------------------------------------------------------------
# Reading, validating and writing scenario files
# ---------------------------------------------------------------------------

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]+")

TOP_KEYS = (
    "name",
    "description",
    "projects",
    "sites",
    "start_year",
    "years",
    "zones",
    "quotas",
    "objective",
    "solver",
)
ZONE_KEYS = ("id", "name", "min_investment_intensity", "min_tax_per_mu", "industries")
QUOTA_KEYS = ("name", "unit", "demand", "ratio", "carry_over", "sources", "site_classes")
SOURCE_KEYS = ("id", "name", "scope", "amounts", "price")
OBJECTIVE_KEYS = (
    "weights",
    "strategic_bonus",
    "discount_rate",
    "appraisal_years",
    "relocation_penalty",
    "purchase_budget",
)
SOLVER_KEYS = ("name", "time_limit", "gap", "seed")
DEFAULT_START_YEAR = 2026
DEFAULT_WEIGHTS = {"output": 1.0, "tax": 0.0, "investment": 0.0, "jobs": 0.0}

# Optional tables that ``with_values`` creates, holding their defaults, when a key path walks into them.
_TABLES_CREATED_ON_DEMAND: dict[tuple[str, ...], dict[str, Any]] = {
    ("objective",): {},
    ("objective", "weights"): DEFAULT_WEIGHTS,
    ("solver",): {},
    ("quotas",): {},
}


def baseline_path() -> Path:
    """The embedded baseline scenario shipped with the package."""
    return Path(quota_sim.__file__).parent / "scenarios" / "baseline.toml"


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends``) and validate a scenario file.

    Parameters
    ----------
    path
        The scenario TOML file.

    Raises
    ------
    InputError
        On a missing file, a TOML syntax error, an ``extends`` problem or any invalid value.
    """
    path = Path(path)
    raw = read_scenario_dict(path)
    scenario = scenario_from_dict(raw, path.parent, path.name)
    return dataclasses.replace(scenario, path=Path(os.path.abspath(path)))


def read_scenario_dict(path: str | Path) -> dict[str, Any]:
    """The merged TOML dictionary of a scenario file, with ``extends`` resolved.

    The file's tables are deep-merged over its parent's (tables recursively, arrays of
    tables with ``id`` entry by entry, everything else replaced). Each ``projects`` and ``sites``
    path is made absolute relative to the file that declares it. The result has no
    ``extends`` key.
    """
    return _read_merged(Path(path), ())


def _read_merged(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    data = _read_toml(path)
    for key in ("projects", "sites"):
        if key in data and isinstance(data[key], str) and data[key].strip():
            data[key] = os.path.abspath(path.parent / data[key])
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data
    if not isinstance(parent_name, str) or not parent_name.strip():
        raise InputError(
            "'extends' must be the path of another scenario file", file=path.name, column="extends"
        )
    parent = path.parent / parent_name
    here = path.resolve()
    visited = (*chain, here)
    if parent.resolve() in visited:
        names = " -> ".join(p.name for p in (*visited, parent.resolve()))
        raise InputError(f"'extends' forms a cycle: {names}", file=path.name, column="extends")
    if not parent.is_file():
        raise InputError(
            f"'extends' names a file that does not exist: {parent}", file=path.name, column="extends"
        )
    return _merge(_read_merged(parent, visited), data)


def _read_toml(path: Path) -> dict[str, Any]:
    data = read_input_file(path, "scenario file", MAX_SCENARIO_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the scenario file is not UTF-8 text", file=path.name) from None
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        line = int(found.group(1)) if found else None
        raise InputError(f"TOML syntax error: {error}", file=path.name, row=line) from None
    except RecursionError:
        parsed = None
    if parsed is None or _depth(parsed) > MAX_NESTING:
        raise InputError(f"tables or arrays nest too deeply (at most {MAX_NESTING})", file=path.name)
    return parsed


def _depth(value: Any) -> int:
    """How deeply tables and arrays nest in ``value`` (a plain value: 0)."""
    stack, deepest = [(value, 0)], 0
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth + 1)
            if depth + 1 <= MAX_NESTING:
                stack.extend((child, depth + 1) for child in children)
    return deepest


def _has_ids(value: Any) -> bool:
    """Whether ``value`` is an array of tables that all carry a text ``id``."""
    return isinstance(value, list) and all(
        isinstance(item, dict) and isinstance(item.get("id"), str) for item in value
    )


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``over`` onto ``base`` (both left untouched)."""
    merged = copy.deepcopy(base)
    for key, value in over.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merged[key] = _merge(old, value)
        elif _has_ids(old) and _has_ids(value) and value:
            entries = {entry["id"]: i for i, entry in enumerate(old)}
            for entry in value:
                if entry["id"] in entries:
                    old[entries[entry["id"]]] = _merge(old[entries[entry["id"]]], entry)
                else:
                    entries[entry["id"]] = len(old)
                    old.append(copy.deepcopy(entry))
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _plain(value: Any) -> Any:
    """A deep copy using only TOML-writable Python types (numpy values, tuples and paths converted)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (np.ndarray, np.generic)):
        return _plain(value.tolist())
    return value


def _nearest(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, else the list of choices."""
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; expected one of: {', '.join(choices)}" if choices else ""


class _Checker:
    """Validation helpers that raise InputError naming the file and the key path."""

    def __init__(self, label: str) -> None:
        self.label = label

    def fail(self, message: str, path: str) -> InputError:
        return InputError(message, file=self.label, column=path)

    def table(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"must be a table, got {_show(value)}", path)
        return value

    def keys(self, table: dict[str, Any], allowed: Sequence[str], path: str) -> None:
        for key in table:
            if key not in allowed:
                where = f"{path}.{key}" if path else key
                raise self.fail(f"unknown key '{key}'{_nearest(key, allowed)}", where)

    def string(self, value: Any, path: str, *, lines: bool = False) -> str:
        """Text without control characters (``lines``: line breaks and tabs allowed)."""
        if not isinstance(value, str):
            raise self.fail(f"must be text, got {_show(value)}", path)
        found = _CONTROL.search(value) or (None if lines else re.search(r"[\t\n\r]", value))
        if found:
            raise self.fail(f"holds a control character (U+{ord(found.group()):04X})", path)
        return value

    def ident(self, value: Any, path: str) -> str:
        text = self.string(value, path)
        if not ID_PATTERN.fullmatch(text):
            raise self.fail(f"'{text}' may only contain letters, digits, '_' and '-'", path)
        return text

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"must be true or false, got {_show(value)}", path)
        return value

    def number(
        self,
        value: Any,
        path: str,
        *,
        positive: bool = False,
        below_one: bool = False,
        coefficient: bool = False,
        tiny: bool = False,
        maximum: float | None = None,
    ) -> float:
        """A finite number >= 0; a ``coefficient`` (ratio, price, weight…) also at most MAX_COEFFICIENT."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self.fail(f"must be a number, got {_show(value)}", path)
        number = float(value)
        if not math.isfinite(number):
            raise self.fail(f"must be a finite number, got {number}", path)
        if 0 < abs(number) < MIN_MAGNITUDE and not tiny:
            raise self.fail(f"is implausibly small (0, or at least {MIN_MAGNITUDE:g}), got {value}", path)
        if positive and number <= 0:
            raise self.fail(f"must be greater than 0, got {value}", path)
        if number < 0:
            raise self.fail(f"must not be negative, got {value}", path)
        if below_one and number >= 1:
            raise self.fail(f"must be below 1, got {value}", path)
        if coefficient and number > MAX_COEFFICIENT:
            raise self.fail(f"is implausibly large (at most {MAX_COEFFICIENT:g}), got {value}", path)
        if maximum is not None and number > maximum:
            raise self.fail(f"must be at most {maximum:g}, got {value}", path)
        return number

    def integer(self, value: Any, path: str, minimum: int | None = None, maximum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise self.fail(f"must be an integer, got {_show(value)}", path)
        if minimum is not None and value < minimum:
            raise self.fail(f"must be at least {minimum}, got {value}", path)
        if maximum is not None and value > maximum:
            raise self.fail(f"must be at most {maximum}, got {value}", path)
        return int(value)

    def count(self, items: Sized, limit: int, path: str, what: str) -> None:
        if len(items) > limit:
            raise self.fail(f"has {len(items):,} {what}; at most {limit:,} are allowed", path)

    def amounts(self, value: Any, years: int, path: str) -> tuple[float, ...]:
        """One number per horizon year from a number or a list of exactly ``years`` numbers."""
        if isinstance(value, list):
            if len(value) != years:
                raise self.fail(
                    f"has {len(value)} numbers but the horizon has {years} year(s); "
                    f"give one number per year or a single number for every year",
                    path,
                )
            return tuple(self.number(item, f"{path}[{i}]") for i, item in enumerate(value))
        return (self.number(value, path),) * years


def _show(value: Any) -> str:
    kinds = {bool: "a boolean", str: "text", list: "a list", dict: "a table"}
    kind = next((name for kind, name in kinds.items() if isinstance(value, kind)), type(value).__name__)
    shown = repr(value)
    return f"{kind} {shown}" if len(shown) <= 40 else kind


def scenario_from_dict(raw: dict[str, Any], base_dir: str | Path, label: str) -> Scenario:
    """Validate a merged scenario dictionary (SPEC §1.1) and build the Scenario.

    Parameters
    ----------
    raw
        The scenario as a plain dictionary (the merged TOML, no ``extends``).
    base_dir
        The directory a relative ``projects`` or ``sites`` path is resolved against.
    label
        The file name used in error messages.
    """
    check = _Checker(label)
    raw = _plain(check.table(raw, ""))
    if "extends" in raw:
        raise check.fail("'extends' is resolved when a file is read; use load_scenario", "extends")
    check.keys(raw, TOP_KEYS, "")

    if "name" not in raw:
        raise check.fail("a scenario needs a 'name'", "name")
    name = check.ident(raw["name"], "name")
    description = check.string(raw.get("description", ""), "description", lines=True)
    if "projects" not in raw:
        raise check.fail("a scenario needs 'projects', the path of its projects table", "projects")
    projects_text = check.string(raw["projects"], "projects")
    if not projects_text.strip():
        raise check.fail("'projects' is blank", "projects")
    projects_path = Path(os.path.abspath(Path(base_dir) / projects_text))
    raw["projects"] = str(projects_path)
    sites_path = None
    if "sites" in raw:
        sites_text = check.string(raw["sites"], "sites")
        if not sites_text.strip():
            raise check.fail("'sites' is blank; remove the key for a scenario without sites", "sites")
        sites_path = Path(os.path.abspath(Path(base_dir) / sites_text))
        raw["sites"] = str(sites_path)
    start_year = check.integer(raw.get("start_year", DEFAULT_START_YEAR), "start_year", *YEAR_RANGE)
    years = check.integer(raw.get("years", 1), "years", minimum=1, maximum=MAX_YEARS)

    zones = _zones(check, raw.get("zones"))
    zone_ids = [zone.id for zone in zones]
    quota_tables = check.table(raw.get("quotas", {}), "quotas")
    check.count(quota_tables, MAX_QUOTAS, "quotas", "quotas")
    quotas = tuple(
        _quota(check, quota_id, table, years, zone_ids) for quota_id, table in quota_tables.items()
    )
    for quota in quotas:
        if quota.site_classes and sites_path is None:
            raise check.fail(
                "site_classes charge the land classes of the chosen site, but the scenario has no sites "
                'table: add sites = "sites.csv" or remove site_classes',
                f"quotas.{quota.id}.site_classes",
            )
    objective = _objective(check, raw.get("objective", {}))
    solver = _solver(check, raw.get("solver", {}))
    return Scenario(
        name=name,
        description=description,
        projects_path=projects_path,
        start_year=start_year,
        years=years,
        zones=zones,
        quotas=quotas,
        objective=objective,
        solver=solver,
        sites_path=sites_path,
        raw=raw,
    )


def _entry_path(prefix: str, entry: Any, index: int) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
        return f"{prefix}[{entry['id']}]"
    return f"{prefix}[#{index + 1}]"


def _zones(check: _Checker, value: Any) -> tuple[Zone, ...]:
    if value is None:
        raise check.fail("a scenario needs at least one [[zones]] entry", "zones")
    if not isinstance(value, list) or not value:
        raise check.fail("must be a non-empty array of [[zones]] tables", "zones")
    check.count(value, MAX_ZONES, "zones", "zones")
    zones: list[Zone] = []
    for index, entry in enumerate(value):
        path = _entry_path("zones", entry, index)
        table = check.table(entry, path)
        check.keys(table, ZONE_KEYS, path)
        if "id" not in table:
            raise check.fail("every zone needs an 'id'", f"{path}.id")
        zone_id = check.ident(table["id"], f"{path}.id")
        if any(zone.id == zone_id for zone in zones):
            raise check.fail(f"zone id '{zone_id}' is declared twice", f"{path}.id")
        screens = {
            key: check.number(table[key], f"{path}.{key}")
            for key in ("min_investment_intensity", "min_tax_per_mu")
            if key in table
        }
        zone_name = check.string(table.get("name", zone_id), f"{path}.name")
        industries = None
        if "industries" in table:
            industries = _names(check, table["industries"], f"{path}.industries", "industry")
        zones.append(Zone(id=zone_id, name=zone_name, industries=industries, **screens))
    return tuple(zones)


def _quota(check: _Checker, quota_id: str, value: Any, years: int, zone_ids: list[str]) -> Quota:
    path = f"quotas.{quota_id}"
    check.ident(quota_id, path)
    table = check.table(value, path)
    check.keys(table, QUOTA_KEYS, path)
    if "demand" not in table:
        raise check.fail("a quota needs 'demand', the projects-table column it charges", f"{path}.demand")
    demand = check.string(table["demand"], f"{path}.demand").strip()
    if not demand:
        raise check.fail("'demand' is blank", f"{path}.demand")
    sources_value = table.get("sources", [])
    if not isinstance(sources_value, list):
        raise check.fail("must be an array of [[...sources]] tables", f"{path}.sources")
    check.count(sources_value, MAX_SOURCES, f"{path}.sources", "sources")
    sources: list[Source] = []
    for index, entry in enumerate(sources_value):
        source = _source(check, _entry_path(f"{path}.sources", entry, index), entry, years, zone_ids)
        if any(other.id == source.id for other in sources):
            raise check.fail(
                f"source id '{source.id}' is declared twice in quota '{quota_id}'",
                f"{path}.sources[{source.id}].id",
            )
        sources.append(source)
    return Quota(
        id=quota_id,
        unit=check.string(table.get("unit", ""), f"{path}.unit"),
        demand=demand,
        sources=tuple(sources),
        ratio=check.number(table.get("ratio", 1.0), f"{path}.ratio", coefficient=True),
        carry_over=check.boolean(table.get("carry_over", True), f"{path}.carry_over"),
        name=check.string(table.get("name", ""), f"{path}.name"),
        site_classes=(
            _names(check, table["site_classes"], f"{path}.site_classes", "land class", ident=True)
            if "site_classes" in table
            else ()
        ),
    )


def _names(check: _Checker, value: Any, path: str, what: str, *, ident: bool = False) -> tuple[str, ...]:
    """A non-empty list of distinct names (industries, land classes); ``ident`` ones as ids."""
    if not isinstance(value, list) or not value:
        raise check.fail(f"must be a non-empty list of {what} names, got {_show(value)}", path)
    names: list[str] = []
    for index, item in enumerate(value):
        name = (check.ident if ident else check.string)(item, f"{path}[{index}]").strip()
        if not name:
            raise check.fail(f"{what} name {index + 1} is blank", path)
        if name in names:
            raise check.fail(f"{what} '{name}' is listed twice", path)
        names.append(name)
    return tuple(names)


def _source(check: _Checker, path: str, value: Any, years: int, zone_ids: list[str]) -> Source:
    table = check.table(value, path)
    check.keys(table, SOURCE_KEYS, path)
    if "id" not in table:
        raise check.fail("every source needs an 'id'", f"{path}.id")
    source_id = check.ident(table["id"], f"{path}.id")
    if "scope" not in table:
        raise check.fail('a source needs \'scope\' = "city" or "zone"', f"{path}.scope")
    scope = check.string(table["scope"], f"{path}.scope")
    if scope not in ("city", "zone"):
        raise check.fail(f'scope must be "city" or "zone", got \'{scope}\'', f"{path}.scope")
    if "amounts" not in table:
        raise check.fail("a source needs 'amounts' (a number or one number per year)", f"{path}.amounts")
    amounts_value = table["amounts"]
    amounts_path = f"{path}.amounts"
    amounts: dict[str | None, tuple[float, ...]]
    if scope == "city":
        if isinstance(amounts_value, dict):
            raise check.fail(
                "a city source serves every zone: give a number or a list, not a table of zones", amounts_path
            )
        amounts = {None: check.amounts(amounts_value, years, amounts_path)}
    elif isinstance(amounts_value, dict):
        for zone_id in amounts_value:
            if zone_id not in zone_ids:
                raise check.fail(
                    f"zone '{zone_id}' is not declared in [[zones]]{_nearest(zone_id, zone_ids)}",
                    f"{amounts_path}.{zone_id}",
                )
        amounts = {
            zone_id: (
                check.amounts(amounts_value[zone_id], years, f"{amounts_path}.{zone_id}")
                if zone_id in amounts_value
                else (0.0,) * years
            )
            for zone_id in zone_ids
        }
    else:
        same = check.amounts(amounts_value, years, amounts_path)
        amounts = {zone_id: same for zone_id in zone_ids}
    return Source(
        id=source_id,
        scope=scope,  # type: ignore[arg-type]  # checked above
        amounts=amounts,
        price=check.number(table.get("price", 0.0), f"{path}.price", coefficient=True),
        name=check.string(table.get("name", ""), f"{path}.name"),
    )


def _objective(check: _Checker, value: Any) -> Objective:
    table = check.table(value, "objective")
    check.keys(table, OBJECTIVE_KEYS, "objective")
    if "weights" in table:
        weights_table = check.table(table["weights"], "objective.weights")
        check.keys(weights_table, OBJECTIVE_INDICATORS, "objective.weights")
        weights = {
            key: check.number(weights_table.get(key, 0.0), f"objective.weights.{key}", coefficient=True)
            for key in OBJECTIVE_INDICATORS
        }
    else:
        weights = dict(DEFAULT_WEIGHTS)
    return Objective(
        weights=weights,
        strategic_bonus=check.number(
            table.get("strategic_bonus", 0.0), "objective.strategic_bonus", coefficient=True
        ),
        discount_rate=check.number(
            table.get("discount_rate", 0.06), "objective.discount_rate", coefficient=True
        ),
        appraisal_years=check.integer(
            table.get("appraisal_years", 10),
            "objective.appraisal_years",
            minimum=1,
            maximum=MAX_APPRAISAL_YEARS,
        ),
        relocation_penalty=check.number(
            table.get("relocation_penalty", 0.0), "objective.relocation_penalty", below_one=True
        ),
        purchase_budget=check.number(table.get("purchase_budget", 1e30), "objective.purchase_budget"),
    )


def _solver(check: _Checker, value: Any) -> SolverSettings:
    table = check.table(value, "solver")
    check.keys(table, SOLVER_KEYS, "solver")
    solver_name = check.string(table.get("name", "highs"), "solver.name")
    if solver_name not in SOLVER_NAMES:
        raise check.fail(
            f"unknown solver '{solver_name}'{_nearest(solver_name, SOLVER_NAMES)}", "solver.name"
        )
    return SolverSettings(
        name=solver_name,  # type: ignore[arg-type]  # checked above
        time_limit=check.number(
            table.get("time_limit", 60.0), "solver.time_limit", positive=True, maximum=MAX_TIME_LIMIT
        ),
        gap=check.number(table.get("gap", 1e-4), "solver.gap", tiny=True),
        seed=check.integer(table.get("seed", 0), "solver.seed", minimum=0, maximum=MAX_SEED),
    )


def _label(scenario: Scenario) -> str:
    return scenario.path.name if scenario.path else f"scenario '{scenario.name}'"


def with_values(scenario: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """A validated variant of ``scenario`` with some values of its TOML changed.

    Parameters
    ----------
    scenario
        The scenario to start from (left untouched).
    changes
        ``{dotted_key: value}``. Keys walk ``Scenario.raw``; arrays of tables are
        addressed by id, e.g. ``zones.tianying.min_tax_per_mu``,
        ``quotas.land.sources.plan.amounts``, ``objective.weights.tax``. A value of
        None removes the key, so its default applies.

    Raises
    ------
    InputError
        On a key path that does not exist or a value that fails validation.
    """
    label = _label(scenario)
    raw = copy.deepcopy(scenario.raw)
    for dotted, value in changes.items():
        _set_value(raw, dotted, _plain(value), label)
    base_dir = scenario.path.parent if scenario.path else scenario.projects_path.parent
    variant = scenario_from_dict(raw, base_dir, label)
    return dataclasses.replace(variant, path=scenario.path)


def _set_value(raw: dict[str, Any], dotted: str, value: Any, label: str) -> None:
    parts = dotted.split(".")
    if not all(parts):
        raise InputError(f"'{dotted}' is not a dotted key path", file=label, column=dotted)
    node: Any = raw
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        walked = ".".join(parts[:depth]) or "the scenario"
        if isinstance(node, dict):
            if last:
                if value is None:
                    node.pop(part, None)
                else:
                    node[part] = value
                return
            if part not in node and tuple(parts[: depth + 1]) in _TABLES_CREATED_ON_DEMAND:
                node[part] = dict(_TABLES_CREATED_ON_DEMAND[tuple(parts[: depth + 1])])
            if part not in node:
                raise InputError(
                    f"there is no '{part}' in {walked}{_nearest(part, node)}", file=label, column=dotted
                )
            node = node[part]
        elif _has_ids(node):
            ids = [entry["id"] for entry in node]
            if part not in ids:
                raise InputError(
                    f"no entry with id '{part}' in {walked}{_nearest(part, ids)}", file=label, column=dotted
                )
            index = ids.index(part)
            if last:
                if value is None:
                    del node[index]
                else:
                    node[index] = value
                return
            node = node[index]
        else:
            raise InputError(
                f"{walked} is a value, not a table: cannot set '{part}'", file=label, column=dotted
            )


def scenario_to_toml(scenario: Scenario, relative_to: Path | None = None) -> str:
    """The scenario as one standalone TOML text (no ``extends``).

    Parameters
    ----------
    scenario
        The scenario to write.
    relative_to
        The directory the TOML will be saved in (or the TOML file itself); when given,
        ``projects`` and ``sites`` are written relative to it, otherwise as an absolute path.
    """
    raw = _plain(scenario.raw)
    tables = {"projects": scenario.projects_path, "sites": scenario.sites_path}
    for key, table_path in tables.items():
        if table_path is None:
            continue
        if relative_to is not None:
            folder = Path(relative_to)
            if folder.suffix.lower() == ".toml" or folder.is_file():
                folder = folder.parent
            raw[key] = Path(os.path.relpath(table_path, os.path.abspath(folder))).as_posix()
        else:
            raw[key] = str(table_path)
    return toml_text(raw)


#: Longest line, in characters, that an array is joined onto (tomli_w's own limit for inline tables).
TOML_LINE_LENGTH = 100

_OPENING = re.compile(r"^(?P<head>.*)\[$")
_ITEM = re.compile(r"^\s+(?P<item>[^\s\[\]{].*),$")
_CLOSING = re.compile(r"^(?P<indent>\s*)\](?P<tail>,?)$")


def toml_text(document: Mapping[str, Any], *, multiline_strings: bool = False) -> str:
    """``document`` as TOML text written by ``tomli_w``, laid out to be read by a planner.

    tomli_w puts every array item on a line of its own; an array of plain values (numbers, strings,
    booleans) that fits on one line of :data:`TOML_LINE_LENGTH` characters is joined onto it, so five
    yearly amounts read ``amounts = [51, 41, 31, 20, 10]``. The joined text is parsed back and kept only
    when it holds exactly what tomli_w wrote. ``multiline_strings``: strings with line breaks are written
    as multi-line strings.
    """
    written = tomli_w.dumps(document, multiline_strings=multiline_strings)
    lines = written.split("\n")
    joined: list[str] = []
    in_string = False  # inside a multi-line string (tomli_w escapes every quote within one)
    i = 0
    while i < len(lines):
        if lines[i].count('"""') % 2:
            in_string = not in_string
        opening = None if in_string else _OPENING.match(lines[i])
        items: list[str] = []
        j = i + 1
        while opening and j < len(lines) and (item := _ITEM.match(lines[j])):
            items.append(item.group("item"))
            j += 1
        closing = _CLOSING.match(lines[j]) if opening and items and j < len(lines) else None
        line = f"{opening.group('head')}[{', '.join(items)}]{closing.group('tail')}" if closing else ""
        if closing and len(line) <= TOML_LINE_LENGTH:
            joined.append(line)
            i = j + 1
        else:
            joined.append(lines[i])
            i += 1
    text = "\n".join(joined)
    return text if tomllib.loads(text) == tomllib.loads(written) else written
