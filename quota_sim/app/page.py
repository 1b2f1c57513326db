"""The planners' page: move the quota levers, solve, see who gets land, pin projects, compare and download.

:func:`main` draws the page; Streamlit runs it from :mod:`quota_sim.app.streamlit_app` (``quota-sim
app``, ``make app``) or from the checkout's ``app.py``. This module holds the page only: every
figure comes from the ``quota_sim`` library (scenario variants and tables from
``quota_sim.app_state``, the solve from ``quota_sim.pipeline``, analyses from ``quota_sim.analysis``
via :mod:`quota_sim.app.analysis_job`, the shared settings from :mod:`quota_sim.app.library`,
downloads from ``quota_sim.export``, labels from ``quota_sim.i18n``).

How the page keeps its state. The levers a planner moves are kept per scenario (``levers``) apart
from the widgets that show them, so a language switch (which relabels every widget) or a restore
(which bumps ``generation`` and so draws fresh widgets) never loses or garbles a value. ``applied``
holds the levers and pins of the result on screen: when the levers differ, the result is dimmed
and says so. Every solved setting is stored in the library and named in the URL (``?setting=``),
so a refresh or a shared link restores it.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_run_yield_check

from quota_sim import app_state
from quota_sim.analysis.sweep import run_sweep, sweep_markers
from quota_sim.app.analysis_job import STEPS, AnalysisJob
from quota_sim.app.library import (
    Library,
    NameTaken,
    Setting,
    data_folder,
    remove_old_pinned_queues,
    upload_key,
)
from quota_sim.app.solver import Planner, SolveFailed, Solver
from quota_sim.app.stored_results import result_from_json, result_json, result_key
from quota_sim.app_state import Levers, Pin, PollutantLever
from quota_sim.cells import markdown_text
from quota_sim.errors import InputError
from quota_sim.export import allocation_csv_bytes, allocation_xlsx_bytes, report_docx_bytes
from quota_sim.i18n import column_label, error_message, input_warning, reason_label, t
from quota_sim.needs import Need, waiting_needs
from quota_sim.projects import Projects, projects_for
from quota_sim.results import Result
from quota_sim.scenario import Scenario, baseline_path, load_scenario, scenario_to_toml
from quota_sim.upload_store import Session, upload_store
from quota_sim.vocabulary import (
    MARGINAL_STATUSES,
    land_class_label,
    marginal_status_label,
    method_label,
    quota_label,
    status_label,
    unit_label,
)

PROJECT_STATUSES = ("approved", "not_selected", "ineligible", "locked_out")
POLL_SECONDS = 0.25  # how often a running analysis is checked (and can be cancelled)
SWEEP_POINTS = 9
SWEEP_SECONDS = 30.0  # the in-app sweep's budget, all points together (s)
SWEEP_MIN_POINT_SECONDS = 1.0  # a point is not started with less time left than this (s)
ANY_SITE = ""  # the site picker's "any site of the park"
ALL_PARKS = ""  # the sites map's "every park"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

#: Streamlit's own words in the upload box, in Chinese (Streamlit has no parameter for them).
UPLOADER_STYLE_ZH = """
<style>
[data-testid="stFileUploaderDropzone"] button p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button p::after { content: "选择文件"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "或拖放到此处 · 单个文件不超过 20 MB · CSV、XLSX"; font-size: 0.8rem; }
</style>
"""

#: Dims the result while the levers differ from it (drawn only then).
STALE_STYLE = "<style>.st-key-result { opacity: 0.4; filter: grayscale(60%); }</style>"


# --------------------------------------------------------------------------- cached library calls


@st.cache_resource(max_entries=16, show_spinner=False)
def load_base(path: str, projects_path: str | None) -> Scenario:
    """A scenario file, reading its projects from ``projects_path`` when a table was uploaded.

    One shared (frozen) scenario per file and table, so what it reads once (its sites table) is not
    read again on every rerun."""
    scenario = load_scenario(path)
    return app_state.with_projects(scenario, Path(projects_path)) if projects_path else scenario


@st.cache_resource(max_entries=16, show_spinner=False)
def load_base_toml(path: str, projects_path: str | None) -> str:
    """:func:`load_base` as standalone TOML (the key of its projects and of the page's state)."""
    return scenario_to_toml(load_base(path, projects_path))


@st.cache_resource(max_entries=16, show_spinner=False)
def load_projects(toml_text: str) -> Projects:
    """The projects of a base scenario (one shared, frozen table: not copied on every rerun)."""
    return projects_for(app_state.scenario_from_toml(toml_text))


def solve_toml(toml_text: str) -> Result:
    """The result of a scenario given as TOML text: grades always, the diagnosis when infeasible.

    Solved by the server's :func:`solver` before anything solved ahead, once for every session (one
    shared result per setting, never modified by the page); the page's run may stop or rerun while
    it waits.

    Raises
    ------
    InputError
        If the setting cannot be read.
    SolveFailed
        If its solve ended without a result.
    """
    return solver().solves.result(toml_text, check=get_run_yield_check())


def kept_result(toml_text: str) -> Result | None:
    """A proven result of ``toml_text`` kept in the library (e.g. before a restart), if any."""
    kept = library().result(result_key(toml_text, upload_store().folder))
    if kept is None:
        return None
    try:
        return result_from_json(kept, toml_text)
    except (InputError, ValueError, TypeError, KeyError):
        return None  # its queue is gone or the entry is unreadable: solve as usual


def keep_result(toml_text: str, result: Result) -> None:
    """Keep a proven result (optimal, infeasible) in the library unless it is there already; one
    stopped by its time limit is solved again after a restart."""
    key = result_key(toml_text, upload_store().folder)
    if result.status in ("optimal", "infeasible") and library().result(key) is None:
        text = result_json(result)
        if text is not None:
            library().keep_result(key, text)


@st.cache_resource(max_entries=32, show_spinner=False)
def needs_of(toml_text: str) -> dict[str, Need]:
    """What each waiting project of the setting ``toml_text`` would need (worked out once per result)."""
    return waiting_needs(solve_toml(toml_text))


@st.cache_resource(on_release=Solver.close)
def solver() -> Solver:
    """The server's solves (child processes), shared by every session: a pressed Solve first, then the
    settings the levers show before Solve is pressed."""
    return Solver(kept_result, keep_result)


@st.cache_resource
def analyses() -> dict[str, dict[str, Any]]:
    """Finished analysis steps per scenario TOML, shared by every session: ``{toml: {step: extras}}``."""
    return {}


@st.cache_resource
def sweeps() -> dict[str, dict[str, list]]:
    """Plan-quota sweeps per scenario TOML, shared by every session: ``{toml: {"rows": [...], "left":
    [values not solved within the budget]}}``."""
    return {}


def library() -> Library:
    """The scenario library every session of this server shares (in :func:`data_folder`)."""
    return library_at(str(data_folder()))


@st.cache_resource
def library_at(folder: str) -> Library:
    """The library in ``folder``, opened once per server process (which also removes the pinned
    queues earlier versions left in the folder)."""
    remove_old_pinned_queues(Path(folder) / "queues")
    return Library(Path(folder) / "library.sqlite3")


# --------------------------------------------------------------------------- small helpers


def scenario_files() -> list[Path]:
    """The scenarios shipped in ``scenarios/`` (the baseline first), then those kept in the data
    folder's ``scenarios/`` (the planners' own, e.g. with their sites table)."""
    baseline = baseline_path()
    others = sorted(p for p in baseline.parent.glob("*.toml") if p.name != baseline.name)
    own = sorted((data_folder() / "scenarios").glob("*.toml"))
    return [baseline, *others, *own]


def number(value: float | None, decimals: int = 0) -> str:
    return app_state.display_number(value, decimals)


def quota_name(scenario: Scenario, quota_id: str, lang: str) -> str:
    quota = next(q for q in scenario.quotas if q.id == quota_id)
    return quota_label(quota.id, lang, quota.name)


def zone_names(scenario: Scenario, lang: str) -> dict[str, str]:
    return {z.id: (z.name if lang != "en" and z.name else z.id) for z in scenario.zones}


def quota_units(scenario: Scenario) -> dict[str, str]:
    return {q.id: q.unit for q in scenario.quotas}


def error_text(error: InputError, lang: str) -> str:
    """An input error in the page's language: where it is (file, row, column), then the library's detail."""
    if lang == "en":
        return markdown_text(str(error))
    where = []
    if error.file:
        where.append(t("error_where_file", lang, file=Path(error.file).name))
    if error.row is not None:
        where.append(t("error_where_row", lang, row=error.row))
    if error.column:
        where.append(t("error_where_column", lang, column=error.column))
    return markdown_text(("，".join(where) + "：" if where else "") + error_message(error.message, lang))


def lever_label(name: str, scenario: Scenario, lang: str) -> str:
    """The label of a lever named as in :func:`quota_sim.app_state.lever_values`."""
    if name == "purchase_budget":
        return t("budget", lang)
    if name.startswith("weight_") or name in (
        "plan_land",
        "stock_land",
        "linkage_amount",
        "linkage_price",
        "energy_increment",
        "strategic_bonus",
        "discount_rate",
        "years",
        "time_limit",
    ):
        return t(name, lang)
    quota, _, kind = name.rpartition("_")
    unit = unit_label(quota_units(scenario).get(quota, ""), lang)
    key = "pollutant_amount" if kind == "amount" else "pollutant_ratio"
    if kind == "amount" and quota_units(scenario).get(quota) in app_state.LAND_UNITS:
        key = "class_amount"
    return t(key, lang, name=quota_name(scenario, quota, lang), unit=unit)


def describe_changes(changes: list[tuple[str, Any, Any]], scenario: Scenario, lang: str) -> str:
    parts = [f"{lever_label(n, scenario, lang)} {_short(old)} → {_short(new)}" for n, old, new in changes]
    return ("；" if lang != "en" else "; ").join(parts)


def _short(value: Any) -> str:
    if value is None:
        return "—"
    return number(value, 0) if abs(float(value)) >= 100 else f"{float(value):,.4g}"


def pick(
    kind: str, label: str, options: list, key: str, lang: str, default: Any = None, **kwargs: Any
) -> Any:
    """A selectbox or multiselect whose choice survives a language switch.

    The widget is keyed per language (its labels change with it) and the chosen values, which are
    codes, are kept under ``key``: a new language draws a fresh widget showing the kept choice.
    """
    kept = st.session_state.get(key, default)
    widget_key = f"{key}@{lang}"
    if kind == "multiselect":
        kept = [v for v in (kept or []) if v in options]
        value = st.multiselect(
            label, options, default=kept, key=widget_key, placeholder=t("choose", lang), **kwargs
        )
    else:
        index = options.index(kept) if kept in options else 0
        value = st.selectbox(
            label, options, index=index, key=widget_key, placeholder=t("choose", lang), **kwargs
        )
    st.session_state[key] = value
    return value


# --------------------------------------------------------------------------- the setting on screen


@dataclass(frozen=True)
class Base:
    """The scenario the levers start from: its file, the table it reads, and its key in the page's state."""

    file: Path
    upload: str | None
    scenario: Scenario
    projects: Projects
    key: str


def state(name: str) -> dict:
    """A dictionary kept in the session (per scenario key inside)."""
    return st.session_state.setdefault(name, {})


def upload_session() -> Session:
    """This session's files in the upload store (its uploads and pinned queues), removed when it ends."""
    if "upload_session" not in st.session_state:
        st.session_state["upload_session"] = upload_store().session()
    return st.session_state["upload_session"]


def restore_from_url(lang: str) -> None:
    """Once per session: restore the setting named by ``?setting=`` (levers, pins, scenario, upload)."""
    if st.session_state.get("url_checked"):
        return
    st.session_state["url_checked"] = True
    setting_id = st.query_params.get("setting")
    if not setting_id:
        return
    entry = library().get(setting_id)
    files = {p.name: p for p in scenario_files()}
    setting = entry.setting if entry else None
    upload = library().upload(setting.projects) if setting and setting.projects else None
    if setting is None or setting.scenario not in files or (setting.projects and upload is None):
        st.session_state["restore_message"] = ("warning", t("restore_missing", lang))
        return
    file = files[setting.scenario]
    st.session_state["scenario_file"] = file
    if setting.projects and upload is not None:  # the uploaded queue, from the library's copy
        path = upload_session().save(upload, Path(setting.projects).name)
        state("uploads")[str(file)] = str(path)
    st.session_state["pending_restore"] = setting
    st.session_state["restore_message"] = ("success", t("restored", lang, name=entry.name or setting_id))


def apply_pending_restore(base: Base) -> None:
    """Put a restored setting's levers and pins in place for ``base`` (after its scenario is loaded)."""
    setting = st.session_state.pop("pending_restore", None)
    if setting is None:
        return
    levers = app_state.levers_from_dict(setting.levers)
    pins = tuple(Pin(**p) for p in setting.pins)
    state("levers")[base.key] = levers
    state("pins")[base.key] = pins
    state("applied")[base.key] = (levers, pins)
    st.session_state["generation"] = st.session_state.get("generation", 0) + 1


def load_base_setting(lang: str) -> Base:
    scenario_file, upload_path = data_panel(lang)
    try:
        scenario = load_base(str(scenario_file), upload_path)
        base_toml = load_base_toml(str(scenario_file), upload_path)
        projects = load_projects(base_toml)
    except InputError as error:
        st.error(t("scenario_error", lang, message=error_text(error, lang)))
        st.stop()
    source = markdown_text(Path(upload_path).name if upload_path else scenario.projects_path.name)
    st.sidebar.caption(t("projects_source", lang, source=source, n=len(projects)))
    for warning in projects.warnings:  # e.g. hidden workbook rows read as projects or parcels
        st.sidebar.warning(t("input_warning", lang, warning=markdown_text(input_warning(warning, lang))))
    key = hashlib.sha256(base_toml.encode("utf-8")).hexdigest()[:12]
    return Base(scenario_file, upload_path, scenario, projects, key)


def variant_and_toml(base: Base, levers: Levers, pins: tuple[Pin, ...]) -> tuple[Scenario, str]:
    """:func:`variant_of` and its TOML text, kept per session for the last settings (no work on a rerun)."""
    memo: dict = st.session_state.setdefault("variants", {})
    key = (base.key, repr(levers), pins)
    if key not in memo:
        variant = variant_of(base, levers, pins)
        memo[key] = (variant, scenario_to_toml(variant))
        while len(memo) > 8:
            memo.pop(next(iter(memo)))
    return memo[key]


def variant_of(base: Base, levers: Levers, pins: tuple[Pin, ...]) -> Scenario:
    """The scenario holding ``levers`` and ``pins``, named after its changes, with its own description."""
    variant = app_state.apply_levers(base.scenario, levers)
    changes = app_state.lever_differences(app_state.levers_from_scenario(base.scenario), levers)
    name = app_state.setting_name(base.scenario.name, changes)
    if pins:
        name = app_state.file_stem(f"{name}_pins-{len(pins)}")
        variant = app_state.with_pins(variant, base.projects, pins, upload_session().save)
    return app_state.described(
        variant, base.scenario, name, changes + [("pins", None, len(pins))] * bool(pins), base.projects
    )


# --------------------------------------------------------------------------- sidebar: data


def data_panel(lang: str) -> tuple[Path, str | None]:
    """Scenario picker and projects upload; returns the scenario file and the last good upload (if any)."""
    st.sidebar.subheader(t("data_header", lang))
    files = scenario_files()
    chosen = st.sidebar.selectbox(
        t("scenario_picker", lang), files, format_func=lambda p: p.stem, key="scenario_file"
    )
    uploads: dict[str, str] = state("uploads")
    upload = st.sidebar.file_uploader(
        t("upload_projects", lang),
        type=["csv", "txt", "xlsx", "xlsm", "xls"],
        help=t("upload_help", lang),
        key="projects_upload",
    )
    if upload is not None:
        handle_upload(upload.getvalue(), upload.name, chosen, lang)
    message = st.session_state.get("upload_message")
    if message and upload is not None:
        kind, text = message
        (st.sidebar.success if kind == "ok" else st.sidebar.error)(text)
    if str(chosen) in uploads and st.sidebar.button(t("upload_clear", lang), key="upload_clear"):
        uploads.pop(str(chosen))
        st.session_state.pop("upload_message", None)
    return chosen, uploads.get(str(chosen))


def handle_upload(data: bytes, filename: str, scenario_file: Path, lang: str) -> None:
    """Check an uploaded table once per (content, scenario, language); keep it only if it is good."""
    digest = hashlib.sha256(data).hexdigest()
    seen = (digest, str(scenario_file), lang)
    if st.session_state.get("upload_seen") == seen:
        return
    st.session_state["upload_seen"] = seen
    uploads: dict[str, str] = state("uploads")
    try:
        scenario = load_base(str(scenario_file), None)
        projects = app_state.read_upload(data, filename, scenario)
    except InputError as error:
        kept = markdown_text(Path(uploads.get(str(scenario_file), scenario_file)).name)
        text = (
            t("upload_failed", lang, message=error_text(error, lang))
            + "\n\n"
            + t("upload_kept", lang, source=kept)
        )
        st.session_state["upload_message"] = ("error", text)
        return
    path = upload_session().save(data, filename, replaces=uploads.get(str(scenario_file)))
    uploads[str(scenario_file)] = str(path)
    st.session_state["upload_message"] = ("ok", t("upload_ok", lang, n=len(projects)))


# --------------------------------------------------------------------------- sidebar: levers


def lever_panel(base: Base, lang: str) -> tuple[Levers, bool, Any]:
    """The levers (live: each change reruns the page, nothing is solved until Solve is pressed).

    Returns the levers shown, whether Solve was pressed, and a placeholder for the shortfall line.
    """
    kept: dict[str, Levers] = state("levers")
    start = app_state.levers_from_scenario(base.scenario)
    now = kept.get(base.key) or start
    generation = st.session_state.get("generation", 0)

    def key(name: str) -> str:
        return f"{base.key}:{generation}:{lang}:{name}"

    tops: dict[str, float] = st.session_state.setdefault("slider_tops", {})

    def top_of(name: str, *values: float | None, floor: float) -> float:
        """A slider's upper end, fixed when the slider is first drawn: a new end would redraw it."""
        return tops.setdefault(key(name), max(floor, app_state.slider_top(*values, floor=floor)))

    def amount(
        label: str,
        own: float | None,
        value: float,
        floor: float,
        preferred: float,
        name: str,
        hint: str | None = None,
    ) -> float:
        top = top_of(name, own, value, floor=floor)
        step = app_state.lever_step(own, preferred)
        return st.slider(
            label, 0.0, top, float(value), step, format=app_state.step_format(step), help=hint, key=key(name)
        )

    sidebar = st.sidebar
    sidebar.subheader(t("levers_header", lang))
    cols = sidebar.columns([3, 2])
    solve = cols[0].button(t("solve_button", lang), type="primary", width="stretch", key="solve")
    if cols[1].button(
        t("reset_levers", lang), width="stretch", key="reset_levers", help=t("reset_levers_help", lang)
    ):
        kept[base.key] = start
        st.session_state["generation"] = generation + 1
        st.rerun()
    with sidebar.expander(t("levers_land", lang), expanded=True):
        plan_land = stock_land = linkage_amount = linkage_price = None
        if now.plan_land is not None:
            plan_land = amount(
                t("plan_land", lang),
                start.plan_land,
                now.plan_land,
                100,
                10.0,
                "plan_land",
                hint=t("plan_land_help", lang),
            )
        shortfall = st.empty()
        if now.stock_land is not None:
            stock_land = amount(
                t("stock_land", lang),
                start.stock_land,
                now.stock_land,
                100,
                10.0,
                "stock",
                hint=t("stock_land_help", lang),
            )
        if now.linkage_amount is not None:
            linkage_amount = amount(
                t("linkage_amount", lang),
                start.linkage_amount,
                now.linkage_amount,
                100,
                5.0,
                "linkage_amount",
            )
            linkage_price = st.number_input(
                t("linkage_price", lang),
                0.0,
                None,
                float(now.linkage_price or 0.0),
                1.0,
                key=key("linkage_price"),
            )
        unlimited = st.checkbox(
            t("budget_unlimited", lang), now.purchase_budget is None, key=key("no_budget")
        )
        budget = st.number_input(
            t("budget", lang),
            0.0,
            None,
            float(now.purchase_budget or 0.0),
            1000.0,
            help=t("budget_help", lang),
            key=key("budget"),
            disabled=unlimited,
        )
    land_classes = []
    if now.land_classes:
        with sidebar.expander(t("levers_land_classes", lang), expanded=False):
            own_classes = {c.quota: c for c in start.land_classes}
            for lever in now.land_classes:
                value = lever.amount
                if value is not None:
                    label = t(
                        "class_amount",
                        lang,
                        name=quota_name(base.scenario, lever.quota, lang),
                        unit=unit_label(lever.unit, lang),
                    )
                    value = amount(
                        label,
                        own_classes[lever.quota].amount,
                        value,
                        100,
                        5.0,
                        f"{lever.quota}:class",
                        hint=t("class_amount_help", lang),
                    )
                land_classes.append(PollutantLever(lever.quota, lever.unit, value, lever.ratio))
    with sidebar.expander(t("levers_energy_env", lang), expanded=False):
        energy = None
        if now.energy_increment is not None:
            energy = amount(
                t("energy_increment", lang),
                start.energy_increment,
                now.energy_increment,
                1000,
                100.0,
                "energy",
            )
        pollutants = []
        start_pollutants = {p.quota: p for p in start.pollutants}
        for lever in now.pollutants:
            name = quota_name(base.scenario, lever.quota, lang)
            unit = unit_label(lever.unit, lang)
            own = start_pollutants[lever.quota]
            value = lever.amount
            if value is not None:
                top = top_of(f"{lever.quota}:amount", own.amount, value, floor=1)
                value = amount(
                    t("pollutant_amount", lang, name=name, unit=unit),
                    own.amount,
                    value,
                    1,
                    10.0 ** round(math.log10(top / 300)),
                    f"{lever.quota}:amount",
                )
            ratio = st.slider(
                t("pollutant_ratio", lang, name=name),
                0.0,
                tops.setdefault(key(f"{lever.quota}:ratio"), max(3.0, own.ratio, lever.ratio)),
                float(lever.ratio),
                app_state.lever_step(own.ratio, 0.1),
                format="%.2f",
                key=key(f"{lever.quota}:ratio"),
            )
            pollutants.append(PollutantLever(lever.quota, lever.unit, value, ratio))
    with sidebar.expander(t("levers_objective", lang), expanded=False):
        weights = {}
        columns = st.columns(2)
        for i, indicator in enumerate(("output", "tax", "investment", "jobs")):
            weights[indicator] = columns[i % 2].number_input(
                t(f"weight_{indicator}", lang),
                0.0,
                None,
                float(now.weights.get(indicator, 0.0)),
                0.1,
                key=key(f"weight:{indicator}"),
            )
        bonus = st.slider(
            t("strategic_bonus", lang),
            0.0,
            tops.setdefault(key("bonus"), max(1.0, start.strategic_bonus, now.strategic_bonus)),
            float(now.strategic_bonus),
            app_state.lever_step(start.strategic_bonus, 0.05),
            key=key("bonus"),
        )
        discount = st.slider(
            t("discount_rate", lang),
            0.0,
            tops.setdefault(key("discount"), max(0.2, start.discount_rate, now.discount_rate)),
            float(now.discount_rate),
            app_state.lever_step(start.discount_rate, 0.005),
            format="%.3f",
            key=key("discount"),
        )
        years = st.slider(t("years", lang), 1, max(10, start.years), int(now.years), 1, key=key("years"))
        time_limit = st.number_input(
            t("time_limit", lang),
            1.0,
            max(600.0, start.time_limit),
            float(now.time_limit),
            1.0,
            format="%.0f",
            key=key("time_limit"),
        )
    levers = Levers(
        plan_land=plan_land,
        stock_land=stock_land,
        linkage_amount=linkage_amount,
        linkage_price=linkage_price,
        purchase_budget=None if unlimited else budget,
        energy_increment=energy,
        pollutants=tuple(pollutants),
        weights=weights,
        strategic_bonus=bonus,
        discount_rate=discount,
        years=years,
        time_limit=time_limit,
        land_classes=tuple(land_classes),
    )
    kept[base.key] = levers
    return levers, solve, shortfall


def show_shortfall(placeholder: Any, base: Base, levers: Levers, lang: str) -> None:
    """The land balance of the levers as they are (kept per session for the last settings)."""
    memo: dict = st.session_state.setdefault("balances", {})
    key = (base.key, repr(levers))
    if key not in memo:
        memo[key] = app_state.land_balance(app_state.apply_levers(base.scenario, levers), base.projects)
        while len(memo) > 8:
            memo.pop(next(iter(memo)))
    balance = memo[key]
    if balance is None:
        return
    fields = {"demand": balance.demand, "supply": balance.supply, "gap": balance.shortfall}
    line = "shortfall_line" if balance.shortfall > 0 else "surplus_line"
    placeholder.caption(t(line, lang, **fields))


# --------------------------------------------------------------------------- main panels


def status_metric(column: Any, head: app_state.Headline, lang: str) -> None:
    column.metric(
        t("metric_status", lang),
        status_label(head.status, lang, short=True),
        border=True,
        delta=t("metric_seconds", lang, seconds=head.seconds),
        delta_color="off",
        delta_arrow="off",
        help=status_label(head.status, lang),
    )


def headline(result: Result, lang: str) -> None:
    """The headline figures; without a plan (infeasible, no solution) only the status and the queue."""
    head = app_state.headline_figures(result)
    scenario = result.scenario
    st.subheader(t("headline_header", lang))
    if not result.solved:
        cols = st.columns(4)
        status_metric(cols[0], head, lang)
        cols[1].metric(t("metric_queued", lang), f"{head.queued}", border=True)
        if head.status == "no_solution":
            st.error(t("no_solution_note", lang))
        return
    cols = st.columns(4)
    cols[0].metric(
        t("metric_approved", lang),
        f"{head.approved}",
        border=True,
        delta=t("metric_approved_of", lang, n=head.queued),
        delta_color="off",
        delta_arrow="off",
    )
    cols[1].metric(t("metric_output", lang), number(head.output), border=True)
    cols[2].metric(t("metric_tax", lang), number(head.tax), border=True)
    cols[3].metric(t("metric_investment", lang), number(head.investment), border=True)
    cols = st.columns(4)
    status_metric(cols[0], head, lang)
    cols[1].metric(
        t("metric_objective", lang), number(head.objective), border=True, help=t("objective_help", lang)
    )
    cols[2].metric(
        t("metric_gap_label", lang),
        app_state.display_percent(head.gap),
        border=True,
        help=t("gap_help", lang),
    )
    cols[3].metric(t("metric_purchase", lang), number(head.purchase_cost), border=True)
    shown = [q for q in head.quotas if q.available > 0 or q.used > 0]
    for start in range(0, len(shown), 4):
        cols = st.columns(4)
        for col, figure in zip(cols, shown[start : start + 4], strict=False):
            label = t(
                "metric_quota_total",
                lang,
                name=quota_name(scenario, figure.quota, lang),
                unit=unit_label(figure.unit, lang),
            )
            decimals = 0 if figure.available >= 100 else 2
            col.metric(
                label,
                number(figure.used, decimals),
                delta=t("metric_available", lang, available=number(figure.available, decimals)),
                delta_color="off",
                delta_arrow="off",
                border=True,
            )
    if head.status == "feasible":
        st.warning(t("feasible_note", lang, gap=app_state.display_percent(head.gap)))
        if any(app_state.reason_is_unproven(result, row.reason) for row in result.allocation):
            st.warning(t("unproven_note", lang, gap=app_state.display_percent(head.gap)))


def infeasible_panel(result: Result, base: Base, lang: str) -> None:
    """Why the setting is infeasible (the library's diagnosis) and the locks a planner may release."""
    diagnosis = result.extras.get("diagnosis")
    if not diagnosis:
        st.error(t("infeasible_note", lang) + (f"\n\n{result.message}" if result.message else ""))
    else:
        st.error(diagnosis.get("message_en" if lang == "en" else "message_zh") or t("infeasible_note", lang))
        overruns = diagnosis.get("overruns", [])
        if overruns:
            st.markdown(f"**{t('diagnosis_header', lang)}**")
            zones = zone_names(result.scenario, lang)
            rows = [
                {
                    column_label("quota", lang): quota_name(result.scenario, o["quota"], lang),
                    column_label("zone", lang): zones.get(o["zone"], t("city", lang))
                    if o["zone"]
                    else t("city", lang),
                    column_label("year", lang): str(o["year"]),
                    t("overrun_label", lang): number(o["overrun"], 1),
                    column_label("unit", lang): unit_label(o["unit"], lang),
                }
                for o in overruns
            ]
            st.dataframe(pd.DataFrame(rows), hide_index=True)
        for entry in diagnosis.get("unplaceable_locks", []):
            st.caption(f"{entry['id']}: {entry['reason']}")
    locked = [i for i, lock in enumerate(result.projects.lock) if lock == "in"]
    if not locked:
        return
    st.markdown(f"**{t('locks_header', lang)}**")
    for i in locked:
        project_id = result.projects.ids[i]
        cols = st.columns([5, 1], vertical_alignment="center")
        cols[0].write(f"{project_id} {result.projects.names[i]} · {result.projects.land_mu[i]:,.0f} 亩")
        if cols[1].button(t("pin_release", lang), key=f"release:{project_id}"):
            set_pin(base, Pin(project_id, ""))


def set_pin(base: Base, pin: Pin) -> None:
    """Pin (or release) a project and solve again with the levers as they are."""
    pins = tuple(p for p in state("pins").get(base.key, ()) if p.project != pin.project)
    if pin.lock != "" or base.projects.lock[base.projects.ids.index(pin.project)] != "":
        pins = (*pins, pin)
    state("pins")[base.key] = pins
    levers = state("levers").get(base.key) or app_state.levers_from_scenario(base.scenario)
    state("applied")[base.key] = (levers, pins)
    st.rerun()


def downloads(result: Result, toml_text: str, name: str, lang: str) -> None:
    """The allocation table, the planners' workbook, the meeting report and the setting's TOML, named
    after the setting; the table, workbook and report are made when clicked, not on every run."""
    cols = st.columns(4)
    stem = app_state.file_stem(name)
    files = []
    if result.solved:
        files += [
            ("csv", lambda: allocation_csv_bytes(result, lang), f"{stem}_allocation.csv", "text/csv"),
            ("xlsx", lambda: allocation_xlsx_bytes(result, lang), f"{stem}_allocation.xlsx", XLSX_TYPE),
            ("docx", lambda: report_docx_bytes(result, lang), f"{stem}_report.docx", DOCX_TYPE),
        ]
    files.append(("toml", toml_text.encode("utf-8"), f"{stem}.toml", "application/toml"))
    for col, (kind, data, file_name, mime) in zip(cols, files, strict=False):
        col.download_button(
            t(f"download_{kind}", lang),
            data,
            file_name,
            mime,
            help=t(f"download_help_{kind}", lang),
            key=f"download_{kind}",
            on_click="ignore",
            icon=":material/download:",
        )


def allocation_panel(result: Result, base: Base, toml_text: str, lang: str) -> None:
    frame, table = allocation_tables(toml_text, lang)
    zones = zone_names(result.scenario, lang)
    cols = st.columns(3)
    with cols[0]:
        statuses = pick(
            "multiselect",
            t("filter_status", lang),
            [s for s in PROJECT_STATUSES if s in set(frame["status"])],
            "filter_status",
            lang,
            format_func=lambda s: status_label(s, lang),
        )
    with cols[1]:
        zone_choice = pick(
            "multiselect",
            t("filter_zone", lang),
            [z for z in zones if z in set(frame["zone"])],
            "filter_zone",
            lang,
            format_func=lambda z: zones.get(z, z),
        )
    with cols[2]:
        industries = sorted(i for i in set(frame["industry"]) if i)
        industry_choice = pick("multiselect", t("filter_industry", lang), industries, "filter_industry", lang)
    kept = app_state.filter_allocation(frame, statuses, zone_choice, industry_choice).index
    st.caption(t("rows_shown", lang, shown=len(kept), total=len(frame)))
    st.dataframe(table.loc[kept], hide_index=True, height=420)
    pin_panel(result, base, lang)


@st.cache_resource(max_entries=32, show_spinner=False)
def allocation_tables(toml_text: str, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The allocation of a setting as filtered (:func:`quota_sim.app_state.allocation_frame`) and as shown
    in ``lang`` (labels, reasons, needs, rounded figures), row for row: worked out once per setting and
    language, shared by every session (never modified)."""
    result = solve_toml(toml_text)
    frame = app_state.allocation_frame(result)
    grades = result.extras.get("allocation_columns", {}).get("grade")
    if grades is not None:
        frame.insert(4, "grade", grades)
    zones = zone_names(result.scenario, lang)
    shown = frame.copy()
    quota_ids = [q.id for q in result.scenario.quotas]
    gap = app_state.display_percent(result.gap)
    shown["reason"] = [
        t("reason_unproven", lang, gap=gap)
        if app_state.reason_is_unproven(result, r)
        else reason_label(r, lang, quota_ids)
        for r in shown["reason"]
    ]
    needs = needs_of(toml_text)
    shown.insert(
        shown.columns.get_loc("reason") + 1,
        "need",
        [need_text(needs.get(i), result, lang) for i in shown["id"]],
    )
    shown["status"] = shown["status"].map(lambda s: status_label(s, lang))
    shown["zone"] = shown["zone"].map(lambda z: zones.get(z, z) if z else "")
    shown["value"] = shown["value"].round(1)
    shown["start_year"] = shown["start_year"].map(lambda year: "" if pd.isna(year) else str(year))
    for column in shown.columns:
        if column.endswith("_charged"):
            shown[column] = shown[column].round(2)
    units = quota_units(result.scenario)
    shown = shown.rename(columns={"need": t("need_column", lang)})
    return frame, shown.rename(columns={c: column_label(c, lang, units) for c in shown.columns})


def need_text(need: Need | None, result: Result, lang: str) -> str:
    """What a waiting project would take to start: the extra quota, park and year (blank for others)."""
    if need is None:
        return ""
    zones = zone_names(result.scenario, lang)
    where = zones.get(need.zone, need.zone) + (f" {need.site}" if need.site else "")
    if need.fits:
        return t("need_fits", lang, zone=where, year=need.year)
    units = quota_units(result.scenario)
    parts = [
        f"{quota_name(result.scenario, q, lang)} {app_state.display_number(v, 2 if v < 10 else 0)} "
        f"{unit_label(units.get(q, ''), lang)}"
        for q, v in need.short.items()
    ]
    if need.budget > 0:
        parts.append(t("need_budget", lang, amount=app_state.display_number(need.budget)))
    return t(
        "need_short", lang, zone=where, year=need.year, parts=("、" if lang != "en" else ", ").join(parts)
    )


def pin_panel(result: Result, base: Base, lang: str) -> None:
    """Pin a project (lock in, lock out, lock in to a park, a year and, with sites, a site) and solve
    again; release pins."""
    projects = base.projects
    zones = zone_names(result.scenario, lang)
    pins: tuple[Pin, ...] = state("pins").get(base.key, ())
    with st.expander(t("pin_header", lang), expanded=bool(pins)):
        cols = st.columns([3, 2, 2, 2], vertical_alignment="bottom")
        names = dict(zip(projects.ids, projects.names, strict=False))
        with cols[0]:
            project = pick(
                "selectbox",
                t("pin_project", lang),
                list(projects.ids),
                "pin_project",
                lang,
                format_func=lambda p: f"{p} {names.get(p, '')}",
            )
        with cols[1]:
            action = pick(
                "selectbox",
                t("pin_action", lang),
                ["in", "out", "fix"],
                "pin_action",
                lang,
                format_func=lambda a: t(f"pin_{a}", lang),
            )
        i = projects.ids.index(project)
        zone = year = site = None
        if action == "fix":
            fix = st.columns(3, vertical_alignment="bottom")
            with fix[0]:
                zone = pick(
                    "selectbox",
                    t("pin_zone", lang),
                    list(projects.zones[i]),
                    "pin_zone",
                    lang,
                    format_func=lambda z: zones.get(z, z),
                )
            with fix[1]:
                first = max(int(projects.earliest_year[i]), result.scenario.start_year)
                years = [y for y in result.scenario.horizon if y >= first] or list(result.scenario.horizon)
                year = pick("selectbox", t("pin_year", lang), years, "pin_year", lang)
            sites = result.scenario.sites
            if sites is not None:
                choices = [k for k in sites.ids if sites.zone_of()[k] == zone]
                if projects.sites[i]:
                    choices = [k for k in choices if k in projects.sites[i]]
                with fix[2]:
                    site = pick(
                        "selectbox",
                        t("pin_site", lang),
                        [ANY_SITE, *choices],
                        "pin_site",
                        lang,
                        format_func=lambda k: t("pin_any_site", lang) if k == ANY_SITE else k,
                    )
                site = None if site == ANY_SITE else site
        if st.button(t("pin_button", lang), key="pin_button", type="primary"):
            year = None if year is None else int(year)
            set_pin(base, Pin(project, "in" if action == "fix" else action, zone, year, site))
        if pins:
            st.markdown(f"**{t('pins_now', lang)}**")
            for pin in pins:
                row = st.columns([5, 1], vertical_alignment="center")
                row[0].write(describe_pin(pin, zones, lang))
                if row[1].button(t("pin_release", lang), key=f"unpin:{pin.project}"):
                    state("pins")[base.key] = tuple(p for p in pins if p.project != pin.project)
                    levers = state("levers").get(base.key) or app_state.levers_from_scenario(base.scenario)
                    state("applied")[base.key] = (levers, state("pins")[base.key])
                    st.rerun()


def describe_pin(pin: Pin, zones: dict[str, str], lang: str) -> str:
    if pin.lock == "":
        return t("pin_describe_free", lang, id=pin.project)
    if pin.zone is not None:
        where = zones.get(pin.zone, pin.zone) + (f" {pin.site}" if pin.site else "")
        return t("pin_describe_fix", lang, id=pin.project, zone=where, year=pin.year)
    return t(f"pin_describe_{pin.lock}", lang, id=pin.project)


def charts_panel(result: Result, projects: Projects, lang: str) -> None:
    scenario = result.scenario
    quota_ids = [q.id for q in scenario.quotas]
    units = quota_units(scenario)
    year_title = column_label("year", lang)
    st.markdown(f"**{t('chart_quota_use', lang)}**")
    quota_id = pick(
        "selectbox",
        t("chart_quota_pick", lang),
        quota_ids,
        "chart_quota",
        lang,
        format_func=lambda q: quota_name(scenario, q, lang),
    )
    amount_title = f"{quota_name(scenario, quota_id, lang)} ({unit_label(units[quota_id], lang)})"
    used = app_state.quota_use_by_industry(result, quota_id, t("no_industry", lang))
    supply = app_state.supply_per_year(scenario, quota_id)
    bars = (
        alt.Chart(used)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title=year_title, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("used:Q", title=amount_title, stack="zero"),
            color=alt.Color("industry:N", title=column_label("industry", lang)),
            tooltip=[
                alt.Tooltip("year:O", title=year_title),
                alt.Tooltip("industry:N", title=column_label("industry", lang)),
                alt.Tooltip("used:Q", title=amount_title, format=",.2f"),
            ],
        )
    )
    line = (
        alt.Chart(supply)
        .mark_line(point=True, color="#d62728", strokeDash=[6, 3])
        .encode(
            x=alt.X("year:O", title=year_title, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("supply:Q", title=amount_title),
            tooltip=[
                alt.Tooltip("year:O", title=year_title),
                alt.Tooltip("supply:Q", title=t("chart_supply", lang), format=",.2f"),
            ],
        )
    )
    st.altair_chart((bars + line).properties(height=320), width="stretch")
    st.caption(t("chart_quota_note", lang))

    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('chart_start_years', lang)}**")
        starts = app_state.start_years_by_zone(result)
        zones = zone_names(scenario, lang)
        starts["zone"] = starts["zone"].map(lambda z: zones.get(z, z))
        chart = (
            alt.Chart(starts)
            .mark_bar()
            .encode(
                x=alt.X("year:O", title=year_title, axis=alt.Axis(labelAngle=0)),
                xOffset="zone:N",
                y=alt.Y("projects:Q", title=t("chart_count", lang)),
                color=alt.Color("zone:N", title=column_label("zone", lang)),
                tooltip=["year:O", "zone:N", "projects:Q"],
            )
        )
        st.altair_chart(chart.properties(height=300), width="stretch")
    with right:
        st.markdown(f"**{t('chart_queue', lang)}**", help=t("chart_queue_note", lang))
        queue = app_state.demand_vs_supply(scenario, projects)
        series = {"ready": t("chart_demand", lang), "supply": t("chart_supply", lang)}
        long = queue.melt(id_vars="year", value_vars=list(series), var_name="series", value_name="mu")
        long["series"] = long["series"].map(series)
        chart = (
            alt.Chart(long)
            .mark_bar()
            .encode(
                x=alt.X("year:O", title=year_title, axis=alt.Axis(labelAngle=0)),
                xOffset="series:N",
                y=alt.Y("mu:Q", title=t("chart_amount_mu", lang)),
                color=alt.Color("series:N", title=t("chart_series", lang)),
                tooltip=["year:O", "series:N", alt.Tooltip("mu:Q", format=",.0f")],
            )
        )
        st.altair_chart(chart.properties(height=300), width="stretch")
        balance = app_state.land_balance(scenario, projects)
        if balance is not None:
            line = "shortfall_line" if balance.shortfall > 0 else "surplus_line"
            st.caption(t(line, lang, demand=balance.demand, supply=balance.supply, gap=balance.shortfall))


def balance_panel(result: Result, toml_text: str, lang: str) -> None:
    """The per-park, per-year balance of a quota and the sweep of the yearly plan quota."""
    scenario = result.scenario
    units = quota_units(scenario)
    quota_ids = [q.id for q in scenario.quotas]
    st.markdown(f"**{t('balance_table', lang)}**", help=t("balance_note", lang))
    quota_id = pick(
        "selectbox",
        t("chart_quota_pick", lang),
        quota_ids,
        "balance_quota",
        lang,
        format_func=lambda q: quota_name(scenario, q, lang),
    )
    frame = app_state.balance_frame(result, quota_id)
    zones = zone_names(scenario, lang)
    frame["zone"] = frame["zone"].map(lambda z: zones.get(z, z) if z else t("city", lang))
    frame["year"] = frame["year"].astype(str)
    unit = unit_label(units[quota_id], lang)
    shown = app_state.display_frame(frame, decimals={"cost": 1})
    shown = shown.rename(columns=lambda c: column_label(c, lang).replace(t("quota_unit_word", lang), unit))
    st.dataframe(shown, hide_index=True, height=min(40 + 35 * len(shown), 420))
    sweep_panel(result, toml_text, lang)


def sweep_panel(result: Result, toml_text: str, lang: str) -> None:
    scenario = result.scenario
    where = app_state.find_lever_sources(scenario).plan
    if where is None:
        return
    key = f"quotas.{where[0]}.sources.{where[1]}.amounts"
    markers = sweep_markers(scenario, result.projects, key)
    if markers.baseline is None:
        return
    st.markdown(f"**{t('sweep_header', lang)}**")
    done = sweeps().get(toml_text)
    if done is None:
        if not st.button(t("sweep_button", lang), key="sweep_button"):
            return
        top = max(markers.shortfall_closed or 0.0, markers.baseline) * 1.25
        values = [round(top * i / (SWEEP_POINTS - 1)) for i in range(SWEEP_POINTS)]
        fresh: dict[str, list] = {"rows": [], "left": sweep_order(values)}
        done = sweeps()[toml_text] = sweep_points(result, key, fresh, lang)
    if done["left"]:
        values = "、".join(number(v) for v in sorted(done["left"]))
        st.warning(t("sweep_left_out", lang, budget=SWEEP_SECONDS, n=len(done["left"]), values=values))
        if st.button(t("sweep_continue", lang, n=len(done["left"])), key="sweep_continue"):
            sweeps()[toml_text] = sweep_points(result, key, done, lang)
            st.rerun()
    if not done["rows"]:
        return
    frame = pd.DataFrame(done["rows"]).sort_values("value")
    frame = frame[frame["objective"].notna()]
    frame["proven"] = frame["status"].map(lambda code: status_label(code, lang, short=True))
    x = alt.X("value:Q", title=t("sweep_value", lang))
    rules = pd.DataFrame(
        {
            "value": [markers.baseline] + ([markers.shortfall_closed] if markers.shortfall_closed else []),
            "kind": ["now"] + (["closed"] if markers.shortfall_closed else []),
        }
    )
    rule = (
        alt.Chart(rules)
        .mark_rule(strokeDash=[4, 3])
        .encode(
            x="value:Q",
            color=alt.Color(
                "kind:N", scale=alt.Scale(domain=["now", "closed"], range=["#888", "#d62728"]), legend=None
            ),
        )
    )
    left, right = st.columns(2)
    for column, field, title in (
        (left, "objective", t("metric_objective", lang)),
        (right, "approved", t("metric_approved", lang)),
    ):
        y = alt.Y(f"{field}:Q", title=title)
        line = alt.Chart(frame).mark_line().encode(x=x, y=y)
        points = (
            alt.Chart(frame)
            .mark_point(size=50, filled=True)
            .encode(
                x=x,
                y=y,
                shape=alt.Shape("proven:N", title=t("metric_status", lang)),
                tooltip=[
                    alt.Tooltip("value:Q", format=",.0f"),
                    alt.Tooltip(f"{field}:Q", format=",.0f"),
                    alt.Tooltip("proven:N", title=t("metric_status", lang)),
                ],
            )
        )
        column.altair_chart((line + points + rule).properties(height=260), width="stretch")
    st.caption(t("sweep_note", lang, gap=max(markers.shortfall_per_year or 0.0, 0.0)))
    unproven = [row for row in done["rows"] if row["status"] == "feasible"]
    if unproven:
        st.caption(t("sweep_unproven", lang, n=len(unproven)))


def sweep_order(values: list[float]) -> list[float]:
    """The sweep's points coarse to fine (ends, middle, quarters, ...), so a sweep the budget cuts short
    still spans the whole range."""
    order, step = [0, len(values) - 1], len(values) - 1
    while step > 1:
        step = max(step // 2, 1)
        order += [i for i in range(0, len(values), step) if i not in order]
    order += [i for i in range(len(values)) if i not in order]
    return [values[i] for i in order]


def sweep_points(result: Result, key: str, sweep: dict[str, list], lang: str) -> dict[str, list]:
    """``sweep`` with its points left (``sweep["left"]``) solved within :data:`SWEEP_SECONDS`, each
    within what is left of it (a point stopped by its limit is kept, as feasible); the points the
    budget does not reach stay left."""
    rows, left = list(sweep["rows"]), list(sweep["left"])
    total = len(rows) + len(left)
    bar = st.progress(len(rows) / total, text=t("sweep_running", lang, done=len(rows), total=total))
    deadline = time.monotonic() + SWEEP_SECONDS
    while left and deadline - time.monotonic() >= SWEEP_MIN_POINT_SECONDS:
        limit = {"time_limit": min(result.scenario.solver.time_limit, deadline - time.monotonic())}
        rows += run_sweep(result.scenario, key, [left.pop(0)], projects=result.projects, solve_options=limit)
        bar.progress(len(rows) / total, text=t("sweep_running", lang, done=len(rows), total=total))
    bar.empty()
    return {"rows": rows, "left": left}


SITE_COLOURS = {"used": "#d62728", "free": "#2ca02c", "blocked": "#7f7f7f", "not_ready": "#ff7f0e"}
CLASS_COLOURS = {
    "construction": "#bdbdbd",
    "cropland": "#e6c229",
    "basic_farmland": "#a05a2c",
    "public_forest": "#1b7837",
    "commercial_forest": "#7fbf7b",
    "unused": "#c7b9a5",
    app_state.OTHER_CLASS: "#dddddd",
}


def sites_panel(result: Result, lang: str) -> None:
    """The parks' sites drawn from their own geometry (no map tiles: works offline), coloured by the
    plan or by land class, with the approved projects; the plan-adjustment and forest quotas are
    sliders in the sidebar; below, one row per site."""
    frame = app_state.site_frame(result)
    zones = zone_names(result.scenario, lang)
    parks = [z for z in zones if z in set(frame["zone"])]
    left, right = st.columns(2)
    with left:
        park = pick(
            "selectbox",
            t("site_park", lang),
            [*parks, ALL_PARKS],
            "site_park",
            lang,
            format_func=lambda z: t("site_all_parks", lang) if z == ALL_PARKS else zones.get(z, z),
        )
    with right:
        by = pick(
            "selectbox",
            t("site_colour", lang),
            ["state", "main_class"],
            "site_colour",
            lang,
            format_func=lambda k: t(f"site_colour_{k}", lang),
        )
    if park != ALL_PARKS:  # one park at a time: its sites large enough to read, labelled
        frame = frame[frame["zone"] == park].reset_index(drop=True)
    features = [f for f in app_state.site_features(result) if park in (ALL_PARKS, f["properties"]["zone"])]
    if features:
        for feature in features:
            props = feature["properties"]
            props["state_label"] = t(f"site_state_{props['state']}", lang)
            props["class_label"] = land_class_label(props["main_class"], lang)
            props["zone_label"] = zones.get(props["zone"], props["zone"])
        if by == "state":
            codes = [c for c in app_state.SITE_STATES if c in set(frame["state"])]
            field_name, domain = "state_label", [t(f"site_state_{c}", lang) for c in codes]
            colours = [SITE_COLOURS[c] for c in codes]
        else:
            codes = list(dict.fromkeys(frame["main_class"]))
            field_name, domain = "class_label", [land_class_label(c, lang) for c in codes]
            colours = [CLASS_COLOURS.get(c, "#9467bd") for c in codes]
        shapes = (
            alt.Chart(alt.Data(values=features))
            .mark_geoshape(stroke="#333333", strokeWidth=0.6)
            .encode(
                color=alt.Color(
                    f"properties.{field_name}:N",
                    title=t(f"site_colour_{by}", lang),
                    scale=alt.Scale(domain=domain, range=colours),
                ),
                tooltip=[
                    alt.Tooltip("properties.id:N", title=t("site_id", lang)),
                    alt.Tooltip("properties.zone_label:N", title=column_label("zone", lang)),
                    alt.Tooltip("properties.area_mu:Q", title=t("site_area", lang), format=",.1f"),
                    alt.Tooltip("properties.class_label:N", title=t("site_colour_main_class", lang)),
                    alt.Tooltip("properties.state_label:N", title=t("site_colour_state", lang)),
                    alt.Tooltip("properties.used_mu:Q", title=t("site_used", lang), format=",.1f"),
                    alt.Tooltip("properties.projects:N", title=t("site_projects", lang)),
                ],
            )
        )
        labels = (
            alt.Chart(alt.Data(values=features))
            .mark_text(fontSize=11, fontWeight="bold", color="#111111")
            .encode(longitude="properties.lon:Q", latitude="properties.lat:Q", text="properties.label:N")
        )
        for feature in features:
            props = feature["properties"]
            count = len(props["projects"].split("|")) if props["projects"] else 0
            props["label"] = props["id"] + (f" ({count})" if count else "")
        layers = shapes + labels if park != ALL_PARKS else shapes
        map_chart = layers.project(type="mercator").properties(height=520)
        st.altair_chart(map_chart, width="stretch")
        st.caption(t("site_map_note", lang))
    else:
        st.info(t("site_no_geometry", lang))
    table = frame.copy()
    table["zone"] = table["zone"].map(lambda z: zones.get(z, z))
    table["state"] = table["state"].map(lambda c: t(f"site_state_{c}", lang))
    table["main_class"] = table["main_class"].map(lambda c: land_class_label(c, lang))
    table["ready_year"] = table["ready_year"].astype(str)
    shown = app_state.display_frame(table, decimals={"area_mu": 1, "used_mu": 1, "free_mu": 1})
    labels = {
        "id": t("site_id", lang),
        "name": column_label("name", lang),
        "zone": column_label("zone", lang),
        "area_mu": t("site_area", lang),
        "ready_year": t("site_ready", lang),
        "main_class": t("site_colour_main_class", lang),
        "state": t("site_colour_state", lang),
        "used_mu": t("site_used", lang),
        "free_mu": t("site_free", lang),
        "projects": t("site_projects", lang),
    }
    for column in table.columns:
        if column.endswith("_mu") and column not in labels:
            labels[column] = f"{land_class_label(column[:-3], lang)}({unit_label('mu', lang)})"
    st.dataframe(shown.rename(columns=labels), hide_index=True)


def analysis_panel(result: Result, toml_text: str, lang: str) -> None:
    columns = result.extras.get("allocation_columns", {})
    if "grade" in columns:
        st.markdown(f"**{t('grades_header', lang)}**")
        table = pd.crosstab(
            pd.Series(columns["grade"], name=column_label("grade", lang)),
            pd.Series(
                [status_label(r.status, lang) for r in result.allocation], name=column_label("status", lang)
            ),
        )
        st.dataframe(table)
    if not result.solved:
        return
    if st.session_state.get("analysis_cancel"):
        # a fresh switch, off (the browser still shows the old one on)
        st.session_state["analysis_on"] = False
        st.session_state["analysis_round"] = st.session_state.get("analysis_round", 0) + 1
        st.session_state["analysis_note"] = t("analysis_cancelled", lang)
    round_ = st.session_state.get("analysis_round", 0)
    run = st.toggle(
        t("analysis_toggle", lang),
        value=st.session_state.get("analysis_on", False),
        key=f"analysis_on:{round_}@{lang}",
        help=t("analysis_toggle_help", lang),
    )
    st.session_state["analysis_on"] = run
    note = st.session_state.pop("analysis_note", None)
    if note:
        st.info(note)
    if not run:
        return
    extras = run_analysis(toml_text, result.scenario.solver.time_limit, lang)
    show_analysis(result, extras, lang)


def run_analysis(toml_text: str, budget: float, lang: str) -> dict[str, Any]:
    """The analyses of a setting: finished steps from the shared cache, the others run now in a child
    process with a progress bar, stopped by Cancel, by the session ending, or after ``budget`` seconds."""
    done = analyses().setdefault(toml_text, {})
    missing = [step for step in STEPS if step not in done]
    if missing:
        bar = st.progress(0.0)
        st.button(t("analysis_cancel", lang), key="analysis_cancel")
        job = AnalysisJob(solve_toml(toml_text), missing)
        started = time.monotonic()
        try:
            while job.alive and time.monotonic() - started < budget:
                done.update(job.poll())
                left = [step for step in STEPS if step not in done]
                step = left[0] if left else missing[-1]
                fraction = (len(STEPS) - len(left)) / len(STEPS)
                bar.progress(
                    fraction,
                    text=t(
                        "analysis_running",
                        lang,
                        step=t(f"step_{step}", lang),
                        seconds=time.monotonic() - started,
                        budget=budget,
                    ),
                )
                time.sleep(POLL_SECONDS)
            done.update(job.poll())
        finally:
            job.stop()  # also when the session ends or Cancel reruns the page: the child never lingers
        bar.empty()
        left = [step for step in STEPS if step not in done]
        if left:
            st.warning(
                t(
                    "analysis_over_budget",
                    lang,
                    budget=budget,
                    steps="、".join(t(f"step_{s}", lang) for s in left),
                )
            )
    extras: dict[str, Any] = {}
    for part in done.values():
        extras.update(part)
    return extras


def analysis_status(code: str, lang: str) -> str:
    """How an analysis re-solve ended, in words (unknown codes as they are)."""
    return marginal_status_label(code, lang) if code in MARGINAL_STATUSES else status_label(code, lang)


def show_analysis(result: Result, extras: dict[str, Any], lang: str) -> None:
    scenario = result.scenario
    marginal = extras.get("marginal_values") or []
    if marginal:
        st.markdown(f"**{t('marginal_header', lang)}**", help=t("lp_dual_help", lang))
        frame = pd.DataFrame(marginal)
        frame["unit"] = frame["quota"].map(lambda q: unit_label(quota_units(scenario)[q], lang))
        frame["quota"] = frame["quota"].map(lambda q: quota_name(scenario, q, lang))
        frame["method"] = frame["method"].map(lambda m: method_label(m, lang))
        if "status" in frame:
            frame["status"] = frame["status"].map(lambda c: analysis_status(c, lang))
        shown = app_state.display_frame(
            frame, decimals={"delta": 2, "objective_gain": 1, "value_per_unit": 2}
        )
        st.dataframe(shown.rename(columns=lambda c: column_label(c, lang)), hide_index=True)
        st.caption(t("lp_dual_help", lang))
        info = extras.get("analysis")
        if info:
            counts = "、".join(f"{analysis_status(k, lang)} {v}" for k, v in info.get("resolves", {}).items())
            st.caption(
                t(
                    "analysis_budget_note",
                    lang,
                    seconds=info["seconds"],
                    budget=info["budget_seconds"],
                    resolves=counts or "—",
                )
            )
    baselines = extras.get("baselines")
    if baselines:
        st.markdown(f"**{t('baselines_header', lang)}**")
        rows = [
            {
                "baseline": method_label("optimised", lang),
                "status": status_label(result.status, lang),
                "objective": result.objective,
                "approved": result.kpi.get("approved"),
                "land_used": result.kpi.get("land_used"),
                "output": result.kpi.get("output"),
                "tax": result.kpi.get("tax"),
                "uplift_pct": None,
            }
        ]
        for method, entry in baselines.items():
            rows.append(
                {
                    "baseline": method_label(method, lang),
                    "status": status_label(entry.get("status", ""), lang),
                    "objective": entry.get("objective"),
                    "approved": entry.get("approved"),
                    "land_used": entry.get("land_used"),
                    "output": entry.get("output"),
                    "tax": entry.get("tax"),
                    "uplift_pct": entry.get("uplift_pct"),
                }
            )
        shown = app_state.display_frame(
            pd.DataFrame(rows), decimals={"uplift_pct": 1, "land_used": 0, "approved": 0}
        )
        st.dataframe(shown.rename(columns=lambda c: column_label(c, lang)), hide_index=True)
    importance = extras.get("importance")
    if importance:
        st.markdown(f"**{t('importance_header', lang)}**")
        frame = pd.DataFrame(importance)
        zones = zone_names(scenario, lang)
        frame["zone"] = frame["zone"].map(lambda z: zones.get(z, z))
        frame["status"] = frame["status"].map(lambda s: status_label(s, lang))
        frame["start_year"] = frame["start_year"].map(lambda y: "—" if y is None else str(y))
        shown = app_state.display_frame(
            frame, decimals={"value": 0, "objective_without": 0, "replacement_cost": 0}
        )
        st.dataframe(shown.rename(columns=lambda c: column_label(c, lang)), hide_index=True)


# --------------------------------------------------------------------------- comparison and library


def snapshot_of(result: Result, levers: Levers) -> dict[str, Any]:
    saved = app_state.snapshot("", result, "")
    return {
        "figures": saved.figures,
        "statuses": saved.statuses,
        "names": saved.names,
        "levers": app_state.levers_to_dict(levers),
    }


def comparison_panel(result: Result, base: Base, setting: Setting, toml_text: str, lang: str) -> None:
    shelf = library()
    save_form(shelf, setting, lang)
    entries = [e for e in shelf.named() if e.snapshot]
    if not entries:
        st.info(t("compare_none", lang))
        return
    by_name = {e.name: e for e in entries}
    seen = st.session_state.get("compare_seen")
    if seen is None or set(seen) != set(by_name):
        # every saved setting is picked at first; settings saved since (here or by a colleague) join
        kept = st.session_state.get("compare_pick") or []
        st.session_state["compare_pick"] = [*kept, *[n for n in by_name if n not in (seen or [])]]
        st.session_state["compare_seen"] = list(by_name)
        st.session_state.pop(f"compare_pick@{lang}", None)
    names = pick("multiselect", t("compare_pick", lang), list(by_name), "compare_pick", lang)
    current_name = t("current", lang)
    chosen = [
        app_state.SavedScenario(
            n,
            by_name[n].snapshot["figures"],
            by_name[n].snapshot["statuses"],
            by_name[n].snapshot["names"],
            by_name[n].toml,
        )
        for n in names
    ]
    chosen.append(app_state.snapshot(current_name, result, toml_text))
    levers = {n: app_state.levers_from_dict(by_name[n].snapshot["levers"]) for n in names}
    levers[current_name] = setting_levers(setting)
    scenario = result.scenario
    st.markdown(f"**{t('compare_levers', lang)}**")
    values = {n: app_state.lever_values(v) for n, v in levers.items()}
    keys = [k for k in values[current_name] if len({_short(v.get(k)) for v in values.values()}) > 1]
    zones = zone_names(scenario, lang)
    pinned = {n: by_name[n].setting.pins for n in names} | {current_name: setting.pins}
    pins = {n: "；".join(describe_pin(Pin(**p), zones, lang) for p in v) or "—" for n, v in pinned.items()}
    if keys or len(set(pins.values())) > 1:
        index = [lever_label(k, scenario, lang) for k in keys]
        cells = {n: [_short(values[n].get(k)) for k in keys] for n in values}
        if len(set(pins.values())) > 1:
            index.append(t("pins_now", lang))
            cells = {n: [*column, pins[n]] for n, column in cells.items()}
        st.dataframe(pd.DataFrame(cells, index=index, dtype=object), width="stretch")
    else:
        st.caption(t("compare_no_lever_changes", lang))
    units = quota_units(scenario)
    figures = app_state.compare_figures(chosen)
    rows = {}
    for key in figures.index:
        cells = list(figures.loc[key])
        if key == "status":
            rows[key] = [status_label(str(s), lang) for s in cells]
        elif key == "gap":
            rows[key] = [app_state.display_percent(v) for v in cells]
        else:
            rows[key] = [app_state.display_number(v, app_state.decimals_for(cells)) for v in cells]
    shown = pd.DataFrame.from_dict(rows, orient="index", columns=list(figures.columns))
    shown.index = [column_label(k, lang, units) for k in shown.index]
    st.markdown(f"**{t('compare_figures', lang)}**")
    st.dataframe(shown, width="stretch")
    st.markdown(f"**{t('compare_changes', lang)}**")
    changes = app_state.status_changes(chosen)
    if changes.empty:
        st.caption(t("compare_no_changes", lang))
    else:
        for item in chosen:
            changes[item.name] = changes[item.name].map(lambda s: status_label(s, lang) if s else "—")
        st.dataframe(changes.rename(columns=lambda c: column_label(c, lang)), hide_index=True)
    cols = st.columns([3, 1, 1], vertical_alignment="bottom")
    with cols[0]:
        target = pick("selectbox", t("compare_pick", lang), list(by_name), "library_target", lang)
    if cols[1].button(t("open_setting", lang), key="library_open"):
        st.query_params["setting"] = by_name[target].id
        st.session_state["url_checked"] = False
        st.rerun()
    if cols[2].button(t("library_remove", lang), key="library_remove"):
        shelf.unname(target)
        st.rerun()


def setting_levers(setting: Setting) -> Levers:
    return app_state.levers_from_dict(setting.levers)


def save_form(shelf: Library, setting: Setting, lang: str) -> None:
    """Name the setting on screen in the shared library; a name another setting holds asks first."""
    with st.form("save_scenario", clear_on_submit=True, border=False):
        cols = st.columns([3, 1], vertical_alignment="bottom")
        name = cols[0].text_input(
            t("save_name", lang), key="save_name", placeholder=t("save_placeholder", lang)
        )
        if cols[1].form_submit_button(t("save_button", lang), key="save"):
            name = name.strip()
            if not name:
                st.warning(t("save_name_invalid", lang))
            else:
                try:
                    shelf.name(setting.id, name)
                    st.success(t("saved_ok", lang, name=name))
                except NameTaken:
                    st.session_state["save_conflict"] = name
    conflict = st.session_state.get("save_conflict")
    if conflict:
        other = app_state.unique_name(conflict, [e.name for e in shelf.named()])
        st.warning(t("save_taken", lang, name=conflict))
        cols = st.columns(2)
        if cols[0].button(t("save_replace", lang, name=conflict), key="save_replace"):
            shelf.name(setting.id, conflict, replace=True)
            st.session_state.pop("save_conflict")
            st.rerun()
        if cols[1].button(t("save_as_new", lang, name=other), key="save_as_new"):
            shelf.name(setting.id, other)
            st.session_state.pop("save_conflict")
            st.rerun()


# --------------------------------------------------------------------------- the page


VIEWS = ("allocation", "charts", "balance", "sites", "analysis", "compare")


def panels(result: Result, base: Base, setting: Setting, toml_text: str, lang: str) -> None:
    """The tabs below the headline; only the open one is drawn (a tab switch reruns the page)."""
    views = [v for v in VIEWS if v != "sites" or result.scenario.sites is not None]
    labels = {view: t(f"{view}_header", lang) for view in views}
    kept = st.session_state.get("view", VIEWS[0])
    kept = kept if kept in views else VIEWS[0]
    if st.session_state.get("view_lang") != lang:  # new language, new labels: open the same tab
        st.session_state[f"view@{lang}"] = labels[kept]
        st.session_state["view_lang"] = lang
    tabs = st.tabs(list(labels.values()), key=f"view@{lang}", on_change="rerun")
    view = next((v for v, tab in zip(views, tabs, strict=True) if tab.open), kept)
    st.session_state["view"] = view
    with tabs[views.index(view)]:
        if view == "analysis":
            analysis_panel(result, toml_text, lang)
        elif not result.solved:
            st.info(status_label(result.status, lang))
            if view == "allocation":
                pin_panel(result, base, lang)
        elif view == "allocation":
            allocation_panel(result, base, toml_text, lang)
        elif view == "charts":
            charts_panel(result, base.projects, lang)
        elif view == "balance":
            balance_panel(result, toml_text, lang)
        elif view == "sites":
            sites_panel(result, lang)
        else:
            comparison_panel(result, base, setting, toml_text, lang)


def warm_up() -> None:
    """Make the server ready for its first planner: Streamlit's emoji and icon tables (compiled when
    the first widget is drawn, about 0.3 s), the baseline and its queue read as the page reads them,
    and the baseline solved as the page first shows it."""
    import streamlit.emojis
    import streamlit.material_icon_names  # noqa: F401

    toml_text = load_base_toml(str(baseline_path()), None)
    load_projects(toml_text)
    try:
        solve_toml(toml_text)
    except SolveFailed:
        pass  # the server stopped during the warm-up (or the planner's page will say what failed)


def solve_pending_ahead(base: Base, levers: Levers, pins: tuple[Pin, ...]) -> None:
    """Start solving the setting the levers show (not yet the one on screen), so Solve finds it ready."""
    try:
        _, toml_text = variant_and_toml(base, levers, pins)
    except InputError:
        return  # Solve will say what is wrong with it
    if st.session_state.get("ahead") != toml_text:
        st.session_state["ahead"] = toml_text
        if "planner" not in st.session_state:  # dropped with the session: its setting is then forgotten
            st.session_state["planner"] = Planner(solver().solves)
        solver().solves.want(st.session_state["planner"].id, toml_text)


def language() -> str:
    if "lang" not in st.session_state and st.query_params.get("lang") in ("zh", "en"):
        st.session_state["lang"] = st.query_params["lang"]
    return (
        st.sidebar.segmented_control(
            "语言 / Language",
            ["zh", "en"],
            default="zh",
            required=True,
            format_func=lambda code: "中文" if code == "zh" else "English",
            key="lang",
        )
        or "zh"
    )


def main() -> None:
    """Draw the whole page once (Streamlit calls this on every interaction)."""
    st.set_page_config(
        page_title="指标配置模拟器 · quota-sim", page_icon=":material/landscape:", layout="wide"
    )
    lang = language()
    if lang != "en":
        st.markdown(UPLOADER_STYLE_ZH, unsafe_allow_html=True)
    restore_from_url(lang)
    st.title(t("page_title", lang))
    st.caption(t("page_caption", lang))
    message = st.session_state.pop("restore_message", None)
    if message:
        (st.success if message[0] == "success" else st.warning)(message[1])
    base = load_base_setting(lang)
    apply_pending_restore(base)
    levers, solve, shortfall = lever_panel(base, lang)
    pins: tuple[Pin, ...] = state("pins").get(base.key, ())
    applied: dict[str, tuple[Levers, tuple[Pin, ...]]] = state("applied")
    if solve or base.key not in applied:
        applied[base.key] = (levers, pins)
    shown_levers, shown_pins = applied[base.key]
    try:
        show_shortfall(shortfall, base, levers, lang)
        variant, toml_text = variant_and_toml(base, shown_levers, shown_pins)
    except InputError as error:
        st.error(t("scenario_error", lang, message=error_text(error, lang)))
        applied[base.key] = (app_state.levers_from_scenario(base.scenario), ())
        st.stop()
    with st.spinner(t("solving", lang)):
        try:
            result = solve_toml(toml_text)
        except InputError as error:
            st.error(t("scenario_error", lang, message=error_text(error, lang)))
            st.stop()
        except SolveFailed as error:
            st.error(t("solve_failed", lang, message=markdown_text(error_message(str(error), lang))))
            st.stop()
    setting = Setting(
        base.file.name,
        upload_key(base.upload) if base.upload else None,
        app_state.levers_to_dict(shown_levers),
        [vars(p) for p in shown_pins],
    )
    if st.session_state.get("stored") != (setting.id, result.solved):
        if base.upload:  # so its link restores it after a restart too
            library().keep_upload(setting.projects, Path(base.upload).read_bytes())
        library().put(setting, toml_text, snapshot_of(result, shown_levers) if result.solved else None)
        st.session_state["stored"] = (setting.id, result.solved)
    if st.query_params.get("setting") != setting.id:
        st.query_params["setting"] = setting.id
    if st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang
    changes = app_state.lever_differences(shown_levers, levers)
    if changes:
        st.warning(t("solve_pending", lang, changes=describe_changes(changes, base.scenario, lang)))
        st.markdown(STALE_STYLE, unsafe_allow_html=True)
        solve_pending_ahead(base, levers, pins)
    saved = next((e.name for e in library().named() if e.id == setting.id), None)
    with st.container(key="result"):
        headline(result, lang)
        if result.status == "infeasible":
            infeasible_panel(result, base, lang)
        downloads(result, toml_text, saved or variant.name, lang)
        panels(result, base, setting, toml_text, lang)
