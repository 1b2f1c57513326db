"""Reading, merging, validating, varying and writing scenarios (SPEC §1.1)."""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tomli_w

import quota_sim
from quota_sim.errors import InputError
from quota_sim.scenario import (
    Scenario,
    Zone,
    baseline_path,
    load_scenario,
    read_scenario_dict,
    scenario_from_dict,
    scenario_to_toml,
    toml_text,
    with_values,
)

BASE: dict[str, Any] = {
    "name": "demo",
    "description": "界首高新区 示例",
    "projects": "projects.csv",
    "start_year": 2026,
    "years": 3,
    "zones": [
        {"id": "tianying", "name": "田营科技园", "min_investment_intensity": 200, "min_tax_per_mu": 15},
        {"id": "chengdong", "name": "城东园区"},
    ],
    "quotas": {
        "land": {
            "name": "建设用地",
            "unit": "mu",
            "demand": "land_mu",
            "sources": [
                {"id": "plan", "scope": "city", "amounts": [600, 500, 400]},
                {"id": "stock", "scope": "zone", "amounts": {"tianying": [150, 100, 50]}, "price": 2.5},
            ],
        },
        "nox": {
            "unit": "t",
            "demand": "nox_t",
            "ratio": 2.0,
            "carry_over": False,
            "sources": [{"id": "reduction", "scope": "zone", "amounts": 30}],
        },
    },
    "objective": {"weights": {"output": 1.0, "tax": 3.0}, "discount_rate": 0.05, "appraisal_years": 8},
    "solver": {"time_limit": 20, "seed": 7},
}


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def load_with(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Scenario:
    data = copy.deepcopy(BASE)
    change(data)
    return load_scenario(write_toml(tmp_path / "scenario.toml", data))


def test_load_full_scenario(tmp_path: Path) -> None:
    scenario = load_with(tmp_path, lambda d: None)
    assert scenario.name == "demo"
    assert scenario.projects_path == tmp_path / "projects.csv"
    assert scenario.horizon == [2026, 2027, 2028]
    assert scenario.zone_ids() == ["tianying", "chengdong"]
    assert scenario.zones[0].min_tax_per_mu == 15 and scenario.zones[1].min_tax_per_mu is None
    land, nox = scenario.quotas
    assert (land.id, land.name, land.unit, land.ratio, land.carry_over) == (
        "land",
        "建设用地",
        "mu",
        1.0,
        True,
    )
    assert land.sources[0].amounts == {None: (600.0, 500.0, 400.0)}
    assert land.sources[1].amounts == {"tianying": (150.0, 100.0, 50.0), "chengdong": (0.0, 0.0, 0.0)}
    assert land.sources[1].price == 2.5
    assert land.sources[1].amount("tianying", 1) == 100.0
    assert nox.sources[0].amounts == {"tianying": (30.0,) * 3, "chengdong": (30.0,) * 3}
    assert (nox.ratio, nox.carry_over) == (2.0, False)
    assert scenario.objective.weights == {"output": 1.0, "tax": 3.0, "investment": 0.0, "jobs": 0.0}
    assert (scenario.objective.discount_rate, scenario.objective.appraisal_years) == (0.05, 8)
    assert (scenario.solver.name, scenario.solver.time_limit, scenario.solver.gap, scenario.solver.seed) == (
        "highs", 20.0, 1e-4, 7)  # fmt: skip
    assert scenario.path == tmp_path / "scenario.toml"


def test_defaults(tmp_path: Path) -> None:
    minimal = {"name": "m", "projects": "p.csv", "zones": [{"id": "z"}]}
    scenario = load_scenario(write_toml(tmp_path / "m.toml", minimal))
    assert (scenario.start_year, scenario.years, scenario.description, scenario.quotas) == (2026, 1, "", ())
    assert scenario.zones[0].name == "z"
    objective = scenario.objective
    assert objective.weights == {"output": 1.0, "tax": 0.0, "investment": 0.0, "jobs": 0.0}
    assert (objective.strategic_bonus, objective.discount_rate, objective.appraisal_years) == (0.0, 0.06, 10)
    assert (objective.relocation_penalty, objective.purchase_budget) == (0.0, 1e30)
    solver = scenario.solver
    assert (solver.name, solver.time_limit, solver.gap, solver.seed) == ("highs", 60.0, 1e-4, 0)


def test_relative_paths_follow_the_file_not_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    write_toml(tmp_path / "deep" / "s.toml", BASE)
    monkeypatch.chdir(tmp_path)
    scenario = load_scenario(Path("deep/s.toml"))
    assert scenario.projects_path == tmp_path / "deep" / "projects.csv"
    assert scenario.path == tmp_path / "deep" / "s.toml"


def test_toml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\nprojects = "p.csv"\nyears = = 3\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert (caught.value.file, caught.value.row) == ("broken.toml", 3)
    assert "TOML syntax error" in caught.value.message


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_scenario(tmp_path / "nowhere.toml")
    assert caught.value.file == "nowhere.toml"
    assert "not found" in caught.value.message


def test_extends_merges_tables_and_ids(tmp_path: Path) -> None:
    write_toml(tmp_path / "data" / "projects.csv", {})
    write_toml(tmp_path / "base" / "base.toml", {**BASE, "projects": "../data/projects.csv"})
    child = {
        "extends": "../base/base.toml",
        "name": "tight",
        "zones": [{"id": "chengdong", "min_tax_per_mu": 20}, {"id": "xincheng", "name": "新城"}],
        "quotas": {
            "land": {
                "sources": [{"id": "plan", "amounts": 300}, {"id": "buy", "scope": "city", "amounts": 50}]
            },
        },
        "objective": {"weights": {"jobs": 0.5}},
    }
    path = write_toml(tmp_path / "variants" / "tight.toml", child)
    scenario = load_scenario(path)
    assert scenario.name == "tight"
    assert scenario.projects_path == tmp_path / "data" / "projects.csv"
    assert scenario.zone_ids() == ["tianying", "chengdong", "xincheng"]
    assert scenario.zones[1] == Zone(id="chengdong", name="城东园区", min_tax_per_mu=20.0)
    land = scenario.quotas[0]
    assert [s.id for s in land.sources] == ["plan", "stock", "buy"]
    assert land.sources[0].amounts == {None: (300.0,) * 3}
    assert land.sources[0].scope == "city"
    assert land.sources[1].amounts["xincheng"] == (0.0,) * 3
    assert scenario.objective.weights == {"output": 1.0, "tax": 3.0, "investment": 0.0, "jobs": 0.5}
    assert scenario.quotas[1].ratio == 2.0

    raw = read_scenario_dict(path)
    assert "extends" not in raw and raw["projects"] == str(tmp_path / "data" / "projects.csv")
    assert scenario.raw == raw
    rebuilt = scenario_from_dict(scenario.raw, tmp_path / "elsewhere", "copy.toml")
    assert rebuilt == dataclasses.replace(scenario, path=None)


def test_extends_cycle(tmp_path: Path) -> None:
    write_toml(tmp_path / "a.toml", {"extends": "b.toml", "name": "a"})
    write_toml(tmp_path / "b.toml", {"extends": "c.toml"})
    write_toml(tmp_path / "c.toml", {"extends": "a.toml"})
    with pytest.raises(InputError) as caught:
        load_scenario(tmp_path / "a.toml")
    assert (caught.value.file, caught.value.column) == ("c.toml", "extends")
    assert "a.toml -> b.toml -> c.toml -> a.toml" in caught.value.message


def test_extends_itself(tmp_path: Path) -> None:
    write_toml(tmp_path / "self.toml", {**BASE, "extends": "self.toml"})
    with pytest.raises(InputError) as caught:
        load_scenario(tmp_path / "self.toml")
    assert "cycle: self.toml -> self.toml" in caught.value.message


def test_extends_missing_parent(tmp_path: Path) -> None:
    write_toml(tmp_path / "child.toml", {"extends": "gone.toml", "name": "c"})
    with pytest.raises(InputError) as caught:
        load_scenario(tmp_path / "child.toml")
    assert (caught.value.file, caught.value.column) == ("child.toml", "extends")
    assert "does not exist" in caught.value.message


def test_syntax_error_in_parent_names_parent(tmp_path: Path) -> None:
    (tmp_path / "parent.toml").write_text("name = \n", encoding="utf-8")
    write_toml(tmp_path / "child.toml", {"extends": "parent.toml"})
    with pytest.raises(InputError) as caught:
        load_scenario(tmp_path / "child.toml")
    assert (caught.value.file, caught.value.row) == ("parent.toml", 1)


def test_unknown_key_suggests_nearest(tmp_path: Path) -> None:
    def typo(d: dict[str, Any]) -> None:
        d["quotas"]["land"]["sources"][0]["pirce"] = 3

    with pytest.raises(InputError) as caught:
        load_with(tmp_path, typo)
    assert (caught.value.file, caught.value.column) == ("scenario.toml", "quotas.land.sources[plan].pirce")
    assert "unknown key 'pirce'; did you mean 'price'?" in caught.value.message


def set_in(*path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        node: Any = d
        for key in path[:-1]:
            node = node[key]
        if value is None:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return change


# (change, column, phrase): one case per kind of bad value.
BAD_VALUES = [
    (set_in("yeras", value=3), "yeras", "did you mean 'years'?"),
    (set_in("zones", 0, "min_tax_per_m", value=3),
     "zones[tianying].min_tax_per_m", "did you mean 'min_tax_per_mu'"),
    (set_in("objective", "weights", "profit", value=1),
     "objective.weights.profit", "unknown key 'profit'"),
    (set_in("solver", "time_limt", value=1), "solver.time_limt", "did you mean 'time_limit'"),
    (set_in("name", value=None), "name", "needs a 'name'"),
    (set_in("name", value="has space"), "name", "may only contain"),
    (set_in("projects", value=None), "projects", "needs 'projects'"),
    (set_in("years", value=0), "years", "at least 1"),
    (set_in("years", value=2.5), "years", "must be an integer"),
    (set_in("start_year", value="2026"), "start_year", "must be an integer"),
    (set_in("zones", value=[]), "zones", "non-empty"),
    (set_in("zones", value=None), "zones", "at least one"),
    (set_in("zones", 1, "id", value="tianying"), "zones[tianying].id", "declared twice"),
    (set_in("zones", 1, "id", value="城东"), "zones[城东].id", "may only contain"),
    (set_in("zones", 1, "min_tax_per_mu", value=-1), "zones[chengdong].min_tax_per_mu", "negative"),
    (set_in("quotas", "land", "demand", value=None), "quotas.land.demand", "needs 'demand'"),
    (set_in("quotas", "land", "ratio", value=-0.5), "quotas.land.ratio", "negative"),
    (set_in("quotas", "land", "carry_over", value="yes"),
     "quotas.land.carry_over", "true or false"),
    (set_in("quotas", "land", "unit", value=3), "quotas.land.unit", "must be text"),
    (set_in("quotas", "land", "sources", 1, "id", value="plan"),
     "quotas.land.sources[plan].id", "declared twice"),
    (set_in("quotas", "land", "sources", 0, "scope", value="county"),
     "quotas.land.sources[plan].scope", "\"city\" or"),
    (set_in("quotas", "land", "sources", 0, "scope", value=None),
     "quotas.land.sources[plan].scope", "needs 'scope'"),
    (set_in("quotas", "land", "sources", 0, "amounts", value=None),
     "quotas.land.sources[plan].amounts", "needs 'amounts'"),
    (set_in("quotas", "land", "sources", 0, "amounts", value=True),
     "quotas.land.sources[plan].amounts", "a number, got a boolean"),
    (set_in("quotas", "land", "sources", 0, "amounts", value=[1, -2, 3]),
     "quotas.land.sources[plan].amounts[1]", "negative"),
    (set_in("quotas", "land", "sources", 0, "amounts", value=float("nan")),
     "quotas.land.sources[plan].amounts", "finite"),
    (set_in("quotas", "land", "sources", 0, "amounts", value={"tianying": 5}),
     "quotas.land.sources[plan].amounts", "city source"),
    (set_in("quotas", "land", "sources", 1, "price", value=-1),
     "quotas.land.sources[stock].price", "negative"),
    (set_in("objective", "relocation_penalty", value=1.0),
     "objective.relocation_penalty", "below 1"),
    (set_in("objective", "appraisal_years", value=0), "objective.appraisal_years", "at least 1"),
    (set_in("objective", "discount_rate", value=float("inf")), "objective.discount_rate", "finite"),
    (set_in("objective", "purchase_budget", value=-1), "objective.purchase_budget", "negative"),
    (set_in("objective", "weights", "tax", value=False), "objective.weights.tax", "got a boolean"),
    (set_in("objective", "weights", "output", value=1e300),
     "objective.weights.output", "implausibly large"),
    (set_in("quotas", "land", "sources", 1, "price", value=1e20),
     "quotas.land.sources[stock].price", "implausibly large"),
    (set_in("solver", "name", value="higs"), "solver.name", "did you mean 'highs'"),
    (set_in("solver", "time_limit", value=0), "solver.time_limit", "greater than 0"),
    (set_in("solver", "gap", value=-0.1), "solver.gap", "negative"),
    (set_in("solver", "seed", value=1.5), "solver.seed", "must be an integer"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "column", "phrase"), BAD_VALUES, ids=[case[1] for case in BAD_VALUES])
def test_bad_value(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], column: str, phrase: str
) -> None:
    with pytest.raises(InputError) as caught:
        load_with(tmp_path, change)
    assert (caught.value.file, caught.value.row, caught.value.column) == ("scenario.toml", None, column)
    assert phrase in caught.value.message


def test_amounts_of_wrong_length(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_with(tmp_path, set_in("quotas", "land", "sources", 0, "amounts", value=[600, 600]))
    assert (caught.value.file, caught.value.column) == ("scenario.toml", "quotas.land.sources[plan].amounts")
    assert "has 2 numbers but the horizon has 3 year(s)" in caught.value.message


def test_zone_amounts_of_wrong_length(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_with(
            tmp_path, set_in("quotas", "land", "sources", 1, "amounts", value={"chengdong": [1, 2, 3, 4]})
        )
    assert caught.value.column == "quotas.land.sources[stock].amounts.chengdong"
    assert "has 4 numbers" in caught.value.message


def test_undeclared_zone_in_amounts(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_with(tmp_path, set_in("quotas", "land", "sources", 1, "amounts", value={"tianyin": 5}))
    assert (caught.value.file, caught.value.column) == (
        "scenario.toml",
        "quotas.land.sources[stock].amounts.tianyin",
    )
    assert "zone 'tianyin' is not declared" in caught.value.message
    assert "did you mean 'tianying'?" in caught.value.message


def test_scenario_from_dict_rejects_extends() -> None:
    with pytest.raises(InputError) as caught:
        scenario_from_dict({**BASE, "extends": "x.toml"}, Path("/tmp"), "dict.toml")
    assert (caught.value.file, caught.value.column) == ("dict.toml", "extends")


# --- with_values ---


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return load_scenario(write_toml(tmp_path / "scenario.toml", BASE))


def test_with_values_changes_a_copy(scenario: Scenario) -> None:
    raw_before = copy.deepcopy(scenario.raw)
    variant = with_values(
        scenario,
        {
            "quotas.land.sources.plan.amounts": 900,
            "zones.tianying.min_tax_per_mu": 30,
            "quotas.nox.ratio": 1.5,
            "objective.weights.tax": 0.0,
            "solver.time_limit": 5,
            "years": 2,
            "quotas.land.sources.stock.amounts": {"chengdong": 10},
            "quotas.nox.sources.reduction.amounts": np.array([3, 4]),
            "objective.strategic_bonus": np.float64(0.25),
        },
    )
    assert variant.quotas[1].sources[0].amounts["chengdong"] == (3.0, 4.0)
    assert variant.objective.strategic_bonus == 0.25
    assert variant.quotas[0].sources[0].amounts == {None: (900.0, 900.0)}
    assert variant.zones[0].min_tax_per_mu == 30.0
    assert variant.quotas[1].ratio == 1.5
    assert variant.objective.weights["tax"] == 0.0
    assert variant.solver.time_limit == 5.0
    assert variant.path == scenario.path
    assert scenario.raw == raw_before
    assert scenario.quotas[0].sources[0].amounts == {None: (600.0, 500.0, 400.0)}


def test_with_values_none_restores_default(scenario: Scenario) -> None:
    variant = with_values(
        scenario, {"zones.tianying.min_tax_per_mu": None, "objective.appraisal_years": None}
    )
    assert variant.zones[0].min_tax_per_mu is None
    assert variant.objective.appraisal_years == 10
    assert "min_tax_per_mu" in scenario.raw["zones"][0]


def test_with_values_creates_optional_tables_with_defaults(tmp_path: Path) -> None:
    minimal = load_scenario(
        write_toml(tmp_path / "m.toml", {"name": "m", "projects": "p.csv", "zones": [{"id": "z"}]})
    )
    variant = with_values(minimal, {"objective.weights.tax": 2, "solver.gap": 0.01})
    assert variant.objective.weights == {"output": 1.0, "tax": 2.0, "investment": 0.0, "jobs": 0.0}
    assert variant.solver.gap == 0.01


@pytest.mark.parametrize(
    ("key", "value", "column", "phrase"),
    [
        ("zones.nowhere.min_tax_per_mu", 3, "zones.nowhere.min_tax_per_mu", "no entry with id 'nowhere'"),
        ("quotas.lnd.ratio", 2, "quotas.lnd.ratio", "did you mean 'land'?"),
        ("quotas.land.sources.plna.amounts", 2, "quotas.land.sources.plna.amounts", "did you mean 'plan'?"),
        ("years.count", 2, "years.count", "is a value, not a table"),
        ("solver..gap", 2, "solver..gap", "not a dotted key path"),
        ("zones.tianying.min_tax_pr_mu", 3, "zones[tianying].min_tax_pr_mu", "did you mean 'min_tax_per_mu'"),
        ("quotas.land.sources.plan.amounts", [1, 2], "quotas.land.sources[plan].amounts", "has 2 numbers"),
        ("objective.relocation_penalty", 1.2, "objective.relocation_penalty", "below 1"),
    ],
)
def test_with_values_errors(scenario: Scenario, key: str, value: Any, column: str, phrase: str) -> None:
    with pytest.raises(InputError) as caught:
        with_values(scenario, {key: value})
    assert (caught.value.file, caught.value.column) == ("scenario.toml", column)
    assert phrase in caught.value.message


# --- writing ---


def test_scenario_to_toml_round_trip(tmp_path: Path) -> None:
    write_toml(tmp_path / "base.toml", BASE)
    child = write_toml(tmp_path / "v" / "child.toml", {
        "extends": "../base.toml", "name": "child", "start_year": 2030,
        "quotas": {"land": {"sources": [{"id": "plan", "amounts": 5}]}},
        "zones": [{"id": "new"}],
    })
    child_scenario = with_values(load_scenario(child), {"quotas.land.sources.stock.amounts": {"new": 4}})
    for scenario in (load_scenario(tmp_path / "base.toml"), child_scenario):
        absolute = tmp_path / "out" / "absolute.toml"
        absolute.parent.mkdir(exist_ok=True)
        text = scenario_to_toml(scenario)
        assert "extends" not in text
        absolute.write_text(text, encoding="utf-8")
        assert load_scenario(absolute) == dataclasses.replace(scenario, path=absolute)

        relative = tmp_path / "out" / "relative.toml"
        relative.write_text(scenario_to_toml(scenario, relative_to=relative.parent), encoding="utf-8")
        assert 'projects = "../projects.csv"' in relative.read_text(encoding="utf-8")
        assert load_scenario(relative) == dataclasses.replace(scenario, path=relative)


def test_baseline_path_is_in_the_package() -> None:
    assert baseline_path() == Path(quota_sim.__file__).parent / "scenarios" / "baseline.toml"


def test_toml_text_joins_short_arrays_and_keeps_every_value() -> None:
    tricky = "ends with [\n    1,\n]\nand more"
    document = {
        "name": "a [b], c",
        "description": tricky,
        "amounts": {"tianying": [51, 41.5, 31, 20, 10]},
        "labels": ["x,", "]", "[y", 'q"'],
        "long": list(range(60)),
        "nested": [[1, 2], [3, 4]],
        "sources": [{"id": "plan", "amounts": 500}, {"id": "stock", "amounts": 7}],
    }
    for multiline in (False, True):
        text = toml_text(document, multiline_strings=multiline)
        assert tomllib.loads(text) == document
        lines = text.splitlines()
        assert "tianying = [51, 41.5, 31, 20, 10]" in lines
        assert 'labels = ["x,", "]", "[y", "q\\""]' in lines
        assert "long = [" in lines  # 60 numbers do not fit on one line
        assert "    [1, 2]," in lines
        assert max(len(line) for line in lines if not line.startswith(("description", "ends"))) <= 100
