"""The synthetic queue generator: determinism, sizes, loadability, lock-ins, screens, CLI."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from quota_sim import cli, generate
from quota_sim.errors import InputError
from quota_sim.generate import generate_queue, projects_csv, scenario_toml, write_generated
from quota_sim.projects import projects_for
from quota_sim.scenario import Zone, load_scenario
from quota_sim.screens import passes


def test_same_seed_gives_identical_output(tmp_path: Path) -> None:
    first = generate_queue(60, 3, 4, seed=11)
    second = generate_queue(60, 3, 4, seed=11)
    assert first == second
    a = write_generated(tmp_path / "a", "g", 60, 3, 4, seed=11)
    b = write_generated(tmp_path / "b", "g", 60, 3, 4, seed=11)
    assert a.read_bytes() == b.read_bytes()
    for table in ("g_projects.csv", "g_sites.csv"):
        assert (a.parent / table).read_bytes() == (b.parent / table).read_bytes()


def test_different_seed_gives_different_queue() -> None:
    _, rows_a, _ = generate_queue(60, 3, 4, seed=1)
    _, rows_b, _ = generate_queue(60, 3, 4, seed=2)
    assert [r["land_mu"] for r in rows_a] != [r["land_mu"] for r in rows_b]


@pytest.mark.parametrize(("n", "zones", "years"), [(1, 1, 1), (37, 2, 3), (120, 8, 7)])
def test_sizes_are_respected(n: int, zones: int, years: int) -> None:
    scenario, rows, sites = generate_queue(n, zones, years, seed=5, start_year=2030)
    assert len(rows) == n
    assert len({row["id"] for row in rows}) == n
    assert len(scenario["zones"]) == zones
    assert scenario["years"] == years and scenario["start_year"] == 2030
    zone_ids = {zone["id"] for zone in scenario["zones"]}
    for quota in scenario["quotas"].values():
        for source in quota["sources"]:
            if isinstance(source["amounts"], dict):
                assert set(source["amounts"]) == zone_ids
                assert all(len(values) == years for values in source["amounts"].values())
    for row in rows:
        assert set(row["zone"].split("|")) <= zone_ids
        assert 2030 <= row["earliest_year"] < 2030 + years
    assert {site["zone"] for site in sites} == zone_ids  # every park has parcels
    assert all(2030 <= site["ready_year"] < 2030 + years for site in sites)


@pytest.mark.parametrize(("n", "zones", "years", "seed"), [(1, 1, 1, 0), (45, 4, 5, 3), (90, 8, 3, 9)])
def test_generated_scenario_loads(tmp_path: Path, n: int, zones: int, years: int, seed: int) -> None:
    path = write_generated(tmp_path, "gen", n, zones, years, seed)
    scenario = load_scenario(path)
    projects = projects_for(scenario)
    _, rows, sites = generate_queue(n, zones, years, seed)
    assert scenario.name == "gen" and scenario.years == years and len(scenario.zones) == zones
    assert scenario.sites is not None and scenario.sites.ids == [site["id"] for site in sites]
    assert projects.sites == [tuple(row["site"].split("|")) if row["site"] else () for row in rows]
    assert projects.ids == [row["id"] for row in rows]
    assert np.allclose(projects.land_mu, [row["land_mu"] for row in rows])
    assert np.allclose(projects.demand["lead_t"], [row["lead_t"] for row in rows])
    assert projects.lock == [row["lock"] for row in rows]


def test_toml_text_reads_back_as_the_dictionary() -> None:
    scenario, _, _ = generate_queue(30, 4, 5, seed=2)
    text = scenario_toml("x", "x_projects.csv", "x_sites.csv", scenario, "quota-sim generate")
    tables = {"projects": "x_projects.csv", "sites": "x_sites.csv"}
    assert tomllib.loads(text) == {"name": "x", **tables, **scenario}


def test_csv_has_header_and_input_order() -> None:
    _, rows, _ = generate_queue(12, 2, 3, seed=4)
    lines = projects_csv(rows).splitlines()
    assert lines[0].split(",") == list(generate.CSV_COLUMNS)
    assert [line.split(",")[0] for line in lines[1:]] == [row["id"] for row in rows]


@pytest.mark.parametrize("seed", range(6))
def test_locked_in_projects_fit_the_supply(seed: int) -> None:
    scenario, rows, sites = generate_queue(150, 4, 5, seed)
    locked = [row for row in rows if row["lock"] == "in"]
    assert locked
    by_id = {site["id"]: site for site in sites}
    window = generate.SIGNED_START_YEARS + 1  # a lock-in starts by its latest_year
    for quota in scenario["quotas"].values():
        classes = tuple(quota.get("site_classes", ()))
        need = quota["ratio"] * math.fsum(
            row[quota["demand"]] * generate.site_share(by_id[row["site"]], classes) for row in locked
        )
        supply = math.fsum(float(s["amounts"]) * window for s in quota["sources"] if s["scope"] == "city")
        assert need <= supply + 1e-9
    room = {site["id"]: site["area_mu"] for site in sites}
    for row in locked:
        site = by_id[row["site"]]
        assert row["earliest_year"] == scenario["start_year"] == site["ready_year"]
        assert row["latest_year"] == row["earliest_year"] + generate.SIGNED_START_YEARS
        assert site["zone"] == row["zone"].split("|")[0]
        assert site["basic_farmland_mu"] == site["public_forest_mu"] == site["commercial_forest_mu"] == 0
        room[row["site"]] -= row["land_mu"]
    assert min(room.values()) >= 0


def test_screens_fail_a_few_projects() -> None:
    scenario, rows, _ = generate_queue(600, 4, 5, seed=8)
    zones = {
        zone["id"]: Zone(**{**zone, "industries": tuple(zone["industries"])}) for zone in scenario["zones"]
    }
    fail_all = fail_some = 0
    for row in rows:
        results = [
            passes(zones[z], row["investment"], row["tax"], row["land_mu"]) for z in row["zone"].split("|")
        ]
        fail_all += not any(results)
        fail_some += any(results) and not all(results)
    assert 0.01 * len(rows) <= fail_all <= 0.05 * len(rows)
    assert 0.01 * len(rows) <= fail_some <= 0.08 * len(rows)


def test_figures_follow_the_domain_ranges() -> None:
    _, rows, _ = generate_queue(800, 4, 5, seed=3)
    land = np.array([row["land_mu"] for row in rows])
    assert land.min() >= 10 and land.max() <= 300
    assert 0.55 <= np.mean((land >= 20) & (land <= 80))
    passing = [row for row in rows if row["investment"] / row["land_mu"] >= 150]
    total = {key: math.fsum(row[key] for row in passing) for key in ("investment", "output", "tax")}
    # Jieshou's 2015 cohort: output/investment about 3.5, tax/output about 4% (DOMAIN §6).
    assert 2.5 <= total["output"] / total["investment"] <= 4.0
    assert 0.03 <= total["tax"] / total["output"] <= 0.05
    lead = [row for row in rows if row["industry"] == "再生铅"]
    # Secondary lead 0.1-0.2 tce per t of lead at 1.6-1.8 万元/t (DOMAIN §8); thin tax on recycled metals.
    for row in lead:
        assert 0.05 <= row["energy_tce"] / row["output"] <= 0.13
    lead_tax_share = math.fsum(r["tax"] for r in lead) / math.fsum(r["output"] for r in lead)
    assert lead_tax_share < total["tax"] / total["output"]
    assert {row["industry"] for row in rows if row["lead_t"] > 0} == {"再生铅", "铅蓄电池"}
    wastewater = {row["industry"] for row in rows if row["cod_t"] > 0}
    assert wastewater >= {"再生塑料", "铅蓄电池", "生物基可降解材料"}
    emitting = [row["industry_code"] for row in rows if row["vocs_t"]]
    assert set(emitting) == {"2651", "2659", "2922", "4220"}
    two_zones = np.mean(["|" in row["zone"] for row in rows])
    assert 0.28 <= two_zones <= 0.39


@pytest.mark.parametrize(("n", "years", "seed"), [(200, 5, 0), (90, 3, 7)])
def test_land_becomes_ready_in_cohorts_of_about_the_same_size(n: int, years: int, seed: int) -> None:
    scenario, rows, sites = generate_queue(n, 4, years, seed)
    balance = generate.land_balance(scenario, rows, sites)
    assert min(balance.demand_by_year) >= 0.9 * max(balance.demand_by_year)
    assert all(row["earliest_year"] == scenario["start_year"] for row in rows if row["lock"] == "in")


def _bounds(wkt: str) -> tuple[float, float, float, float]:
    pairs = wkt.removeprefix("POLYGON ((").rstrip(")").split(", ")
    points = [tuple(map(float, pair.split())) for pair in pairs]
    lons, lats = zip(*points, strict=True)
    return min(lons), min(lats), max(lons), max(lats)


def test_parcels_fill_their_area_and_do_not_overlap_within_a_park() -> None:
    _, _, sites = generate_queue(400, 4, 5, seed=6)
    for site in sites:
        classes = math.fsum(site[f"{c}_mu"] for c in generate.SITE_CLASSES)
        assert classes == pytest.approx(site["area_mu"], abs=1e-9)
        assert min(site[f"{c}_mu"] for c in generate.SITE_CLASSES) >= 0
        west, south, east, north = _bounds(site["geometry"])
        assert 115.2 < west < east < 115.5 and 33.1 < south < north < 33.4  # near Jieshou
        # A rectangle of the parcel's area: 1 mu = 666.7 m2; metres from degrees at 33.26°N.
        area_m2 = (east - west) * 111_320 * math.cos(math.radians(33.26)) * (north - south) * 110_574
        assert area_m2 == pytest.approx(site["area_mu"] * 10000 / 15, rel=0.01)
    for zone in {site["zone"] for site in sites}:
        boxes = [_bounds(site["geometry"]) for site in sites if site["zone"] == zone]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_admission_lists_follow_the_planning_eia() -> None:
    scenario, rows, sites = generate_queue(600, 4, 5, seed=8)
    admits = {zone["id"]: set(zone["industries"]) for zone in scenario["zones"]}
    assert [zone for zone, names in admits.items() if "再生铅" in names] == ["tianying"]
    refused = [row for row in rows if not any(row["industry"] in admits[z] for z in row["zone"].split("|"))]
    assert 0.005 * len(rows) <= len(refused) <= 0.04 * len(rows)  # a few ask for a park that refuses them
    assert all(row["lock"] != "in" for row in refused)
    zone_of = {site["id"]: site["zone"] for site in sites}
    area = {site["id"]: site["area_mu"] for site in sites}
    named = [row for row in rows if row["site"]]
    assert 0.8 * len(rows) <= len(named) <= 0.95 * len(rows)
    for row in named:
        for site in row["site"].split("|"):
            assert zone_of[site] in row["zone"].split("|") and area[site] >= row["land_mu"]
    later = [row for row in named if row["latest_year"] != ""]
    assert later and all(row["earliest_year"] < row["latest_year"] < 2031 for row in later)


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [({"n_projects": 0}, "--projects"), ({"n_zones": 0}, "--zones"), ({"n_zones": 9}, "--zones"),
     ({"years": 0}, "--years"), ({"seed": -1}, "--seed")],
)
def test_bad_sizes_raise_input_error(kwargs: dict, option: str) -> None:
    args = {"n_projects": 10, "n_zones": 2, "years": 3, "seed": 0} | kwargs
    with pytest.raises(InputError) as caught:
        generate_queue(**args)
    assert caught.value.column == option


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(InputError, match="profile"):
        generate_queue(10, 2, 3, 0, profile="elsewhere")


def test_cli_handler_writes_the_three_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = cli.build_parser().parse_args(["generate", "--projects", "25", "--zones", "3", "--years", "2",
                                 "--seed", "7", "--name", "small", "--out", str(tmp_path)])
    assert args.func(args) == 0
    for name in ("small.toml", "small_projects.csv", "small_sites.csv"):
        assert (tmp_path / name).is_file()
    assert "small.toml" in capsys.readouterr().out
    scenario = load_scenario(tmp_path / "small.toml")
    assert len(projects_for(scenario)) == 25 and scenario.years == 2


def test_cli_defaults() -> None:
    args = cli.build_parser().parse_args(["generate"])
    assert (args.projects, args.zones, args.years, args.seed, args.start_year, args.name, args.out) == (
        200, 4, 5, 0, 2026, "generated", ".")


@pytest.mark.parametrize("bad", [["--projects", "0"], ["--zones", "9"], ["--years", "0"], ["--name", "a b"]])
def test_cli_rejects_bad_sizes_without_writing(tmp_path: Path, bad: list[str]) -> None:
    assert cli.main(["generate", "--out", str(tmp_path), *bad]) == 2
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_to_overwrite_a_file_it_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = tmp_path / "baseline.toml"
    users.write_text("# the user's own scenario\n", encoding="utf-8")
    before = users.stat()
    assert cli.main(["generate", "--name", "baseline", "--projects", "20", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "baseline.toml" in err and "cannot prove it wrote" in err and "Traceback" not in err
    assert users.read_text(encoding="utf-8") == "# the user's own scenario\n"
    assert users.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline.toml"]


def test_regenerating_replaces_only_what_it_wrote(tmp_path: Path) -> None:
    (tmp_path / "notes.docx").write_bytes(b"user's note")
    write_generated(tmp_path, "a", 20, 2, 3, seed=1)
    write_generated(tmp_path, "b", 20, 2, 3, seed=1)
    first = (tmp_path / "a_projects.csv").read_bytes()
    write_generated(tmp_path, "a", 25, 2, 3, seed=2)  # the same name again: replaced
    assert (tmp_path / "a_projects.csv").read_bytes() != first
    assert len(projects_for(load_scenario(tmp_path / "a.toml"))) == 25
    assert len(projects_for(load_scenario(tmp_path / "b.toml"))) == 20  # the other scenario is kept
    assert (tmp_path / "notes.docx").read_bytes() == b"user's note"
    manifests = sorted(p.name for p in tmp_path.glob(".quota-sim-*"))
    assert manifests == [".quota-sim-generate-a.json", ".quota-sim-generate-b.json"]


def test_regenerating_a_folder_of_its_own_files_alone(tmp_path: Path) -> None:
    out = tmp_path / "queue"
    write_generated(out, "g", 20, 2, 3, seed=1)
    path = write_generated(out, "g", 30, 2, 3, seed=1)
    assert path == out.resolve() / "g.toml"
    assert len(projects_for(load_scenario(path))) == 30
    assert sorted(p.name for p in out.iterdir()) == [
        ".quota-sim-generate-g.json", "g.toml", "g_projects.csv", "g_sites.csv",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queue"]  # no staging folder left beside it
