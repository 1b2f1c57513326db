"""Synthetic project queues, parcels (sites) and scenarios of any size, seeded.

The ``jieshou`` profile builds a queue shaped like the one the zone's work report describes: a
resource-recycling flagship (recycled lead, plastics, aluminium) next to lead-acid batteries,
bio-based degradable materials, aluminium-based materials, plastic municipal pipes, polymer
materials, nutrition & health, intelligent machinery and logistics, in up to eight parks. Every
figure is synthetic; the ranges and their sources are listed in ``docs/baseline.md``. The parks'
parcels (SPEC §5) hold construction land, cropland, basic farmland, commercial and public-welfare
forest; the quotas charge the classes of the parcel a project is placed on, parks admit industries
by their planning EIA, most projects name intended parcels and signed ones a start deadline.

A cohort of about the same land becomes ready every horizon year, and supplies are fixed fractions
of the queue's demand, so the land shortfall recurs every year and any size of instance is
constrained the same way: land hardest, then lead, energy and NOx. Units: land mu, money 万元,
energy tce per year, emissions t per year, labour jobs.

The same arguments always give the same files: one ``numpy.random.default_rng(seed)`` stream is
drawn in a fixed order, nothing depends on dict or set ordering or on the clock.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from quota_sim import shortfall
from quota_sim.errors import InputError
from quota_sim.output_set import OutputSet
from quota_sim.projects import read_projects_bytes
from quota_sim.scenario import scenario_from_dict, toml_text
from quota_sim.shortfall import LandBalance
from quota_sim.sites import read_sites_bytes

# ---------------------------------------------------------------------------
# The profile: industries, parks, quotas
# ---------------------------------------------------------------------------

Range = tuple[float, float]


@dataclass(frozen=True)
class Industry:
    """An industry of the queue and the ranges its projects are drawn from.

    Investment in 万元 per mu; output as 万元 of yearly output per 万元 invested; tax as a share
    of output; energy in tce per 万元 of output; NOx in t per tce; jobs per mu; VOCs, COD and
    lead in t per mu per year. Sources and rules of every range: ``docs/baseline.md``.
    """

    key: str
    name: str  # Chinese
    code: str  # GB/T 4754-2017 industry code
    share: float  # expected share of the queue's projects
    project_words: tuple[str, ...]  # Chinese project-name stems
    investment_per_mu: Range
    output_per_investment: Range
    tax_per_output: Range
    energy_per_output: Range
    nox_per_tce: Range
    jobs_per_mu: Range
    vocs_per_mu: Range = (0.0, 0.0)
    cod_per_mu: Range = (0.0, 0.0)
    lead_per_mu: Range = (0.0, 0.0)
    strategic_share: float = 0.0  # probability a project is a strategic emerging industry project


@dataclass(frozen=True)
class Park:
    """A park (zone) the profile knows: its screens (DOMAIN §2), the industries it hosts (where
    their projects prefer to go) and admits (its planning EIA's list, 规划环评), and where it lies."""

    id: str
    name: str
    min_investment_intensity: float  # 万元/mu
    min_tax_per_mu: float  # 万元/mu/yr
    hosts: tuple[str, ...]  # industry keys
    also_admits: tuple[str, ...]  # industry keys admitted besides the hosted ones
    origin_km: tuple[float, float]  # south-west corner, km east and north of the city centre
    parcel_prefix: str  # parcel numbers (地块编号) of the park: prefix-01, prefix-02, ...

    @property
    def admits(self) -> tuple[str, ...]:
        return self.hosts + self.also_admits


@dataclass(frozen=True)
class SourcePlan:
    """One supply of a quota as a share of the quota's total supply over the horizon."""

    id: str
    name: str
    scope: str  # "city" or "zone"
    share: float
    price: float = 0.0  # 万元 per unit


@dataclass(frozen=True)
class QuotaPlan:
    """A quota and how much of the queue's charged demand its sources cover over the horizon."""

    id: str
    name: str
    unit: str
    demand: str  # projects-table column
    ratio: float
    coverage: float  # total supply / (ratio * basis), see _plan_total
    sources: tuple[SourcePlan, ...]
    carry_over: bool = True
    site_classes: tuple[str, ...] = ()  # land classes of the site the quota charges (SPEC §5)
    basis: str = "demand"  # "demand": the queue's demand; "sites": the parks' area of site_classes


@dataclass(frozen=True)
class Profile:
    """Everything the generator draws from."""

    name: str
    industries: tuple[Industry, ...]
    parks: tuple[Park, ...]
    quotas: tuple[QuotaPlan, ...]


JIESHOU_INDUSTRIES = (
    Industry(
        "lead", "再生铅", "4210", 0.12,
        ("再生铅循环利用项目", "废铅蓄电池回收处理项目", "再生铅冶炼技术改造项目"),
        investment_per_mu=(200, 350), output_per_investment=(3.5, 6.0), tax_per_output=(0.015, 0.03),
        energy_per_output=(0.06, 0.12), nox_per_tce=(0.003, 0.006), jobs_per_mu=(0.6, 1.5),
        cod_per_mu=(0.02, 0.08), lead_per_mu=(0.003, 0.010),
    ),
    Industry(
        "batteries", "铅蓄电池", "3843", 0.10,
        ("动力铅蓄电池项目", "储能铅碳电池项目", "铅蓄电池极板项目"),
        investment_per_mu=(250, 450), output_per_investment=(2.5, 4.0), tax_per_output=(0.03, 0.05),
        energy_per_output=(0.03, 0.06), nox_per_tce=(0.001, 0.003), jobs_per_mu=(3.0, 6.0),
        cod_per_mu=(0.05, 0.20), lead_per_mu=(0.001, 0.004), strategic_share=0.3,
    ),
    Industry(
        "plastics", "再生塑料", "4220", 0.15,
        ("废旧塑料再生利用项目", "再生塑料颗粒项目", "再生塑料制品项目"),
        investment_per_mu=(150, 350), output_per_investment=(2.5, 4.0), tax_per_output=(0.03, 0.05),
        energy_per_output=(0.05, 0.10), nox_per_tce=(0.0005, 0.0015), jobs_per_mu=(2.0, 4.0),
        vocs_per_mu=(0.05, 0.20), cod_per_mu=(0.2, 0.8),
    ),
    Industry(
        "aluminium_recycling", "再生铝", "4210", 0.09,
        ("再生铝循环利用项目", "废铝回收熔铸项目"),
        investment_per_mu=(200, 400), output_per_investment=(3.0, 5.0), tax_per_output=(0.015, 0.03),
        energy_per_output=(0.06, 0.12), nox_per_tce=(0.003, 0.006), jobs_per_mu=(1.0, 2.5),
    ),
    Industry(
        "bio_based", "生物基可降解材料", "2651", 0.10,
        ("生物基可降解新材料项目", "聚乳酸可降解材料项目", "全生物降解制品项目"),
        investment_per_mu=(300, 500), output_per_investment=(1.5, 3.0), tax_per_output=(0.04, 0.07),
        energy_per_output=(0.06, 0.12), nox_per_tce=(0.001, 0.003), jobs_per_mu=(1.5, 3.5),
        vocs_per_mu=(0.03, 0.10), cod_per_mu=(0.3, 1.0), strategic_share=0.9,
    ),
    Industry(
        "aluminium_materials", "铝基新材料", "3252", 0.08,
        ("铝基新材料项目", "高端铝型材项目", "铝合金精深加工项目"),
        investment_per_mu=(200, 450), output_per_investment=(2.5, 4.0), tax_per_output=(0.03, 0.05),
        energy_per_output=(0.03, 0.07), nox_per_tce=(0.002, 0.004), jobs_per_mu=(1.5, 3.0),
        strategic_share=0.7,
    ),
    Industry(
        "pipes", "高性能塑胶市政管道", "2922", 0.08,
        ("高性能塑胶市政管道项目", "塑料管材管件项目"),
        investment_per_mu=(150, 350), output_per_investment=(2.5, 4.0), tax_per_output=(0.03, 0.05),
        energy_per_output=(0.03, 0.06), nox_per_tce=(0.0005, 0.001), jobs_per_mu=(2.0, 4.0),
        vocs_per_mu=(0.02, 0.10), strategic_share=0.3,
    ),
    Industry(
        "polymer", "高分子新材料", "2659", 0.08,
        ("高分子新材料项目", "工程塑料改性项目", "功能高分子膜材料项目"),
        investment_per_mu=(250, 450), output_per_investment=(2.0, 3.5), tax_per_output=(0.04, 0.07),
        energy_per_output=(0.06, 0.12), nox_per_tce=(0.001, 0.003), jobs_per_mu=(1.5, 3.5),
        vocs_per_mu=(0.05, 0.20), cod_per_mu=(0.1, 0.3), strategic_share=0.9,
    ),
    Industry(
        "nutrition", "营养健康", "1491", 0.07,
        ("营养健康食品项目", "功能性食品项目", "特殊医学用途食品项目"),
        investment_per_mu=(150, 350), output_per_investment=(2.0, 4.0), tax_per_output=(0.05, 0.09),
        energy_per_output=(0.02, 0.05), nox_per_tce=(0.001, 0.002), jobs_per_mu=(3.0, 6.0),
        cod_per_mu=(0.3, 1.0), strategic_share=0.7,
    ),
    Industry(
        "machinery", "智能机械", "3491", 0.07,
        ("智能装备制造项目", "工业机器人项目", "智能输送设备项目"),
        investment_per_mu=(200, 400), output_per_investment=(2.0, 3.5), tax_per_output=(0.05, 0.08),
        energy_per_output=(0.01, 0.03), nox_per_tce=(0.0005, 0.001), jobs_per_mu=(3.0, 6.0),
        strategic_share=0.9,
    ),
    Industry(
        "logistics", "现代物流", "5920", 0.06,
        ("现代物流园项目", "有色金属期货交割仓储项目", "智慧仓储配送项目"),
        investment_per_mu=(150, 250), output_per_investment=(0.5, 1.0), tax_per_output=(0.04, 0.08),
        energy_per_output=(0.01, 0.02), nox_per_tce=(0.0005, 0.001), jobs_per_mu=(0.8, 2.0),
    ),
)

# Screens after the Anhui example (DOMAIN §2): national zone 300/30, city-run 200/20, district-run 150/10.
# Admission (规划环评): heavy metals (recycled lead, lead-acid batteries) only where the plan allows them.
JIESHOU_PARKS = (
    Park("tianying", "田营科技园", 300, 30, ("lead", "aluminium_recycling", "plastics", "batteries"),
         ("pipes", "logistics"), (6.0, -9.0), "TY"),
    Park("chengdong", "城东新材料产业园", 200, 20, ("bio_based", "polymer", "aluminium_materials", "pipes"),
         ("machinery", "nutrition", "logistics"), (4.0, 0.5), "CD"),
    Park("chengnan", "城南循环经济产业园", 150, 10, ("plastics", "aluminium_recycling", "pipes"),
         ("polymer", "aluminium_materials", "logistics"), (-1.5, -5.0), "CN"),
    Park("chengxi", "城西智能制造产业园", 150, 10, ("machinery", "batteries", "nutrition", "logistics"),
         ("aluminium_materials", "pipes", "polymer"), (-7.0, -0.5), "CX"),
    Park("chengbei", "城北营养健康产业园", 200, 20, ("nutrition", "logistics"), ("machinery",),
         (-0.5, 4.5), "CB"),
    Park("lvji", "铝基新材料产业园", 200, 20, ("aluminium_materials", "aluminium_recycling"),
         ("machinery", "logistics"), (10.0, -3.0), "LJ"),
    Park("xinneng", "新能源电池产业园", 200, 20, ("batteries", "polymer"), ("machinery", "logistics"),
         (-6.0, 6.0), "XN"),
    Park("linggang", "临港物流园", 150, 10, ("logistics",), (), (9.0, 6.0), "LG"),
)

# Prices (DOMAIN §2–§4) in 万元 per unit: linkage land ≈ 20万 yuan/mu; energy-use rights 150 yuan/tce;
# NOx 4,500 yuan/t·yr over a 5-year term; lead 500 yuan/kg. No VOCs price was found: NOx's is used.
LINKAGE_PRICE = 20.0
ENERGY_RIGHT_PRICE = 0.015
NOX_RIGHT_PRICE = 2.25
LEAD_RIGHT_PRICE = 50.0
# Heavy-metal key areas replace new lead emissions by more than they add (减量替代, DOMAIN §8): 1.2 t
# retired for every t emitted.
LEAD_REDUCTION_RATIO = 1.2

# Land classes a site may hold (SPEC §5 `<class>_mu` columns) and their Chinese names.
SITE_CLASSES = ("construction", "cropland", "basic_farmland", "commercial_forest", "public_forest", "unused")
SITE_CLASS_NAMES = {
    "construction": "建设用地", "cropland": "一般耕地", "basic_farmland": "永久基本农田",
    "commercial_forest": "商品林地", "public_forest": "公益林地", "unused": "未利用地",
}
# Converting any class but construction land needs new construction-land quota (DOMAIN §7).
NON_CONSTRUCTION = tuple(c for c in SITE_CLASSES if c != "construction")
# Cropland offset (耕地占补平衡) traded in Anhui: 4.83万 mu for 90.13亿 yuan ≈ 18.7万 yuan/mu (DOMAIN §2).
CROPLAND_OFFSET_PRICE = 18.7

JIESHOU_QUOTAS = (
    QuotaPlan("land", "建设用地指标", "mu", "land_mu", 1.0, 0.33, (
        SourcePlan("plan", "年度新增建设用地计划指标", "city", 0.70),
        SourcePlan("stock", "盘活存量（撤回批而未供、闲置土地返还指标）", "zone", 0.20),
        SourcePlan("linkage", "城乡建设用地增减挂钩节余指标", "city", 0.10, LINKAGE_PRICE),
    ), site_classes=NON_CONSTRUCTION),
    QuotaPlan("cropland", "耕地占补平衡指标", "mu", "land_mu", 1.0, 0.60, (
        SourcePlan("own", "自行补充耕地（土地整治新增耕地）", "city", 0.30),
        SourcePlan("market", "省内耕地占补平衡指标交易", "city", 0.70, CROPLAND_OFFSET_PRICE),
    ), site_classes=("cropland", "basic_farmland"), basis="sites"),
    QuotaPlan("energy", "能耗增量指标", "tce", "energy_tce", 1.0, 0.45, (
        SourcePlan("plan", "年度能耗增量", "city", 0.85),
        SourcePlan("trading", "用能权交易", "city", 0.15, ENERGY_RIGHT_PRICE),
    )),
    QuotaPlan("nox", "氮氧化物总量指标", "t", "nox_t", 2.0, 0.45, (
        SourcePlan("allocation", "总量指标分配", "city", 0.60),
        SourcePlan("reduction", "区域削减替代来源", "zone", 0.20),
        SourcePlan("trading", "排污权交易", "city", 0.20, NOX_RIGHT_PRICE),
    )),
    QuotaPlan("vocs", "挥发性有机物总量指标", "t", "vocs_t", 2.0, 0.50, (
        SourcePlan("allocation", "总量指标分配", "city", 0.60),
        SourcePlan("reduction", "区域削减替代来源", "zone", 0.20),
        SourcePlan("trading", "排污权交易", "city", 0.20, NOX_RIGHT_PRICE),
    )),
    QuotaPlan("cod", "化学需氧量总量指标", "t", "cod_t", 1.0, 0.50, (
        SourcePlan("allocation", "总量指标分配", "city", 1.00),
    )),
    QuotaPlan("lead", "重金属（铅）总量指标", "t", "lead_t", LEAD_REDUCTION_RATIO, 0.35, (
        SourcePlan("reduction", "淘汰产能腾出的铅排放量", "city", 0.80),
        SourcePlan("trading", "铅排污权交易", "city", 0.20, LEAD_RIGHT_PRICE),
    )),
    QuotaPlan("labour", "专业技术工人", "人", "jobs", 1.0, 0.40, (
        SourcePlan("pool", "新增技能人才供给（职业院校毕业生、返乡技工）", "city", 1.00),
    ), carry_over=False),
    QuotaPlan("forest", "使用林地定额", "mu", "land_mu", 1.0, 0.30, (
        SourcePlan("quota", "林地定额", "city", 1.00),
    ), site_classes=("commercial_forest",), basis="sites"),
    QuotaPlan("public_forest", "占用公益林", "mu", "land_mu", 1.0, 0.0, (
        SourcePlan("approval", "公益林不得用于一般工业项目", "city", 1.00),
    ), site_classes=("public_forest",), basis="sites"),
    QuotaPlan("farmland", "永久基本农田调整", "mu", "land_mu", 1.0, 0.0, (
        SourcePlan("adjustment", "调整国土空间规划（基本农田补划）", "city", 1.00),
    ), site_classes=("basic_farmland",), basis="sites"),
)

PROFILES = {"jieshou": Profile("jieshou", JIESHOU_INDUSTRIES, JIESHOU_PARKS, JIESHOU_QUOTAS)}

# Queue shape (shares of projects).
LAND_MEDIAN_MU = 55.0  # lognormal land demand: median 55 mu, most projects 20–80 mu
LAND_SIGMA = 0.7
LAND_RANGE_MU = (10.0, 300.0)
TWO_ZONE_SHARE = 1 / 3  # projects listing a second, fallback zone
HOSTED_PARK_WEIGHT = 8.0  # a park hosting the industry vs any other park (weight 1)
LOCK_IN_SHARE = 0.03  # projects already signed
LOCK_OUT_SHARE = 0.02  # projects withdrawn or refused
MISPLACED_SHARE = 0.02  # projects asking only for a park whose admission list excludes their industry
FAIL_ALL_SHARE = 0.025  # projects below every candidate zone's screens
FAIL_SOME_SHARE = 0.15  # of the projects whose two zones screen differently: fail the stricter one
RAMP_PROBABILITIES = (0.15, 0.40, 0.30, 0.15)  # ramp of 0, 1, 2, 3 years
NAMED_SITE_SHARE = 0.90  # projects that name one to three intended parcels (意向地块)
SIGNED_START_YEARS = 1  # a signed project must start within this many years of becoming ready
NAMED_START_YEARS = 2  # likewise a project with an intended parcel, when that falls in the horizon

# Sites: planning parcels (规划地块) of the parks; a supplied parcel averages ≈ 71 mu (DOMAIN §8) and a
# planning parcel holds one to a few of them.
SITE_AREA_MEDIAN_MU = 90.0
SITE_AREA_SIGMA = 0.6
SITE_AREA_RANGE_MU = (20.0, 400.0)
SITE_AREA_SHARE = 0.60  # the parks' parcels together: this share of the queue's land
SITE_READY_NOW_SHARE = 0.60  # parcels ready in the first year; the others later (acquisition, clearing)
SITE_ROW_WIDTH_M = 1200.0  # parcels are laid out in rows this wide, separated by roads
SITE_ROAD_M = 40.0
CITY_CENTRE = (115.36, 33.26)  # lon, lat

# Relative MIP gap the generated scenarios accept as optimal: 1% of the plan's value. The instances
# are multi-year multi-dimensional knapsacks; proving 1e-4 takes HiGHS minutes at 200+ projects,
# while the figures themselves are forecasts good to far worse than 1%.
PLANNING_GAP = 0.01

CSV_COLUMNS = (
    "id", "name", "industry", "industry_code", "zone", "land_mu", "investment", "output", "tax", "jobs",
    "strategic", "earliest_year", "ramp_years", "lock", "queued_since",
    "energy_tce", "nox_t", "vocs_t", "cod_t", "lead_t", "site", "latest_year",
)
# Decimals written per numeric column; the columns after the core ones are left blank when 0.
DECIMALS = {
    "land_mu": 1, "investment": 0, "output": 0, "tax": 1, "jobs": 0,
    "energy_tce": 1, "nox_t": 3, "vocs_t": 3, "cod_t": 3, "lead_t": 4,
}
BLANK_WHEN_ZERO = ("vocs_t", "cod_t", "lead_t")
NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]+")


# ---------------------------------------------------------------------------
# Drawing the queue
# ---------------------------------------------------------------------------


def _check_sizes(profile: Profile, n_projects: int, n_zones: int, years: int, seed: int) -> None:
    if n_projects < 1:
        raise InputError(f"--projects must be at least 1, got {n_projects}", column="--projects")
    if not 1 <= n_zones <= len(profile.parks):
        raise InputError(
            f"--zones must be between 1 and {len(profile.parks)} (the parks profile "
            f"'{profile.name}' knows), got {n_zones}",
            column="--zones",
        )
    if years < 1:
        raise InputError(f"--years must be at least 1, got {years}", column="--years")
    if seed < 0:
        raise InputError(f"--seed must not be negative, got {seed}", column="--seed")


def _scale(bounds: Range, fraction: float) -> float:
    """The point ``fraction`` (0–1) of the way through ``bounds``."""
    return bounds[0] + (bounds[1] - bounds[0]) * fraction


def _pick_zones(
    rng: np.random.Generator, parks: tuple[Park, ...], industry: Industry, second: bool, misplaced: bool
) -> list[int]:
    """Candidate park indices for one project, the preferred one first.

    Parks that host the industry weigh ``HOSTED_PARK_WEIGHT``, parks that only admit it 1, the
    others 0; a ``misplaced`` project asks only for one park that does not admit its industry
    (when there is one), as a planner's queue sometimes holds.
    """
    weights = np.array([
        HOSTED_PARK_WEIGHT if industry.key in p.hosts else 1.0 if industry.key in p.admits else 0.0
        for p in parks
    ])
    if misplaced and not weights.all():
        closed = (weights == 0).astype(float)
        return [int(rng.choice(len(parks), p=closed / closed.sum()))]
    first = int(rng.choice(len(parks), p=weights / weights.sum()))
    weights[first] = 0.0
    if not second or not weights.any():
        return [first]
    return [first, int(rng.choice(len(parks), p=weights / weights.sum()))]


def _screened(
    invest_per_mu: float, tax_per_mu: float, candidates: list[Park], outcome: str, lift: float
) -> tuple[float, float]:
    """Investment (万元/mu) and tax (万元/mu/yr) moved so the project meets ``outcome`` on its zones.

    ``pass``: every candidate zone's screen is met (investment lifted above the strictest
    threshold when neither figure meets it). ``fail_all``: below every zone's thresholds.
    ``fail_some``: between the laxest and the strictest investment threshold, tax below the
    strictest; a project whose zones all screen alike passes instead. ``lift`` (0–1) places the
    moved figure inside its band; margins keep rounding from changing the outcome.
    """
    invest_low = min(park.min_investment_intensity for park in candidates)
    invest_high = max(park.min_investment_intensity for park in candidates)
    tax_low = min(park.min_tax_per_mu for park in candidates)
    tax_high = max(park.min_tax_per_mu for park in candidates)
    if outcome == "fail_all":
        return invest_low * (0.6 + 0.35 * lift), min(tax_per_mu, tax_low * (0.5 + 0.45 * lift))
    if outcome == "fail_some" and invest_high > invest_low:
        invest = invest_low + (invest_high - invest_low) * (0.05 + 0.85 * lift)
        return invest, min(tax_per_mu, tax_high * 0.9)
    if invest_per_mu < invest_high and tax_per_mu < tax_high * 1.01:
        return invest_high * (1.02 + 0.18 * lift), tax_per_mu
    return invest_per_mu, tax_per_mu


def _round(value: float, decimals: int) -> float:
    return float(round(float(value), decimals))


def _round_sig(value: float, digits: int = 3, whole: bool = False) -> float | int:
    """``value`` to ``digits`` significant figures (to whole units if ``whole``); an int when whole."""
    if whole:
        return round(_round_sig(value, digits))
    if value <= 0:
        return 0
    rounded = round(value, digits - 1 - math.floor(math.log10(value)))
    return int(rounded) if float(rounded).is_integer() else float(rounded)


def _ready_years(
    rng: np.random.Generator, land: np.ndarray, locks: list[str], years: int, start_year: int
) -> list[int]:
    """The year each project becomes ready: every horizon year gets about the same land.

    Signed projects (``lock = in``) are ready at once; the others are taken in a random order and
    each joins the year with the least open land so far, so a new cohort of about the same size
    becomes ready every year (the work report's 每年), not a one-off backlog.
    """
    load = np.zeros(years)
    ready = [start_year] * len(locks)
    for p, lock in enumerate(locks):
        if lock == "in":
            load[0] += land[p]
    for p in rng.permutation(len(locks)):
        if locks[p] == "in":
            continue
        t = int(np.argmin(load))
        ready[p] = start_year + t
        if locks[p] != "out":
            load[t] += land[p]
    return ready


def _draw_projects(
    rng: np.random.Generator, profile: Profile, n: int, parks: tuple[Park, ...], years: int, start_year: int
) -> list[dict[str, Any]]:
    """The project rows, every attribute drawn for all projects at once in a fixed order."""
    admitted = {key for park in parks for key in park.admits}
    industries = tuple(ind for ind in profile.industries if ind.key in admitted)
    shares = np.array([ind.share for ind in industries])
    industry_index = rng.choice(len(industries), size=n, p=shares / shares.sum())
    land = np.round(np.clip(rng.lognormal(math.log(LAND_MEDIAN_MU), LAND_SIGMA, n), *LAND_RANGE_MU),
                    DECIMALS["land_mu"])
    two_zones = rng.random(n) < TWO_ZONE_SHARE
    misplaced = rng.random(n) < MISPLACED_SHARE
    zone_lists = [
        _pick_zones(rng, parks, industries[i], bool(two), bool(out))
        for i, two, out in zip(industry_index, two_zones, misplaced, strict=True)
    ]
    lock_draw = rng.random(n)
    locks = [
        "in" if u < LOCK_IN_SHARE and not out else "out" if u >= 1 - LOCK_OUT_SHARE else ""
        for u, out in zip(lock_draw, misplaced, strict=True)
    ]
    screen_draw = rng.random(n)
    unit = {  # one uniform(0, 1) per project for each figure, scaled to the industry's range below
        key: rng.random(n)
        for key in ("investment", "output", "tax", "energy", "nox", "jobs", "vocs", "cod", "lead", "lift")
    }
    strategic_draw = rng.random(n)
    ready = _ready_years(rng, land, locks, years, start_year)
    ramp = rng.choice(len(RAMP_PROBABILITIES), size=n, p=RAMP_PROBABILITIES)
    queued_days = rng.integers(30, 1096, n)
    recent_days = rng.integers(0, 365, n)
    word_draw = rng.random(n)

    width = max(3, len(str(n)))
    rows: list[dict[str, Any]] = []
    for p in range(n):
        ind = industries[int(industry_index[p])]

        u = {key: float(values[p]) for key, values in unit.items()}
        land_mu = float(land[p])
        lock = locks[p]
        invest_per_mu = _scale(ind.investment_per_mu, u["investment"])
        output_per_mu = invest_per_mu * _scale(ind.output_per_investment, u["output"])
        tax_per_mu = output_per_mu * _scale(ind.tax_per_output, u["tax"])
        if lock == "in" or screen_draw[p] >= FAIL_ALL_SHARE + FAIL_SOME_SHARE:
            outcome = "pass"
        else:
            outcome = "fail_all" if screen_draw[p] < FAIL_ALL_SHARE else "fail_some"
        invest_per_mu, tax_per_mu = _screened(
            invest_per_mu, tax_per_mu, [parks[z] for z in zone_lists[p]], outcome, u["lift"]
        )
        output = _round(land_mu * output_per_mu, DECIMALS["output"])
        energy = _round(output * _scale(ind.energy_per_output, u["energy"]), DECIMALS["energy_tce"])
        number = str(p + 1).zfill(width)
        stem = ind.project_words[int(word_draw[p] * len(ind.project_words))]
        days = int(queued_days[p]) if ready[p] == start_year else int(recent_days[p])
        rows.append({
            "id": f"P{number}",
            "name": f"{stem} #{number}",
            "industry": ind.name,
            "industry_code": ind.code,
            "zone": "|".join(parks[z].id for z in zone_lists[p]),
            "land_mu": land_mu,
            "investment": _round(land_mu * invest_per_mu, DECIMALS["investment"]),
            "output": output,
            "tax": _round(land_mu * tax_per_mu, DECIMALS["tax"]),
            "jobs": round(land_mu * _scale(ind.jobs_per_mu, u["jobs"])),
            "strategic": int(strategic_draw[p] < ind.strategic_share),
            "earliest_year": ready[p],
            "ramp_years": int(ramp[p]),
            "lock": lock,
            "queued_since": (date(start_year, 1, 1) - timedelta(days=days)).isoformat(),
            "energy_tce": energy,
            "nox_t": _round(energy * _scale(ind.nox_per_tce, u["nox"]), DECIMALS["nox_t"]),
            "vocs_t": _round(land_mu * _scale(ind.vocs_per_mu, u["vocs"]), DECIMALS["vocs_t"]),
            "cod_t": _round(land_mu * _scale(ind.cod_per_mu, u["cod"]), DECIMALS["cod_t"]),
            "lead_t": _round(land_mu * _scale(ind.lead_per_mu, u["lead"]), DECIMALS["lead_t"]),
            "site": "",
            "latest_year": "",
        })
    return rows


# ---------------------------------------------------------------------------
# Sites (地块)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteKind:
    """A kind of parcel: the share of parcels of this kind and its land classes.

    ``classes`` gives each listed class's share of the parcel's area as a range (0-1); the class
    ``rest`` takes what is left, so the classes fill the parcel.
    """

    key: str
    share: float
    classes: tuple[tuple[str, Range], ...]
    rest: str


SITE_KINDS = (
    SiteKind("stock", 0.15, (("unused", (0.0, 0.2)),), "construction"),  # recovered idle / unsupplied land
    SiteKind("cropland", 0.42, (("construction", (0.0, 0.1)), ("unused", (0.05, 0.3))), "cropland"),
    SiteKind("basic_farmland", 0.15, (("basic_farmland", (0.2, 0.7)), ("unused", (0.0, 0.15))), "cropland"),
    SiteKind("commercial_forest", 0.15, (("commercial_forest", (0.2, 0.7)), ("unused", (0.0, 0.2))),
             "cropland"),
    SiteKind("public_forest", 0.06, (("public_forest", (0.1, 0.4)), ("commercial_forest", (0.0, 0.3))),
             "cropland"),
    SiteKind("unused", 0.07, (("cropland", (0.0, 0.3)),), "unused"),
)
# A signed project's parcel needs neither forest nor farmland procedures: only these kinds qualify.
CLEAN_SITE_KINDS = ("stock", "cropland", "unused")
M2_PER_MU = 10000 / 15  # 1 公顷 = 15 亩


def _site_polygon(park: Park, x_m: float, y_m: float, width_m: float, height_m: float) -> str:
    """A WKT rectangle in lon/lat, ``x_m``/``y_m`` metres east/north of the park's corner."""
    lon0, lat0 = CITY_CENTRE
    metres_per_lon = 111_320.0 * math.cos(math.radians(lat0))
    metres_per_lat = 110_574.0

    def point(x: float, y: float) -> str:
        east = park.origin_km[0] * 1000 + x
        north = park.origin_km[1] * 1000 + y
        return f"{lon0 + east / metres_per_lon:.6f} {lat0 + north / metres_per_lat:.6f}"

    east, north = x_m + width_m, y_m + height_m
    corners = [(x_m, y_m), (east, y_m), (east, north), (x_m, north), (x_m, y_m)]
    return "POLYGON ((" + ", ".join(point(x, y) for x, y in corners) + "))"


def _draw_sites(
    rng: np.random.Generator, parks: tuple[Park, ...], rows: list[dict[str, Any]], years: int, start_year: int
) -> list[dict[str, Any]]:
    """The parks' parcels, laid out in rows of rectangles that do not overlap within a park.

    Their total area is ``SITE_AREA_SHARE`` of the queue's land (projects not locked out), shared
    among the parks like the land of the projects preferring them (at least two parcels a park).
    Recovered stock parcels (construction land) become ready in turn over the horizon, the others
    at once or, for ``1 - SITE_READY_NOW_SHARE`` of them, in a later year.
    Areas in mu to one decimal; each class area is a whole number of tenths and the classes sum to
    the parcel's area exactly.
    """
    land_by_park = {park.id: 0.0 for park in parks}
    for row in rows:
        if row["lock"] != "out":
            land_by_park[row["zone"].split("|")[0]] += row["land_mu"]
    total_land = math.fsum(land_by_park.values())
    mean_area = math.exp(math.log(SITE_AREA_MEDIAN_MU) + SITE_AREA_SIGMA**2 / 2)
    wanted = SITE_AREA_SHARE * total_land / mean_area
    counts = [
        max(2, round(wanted * land_by_park[park.id] / total_land)) if total_land else 2 for park in parks
    ]
    n = sum(counts)
    area = np.clip(rng.lognormal(math.log(SITE_AREA_MEDIAN_MU), SITE_AREA_SIGMA, n), *SITE_AREA_RANGE_MU)
    kind_shares = np.array([kind.share for kind in SITE_KINDS])
    kind_index = rng.choice(len(SITE_KINDS), size=n, p=kind_shares / kind_shares.sum())
    class_draw = rng.random((n, 2))
    ready_later = rng.random(n) >= SITE_READY_NOW_SHARE
    later_year = rng.integers(1, max(years, 2), n)
    aspect = rng.uniform(0.6, 1.6, n)

    sites: list[dict[str, Any]] = []
    k = stock_seen = 0
    for park, count in zip(parks, counts, strict=True):
        x = y = row_height = 0.0
        for number in range(1, count + 1):
            kind = SITE_KINDS[int(kind_index[k])]
            tenths = round(float(area[k]) * 10)
            classes = dict.fromkeys(SITE_CLASSES, 0)
            for j, (name, bounds) in enumerate(kind.classes):
                classes[name] = math.floor(tenths * _scale(bounds, float(class_draw[k, j])))
            classes[kind.rest] = tenths - sum(v for c, v in classes.items() if c != kind.rest)
            area_m2 = tenths / 10 * M2_PER_MU
            width = math.sqrt(area_m2 * float(aspect[k]))
            height = area_m2 / width
            if x > 0 and x + width > SITE_ROW_WIDTH_M:
                x, y, row_height = 0.0, y + row_height + SITE_ROAD_M, 0.0
            if kind.key == "stock":  # idle and unsupplied land is recovered a little every year
                ready = start_year + stock_seen % years
                stock_seen += 1
            else:
                ready = start_year + (int(later_year[k]) if ready_later[k] and years > 1 else 0)
            sites.append({
                "id": f"{park.parcel_prefix}-{number:02d}",
                "name": f"{park.name}{number}号地块",
                "zone": park.id,
                "area_mu": tenths / 10,
                "ready_year": ready,
                "kind": kind.key,
                **{f"{c}_mu": v / 10 for c, v in classes.items()},
                "geometry": _site_polygon(park, x, y, width, height),
            })
            x += width + SITE_ROAD_M
            row_height = max(row_height, height)
            k += 1
    return sites


def _place_projects(
    rng: np.random.Generator,
    rows: list[dict[str, Any]],
    sites: list[dict[str, Any]],
    years: int,
    start_year: int,
) -> None:
    """Give signed projects their parcel and deadline, and some others their intended parcels.

    A signed project (``lock = in``) gets one parcel of its preferred park that is ready at once,
    needs no forest or farmland procedure and still has room for it, and must start within
    ``SIGNED_START_YEARS`` of becoming ready; without such a parcel its lock is released. About
    ``NAMED_SITE_SHARE`` of the others name one to three parcels of their candidate parks large
    enough for them, the first in the preferred park (whatever their land classes: the work report's
    projects whose parcel is forest or farmland), and must start within ``NAMED_START_YEARS`` when
    that falls in the horizon; the rest may go to any parcel of their parks.
    """
    n = len(rows)
    named = rng.random(n) < NAMED_SITE_SHARE
    how_many = rng.integers(1, 4, n)
    pick = rng.random((n, 3))
    last_year = start_year + years - 1
    room = {site["id"]: site["area_mu"] for site in sites}
    # The parcels of each park as a slice of ``sites`` (they come park by park), their areas as an
    # array: the parcels that fit a project are found a park at a time, in the order of ``sites``.
    area = np.array([site["area_mu"] for site in sites], dtype=float)
    span: dict[str, tuple[int, int]] = {}
    for k, site in enumerate(sites):
        first, _ = span.get(site["zone"], (k, k))
        span[site["zone"]] = (first, k + 1)
    clean_now = {
        park: [site for site in sites[first:end]
               if site["kind"] in CLEAN_SITE_KINDS and site["ready_year"] == start_year]
        for park, (first, end) in span.items()
    }
    for p, row in enumerate(rows):
        park = row["zone"].split("|")[0]
        if row["lock"] == "in":
            clean = [site for site in clean_now.get(park, []) if room[site["id"]] >= row["land_mu"]]
            if not clean:
                row["lock"] = ""
                continue
            chosen = clean[int(pick[p, 0] * len(clean))]
            room[chosen["id"]] -= row["land_mu"]
            row["site"] = chosen["id"]
            row["latest_year"] = row["earliest_year"] + SIGNED_START_YEARS
        elif named[p] and row["lock"] != "out":
            zones = row["zone"].split("|")
            fitting = _fitting(area, span, zones, row["land_mu"])  # indices into sites, in their order
            chosen_ids: list[str] = []
            for j in range(min(int(how_many[p]), len(fitting))):
                # The first intended parcel lies in the preferred park when one there is large enough.
                first, end = span.get(park, (0, 0))
                pool = fitting[(fitting >= first) & (fitting < end)] if j == 0 else fitting
                pool = pool if len(pool) else fitting
                k = int(pool[int(pick[p, j] * len(pool))])
                fitting = fitting[fitting != k]
                chosen_ids.append(sites[k]["id"])
            row["site"] = "|".join(chosen_ids)
            if chosen_ids and row["earliest_year"] + NAMED_START_YEARS <= last_year:
                row["latest_year"] = row["earliest_year"] + NAMED_START_YEARS


def _fitting(area: np.ndarray, span: dict[str, tuple[int, int]], zones: list[str], land: float) -> np.ndarray:
    """Indices (in parcel order) of the parcels of ``zones`` whose area holds ``land`` mu."""
    parts = [
        first + np.flatnonzero(area[first:end] >= land)
        for first, end in sorted(span[zone] for zone in set(zones) if zone in span)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def class_area(sites: list[dict[str, Any]], classes: tuple[str, ...]) -> float:
    """Area (mu) of the listed land classes over all sites."""
    return float(math.fsum(site[f"{c}_mu"] for site in sites for c in classes))


def site_share(site: dict[str, Any], classes: tuple[str, ...]) -> float:
    """The share of a site's area in the listed classes (SPEC §5 share_q(k)); 1 when none are listed."""
    if not classes:
        return 1.0
    return math.fsum(site[f"{c}_mu"] for c in classes) / site["area_mu"]


# ---------------------------------------------------------------------------
# Supplies
# ---------------------------------------------------------------------------


def queue_demand(rows: list[dict[str, Any]], column: str) -> float:
    """Total of ``column`` over the projects that are not locked out (unit of the column)."""
    return float(math.fsum(row[column] for row in rows if row["lock"] != "out"))


def _decline_weights(years: int) -> list[float]:
    """Year weights of a supply that runs down linearly over the horizon (sum 1)."""
    raw = [float(years - t) for t in range(years)]
    return [w / sum(raw) for w in raw]


def _source_table(
    plan: SourcePlan,
    total: float,
    years: int,
    parks: tuple[Park, ...],
    zone_share: dict[str, float],
    whole: bool,
) -> dict[str, Any]:
    """The TOML table of one source: ``total`` (the quota's unit) spread over years (and zones).

    Amounts keep three significant figures, whole units when ``whole`` (land in mu); a city's yearly
    land amounts are issued as round figures (two significant figures, e.g. 500 mu).
    """
    table: dict[str, Any] = {"id": plan.id, "name": plan.name, "scope": plan.scope}
    amount = total * plan.share
    if plan.scope == "city":
        table["amounts"] = _round_sig(amount / years, 2 if whole else 3, whole=whole)
    else:
        weights = _decline_weights(years)
        table["amounts"] = {
            park.id: [_round_sig(amount * zone_share[park.id] * w, whole=whole) for w in weights]
            for park in parks
        }
    if plan.price:
        table["price"] = plan.price
    return table


def _supply_total(source: dict[str, Any], years: int) -> float:
    """Units a source table supplies over the horizon, all zones together."""
    amounts = source["amounts"]
    if isinstance(amounts, dict):
        return float(math.fsum(math.fsum(values) for values in amounts.values()))
    return float(amounts) * years


def _release_unfit_locks(
    rows: list[dict[str, Any]], quotas: dict[str, Any], sites: list[dict[str, Any]], years: int
) -> None:
    """Turn lock-ins back into ordinary projects until every quota's city supply covers them.

    Lock-ins must start by their ``latest_year`` (the first ``SIGNED_START_YEARS + 1`` years), so
    the city supply of those years must carry the charges of all of them together: ratio × demand
    × the share of the quota's land classes on the project's parcel. The largest charge on a quota
    that cannot is released first.
    """
    by_id = {site["id"]: site for site in sites}
    window = min(years, SIGNED_START_YEARS + 1)
    for table in quotas.values():
        supply = math.fsum(
            float(source["amounts"]) * window for source in table["sources"] if source["scope"] == "city"
        )
        classes = tuple(table.get("site_classes", ()))

        locked = [row for row in rows if row["lock"] == "in"]
        charges = {
            row["id"]: table["ratio"] * row[table["demand"]] * site_share(by_id[row["site"]], classes)
            for row in locked
        }
        while locked and math.fsum(charges[row["id"]] for row in locked) > supply:
            largest = max(locked, key=lambda row: (charges[row["id"]], row["id"]))
            largest["lock"] = ""
            locked.remove(largest)


def _plan_total(plan: QuotaPlan, rows: list[dict[str, Any]], sites: list[dict[str, Any]]) -> float:
    """A quota's supply over the horizon, in its unit.

    ``basis = "sites"``: ``coverage`` × ratio × the parks' area of the quota's land classes.
    Otherwise ``coverage`` × ratio × the queue's demand (projects not locked out); a quota on land
    that spares construction land counts the parcels' construction land as supply already there.
    """
    if plan.basis == "sites":
        return plan.coverage * plan.ratio * class_area(sites, plan.site_classes)
    total = plan.coverage * plan.ratio * queue_demand(rows, plan.demand)
    if plan.site_classes and "construction" not in plan.site_classes:
        total -= plan.ratio * class_area(sites, ("construction",))
    return max(total, 0.0)


def _quota_tables(
    profile: Profile,
    rows: list[dict[str, Any]],
    sites: list[dict[str, Any]],
    parks: tuple[Park, ...],
    years: int,
) -> dict[str, Any]:
    land_by_zone = {park.id: 0.0 for park in parks}
    for row in rows:
        if row["lock"] != "out":
            land_by_zone[row["zone"].split("|")[0]] += row["land_mu"]
    total_land = math.fsum(land_by_zone.values())
    zone_share = {
        zone: (land / total_land if total_land else 1 / len(parks)) for zone, land in land_by_zone.items()
    }
    quotas: dict[str, Any] = {}
    for plan in profile.quotas:
        total = _plan_total(plan, rows, sites)
        quotas[plan.id] = {
            "name": plan.name,
            "unit": plan.unit,
            "demand": plan.demand,
            "ratio": plan.ratio,
            "carry_over": plan.carry_over,
            **({"site_classes": list(plan.site_classes)} if plan.site_classes else {}),
            "sources": [
                _source_table(s, total, years, parks, zone_share, plan.unit == "mu") for s in plan.sources
            ],
        }
    return quotas


def land_balance(
    scenario: dict[str, Any], rows: list[dict[str, Any]], sites: list[dict[str, Any]]
) -> LandBalance:
    """The land balance of a generated scenario (:mod:`quota_sim.shortfall`), year by year.

    The scenario and the tables are read back as ``quota-sim`` reads the written files, so the
    figures are those of the files.
    """
    names = {"name": "generated", "projects": "generated_projects.csv", "sites": "generated_sites.csv"}
    checked = scenario_from_dict({**names, **scenario}, ".", "generated scenario")
    table = read_sites_bytes(
        sites_csv(sites).encode("utf-8"), names["sites"], checked.zone_ids(), checked.start_year
    )
    projects = read_projects_bytes(
        projects_csv(rows).encode("utf-8"),
        names["projects"],
        checked.zone_ids(),
        [quota.demand for quota in checked.quotas],
        checked.start_year,
        table.zone_of(),
    )
    balance = shortfall.land_balance(checked, projects, table)
    assert balance is not None  # every profile has a land quota
    return balance


# ---------------------------------------------------------------------------
# The scenario dictionary
# ---------------------------------------------------------------------------


def _description(
    scenario: dict[str, Any], rows: list[dict[str, Any]], sites: list[dict[str, Any]], parks: tuple[Park, ...]
) -> str:
    balance = land_balance(scenario, rows, sites)
    src = balance.by_source
    first, last = scenario["start_year"], scenario["start_year"] + scenario["years"] - 1
    n, t = len(rows), scenario["years"]
    park_names = "、".join(f"{park.name}（{park.id}）" for park in parks)
    locked_in = sum(row["lock"] == "in" for row in rows)
    locked_out = sum(row["lock"] == "out" for row in rows)
    quotas = scenario["quotas"]
    energy_plan = next(s for s in quotas["energy"]["sources"] if s["id"] == "plan")["amounts"]
    energy_demand = queue_demand(rows, "energy_tce")
    energy_supply = math.fsum(_supply_total(s, t) for s in quotas["energy"]["sources"])
    energy_cover = energy_supply / energy_demand if energy_demand else 0.0
    lead_ratio = quotas["lead"]["ratio"]
    labour_pool = quotas["labour"]["sources"][0]["amounts"]
    forest_quota = quotas["forest"]["sources"][0]["amounts"]
    own_cropland = next(s for s in quotas["cropland"]["sources"] if s["id"] == "own")["amounts"]
    area = {c: class_area(sites, (c,)) for c in SITE_CLASSES}
    later = sum(site["ready_year"] > first for site in sites)
    classes_zh = "、".join(f"{SITE_CLASS_NAMES[c]}{area[c]:,.0f}" for c in SITE_CLASSES)
    classes_en = ", ".join(f"{c.replace('_', ' ')} {area[c]:,.0f}" for c in SITE_CLASSES)
    construction = math.fsum(balance.construction_by_year) / t
    years_zh = "；".join(
        f"{year}年需求{d:,.0f}亩、供给{s:,.0f}亩、缺口{d - s:,.0f}亩"
        for year, d, s in zip(balance.years, balance.demand_by_year, balance.supply_by_year, strict=True)
    )
    years_en = "; ".join(
        f"{year}: demand {d:,.0f}, supply {s:,.0f}, shortfall {d - s:,.0f} mu"
        for year, d, s in zip(balance.years, balance.demand_by_year, balance.supply_by_year, strict=True)
    )
    return (
        f"合成数据，不是真实项目。情景仿照一个皖北县级市国家级高新区的工作汇报构造：{len(parks)}个园区（"
        f"{park_names}），{n}个排队项目，{len(sites)}个地块，规划期{first}–{last}年（{t}年）；产业以资源"
        f"循环利用（再生铅、再生塑料、再生铝）为主，兼有铅蓄电池、生物基可降解材料、铝基新材料、塑胶市政"
        f"管道、高分子材料、营养健康、智能机械和物流；再生铅只能落在规划环评允许的园区（各园区准入产业见"
        f" industries）。\n"
        f"地块合计{math.fsum(area.values()):,.0f}亩，其中{classes_zh}亩；{later}个地块{first + 1}年以后才"
        f"具备供地条件。用地指标只计收地块上尚非建设用地的部分；占用耕地（含基本农田）另需耕地占补平衡指"
        f"标（自行补充{own_cropland:,}亩/年，其余按{CROPLAND_OFFSET_PRICE:g}万元/亩购买）；商品林地需林地"
        f"定额（{forest_quota:,}亩/年）；公益林地不得占用；永久基本农田须调整规划，基准情景调整量为0。\n"
        f"用地缺口的算法：每年新具备开工条件（最早开工年份为当年）的项目（未被排除，lock ≠ out）用地，减"
        f"去当年用地供给（年度计划指标、盘活存量指标、增减挂钩指标，加上当年具备供地条件的地块上已有的建"
        f"设用地）。{years_zh}。平均需求{balance.demand:,.0f}亩/年，供给{balance.supply:,.0f}亩/年（年度"
        f"计划指标{src['plan']:,.0f} + 盘活存量{src['stock']:,.0f} + 增减挂钩{src['linkage']:,.0f}（"
        f"{LINKAGE_PRICE:g}万元/亩） + 地块已有建设用地{construction:,.0f}），缺口约"
        f"{balance.shortfall:,.0f}亩/年，年年如此。能耗增量指标{energy_plan:,}吨标准煤/年另加用能权交易，"
        f"约为需求的{energy_cover:.0%}；NOx、VOCs按2倍量替代；铅（再生铅、铅蓄电池项目）按"
        f"1:{lead_ratio:g}减量替代；专业技术工人每年新增约{labour_pool:,}人，当年不用即流失；"
        f"{locked_in}个项目已签约锁定（lock = in，须在签约地块上次年底前开工），{locked_out}个已排除（"
        f"lock = out）。\n"
        f"Synthetic data, not real projects. The scenario is modelled on the work report of a national "
        f"high-tech zone in a county-level city of northern Anhui: {len(parks)} parks, {n} queued "
        f"projects, {len(sites)} parcels, horizon {first}-{last} ({t} years); resource recycling "
        f"(recycled lead, plastics, aluminium) leads, with lead-acid batteries, bio-based degradable "
        f"materials, aluminium-based materials, plastic municipal pipes, polymer materials, nutrition & "
        f"health, intelligent machinery and logistics; recycled lead only goes where a park's planning "
        f"EIA allows it (each park's industries list).\n"
        f"The parcels cover {math.fsum(area.values()):,.0f} mu: {classes_en} mu; {later} of them are "
        f"ready only after {first}. The land quota is charged only on the part of a parcel that is not "
        f"yet construction land; cropland (basic farmland included) also needs cropland offset "
        f"({own_cropland:,} mu/yr reclaimed, the rest bought at {CROPLAND_OFFSET_PRICE:g} 万元/mu); "
        f"commercial forest needs forest quota ({forest_quota:,} mu/yr); public-welfare forest cannot "
        f"be used; basic farmland needs a plan adjustment, 0 in the baseline.\n"
        f"How the land shortfall arises: each year, the land of the projects (not locked out) that "
        f"become ready that year (earliest_year) minus that year's land supply (plan, stock and linkage "
        f"quota, plus the construction land already on the parcels ready that year). {years_en}. On "
        f"average a demand of {balance.demand:,.0f} mu/yr against a supply of {balance.supply:,.0f} "
        f"mu/yr (plan quota {src['plan']:,.0f} + revitalised stock {src['stock']:,.0f} + linkage quota "
        f"{src['linkage']:,.0f} at {LINKAGE_PRICE:g} 万元/mu + construction land on parcels "
        f"{construction:,.0f}), a shortfall of about {balance.shortfall:,.0f} mu every year. The "
        f"energy-use quota ({energy_plan:,} tce/yr plus energy-right trading) covers about "
        f"{energy_cover:.0%} of the demand; NOx and VOCs are replaced 2:1; lead (recycled-lead and "
        f"lead-acid battery projects) 1:{lead_ratio:g} (reduction replacement); about {labour_pool:,} "
        f"skilled workers join the pool each year and leave if not hired that year; {locked_in} "
        f"projects are signed (lock = in, on their agreed parcel, starting by the next year) and "
        f"{locked_out} withdrawn (lock = out)."
    )


def generate_queue(
    n_projects: int,
    n_zones: int,
    years: int,
    seed: int,
    start_year: int = 2026,
    profile: str = "jieshou",
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """A synthetic scenario, its project queue and its parks' parcels.

    Parameters
    ----------
    n_projects
        Projects in the queue (>= 1).
    n_zones
        Parks, the profile's first ``n_zones`` (1 to the number the profile knows, 8 for ``jieshou``).
    years
        Horizon length T (>= 1).
    seed
        Seed of ``numpy.random.default_rng``; the same arguments always give the same result.
    start_year
        First horizon year.
    profile
        The industry and park profile; only ``"jieshou"`` exists.

    Returns
    -------
    tuple
        The scenario dictionary (SPEC §1.1 and §5 shape, without ``name``, ``projects`` and
        ``sites``), the project rows (dicts keyed by the SPEC §1.2 and §5 columns plus the quota
        demand columns ``energy_tce``, ``nox_t``, ``vocs_t``, ``cod_t``, ``lead_t``) in input order,
        and the site rows (the SPEC §5 sites columns, with every class of ``SITE_CLASSES``, plus
        ``kind``, the :class:`SiteKind` they were drawn as).

    Raises
    ------
    InputError
        On an unknown profile or a size out of range.
    """
    if profile not in PROFILES:
        raise InputError(f"unknown profile '{profile}'; known: {', '.join(PROFILES)}", column="profile")
    chosen = PROFILES[profile]
    _check_sizes(chosen, n_projects, n_zones, years, seed)
    rng = np.random.default_rng(seed)
    parks = chosen.parks[:n_zones]
    rows = _draw_projects(rng, chosen, n_projects, parks, years, start_year)
    sites = _draw_sites(rng, parks, rows, years, start_year)
    _place_projects(rng, rows, sites, years, start_year)
    quotas = _quota_tables(chosen, rows, sites, parks, years)
    _release_unfit_locks(rows, quotas, sites, years)
    names = {ind.key: ind.name for ind in chosen.industries}
    scenario: dict[str, Any] = {
        "start_year": start_year,
        "years": years,
        "zones": [
            {
                "id": park.id,
                "name": park.name,
                "min_investment_intensity": park.min_investment_intensity,
                "min_tax_per_mu": park.min_tax_per_mu,
                "industries": [names[key] for key in names if key in park.admits],
            }
            for park in parks
        ],
        "quotas": quotas,
        "objective": {
            "weights": {"output": 1.0, "tax": 0.0, "investment": 0.0, "jobs": 0.0},
            "strategic_bonus": 0.0,
            "discount_rate": 0.06,
            "appraisal_years": 10,
            "relocation_penalty": 0.05,
        },
        "solver": {"name": "highs", "time_limit": 60, "gap": PLANNING_GAP, "seed": 0},
    }
    scenario = {"description": _description(scenario, rows, sites, parks), **scenario}
    return scenario, rows, sites


# ---------------------------------------------------------------------------
# Writing files
# ---------------------------------------------------------------------------


def scenario_toml(name: str, projects: str, sites: str, scenario: dict[str, Any], command: str) -> str:
    """The TOML text of a generated scenario (:func:`quota_sim.scenario.toml_text`), with the command that
    made it.

    Parameters
    ----------
    name, projects, sites
        The scenario's ``name`` and its projects-table and sites-table paths (relative to the TOML).
    scenario
        The dictionary from :func:`generate_queue`.
    command
        The ``quota-sim generate`` command line recorded in the header comment.
    """
    document = {
        "name": name,
        "description": scenario["description"],
        "projects": projects,
        "sites": sites,
        **{key: scenario[key] for key in ("start_year", "years", "zones", "quotas", "objective", "solver")},
    }
    header = f"# Synthetic scenario (all figures are made up; see docs/baseline.md).\n# Made by: {command}\n"
    return header + "\n" + toml_text(document, multiline_strings=True)


def _csv_cell(column: str, value: Any) -> str:
    if column in DECIMALS:
        if column in BLANK_WHEN_ZERO and value == 0:
            return ""
        return f"{value:.{DECIMALS[column]}f}"
    return str(value)


SITE_COLUMNS = ("id", "name", "zone", "area_mu", "ready_year", *(f"{c}_mu" for c in SITE_CLASSES), "geometry")


def sites_csv(sites: list[dict[str, Any]]) -> str:
    """The sites table (SPEC §5) as CSV text: a header line, then one line per parcel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SITE_COLUMNS)
    for site in sites:
        writer.writerow([f"{site[c]:.1f}" if c.endswith("_mu") else site[c] for c in SITE_COLUMNS])
    return buffer.getvalue()


def projects_csv(rows: list[dict[str, Any]]) -> str:
    """The project rows as CSV text: a header line, then one line per project in input order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(column, row[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()


def generate_command(name: str, n_projects: int, n_zones: int, years: int, seed: int, start_year: int) -> str:
    """The ``quota-sim generate`` command line that writes these files."""
    return (
        f"quota-sim generate --projects {n_projects} --zones {n_zones} --years {years} --seed {seed} "
        f"--start-year {start_year} --name {name}"
    )


def generated_kind(name: str) -> str:
    """The output kind of a generated scenario ``name``: each scenario in a folder has its own manifest."""
    return f"generate-{name}"


def write_generated(
    out_dir: str | Path,
    name: str,
    n_projects: int,
    n_zones: int,
    years: int,
    seed: int,
    start_year: int = 2026,
) -> Path:
    """Generate a scenario: write ``<out_dir>/<name>.toml``, ``<name>_projects.csv`` and ``<name>_sites.csv``.

    The files are UTF-8 and written as one set with the manifest ``.quota-sim-generate-<name>.json``
    (:mod:`quota_sim.output_set`): files of these names are replaced only when that manifest lists
    them, so a file quota-sim did not write is never overwritten. The TOML names the tables relative
    to itself. Sizes as in :func:`generate_queue`; ``name`` must match ``[A-Za-z0-9_-]+``.

    Returns
    -------
    Path
        The TOML file.

    Raises
    ------
    InputError
        On a bad name or size, or an output folder that cannot be written or holds a file of one of
        these names that quota-sim did not write (nothing is written).
    """
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(f"'{name}' may only contain letters, digits, '_' and '-'", column="--name")
    scenario, rows, sites = generate_queue(n_projects, n_zones, years, seed, start_year)
    csv_name, sites_name, toml_name = f"{name}_projects.csv", f"{name}_sites.csv", f"{name}.toml"
    with OutputSet.open(out_dir, generated_kind(name), names=(csv_name, sites_name, toml_name)) as output:
        command = generate_command(name, n_projects, n_zones, years, seed, start_year)
        toml_text = scenario_toml(name, csv_name, sites_name, scenario, command)
        files = {
            csv_name: projects_csv(rows).encode("utf-8"),
            sites_name: sites_csv(sites).encode("utf-8"),
            toml_name: toml_text.encode("utf-8"),
        }
        toml_path = output.commit(files)[-1]
    return toml_path
