"""Site patterns: every maximal set that fits a site, a tighter LP, and the same optimum (SPEC §5)."""

from __future__ import annotations

import itertools
import random
import time

import numpy as np
import pytest

from quota_sim import site_patterns, solve
from quota_sim.export import write_outputs
from quota_sim.model import build_model
from quota_sim.pipeline import solve_scenario
from quota_sim.site_patterns import maximal_fits, site_pattern_rows
from quota_sim.solve import solve_model
from quota_sim.verify import verify_outputs
from tests.instances import load_instance, project_row, random_sites_instance, scenario_dict
from tests.test_bruteforce import assert_matches_exhaustive_search

LAND = {"unit": "mu", "demand": "land_mu", "sources": [{"id": "plan", "scope": "city", "amounts": 1000}]}


def _maximal_by_enumeration(sizes: list[float], capacity: float) -> list[set[int]]:
    fits = [
        set(chosen)
        for r in range(len(sizes) + 1)
        for chosen in itertools.combinations(range(len(sizes)), r)
        if sum(sizes[i] for i in chosen) <= capacity
    ]
    return [s for s in fits if not any(s < t for t in fits)]


@pytest.mark.parametrize("seed", range(40))
def test_maximal_fits_are_every_maximal_set_that_fits(seed: int) -> None:
    rng = random.Random(seed)
    count = rng.randint(1, 9)
    sizes = [float(rng.choice([rng.randint(1, 30), rng.randint(1, 30), 10])) for _ in range(count)]
    capacity = float(rng.randint(5, 60))
    found = maximal_fits(np.array(sizes), capacity, limit=10_000)
    assert sorted(map(sorted, found)) == sorted(map(sorted, _maximal_by_enumeration(sizes, capacity)))


def test_a_site_with_too_many_patterns_gets_none() -> None:
    sizes = np.full(16, 10.0)  # any 8 of 16 fit: 12,870 maximal sets
    assert maximal_fits(sizes, 80.0, limit=1_000) is None
    assert len(maximal_fits(np.full(6, 10.0), 30.0, limit=1_000)) == 20


def _one_site(tmp_path, lands_and_outputs, area=100.0, years=1):
    rows = [
        project_row(f"p{i}", land_mu=land, output=output, site="s1")
        for i, (land, output) in enumerate(lands_and_outputs, start=1)
    ]
    sites = [{"id": "s1", "zone": "a", "area_mu": area}]
    return load_instance(tmp_path, scenario_dict(years=years, quotas={"land": LAND}), rows, sites)


def test_the_relaxation_holds_a_site_to_the_sets_that_fit_it(tmp_path) -> None:
    # Three 60-mu projects on a 100-mu site: the capacity row alone lets the LP place 1 + 40/60 of
    # them (100 + 90 * 2/3 = 160); only one fits, and the patterns make the LP say so.
    scenario, projects, _ = _one_site(tmp_path, [(60, 100), (60, 90), (60, 80)])
    model = build_model(scenario, projects)
    relaxation = solve_model(model, scenario.solver, relax=True).relaxation
    assert relaxation.objective == pytest.approx(100.0)
    result = solve_scenario(scenario, projects)
    assert result.status == "optimal" and result.objective == pytest.approx(100.0)


def test_a_restricted_plan_within_the_gap_of_the_bound_is_the_answer(tmp_path, monkeypatch) -> None:
    # The LP with patterns is integral here: the restricted MIP's plan meets its bound, so the full
    # MIP is not run, and the plan is reported optimal with the relaxation's bound.
    scenario, projects, _ = _one_site(tmp_path, [(60, 100), (40, 70), (50, 90), (30, 20)])
    runs = []
    real = solve.run_highs
    monkeypatch.setattr(solve, "run_highs", lambda highs: (runs.append(highs), real(highs)))
    result = solve_scenario(scenario, projects)
    assert len(runs) == 2  # the relaxation and the restricted MIP
    assert result.status == "optimal" and result.gap == 0.0
    assert result.objective == pytest.approx(170.0)  # 60 + 40 mu; the next best, 40 + 50 mu, is worth 160
    assert result.best_bound == pytest.approx(result.objective)
    write_outputs(result, tmp_path / "out")
    assert verify_outputs(scenario, projects, tmp_path / "out") == []


# Random scenarios with sites where some site cannot hold all its candidates (so patterns are added).
PATTERN_SEEDS = [108, 110, 112, 119, 121, 124, 125, 129, 130, 131, 133, 138, 140, 142, 146, 150]


@pytest.mark.parametrize("seed", PATTERN_SEEDS)
def test_patterns_keep_the_optimum_of_exhaustive_search(seed: int, tmp_path) -> None:
    scenario_raw, rows, sites = random_sites_instance(seed)
    scenario, projects, _ = load_instance(tmp_path / "in", scenario_raw, rows, sites)
    model = build_model(scenario, projects)
    table = model.placements
    land, area = projects.land_mu, scenario.sites.area_mu
    rows = site_pattern_rows(table.project, table.site, land, area, model.n_variables)
    assert rows is not None
    assert_matches_exhaustive_search(scenario, projects, tmp_path / "out")


def test_patterns_are_added_only_where_a_site_cannot_hold_all_its_candidates() -> None:
    # Columns 0-3 place projects 0, 0, 1, 2 on sites 0, 0, 0, 1 (column 4: no site).
    project, site = np.array([0, 0, 1, 2, 1]), np.array([0, 0, 0, 1, -1])
    land = np.array([60.0, 60.0, 10.0])
    rows = site_pattern_rows(project, site, land, np.array([100.0, 50.0]), n_columns=10)
    assert rows is not None and rows.sites == 1 and rows.n_patterns == 2  # {p0} and {p1} on s1
    dense = np.zeros((len(rows.upper), 12))
    for r in range(len(rows.upper)):
        span = slice(rows.starts[r], rows.starts[r + 1])
        dense[r, rows.indices[span]] = rows.values[span]
    assert dense.tolist() == [
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1],  # one pattern on s1
        [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0],  # p0 in either year only within its pattern
        [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, -1],
    ]
    assert rows.upper.tolist() == [1.0, 0.0, 0.0]
    assert site_pattern_rows(project, site, land, np.array([120.0, 50.0]), n_columns=10) is None


def test_sites_reached_after_the_deadline_keep_their_capacity_rows_alone(monkeypatch) -> None:
    # Sites 0 and 1 each hold only some of their candidates. By the deadline (a clock that moves on by
    # one second per look, from 0; the deadline at 0.5 s) only site 0 is listed; site 1 gets no rows and is
    # counted as partial (the pattern master's route then prices it in). Past the deadline, no site
    # gets rows at all.
    project, site = np.array([0, 1, 2, 3]), np.array([0, 0, 1, 1])
    land = np.array([60.0, 60.0, 30.0, 30.0])
    area = np.array([100.0, 50.0])
    ticks = iter(range(100))
    with monkeypatch.context() as patched:
        patched.setattr(time, "perf_counter", lambda: float(next(ticks)))
        rows = site_pattern_rows(project, site, land, area, n_columns=4, deadline=0.5)
    assert rows is not None and rows.sites == 1 and rows.partial == 1
    assert {int(i) for i in rows.indices if i < 4} == {0, 1}  # site 0's candidates only
    late = site_pattern_rows(project, site, land, area, n_columns=4, deadline=time.perf_counter() - 1)
    assert late is not None and late.sites == 0 and late.partial == 2 and not len(late.upper)
    whole = site_pattern_rows(project, site, land, area, n_columns=4)
    assert whole is not None and whole.sites == 2 and whole.partial == 0


def test_a_site_with_many_candidates_gets_patterns_over_its_largest(monkeypatch) -> None:
    # 12 candidates, too many for the limit: the patterns are drawn from the 6 largest (35-60 mu on a
    # 100-mu site: two of them at most), and only those get a row.
    monkeypatch.setattr(site_patterns, "MAX_CANDIDATES", 6)
    land = np.array([60.0, 55.0, 50.0, 45.0, 40.0, 35.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0])
    project = np.arange(12)
    rows = site_pattern_rows(project, np.zeros(12, dtype=int), land, np.array([100.0]), n_columns=12)
    assert rows is not None and rows.sites == 1
    assert len(rows.upper) == 1 + 6  # one pattern row, one row per large candidate
    linked = {int(i) for i in rows.indices if i < 12}
    assert linked == set(range(6))
    assert rows.n_patterns == len(_maximal_by_enumeration(land[:6].tolist(), 100.0))


def test_a_traced_solve_ended_by_the_restricted_plan_records_it(tmp_path) -> None:
    # Two start years: two placements each (a model of one placement each gets no restricted plan).
    scenario, projects, _ = _one_site(tmp_path, [(60, 100), (40, 70), (50, 90), (30, 20)], years=2)
    solution = solve_model(build_model(scenario, projects), scenario.solver, trace=True)
    assert solution.status == "optimal"
    recorded = [(value, bound) for _, value, bound in solution.trace]
    assert recorded == [(solution.objective, solution.best_bound)]
