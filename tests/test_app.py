"""The planners' app driven by Streamlit's AppTest on the embedded baseline."""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from quota_sim import app_state
from quota_sim.app.library import DATA_ENV, Library
from quota_sim.app.solver import Child, Solves
from quota_sim.i18n import t
from quota_sim.pipeline import solve_scenario
from quota_sim.projects import projects_for
from quota_sim.scenario import baseline_path, load_scenario, scenario_to_toml, with_values
from quota_sim.shortfall import land_balance
from quota_sim.vocabulary import status_label
from tests.instances import hidden_row_workbook

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 60
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

BASE = load_scenario(baseline_path())
BASE_PROJECTS = projects_for(BASE)
_LAND = next(q for q in BASE.quotas if q.id == "land")
BASE_PLAN = next(s for s in _LAND.sources if s.id == "plan").amount(None, 0)  # mu/yr
BASE_STOCK = sum(sum(values) for values in next(s for s in _LAND.sources if s.id == "stock").amounts.values())


def _shown(value: float) -> str:
    return f"{value:,.0f}"


def metric(at: AppTest, label: str) -> str:
    """The shown value of the headline figure labelled ``label``."""
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric labelled {label!r}: {[m.label for m in at.metric]}"
    return found[0]


def slider(at: AppTest, label: str):
    found = [s for s in at.slider if s.label == label]
    assert found, f"no slider labelled {label!r}"
    return found[0]


def figure(text: str) -> float:
    return float(text.replace(",", ""))


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def solve(at: AppTest) -> AppTest:
    at.button(key="solve").click()
    return run(at)


def multiselect(at: AppTest, key: str, lang: str):
    return at.multiselect(key=f"{key}@{lang}")


def open_view(at: AppTest, view: str, lang: str = "zh") -> AppTest:
    """Open one of the tabs below the headline (only the open tab is drawn)."""
    at.session_state[f"view@{lang}"] = t(f"{view}_header", lang)
    return run(at)


def land_used(at: AppTest, lang: str = "zh") -> str:
    return metric(
        at,
        t(
            "metric_quota_total",
            lang,
            name="用地" if lang == "zh" else "Land",
            unit="亩" if lang == "zh" else "mu",
        ),
    )


@pytest.fixture()
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data folder (scenario library, pinned queues) for the app. The server's solves are
    settled before the test ends, so that none of its results is stored in the next test's folder."""
    folder = tmp_path / "data"
    monkeypatch.setenv(DATA_ENV, str(folder))
    yield folder
    _settle_solves()


def _settle_solves() -> None:
    """Drop the settings the test's sessions wanted solved ahead, and wait for the solves under way to
    end and their results to be stored (in this test's data folder)."""
    from quota_sim.app import page

    solves = getattr(page.solver(), "solves", None)
    if not isinstance(solves, Solves):  # a stand-in for the solver
        return
    for session in list(solves._ahead):
        solves.forget(session)
    with solves._changed:
        settled = solves._changed.wait_for(
            lambda: not any(job.started for job in solves._jobs.values()) and not solves._storing,
            timeout=TIMEOUT,
        )
    assert settled, "a solve of the test was still running"


@pytest.fixture()
def app(data: Path) -> AppTest:
    return run(AppTest.from_file(str(APP), default_timeout=TIMEOUT))


def test_page_loads_on_the_baseline(app: AppTest) -> None:
    assert app.title[0].value == t("page_title", "zh")
    assert not app.error
    approved = figure(metric(app, t("metric_approved", "zh")))
    assert 0 < approved < 220
    assert metric(app, t("metric_status", "zh")) in (
        status_label("optimal", "zh", short=True),
        status_label("feasible", "zh", short=True),
    )
    assert figure(land_used(app)) > 0
    assert slider(app, t("plan_land", "zh")).value == pytest.approx(BASE_PLAN)
    shortfall = [c.value for c in app.caption if "缺口" in c.value]
    assert shortfall and _shown(land_balance(BASE, BASE_PROJECTS).shortfall) in shortfall[0]
    assert app.dataframe, "the allocation table is missing"
    table = app.dataframe[0].value
    waiting = table[table["状态"] == status_label("not_selected", "zh")]
    needs = list(waiting[t("need_column", "zh")])
    assert needs and all(n.startswith("追加") or n.startswith("剩余指标即可容纳") for n in needs if n)
    # No extra quota helps a project its parcels stop (taken, too small, not ready in time).
    stopped = waiting[waiting[t("need_column", "zh")] == ""]
    site_problems = ("无面积足够", "均不在其可准入的园区", "所在园区无地块", "最晚开工年份")
    assert all(any(problem in reason for problem in site_problems) for reason in stopped["未入选原因"])
    assert any("用地" in n and "亩" in n for n in needs)
    assert set(table.loc[table["状态"] == status_label("approved", "zh"), t("need_column", "zh")]) == {""}
    labels = [d.label for d in app.get("download_button")]
    assert labels == [t(f"download_{kind}", "zh") for kind in ("csv", "xlsx", "docx", "toml")]


def test_slider_change_resolves_and_the_toml_reproduces_it(app: AppTest, tmp_path: Path) -> None:
    before = {label: metric(app, t(label, "zh")) for label in ("metric_approved", "metric_objective")}
    slider(app, t("plan_land", "zh")).set_value(1500.0)
    solve(app)
    after = {label: metric(app, t(label, "zh")) for label in ("metric_approved", "metric_objective")}
    assert figure(after["metric_approved"]) > figure(before["metric_approved"])
    assert figure(after["metric_objective"]) > figure(before["metric_objective"])
    assert slider(app, t("plan_land", "zh")).value == pytest.approx(1500)
    # The settings the page shows, saved as TOML and run again from a file, give the same objective.
    base = load_scenario(baseline_path())
    variant = app_state.apply_levers(
        base, dataclasses.replace(app_state.levers_from_scenario(base), plan_land=1500.0)
    )
    path = tmp_path / "variant.toml"
    path.write_text(scenario_to_toml(variant), encoding="utf-8")
    again = solve_scenario(load_scenario(path))
    assert f"{again.objective:,.0f}" == after["metric_objective"]


def test_unchanged_submit_is_not_solved_again(app: AppTest) -> None:
    seconds = [m.proto.delta for m in app.metric if m.label == t("metric_status", "zh")]
    solve(app)
    assert [m.proto.delta for m in app.metric if m.label == t("metric_status", "zh")] == seconds


def test_bad_upload_shows_row_and_column_in_chinese_and_keeps_the_last_good_data(app: AppTest) -> None:
    approved = metric(app, t("metric_approved", "zh"))
    lines = (Path(baseline_path()).parent / "baseline_projects.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[4].split(",")
    cells[header.index("land_mu")] = "abc"
    lines[4] = ",".join(cells)
    app.file_uploader[0].set_value(("queue.csv", "\n".join(lines).encode("utf-8"), "text/csv"))
    run(app)
    messages = [e.value.replace("\\", "") for e in app.error]  # as shown: user text is escaped Markdown
    assert any("第 5 行" in m and "“land_mu”列" in m and "“abc”不是数字" in m for m in messages), messages
    assert metric(app, t("metric_approved", "zh")) == approved


def test_non_spreadsheet_upload_is_refused(app: AppTest) -> None:
    app.file_uploader[0].set_value(("queue.xlsx", b"%PDF-1.7 not a workbook", "application/pdf"))
    run(app)
    assert any("queue\\.xlsx" in e.value for e in app.error)  # the user's file name, escaped Markdown
    assert figure(metric(app, t("metric_approved", "zh"))) > 0


def test_good_upload_replaces_the_queue(app: AppTest) -> None:
    lines = (Path(baseline_path()).parent / "baseline_projects.csv").read_text(encoding="utf-8").splitlines()
    app.file_uploader[0].set_value(("queue.csv", "\n".join(lines[:101]).encode("utf-8"), "text/csv"))
    run(app)
    assert any(s.value == t("upload_ok", "zh", n=100) for s in app.success)
    approved = next(m for m in app.metric if m.label == t("metric_approved", "zh"))
    assert approved.proto.delta == t("metric_approved_of", "zh", n=100)


def test_hidden_rows_read_from_an_upload_are_shown_in_chinese_and_english(app: AppTest) -> None:
    workbook = hidden_row_workbook(30)
    app.file_uploader[0].set_value(("隐藏行.xlsx", workbook, XLSX))
    run(app)
    assert any(s.value == t("upload_ok", "zh", n=30) for s in app.sidebar.success)
    shown = [w.value.replace("\\", "") for w in app.sidebar.warning]
    assert shown == ["请核对：隐藏行.xlsx：1 个隐藏行仍作为项目读入（第 3 行）"], shown
    app.segmented_control(key="lang").set_value("en")
    run(app)
    shown = [w.value.replace("\\", "") for w in app.sidebar.warning]
    assert shown == ["Please check: 隐藏行.xlsx: 1 hidden row(s) are read as projects (rows 3)"], shown
    app.button(key="upload_clear").click()  # back to the scenario's own table: nothing hidden
    run(app)
    assert not app.sidebar.warning


def test_language_switch_to_english(app: AppTest) -> None:
    app.segmented_control(key="lang").set_value("en")
    run(app)
    assert app.title[0].value == t("page_title", "en")
    assert figure(metric(app, t("metric_approved", "en"))) > 0
    assert slider(app, t("plan_land", "en")).value == pytest.approx(BASE_PLAN)
    assert next(d.label for d in app.get("download_button")) == t("download_csv", "en")


# ---------------------------------------- bug 1: language round trip


def test_language_round_trip_keeps_the_status_filter_and_translates_the_pickers(app: AppTest) -> None:
    approved = int(figure(metric(app, t("metric_approved", "zh"))))
    multiselect(app, "filter_status", "zh").set_value(["approved"])
    run(app)
    assert t("rows_shown", "zh", shown=approved, total=220) in [c.value for c in app.caption]
    open_view(app, "charts")
    app.selectbox(key="chart_quota@zh").set_value("energy")
    run(app)
    for lang in ("en", "zh", "en"):
        app.segmented_control(key="lang").set_value(lang)
        run(app)
        picker = app.selectbox(key=f"chart_quota@{lang}")  # the charts tab stays open
        assert picker.value == "energy"
        assert picker.format_func("energy") == ("用能" if lang == "zh" else "Energy use")
        open_view(app, "allocation", lang)
        assert t("rows_shown", lang, shown=approved, total=220) in [c.value for c in app.caption]
        chips = multiselect(app, "filter_status", lang)
        assert chips.value == ["approved"]
        assert chips.format_func("approved") == status_label("approved", lang)
        open_view(app, "charts", lang)


# ---------------------------------------- bug 2: stale result


def test_a_moved_lever_marks_the_result_as_stale_and_the_shortfall_follows_live(app: AppTest) -> None:
    approved = metric(app, t("metric_approved", "zh"))
    assert not [w for w in app.warning if "尚未求解" in w.value]
    slider(app, t("plan_land", "zh")).set_value(1500.0)
    run(app)
    pending = [w.value for w in app.warning if "尚未求解" in w.value]
    assert pending and f"{_shown(BASE_PLAN)} → 1,500" in pending[0]
    moved = land_balance(with_values(BASE, {"quotas.land.sources.plan.amounts": 1500}), BASE_PROJECTS)
    live = next(c.value for c in app.sidebar.caption if "缺口" in c.value)
    assert f"缺口 {_shown(moved.shortfall)} 亩/年" in live
    assert metric(app, t("metric_approved", "zh")) == approved  # the old result, marked as such
    solve(app)
    assert not [w for w in app.warning if "尚未求解" in w.value]
    assert metric(app, t("metric_approved", "zh")) != approved


# ---------------------------------------- bug 3: the scenario's own values


def test_the_scenarios_own_stock_value_can_be_set_again_and_reset(app: AppTest) -> None:
    approved = metric(app, t("metric_approved", "zh"))
    stock = slider(app, t("stock_land", "zh"))
    own = stock.value
    assert own == pytest.approx(BASE_STOCK)
    assert (own / stock.proto.step).is_integer()  # the slider's steps land on the scenario's own value
    stock.set_value(own - 3)
    solve(app)
    slider(app, t("stock_land", "zh")).set_value(own)
    solve(app)
    assert metric(app, t("metric_approved", "zh")) == approved
    slider(app, t("plan_land", "zh")).set_value(900.0)
    run(app)
    app.button(key="reset_levers").click()
    run(app)
    assert slider(app, t("plan_land", "zh")).value == pytest.approx(BASE_PLAN)
    assert not [w for w in app.warning if "尚未求解" in w.value]


# ---------------------------------------- bug 6: downloads name the setting


def test_downloads_are_named_after_the_setting_and_the_toml_states_its_figures(
    app: AppTest, data: Path
) -> None:
    slider(app, t("plan_land", "zh")).set_value(1500.0)
    solve(app)
    entry = Library(data / "library.sqlite3").get(app.query_params["setting"])
    assert 'name = "baseline_plan_land-1500"' in entry.toml
    # The figures of this setting, not the base's.
    setting = land_balance(with_values(BASE, {"quotas.land.sources.plan.amounts": 1500}), BASE_PROJECTS)
    base = land_balance(BASE, BASE_PROJECTS)
    assert f"{_shown(setting.supply)} 亩/年" in entry.toml
    assert f"{_shown(base.supply)} 亩/年" not in entry.toml


# ---------------------------------------- bug 7 and 8: library, comparison, URL


def save(at: AppTest, name: str) -> AppTest:
    open_view(at, "compare")
    at.text_input(key="save_name").input(name)
    at.button(key="save").click()
    return run(at)


def test_saved_settings_are_all_compared_with_their_lever_differences(app: AppTest) -> None:
    save(app, "基准")
    slider(app, t("plan_land", "zh")).set_value(1200.0)
    solve(app)
    save(app, "计划1200")
    slider(app, t("plan_land", "zh")).set_value(1500.0)
    solve(app)
    assert multiselect(app, "compare_pick", "zh").value == ["基准", "计划1200"]
    columns = [list(df.value.columns) for df in app.dataframe]
    assert ["基准", "计划1200", t("current", "zh")] in columns
    levers = next(df.value for df in app.dataframe if t("plan_land", "zh") in df.value.index)
    assert list(levers.loc[t("plan_land", "zh")]) == [_shown(BASE_PLAN), "1,200", "1,500"]
    figures = next(df.value for df in app.dataframe if "相对间隙" in df.value.index)
    assert all(cell.endswith("%") for cell in figures.loc["相对间隙"])
    changes = [
        df.value for df in app.dataframe if "基准" in df.value.columns and "项目编号" in df.value.columns
    ]
    assert changes and len(changes[0]) > 0


def test_the_comparison_shows_pins_that_differ(app: AppTest) -> None:
    save(app, "未固定")
    open_view(app, "allocation")
    app.selectbox(key="pin_project@zh").set_value("P002")
    app.selectbox(key="pin_action@zh").set_value("out")
    app.button(key="pin_button").click()
    run(app)
    open_view(app, "compare")
    levers = next(df.value for df in app.dataframe if t("pins_now", "zh") in df.value.index)
    assert list(levers.loc[t("pins_now", "zh")]) == ["—", "P002 锁定排除"]


def test_saving_a_taken_name_asks_before_replacing(app: AppTest) -> None:
    save(app, "方案")
    slider(app, t("plan_land", "zh")).set_value(1200.0)
    solve(app)
    save(app, "方案")
    assert any(t("save_taken", "zh", name="方案") in w.value for w in app.warning)
    app.button(key="save_as_new").click()
    run(app)
    assert multiselect(app, "compare_pick", "zh").options == ["方案", "方案 (2)"]


def test_the_url_restores_a_setting_after_a_refresh(app: AppTest, data: Path) -> None:
    slider(app, t("plan_land", "zh")).set_value(1500.0)
    solve(app)
    approved = metric(app, t("metric_approved", "zh"))
    setting = app.query_params["setting"]
    fresh = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    fresh.query_params["setting"] = setting
    run(fresh)
    assert slider(fresh, t("plan_land", "zh")).value == pytest.approx(1500)
    assert metric(fresh, t("metric_approved", "zh")) == approved
    assert any("已从链接恢复" in s.value for s in fresh.success)


def test_an_unknown_setting_in_the_url_falls_back_to_the_scenario(data: Path) -> None:
    fresh = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    fresh.query_params["setting"] = "0123456789abcdef"
    run(fresh)
    assert any(t("restore_missing", "zh") == w.value for w in fresh.warning)
    assert slider(fresh, t("plan_land", "zh")).value == pytest.approx(BASE_PLAN)


# ---------------------------------------- bug 9: units and terms


def test_units_and_terms_are_spelled_out(app: AppTest) -> None:
    land = next(m for m in app.metric if "用地" in m.label and "规划期合计" in m.label)
    assert land.proto.delta.startswith("规划期可用")
    objective = next(m for m in app.metric if m.label == t("metric_objective", "zh"))
    assert "目标值" in objective.proto.help
    gap = next(m for m in app.metric if m.label == t("metric_gap_label", "zh"))
    assert gap.value.endswith("%") and "最优界" in gap.proto.help
    assert multiselect(app, "filter_status", "zh").placeholder == t("choose", "zh")


# ---------------------------------------- pins and locks


def test_pin_a_project_in_and_out_then_release_it(app: AppTest) -> None:
    result = solve_scenario(load_scenario(baseline_path()))
    approved = next(r.id for r in result.allocation if r.status == "approved" and r.zone)
    # A waiting project that may start in 2028 (no deadline before it), stopped by no parcel problem and
    # by no quota without supply (basic farmland, public-welfare forest).
    queue = BASE_PROJECTS
    free = {
        p
        for i, p in enumerate(queue.ids)
        if queue.latest_year[i] in (0, 2028, 2029, 2030) and queue.earliest_year[i] <= 2028
    }
    unplaceable = {"farmland", "public_forest", "no", "none"}  # first words of those reasons' parts
    waiting = next(
        r.id
        for r in result.allocation
        if r.status == "not_selected"
        and r.id in free
        and not {part.split(" ")[0] for part in r.reason.split("|")} & unplaceable
    )
    app.selectbox(key="pin_project@zh").set_value(approved)
    app.selectbox(key="pin_action@zh").set_value("out")
    app.button(key="pin_button").click()
    run(app)
    table = next(
        df.value for df in app.dataframe if "项目编号" in df.value.columns and "状态" in df.value.columns
    )
    assert table.set_index("项目编号").loc[approved, "状态"] == status_label("locked_out", "zh")
    app.selectbox(key="pin_project@zh").set_value(waiting)
    app.selectbox(key="pin_action@zh").set_value("fix")
    run(app)
    zone = app.selectbox(key="pin_zone@zh").value
    app.selectbox(key="pin_year@zh").set_value(2028)
    app.button(key="pin_button").click()
    run(app)
    table = next(
        df.value for df in app.dataframe if "项目编号" in df.value.columns and "状态" in df.value.columns
    )
    row = table.set_index("项目编号").loc[waiting]
    assert row["状态"] == status_label("approved", "zh")
    assert int(row["开工年份"]) == 2028
    zone_name = next(z.name for z in load_scenario(baseline_path()).zones if z.id == zone)
    assert row["园区"] == zone_name
    app.button(key=f"unpin:{approved}").click()
    run(app)
    table = next(
        df.value for df in app.dataframe if "项目编号" in df.value.columns and "状态" in df.value.columns
    )
    assert table.set_index("项目编号").loc[approved, "状态"] != status_label("locked_out", "zh")


def test_infeasible_setting_explains_itself_and_a_lock_can_be_released(app: AppTest) -> None:
    for label in ("plan_land", "stock_land", "linkage_amount"):
        slider(app, t(label, "zh")).set_value(0.0)
    solve(app)
    assert metric(app, t("metric_status", "zh")) == status_label("infeasible", "zh", short=True)
    messages = " ".join(e.value.replace("\\", "") for e in app.error)
    assert "锁定" in messages
    assert any(t("overrun_label", "zh") in df.value.columns for df in app.dataframe)
    releases = [b for b in app.button if b.key and b.key.startswith("release:")]
    assert len(releases) == BASE_PROJECTS.lock.count("in")  # the baseline's signed projects
    for _ in range(len(releases)):
        next(b for b in app.button if b.key and b.key.startswith("release:")).click()
        run(app)
    assert metric(app, t("metric_status", "zh")) != status_label("infeasible", "zh", short=True)
    assert figure(metric(app, t("metric_approved", "zh"))) == 0  # no land at all: nothing approved


def test_balance_table_per_park_and_year(app: AppTest) -> None:
    open_view(app, "balance")
    table = next(df.value for df in app.dataframe if "结转(亩)" in df.value.columns)
    assert {"全市", "田营科技园"} <= set(table["园区"])
    assert not table.isin(["None", "nan"]).any().any()


# ---------------------------------------- files the app keeps: uploads in the library, pinned queues


def _restart_server() -> None:
    """What a server restart leaves: no cached library or results, a new (empty) upload store."""
    from quota_sim.app import page
    from quota_sim.upload_store import upload_store

    page.library_at.clear()
    page.solver.clear()  # ends its child processes
    upload_store().close()


def _no_solve(*_args, **_kwargs):
    raise AssertionError("solved again")


def test_a_link_to_an_uploaded_queue_restores_it_after_a_restart(
    app: AppTest, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = (Path(baseline_path()).parent / "baseline_projects.csv").read_text(encoding="utf-8").splitlines()
    app.file_uploader[0].set_value(("短队列.csv", "\n".join(lines[:101]).encode("utf-8"), "text/csv"))
    run(app)
    setting = app.query_params["setting"]
    uploaded = Path(next(iter(app.session_state["uploads"].values())))
    assert uploaded.exists()
    shown = metric(app, t("metric_objective", "zh"))
    _restart_server()
    assert not uploaded.exists()
    monkeypatch.setattr(Child, "run", _no_solve)  # its proven result is read from the library
    fresh = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    fresh.query_params["setting"] = setting
    run(fresh)
    assert any("已从链接恢复" in s.value for s in fresh.success)
    approved = next(m for m in fresh.metric if m.label == t("metric_approved", "zh"))
    assert approved.proto.delta == t("metric_approved_of", "zh", n=100)
    assert metric(fresh, t("metric_objective", "zh")) == shown
    assert any("短队列.csv" in c.value.replace("\\", "") for c in fresh.sidebar.caption)
    assert fresh.query_params["setting"] == setting  # the same setting, the same link


def test_a_link_to_a_pinned_setting_shows_its_result_after_a_restart_without_solving(
    app: AppTest, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.selectbox(key="pin_project@zh").set_value(BASE_PROJECTS.ids[-1])
    app.selectbox(key="pin_action@zh").set_value("out")
    app.button(key="pin_button").click()
    run(app)
    setting, shown = app.query_params["setting"], metric(app, t("metric_objective", "zh"))
    _restart_server()
    monkeypatch.setattr(Child, "run", _no_solve)
    fresh = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    fresh.query_params["setting"] = setting
    run(fresh)
    assert any("已从链接恢复" in s.value for s in fresh.success)
    assert metric(fresh, t("metric_objective", "zh")) == shown
    assert fresh.session_state["pins"] and fresh.query_params["setting"] == setting


def test_pinned_queues_are_kept_with_the_session_and_removed_when_it_ends(data: Path) -> None:
    from quota_sim.upload_store import upload_store

    page = run(AppTest.from_file(str(APP), default_timeout=TIMEOUT))
    page.selectbox(key="pin_project@zh").set_value(BASE_PROJECTS.ids[-1])
    page.selectbox(key="pin_action@zh").set_value("out")
    page.button(key="pin_button").click()
    run(page)
    pinned = {v[0].projects_path for v in page.session_state["variants"].values() if v[0].projects_path}
    pinned = {p for p in pinned if p.name == "pinned.csv"}
    assert pinned and all(p.is_file() and p.parent.parent == upload_store().folder for p in pinned)
    assert not (data / "queues").exists()  # nothing written into the data folder
    del page
    gc.collect()
    assert not any(p.exists() for p in pinned)


# ---------------------------------------- the sweep's budget


def test_the_sweep_keeps_to_its_budget_and_says_which_points_were_left_out(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quota_sim.app import page

    monkeypatch.setattr(page, "SWEEP_SECONDS", 2.0)
    page.sweeps().clear()
    open_view(app, "balance")
    started = time.monotonic()
    app.button(key="sweep_button").click()
    run(app)
    # No point starts with less than SWEEP_MIN_POINT_SECONDS left, and each stops at what is left.
    assert time.monotonic() - started < 2.0 + 10.0
    done = next(iter(page.sweeps().values()))
    assert done["rows"] and done["left"] and len(done["rows"]) + len(done["left"]) == page.SWEEP_POINTS
    assert done["rows"][0]["value"] == 0  # the ends come first, so a cut sweep still spans the range
    warning = next(w.value for w in app.warning if "未计算" in w.value)
    assert f"{len(done['left'])} 个点未计算" in warning
    assert all(page.number(v) in warning for v in done["left"])
    assert app.button(key="sweep_continue").label == t("sweep_continue", "zh", n=len(done["left"]))
    app.button(key="sweep_continue").click()
    run(app)
    more = next(iter(page.sweeps().values()))
    assert len(more["rows"]) > len(done["rows"])
    assert len(more["rows"]) + len(more["left"]) == page.SWEEP_POINTS
    assert page.sweep_order(list(range(9))) == [0, 8, 4, 2, 6, 1, 3, 5, 7]


# ---------------------------------------- solving ahead


def test_a_moved_lever_is_solved_ahead_and_solve_shows_that_setting(app: AppTest) -> None:
    from quota_sim.app import page

    wanted: list[tuple[str, str]] = []

    solves = page.solver().solves

    class Recorder:
        def want(self, session: str, toml: str) -> None:
            wanted.append((session, toml))

        def result(self, toml: str, check=None):
            return solves.result(toml, check)

        def forget(self, session: str) -> None:
            solves.forget(session)

    # Undone when the test ends, before its solves are settled (which needs the real solver, or a result
    # stored late would land in the next test's data folder).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(page.solver(), "solves", Recorder())
        run(app)
        assert wanted == []  # nothing pending: nothing solved ahead
        slider(app, t("plan_land", "zh")).set_value(1500.0)
        run(app)
        run(app)  # the same pending setting is not asked for twice
        assert len(wanted) == 1
        solve(app)
    variants = app.session_state["variants"].items()
    assert [toml for (_, levers, _), (_, toml) in variants if "plan_land=1500.0" in levers] == [wanted[0][1]]
    assert slider(app, t("plan_land", "zh")).value == pytest.approx(1500)


def test_a_solve_that_ends_without_a_result_says_so_and_solve_tries_again(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quota_sim.app.solver import SolveFailed

    real = Child.run

    def died(*_args, **_kwargs):
        raise SolveFailed("the solver process ended (exit code -9)")

    _restart_server()  # no result of this setting kept from an earlier test
    monkeypatch.setattr(Child, "run", died)
    slider(app, t("plan_land", "zh")).set_value(1500.0)
    solve(app)
    shown = [e.value.replace("\\", "") for e in app.error]  # as shown: escaped Markdown
    assert shown == [t("solve_failed", "zh", message="求解进程意外结束（退出码 -9）")], shown
    app.segmented_control(key="lang").set_value("en")
    run(app)
    shown = [e.value.replace("\\", "") for e in app.error]
    assert shown == [t("solve_failed", "en", message="the solver process ended (exit code -9)")], shown
    app.segmented_control(key="lang").set_value("zh")
    run(app)
    monkeypatch.setattr(Child, "run", real)
    solve(app)  # pressed again: solved this time
    assert not app.error
    assert slider(app, t("plan_land", "zh")).value == pytest.approx(1500)
    assert app.query_params["setting"] and figure(metric(app, t("metric_approved", "zh"))) > 0


def test_a_setting_solved_before_a_restart_is_read_from_the_library_not_solved_again(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    _restart_server()  # solved here, not taken from a result cached in this process
    app = run(AppTest.from_file(str(APP), default_timeout=TIMEOUT))
    approved = metric(app, t("metric_approved", "zh"))
    objective = metric(app, t("metric_objective", "zh"))
    _restart_server()

    monkeypatch.setattr(Child, "run", _no_solve)
    fresh = run(AppTest.from_file(str(APP), default_timeout=TIMEOUT))
    assert metric(fresh, t("metric_approved", "zh")) == approved
    assert metric(fresh, t("metric_objective", "zh")) == objective
    assert fresh.dataframe, "the allocation table is missing"


def test_hidden_parcels_and_columns_read_from_a_sites_table_are_worded_in_both_languages() -> None:
    from quota_sim.i18n import input_warning

    rows = "/srv/data/地块.xlsx: 12 hidden row(s) are read as sites (rows 3, 4, 9)"
    column = "/srv/data/地块.xlsx: column 'cropland_mu' is hidden in the workbook and is read"
    assert input_warning(rows, "zh") == "地块.xlsx：12 个隐藏行仍作为地块读入（第 3、4、9 行）"
    assert input_warning(rows, "en") == "地块.xlsx: 12 hidden row(s) are read as sites (rows 3, 4, 9)"
    assert input_warning(column, "zh") == "地块.xlsx：列“cropland_mu”在工作簿中隐藏，但仍被读入"
    assert input_warning("something else", "zh") == "something else"
