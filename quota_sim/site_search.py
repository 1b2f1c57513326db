"""A large-neighbourhood search over the sites of a huge model: a few sites freed at a time and re-planned
exactly.

On a queue whose projects may use any site of their parks, the best plans differ from a good one site
by site: which projects share a site, and which waiting project would fit where. Each step of the
search frees a neighbourhood and solves the MIP of the model with every other placement held as the
plan has it (HiGHS, from the plan, which stays feasible, so a step never makes it worse; to within
STEP_GAP of the step's own bound, which took more steps in the same time than a gap of 0):

- a few sites of one zone (of any zone in a share CROSS_ZONE of the steps, so that a project of two
  parks may change park while another takes its room), drawn with a weight of how far the plan falls
  short of them at the plain LP's duals: each site's knapsack at those duals
  (:meth:`quota_sim.site_hull.SiteHull.site_gains`, the site's share of the site-knapsack bound) less
  the reduced costs of the projects the plan puts there. A neighbourhood whose MIP is solved without a
  better plan weighs less until the plan changes there (by any step or move);
- the projects the plan puts on those sites, and, on each of them, the projects that gain most at the
  duals: all their placements on the freed sites, and their own placement in the plan (so a project
  may move in from another site, or leave).

The supply, budget and every other row stay as the model has them, with what the held placements use
taken off (a row no free column touches is left out: the plan keeps it), so each plan the search
accepts keeps every rule of the model. Before the first step and after every EXCHANGE_EVERY better
steps, the exchange moves of :mod:`quota_sim.site_exchange` (waiting projects in place of planned
ones on a site, thousands a second) take the plan to where none of them gains. This is RINS / LNS for
the generalized assignment problem; the draws are seeded (``SolverSettings.seed``), but a step cut by its
time depends on the machine's speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import highspy
import numpy as np

from quota_sim.interrupts import run_highs, set_deadline
from quota_sim.model import QuotaModel
from quota_sim.site_exchange import Exchanges
from quota_sim.site_hull import SiteHull

SITES_PER_STEP = 5  # sites freed at a time (all of one zone, but in a share CROSS_ZONE of the steps)
CROSS_ZONE = 0.1  # share of the steps whose sites may be of any zone
LEADING_PER_SITE = 20  # projects that gain most on each freed site, free to move onto it
STEP_SECONDS = 1.5  # most seconds of one step's MIP
STEP_GAP = 0.003  # one step's MIP stops within this of its own bound (its freed part's worth)
SOLVED_WEIGHT = 0.3  # a neighbourhood solved without a better plan weighs this much less afterwards
SETTLED = 3  # the search ends once every site has been in this many such neighbourhoods
EXCHANGE_EVERY = 5  # exchange moves (:mod:`quota_sim.site_exchange`) after this many better steps
_ON = 0.5  # a binary above this is taken as 1
_SHORTFALL = 1e-3  # 万元: the least weight of a site (every site may be drawn)


class SiteSearch:
    """The search on ``model`` at the plain LP's row ``duals`` (see the module docstring); ``new_highs``
    makes a silent HiGHS for each step's MIP (one thread). When the sites' knapsacks are not solved by
    ``deadline`` the search has no site and takes no step."""

    def __init__(
        self, model: QuotaModel, hull: SiteHull, duals: np.ndarray, new_highs: Callable[[], highspy.Highs],
        seed: int = 0, deadline: float = np.inf,
    ) -> None:
        self.model = model
        self.new_highs = new_highs
        self.rng = np.random.default_rng(seed)
        gains = hull.site_gains(duals, LEADING_PER_SITE, deadline)
        self.sites, self.knapsack, self.leading = gains if gains is not None else (np.zeros(0, int), [], [])
        self.reduced = hull.site_reduced(duals)
        self.zone = model.space.site_zone[self.sites]
        self.weight = np.ones(len(self.sites))  # lowered where a step found nothing better
        self.exchanges = Exchanges(model, new_highs)
        self._entries = model.by_column.entries
        self._position = np.full(len(model.sites.ids), -1)  # site -> its position in ``self.sites``
        self._position[self.sites] = np.arange(len(self.sites))
        self.steps = self.improved = 0
        self.solved = False  # whether the last step's MIP was solved to optimality

    def shortfall(self, values: np.ndarray) -> np.ndarray:
        """Per site of the search, its knapsack less the reduced costs of the plan's placements there."""
        table = self.model.placements
        on = np.flatnonzero(values[: self.model.n_x] > _ON)
        on = on[table.site[on] >= 0]  # placements on a site
        position = self._position[table.site[on]]
        held = position >= 0
        planned = np.bincount(position[held], weights=self.reduced[on[held]], minlength=len(self.sites))
        return self.knapsack - planned

    def neighbourhood(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sites drawn (positions in ``self.sites``) and the x columns freed for the plan ``values``."""
        weight = (np.maximum(self.shortfall(values), 0.0) + _SHORTFALL) * self.weight
        seed = self.rng.choice(len(weight), p=weight / weight.sum())
        same = (np.arange(len(weight)) if self.rng.random() < CROSS_ZONE
                else np.flatnonzero(self.zone == self.zone[seed]))
        others = same[same != seed]
        count = min(SITES_PER_STEP - 1, len(others))
        drawn = others[:0]
        if count:
            share = weight[others] / weight[others].sum()
            drawn = self.rng.choice(others, size=count, replace=False, p=share)
        chosen = np.r_[seed, drawn]
        table = self.model.placements
        on = values[: self.model.n_x] > _ON
        on_chosen = np.isin(table.site, self.sites[chosen])
        projects = np.zeros(len(self.model.projects.ids), dtype=bool)
        projects[table.project[on & on_chosen]] = True
        for i in chosen.tolist():
            projects[self.leading[i]] = True
        mine = projects[table.project]
        return chosen, (on_chosen & mine) | (on & mine)

    def step(self, values: np.ndarray, free: np.ndarray, deadline: float) -> np.ndarray | None:
        """The MIP with the x columns ``free`` free and every other held as in the plan ``values`` (column
        values of the model), solved from the plan until ``deadline``: its best plan, or None if none.
        It holds only the rows the free columns and the use columns touch (every other row's activity is
        the plan's, which keeps it)."""
        model, n = self.model, self.model.n_x
        held_on = np.flatnonzero((values[:n] > _ON) & ~free)
        count, rows, entries = self._entries(held_on)
        used = np.bincount(rows, weights=entries, minlength=model.n_rows)
        free_columns = np.flatnonzero(free)
        columns = np.r_[free_columns, np.arange(n, model.n_variables)]
        count, rows, entries = self._entries(columns)
        kept = np.unique(rows)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(columns), len(kept)
        lp.col_cost_ = model.cost[columns]
        lp.col_lower_ = np.zeros(len(columns))
        lp.col_upper_ = model.upper[columns]
        lp.integrality_ = ([highspy.HighsVarType.kInteger] * len(free_columns)
                           + [highspy.HighsVarType.kContinuous] * (model.n_variables - n))
        lp.row_lower_ = (model.row_lower - used)[kept]
        lp.row_upper_ = (model.row_upper - used)[kept]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.r_[0, np.cumsum(count)].astype(np.int32)
        lp.a_matrix_.index_ = np.searchsorted(kept, rows).astype(np.int32)
        lp.a_matrix_.value_ = entries
        lp.sense_ = highspy.ObjSense.kMaximize
        highs = self.new_highs()
        highs.setOptionValue("mip_rel_gap", STEP_GAP)
        highs.passModel(lp)
        start = values[columns].copy()
        start[: len(free_columns)] = np.round(start[: len(free_columns)])
        highs.setSolution(len(columns), np.arange(len(columns), dtype=np.int32), start)
        set_deadline(highs, deadline)
        run_highs(highs)
        self.solved = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        if highs.getInfo().primal_solution_status != 2:
            return None
        found = np.zeros(model.n_variables)
        found[held_on] = 1.0
        found[columns] = np.asarray(highs.getSolution().col_value)
        found[free_columns] = np.round(found[free_columns])
        return found

    def _changed(self, values: np.ndarray, found: np.ndarray) -> np.ndarray:
        """``found``, the plan after ``values``; the sites where their placements differ weigh as much as
        before any step."""
        n = self.model.n_x
        site = self.model.placements.site[np.flatnonzero((values[:n] > _ON) != (found[:n] > _ON))]
        position = self._position[site[site >= 0]]
        self.weight[position[position >= 0]] = 1.0
        return found

    def improve(
        self, values: np.ndarray, deadline: float, bound: float = np.inf, gap: float = 0.0
    ) -> np.ndarray:
        """The plan ``values`` (column values of the model) improved step by step until ``deadline``, or
        until it is within ``gap`` (relative) of ``bound``, or until every site has been in SETTLED
        neighbourhoods solved without a better plan (the plan is then as good as these steps make it)."""
        cost = self.model.cost
        if time.perf_counter() < deadline:
            values = self.exchanges.improve(values, deadline)
        worth = float(cost @ values)
        better = 0  # better steps since the last exchange moves
        while (time.perf_counter() < deadline and bound - worth > gap * abs(worth)
               and np.any(self.weight > SOLVED_WEIGHT ** SETTLED)):
            chosen, free = self.neighbourhood(values)
            found = self.step(values, free, min(deadline, time.perf_counter() + STEP_SECONDS))
            self.steps += 1
            if found is not None and float(cost @ found) > worth * (1 + 1e-9) + 1e-9:
                self.weight[chosen] = 1.0
                values, worth = self._changed(values, found), float(cost @ found)
                self.improved += 1
                better += 1
                if better == EXCHANGE_EVERY:
                    values, better = self._changed(values, self.exchanges.improve(values, deadline)), 0
                    worth = float(cost @ values)
            elif self.solved:
                self.weight[chosen] *= SOLVED_WEIGHT
        return values
