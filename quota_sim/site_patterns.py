"""Site patterns: a tighter LP relaxation of site capacity (SPEC §5) for HiGHS.

A site's capacity row, sum of land_mu over the projects placed on it <= area_mu, is a knapsack, and
its LP relaxation lets a site hold 1.6 projects where only one fits. The baseline's LP bound is
then 3 % above its optimum, and HiGHS spends most of its time closing that gap.

For each site with a capacity row, every *pattern* (a maximal set of its candidate projects whose
land fits the area together) gets a column ``y[k, S]`` in [0, 1], with the rows

- ``sum_S y[k, S] <= 1``: the site holds at most one pattern;
- ``sum_t x[p, k, t] - sum_{S contains p} y[k, S] <= 0`` per candidate project ``p``: a project is
  placed on the site only within the pattern it holds.

Every plan satisfies them (the projects a plan puts on a site fit its area, so they lie inside a
maximal set that fits), so the MILP's optimum and its feasible plans are unchanged. The LP, however,
is the convex hull of each site's knapsack: on the baseline its bound falls from 3.4 % to 0.34 %
above the optimum. Where the candidates are more than :data:`MAX_CANDIDATES` or their patterns
more than :data:`MAX_PATTERNS_PER_SITE`, the patterns are drawn from the site's largest candidates
only (halving their number until the patterns are few enough): the largest projects a plan puts on
a site fit together too, so these rows are valid as well, and they hold the large projects, which
make the knapsack's LP loose. :data:`MAX_PATTERNS` bounds the columns added to one model. Sites
whose patterns hold only some of their candidates are counted (``partial``): there the LP is not the
knapsack's hull, and :mod:`quota_sim.pattern_master` prices their patterns in instead.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

MAX_CANDIDATES = 60  # a site with more candidate projects keeps its capacity row alone
MAX_PATTERNS_PER_SITE = 1000
MAX_PATTERNS = 40_000
FIT_TOL_MU = 1e-6  # a set fits when its land is within the area plus this (never stricter than HiGHS)


@dataclass(frozen=True)
class PatternRows:
    """The columns and rows to append to a model of ``n_columns`` columns, row-wise.

    Rows refer to the model's columns by index (placements are the first ones, in ``model.x``
    order) and to the new pattern columns as ``n_columns + j``. Every row is ``<= upper``.
    """

    n_patterns: int
    upper: np.ndarray  # per row
    starts: np.ndarray  # row-wise matrix: starts (n_rows + 1), indices, values
    indices: np.ndarray
    values: np.ndarray
    sites: int  # sites given patterns
    partial: int = 0  # sites whose patterns hold only some of their candidates, or that got none


def maximal_fits(sizes: np.ndarray, capacity: float, limit: int) -> list[list[int]] | None:
    """Every maximal set of items (indices into ``sizes``) whose sizes sum to at most ``capacity``;
    None when there are more than ``limit`` of them (or the search visits too many sets)."""
    order = np.argsort(-sizes, kind="stable")
    size = sizes[order].astype(float)
    count = len(size)
    after = np.append(np.cumsum(size[::-1])[::-1], 0.0)[1:]  # after[k]: sum of size[k + 1:]
    found: list[list[int]] = []
    budget = [64 * limit]  # search nodes left

    def visit(k: int, room: float, chosen: list[int], skipped: float) -> bool:
        """Extend ``chosen`` with items k..; ``skipped`` is the smallest item left out that fitted.
        False when the search is over its limits."""
        budget[0] -= 1
        if budget[0] < 0 or len(found) > limit:
            return False
        if k == count:
            if skipped > room + FIT_TOL_MU:  # nothing left out still fits: maximal
                found.append([int(order[i]) for i in chosen])
            return True
        if size[k] > room + FIT_TOL_MU:
            return visit(k + 1, room, chosen, skipped)
        chosen.append(k)
        ok = visit(k + 1, room - size[k], chosen, skipped)
        chosen.pop()
        # Leaving item k out can end maximal only if the items after it can fill the room it leaves.
        if ok and room - after[k] <= size[k] + FIT_TOL_MU:
            ok = visit(k + 1, room, chosen, min(skipped, size[k]))
        return ok

    if not visit(0, float(capacity), [], np.inf):
        return None
    return found


def _largest_with_patterns(
    sizes: np.ndarray, area: float, limit: int
) -> tuple[np.ndarray, list[list[int]] | None]:
    """The candidates (indices into ``sizes``) a site's patterns are drawn from, and those patterns
    (indices into the candidates chosen): all of them when their patterns are few enough, else the
    largest ones, halving their number until they are (a site's patterns over its largest candidates
    are still valid rows: the largest projects a plan puts on the site fit together)."""
    order = np.argsort(-sizes, kind="stable")
    count = min(len(sizes), MAX_CANDIDATES)
    while count >= 2:
        chosen = np.sort(order[:count])
        patterns = maximal_fits(sizes[chosen], area, limit)
        if patterns is not None:
            return chosen, patterns
        count //= 2
    return order[:0], None


def site_pattern_rows(
    project: np.ndarray,
    site: np.ndarray,
    land_mu: np.ndarray,
    area_mu: np.ndarray,
    n_columns: int,
    deadline: float = math.inf,
) -> PatternRows | None:
    """Pattern columns and rows for a model whose column j < len(project) places project
    ``project[j]`` on site ``site[j]`` (an index into ``area_mu``, -1 for none); ``land_mu`` per
    project, ``area_mu`` per site (mu). None when no site needs them (every site holds all its
    candidates together); no rows (``sites`` 0) when some do but none qualifies. From ``deadline`` on
    (a ``time.perf_counter()`` value) no site gets patterns: each site that would have needed them is
    counted as ``partial`` (the rows so far are valid all the same)."""
    upper: list[float] = []
    starts, indices, values = [0], [], []
    n_patterns = sites = partial = 0
    on_site = np.flatnonzero(site >= 0)
    order = on_site[np.lexsort((project[on_site], site[on_site]))]  # by site, then project
    bounds = np.flatnonzero(np.diff(site[order])) + 1
    for columns_of_site in np.split(order, bounds) if len(order) else []:
        k = int(site[columns_of_site[0]])
        projects, first_column = np.unique(project[columns_of_site], return_index=True)
        sizes = land_mu[projects].astype(float)
        area = float(area_mu[k])
        if float(np.sum(sizes)) <= area + FIT_TOL_MU:
            continue
        if time.perf_counter() >= deadline:  # out of time: this site keeps its capacity row alone
            partial += 1
            continue
        limit = min(MAX_PATTERNS_PER_SITE, MAX_PATTERNS - n_patterns)
        chosen, patterns = _largest_with_patterns(sizes, area, limit)
        if patterns is None or len(chosen) < len(projects):
            partial += 1
        if patterns is None or len(patterns) < 2:  # one pattern holding every candidate adds nothing
            continue
        first = n_columns + n_patterns
        indices += range(first, first + len(patterns))
        values += [1.0] * len(patterns)
        upper.append(1.0)
        starts.append(len(indices))
        holding: list[list[int]] = [[] for _ in projects]
        for s, pattern in enumerate(patterns):
            for i in pattern:
                holding[chosen[i]].append(first + s)
        placed = np.split(columns_of_site, first_column[1:])  # each project's columns on the site
        for i in chosen.tolist():
            indices += placed[i].tolist() + holding[i]
            values += [1.0] * len(placed[i]) + [-1.0] * len(holding[i])
            upper.append(0.0)
            starts.append(len(indices))
        n_patterns += len(patterns)
        sites += 1
    if not sites and not partial:
        return None
    return PatternRows(
        n_patterns,
        np.array(upper),
        np.array(starts, dtype=np.int32),
        np.array(indices, dtype=np.int32),
        np.array(values),
        sites,
        partial,
    )
