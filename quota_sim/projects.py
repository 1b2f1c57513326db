"""The projects queue (SPEC §1.2): reading CSV/XLSX, checking every cell."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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

LOCK_VALUES = ("in", "out", "")
MIN_LAND_MU = 0.01  # about 6.7 m²: the smallest land demand a project may have


@dataclass(frozen=True)
class Projects:
    """The queue, one entry per project in input order.

    Money in 万元, land in mu. Arrays are aligned with ``ids``.
    ``earliest_year`` is 0 where the table leaves it blank (start at the horizon's first year),
    ``latest_year`` 0 where it is blank (no last start year); ``sites`` is empty where the
    ``site`` cell is blank (any site of the candidate zones, SPEC §5).
    ``demand`` holds every numeric column a quota may charge (``land_mu`` included),
    blank cells read as 0.
    """

    path: Path
    ids: list[str]
    names: list[str]
    industries: list[str]
    industry_codes: list[str]
    zones: list[tuple[str, ...]]  # candidate zones; the first is preferred
    land_mu: np.ndarray
    investment: np.ndarray  # 万元
    output: np.ndarray  # 万元 per year at full production
    tax: np.ndarray  # 万元 per year at full production
    jobs: np.ndarray
    strategic: np.ndarray  # bool
    earliest_year: np.ndarray  # int, calendar year; 0 = no constraint
    ramp_years: np.ndarray  # int >= 0
    lock: list[str]  # "in", "out" or ""
    queued_since: list[str]  # ISO date or ""
    demand: dict[str, np.ndarray] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)  # spreadsheet row of each project (header = 1)
    warnings: tuple[str, ...] = ()  # things read that a planner may not have meant (hidden rows...)
    sites: list[tuple[str, ...]] = field(default_factory=list)  # candidate sites, first preferred; () = any
    latest_year: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # 0 = no limit

    def __len__(self) -> int:
        return len(self.ids)


# ---------------------------------------------------------------------------
# Reading the table
# ---------------------------------------------------------------------------

REQUIRED_COLUMNS = ("id", "zone", "land_mu", "investment", "output")
OPTIONAL_COLUMNS = (
    "name",
    "industry",
    "industry_code",
    "tax",
    "jobs",
    "strategic",
    "earliest_year",
    "ramp_years",
    "lock",
    "queued_since",
    "site",
    "latest_year",
)
TEXT_COLUMNS = (
    "id",
    "name",
    "zone",
    "industry",
    "industry_code",
    "strategic",
    "lock",
    "queued_since",
    "site",
)
NUMBER_COLUMNS = ("land_mu", "investment", "output", "tax", "jobs")

# Chinese headers as planners write them, after normalisation (see _normalise_header).
HEADER_ALIASES = {
    "项目编号": "id",
    "编号": "id",
    "项目名称": "name",
    "名称": "name",
    "园区": "zone",
    "所在园区": "zone",
    "用地面积": "land_mu",
    "用地": "land_mu",
    "总投资": "investment",
    "投资": "investment",
    "年产值": "output",
    "产值": "output",
    "年税收": "tax",
    "税收": "tax",
    "就业人数": "jobs",
    "就业": "jobs",
    "战略性新兴产业": "strategic",
    "行业": "industry",
    "行业代码": "industry_code",
    "最早开工年份": "earliest_year",
    "达产年限": "ramp_years",
    "锁定": "lock",
    "入库日期": "queued_since",
    "地块": "site",
    "选址地块": "site",
    "拟选地块": "site",
    "最晚开工年份": "latest_year",
    # quota demand columns: only with their unit, which decides the column
    "综合能耗(吨标准煤)": "energy_tce",
    "综合能耗(tce)": "energy_tce",
    "能耗(吨标准煤)": "energy_tce",
    "用能(tce)": "energy_tce",
    "用能(tce/年)": "energy_tce",
    "氮氧化物(吨)": "nox_t",
    "氮氧化物(t)": "nox_t",
    "氮氧化物(t/年)": "nox_t",
    "挥发性有机物(吨)": "vocs_t",
    "挥发性有机物(t)": "vocs_t",
    "挥发性有机物(t/年)": "vocs_t",
    "二氧化硫(吨)": "so2_t",
    "二氧化硫(t/年)": "so2_t",
    "化学需氧量(吨)": "cod_t",
    "化学需氧量(t/年)": "cod_t",
    "氨氮(吨)": "nh3n_t",
    "氨氮(t/年)": "nh3n_t",
    "铅(千克)": "lead_kg",
    "铅(kg)": "lead_kg",
    "铅(kg/年)": "lead_kg",
    "铅(吨)": "lead_t",
    "铅(t/年)": "lead_t",
    "林地(亩)": "forest_mu",
    "占用林地(亩)": "forest_mu",
    "基本农田(亩)": "farmland_mu",
    "占用基本农田(亩)": "farmland_mu",
}
TRUE_WORDS = ("1", "true", "yes", "是")
FALSE_WORDS = ("0", "false", "no", "否", "")
CALENDAR_YEAR_WINDOW = 100  # an earliest_year this far from the horizon start is not a calendar year


def load_projects(
    path: str | Path,
    zone_ids: Sequence[str],
    demand_columns: Mapping[str, str] | Sequence[str],
    start_year: int | None = None,
    site_zones: Mapping[str, str] | None = None,
) -> Projects:
    """Read and check a projects table (SPEC §1.2) from a CSV or XLSX file.

    Parameters
    ----------
    path
        The table: ``.csv``/``.txt`` (UTF-8 with or without BOM, or GBK) or ``.xlsx``/``.xlsm``
        (first sheet). A workbook is recognised by its content whatever its name; ``.xls``
        (the old binary format) is refused.
    zone_ids
        The scenario's declared zones; every zone a project names must be one of them.
    demand_columns
        The columns the quotas charge: ``{column: quota id}`` (the id appears in messages)
        or a plain list of columns.
    start_year
        The horizon's first year; when given, an ``earliest_year`` more than
        100 years away from it is rejected as not a calendar year.
    site_zones
        Site id -> zone of the scenario's sites table (SPEC §5); None when it has none, and then a
        non-blank ``site`` cell is an error.

    Raises
    ------
    InputError
        Naming the file, the spreadsheet row and the column of the first bad cell.
    """
    path = Path(path)
    data = read_input_file(path, "projects file")
    return _read_table(data, path.name, path, zone_ids, demand_columns, start_year, site_zones)


def read_projects_bytes(
    data: bytes,
    filename: str,
    zone_ids: Sequence[str],
    demand_columns: Mapping[str, str] | Sequence[str],
    start_year: int | None = None,
    site_zones: Mapping[str, str] | None = None,
) -> Projects:
    """Read and check an uploaded projects table; ``filename`` picks the format and names the file.

    See :func:`load_projects` for the parameters.
    """
    return _read_table(data, filename, Path(filename), zone_ids, demand_columns, start_year, site_zones)


def projects_for(scenario: Scenario) -> Projects:
    """The projects table of a scenario, checked against its zones, its quotas' demand columns and
    its sites table; its ``warnings`` hold the sites table's first (hidden rows and columns read)."""
    sites = scenario.sites
    charged_by: dict[str, list[str]] = {}
    for quota in scenario.quotas:
        charged_by.setdefault(quota.demand, []).append(quota.id)
    projects = load_projects(
        scenario.projects_path,
        scenario.zone_ids(),
        {column: ", ".join(ids) for column, ids in charged_by.items()},
        start_year=scenario.start_year,
        site_zones=sites.zone_of() if sites is not None else None,
    )
    if sites is None or not sites.warnings:
        return projects
    return dataclasses.replace(projects, warnings=(*sites.warnings, *projects.warnings))


def _read_table(
    data: bytes,
    label: str,
    path: Path,
    zone_ids: Sequence[str],
    demand_columns: Mapping[str, str] | Sequence[str],
    start_year: int | None,
    site_zones: Mapping[str, str] | None = None,
) -> Projects:
    rows = read_rows(data, label)
    if isinstance(demand_columns, str):
        demand_columns = [demand_columns]
    if not isinstance(demand_columns, Mapping):
        demand_columns = {column: "" for column in demand_columns}
    return _TableReader(label, path, list(zone_ids), start_year, site_zones).read(rows, demand_columns)


def canonical_column(header: str) -> str:
    """The name a header stands for: case, spaces, a trailing unit in parentheses and aliases resolved.

    ``"用地面积（亩）"`` -> ``"land_mu"``; ``" Land_MU "`` -> ``"land_mu"``; ``"NOx_t (t)"`` -> ``"nox_t"``.
    Headers and quota demand columns are matched by this name.
    """
    key = normalise_header(header)
    stripped = UNIT_SUFFIX.sub("", key) or key
    for candidate in (key, stripped):
        if candidate in REQUIRED_COLUMNS or candidate in OPTIONAL_COLUMNS:
            return candidate
        if candidate in HEADER_ALIASES:
            return HEADER_ALIASES[candidate]
    return stripped


class _TableReader:
    """Checks a table's header and cells, raising InputError at the first bad one."""

    def __init__(
        self,
        label: str,
        path: Path,
        zone_ids: list[str],
        start_year: int | None,
        site_zones: Mapping[str, str] | None = None,
    ) -> None:
        self.label = label
        self.site_zones = site_zones
        self.path = path
        self.zone_ids = zone_ids
        self.start_year = start_year
        self.columns: dict[str, int] = {}  # canonical name -> cell index
        self.headers: dict[str, str] = {}  # canonical name -> header text as written
        self.width = 0  # cells up to the last header
        self.row = 0
        self.project = ""  # id of the row being read, once known
        self.used: set[str] = set()  # canonical names of the columns the model reads

    def fail(self, message: str, column: str | None = None) -> InputError:
        prefix = f"project {self.project}: " if self.project else ""
        header = self.headers.get(column, column) if column else None
        return InputError(prefix + message, file=self.label, row=self.row or None, column=header)

    def read(self, rows: TableRows, demand_columns: Mapping[str, str]) -> Projects:
        records = iter(rows)
        header = next(records, None)
        if header is None or all(is_blank(cell) for cell in header):
            raise InputError("the table is empty: row 1 must hold the column headers", file=self.label, row=1)
        self.row = 1
        self._read_header(header, demand_columns)
        demand_keys = {column: canonical_column(column) for column in demand_columns}
        values: dict[str, list[Any]] = {key: [] for key in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
        extra = {column: [] for column, key in demand_keys.items() if key not in NUMBER_COLUMNS}
        first_row_of: dict[str, int] = {}
        project_rows: list[int] = []
        for number, cells in enumerate(records, start=2):
            if all(is_blank(cell) for cell in cells):
                continue
            self.row, self.project = number, ""
            self._check_width(cells)
            project = self._read_project(cells)
            if project["id"] in first_row_of:
                raise self.fail(
                    f"id '{project['id']}' is used twice (rows {first_row_of[project['id']]} and {number})",
                    "id",
                )
            first_row_of[project["id"]] = number
            for key, value in project.items():
                values[key].append(value)
            for column, column_values in extra.items():
                key = demand_keys[column]
                column_values.append(self._number(self._cell(cells, key), key))
            project_rows.append(number)
        if not project_rows:
            raise InputError("the table has no project (only a header row)", file=self.label)
        arrays = {key: np.array(values[key], dtype=float) for key in NUMBER_COLUMNS}
        demand = {"land_mu": arrays["land_mu"]}
        for column, key in demand_keys.items():
            demand[column] = arrays[key] if key in NUMBER_COLUMNS else np.array(extra[column], dtype=float)
        return Projects(
            path=self.path,
            ids=values["id"],
            names=values["name"],
            industries=values["industry"],
            industry_codes=values["industry_code"],
            zones=values["zone"],
            land_mu=arrays["land_mu"],
            investment=arrays["investment"],
            output=arrays["output"],
            tax=arrays["tax"],
            jobs=arrays["jobs"],
            strategic=np.array(values["strategic"], dtype=bool),
            earliest_year=np.array(values["earliest_year"], dtype=int),
            ramp_years=np.array(values["ramp_years"], dtype=int),
            lock=values["lock"],
            queued_since=values["queued_since"],
            demand=demand,
            rows=project_rows,
            warnings=hidden_warnings(self.label, rows, project_rows, self._read_columns(), "projects"),
            sites=values["site"],
            latest_year=np.array(values["latest_year"], dtype=int),
        )

    def _read_columns(self) -> dict[str, int]:
        """The columns the model reads: header as written -> cell index."""
        return {self.headers[key]: index for key, index in self.columns.items() if key in self.used}

    def _read_header(self, cells: list[Any], demand_columns: Mapping[str, str]) -> None:
        used = {*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *(canonical_column(c) for c in demand_columns)}
        self.used = used
        for index, cell in enumerate(cells):
            if is_blank(cell):
                continue
            self.width = index + 1
            text = cell_text(cell)
            key = canonical_column(text)
            if key in self.columns and key not in used:
                continue  # a repeated column the model does not read (e.g. two 备注 columns)
            if key in self.columns:
                raise InputError(
                    f"columns '{self.headers[key]}' and '{text}' both mean '{key}'",
                    file=self.label,
                    row=1,
                    column=text,
                )
            self.columns[key] = index
            self.headers[key] = text
        for key in REQUIRED_COLUMNS:
            if key not in self.columns:
                raise InputError(f"required column '{key}' is missing", file=self.label, row=1, column=key)
        for column, quota in demand_columns.items():
            key = canonical_column(column)
            needed_by = f"quota '{quota}' charges it" if quota else "a quota charges it"
            if key not in self.columns:
                raise InputError(
                    f"column '{column}' is missing; {needed_by}", file=self.label, row=1, column=column
                )
            if key in TEXT_COLUMNS:
                raise InputError(
                    f"column '{column}' holds text, but {needed_by} as a number",
                    file=self.label,
                    row=1,
                    column=column,
                )

    def _check_width(self, cells: list[Any]) -> None:
        width = self.width
        if any(not is_blank(cell) for cell in cells[width:]):
            raise self.fail(
                f"the row has cells beyond the last header column ({len(cells)} cells for {width} columns); "
                "is there an unquoted comma in a text cell?"
            )

    def _cell(self, cells: list[Any], key: str) -> Any:
        index = self.columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    def _read_project(self, cells: list[Any]) -> dict[str, Any]:
        project_id = self._cell(cells, "id")
        if is_blank(project_id):
            raise self.fail("the project id is blank", "id")
        self.project = cell_key(project_id)
        project: dict[str, Any] = {"id": self.project}
        for key in ("name", "industry", "industry_code"):
            value = self._cell(cells, key)
            project[key] = "" if is_blank(value) else cell_text(value)
        project["zone"] = self._zones(self._cell(cells, "zone"))
        for key in NUMBER_COLUMNS:
            value = self._cell(cells, key)
            if is_blank(value) and key in REQUIRED_COLUMNS:
                raise self.fail(f"'{key}' is blank", key)
            project[key] = self._number(value, key)
        if project["land_mu"] < MIN_LAND_MU:
            land = project["land_mu"]
            raise self.fail(f"land_mu must be at least {MIN_LAND_MU:g}, got {land:g}", "land_mu")
        project["strategic"] = self._strategic(self._cell(cells, "strategic"))
        project["earliest_year"] = self._earliest_year(self._cell(cells, "earliest_year"))
        project["ramp_years"] = self._integer(self._cell(cells, "ramp_years"), "ramp_years")
        project["lock"] = self._lock(self._cell(cells, "lock"))
        project["queued_since"] = self._date(self._cell(cells, "queued_since"))
        project["site"] = self._sites(self._cell(cells, "site"), project["zone"])
        project["latest_year"] = self._latest_year(self._cell(cells, "latest_year"), project["earliest_year"])
        return project

    def _number(self, value: Any, column: str) -> float:
        """A number >= 0; blank reads as 0."""
        try:
            return parse_number(value)
        except ValueError as error:
            raise self.fail(str(error), column) from None

    def _integer(self, value: Any, column: str) -> int:
        """A whole number >= 0 (2027 and 2027.0 both read as 2027); blank reads as 0."""
        number = self._number(value, column)
        if not number.is_integer():
            raise self.fail(f"{number:g} is not a whole number", column)
        return int(number)

    def _earliest_year(self, value: Any) -> int:
        year = self._integer(value, "earliest_year")
        if year and self.start_year is not None and abs(year - self.start_year) > CALENDAR_YEAR_WINDOW:
            raise self.fail(
                f"earliest_year {year} is not a calendar year near the horizon start {self.start_year}",
                "earliest_year",
            )
        return year

    def _latest_year(self, value: Any, earliest: int) -> int:
        year = self._integer(value, "latest_year")
        if year and self.start_year is not None and abs(year - self.start_year) > CALENDAR_YEAR_WINDOW:
            raise self.fail(
                f"latest_year {year} is not a calendar year near the horizon start {self.start_year}",
                "latest_year",
            )
        if year and earliest and year < earliest:
            raise self.fail(f"latest_year {year} is before earliest_year {earliest}", "latest_year")
        return year

    def _sites(self, value: Any, zones: tuple[str, ...]) -> tuple[str, ...]:
        """Candidate site ids (SPEC §5): known sites in the project's candidate zones; blank = any."""
        if is_blank(value):
            return ()
        text = cell_key(value)
        if self.site_zones is None:
            raise self.fail(
                f"the project names site '{text}', but the scenario has no sites table "
                '(add sites = "sites.csv" to the scenario, or leave the cell blank)',
                "site",
            )
        sites = [part.strip() for part in text.split("|")]
        for site in sites:
            if not site:
                raise self.fail(f"'{text}' has an empty site id; separate site ids with '|'", "site")
            if site not in self.site_zones:
                raise self.fail(
                    f"site '{site}' is not in the sites table" + suggest(site, list(self.site_zones)), "site"
                )
            if self.site_zones[site] not in zones:
                raise self.fail(
                    f"site '{site}' lies in zone '{self.site_zones[site]}', which is not one of the "
                    "project's "
                    f"candidate zones ({'|'.join(zones)})",
                    "site",
                )
            if sites.count(site) > 1:
                raise self.fail(f"site '{site}' is listed twice in '{text}'", "site")
        return tuple(sites)

    def _zones(self, value: Any) -> tuple[str, ...]:
        if is_blank(value):
            raise self.fail("the zone is blank", "zone")
        text = cell_key(value)
        zones = [part.strip() for part in text.split("|")]
        for zone in zones:
            if not zone:
                raise self.fail(f"'{text}' has an empty zone id; separate zone ids with '|'", "zone")
            if zone not in self.zone_ids:
                raise self.fail(
                    f"zone '{zone}' is not declared in the scenario (declared: {', '.join(self.zone_ids)})"
                    + suggest(zone, self.zone_ids),
                    "zone",
                )
            if zones.count(zone) > 1:
                raise self.fail(f"zone '{zone}' is listed twice in '{text}'", "zone")
        return tuple(zones)

    def _strategic(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        word = "" if value is None else cell_key(value).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise self.fail(f"'{cell_text(value)}' is not one of 1/0, true/false, yes/no, 是/否", "strategic")

    def _lock(self, value: Any) -> str:
        word = "" if value is None else cell_key(value).lower()
        if word not in LOCK_VALUES:
            raise self.fail(f"lock must be 'in', 'out' or blank, got '{cell_text(value)}'", "lock")
        return word

    def _date(self, value: Any) -> str:
        if is_blank(value):
            return ""
        if isinstance(value, datetime.datetime):
            return value.date().isoformat()
        if isinstance(value, datetime.date):
            return value.isoformat()
        text = cell_text(value)
        try:
            return datetime.date.fromisoformat(text).isoformat()
        except ValueError:
            raise self.fail(f"'{text}' is not an ISO date (YYYY-MM-DD)", "queued_since") from None
