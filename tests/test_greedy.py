"""The greedy start plan never breaks a rule (checked independently of the model code)."""

from __future__ import annotations

import numpy as np
import pytest

from quota_sim.greedy import greedy_start
from quota_sim.model import build_model
from tests.bruteforce import _cheapest_supply
from tests.instances import load_instance, random_instance


@pytest.mark.parametrize("seed", range(30))
def test_greedy_plans_fit_every_quota_and_the_budget(tmp_path, seed):
    scenario, projects, _ = load_instance(tmp_path, *random_instance(seed))
    model = build_model(scenario, projects)
    plan = greedy_start(model, dict(model.value))
    ids = {pid: p for p, pid in enumerate(projects.ids)}
    zones, years = scenario.zone_ids(), scenario.years
    cost = 0.0
    for quota in scenario.quotas:
        charges = np.zeros((len(zones), years))
        for pid, (zone, year) in plan.items():
            p, t = ids[pid], year - scenario.start_year
            assert (p, zone, t) in model.x  # eligible zone, allowed year, not locked out
            charges[zones.index(zone), t] += quota.ratio * projects.demand[quota.demand][p]
        cheapest = _cheapest_supply(scenario, quota, tuple(charges.ravel()))
        assert cheapest is not None, f"seed {seed}: quota {quota.id} overfilled"
        cost += cheapest
    assert cost <= scenario.objective.purchase_budget * (1 + 1e-9) + 1e-9

