"""The app's logic without Streamlit: levers → scenario variants, uploads, page tables, comparison."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from quota_sim import app_state
from quota_sim.app_state import PollutantLever
from quota_sim.errors import InputError
from quota_sim.pipeline import solve_scenario
from quota_sim.projects import projects_for
from quota_sim.scenario import load_scenario, scenario_to_toml
from quota_sim.upload_store import UploadStore

SCENARIO = """
name = "small"
projects = "projects.csv"
start_year = 2026
years = 3

[[zones]]
id = "a"
name = "甲园"

[[zones]]
id = "b"
name = "乙园"

[quotas.land]
unit = "mu"
demand = "land_mu"

[[quotas.land.sources]]
id = "plan"
scope = "city"
amounts = 100

[[quotas.land.sources]]
id = "stock"
scope = "zone"
amounts = { a = [20, 10, 0], b = 30 }

[[quotas.land.sources]]
id = "linkage"
scope = "city"
amounts = 10
price = 20

[quotas.energy]
unit = "tce"
demand = "energy_tce"

[[quotas.energy.sources]]
id = "plan"
scope = "city"
amounts = [1000, 1000, 1000]

[quotas.nox]
unit = "t"
demand = "nox_t"
ratio = 2.0

[[quotas.nox.sources]]
id = "allocation"
scope = "city"
amounts = 5

[quotas.forest]
unit = "mu"
demand = "forest_mu"

[[quotas.forest.sources]]
id = "quota"
scope = "city"
amounts = 3

[objective]
weights = { output = 1.0 }
discount_rate = 0.05
appraisal_years = 3

[solver]
time_limit = 20
"""

HEADER = "id,name,industry,zone,land_mu,investment,output,tax,earliest_year,lock,energy_tce,nox_t,forest_mu"
PROJECTS = f"""{HEADER}
P1,一号,新材料,a,80,20000,30000,900,,,400,1.0,
P2,二号,新材料,b,60,15000,20000,600,2027,,300,0.5,
P3,三号,再生铅,a|b,90,18000,26000,700,,,500,2.0,2
P4,四号,物流,b,50,6000,8000,200,2028,,100,,
P5,五号,物流,a,40,5000,9000,300,,,200,0.2,
P6,六号,新材料,b,70,9000,5000,100,,out,100,0.1,
"""


@pytest.fixture()
def scenario_file(tmp_path: Path) -> Path:
    (tmp_path / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    path = tmp_path / "small.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture()
def store(tmp_path: Path):
    made = UploadStore(tmp_path)
    yield made
    made.close()


@pytest.fixture()
def scenario(scenario_file: Path):
    return load_scenario(scenario_file)


@pytest.fixture()
def result(scenario):
    return solve_scenario(scenario)


def test_lever_sources_found_by_name_and_pollutants_exclude_land_type_quotas(scenario) -> None:
    where = app_state.find_lever_sources(scenario)
    assert where.plan == ("land", "plan")
    assert where.stock == ("land", "stock")
    assert where.linkage == ("land", "linkage")
    assert where.energy == ("energy", "plan")
    assert where.pollutants == (("nox", "allocation"),)


def test_levers_read_from_the_scenario(scenario) -> None:
    levers = app_state.levers_from_scenario(scenario)
    assert levers.plan_land == pytest.approx(100)
    assert levers.stock_land == pytest.approx(20 + 10 + 0 + 3 * 30)
    assert levers.linkage_amount == pytest.approx(10)
    assert levers.linkage_price == pytest.approx(20)
    assert levers.purchase_budget is None
    assert levers.energy_increment == pytest.approx(1000)
    assert levers.pollutants == (PollutantLever("nox", "t", 5.0, 2.0),)
    assert levers.weights == {"output": 1.0, "tax": 0.0, "investment": 0.0, "jobs": 0.0}
    assert (levers.discount_rate, levers.years, levers.time_limit) == (0.05, 3, 20.0)


def test_unchanged_levers_leave_the_scenario_and_its_toml_alone(scenario) -> None:
    levers = app_state.levers_from_scenario(scenario)
    assert app_state.lever_changes(scenario, levers) == {}
    assert scenario_to_toml(app_state.apply_levers(scenario, levers)) == scenario_to_toml(scenario)


def test_plan_land_lever_sets_every_year_and_nothing_else(scenario) -> None:
    levers = dataclasses.replace(app_state.levers_from_scenario(scenario), plan_land=250.0)
    assert app_state.lever_changes(scenario, levers) == {
        "quotas.land.sources.plan.amounts": [250.0, 250.0, 250.0]
    }
    variant = app_state.apply_levers(scenario, levers)
    assert app_state.levers_from_scenario(variant).plan_land == pytest.approx(250)
    assert app_state.levers_from_scenario(variant).stock_land == pytest.approx(120)


def test_stock_land_lever_scales_parks_and_years_in_proportion(scenario) -> None:
    levers = dataclasses.replace(app_state.levers_from_scenario(scenario), stock_land=240.0)
    variant = app_state.apply_levers(scenario, levers)
    stock = next(s for s in variant.quotas[0].sources if s.id == "stock")
    assert stock.amounts["a"] == pytest.approx((40, 20, 0))
    assert stock.amounts["b"] == pytest.approx((60, 60, 60))


def test_a_zero_supply_lever_moved_up_is_spread_evenly(scenario) -> None:
    emptied = app_state.apply_levers(
        scenario, dataclasses.replace(app_state.levers_from_scenario(scenario), stock_land=0.0)
    )
    refilled = app_state.apply_levers(
        emptied, dataclasses.replace(app_state.levers_from_scenario(emptied), stock_land=60.0)
    )
    stock = next(s for s in refilled.quotas[0].sources if s.id == "stock")
    assert stock.amounts["a"] == pytest.approx((10, 10, 10))
    assert stock.amounts["b"] == pytest.approx((10, 10, 10))


def test_longer_horizon_extends_every_amounts_list_by_its_last_year(scenario) -> None:
    levers = dataclasses.replace(app_state.levers_from_scenario(scenario), years=5)
    variant = app_state.apply_levers(scenario, levers)
    assert variant.years == 5
    stock = next(s for s in variant.quotas[0].sources if s.id == "stock")
    assert stock.amounts["a"] == pytest.approx((20, 10, 0, 0, 0))
    energy = variant.quotas[1].sources[0]
    assert energy.amounts[None] == pytest.approx((1000,) * 5)


def test_shorter_horizon_with_a_new_plan_level(scenario) -> None:
    levers = dataclasses.replace(app_state.levers_from_scenario(scenario), years=2, plan_land=300.0)
    variant = app_state.apply_levers(scenario, levers)
    plan = variant.quotas[0].sources[0]
    assert plan.amounts[None] == pytest.approx((300, 300))
    assert next(s for s in variant.quotas[0].sources if s.id == "stock").amounts["a"] == pytest.approx(
        (20, 10)
    )


def test_ratio_budget_weights_and_solver_levers(scenario) -> None:
    levers = dataclasses.replace(
        app_state.levers_from_scenario(scenario),
        pollutants=(PollutantLever("nox", "t", 8.0, 1.5),),
        purchase_budget=500.0,
        linkage_price=25.0,
        weights={"output": 1.0, "tax": 2.0, "investment": 0.0, "jobs": 0.0},
        strategic_bonus=0.2,
        discount_rate=0.08,
        time_limit=7.0,
    )
    variant = app_state.apply_levers(scenario, levers)
    nox = next(q for q in variant.quotas if q.id == "nox")
    assert nox.ratio == 1.5 and nox.sources[0].amounts[None] == pytest.approx((8, 8, 8))
    assert variant.objective.purchase_budget == 500.0
    assert variant.quotas[0].sources[2].price == 25.0
    assert variant.objective.weights["tax"] == 2.0
    assert (variant.objective.strategic_bonus, variant.objective.discount_rate) == (0.2, 0.08)
    assert variant.solver.time_limit == 7.0
    back = dataclasses.replace(app_state.levers_from_scenario(variant), purchase_budget=None)
    assert app_state.apply_levers(variant, back).objective.purchase_budget >= app_state.NO_BUDGET


def test_invalid_lever_value_is_an_input_error(scenario) -> None:
    levers = dataclasses.replace(app_state.levers_from_scenario(scenario), discount_rate=-0.1)
    with pytest.raises(InputError):
        app_state.apply_levers(scenario, levers)


def test_land_balance_follows_the_documented_definition(scenario) -> None:
    projects = projects_for(scenario)
    balance = app_state.land_balance(scenario, projects)
    open_land = 80 + 60 + 90 + 50 + 40  # P6 is locked out
    assert balance.demand == pytest.approx(open_land / 3)
    assert balance.by_source == pytest.approx({"plan": 100, "stock": 120 / 3, "linkage": 10})
    assert balance.supply == pytest.approx(150)
    assert balance.shortfall == pytest.approx(open_land / 3 - 150)


def test_queue_demand_by_ready_year(scenario) -> None:
    frame = app_state.demand_vs_supply(scenario, projects_for(scenario))
    assert list(frame["year"]) == [2026, 2027, 2028]
    assert list(frame["ready"]) == pytest.approx([80 + 90 + 40, 60, 50])
    assert list(frame["supply"]) == pytest.approx([100 + 50 + 10, 100 + 40 + 10, 100 + 30 + 10])
    assert frame["cumulative_ready"].iloc[-1] == pytest.approx(320)


def test_upload_too_large_is_refused_before_reading(scenario) -> None:
    data = b"x" * (app_state.MAX_UPLOAD_BYTES + 1)
    with pytest.raises(InputError, match="too large") as caught:
        app_state.read_upload(data, "big.csv", scenario)
    assert caught.value.file == "big.csv"


def test_upload_with_text_in_a_number_names_row_and_column(scenario) -> None:
    bad = PROJECTS.replace("P2,二号,新材料,b,60,", "P2,二号,新材料,b,sixty,")
    with pytest.raises(InputError) as caught:
        app_state.read_upload(bad.encode("utf-8"), "queue.csv", scenario)
    assert caught.value.row == 3
    assert caught.value.column == "land_mu"
    assert "row 3" in str(caught.value)


def test_upload_that_is_not_a_table_is_refused(scenario) -> None:
    with pytest.raises(InputError):
        app_state.read_upload(b"%PDF-1.7\x00\x01\x02binary", "queue.xlsx", scenario)


def test_good_upload_is_stored_and_used(scenario, store: UploadStore) -> None:
    data = PROJECTS.replace("P5,五号", "Q5,五号").encode("utf-8")
    projects = app_state.read_upload(data, "queue.csv", scenario)
    assert "Q5" in projects.ids
    session = store.session()  # its files go when it does
    path = session.save(data, "queue.csv")
    variant = app_state.with_projects(scenario, path)
    assert "Q5" in projects_for(variant).ids


def test_toml_of_a_variant_reproduces_its_objective(scenario, tmp_path: Path) -> None:
    levers = dataclasses.replace(app_state.levers_from_scenario(scenario), plan_land=60.0, years=4)
    variant = app_state.apply_levers(scenario, levers)
    text = scenario_to_toml(variant)
    path = tmp_path / "elsewhere" / "variant.toml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    direct = solve_scenario(app_state.scenario_from_toml(text))
    again = solve_scenario(load_scenario(path))
    assert direct.status == again.status == "optimal"
    assert again.objective == pytest.approx(direct.objective, rel=1e-9)
    assert [r.status for r in again.allocation] == [r.status for r in direct.allocation]


def test_scenario_from_bad_toml_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not valid TOML"):
        app_state.scenario_from_toml("name = ", "pasted.toml")


def test_allocation_frame_and_filters(result) -> None:
    frame = app_state.allocation_frame(result)
    assert list(frame["id"]) == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert {"land_charged", "energy_charged", "nox_charged", "forest_charged", "industry"} <= set(
        frame.columns
    )
    assert frame.loc[frame["id"] == "P6", "status"].item() == "locked_out"
    approved = app_state.filter_allocation(frame, statuses=["approved"])
    assert set(approved["status"]) == {"approved"}
    logistics_in_b = app_state.filter_allocation(frame, zones=["b"], industries=["物流"])
    assert set(logistics_in_b["zone"]) <= {"b"} and set(logistics_in_b["industry"]) <= {"物流"}
    assert len(app_state.filter_allocation(frame)) == 6


def test_chart_tables_add_up_to_the_kpis(result) -> None:
    for quota in result.scenario.quotas:
        used = app_state.quota_use_by_industry(result, quota.id, "(none)")
        assert used["used"].sum() == pytest.approx(result.kpi[f"{quota.id}_used"])
    starts = app_state.start_years_by_zone(result)
    assert starts["projects"].sum() == result.kpi["approved"]
    supply = app_state.supply_per_year(result.scenario, "land")
    assert list(supply["supply"]) == pytest.approx([160, 150, 140])


def test_headline_figures(result) -> None:
    head = app_state.headline_figures(result)
    assert head.status == result.status
    assert (head.approved, head.queued) == (result.kpi["approved"], 6)
    land = next(q for q in head.quotas if q.quota == "land")
    assert land.used == pytest.approx(result.kpi["land_used"])
    assert land.available == pytest.approx(450)


def test_comparison_of_saved_scenarios(scenario, result) -> None:
    tight = app_state.apply_levers(
        scenario, dataclasses.replace(app_state.levers_from_scenario(scenario), plan_land=0.0, stock_land=0.0)
    )
    tight_result = solve_scenario(tight)
    first = app_state.snapshot("base", result, scenario_to_toml(scenario))
    second = app_state.snapshot("tight", tight_result, scenario_to_toml(tight))
    figures = app_state.compare_figures([first, second])
    assert list(figures.columns) == ["base", "tight"]
    assert figures.loc["approved", "base"] > figures.loc["approved", "tight"]
    changes = app_state.status_changes([first, second])
    assert len(changes) > 0
    assert (changes["base"] != changes["tight"]).all()
    assert set(changes["base"]) == {"approved"}
    assert app_state.status_changes([first, first]).empty
    assert app_state.unique_name("base", ["base", "base (2)"]) == "base (3)"


def test_slider_top_is_a_round_number_above_the_values() -> None:
    assert app_state.slider_top(600.0) == 1800.0
    assert app_state.slider_top(None, 0.281, floor=0.1) == pytest.approx(0.85)
    assert app_state.slider_top(None, floor=100) == 300.0


# ---------------------------------------- labels (quota_sim.i18n)


def test_column_labels_carry_units_in_both_languages() -> None:
    from quota_sim.i18n import column_label

    assert column_label("land_charged") == "用地 核定占用(亩)"
    assert column_label("land_charged", "en") == "Land charged (mu)"
    assert column_label("energy_charged") == "用能 核定占用(吨标准煤)"
    assert column_label("nox_charged", "zh") == "氮氧化物 核定占用(吨)"
    assert column_label("odour_charged", "zh", {"odour": "kg"}) == "odour 核定占用(千克)"
    assert column_label("value") == "目标贡献(万元)"
    assert column_label("cost", "en") == "Cost (10k yuan)"
    assert column_label("no_such_column") == "no_such_column"
    for column in (
        "id",
        "name",
        "status",
        "zone",
        "start_year",
        "value",
        "reason",
        "quota",
        "source",
        "year",
        "available",
        "used",
        "cost",
    ):
        assert column_label(column, "zh") != column and column_label(column, "en") != column


def test_status_and_reason_labels() -> None:
    from quota_sim.i18n import reason_label
    from quota_sim.vocabulary import status_label

    assert status_label("not_selected") == "未入选"
    assert status_label("feasible", "en") == "Feasible (not proven optimal)"
    assert status_label("feasible", "zh", short=True) == "可行"
    assert status_label("mystery") == "mystery"
    assert reason_label("land|nox") == "用地指标不足、氮氧化物指标不足"
    assert reason_label("value", "en") == "displaced by higher-value projects"
    assert reason_label("odour", "en", quota_ids=["odour"]) == "odour quota short"
    assert reason_label("a: investment 120.0<200 万元/mu") == "a: 投资强度 120.0<200 万元/亩"
    # site problems, with or without a blocking quota, in the meeting pack's words
    on_class = "land (its site is cropland/basic_farmland land)|no site large enough ready by 2029"
    assert reason_label(on_class) == (
        "用地不足（可选地块为耕地、永久基本农田）；2029 年前无面积足够且已具备供地条件的地块"
    )
    assert reason_label(on_class, "en") == (
        "Land short (its site is cropland, basic farmland); no site large enough ready by 2029"
    )
    assert reason_label("no free site large enough") == "无面积足够的空闲地块"
    assert reason_label("") == ""


# ---------------------------------------- lever values, names, honest tables


def test_lever_step_lands_on_the_scenarios_own_value() -> None:
    assert app_state.lever_step(710, 10) == 10
    assert (
        app_state.lever_step(1013, 10) == 1
    )  # the baseline's stock land: 1010 and 1020 only on a step of 10
    assert app_state.lever_step(6168.1, 20) == pytest.approx(0.1)
    assert app_state.lever_step(None, 5) == 5
    for value, preferred in ((1013, 10), (6168.1, 20), (0.4495, 0.01), (203, 10)):
        step = app_state.lever_step(value, preferred)
        assert value / step == pytest.approx(round(value / step))
        assert step <= preferred
    assert app_state.step_format(10) == "%.0f" and app_state.step_format(0.05) == "%.2f"


def test_lever_differences_and_the_setting_name(scenario) -> None:
    own = app_state.levers_from_scenario(scenario)
    moved = dataclasses.replace(own, plan_land=150.0, strategic_bonus=0.25)
    changes = app_state.lever_differences(own, moved)
    assert changes == [("plan_land", 100.0, 150.0), ("strategic_bonus", own.strategic_bonus, 0.25)]
    assert app_state.lever_differences(own, own) == []
    assert app_state.setting_name("small", changes) == "small_plan_land-150_strategic_bonus-0.25"
    assert app_state.setting_name("small", []) == "small"
    long = [(f"lever{i}", 0.0, 123456.0) for i in range(10)]
    assert len(app_state.setting_name("small", long)) <= 80
    assert app_state.file_stem("方案 A/B: 900亩") == "方案_A_B__900亩"
    assert app_state.levers_from_dict(app_state.levers_to_dict(moved)) == moved


def test_a_changed_setting_describes_its_own_figures(scenario) -> None:
    projects = projects_for(scenario)
    own = app_state.levers_from_scenario(scenario)
    moved = dataclasses.replace(own, plan_land=150.0)
    variant = app_state.apply_levers(scenario, moved)
    changes = app_state.lever_differences(own, moved)
    described = app_state.described(variant, scenario, "small_plan_land-150", changes, projects)
    assert described.name == "small_plan_land-150"
    balance = app_state.land_balance(variant, projects)
    assert f"供给 {balance.supply:,.0f} 亩/年" in described.raw["description"]
    assert "plan_land: 100 -> 150" in described.raw["description"]
    assert app_state.described(scenario, scenario, "small", [], projects) is scenario


def test_a_time_limited_plan_far_from_its_bound_does_not_claim_displacement(result) -> None:
    far = dataclasses.replace(result, status="feasible", gap=9.63)
    near = dataclasses.replace(result, status="feasible", gap=0.02)
    assert app_state.reason_is_unproven(far, "value")
    assert not app_state.reason_is_unproven(far, "land")  # a blocking quota is a fact of the plan
    assert not app_state.reason_is_unproven(near, "value")
    assert not app_state.reason_is_unproven(result, "value")
    assert app_state.reason_is_unproven(dataclasses.replace(result, status="feasible", gap=None), "value")


def test_display_frame_has_no_raw_floats_and_no_none() -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "name": ["a", None],
            "gain": [1234.56789, None],
            "tiny": [0.004426, float("nan")],
            "gap": [0.004426, None],
        }
    )
    shown = app_state.display_frame(frame, decimals={"gain": 1}, percents=["gap"])
    assert list(shown["gain"]) == ["1,234.6", "—"]
    assert list(shown["tiny"]) == ["0.0044", "—"]
    assert list(shown["gap"]) == ["0.44%", "—"]
    assert list(shown["name"]) == ["a", "—"]


# ---------------------------------------- pins and the balance table


def test_pins_lock_fix_and_release(scenario, store: UploadStore) -> None:
    projects = projects_for(scenario)
    pins = [
        app_state.Pin("P1", "out"),
        app_state.Pin("P3", "in", zone="b", year=2027),
        app_state.Pin("P6", ""),
    ]
    pinned = app_state.pinned_projects(projects, pins)
    assert pinned.lock[:6] == ["out", "", "in", "", "", ""]
    assert pinned.zones[2] == ("b",) and pinned.earliest_year[2] == pinned.latest_year[2] == 2027
    assert projects.lock[0] == "" and projects.zones[2] == ("a", "b")  # the queue itself is untouched
    with pytest.raises(InputError, match="P9"):
        app_state.pinned_projects(projects, [app_state.Pin("P9", "in")])
    with pytest.raises(InputError, match="park 'a'"):
        app_state.pinned_projects(projects, [app_state.Pin("P2", "in", zone="a")])
    session = store.session()
    variant = app_state.with_pins(scenario, projects, pins, session.save)
    assert variant.projects_path.parent.parent == store.folder
    result = solve_scenario(variant)
    status = {row.id: row for row in result.allocation}
    assert status["P1"].status == "locked_out"
    assert status["P3"].status == "approved" and status["P3"].zone == "b" and status["P3"].start_year == 2027
    assert status["P6"].status != "locked_out"
    # the written queue reads back as the pinned one
    again = projects_for(variant)
    assert again.ids == projects.ids and list(again.land_mu) == list(projects.land_mu)
    assert again.demand["nox_t"].tolist() == projects.demand["nox_t"].tolist()


def test_pins_keep_a_quota_charging_a_core_column(scenario, store: UploadStore) -> None:
    # As the baseline's labour quota charges jobs: here a quota on tax, another core column the table has.
    levy = {"demand": "tax", "sources": [{"id": "pool", "scope": "city", "amounts": 100}]}
    with_levy = app_state.with_values(scenario, {"quotas.levy": levy})
    projects = projects_for(with_levy)
    session = store.session()
    variant = app_state.with_pins(with_levy, projects, [app_state.Pin("P1", "out")], session.save)
    header = variant.projects_path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header.count("tax") == 1
    assert projects_for(variant).tax.tolist() == projects.tax.tolist()


def test_balance_per_park_and_year_adds_up(result) -> None:
    frame = app_state.balance_frame(result, "land")
    used = sum(row.used for row in result.quota_use if row.quota == "land")
    assert frame["used"].sum() == pytest.approx(used)
    assert frame["bought"].sum() == pytest.approx(
        sum(row.used for row in result.quota_use if row.quota == "land" and row.source == "linkage")
    )
    city = frame[frame["zone"] == ""]
    assert list(city["supply"]) == pytest.approx([100.0, 100.0, 100.0])  # the plan source; linkage is bought
    for _, rows in frame.groupby("zone"):
        left = 0.0
        for row in rows.itertuples():
            left = left + row.supply - (row.used - row.bought)
            assert row.carried_over == pytest.approx(max(left, 0.0))


def test_bad_input_details_read_in_chinese() -> None:
    from quota_sim.i18n import error_message

    assert error_message("project P3: text 'abc' is not a number", "zh") == "项目 P3：“abc”不是数字"
    assert error_message("required column 'land_mu' is missing", "zh") == "缺少必需的列“land_mu”"
    unknown = "zone 'tianyin' is not declared in the scenario (declared: a, b); did you mean 'a'?"
    assert error_message(unknown, "zh") == "园区“tianyin”不在情景中（已有：a, b）；是否应为“a”？"
    english = "project P3: text 'abc' is not a number"
    assert error_message(english, "en") == english


def test_a_variant_shares_the_sites_table_of_its_base_only_when_it_reads_the_same() -> None:
    from quota_sim.scenario import baseline_path, with_values

    base = load_scenario(baseline_path())
    levers = app_state.levers_from_scenario(base)
    variant = app_state.apply_levers(base, dataclasses.replace(levers, plan_land=levers.plan_land + 10))
    assert variant.sites is base.sites is not None  # read once, not again per variant
    renamed = app_state.described(variant, base, "x", [("plan_land", 0, 1)], projects_for(base))
    assert renamed.sites is base.sites
    later = with_values(base, {"start_year": base.start_year + 1})
    assert app_state.sharing_sites(later, base) is later
    assert later.sites is not base.sites  # another start year: checked again
