"""Scenario grids: value parsing, names, expansion and standalone re-runnable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from quota_sim.cli import main
from quota_sim.errors import InputError
from quota_sim.grid import (
    GridAxis,
    axis_labels,
    expand_grid,
    format_value,
    parse_axis,
    parse_value_list,
    write_grid,
)
from quota_sim.output_set import manifest_name
from quota_sim.scenario import load_scenario

PROJECTS = """id,zone,land_mu,investment,output,nox_t
p1,a,40,8000,9000,2
p2,a,30,6000,5000,1
p3,a|b,50,9000,12000,3
"""

SCENARIO = """name = "tiny"
description = "田营 grid test"
projects = "data/projects.csv"
start_year = 2026
years = 2

[[zones]]
id = "a"
name = "A"

[[zones]]
id = "b"
name = "B"

[quotas.land]
unit = "mu"
demand = "land_mu"

[[quotas.land.sources]]
id = "plan"
scope = "city"
amounts = [60, 60]

[quotas.nox]
unit = "t"
demand = "nox_t"
ratio = 1.0

[[quotas.nox.sources]]
id = "plan"
scope = "city"
amounts = 5

[objective]
weights = { output = 1.0 }
appraisal_years = 1
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    path = tmp_path / "tiny.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_value_lists_parse_as_toml_values() -> None:
    assert parse_value_list("600,1200,2600") == [600, 1200, 2600]
    assert parse_value_list("1.5, 2") == [1.5, 2]
    assert parse_value_list("[600,700],[800,900]") == [[600, 700], [800, 900]]
    assert parse_value_list("highs,cbc") == ["highs", "cbc"]
    assert parse_value_list('"a,b",true') == ["a,b", True]
    assert parse_value_list("{ a = 1, b = 2 }") == [{"a": 1, "b": 2}]


@pytest.mark.parametrize("text", ["1,,2", "[1,2", "1]", ""])
def test_bad_value_lists_are_input_errors(text: str) -> None:
    with pytest.raises(InputError):
        parse_value_list(text)


def test_axis_needs_key_and_values() -> None:
    assert parse_axis("quotas.nox.ratio=1.5,2") == GridAxis("quotas.nox.ratio", (1.5, 2))
    with pytest.raises(InputError, match="KEY=VALUE"):
        parse_axis("quotas.nox.ratio")


def test_labels_are_short_and_unique() -> None:
    assert axis_labels(["quotas.land.sources.plan.amounts", "quotas.nox.ratio"]) == ["plan", "nox-ratio"]
    assert axis_labels(["objective.weights.tax", "zones.a.min_tax_per_mu"]) == [
        "weights-tax",
        "a-min_tax_per_mu",
    ]
    # Two sources named "plan" in different quotas: labels widen to stay apart.
    assert axis_labels(["quotas.land.sources.plan.amounts", "quotas.nox.sources.plan.amounts"]) == [
        "land-plan-amounts",
        "nox-plan-amounts",
    ]


def test_values_format_as_name_safe_text() -> None:
    assert format_value(1200) == "1200"
    assert format_value(2.0) == "2"
    assert format_value(1.5) == "1p5"
    assert format_value([600, 700.5]) == "600_700p5"
    assert format_value(True) == "true"
    assert format_value("high speed") == "high_speed"


def test_expansion_names_and_values(scenario_file: Path) -> None:
    scenario = load_scenario(scenario_file)
    axes = [
        GridAxis("quotas.land.sources.plan.amounts", (60, 120, 260)),
        GridAxis("quotas.nox.ratio", (1.5, 2)),
    ]
    variants = expand_grid(scenario, axes)
    assert [v.name for v in variants] == [
        "tiny__plan-60__nox-ratio-1p5",
        "tiny__plan-60__nox-ratio-2",
        "tiny__plan-120__nox-ratio-1p5",
        "tiny__plan-120__nox-ratio-2",
        "tiny__plan-260__nox-ratio-1p5",
        "tiny__plan-260__nox-ratio-2",
    ]
    last = variants[-1]
    land = next(q for q in last.quotas if q.id == "land")
    nox = next(q for q in last.quotas if q.id == "nox")
    assert land.sources[0].amounts[None] == (260.0, 260.0)
    assert nox.ratio == 2.0
    assert scenario.name == "tiny"  # the base scenario is left untouched


def test_written_files_reload_standalone(scenario_file: Path, tmp_path: Path) -> None:
    scenario = load_scenario(scenario_file)
    out = tmp_path / "grid"
    axes = [GridAxis("quotas.land.sources.plan.amounts", (60, 120)), GridAxis("quotas.nox.ratio", (1.5, 2))]
    paths = write_grid(scenario, axes, out)
    assert [p.name for p in paths] == [f"{v.name}.toml" for v in expand_grid(scenario, axes)]
    assert sorted(out.iterdir()) == sorted([*paths, out / manifest_name("grid")])  # no temporary file left
    for path, variant in zip(paths, expand_grid(scenario, axes), strict=True):
        text = path.read_text(encoding="utf-8")
        assert "extends" not in text
        assert 'projects = "../data/projects.csv"' in text
        reloaded = load_scenario(path)
        assert reloaded.name == path.stem
        assert reloaded.quotas == variant.quotas
        assert reloaded.projects_path == scenario.projects_path
        assert reloaded.description == "田营 grid test"


def test_bad_combination_writes_nothing(scenario_file: Path, tmp_path: Path) -> None:
    scenario = load_scenario(scenario_file)
    out = tmp_path / "grid"
    with pytest.raises(InputError, match="ratio"):
        write_grid(scenario, [GridAxis("quotas.nox.ratio", (1.5, -1))], out)
    with pytest.raises(InputError, match="no 'noxx'"):
        write_grid(scenario, [GridAxis("quotas.noxx.ratio", (1.5,))], out)
    with pytest.raises(InputError, match="both be named"):
        write_grid(scenario, [GridAxis("quotas.nox.ratio", (1.5, "1p5"))], out)
    assert not out.exists()


def test_grid_command(scenario_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "grid"
    code = main(
        [
            "grid",
            str(scenario_file),
            "--set",
            "quotas.land.sources.plan.amounts=60,120",
            "--set",
            "objective.weights.tax=0,1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    names = sorted(p.name for p in out.glob("*.toml"))
    assert names == [
        "tiny__plan-120__weights-tax-0.toml",
        "tiny__plan-120__weights-tax-1.toml",
        "tiny__plan-60__weights-tax-0.toml",
        "tiny__plan-60__weights-tax-1.toml",
    ]
    assert "quota-sim batch" in capsys.readouterr().err

    assert (
        main(["grid", str(scenario_file), "--set", "quotas.land.ratio=x", "--out", str(tmp_path / "bad")])
        == 2
    )
    assert "quotas.land.ratio" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
