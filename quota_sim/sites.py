"""The sites table (地块, SPEC §5): parcels inside the parks, their area, readiness and land classes.

A site lies in one zone, has an area (mu), a first year a project may start on it, and the
area of each land class inside it (``<class>_mu`` columns: construction, cropland, basic
farmland, public-welfare forest, commercial forest, …). Read from CSV (UTF-8 or GBK) or XLSX
with the same machinery as the projects table (:mod:`quota_sim.tables`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from quota_sim.errors import InputError
from quota_sim.input_files import TableRows, read_input_file
from quota_sim.tables import (
    UNIT_SUFFIX,
    cell_key,
    cell_text,
    hidden_warnings,
    is_blank,
    normalise_header,
    parse_number,
    read_rows,
    suggest,
)

if TYPE_CHECKING:
    from quota_sim.scenario import Scenario

CLASS_SUFFIX = "_mu"
REQUIRED_COLUMNS = ("id", "zone", "area_mu")
OPTIONAL_COLUMNS = ("name", "ready_year", "geometry")
CALENDAR_YEAR_WINDOW = 100  # a ready_year this far from the horizon start is not a calendar year
_SUM_TOL = 1e-9  # relative slack on "class areas sum to at most area_mu"
_GEOMETRY_KINDS = ("POINT", "POLYGON", "MULTIPOLYGON")

# Chinese headers as planners write them, after normalisation (spaces removed, lower case).
HEADER_ALIASES = {
    "地块编号": "id",
    "地块代码": "id",
    "编号": "id",
    "地块名称": "name",
    "名称": "name",
    "所在园区": "zone",
    "园区": "zone",
    "面积": "area_mu",
    "地块面积": "area_mu",
    "总面积": "area_mu",
    "可供年份": "ready_year",
    "供地年份": "ready_year",
    "可用年份": "ready_year",
    "几何": "geometry",
    "边界": "geometry",
    "坐标": "geometry",
    "wkt": "geometry",
    "建设用地": "construction_mu",
    "耕地": "cropland_mu",
    "一般耕地": "cropland_mu",
    "永久基本农田": "basic_farmland_mu",
    "基本农田": "basic_farmland_mu",
    "公益林": "public_forest_mu",
    "公益林地": "public_forest_mu",
    "公益性林地": "public_forest_mu",
    "商品林": "commercial_forest_mu",
    "商品林地": "commercial_forest_mu",
    "经济林": "commercial_forest_mu",
    "经济林地": "commercial_forest_mu",
    "未利用地": "unused_mu",
}


@dataclass(frozen=True)
class Sites:
    """The parcels, one entry per site in input order; areas in mu.

    ``ready_year`` is the first calendar year a project may start on the site, 0 where the
    table leaves it blank (from the horizon's first year). ``classes`` maps each land class
    of the table (its column without ``_mu``, in column order) to its area on every site;
    a class the table lacks counts as 0 everywhere.
    """

    path: Path
    ids: list[str]
    names: list[str]
    zones: list[str]
    area_mu: np.ndarray
    ready_year: np.ndarray  # int, calendar year; 0 = from the horizon's start
    classes: dict[str, np.ndarray] = field(default_factory=dict)
    geometry: list[str] = field(default_factory=list)  # WKT (lon/lat) or ""
    rows: list[int] = field(default_factory=list)  # spreadsheet row of each site (header = 1)
    warnings: tuple[str, ...] = ()  # things read that a planner may not have meant (hidden rows...)

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def index(self) -> dict[str, int]:
        """Site id -> its position in the table."""
        return {site: k for k, site in enumerate(self.ids)}

    def in_zone(self, zone: str) -> list[int]:
        """Indices of the sites lying in ``zone``, in table order."""
        return self._by_zone.get(zone, [])

    @cached_property
    def _by_zone(self) -> dict[str, list[int]]:
        by_zone: dict[str, list[int]] = {}
        for k, zone in enumerate(self.zones):
            by_zone.setdefault(zone, []).append(k)
        return by_zone

    def zone_of(self) -> dict[str, str]:
        """Site id -> the zone it lies in."""
        return dict(zip(self.ids, self.zones, strict=True))

    def share(self, classes: Sequence[str]) -> np.ndarray:
        """Per site, the share of its area in ``classes`` (SPEC §5 ``share_q``); 1 when none is listed."""
        if not classes:
            return np.ones(len(self))
        listed = np.zeros(len(self))
        for name in classes:
            if name in self.classes:
                listed += self.classes[name]
        return listed / self.area_mu


def sites_for(scenario: Scenario) -> Sites | None:
    """The sites table of a scenario, checked against its zones (None when it has none)."""
    if scenario.sites_path is None:
        return None
    return load_sites(scenario.sites_path, scenario.zone_ids(), scenario.start_year)


def load_sites(path: str | Path, zone_ids: Sequence[str], start_year: int | None = None) -> Sites:
    """Read and check a sites table (SPEC §5) from a CSV or XLSX file.

    Raises
    ------
    InputError
        Naming the file, the spreadsheet row and the column of the first bad cell.
    """
    path = Path(path)
    data = read_input_file(path, "sites file")
    return read_sites_bytes(data, path.name, zone_ids, start_year, path=path)


def read_sites_bytes(
    data: bytes,
    label: str,
    zone_ids: Sequence[str],
    start_year: int | None = None,
    *,
    path: Path | None = None,
) -> Sites:
    """Read and check a sites table given as bytes; ``label`` picks the format and names the file."""
    return _SitesReader(label, path or Path(label), list(zone_ids), start_year).read(read_rows(data, label))


def canonical_column(header: str) -> str:
    """The name a sites-table header stands for (case, spaces, a unit in parentheses and aliases resolved).

    ``"耕地（亩）"`` -> ``"cropland_mu"``; ``"Area_MU"`` -> ``"area_mu"``.
    """
    key = normalise_header(header)
    stripped = UNIT_SUFFIX.sub("", key) or key
    for candidate in (key, stripped):
        if candidate in REQUIRED_COLUMNS or candidate in OPTIONAL_COLUMNS:
            return candidate
        if candidate in HEADER_ALIASES:
            return HEADER_ALIASES[candidate]
    return stripped


def _is_class_column(key: str) -> bool:
    return key.endswith(CLASS_SUFFIX) and key != "area_mu" and len(key) > len(CLASS_SUFFIX)


class _SitesReader:
    """Checks a sites table's header and cells, raising InputError at the first bad one."""

    def __init__(self, label: str, path: Path, zone_ids: list[str], start_year: int | None) -> None:
        self.label = label
        self.path = path
        self.zone_ids = zone_ids
        self.start_year = start_year
        self.columns: dict[str, int] = {}  # canonical name -> cell index
        self.headers: dict[str, str] = {}  # canonical name -> header text as written
        self.row = 0
        self.site = ""

    def fail(self, message: str, column: str | None = None) -> InputError:
        prefix = f"site {self.site}: " if self.site else ""
        header = self.headers.get(column, column) if column else None
        return InputError(prefix + message, file=self.label, row=self.row or None, column=header)

    def read(self, rows: TableRows) -> Sites:
        records = iter(rows)
        header = next(records, None)
        if header is None or all(is_blank(cell) for cell in header):
            raise InputError(
                "the sites table is empty: row 1 must hold the column headers", file=self.label, row=1
            )
        self.row = 1
        self._read_header(header)
        class_keys = [key for key in self.columns if _is_class_column(key)]
        ids: list[str] = []
        names: list[str] = []
        zones: list[str] = []
        areas: list[float] = []
        ready: list[int] = []
        geometry: list[str] = []
        classes: dict[str, list[float]] = {key: [] for key in class_keys}
        first_row_of: dict[str, int] = {}
        site_rows: list[int] = []
        for number, cells in enumerate(records, start=2):
            if all(is_blank(cell) for cell in cells):
                continue
            self.row, self.site = number, ""
            site_id = self._cell(cells, "id")
            if is_blank(site_id):
                raise self.fail("the site id is blank", "id")
            self.site = cell_key(site_id)
            if self.site in first_row_of:
                raise self.fail(
                    f"id '{self.site}' is used twice (rows {first_row_of[self.site]} and {number})", "id"
                )
            first_row_of[self.site] = number
            zone = self._cell(cells, "zone")
            if is_blank(zone):
                raise self.fail("the zone is blank", "zone")
            zone = cell_key(zone)
            if zone not in self.zone_ids:
                raise self.fail(
                    f"zone '{zone}' is not declared in the scenario (declared: {', '.join(self.zone_ids)})"
                    + suggest(zone, self.zone_ids),
                    "zone",
                )
            area = self._number(self._cell(cells, "area_mu"), "area_mu")
            if area <= 0:
                raise self.fail(f"area_mu must be greater than 0, got {area:g}", "area_mu")
            parts = {key: self._number(self._cell(cells, key), key) for key in class_keys}
            total = float(np.sum(list(parts.values()))) if parts else 0.0
            if total > area * (1 + _SUM_TOL):
                detail = " + ".join(f"{self.headers[k]} {v:g}" for k, v in parts.items() if v > 0)
                raise self.fail(
                    f"the land classes sum to {total:g} mu ({detail}), more than area_mu {area:g}", "area_mu"
                )
            ids.append(self.site)
            name = self._cell(cells, "name")
            names.append("" if is_blank(name) else cell_text(name))
            zones.append(zone)
            areas.append(area)
            ready.append(self._ready_year(self._cell(cells, "ready_year")))
            geometry.append(self._geometry(self._cell(cells, "geometry")))
            for key, value in parts.items():
                classes[key].append(value)
            site_rows.append(number)
        if not ids:
            raise InputError("the sites table has no site (only a header row)", file=self.label)
        return Sites(
            path=self.path,
            ids=ids,
            names=names,
            zones=zones,
            area_mu=np.array(areas, dtype=float),
            ready_year=np.array(ready, dtype=int),
            classes={
                key[: -len(CLASS_SUFFIX)]: np.array(values, dtype=float) for key, values in classes.items()
            },
            geometry=geometry,
            rows=site_rows,
            warnings=hidden_warnings(
                self.label, rows, site_rows, {self.headers[k]: i for k, i in self.columns.items()}, "sites"
            ),
        )

    def _read_header(self, cells: list[Any]) -> None:
        for index, cell in enumerate(cells):
            if is_blank(cell):
                continue
            text = cell_text(cell)
            key = canonical_column(text)
            used = key in REQUIRED_COLUMNS or key in OPTIONAL_COLUMNS or _is_class_column(key)
            if key in self.columns and used:
                raise InputError(
                    f"columns '{self.headers[key]}' and '{text}' both mean '{key}'",
                    file=self.label,
                    row=1,
                    column=text,
                )
            if used:
                self.columns[key] = index
                self.headers[key] = text
        for key in REQUIRED_COLUMNS:
            if key not in self.columns:
                raise InputError(f"required column '{key}' is missing", file=self.label, row=1, column=key)

    def _cell(self, cells: list[Any], key: str) -> Any:
        index = self.columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    def _number(self, value: Any, column: str) -> float:
        try:
            return parse_number(value)
        except ValueError as error:
            raise self.fail(str(error), column) from None

    def _ready_year(self, value: Any) -> int:
        number = self._number(value, "ready_year")
        if not number.is_integer():
            raise self.fail(f"{number:g} is not a whole year", "ready_year")
        year = int(number)
        if year and self.start_year is not None and abs(year - self.start_year) > CALENDAR_YEAR_WINDOW:
            raise self.fail(
                f"ready_year {year} is not a calendar year near the horizon start {self.start_year}",
                "ready_year",
            )
        return year

    def _geometry(self, value: Any) -> str:
        if is_blank(value):
            return ""
        text = cell_text(value)
        kind = text.split("(", 1)[0].strip().upper()
        if kind not in _GEOMETRY_KINDS or not text.endswith(")"):
            raise self.fail(
                f"geometry must be WKT, e.g. POINT (117.1 34.2) or POLYGON ((…)), got '{text[:40]}'",
                "geometry",
            )
        return text
