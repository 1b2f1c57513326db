"""Exchange moves on a plan of a model with sites: a waiting project takes the place of planned ones.

On a queue whose projects may use any site of their parks, most sites hold one or two projects and
are nearly full, so a better plan is often one exchange away: a planned project (or two) leaves a
site and a waiting one (or two) worth more takes its room, with what room the site had left; or a
planned project moves to another year, to another site's free room or to the place of the one project
there (which then waits), and a waiting one may take the room it leaves. These moves are listed on
arrays and tried best first (the worth of the placements they change, 万元), thousands in a second,
where one step of the search over sites (:mod:`quota_sim.site_search`) takes a MIP.

A move is kept only when the plan it gives keeps every row of the model and is worth more:

- rows without a supply-use column (each project at most once, each site's area) are checked on
  their activity;
- the rows with use columns (charges equal to the use drawn, supply, budget) are checked by the LP
  over the use columns with every placement held (one HiGHS LP, its row bounds moved by the move's
  charges and solved again from its last basis): the move is kept when that LP is feasible and the
  plan's worth (placements plus the use's cost) rises. The use columns take that LP's solution.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import highspy
import numpy as np

from quota_sim.interrupts import run_highs, set_deadline
from quota_sim.model import QuotaModel

CANDIDATES_PER_ROOM = 3  # placements tried for each room a move opens (best worth first)
PAIR_CANDIDATES = 12  # waiting projects paired up for one room (those worth most there)
_ON = 0.5  # a binary above this is taken as 1
_ROW_TOL = 1e-7  # a row's activity may pass its bound by this (relative to the bound, at least 1)
_GAIN = 1e-6  # 万元: a move is kept when the plan gains more than this (relative to its worth)


class Exchanges:
    """Exchange moves (see the module docstring) on ``model``; ``new_highs`` makes a silent HiGHS for
    the LP over the use columns."""

    def __init__(self, model: QuotaModel, new_highs: Callable[[], highspy.Highs]) -> None:
        self.model = model
        n = model.n_x
        self._entries = model.by_column.entries
        self._use_row = np.zeros(model.n_rows, dtype=bool)  # rows with a use column
        self._use_row[self._entries(np.arange(n, model.n_variables))[1]] = True
        self._priced_rows = np.flatnonzero(self._use_row)  # rows the LP over the use columns holds
        self._position = np.full(model.n_rows, -1)
        self._position[self._priced_rows] = np.arange(len(self._priced_rows))
        self.new_highs = new_highs
        table = model.placements
        self.land = np.zeros(n)
        self._site_row = np.full(len(model.sites.ids), -1)
        for site, row in model.site_rows.items():
            self._site_row[model.site_index[site]] = row
        # Per site with a capacity row: its placements, best worth first.
        on_site = np.flatnonzero(table.site >= 0)
        by_site = on_site[np.lexsort((-model.cost[on_site], table.site[on_site]))]
        bounds = np.r_[0, np.flatnonzero(np.diff(table.site[by_site])) + 1, len(by_site)]
        self._site_columns: dict[int, np.ndarray] = {}
        for begin, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            k = int(table.site[by_site[begin]])
            if self._site_row[k] >= 0:
                self._site_columns[k] = by_site[begin:end]
        for k, columns in self._site_columns.items():
            entries = self._entries(columns)
            self.land[columns] = entries[2][entries[1] == self._site_row[k]]
        locked = np.array([lock == "in" for lock in model.projects.lock], dtype=bool)
        self._movable = ~locked[table.project]
        self.moves = 0  # moves kept

    def _use_lp(self, activity: np.ndarray, deadline: float) -> highspy.Highs:
        """The LP over the use columns with every placement held as in ``activity`` (the rows' activity
        of the placements alone), solved (until ``deadline``)."""
        model, n = self.model, self.model.n_x
        columns = np.arange(n, model.n_variables)
        count, rows, entries = self._entries(columns)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(columns), len(self._priced_rows)
        lp.col_cost_ = model.cost[columns]
        lp.col_lower_ = np.zeros(len(columns))
        lp.col_upper_ = model.upper[columns]
        lp.row_lower_ = (model.row_lower - activity)[self._priced_rows]
        lp.row_upper_ = (model.row_upper - activity)[self._priced_rows]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.r_[0, np.cumsum(count)].astype(np.int32)
        lp.a_matrix_.index_ = self._position[rows].astype(np.int32)
        lp.a_matrix_.value_ = entries
        lp.sense_ = highspy.ObjSense.kMaximize
        highs = self.new_highs()
        highs.passModel(lp)
        _run(highs, deadline)
        return highs

    def improve(self, values: np.ndarray, deadline: float) -> np.ndarray:
        """The plan ``values`` (column values of the model) after the exchange moves that gain, tried
        round by round until a round keeps none or until ``deadline`` (a ``time.perf_counter()``
        value)."""
        model, n = self.model, self.model.n_x
        if not self._site_columns or model.elastic or time.perf_counter() >= deadline:
            return values
        x = values[:n] > _ON
        _, rows, entries = self._entries(np.flatnonzero(x))
        activity = np.bincount(rows, weights=entries, minlength=model.n_rows).astype(float)  # float if empty
        highs = self._use_lp(activity, deadline)
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return values
        placed = np.zeros(len(model.projects.ids), dtype=bool)
        placed[model.placements.project[x]] = True
        state = _Plan(x, placed, activity, float(model.cost[:n] @ x), highs)
        while time.perf_counter() < deadline:
            kept = 0
            for removed, added in self._moves(state):
                if time.perf_counter() >= deadline:
                    break
                kept += self._try(state, removed, added, deadline)
            self.moves += kept
            if not kept:
                break
        found = np.zeros(model.n_variables)
        found[:n] = state.x
        found[n:] = state.use
        return found if float(model.cost @ found) > float(model.cost @ values) else values

    def _moves(self, state: _Plan) -> list[tuple[np.ndarray, np.ndarray]]:
        """The moves on ``state``'s plan, best change of worth first: per site, one or two waiting
        projects into its room or in place of one or two of its planned projects; and a planned project
        moved to its best other placement that fits (another year, another site's room, or the place of
        another site's one movable project), with or without a waiting one in the room it leaves."""
        model, table = self.model, self.model.placements
        worth = model.cost[: model.n_x]
        placed = np.flatnonzero(state.x)
        waiting = np.ones(len(model.projects.ids), dtype=bool)
        waiting[table.project[placed]] = False
        room = np.full(len(model.sites.ids), -np.inf)
        has_row = self._site_row >= 0
        rows = self._site_row[has_row]
        room[has_row] = model.row_upper[rows] - state.activity[rows]
        moves: list[tuple[float, np.ndarray, np.ndarray]] = []
        for k, columns in self._site_columns.items():
            open_ = waiting[table.project[columns]]
            here = placed[table.site[placed] == k]
            here = here[self._movable[here]].tolist()
            outs = [[], *([j] for j in here), *([a, b] for i, a in enumerate(here) for b in here[i + 1:])]
            for out in outs:
                out = np.asarray(out, dtype=np.int64)
                limit = room[k] + float(self.land[out].sum())
                fits = columns[open_ & _fits(self.land[columns], limit)]
                lost = float(worth[out].sum())
                for j in fits[:CANDIDATES_PER_ROOM].tolist():
                    if worth[j] > lost:
                        moves.append((worth[j] - lost, out, np.array([j])))
                moves.extend(self._pairs(fits, limit, lost, out))
        # A planned project moved to another placement: another year on its site, another site's room,
        # or the place of the one movable project on another site (which then waits); a waiting
        # project may take the room it leaves.
        movable = placed[self._movable[placed]]
        count = np.bincount(table.site[placed], minlength=len(room))
        single = np.full(len(room), -1)
        alone = movable[count[table.site[movable]] == 1]
        single[table.site[alone]] = alone
        for j in movable.tolist():
            k = int(table.site[j])
            if self._site_row[k] < 0:
                continue
            others, out = self._alternatives(j, room, single)
            if not len(others):
                continue
            change = worth[others] - worth[j] - np.where(out >= 0, worth[np.maximum(out, 0)], 0.0)
            best = int(np.argmax(change))
            to, gone = int(others[best]), int(out[best])
            removed = np.array([j] if gone < 0 else [j, gone])
            if change[best] > 0:
                moves.append((float(change[best]), removed, np.array([to])))
            if table.site[to] == k:
                continue
            columns = self._site_columns[k]
            limit = room[k] + self.land[j]
            fits = columns[waiting[table.project[columns]] & _fits(self.land[columns], limit)]
            for b in fits[:CANDIDATES_PER_ROOM].tolist():
                if change[best] + worth[b] > 0:
                    moves.append((float(change[best] + worth[b]), removed, np.array([to, b])))
        moves.sort(key=lambda move: -move[0])
        return [(out, into) for _, out, into in moves]

    def _pairs(
        self, fits: np.ndarray, limit: float, lost: float, out: np.ndarray
    ) -> list[tuple[float, np.ndarray, np.ndarray]]:
        """Two waiting projects into one room: the best pairs among the PAIR_CANDIDATES projects worth
        most in ``fits`` (placements that fit the room of ``limit`` mu alone, best worth first) whose land
        fits together and that are worth more than ``lost``."""
        project = self.model.placements.project[fits]
        _, first = np.unique(project, return_index=True)
        fits = fits[np.sort(first)][:PAIR_CANDIDATES]
        if len(fits) < 2:
            return []
        worth, land = self.model.cost[fits], self.land[fits]
        i, j = np.triu_indices(len(fits), 1)
        gain = worth[i] + worth[j] - lost
        good = np.flatnonzero(_fits(land[i] + land[j], limit) & (gain > 0))
        best = good[np.argsort(-gain[good], kind="stable")[:CANDIDATES_PER_ROOM]]
        return [(float(gain[g]), out, fits[[i[g], j[g]]]) for g in best.tolist()]

    def _alternatives(
        self, column: int, room: np.ndarray, single: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The other placements of the planned ``column``'s project that fit: on its own site, or on a
        site whose room holds it, or whose one movable project (``single``, per site, -1 if none) leaves
        room enough; with that project's column (-1 where none leaves)."""
        table = self.model.placements
        project, site = int(table.project[column]), int(table.site[column])
        lo, hi = np.searchsorted(table.project, [project, project + 1])
        columns = np.arange(lo, hi)
        columns = columns[(columns != column) & (table.site[columns] >= 0)]
        k = table.site[columns]
        land = self.land[columns]
        own = k == site
        free = ~own & _fits(land, room[k])
        out = np.where(~own & ~free & (single[k] >= 0), single[k], -1)
        swap = (out >= 0) & _fits(land, room[k] + self.land[np.maximum(out, 0)])
        keep = own | free | swap
        return columns[keep], np.where(swap, out, -1)[keep]

    def _try(self, state: _Plan, removed: np.ndarray, added: np.ndarray, deadline: float) -> bool:
        """Make the move when it keeps every row and gains (see the module docstring); its LP runs until
        ``deadline``."""
        model, table = self.model, self.model.placements
        if not np.all(state.x[removed]) or np.any(state.x[added]):
            return False
        projects = table.project[added]
        if np.any(state.placed[projects] & ~np.isin(projects, table.project[removed])):
            return False
        columns = np.r_[removed, added]
        count, rows, entries = self._entries(columns)
        sign = np.repeat(np.r_[-np.ones(len(removed)), np.ones(len(added))], count)
        delta = np.bincount(rows, weights=sign * entries, minlength=model.n_rows)
        touched = np.flatnonzero(delta)
        activity = state.activity[touched] + delta[touched]
        plain = ~self._use_row[touched]
        lower, upper = model.row_lower[touched[plain]], model.row_upper[touched[plain]]
        if np.any(activity[plain] > upper + _ROW_TOL * np.maximum(1.0, np.abs(upper))) or np.any(
            activity[plain] < lower - _ROW_TOL * np.maximum(1.0, np.abs(lower))
        ):
            return False
        priced = touched[~plain]
        position = self._position[priced].astype(np.int32)
        highs = state.highs
        new_lower = model.row_lower[priced] - activity[~plain]
        new_upper = model.row_upper[priced] - activity[~plain]
        old_lower = model.row_lower[priced] - state.activity[priced]
        old_upper = model.row_upper[priced] - state.activity[priced]
        worth = state.worth + float(model.cost[added].sum() - model.cost[removed].sum())
        before = state.total
        if len(priced):
            highs.changeRowsBounds(len(priced), position, new_lower, new_upper)
            _run(highs, deadline)
            feasible = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
            total = worth + (highs.getInfo().objective_function_value if feasible else 0.0)
        else:
            feasible, total = True, worth + state.use_worth
        if not feasible or total <= before + _GAIN * max(1.0, abs(before)):
            if len(priced):
                highs.changeRowsBounds(len(priced), position, old_lower, old_upper)
            return False
        if len(priced):
            state.use = np.asarray(highs.getSolution().col_value)
        state.x[removed] = False
        state.x[added] = True
        state.placed[table.project[removed]] = False
        state.placed[projects] = True
        state.activity[touched] = activity
        state.worth = worth
        state.use_worth = total - worth
        return True


def _fits(land: np.ndarray | float, room: np.ndarray | float) -> np.ndarray:
    """Whether ``land`` (mu) fits ``room`` (mu), within a row's tolerance (the move's rows are checked
    exactly)."""
    return np.asarray(land <= room * (1 + _ROW_TOL) + _ROW_TOL)


def _run(highs: highspy.Highs, deadline: float) -> None:
    set_deadline(highs, deadline)
    run_highs(highs)


class _Plan:
    """A plan as the moves see it: its placements (and projects), the rows' activity of those, the
    placements' worth (万元), the LP over the use columns, the use's worth and values."""

    def __init__(
        self, x: np.ndarray, placed: np.ndarray, activity: np.ndarray, worth: float, highs: highspy.Highs
    ) -> None:
        self.x = x
        self.placed = placed  # per project, whether it is in the plan
        self.activity = activity
        self.worth = worth
        self.highs = highs
        self.use_worth = float(highs.getInfo().objective_function_value)
        self.use = np.asarray(highs.getSolution().col_value)  # the use columns' values

    @property
    def total(self) -> float:
        return self.worth + self.use_worth
