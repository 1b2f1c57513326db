"""Sites (地块), land classes, admission lists and latest years (SPEC §5).

Inputs: every bad cell of the sites table, of the projects' ``site`` / ``latest_year`` columns and of
the new scenario keys is bad input naming file, row and column. Model: each §5 rule has a small
instance whose optimum changes when the rule is dropped. Outputs: ``site`` in allocation.csv and
``sites.csv``. The brute-force comparison on random site instances lives in test_bruteforce.py.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from quota_sim.analysis.baselines import allocate_by_hand
from quota_sim.analysis.diagnosis import check_scenario, diagnose
from quota_sim.analysis.marginal import marginal_values
from quota_sim.analysis.sweep import run_sweep
from quota_sim.cli import main
from quota_sim.errors import InputError
from quota_sim.export import output_files, write_outputs
from quota_sim.model import build_model
from quota_sim.pipeline import solve_scenario
from quota_sim.projects import projects_for
from quota_sim.scenario import load_scenario, with_values
from quota_sim.sites import load_sites
from quota_sim.verify import verify_outputs
from tests.instances import load_instance, project_row, scenario_dict, write_instance

ZONES = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]


def _land(amount: float = 1000, **extra: Any) -> dict[str, Any]:
    return {
        "unit": "mu",
        "demand": "land_mu",
        "sources": [{"id": "plan", "scope": "city", "amounts": amount}],
        **extra,
    }


def _site(sid: str, zone: str = "a", area: float = 50, **extra: Any) -> dict[str, Any]:
    return {"id": sid, "zone": zone, "area_mu": area, **extra}


def _solve(tmp_path: Path, rows, sites, *, years: int = 1, quotas=None, zones=None, objective=None):
    scenario = scenario_dict(
        years=years, zones=zones or ZONES, quotas=quotas or {"land": _land()}, objective=objective
    )
    loaded, projects, _ = load_instance(tmp_path / "in", scenario, rows, sites)
    result = solve_scenario(loaded, projects)
    return result, {row.id: row for row in result.allocation}


def _bad_input(tmp_path: Path, rows, sites, *, scenario=None) -> InputError:
    path = write_instance(tmp_path, scenario or scenario_dict(zones=ZONES), rows, sites)
    with pytest.raises(InputError) as caught:
        projects_for(load_scenario(path))
    return caught.value


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize(
    ("sites", "row", "column", "words"),
    [
        ([_site("s1", area=10, cropland_mu=6, forest_mu=5)], 2, "area_mu", "sum to 11 mu"),
        ([_site("s1", zone="c")], 2, "zone", "zone 'c' is not declared"),
        ([_site("s1"), _site("s1", zone="b")], 3, "id", "used twice (rows 2 and 3)"),
        ([_site("s1", area=0)], 2, "area_mu", "greater than 0"),
        ([_site("s1", area="lots")], 2, "area_mu", "not a number"),
        ([_site("s1", cropland_mu=-1)], 2, "cropland_mu", "negative"),
        ([_site("", zone="a")], 2, "id", "blank"),
        ([_site("s1", ready_year=2026.5)], 2, "ready_year", "whole year"),
        ([_site("s1", ready_year=3026)], 2, "ready_year", "calendar year"),
        ([_site("s1", geometry="circle at 1,2")], 2, "geometry", "WKT"),
    ],
)
def test_bad_site_cells_name_file_row_and_column(tmp_path, sites, row, column, words) -> None:
    error = _bad_input(tmp_path, [project_row("p1")], sites)
    assert (error.file, error.row, error.column) == ("sites.csv", row, column)
    assert words in str(error)


def test_a_sites_table_without_its_required_column_is_bad_input(tmp_path) -> None:
    error = _bad_input(tmp_path, [project_row("p1")], [{"id": "s1", "zone": "a"}])
    assert (error.file, error.row, error.column) == ("sites.csv", 1, "area_mu")


@pytest.mark.parametrize(
    ("project", "column", "words"),
    [
        (project_row("p1", site="s9"), "site", "site 's9' is not in the sites table"),
        (project_row("p1", site="s2"), "site", "lies in zone 'b'"),
        (project_row("p1", site="s1|s1"), "site", "listed twice"),
        (project_row("p1", earliest_year=2028, latest_year=2027), "latest_year", "before earliest_year 2028"),
        (project_row("p1", latest_year=1800), "latest_year", "calendar year"),
    ],
)
def test_bad_project_site_cells_name_file_row_and_column(tmp_path, project, column, words) -> None:
    error = _bad_input(tmp_path, [project_row("p0"), project], [_site("s1"), _site("s2", zone="b")])
    assert (error.file, error.row, error.column) == ("projects.csv", 3, column)
    assert words in str(error)


def test_a_site_cell_without_a_sites_table_is_bad_input(tmp_path) -> None:
    error = _bad_input(tmp_path, [project_row("p1", site="s1")], None)
    assert (error.file, error.row, error.column) == ("projects.csv", 2, "site")
    assert "no sites table" in str(error)


def test_latest_year_before_earliest_year_is_bad_input_without_sites_too(tmp_path) -> None:
    error = _bad_input(tmp_path, [project_row("p1", earliest_year=2027, latest_year=2026)], None)
    assert (error.file, error.row, error.column) == ("projects.csv", 2, "latest_year")


def test_site_classes_without_a_sites_table_is_bad_input(tmp_path) -> None:
    scenario = scenario_dict(quotas={"land": _land(site_classes=["cropland"])})
    path = write_instance(tmp_path, scenario, [project_row("p1")])
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert (caught.value.file, caught.value.column) == ("case.toml", "quotas.land.site_classes")


@pytest.mark.parametrize(
    ("key", "value", "column", "words"),
    [
        ("zones.a.industries", [], "zones[a].industries", "non-empty list"),
        ("zones.a.industries", ["lead", "lead"], "zones[a].industries", "listed twice"),
        ("zones.a.industries", "lead", "zones[a].industries", "non-empty list"),
        ("quotas.land.site_classes", ["crop land"], "quotas.land.site_classes[0]", "may only contain"),
        ("sites", " ", "sites", "blank"),
    ],
)
def test_bad_site_keys_name_the_key(tmp_path, key, value, column, words) -> None:
    path = write_instance(tmp_path, scenario_dict(zones=ZONES), [project_row("p1")], [_site("s1")])
    scenario = load_scenario(path)
    with pytest.raises(InputError) as caught:
        with_values(scenario, {key: value})
    assert (caught.value.file, caught.value.column) == ("case.toml", column) and words in str(caught.value)


def test_cli_exits_2_on_a_bad_site_cell_and_writes_nothing(tmp_path, capsys) -> None:
    path = write_instance(
        tmp_path / "in",
        scenario_dict(zones=ZONES),
        [project_row("p1")],
        [_site("s1", area=10, cropland_mu=20)],
    )
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "sites.csv" in err and "row 2" in err and "area_mu" in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_sites_read_from_gbk_csv_and_xlsx_with_chinese_headers(tmp_path) -> None:
    header = [
        "地块编号",
        "地块名称",
        "所在园区",
        "面积（亩）",
        "可供年份",
        "建设用地",
        "耕地",
        "永久基本农田",
        "公益林",
        "经济林",
        "未利用地（亩）",
        "备注",
    ]
    values = ["D1", "城南一号", "a", 110, 2027, 40, 30, 10, 5, 15, 10, "说明"]
    gbk = tmp_path / "sites.csv"
    with gbk.open("w", encoding="gbk", newline="") as handle:
        csv.writer(handle).writerows([header, values])
    book = openpyxl.Workbook()
    book.active.append(header)
    book.active.append(values)
    book.save(tmp_path / "sites.xlsx")
    for path in (gbk, tmp_path / "sites.xlsx"):
        sites = load_sites(path, ["a", "b"], 2026)
        assert sites.ids == ["D1"] and sites.names == ["城南一号"] and sites.zones == ["a"]
        assert float(sites.area_mu[0]) == 110 and int(sites.ready_year[0]) == 2027
        assert {name: float(v[0]) for name, v in sites.classes.items()} == {
            "construction": 40,
            "cropland": 30,
            "basic_farmland": 10,
            "public_forest": 5,
            "commercial_forest": 15,
            "unused": 10,
        }


def test_check_warns_about_an_admission_list_naming_no_known_industry(tmp_path) -> None:
    zones = [{"id": "a", "name": "A", "industries": ["再生铅"]}, {"id": "b", "name": "B"}]
    rows = [project_row("p1", zone="a|b", industry="再生塑料")]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(zones=zones), rows, [_site("s1")])
    findings = check_scenario(scenario, projects)
    warning = next(f for f in findings if f.column == "zones.a.industries")
    assert warning.severity == "warning" and "再生铅" in warning.message
    known = with_values(scenario, {"zones.a.industries": ["再生塑料", "再生铅"]})
    assert not [f for f in check_scenario(known, projects) if f.column == "zones.a.industries"]


# --------------------------------------------------------------------------- model rules


def test_site_capacity_holds_over_the_horizon(tmp_path) -> None:
    rows = [
        project_row("p1", land_mu=20, output=100),
        project_row("p2", land_mu=20, output=90, earliest_year=2027),
    ]
    result, rows_by_id = _solve(tmp_path, rows, [_site("s1", area=30)], years=2)
    assert [r.status for r in result.allocation] == ["approved", "not_selected"]
    assert rows_by_id["p2"].reason == "no free site large enough"
    roomy, _ = _solve(tmp_path / "roomy", rows, [_site("s1", area=40)], years=2)
    assert roomy.objective == pytest.approx(190)


def test_a_site_smaller_than_the_project_is_never_used(tmp_path) -> None:
    result, rows = _solve(tmp_path, [project_row("p1", land_mu=30)], [_site("s1", area=20), _site("s2", "b")])
    assert rows["p1"].status == "not_selected" and rows["p1"].reason == "no site large enough (30 mu)"
    model = build_model(result.scenario, result.projects)
    assert model.x == {}


def test_charges_follow_the_share_of_the_listed_classes_on_the_site(tmp_path) -> None:
    # 10 mu of plan land; the 20 mu project fits only where half the site is construction land already.
    quotas = {"land": _land(10, site_classes=["cropland", "forest"])}
    sites = [_site("s1", area=20, cropland_mu=20), _site("s2", area=40, construction_mu=20, cropland_mu=20)]
    result, rows = _solve(tmp_path, [project_row("p1", land_mu=20)], sites, quotas=quotas)
    assert (rows["p1"].site, rows["p1"].charged["land"]) == ("s2", pytest.approx(10))
    assert result.quota_use[0].used == pytest.approx(10)
    _whole, whole_rows = _solve(
        tmp_path / "whole", [project_row("p1", land_mu=20)], sites, quotas={"land": _land(10)}
    )
    assert whole_rows["p1"].status == "not_selected"


def test_a_forest_quota_charges_the_forest_of_the_chosen_site(tmp_path) -> None:
    quotas = {"land": _land(), "forest": _land(0, site_classes=["public_forest"])}
    sites = [_site("s1", area=30, public_forest_mu=10), _site("s2", "b", area=30)]
    rows = [project_row("p1", zone="a|b", land_mu=20)]
    _result, by_id = _solve(tmp_path, rows, sites, quotas=quotas)
    assert (by_id["p1"].site, by_id["p1"].charged["forest"]) == ("s2", 0.0)  # moved off the forest
    _only_forest, by_id = _solve(
        tmp_path / "f", [project_row("p1", land_mu=20, site="s1")], sites, quotas=quotas
    )
    assert by_id["p1"].status == "not_selected"
    assert by_id["p1"].reason == "forest (its site is public_forest land)"


def test_relocation_penalty_applies_off_the_first_candidate_site(tmp_path) -> None:
    objective = {"relocation_penalty": 0.25}
    sites = [_site("s1", area=10), _site("s2", area=10), _site("s3", "b", area=10)]
    rows = [
        project_row("p1", land_mu=10, output=100, site="s2|s1"),
        project_row("p2", land_mu=10, output=100, site="s2"),
    ]
    _, by_id = _solve(tmp_path, rows, sites, objective=objective)
    assert (by_id["p1"].site, by_id["p1"].value) == ("s1", pytest.approx(75))
    assert (by_id["p2"].site, by_id["p2"].value) == ("s2", pytest.approx(100))
    # Naming no site: the penalty goes by zone, any site of the preferred zone is free of it.
    _result, by_id = _solve(
        tmp_path / "zones", [project_row("p3", zone="b|a", land_mu=10)], sites[:2], objective=objective
    )
    assert (by_id["p3"].zone, by_id["p3"].value) == ("a", pytest.approx(75))


def test_no_project_starts_on_a_site_before_it_is_ready(tmp_path) -> None:
    sites = [_site("s1", ready_year=2027)]
    _result, by_id = _solve(tmp_path, [project_row("p1")], sites, years=2)
    assert by_id["p1"].start_year == 2027
    _late, by_id = _solve(tmp_path / "late", [project_row("p1", latest_year=2026)], sites, years=2)
    assert by_id["p1"].status == "not_selected"
    assert by_id["p1"].reason == "no site large enough ready by 2026"


def test_latest_year_bounds_the_start_with_or_without_sites(tmp_path) -> None:
    quotas = {"land": _land([0, 10], carry_over=True)}
    rows = [project_row("p1", latest_year=2026)]
    for sites in (None, [_site("s1")]):
        _, by_id = _solve(tmp_path / str(bool(sites)), rows, sites, years=2, quotas=quotas)
        assert by_id["p1"].status == "not_selected" and by_id["p1"].reason == "land"
        _, free = _solve(tmp_path / f"free{bool(sites)}", [project_row("p1")], sites, years=2, quotas=quotas)
        assert free["p1"].start_year == 2027


def test_a_locked_in_project_must_start_by_its_latest_year(tmp_path) -> None:
    quotas = {"land": _land([0, 10])}
    result, _ = _solve(
        tmp_path, [project_row("p1", lock="in", latest_year=2026)], [_site("s1")], years=2, quotas=quotas
    )
    assert result.status == "infeasible"
    report = diagnose(result.scenario, result.projects)
    assert [(o["quota"], o["year"], o["overrun"]) for o in report["overruns"]] == [("land", 2026, 10)]


def test_admission_lists_apply_with_or_without_sites(tmp_path) -> None:
    zones = [{"id": "a", "name": "A", "industries": ["再生铅"]}, {"id": "b", "name": "B"}]
    rows = [
        project_row("p1", zone="a|b", industry="塑料", output=100),
        project_row("p2", zone="a", industry="塑料"),
        project_row("p3", zone="a", industry="再生铅"),
    ]
    for sites in (None, [_site("s1"), _site("s2", "b")]):
        _, by_id = _solve(tmp_path / str(bool(sites)), rows, sites, zones=zones)
        assert by_id["p1"].zone == "b"
        assert by_id["p2"].status == "ineligible" and "industry 塑料 not admitted" in by_id["p2"].reason
        assert by_id["p3"].status == "approved"


def test_a_named_site_restricts_the_project_to_its_candidates(tmp_path) -> None:
    sites = [_site("s1", area=10), _site("s2", area=10)]
    rows = [
        project_row("p1", land_mu=10, site="s2", output=50),
        project_row("p2", land_mu=10, output=100, site="s2"),
    ]
    _, by_id = _solve(tmp_path, rows, sites)
    assert by_id["p2"].site == "s2" and by_id["p1"].status == "not_selected"
    assert by_id["p1"].reason == "no free site large enough"


def test_only_placements_that_can_be_nonzero_get_variables(tmp_path) -> None:
    quotas = {"land": _land(15, site_classes=["cropland"])}
    sites = [
        _site("s1", area=30, ready_year=2027),
        _site("s2", area=5),
        _site("s3", area=30, cropland_mu=30),
        _site("s4", "b", area=30),
    ]
    rows = [project_row("p1", land_mu=20, earliest_year=2026, latest_year=2027)]
    scenario, projects, _ = load_instance(
        tmp_path, scenario_dict(years=3, zones=ZONES, quotas=quotas), rows, sites
    )
    model = build_model(scenario, projects)
    # s1 from its ready year to the latest year; s2 too small; s3 charges 20 > 15 in 2026 (15 + 15 in 2027);
    # s4 lies outside the project's zones.
    assert set(model.x) == {(0, "a", "s1", 1), (0, "a", "s3", 1)}


def test_a_scenario_without_sites_keeps_zone_placements(tmp_path) -> None:
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(years=2), [project_row("p1")])
    assert scenario.sites is None
    assert set(build_model(scenario, projects).x) == {(0, "a", None, 0), (0, "a", None, 1)}
    result = solve_scenario(scenario, projects)
    files = output_files(result)
    assert "sites.csv" not in files and b",site," not in files["allocation.csv"]


def test_locks_place_the_project_on_a_site(tmp_path) -> None:
    rows = [project_row("p1", land_mu=30, output=1, lock="in"), project_row("p2", land_mu=30, output=100)]
    _, by_id = _solve(tmp_path, rows, [_site("s1", area=40)])
    assert by_id["p1"].status == "approved" and by_id["p2"].status == "not_selected"


def test_diagnosis_names_the_site_area_locked_in_projects_lack(tmp_path) -> None:
    rows = [
        project_row("p1", land_mu=30, lock="in", site="s1"),
        project_row("p2", land_mu=30, lock="in", site="s1"),
    ]
    result, _ = _solve(tmp_path, rows, [_site("s1", area=40)])
    assert result.status == "infeasible"
    report = diagnose(result.scenario, result.projects)
    assert [(o["site"], o["overrun"]) for o in report["site_overruns"]] == [("s1", 20)]
    assert "site s1 area 20 mu" in report["message_en"] and "地块 s1" in report["message_zh"]
    findings = check_scenario(result.scenario, result.projects)
    assert any(f.severity == "error" and "only use site s1" in f.message for f in findings)


def test_check_charges_locked_in_projects_by_the_classes_of_their_sites(tmp_path) -> None:
    quotas = {"land": _land(), "forest": _land(0, site_classes=["public_forest"])}
    sites = [_site("s1", area=30, public_forest_mu=10), _site("s2", area=30)]
    layout = scenario_dict(zones=ZONES, quotas=quotas)
    clean = [project_row("p1", land_mu=20, lock="in", site="s2")]
    scenario, projects, _ = load_instance(tmp_path / "clean", layout, clean, sites)
    assert not [f for f in check_scenario(scenario, projects) if f.severity == "error"]  # no forest on s2
    forest = [project_row("p1", land_mu=20, lock="in", site="s1")]
    scenario, projects, _ = load_instance(tmp_path / "forest", layout, forest, sites)
    errors = [f for f in check_scenario(scenario, projects) if f.severity == "error"]
    assert any("locked-in projects need 6.667 mu" in f.message for f in errors)  # 20 mu x 10/30 of s1


def test_hand_ranking_respects_site_capacity_and_shares(tmp_path) -> None:
    quotas = {"land": _land(15, site_classes=["cropland"])}
    sites = [_site("s1", area=30, cropland_mu=30), _site("s2", area=30)]
    rows = [project_row("p1", land_mu=20), project_row("p2", land_mu=20), project_row("p3", land_mu=10)]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(zones=ZONES, quotas=quotas), rows, sites)
    plan = allocate_by_hand(scenario, projects, "fcfs")
    # p1 on s1 draws 20 > 15 mu: it goes to s2 (no cropland); p2 finds s2 full and s1 too costly; p3 on s1.
    assert plan.sites == {0: "s2", 2: "s1"}
    assert plan.used == {("land", "plan", None, 0): pytest.approx(10)}


# --------------------------------------------------------------------------- outputs


def test_outputs_with_sites_pass_the_validator(tmp_path) -> None:
    quotas = {"land": _land(25, site_classes=["cropland"])}
    sites = [
        _site("s1", area=30, construction_mu=10, cropland_mu=20, ready_year=2027),
        _site("s2", "b", area=20),
    ]
    rows = [project_row("p1", land_mu=15), project_row("p2", land_mu=15), project_row("p3", land_mu=40)]
    result, _ = _solve(tmp_path, rows, sites, years=2, quotas=quotas)
    write_outputs(result, tmp_path / "out")
    with (tmp_path / "out" / "allocation.csv").open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header[:6] == ["id", "name", "status", "zone", "site", "start_year"]
    with (tmp_path / "out" / "sites.csv").open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == [
        "id",
        "zone",
        "area_mu",
        "used_mu",
        "free_mu",
        "ready_year",
        "projects",
        "construction_used_mu",
        "cropland_used_mu",
    ]
    assert [(r["id"], r["used_mu"], r["ready_year"], r["projects"]) for r in table] == [
        ("s1", "30.0", "2027", "p1|p2"),
        ("s2", "0.0", "2026", ""),
    ]
    assert table[0]["cropland_used_mu"] == "20.0"
    assert verify_outputs(result.scenario, result.projects, tmp_path / "out") == []


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("site", "s2", "lies in zone b"),
        ("start_year", "2026", "before it is ready"),
        ("land_charged", "15", "land_charged 15.0"),
    ],
)
def test_the_validator_catches_site_violations(tmp_path, column, value, words) -> None:
    quotas = {"land": _land(25, site_classes=["cropland"])}
    sites = [
        _site("s1", area=30, construction_mu=10, cropland_mu=20, ready_year=2027),
        _site("s2", "b", area=20),
    ]
    result, _ = _solve(tmp_path, [project_row("p1", land_mu=15)], sites, years=2, quotas=quotas)
    write_outputs(result, tmp_path / "out")
    path = tmp_path / "out" / "allocation.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0][column] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    problems = verify_outputs(result.scenario, result.projects, tmp_path / "out")
    assert any(words in problem for problem in problems), problems


def test_the_validator_catches_an_overfilled_site(tmp_path) -> None:
    rows = [project_row("p1", land_mu=20), project_row("p2", land_mu=20)]
    result, _ = _solve(tmp_path, rows, [_site("s1", area=30), _site("s2", area=30)])
    write_outputs(result, tmp_path / "out")
    path = tmp_path / "out" / "allocation.csv"
    text = path.read_text(encoding="utf-8").replace(",s2,", ",s1,")
    path.write_text(text, encoding="utf-8")
    problems = verify_outputs(result.scenario, result.projects, tmp_path / "out")
    assert any("site s1: projects use 40 mu of its 30 mu" in p for p in problems), problems


# --------------------------------------------------------------------------- analyses


def _forest_case(tmp_path: Path):
    """Two projects; the better one can only go on a site that is partly public-welfare forest."""
    quotas = {"land": _land(100), "public_forest": _land(0, site_classes=["public_forest"])}
    sites = [_site("s1", area=40, public_forest_mu=10), _site("s2", area=20)]
    rows = [project_row("p1", land_mu=40, output=300), project_row("p2", land_mu=20, output=100)]
    scenario, projects, _ = load_instance(tmp_path, scenario_dict(zones=ZONES, quotas=quotas), rows, sites)
    return scenario, projects


def test_marginal_values_cover_quotas_charged_on_site_classes(tmp_path) -> None:
    scenario, projects = _forest_case(tmp_path)
    result = solve_scenario(scenario, projects)
    assert result.objective == pytest.approx(100)
    rows = marginal_values(scenario, projects, result.objective, jobs=1, with_duals=False)
    forest = next(r for r in rows if r["quota"] == "public_forest" and r["method"] == "resolve")
    assert forest["delta"] >= 10 and forest["objective_gain"] == pytest.approx(300)


def test_a_sweep_over_the_forest_adjustment_releases_the_forest_site(tmp_path) -> None:
    scenario, projects = _forest_case(tmp_path)
    assert len(projects) == 2
    rows = run_sweep(scenario, "quotas.public_forest.sources.plan.amounts", [0, 5, 10], jobs=1)
    assert [r["objective"] for r in rows] == pytest.approx([100, 100, 400])
