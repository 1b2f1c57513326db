"""The planners' page: move the quota levers, solve, see who gets land, compare and download.

:func:`main` draws the page; Streamlit runs it from :mod:`quota_sim.app.streamlit_app` (``quota-sim
app``, ``make app``) or from the checkout's ``app.py``. This module holds the page only: every
figure comes from the ``quota_sim`` library (scenario variants and tables from
``quota_sim.app_state``, the solve from ``quota_sim.solve``, analyses from ``quota_sim.analysis``,
downloads from ``quota_sim.export``, labels from ``quota_sim.i18n``).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from quota_sim import app_state
from quota_sim.analysis import enrich
from quota_sim.app_state import Levers, PollutantLever
from quota_sim.errors import InputError
from quota_sim.export import allocation_csv_bytes, allocation_xlsx_bytes
from quota_sim.i18n import (
    column_label,
    method_label,
    quota_label,
    reason_label,
    status_label,
    t,
    unit_label,
)
from quota_sim.projects import Projects, projects_for
from quota_sim.results import Result
from quota_sim.scenario import Scenario, baseline_path, load_scenario, scenario_to_toml
from quota_sim.solve import solve_scenario

UPLOAD_DIR = Path(tempfile.gettempdir()) / "quota-sim-uploads"
PROJECT_STATUSES = ("approved", "not_selected", "ineligible", "locked_out")


# --------------------------------------------------------------------------- cached library calls


@st.cache_data(max_entries=16, show_spinner=False)
def load_base(path: str, projects_path: str | None) -> Scenario:
    """A scenario file, reading its projects from ``projects_path`` when a table was uploaded."""
    scenario = load_scenario(path)
    return app_state.with_projects(scenario, Path(projects_path)) if projects_path else scenario


@st.cache_data(max_entries=16, show_spinner=False)
def load_projects(toml_text: str) -> Projects:
    return projects_for(app_state.scenario_from_toml(toml_text))


@st.cache_data(max_entries=32, show_spinner=False)
def solve_toml(toml_text: str) -> Result:
    """Solve a scenario given as TOML text (the cache key): grades always, the diagnosis when infeasible."""
    result = solve_scenario(app_state.scenario_from_toml(toml_text))
    enrich(result, marginal=False, baselines=False, importance_top=0)
    return result


@st.cache_data(max_entries=8, show_spinner=False)
def analyse_toml(toml_text: str) -> dict[str, Any]:
    """The full analyses (marginal values, hand-ranking baselines, project importance) of a scenario."""
    result = solve_scenario(app_state.scenario_from_toml(toml_text))
    enrich(result)
    return result.extras


# --------------------------------------------------------------------------- helpers for the page


def amount_slider(
    label: str, start: float, now: float, floor: float, step: float, key: str, hint: str | None = None
) -> float:
    """A slider for a yearly quota amount, from 0 to well above the scenario's own value."""
    top = app_state.slider_top(start, floor=floor)
    return st.slider(label, 0.0, top, float(now), step, format="%.0f", help=hint, key=key)


def scenario_files() -> list[Path]:
    """The scenarios shipped in ``scenarios/``, the baseline first."""
    baseline = baseline_path()
    others = sorted(p for p in baseline.parent.glob("*.toml") if p.name != baseline.name)
    return [baseline, *others]


def number(value: float | None, decimals: int = 0) -> str:
    return "—" if value is None else f"{value:,.{decimals}f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def quota_name(scenario: Scenario, quota_id: str, lang: str) -> str:
    quota = next(q for q in scenario.quotas if q.id == quota_id)
    return quota_label(quota.id, lang, quota.name)


def zone_names(scenario: Scenario, lang: str) -> dict[str, str]:
    return {z.id: (z.name if lang != "en" and z.name else z.id) for z in scenario.zones}


def quota_units(scenario: Scenario) -> dict[str, str]:
    return {q.id: q.unit for q in scenario.quotas}


# --------------------------------------------------------------------------- sidebar: data


def data_panel(lang: str) -> tuple[Path, str | None]:
    """Scenario picker and projects upload; returns the scenario file and the last good upload (if any)."""
    st.sidebar.subheader(t("data_header", lang))
    files = scenario_files()
    chosen = st.sidebar.selectbox(
        t("scenario_picker", lang), files, format_func=lambda p: p.stem, key="scenario_file"
    )
    uploads: dict[str, str] = st.session_state.setdefault("uploads", {})
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
    """Check an uploaded table once per (content, scenario); keep it only if it is good."""
    digest = hashlib.sha256(data).hexdigest()
    seen = (digest, str(scenario_file), lang)
    if st.session_state.get("upload_seen") == seen:
        return
    st.session_state["upload_seen"] = seen
    uploads: dict[str, str] = st.session_state.setdefault("uploads", {})
    try:
        scenario = load_base(str(scenario_file), None)
        projects = app_state.read_upload(data, filename, scenario)
    except InputError as error:
        kept = Path(uploads[str(scenario_file)]).name if str(scenario_file) in uploads else scenario_file.name
        text = t("upload_failed", lang, message=str(error)) + "\n\n" + t("upload_kept", lang, source=kept)
        st.session_state["upload_message"] = ("error", text)
        return
    path = app_state.store_upload(data, filename, UPLOAD_DIR)
    uploads[str(scenario_file)] = str(path)
    st.session_state["upload_message"] = ("ok", t("upload_ok", lang, n=len(projects)))


# --------------------------------------------------------------------------- sidebar: levers


def lever_form(base: Scenario, base_key: str, lang: str) -> tuple[Levers, Any]:
    """The levers in one form (one solve per submit); returns the submitted levers and a placeholder
    for the land shortfall line."""
    applied: dict[str, Levers] = st.session_state.setdefault("applied", {})
    now = applied.get(base_key) or app_state.levers_from_scenario(base)
    start = app_state.levers_from_scenario(base)

    def key(name: str) -> str:
        return f"{base_key}:{name}"

    with st.sidebar.form("levers"):
        st.subheader(t("levers_header", lang))
        submitted = st.form_submit_button(
            t("solve_button", lang), type="primary", width="stretch", key="solve"
        )
        with st.expander(t("levers_land", lang), expanded=True):
            plan_land = stock_land = linkage_amount = linkage_price = None
            if now.plan_land is not None:
                plan_land = amount_slider(
                    t("plan_land", lang), start.plan_land, now.plan_land, 100, 10.0, key("plan_land"),
                    hint=t("plan_land_help", lang),
                )
            shortfall = st.empty()
            if now.stock_land is not None:
                stock_land = amount_slider(
                    t("stock_land", lang), start.stock_land, now.stock_land, 100, 10.0, key("stock"),
                    hint=t("stock_land_help", lang),
                )
            if now.linkage_amount is not None:
                linkage_amount = amount_slider(
                    t("linkage_amount", lang), start.linkage_amount, now.linkage_amount, 100, 5.0,
                    key("linkage_amount"),
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
            )
        with st.expander(t("levers_energy_env", lang), expanded=False):
            energy = None
            if now.energy_increment is not None:
                energy = amount_slider(
                    t("energy_increment", lang), start.energy_increment, now.energy_increment, 1000, 100.0,
                    key("energy"),
                )
            pollutants = []
            start_pollutants = {p.quota: p for p in start.pollutants}
            for lever in now.pollutants:
                name = quota_name(base, lever.quota, lang)
                unit = unit_label(lever.unit, lang)
                amount = lever.amount
                if amount is not None:
                    top = app_state.slider_top(start_pollutants[lever.quota].amount, floor=1)
                    amount = st.slider(
                        t("pollutant_amount", lang, name=name, unit=unit),
                        0.0,
                        top,
                        float(amount),
                        top / 300,
                        format="%.2f",
                        key=key(f"{lever.quota}:amount"),
                    )
                ratio = st.slider(
                    t("pollutant_ratio", lang, name=name),
                    0.0,
                    max(3.0, start_pollutants[lever.quota].ratio),
                    float(lever.ratio),
                    0.1,
                    format="%.1f",
                    key=key(f"{lever.quota}:ratio"),
                )
                pollutants.append(PollutantLever(lever.quota, lever.unit, amount, ratio))
        with st.expander(t("levers_objective", lang), expanded=False):
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
                max(1.0, start.strategic_bonus),
                float(now.strategic_bonus),
                0.05,
                key=key("bonus"),
            )
            discount = st.slider(
                t("discount_rate", lang),
                0.0,
                max(0.2, start.discount_rate),
                float(now.discount_rate),
                0.005,
                format="%.3f",
                key=key("discount"),
            )
            years = st.slider(t("years", lang), 1, max(10, start.years), int(now.years), 1, key=key("years"))
            time_limit = st.slider(
                t("time_limit", lang),
                1.0,
                max(120.0, start.time_limit),
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
    )
    if submitted:
        applied[base_key] = levers
    return applied.get(base_key, now), shortfall


def show_shortfall(placeholder: Any, scenario: Scenario, projects: Projects, lang: str) -> None:
    balance = app_state.land_balance(scenario, projects)
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
    cols[1].metric(t("metric_objective", lang), number(head.objective), border=True)
    cols[2].metric(t("metric_gap_label", lang), percent(head.gap), border=True)
    cols[3].metric(t("metric_purchase", lang), number(head.purchase_cost), border=True)
    shown = [q for q in head.quotas if q.available > 0 or q.used > 0]
    for start in range(0, len(shown), 4):
        cols = st.columns(4)
        for col, figure in zip(cols, shown[start : start + 4], strict=False):
            label = t(
                "metric_quota",
                lang,
                name=quota_name(scenario, figure.quota, lang),
                unit=unit_label(figure.unit, lang),
            )
            decimals = 0 if figure.available >= 100 else 2
            col.metric(
                label,
                number(figure.used, decimals),
                delta=t("metric_used_of", lang, available=number(figure.available, decimals)),
                delta_color="off",
                delta_arrow="off",
                border=True,
            )
    if head.status == "feasible":
        st.warning(t("feasible_note", lang, gap=percent(head.gap)))


def infeasible_panel(result: Result, lang: str) -> None:
    """Why the setting is infeasible: the diagnosis when the library made one, else a plain message."""
    diagnosis = result.extras.get("diagnosis")
    if not diagnosis:
        st.error(t("infeasible_note", lang) + (f"\n\n{result.message}" if result.message else ""))
        return
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
                column_label("year", lang): o["year"],
                t("overrun_label", lang): o["overrun"],
                column_label("unit", lang): unit_label(o["unit"], lang),
            }
            for o in overruns
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
    for entry in diagnosis.get("unplaceable_locks", []):
        st.caption(f"{entry['id']}: {entry['reason']}")


def downloads(result: Result, variant: Scenario, toml_text: str, lang: str) -> None:
    cols = st.columns(3)
    name = variant.name
    if result.solved:
        cols[0].download_button(
            t("download_csv", lang),
            allocation_csv_bytes(result, lang),
            f"{name}_allocation.csv",
            "text/csv",
            key="download_csv",
            on_click="ignore",
            icon=":material/download:",
        )
        cols[1].download_button(
            t("download_xlsx", lang),
            allocation_xlsx_bytes(result, lang),
            f"{name}_allocation.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="download_xlsx",
            on_click="ignore",
            icon=":material/download:",
        )
    cols[2].download_button(
        t("download_toml", lang),
        toml_text.encode("utf-8"),
        f"{name}.toml",
        "application/toml",
        help=t("download_help_toml", lang),
        key="download_toml",
        on_click="ignore",
        icon=":material/download:",
    )


def allocation_panel(result: Result, lang: str) -> None:
    frame = app_state.allocation_frame(result)
    grades = result.extras.get("allocation_columns", {}).get("grade")
    if grades is not None:
        frame.insert(4, "grade", grades)
    zones = zone_names(result.scenario, lang)
    cols = st.columns(3)
    statuses = cols[0].multiselect(
        t("filter_status", lang),
        [s for s in PROJECT_STATUSES if s in set(frame["status"])],
        format_func=lambda s: status_label(s, lang),
        key="filter_status",
    )
    zone_choice = cols[1].multiselect(
        t("filter_zone", lang),
        [z for z in zones if z in set(frame["zone"])],
        format_func=lambda z: zones.get(z, z),
        key="filter_zone",
    )
    industries = sorted(i for i in set(frame["industry"]) if i)
    industry_choice = cols[2].multiselect(t("filter_industry", lang), industries, key="filter_industry")
    shown = app_state.filter_allocation(frame, statuses, zone_choice, industry_choice).copy()
    st.caption(t("rows_shown", lang, shown=len(shown), total=len(frame)))
    quota_ids = [q.id for q in result.scenario.quotas]
    shown["status"] = shown["status"].map(lambda s: status_label(s, lang))
    shown["zone"] = shown["zone"].map(lambda z: zones.get(z, z))
    shown["reason"] = shown["reason"].map(lambda r: reason_label(r, lang, quota_ids))
    shown["value"] = shown["value"].round(1)
    shown["start_year"] = shown["start_year"].map(lambda year: "" if pd.isna(year) else str(year))
    units = quota_units(result.scenario)
    st.dataframe(
        shown.rename(columns={c: column_label(c, lang, units) for c in shown.columns}),
        hide_index=True,
        height=460,
    )


def charts_panel(result: Result, projects: Projects, lang: str) -> None:
    scenario = result.scenario
    quota_ids = [q.id for q in scenario.quotas]
    units = quota_units(scenario)
    year_title = column_label("year", lang)
    st.markdown(f"**{t('chart_quota_use', lang)}**")
    quota_id = st.selectbox(
        t("chart_quota_pick", lang),
        quota_ids,
        format_func=lambda q: quota_name(scenario, q, lang),
        key="chart_quota",
    )
    amount_title = f"{quota_name(scenario, quota_id, lang)} ({unit_label(units[quota_id], lang)})"
    used = app_state.quota_use_by_industry(result, quota_id, t("no_industry", lang))
    supply = app_state.supply_per_year(scenario, quota_id)
    supply["series"] = t("chart_supply", lang)
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
    run = st.toggle(t("analysis_toggle", lang), key="analysis_toggle", help=t("analysis_toggle_help", lang))
    if not run:
        return
    with st.spinner(t("analysing", lang)):
        extras = analyse_toml(toml_text)
    scenario = result.scenario
    marginal = extras.get("marginal_values", [])
    if marginal:
        st.markdown(f"**{t('marginal_header', lang)}**")
        frame = pd.DataFrame(marginal)
        frame["unit"] = frame["quota"].map(lambda q: unit_label(quota_units(scenario)[q], lang))
        frame["quota"] = frame["quota"].map(lambda q: quota_name(scenario, q, lang))
        frame["method"] = frame["method"].map(lambda m: method_label(m, lang))
        st.dataframe(frame.rename(columns=lambda c: column_label(c, lang)), hide_index=True)
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
        st.dataframe(pd.DataFrame(rows).rename(columns=lambda c: column_label(c, lang)), hide_index=True)
    importance = extras.get("importance")
    if importance:
        st.markdown(f"**{t('importance_header', lang)}**")
        frame = pd.DataFrame(importance)
        zones = zone_names(scenario, lang)
        frame["zone"] = frame["zone"].map(lambda z: zones.get(z, z))
        frame["status"] = frame["status"].map(lambda s: status_label(s, lang))
        st.dataframe(frame.rename(columns=lambda c: column_label(c, lang)), hide_index=True)


def comparison_panel(result: Result, toml_text: str, lang: str) -> None:
    saved: dict[str, app_state.SavedScenario] = st.session_state.setdefault("saved", {})
    with st.form("save_scenario", clear_on_submit=True, border=False):
        cols = st.columns([3, 1], vertical_alignment="bottom")
        name = cols[0].text_input(
            t("save_name", lang), key="save_name", placeholder=t("save_placeholder", lang)
        )
        if cols[1].form_submit_button(t("save_button", lang), key="save"):
            if not name.strip():
                st.warning(t("save_name_invalid", lang))
            else:
                final = app_state.unique_name(name.strip(), list(saved))
                saved[final] = app_state.snapshot(final, result, toml_text)
                st.success(t("saved_ok", lang, name=final))
    if not saved:
        st.info(t("compare_none", lang))
        return
    current = app_state.snapshot(t("current", lang), result, toml_text)
    names = st.multiselect(t("compare_pick", lang), list(saved), default=list(saved)[-3:], key="compare_pick")
    chosen = [saved[n] for n in names] + [current]
    units = quota_units(result.scenario)
    figures = app_state.compare_figures(chosen)
    if "status" in figures.index:
        figures.loc["status"] = [status_label(s, lang) for s in figures.loc["status"]]
    figures.index = [column_label(k, lang, units) for k in figures.index]
    st.markdown(f"**{t('compare_figures', lang)}**")
    st.dataframe(figures.astype(str).map(_tidy), width="stretch")
    st.markdown(f"**{t('compare_changes', lang)}**")
    changes = app_state.status_changes(chosen)
    if changes.empty:
        st.caption(t("compare_no_changes", lang))
    else:
        for item in chosen:
            changes[item.name] = changes[item.name].map(lambda s: status_label(s, lang) if s else "—")
        st.dataframe(changes.rename(columns=lambda c: column_label(c, lang)), hide_index=True)
    if st.button(t("compare_clear", lang), key="compare_clear"):
        saved.clear()
        st.rerun()


def _tidy(text: str) -> str:
    """A comparison cell: numbers with thousands separators, everything else unchanged."""
    if text in ("None", "nan"):
        return "—"
    try:
        value = float(text)
    except ValueError:
        return text
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


# --------------------------------------------------------------------------- the page


def main() -> None:
    """Draw the whole page once (Streamlit calls this on every interaction)."""
    st.set_page_config(
        page_title="指标配置模拟器 · quota-sim", page_icon=":material/landscape:", layout="wide"
    )
    lang = (
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
    st.title(t("page_title", lang))
    st.caption(t("page_caption", lang))
    scenario_file, upload_path = data_panel(lang)
    try:
        base = load_base(str(scenario_file), upload_path)
        base_toml = scenario_to_toml(base)
        projects = load_projects(base_toml)
    except InputError as error:
        st.error(t("scenario_error", lang, message=str(error)))
        st.stop()
    source = Path(upload_path).name if upload_path else base.projects_path.name
    st.sidebar.caption(t("projects_source", lang, source=source, n=len(projects)))
    base_key = hashlib.sha256(base_toml.encode("utf-8")).hexdigest()[:12]
    levers, shortfall = lever_form(base, base_key, lang)
    try:
        variant = app_state.apply_levers(base, levers)
    except InputError as error:
        st.error(t("scenario_error", lang, message=str(error)))
        variant = base
    toml_text = scenario_to_toml(variant)
    show_shortfall(shortfall, variant, projects, lang)
    with st.spinner(t("solving", lang)):
        try:
            result = solve_toml(toml_text)
        except InputError as error:
            st.error(t("scenario_error", lang, message=str(error)))
            st.stop()
    headline(result, lang)
    if result.status == "infeasible":
        infeasible_panel(result, lang)
    downloads(result, variant, toml_text, lang)
    tabs = st.tabs(
        [
            t("allocation_header", lang),
            t("charts_header", lang),
            t("analysis_header", lang),
            t("compare_header", lang),
        ]
    )
    with tabs[0]:
        if result.solved:
            allocation_panel(result, lang)
        else:
            st.info(status_label(result.status, lang))
    with tabs[1]:
        if result.solved:
            charts_panel(result, projects, lang)
        else:
            st.info(status_label(result.status, lang))
    with tabs[2]:
        analysis_panel(result, toml_text, lang)
    with tabs[3]:
        comparison_panel(result, toml_text, lang)

