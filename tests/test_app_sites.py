"""The app with sites (SPEC §5): the map drawn from the sites' own geometry, site states, pins to a
site, and the land-class quota sliders."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from quota_sim import app_state
from quota_sim.app.library import DATA_ENV
from quota_sim.i18n import t
from quota_sim.pipeline import solve_scenario
from quota_sim.vocabulary import marginal_status_label
from tests.instances import load_instance, project_row, scenario_dict, write_instance

APP = Path(__file__).resolve().parent.parent / "app.py"


def square(x: float, y: float, side: float = 0.01) -> str:
    """A WKT square (lon/lat) with its south-west corner at (x, y)."""
    corners = [(x, y), (x + side, y), (x + side, y + side), (x, y + side), (x, y)]
    return "POLYGON ((" + ", ".join(f"{a:.4f} {b:.4f}" for a, b in corners) + "))"


SITES = [
    {"id": "s1", "zone": "a", "area_mu": 40, "construction_mu": 40, "geometry": square(117.00, 33.60)},
    {
        "id": "s2",
        "zone": "a",
        "area_mu": 30,
        "construction_mu": 10,
        "forest_mu": 20,
        "geometry": square(117.02, 33.60),
    },
    {
        "id": "s3",
        "zone": "b",
        "area_mu": 50,
        "construction_mu": 50,
        "ready_year": 2030,
        "geometry": "MULTIPOLYGON (((117.04 33.60, 117.05 33.60, 117.05 33.61, 117.04 33.60)))",
    },
    {"id": "s4", "zone": "b", "area_mu": 25, "construction_mu": 25, "geometry": "POINT (117.06 33.605)"},
]
QUOTAS = {
    "land": {"unit": "mu", "demand": "land_mu", "sources": [{"id": "plan", "scope": "city", "amounts": 60}]},
    "forest": {
        "unit": "mu",
        "demand": "land_mu",
        "site_classes": ["forest"],
        "sources": [{"id": "adjust", "scope": "city", "amounts": 0}],
    },
}
ROWS = [
    project_row("p1", zone="a", land_mu=30, output=300),
    project_row("p2", zone="a|b", land_mu=20, output=200),
    project_row("p3", zone="b", land_mu=10, output=50),
]


def scenario(years: int = 2) -> dict:
    zones = [{"id": "a", "name": "甲园"}, {"id": "b", "name": "乙园"}]
    return scenario_dict(years=years, zones=zones, quotas=QUOTAS, name="parcels")


def test_wkt_shapes_become_geojson() -> None:
    assert app_state.wkt_geometry("POINT (117.1 34.2)") == {"type": "Point", "coordinates": [117.1, 34.2]}
    polygon = app_state.wkt_geometry(square(1, 2, 1))  # written anticlockwise
    assert polygon["type"] == "Polygon" and polygon["coordinates"][0][2] == [2.0, 3.0]
    assert polygon["coordinates"][0][1] == [1.0, 3.0]  # outer ring turned clockwise for d3-geo
    holed = app_state.wkt_geometry("POLYGON ((0 0, 0 4, 4 4, 4 0, 0 0), (1 1, 1 2, 2 2, 2 1, 1 1))")
    assert holed["coordinates"][0][1] == [0.0, 4.0]  # clockwise already
    assert holed["coordinates"][1][1] == [2.0, 1.0]  # the hole turned anticlockwise
    multi = app_state.wkt_geometry("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))")
    assert multi["type"] == "MultiPolygon" and len(multi["coordinates"]) == 2
    for bad in (
        "",
        "POLYGON ((0 0, 1 1))",
        "POINT (1)",
        "POLYGON ((0 0, 1 0, 1 1, 0 0)",
        "LINESTRING (0 0, 1 1)",
    ):
        assert app_state.wkt_geometry(bad) is None


def test_site_states_follow_the_plan_and_the_land_classes(tmp_path: Path) -> None:
    loaded, projects, _ = load_instance(tmp_path, scenario(), ROWS, SITES)
    result = solve_scenario(loaded, projects)
    frame = app_state.site_frame(result).set_index("id")
    used = {row.id for row in result.site_use if row.used_mu > 0}
    assert used and all(frame.loc[site, "state"] == "used" for site in used)
    assert frame.loc["s2", "state"] == "blocked"  # forest on it, forest quota 0
    assert frame.loc["s3", "state"] == "not_ready"  # ready in 2030, horizon 2026-2027
    assert frame.loc["s2", "main_class"] == "forest" and frame.loc["s1", "main_class"] == "construction"
    assert frame["free_mu"].sum() == pytest.approx(frame["area_mu"].sum() - frame["used_mu"].sum())
    features = app_state.site_features(result)
    assert [f["properties"]["id"] for f in features] == ["s1", "s2", "s3", "s4"]
    assert features[3]["geometry"]["type"] == "Point"


@pytest.fixture()
def sites_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app with the parcels scenario kept in the data folder's scenarios/."""
    data = tmp_path / "data"
    monkeypatch.setenv(DATA_ENV, str(data))
    write_instance(data / "scenarios", scenario(), ROWS, SITES)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.selectbox(key="scenario_file").set_value(data / "scenarios" / "parcels.toml")
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_sites_tab_draws_the_map_and_the_site_table(sites_app: AppTest) -> None:
    sites_app.session_state["view@zh"] = t("sites_header", "zh")
    sites_app.run()
    assert not sites_app.exception, sites_app.exception
    park = sites_app.selectbox(key="site_park@zh")
    assert park.value == "a"  # one park at a time by default
    table = next(df.value for df in sites_app.dataframe if t("site_id", "zh") in df.value.columns)
    assert list(table[t("site_id", "zh")]) == ["s1", "s2"]
    park.set_value("")  # every park
    sites_app.run()
    charts = sites_app.get("vega_lite_chart")
    assert charts, "no map drawn"
    spec = charts[0].proto.spec
    assert "geoshape" in spec and "mercator" in spec and "s2" in spec
    table = next(df.value for df in sites_app.dataframe if t("site_id", "zh") in df.value.columns)
    states = dict(zip(table[t("site_id", "zh")], table[t("site_colour_state", "zh")], strict=True))
    assert states["s2"] == t("site_state_blocked", "zh") and states["s3"] == t("site_state_not_ready", "zh")


def test_the_forest_quota_slider_frees_the_forest_site(sites_app: AppTest) -> None:
    label = t("class_amount", "zh", name="林地", unit="亩")
    forest = next(s for s in sites_app.slider if s.label == label)
    assert forest.value == 0
    forest.set_value(20.0)
    sites_app.button(key="solve").click()
    sites_app.run()
    assert not sites_app.exception, sites_app.exception
    sites_app.session_state["view@zh"] = t("sites_header", "zh")
    sites_app.run()
    table = next(df.value for df in sites_app.dataframe if t("site_id", "zh") in df.value.columns)
    states = dict(zip(table[t("site_id", "zh")], table[t("site_colour_state", "zh")], strict=True))
    assert states["s2"] != t("site_state_blocked", "zh")


def test_a_project_pinned_to_a_site_and_year(sites_app: AppTest) -> None:
    sites_app.selectbox(key="pin_project@zh").set_value("p3")
    sites_app.selectbox(key="pin_action@zh").set_value("fix")
    sites_app.run()
    sites_app.selectbox(key="pin_zone@zh").set_value("b")
    sites_app.run()
    assert sites_app.selectbox(key="pin_site@zh").options == [t("pin_any_site", "zh"), "s3", "s4"]
    sites_app.selectbox(key="pin_site@zh").set_value("s4")
    sites_app.selectbox(key="pin_year@zh").set_value(2027)
    sites_app.button(key="pin_button").click()
    sites_app.run()
    assert not sites_app.exception, sites_app.exception
    table = next(df.value for df in sites_app.dataframe if "项目编号" in df.value.columns)
    row = table.set_index("项目编号").loc["p3"]
    assert row["状态"] == "批准" and row["开工年份"] == "2027"


def test_the_analysis_tables_read_in_words_without_raw_floats(sites_app: AppTest) -> None:
    sites_app.session_state["view@zh"] = t("analysis_header", "zh")
    sites_app.run()
    sites_app.toggle(key="analysis_on:0@zh").set_value(True)
    sites_app.run()
    assert not sites_app.exception, sites_app.exception
    marginal = next(
        df.value for df in sites_app.dataframe if "单位边际价值(万元/指标单位)" in df.value.columns
    )
    assert set(marginal["状态"]) <= {
        marginal_status_label(c, "zh")
        for c in ("optimal", "neighbourhood", "time_limited", "lp_bound", "lp", "no_solution", "no_time")
    }
    for table in (df.value for df in sites_app.dataframe):
        cells = [str(cell) for cell in table.to_numpy().ravel()]
        assert not {"None", "nan"} & set(cells)
        assert not [
            c for c in cells if "." in c and len(c.split(".")[-1]) > 4 and c.replace(".", "").isdigit()
        ]
    assert any(c.value.startswith("分析用时") for c in sites_app.caption)
