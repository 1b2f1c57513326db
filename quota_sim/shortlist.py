"""A few candidate sites per project, for queues whose projects may use any site of their parks.

Such a model has a column per project, site and year (311,093 for 5,000 projects on 300 sites); too
many for the site pattern master (:mod:`quota_sim.pattern_master`). Its plan is searched for in the
model of a shortlist of placements instead (each of its plans is a plan of the whole model): every
project keeps its :data:`PER_PROJECT` sites of best score (:func:`quota_sim.zone_relaxation.placement_scores`:
value less its charges at the merged LP's prices), the projects of most score per mu choosing first,
and a site stops being chosen once the land of the projects that chose it is :data:`CROWDING` times its
area (without this, every project picks the same few sites of cheap land, and most sites stay empty).
Locked-in projects keep every placement.
"""

from __future__ import annotations

import numpy as np

from quota_sim.model import QuotaModel

PER_PROJECT = 3
CROWDING = 3.0


def shortlist(model: QuotaModel, scores: np.ndarray) -> np.ndarray:
    """Per x column of ``model`` (a model with sites), whether it is on the shortlist (see the module
    docstring); ``scores`` per x column, higher is better."""
    table = model.placements
    land, area = model.projects.land_mu, model.sites.area_mu
    # The best score of each (project, site) pair, pairs of a project best first.
    pair = table.project * len(area) + table.site
    order = np.lexsort((-scores, pair))
    first = order[np.r_[True, np.diff(pair[order]) != 0]] if len(order) else order
    pairs = first[np.lexsort((-scores[first], table.project[first]))]
    project, site, score = table.project[pairs], table.site[pairs], scores[pairs]
    starts = np.r_[0, np.flatnonzero(np.diff(project)) + 1]
    best = score[starts] / np.maximum(land[project[starts]], 1e-9)
    locked = np.array([lock == "in" for lock in model.projects.lock], dtype=bool)
    chosen = np.zeros(len(pairs), dtype=bool)
    load = np.zeros(len(area))
    ends = np.r_[starts[1:], len(pairs)]
    for i in np.argsort(-best, kind="stable").tolist():
        span = range(int(starts[i]), int(ends[i]))
        p = int(project[starts[i]])
        if locked[p]:
            chosen[span.start:span.stop] = True
            continue
        count = 0
        for j in span:
            k = int(site[j])
            if load[k] >= CROWDING * area[k]:
                continue
            chosen[j] = True
            load[k] += land[p]
            count += 1
            if count == PER_PROJECT:
                break
    return np.isin(pair, project[chosen] * len(area) + site[chosen])
