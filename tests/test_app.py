"""The planners' app driven by Streamlit's AppTest on the embedded baseline."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from quota_sim import app_state
from quota_sim.i18n import status_label, t
from quota_sim.scenario import baseline_path, load_scenario, scenario_to_toml
from quota_sim.solve import solve_scenario

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 60


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


@pytest.fixture()
def app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def test_page_loads_on_the_baseline(app: AppTest) -> None:
    assert app.title[0].value == t("page_title", "zh")
    assert not app.error
    approved = figure(metric(app, t("metric_approved", "zh")))
    assert 0 < approved < 220
    assert metric(app, t("metric_status", "zh")) in (
        status_label("optimal", "zh", short=True),
        status_label("feasible", "zh", short=True),
    )
    assert figure(metric(app, "用地(亩)")) > 0
    assert slider(app, t("plan_land", "zh")).value == pytest.approx(710)
    shortfall = [c.value for c in app.caption if "缺口" in c.value]
    assert shortfall and "2,060" in shortfall[0]
    assert app.dataframe, "the allocation table is missing"
    labels = [d.label for d in app.get("download_button")]
    assert labels == [t("download_csv", "zh"), t("download_xlsx", "zh"), t("download_toml", "zh")]


def test_slider_change_resolves_and_the_toml_reproduces_it(app: AppTest, tmp_path: Path) -> None:
    before = {label: metric(app, t(label, "zh")) for label in ("metric_approved", "metric_objective")}
    slider(app, t("plan_land", "zh")).set_value(1500.0)
    app.button(key="solve").click()
    app.run()
    assert not app.exception, app.exception
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
    app.button(key="solve").click()
    app.run()
    assert [m.proto.delta for m in app.metric if m.label == t("metric_status", "zh")] == seconds


def test_bad_upload_shows_row_and_column_and_keeps_the_last_good_data(app: AppTest) -> None:
    approved = metric(app, t("metric_approved", "zh"))
    lines = (Path(baseline_path()).parent / "baseline_projects.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[4].split(",")
    cells[header.index("land_mu")] = "abc"
    lines[4] = ",".join(cells)
    app.file_uploader[0].set_value(("queue.csv", "\n".join(lines).encode("utf-8"), "text/csv"))
    app.run()
    assert not app.exception, app.exception
    messages = [e.value for e in app.error]
    assert any("row 5" in m and "land_mu" in m for m in messages), messages
    assert metric(app, t("metric_approved", "zh")) == approved


def test_non_spreadsheet_upload_is_refused(app: AppTest) -> None:
    app.file_uploader[0].set_value(("queue.xlsx", b"%PDF-1.7 not a workbook", "application/pdf"))
    app.run()
    assert not app.exception, app.exception
    assert any("queue.xlsx" in e.value for e in app.error)
    assert figure(metric(app, t("metric_approved", "zh"))) > 0


def test_good_upload_replaces_the_queue(app: AppTest) -> None:
    lines = (Path(baseline_path()).parent / "baseline_projects.csv").read_text(encoding="utf-8").splitlines()
    app.file_uploader[0].set_value(("queue.csv", "\n".join(lines[:101]).encode("utf-8"), "text/csv"))
    app.run()
    assert not app.exception, app.exception
    assert any(s.value == t("upload_ok", "zh", n=100) for s in app.success)
    approved = next(m for m in app.metric if m.label == t("metric_approved", "zh"))
    assert approved.proto.delta == t("metric_approved_of", "zh", n=100)


def test_language_switch_to_english(app: AppTest) -> None:
    app.segmented_control(key="lang").set_value("en")
    app.run()
    assert not app.exception, app.exception
    assert app.title[0].value == t("page_title", "en")
    assert figure(metric(app, t("metric_approved", "en"))) > 0
    assert slider(app, t("plan_land", "en")).value == pytest.approx(710)
    assert next(d.label for d in app.get("download_button")) == t("download_csv", "en")


def test_infeasible_setting_explains_itself(app: AppTest) -> None:
    for label in ("plan_land", "stock_land", "linkage_amount"):
        slider(app, t(label, "zh")).set_value(0.0)
    app.button(key="solve").click()
    app.run()
    assert not app.exception, app.exception
    assert metric(app, t("metric_status", "zh")) == status_label("infeasible", "zh", short=True)
    messages = " ".join(e.value for e in app.error)
    assert "锁定" in messages
    assert any(t("overrun_label", "zh") in df.value.columns for df in app.dataframe)


def test_saved_scenarios_are_compared(app: AppTest) -> None:
    app.text_input(key="save_name").input("基准")
    app.button(key="save").click()
    app.run()
    slider(app, t("plan_land", "zh")).set_value(1200.0)
    app.button(key="solve").click()
    app.run()
    assert not app.exception, app.exception
    assert app.multiselect(key="compare_pick").value == ["基准"]
    columns = [list(df.value.columns) for df in app.dataframe]
    assert any(c[-2:] == ["基准", t("current", "zh")] for c in columns), columns
    changes = [
        df.value for df in app.dataframe if "基准" in df.value.columns and "项目编号" in df.value.columns
    ]
    assert changes and len(changes[0]) > 0
