"""The planners' words for the result's codes, in Chinese and English: one table per kind of code,
shared by the app (:mod:`quota_sim.i18n`) and the meeting pack (:mod:`quota_sim.meeting.labels`), so
a status, unit, method, land class or source reads the same on the screen, in the workbook and in
the report.

Every function returns a code it does not know unchanged.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")

# Display names of the quotas the scenarios use.
QUOTA_NAMES: dict[str, tuple[str, str]] = {
    "land": ("用地", "Land"),
    "energy": ("用能", "Energy use"),
    "nox": ("氮氧化物", "NOx"),
    "vocs": ("挥发性有机物", "VOCs"),
    "so2": ("二氧化硫", "SO2"),
    "cod": ("化学需氧量", "COD"),
    "nh3n": ("氨氮", "NH3-N"),
    "ammonia": ("氨氮", "NH3-N"),
    "lead": ("铅", "Lead"),
    "pb": ("铅", "Lead"),
    "heavy_metals": ("重金属", "Heavy metals"),
    "forest": ("林地", "Forest land"),
    "farmland": ("基本农田", "Basic farmland"),
    "public_forest": ("公益林", "Public-welfare forest"),
    "cropland": ("耕地占补平衡", "Cropland offset"),
    "labour": ("专业技术工人", "Skilled labour"),
    "water": ("用水", "Water"),
    "dust": ("颗粒物", "Particulates"),
    "pm": ("颗粒物", "Particulates"),
}

# Default unit of each known quota when the scenario does not say (SPEC: land mu, energy tce, emissions t).
QUOTA_UNITS: dict[str, str] = {
    "land": "mu",
    "forest": "mu",
    "farmland": "mu",
    "public_forest": "mu",
    "cropland": "mu",
    "energy": "tce",
    "nox": "t",
    "vocs": "t",
    "so2": "t",
    "cod": "t",
    "nh3n": "t",
    "ammonia": "t",
    "dust": "t",
    "pm": "t",
    "lead": "t",
    "pb": "t",
    "heavy_metals": "t",
    "water": "t",
}

UNITS: dict[str, tuple[str, str]] = {
    "mu": ("亩", "mu"),
    "亩": ("亩", "mu"),
    "tce": ("吨标准煤", "tce"),
    "t": ("吨", "t"),
    "kg": ("千克", "kg"),
    "万元": ("万元", "10k yuan"),
    "人": ("人", "people"),
}

STATUSES: dict[str, tuple[str, str]] = {
    # project statuses (SPEC §4)
    "approved": ("批准", "Approved"),
    "not_selected": ("未入选", "Not selected"),
    "ineligible": ("不符合准入条件", "Ineligible"),
    "locked_out": ("锁定排除", "Locked out"),
    # solve statuses (SPEC §4 summary.json)
    "optimal": ("最优", "Optimal"),
    "feasible": ("可行（未证明最优）", "Feasible (not proven optimal)"),
    "infeasible": ("不可行", "Infeasible"),
    "no_solution": ("限时内无解", "No solution within the limits"),
    # a hand ranking the analyses' time budget ended before it was done
    "no_time": ("时间预算已用完，未完成", "Not done: the time budget ran out"),
}

# One word for a solve status in a headline figure (the full wording is in STATUSES).
SHORT_STATUSES: dict[str, tuple[str, str]] = {
    "optimal": ("最优", "Optimal"),
    "feasible": ("可行", "Feasible"),
    "infeasible": ("不可行", "Infeasible"),
    "no_solution": ("无解", "No solution"),
}

# Analysis methods: how a marginal value was found, and the hand rankings the plan is compared with.
METHODS: dict[str, tuple[str, str]] = {
    "resolve": ("增加指标后重新求解", "re-solve with more quota"),
    "lp_dual": ("线性松弛对偶值（近似）", "LP-relaxation dual (approximate)"),
    "fcfs": ("先到先得（按排队时间）", "first come, first served"),
    "per_mu": ("按亩均效益排序", "ranked by per-mu (亩均) efficiency"),
    "optimised": ("优化方案", "optimised plan"),
}

# How exact a marginal value is (quota_sim.analysis.marginal ``status``; the app adds not_run and
# cancelled for analyses it did not start or that the planner stopped).
MARGINAL_STATUSES: dict[str, tuple[str, str]] = {
    "optimal": ("精确（重新求解已证明间隙）", "exact (re-solve proved its gap)"),
    "lp_bound": ("为零（线性松弛上界已证明）", "zero (proven by the LP bound)"),
    "time_limited": ("下限（限时重新求解）", "lower bound (time-limited re-solve)"),
    "neighbourhood": (
        "下限（保留已批项目的重新求解，在此范围内精确）",
        "lower bound (re-solve keeping the approvals, exact within them)",
    ),
    "lp": ("近似（线性松弛对偶值）", "approximate (LP-relaxation dual)"),
    "no_time": ("未在分析时限内计算", "not computed within the analyses' time budget"),
    "not_run": ("未运行（超出时间预算）", "not run (time budget)"),
    "cancelled": ("已取消", "cancelled"),
    "no_solution": ("限时内无解", "no solution within the limits"),
    "infeasible": ("不可行", "infeasible"),
}

# Land classes of a sites table (its `<class>_mu` columns, SPEC §5).
LAND_CLASSES: dict[str, tuple[str, str]] = {
    "construction": ("存量建设用地", "existing construction land"),
    "cropland": ("耕地", "cropland"),
    "basic_farmland": ("永久基本农田", "basic farmland"),
    "farmland": ("基本农田", "farmland"),
    "public_forest": ("公益林地", "public-welfare forest"),
    "commercial_forest": ("商品林地", "commercial forest"),
    "forest": ("林地", "forest"),
    "unused": ("未利用地", "unused land"),
    "water": ("水域", "water"),
    "other": ("其他（未分类）", "other (unclassified)"),
}

# Names of the sources the scenarios commonly use, for scenarios that do not name them.
SOURCE_NAMES: dict[str, tuple[str, str]] = {
    "plan": ("年度计划指标", "yearly plan quota"),
    "stock": ("盘活存量用地", "revitalised stock land"),
    "linkage": ("增减挂钩节余指标", "linkage surplus quota"),
    "trading": ("交易指标", "traded quota"),
    "allocation": ("总量指标分配", "allocated total"),
    "reduction": ("削减替代来源", "reduction offsets"),
    "provincial": ("省级指标", "provincial quota"),
    "rights": ("用能权交易", "energy-use rights"),
    "adjustment": ("规划调整指标", "plan adjustment"),
    "offset": ("占补平衡指标", "cropland offset"),
    "grant": ("追加指标", "granted quota"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    """The English word of a (Chinese, English) pair for ``en``, the Chinese one otherwise."""
    return pair[1] if lang == "en" else pair[0]


def _label(table: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    pair = table.get(code)
    return pick(pair, lang) if pair else code


def quota_label(quota: str, lang: str = "zh", name: str = "") -> str:
    """A quota's short display name ("land" → "用地" / "Land"). ``name`` is the scenario's own
    (Chinese) name, shown in Chinese for an id this module does not know."""
    pair = QUOTA_NAMES.get(quota)
    if pair:
        return pick(pair, lang)
    return name if name and lang != "en" else quota


def unit_label(unit: str, lang: str = "zh") -> str:
    """A unit ("mu" → "亩", "tce" → "吨标准煤" in Chinese)."""
    return _label(UNITS, unit, lang)


def status_label(status: str, lang: str = "zh", short: bool = False) -> str:
    """A project status (approved, not_selected...) or a solve status (optimal, feasible...);
    ``short`` gives one word for a solve status ("可行" rather than "可行（未证明最优）")."""
    if short and status in SHORT_STATUSES:
        return pick(SHORT_STATUSES[status], lang)
    return _label(STATUSES, status, lang)


def method_label(method: str, lang: str = "zh") -> str:
    """An analysis method (resolve, lp_dual, fcfs, per_mu, optimised)."""
    return _label(METHODS, method, lang)


def marginal_status_label(status: str, lang: str = "zh") -> str:
    """How exact a marginal value is (optimal, neighbourhood, time_limited...)."""
    return _label(MARGINAL_STATUSES, status, lang)


def land_class_label(land_class: str, lang: str = "zh") -> str:
    """A land class of the sites table (cropland, public_forest...)."""
    return _label(LAND_CLASSES, land_class, lang)


def source_label(source: str, lang: str = "zh") -> str:
    """A source id commonly used by scenarios (plan, stock, linkage...)."""
    return _label(SOURCE_NAMES, source, lang)
