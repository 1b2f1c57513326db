"""A quick feasible plan to start HiGHS from on large queues (LP-guided greedy).

Projects are taken in the order of their weight in the LP relaxation (locked-in projects
first), each at the placement the relaxation favours that still fits. Fitting is decided by
drawing supply explicitly — the project's zone sources first, then free city sources, then
priced ones cheapest first within the budget left — so every plan it returns satisfies every
rule of the model. It may leave out a project an exact check would fit; it never overfills.
"""

from __future__ import annotations

import numpy as np

from quota_sim.model import CITY, NO_BUDGET, Key, QuotaModel, source_keys

_TOL = 1e-9


class _Supply:
    """Supply left per (quota, source, supply key): cumulative with carry-over, else per year."""

    def __init__(self, model: QuotaModel) -> None:
        scenario = model.scenario
        self.years = scenario.years
        self.left: dict[tuple[str, str, str], np.ndarray] = {}
        self.sources: dict[tuple[str, str], list[tuple[str, str, float]]] = {}  # (quota, zone) -> draw order
        zone_ids = scenario.zone_ids()
        for q in scenario.quotas:
            for s in q.sources:
                for key in source_keys(s, zone_ids):
                    amounts = np.array([s.amount(key or None, t) for t in range(self.years)], dtype=float)
                    self.left[q.id, s.id, key] = np.cumsum(amounts) if q.carry_over else amounts
            for z in zone_ids:
                own = [(s.id, z, 0.0) for s in q.sources if s.scope == "zone" and s.price == 0]
                free = [(s.id, CITY, 0.0) for s in q.sources if s.scope == "city" and s.price == 0]
                priced = sorted(
                    ((s.id, CITY if s.scope == "city" else z, s.price) for s in q.sources if s.price > 0),
                    key=lambda item: item[2],
                )
                self.sources[q.id, z] = own + free + priced
        self.carry = {q.id: q.carry_over for q in scenario.quotas}
        budget = scenario.objective.purchase_budget
        self.budget_left = budget if budget < NO_BUDGET else float("inf")

    def available(self, quota: str, source: str, key: str, t: int) -> float:
        left = self.left[quota, source, key]
        return float(left[t:].min()) if self.carry[quota] else float(left[t])

    def draw(self, charges: dict[str, float], zone: str, t: int) -> list[tuple[str, str, str, float]] | None:
        """Draws (quota, source, key, amount) that serve ``charges`` in ``zone`` and year ``t``, or None."""
        draws, cost = [], 0.0
        for quota, charge in charges.items():
            need = charge
            for source, key, price in self.sources[quota, zone]:
                if need <= _TOL:
                    break
                take = min(need, self.available(quota, source, key, t))
                if price > 0:
                    take = min(take, (self.budget_left - cost) / price)
                if take > _TOL:
                    draws.append((quota, source, key, take))
                    cost += take * price
                    need -= take
            if need > _TOL:
                return None
        return draws

    def commit(self, draws: list[tuple[str, str, str, float]], t: int, prices: dict[tuple[str, str], float]) -> None:
        for quota, source, key, amount in draws:
            left = self.left[quota, source, key]
            if self.carry[quota]:
                left[t:] -= amount
            else:
                left[t] -= amount
            self.budget_left -= amount * prices[quota, source]


def greedy_start(model: QuotaModel, weights: dict[Key, float]) -> dict[str, tuple[str, int]]:
    """A feasible plan, project id -> (zone, calendar start year), guided by ``weights`` (the LP
    relaxation's value of each placement variable; higher first). Locked-in projects come first."""
    projects, scenario = model.projects, model.scenario
    prices = {(q.id, s.id): s.price for q in scenario.quotas for s in q.sources}
    placements: dict[int, list[Key]] = {}
    for key in model.x:
        placements.setdefault(key[0], []).append(key)
    mass = {p: float(np.sum([weights.get(k, 0.0) for k in keys])) for p, keys in placements.items()}
    best_value = {p: max(model.value[k] for k in keys) for p, keys in placements.items()}
    order = sorted(placements, key=lambda p: (projects.lock[p] != "in", -round(mass[p], 6), -best_value[p], p))
    supply = _Supply(model)
    plan: dict[str, tuple[str, int]] = {}
    for p in order:
        charges = {q.id: float(model.charges[q.id][p]) for q in scenario.quotas if model.charges[q.id][p] > 0}
        for _, zone, t in sorted(placements[p], key=lambda k: (-round(weights.get(k, 0.0), 6), -model.value[k])):
            draws = supply.draw(charges, zone, t)
            if draws is not None:
                supply.commit(draws, t, prices)
                plan[projects.ids[p]] = (zone, scenario.start_year + t)
                break
    return plan
