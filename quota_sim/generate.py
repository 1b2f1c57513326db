"""Synthetic project queues and scenarios of any size, seeded.

The ``jieshou`` profile builds a queue shaped like the one the zone's work report describes: a
resource-recycling flagship (recycled lead, plastics, aluminium) next to lead-acid batteries,
bio-based degradable materials, aluminium-based materials, plastic municipal pipes, polymer
materials, nutrition & health, intelligent machinery and logistics, in up to eight parks. Every
figure is synthetic; the ranges and their sources are listed in ``docs/baseline.md``.

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
import tomli_w

from quota_sim import shortfall
from quota_sim.errors import InputError
from quota_sim.output_set import write_atomic
from quota_sim.projects import read_projects_bytes
from quota_sim.scenario import scenario_from_dict
from quota_sim.shortfall import LandBalance

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
    """A park (zone) the profile knows: its screens (DOMAIN §2) and the industries it hosts."""

    id: str
    name: str
    min_investment_intensity: float  # 万元/mu
    min_tax_per_mu: float  # 万元/mu/yr
    hosts: tuple[str, ...]  # industry keys


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
    coverage: float  # total supply / (ratio * total demand of the projects not locked out)
    sources: tuple[SourcePlan, ...]
    carry_over: bool = True


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
JIESHOU_PARKS = (
    Park("tianying", "田营科技园", 300, 30, ("lead", "aluminium_recycling", "plastics", "batteries")),
    Park("chengdong", "城东新材料产业园", 200, 20, ("bio_based", "polymer", "aluminium_materials", "pipes")),
    Park("chengnan", "城南循环经济产业园", 150, 10, ("plastics", "aluminium_recycling", "pipes")),
    Park("chengxi", "城西智能制造产业园", 150, 10, ("machinery", "batteries", "nutrition", "logistics")),
    Park("chengbei", "城北营养健康产业园", 200, 20, ("nutrition", "logistics")),
    Park("lvji", "铝基新材料产业园", 200, 20, ("aluminium_materials", "aluminium_recycling")),
    Park("xinneng", "新能源电池产业园", 200, 20, ("batteries", "polymer")),
    Park("linggang", "临港物流园", 150, 10, ("logistics",)),
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

JIESHOU_QUOTAS = (
    QuotaPlan("land", "建设用地指标", "mu", "land_mu", 1.0, 0.33, (
        SourcePlan("plan", "年度新增建设用地计划指标", "city", 0.70),
        SourcePlan("stock", "盘活存量（批而未供、闲置）土地", "zone", 0.20),
        SourcePlan("linkage", "城乡建设用地增减挂钩节余指标", "city", 0.10, LINKAGE_PRICE),
    )),
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
    QuotaPlan("forest", "使用林地定额", "mu", "forest_mu", 1.0, 0.30, (
        SourcePlan("quota", "林地定额", "city", 1.00),
    )),
    QuotaPlan("farmland", "永久基本农田调整", "mu", "farmland_mu", 1.0, 0.0, (
        SourcePlan("adjustment", "基本农田调整（须国务院批准）", "city", 1.00),
    )),
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
FOREST_SHARE = 0.065  # projects with forest land on the site
FARMLAND_SHARE = 0.025  # projects with basic farmland on the site
FAIL_ALL_SHARE = 0.025  # projects below every candidate zone's screens
FAIL_SOME_SHARE = 0.15  # of the projects whose two zones screen differently: fail the stricter one
RAMP_PROBABILITIES = (0.15, 0.40, 0.30, 0.15)  # ramp of 0, 1, 2, 3 years

# Relative MIP gap the generated scenarios accept as optimal: 1% of the plan's value. The instances
# are multi-year multi-dimensional knapsacks; proving 1e-4 takes HiGHS minutes at 200+ projects,
# while the figures themselves are forecasts good to far worse than 1%.
PLANNING_GAP = 0.01

CSV_COLUMNS = (
    "id", "name", "industry", "industry_code", "zone", "land_mu", "investment", "output", "tax", "jobs",
    "strategic", "earliest_year", "ramp_years", "lock", "queued_since",
    "energy_tce", "nox_t", "vocs_t", "cod_t", "lead_t", "forest_mu", "farmland_mu",
)
# Decimals written per numeric column; the columns after the core ones are left blank when 0.
DECIMALS = {
    "land_mu": 1, "investment": 0, "output": 0, "tax": 1, "jobs": 0,
    "energy_tce": 1, "nox_t": 3, "vocs_t": 3, "cod_t": 3, "lead_t": 4, "forest_mu": 1, "farmland_mu": 1,
}
BLANK_WHEN_ZERO = ("vocs_t", "cod_t", "lead_t", "forest_mu", "farmland_mu")
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
    rng: np.random.Generator, parks: tuple[Park, ...], industry: Industry, second: bool
) -> list[int]:
    """Candidate park indices for one project, the preferred one first."""
    weights = np.array([HOSTED_PARK_WEIGHT if industry.key in p.hosts else 1.0 for p in parks])
    first = int(rng.choice(len(parks), p=weights / weights.sum()))
    if not second or len(parks) == 1:
        return [first]
    weights[first] = 0.0
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
    industries = profile.industries
    shares = np.array([ind.share for ind in industries])
    industry_index = rng.choice(len(industries), size=n, p=shares / shares.sum())
    land = np.round(np.clip(rng.lognormal(math.log(LAND_MEDIAN_MU), LAND_SIGMA, n), *LAND_RANGE_MU),
                    DECIMALS["land_mu"])
    two_zones = rng.random(n) < TWO_ZONE_SHARE
    zone_lists = [
        _pick_zones(rng, parks, industries[i], bool(two))
        for i, two in zip(industry_index, two_zones, strict=True)
    ]
    lock_draw = rng.random(n)
    locks = ["in" if u < LOCK_IN_SHARE else "out" if u >= 1 - LOCK_OUT_SHARE else "" for u in lock_draw]
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
    site_draw = rng.random(n)
    site_share = rng.uniform(0.2, 1.0, n)
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
        on_forest = lock != "in" and site_draw[p] < FOREST_SHARE
        on_farmland = lock != "in" and FOREST_SHARE <= site_draw[p] < FOREST_SHARE + FARMLAND_SHARE
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
            "forest_mu": _round(land_mu * site_share[p], DECIMALS["forest_mu"]) if on_forest else 0.0,
            "farmland_mu": (
                _round(land_mu * 0.6 * site_share[p], DECIMALS["farmland_mu"]) if on_farmland else 0.0
            ),
        })
    return rows


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

    Amounts keep three significant figures, whole units when ``whole`` (land in mu).
    """
    table: dict[str, Any] = {"id": plan.id, "name": plan.name, "scope": plan.scope}
    amount = total * plan.share
    if plan.scope == "city":
        table["amounts"] = _round_sig(amount / years, whole=whole)
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


def _city_supply_total(source: dict[str, Any], years: int) -> float:
    return _supply_total(source, years) if source["scope"] == "city" else 0.0


def _release_unfit_locks(rows: list[dict[str, Any]], quotas: dict[str, Any], years: int) -> None:
    """Turn lock-ins back into ordinary projects until every quota's city supply covers them.

    The largest remaining lock-in on a quota whose city sources (over the horizon) cannot carry
    ``ratio * demand`` of all lock-ins together is released first.
    """
    for table in quotas.values():
        supply = math.fsum(_city_supply_total(source, years) for source in table["sources"])
        column, ratio = table["demand"], table["ratio"]
        locked = [row for row in rows if row["lock"] == "in"]
        while locked and ratio * math.fsum(row[column] for row in locked) > supply:
            largest = max(locked, key=lambda row: (row[column], row["id"]))
            largest["lock"] = ""
            locked.remove(largest)


def _quota_tables(
    profile: Profile, rows: list[dict[str, Any]], parks: tuple[Park, ...], years: int
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
        total = plan.coverage * plan.ratio * queue_demand(rows, plan.demand)
        quotas[plan.id] = {
            "name": plan.name,
            "unit": plan.unit,
            "demand": plan.demand,
            "ratio": plan.ratio,
            "carry_over": plan.carry_over,
            "sources": [
                _source_table(s, total, years, parks, zone_share, plan.unit == "mu") for s in plan.sources
            ],
        }
    return quotas


def land_balance(scenario: dict[str, Any], rows: list[dict[str, Any]]) -> LandBalance:
    """The land balance of a generated scenario (:mod:`quota_sim.shortfall`), year by year.

    The scenario and the rows are read back as ``quota-sim`` reads the written files, so the
    figures are those of the files.
    """
    checked = scenario_from_dict(
        {"name": "generated", "projects": "generated_projects.csv", **scenario}, ".", "generated scenario"
    )
    projects = read_projects_bytes(
        projects_csv(rows).encode("utf-8"),
        "generated_projects.csv",
        checked.zone_ids(),
        [quota.demand for quota in checked.quotas],
        checked.start_year,
    )
    balance = shortfall.land_balance(checked, projects)
    assert balance is not None  # every profile has a land quota
    return balance


# ---------------------------------------------------------------------------
# The scenario dictionary
# ---------------------------------------------------------------------------


def _description(scenario: dict[str, Any], rows: list[dict[str, Any]], parks: tuple[Park, ...]) -> str:
    balance = land_balance(scenario, rows)
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
        f"{park_names}），{n}个排队项目，规划期{first}–{last}年（{t}年）；产业以资源循环利用（再生铅、再"
        f"生塑料、再生铝）为主，兼有铅蓄电池、生物基可降解材料、铝基新材料、塑胶市政管道、高分子材料、营"
        f"养健康、智能机械和物流。\n"
        f"用地缺口的算法：每年新具备开工条件（最早开工年份为当年）的项目（未被排除，lock ≠ out）用地，减"
        f"去当年各来源用地供给（年度计划指标、盘活存量、增减挂钩）。{years_zh}。平均需求"
        f"{balance.demand:,.0f}亩/年，供给{balance.supply:,.0f}亩/年（年度计划指标{src['plan']:,.0f} + 盘"
        f"活存量{src['stock']:,.0f} + 增减挂钩{src['linkage']:,.0f}，挂钩指标{LINKAGE_PRICE:g}万元/亩），"
        f"缺口约{balance.shortfall:,.0f}亩/年，年年如此。能耗增量指标{energy_plan:,}吨标准煤/年另加用能权"
        f"交易，约为需求的{energy_cover:.0%}；NOx、VOCs按2倍量替代；铅（再生铅、铅蓄电池项目）按"
        f"1:{lead_ratio:g}减量替代；专业技术工人每年新增约{labour_pool:,}人，当年不用即流失；部分项目占用"
        f"林地（林地定额有限）或基本农田（调整指标为0，不能开工）；{locked_in}个项目已签约锁定（lock = "
        f"in），{locked_out}个已排除（lock = out）。\n"
        f"Synthetic data, not real projects. The scenario is modelled on the work report of a national "
        f"high-tech zone in a county-level city of northern Anhui: {len(parks)} parks, {n} queued "
        f"projects, horizon {first}-{last} ({t} years); resource recycling (recycled lead, plastics, "
        f"aluminium) leads, with lead-acid batteries, bio-based degradable materials, aluminium-based "
        f"materials, plastic municipal pipes, polymer materials, nutrition & health, intelligent "
        f"machinery and logistics.\n"
        f"How the land shortfall arises: each year, the land of the projects (not locked out) that "
        f"become ready that year (earliest_year) minus that year's supply from every land source. "
        f"{years_en}. On average a demand of {balance.demand:,.0f} mu/yr against a supply of "
        f"{balance.supply:,.0f} mu/yr (plan quota {src['plan']:,.0f} + revitalised stock "
        f"{src['stock']:,.0f} + linkage quota {src['linkage']:,.0f} at {LINKAGE_PRICE:g} 万元/mu), a "
        f"shortfall of about {balance.shortfall:,.0f} mu every year. The energy-use quota "
        f"({energy_plan:,} tce/yr plus energy-right trading) covers about {energy_cover:.0%} of the "
        f"demand; NOx and VOCs are replaced 2:1; lead (recycled-lead and lead-acid battery projects) "
        f"1:{lead_ratio:g} (reduction replacement); about {labour_pool:,} skilled workers join the pool "
        f"each year and leave if not hired that year; some sites are forest land (small forest quota) "
        f"or basic farmland (adjustment quota 0: they cannot start); {locked_in} projects are signed "
        f"(lock = in) and {locked_out} withdrawn (lock = out)."
    )


def generate_queue(
    n_projects: int,
    n_zones: int,
    years: int,
    seed: int,
    start_year: int = 2026,
    profile: str = "jieshou",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A synthetic scenario and its project queue.

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
        The scenario dictionary (SPEC §1.1 shape, without ``name`` and ``projects``) and the
        project rows (dicts keyed by the SPEC §1.2 columns plus the quota demand columns
        ``energy_tce``, ``nox_t``, ``vocs_t``, ``cod_t``, ``lead_t``, ``forest_mu``,
        ``farmland_mu``), in input order.

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
    quotas = _quota_tables(chosen, rows, parks, years)
    _release_unfit_locks(rows, quotas, years)
    scenario: dict[str, Any] = {
        "start_year": start_year,
        "years": years,
        "zones": [
            {
                "id": park.id,
                "name": park.name,
                "min_investment_intensity": park.min_investment_intensity,
                "min_tax_per_mu": park.min_tax_per_mu,
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
    scenario = {"description": _description(scenario, rows, parks), **scenario}
    return scenario, rows


# ---------------------------------------------------------------------------
# Writing files
# ---------------------------------------------------------------------------


def scenario_toml(name: str, projects: str, scenario: dict[str, Any], command: str) -> str:
    """The TOML text of a generated scenario (written by ``tomli_w``), with the command that made it.

    Parameters
    ----------
    name, projects
        The scenario's ``name`` and its projects-table path (relative to the TOML).
    scenario
        The dictionary from :func:`generate_queue`.
    command
        The ``quota-sim generate`` command line recorded in the header comment.
    """
    document = {
        "name": name,
        "description": scenario["description"],
        "projects": projects,
        **{key: scenario[key] for key in ("start_year", "years", "zones", "quotas", "objective", "solver")},
    }
    header = f"# Synthetic scenario (all figures are made up; see docs/baseline.md).\n# Made by: {command}\n"
    return header + "\n" + tomli_w.dumps(document, multiline_strings=True)


def _csv_cell(column: str, value: Any) -> str:
    if column in DECIMALS:
        if column in BLANK_WHEN_ZERO and value == 0:
            return ""
        return f"{value:.{DECIMALS[column]}f}"
    return str(value)


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


def write_generated(
    out_dir: str | Path,
    name: str,
    n_projects: int,
    n_zones: int,
    years: int,
    seed: int,
    start_year: int = 2026,
) -> Path:
    """Generate a scenario and write ``<out_dir>/<name>.toml`` and ``<out_dir>/<name>_projects.csv``.

    Both files are UTF-8 and written atomically; the TOML names the CSV relative to itself.
    Sizes as in :func:`generate_queue`; ``name`` must match ``[A-Za-z0-9_-]+``.

    Returns
    -------
    Path
        The TOML file.

    Raises
    ------
    InputError
        On a bad name or size (nothing is written).
    """
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(f"'{name}' may only contain letters, digits, '_' and '-'", column="--name")
    scenario, rows = generate_queue(n_projects, n_zones, years, seed, start_year)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / f"{name}_projects.csv"
    toml_path = out / f"{name}.toml"
    command = generate_command(name, n_projects, n_zones, years, seed, start_year)
    write_atomic(csv_path, projects_csv(rows).encode("utf-8"))
    write_atomic(toml_path, scenario_toml(name, csv_path.name, scenario, command).encode("utf-8"))
    return toml_path
