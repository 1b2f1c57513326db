"""The report's charts as PNG bytes (matplotlib, the ``plot`` extra), drawn without pyplot's global state.

Chinese labels need a CJK font: the first installed one of :data:`CJK_FONTS` (fonts-noto-cjk provides
Noto Sans CJK SC) is used. Without one the charts are drawn with English labels and park ids; without
matplotlib they are left out — never a failure.
"""

from __future__ import annotations

import io
import warnings
from functools import lru_cache
from pathlib import Path

from quota_sim.meeting.words import Words
from quota_sim.meeting.workbook import land_rows
from quota_sim.vocabulary import pick

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "SimHei",
    "Microsoft YaHei",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Serif CJK SC",
    "SimSun",
    "AR PL UMing CN",
    # A .ttc collection registers its first face: the pan-CJK Noto fonts hold every Chinese glyph in each.
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Noto Sans CJK HK",
    "Noto Serif CJK JP",
)
# File names of CJK fonts, looked for when matplotlib's font cache predates their installation.
_CJK_FILES = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy", "simhei", "simsun", "msyh", "uming")
_DPI = 150

CHART_TEXT: dict[str, tuple[str, str]] = {
    "land_title": ("分年度用地来源与供给（亩）", "Land used by source and supplied, per year (mu)"),
    "land_supply": ("当年供给（各来源）", "supply that year (all sources)"),
    "zone_title": (
        "各园区批准项目用地（亩，按开工年份）",
        "Land of approved projects by park (mu, by start year)",
    ),
    "use_title": ("各项指标使用率（已用 / 可用）", "Share of each quota used (used / available)"),
    "baseline_title": ("目标值对比（万元）", "Objective compared (10k yuan)"),
    "optimised": ("优化方案", "optimised plan"),
    "mu": ("亩", "mu"),
}


def available() -> bool:
    """Whether matplotlib is installed (the ``plot`` extra)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed CJK font, or None."""
    from matplotlib import font_manager

    def known() -> str | None:
        installed = {font.name for font in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    if known() is None:
        for path in font_manager.findSystemFonts():
            if any(key in Path(path).name.lower() for key in _CJK_FILES):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue  # an unreadable font file: try the next
    return known()


def _figure():
    from matplotlib.figure import Figure

    return Figure(figsize=(7.0, 3.6), dpi=_DPI, layout="constrained")


def _thousands(axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:,.0f}"))


def _png(figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def charts(words: Words) -> list[tuple[str, bytes]]:
    """(caption, PNG) for each chart the result supports; empty without matplotlib."""
    if not available():
        return []
    from matplotlib import rc_context, rcParams

    font = cjk_font()
    # Without a CJK font the charts speak English and name parks by their ids.
    chart_words = words if font else Words(words.data, "en", plain=True)
    settings = {"axes.unicode_minus": False}
    if font:
        settings["font.sans-serif"] = [font, *rcParams["font.sans-serif"]]
    drawn = []
    with rc_context(settings), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a glyph the font lacks is drawn as a box, not an error
        for draw in (_land_by_year, _land_by_zone, _quota_use, _baselines):
            chart = draw(chart_words)
            if chart is not None:
                drawn.append(chart)
    return drawn


def _say(key: str, lang: str) -> str:
    return pick(CHART_TEXT[key], lang)


def _land_by_year(words: Words):
    land = words.facts["land_quota"]
    if land is None:
        return None
    years = [words.facts["start_year"] + t for t in range(words.facts["years"])]
    sources = [s["id"] for s in words.data.quota(land)["sources"]]
    used = {s: [0.0] * len(years) for s in sources}
    supply = [0.0] * len(years)
    for row in words.data.quota_use:
        if row["quota"] == land:
            t = row["year"] - years[0]
            used[row["source"]][t] += row["used"]
            supply[t] += row["available"]
    figure = _figure()
    axes = figure.add_subplot()
    bottom = [0.0] * len(years)
    for s in sources:
        axes.bar(years, used[s], bottom=bottom, label=words.source(land, s))
        bottom = [b + u for b, u in zip(bottom, used[s], strict=True)]
    axes.plot(years, supply, color="black", linestyle="--", marker="o", label=_say("land_supply", words.lang))
    axes.set_xticks(years)
    _thousands(axes.yaxis)
    axes.set_ylabel(_say("mu", words.lang))
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    title = _say("land_title", words.lang)
    axes.set_title(title, fontsize=10)
    return title, _png(figure)


def _land_by_zone(words: Words):
    rows = land_rows(words)
    if not rows:
        return None
    years = [words.facts["start_year"] + t for t in range(words.facts["years"])]
    zones = [z for z in words.facts["zones"] if any(row["zone"] == z for row in rows)]
    figure = _figure()
    axes = figure.add_subplot()
    bottom = [0.0] * len(years)
    for z in zones:
        heights = [sum(r["land"] for r in rows if r["zone"] == z and r["year"] == y) for y in years]
        axes.bar(years, heights, bottom=bottom, label=words.zone(z))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_xticks(years)
    _thousands(axes.yaxis)
    axes.set_ylabel(_say("mu", words.lang))
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    title = _say("zone_title", words.lang)
    axes.set_title(title, fontsize=10)
    return title, _png(figure)


def _quota_use(words: Words):
    kpi = words.data.summary["kpi"]
    quotas = [q["id"] for q in words.facts["quotas"] if kpi[f"{q['id']}_available"] > 0]
    if not quotas:
        return None
    shares = [100 * words.used(q) / kpi[f"{q}_available"] for q in quotas]
    figure = _figure()
    axes = figure.add_subplot()
    names = [words.quota(q) for q in quotas]
    axes.barh(names[::-1], shares[::-1], color="#4c72b0")
    for y, share in enumerate(shares[::-1]):
        axes.text(share + 1, y, f"{share:.1f}%", va="center", fontsize=7)
    axes.set_xlim(0, 115)
    axes.set_xlabel("%")
    title = _say("use_title", words.lang)
    axes.set_title(title, fontsize=10)
    return title, _png(figure)


def _baselines(words: Words):
    summary = words.data.summary
    baselines = {m: b for m, b in (summary.get("baselines") or {}).items() if b.get("objective") is not None}
    if not baselines or summary.get("objective") is None:
        return None
    names = [_say("optimised", words.lang)] + [words.method(m) for m in baselines]
    values = [summary["objective"]] + [b["objective"] for b in baselines.values()]
    figure = _figure()
    axes = figure.add_subplot()
    axes.bar(names, values, color=["#55a868"] + ["#8c8c8c"] * len(baselines))
    _thousands(axes.yaxis)
    for x, value in enumerate(values):
        axes.text(x, value, f"{value:,.0f}", ha="center", va="bottom", fontsize=7)
    axes.tick_params(axis="x", labelsize=8)
    title = _say("baseline_title", words.lang)
    axes.set_title(title, fontsize=10)
    return title, _png(figure)
