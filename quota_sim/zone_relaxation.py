"""A small relaxation of a model with sites: its placements merged over the sites of a zone.

On a queue whose projects may use any site of their parks the model has one column per project,
site and year (311,093 for 5,000 projects on 300 sites), and its LP relaxation takes 23-79 s. This
LP merges the placements of a project in one zone and start year into one column and is an upper
bound on every plan all the same:

- the merged column is worth the most any of its placements is worth (万元) and charges each quota
  the least any of them charges (0 where one of them charges nothing);
- the site capacity rows give way to rows per zone and start year ``t``: the land of the projects
  started in the zone by ``t`` fits within the area of its sites ready by ``t``, and, for each of a
  few site sizes ``a``, the land of those projects larger than ``a`` fits within the area of the sites
  larger than ``a`` (such a project can only be on such a site);
- every other row (each project at most once, supply, budget) is the model's own.

Any plan, merged, meets these rows with at most its value, so the LP's optimum bounds the MILP's.
Its duals price the quotas per zone and year, which :func:`placement_scores` turns into a score per
placement.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from quota_sim.model import QuotaModel

SIZE_STEPS = 8  # site sizes per zone for the rows on larger projects (quantiles of the zone's site areas)


@dataclass(frozen=True)
class ZoneRelaxation:
    """The merged LP (``lp``: merged columns first, then the model's other columns) and, per x column of
    the model, its merged column (``group``)."""

    lp: highspy.HighsLp
    group: np.ndarray
    n_groups: int
    n_model_rows: int  # the LP's first rows are the model's (site rows emptied), in the model's order


def zone_relaxation(model: QuotaModel) -> ZoneRelaxation:
    """The merged LP of a model with sites (see the module docstring)."""
    n, years = model.n_x, model.scenario.years
    table = model.placements
    n_zones = len(model.scenario.zone_ids())
    key = (table.project * n_zones + table.zone) * years + table.year
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    n_groups = len(first)
    size = np.bincount(group, minlength=n_groups)
    value = np.full(n_groups, -np.inf)
    np.maximum.at(value, group, model.values)
    # The model's entries, the x columns' merged by (row, group) with the least coefficient (0 unless
    # every placement of the group has one); site rows lose theirs.
    rows = np.repeat(np.arange(model.n_rows), np.diff(model.row_start))
    columns, values = model.row_index, model.row_value
    site_row = np.zeros(model.n_rows, dtype=bool)
    site_row[list(model.site_rows.values())] = True
    on_x = (columns < n) & ~site_row[rows]
    merged_key = rows[on_x].astype(np.int64) * n_groups + group[columns[on_x]]
    keys, inverse, counts = np.unique(merged_key, return_inverse=True, return_counts=True)
    least = np.full(len(keys), np.inf)
    np.minimum.at(least, inverse, values[on_x])
    complete = counts == size[keys % n_groups]
    other = columns >= n
    entry_rows = np.concatenate([keys[complete] // n_groups, rows[other]])
    entry_columns = np.concatenate([keys[complete] % n_groups, columns[other] - n + n_groups])
    entry_values = np.concatenate([least[complete], values[other]])
    row_lower, row_upper = list(model.row_lower), list(model.row_upper)
    extra_rows, extra_columns, extra_values = _zone_rows(model, group, n_groups, model.n_rows, row_upper)
    row_lower += [-highspy.kHighsInf] * (len(row_upper) - len(row_lower))
    entry_rows = np.concatenate([entry_rows, extra_rows])
    entry_columns = np.concatenate([entry_columns, extra_columns])
    entry_values = np.concatenate([entry_values, extra_values])
    order = np.lexsort((entry_columns, entry_rows))
    starts = np.zeros(len(row_upper) + 1, dtype=np.int32)
    np.cumsum(np.bincount(entry_rows, minlength=len(row_upper)), out=starts[1:])
    lp = highspy.HighsLp()
    count = n_groups + model.n_variables - n
    lp.num_col_, lp.num_row_ = count, len(row_upper)
    lp.col_cost_ = np.concatenate([value, model.cost[n:]])
    lp.col_lower_ = np.zeros(count)
    lp.col_upper_ = np.concatenate([np.ones(n_groups), model.upper[n:]])
    lp.row_lower_, lp.row_upper_ = np.array(row_lower), np.array(row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = entry_columns[order].astype(np.int32)
    lp.a_matrix_.value_ = entry_values[order]
    lp.sense_ = highspy.ObjSense.kMaximize
    return ZoneRelaxation(lp, group, n_groups, model.n_rows)


def _zone_rows(
    model: QuotaModel, group: np.ndarray, n_groups: int, first_row: int, row_upper: list[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries (rows from ``first_row``, merged columns, land) of the rows per zone, start year and site
    size; their right-hand sides are appended to ``row_upper``."""
    table, sites, years = model.placements, model.sites, model.scenario.years
    land = model.projects.land_mu
    ready = model.space.ready
    # One placement per merged column: its project, zone and year.
    head = np.zeros(n_groups, dtype=np.int64)
    head[group] = np.arange(len(group))
    g_zone, g_year, g_land = table.zone[head], table.year[head], land[table.project[head]]
    out_rows, out_columns, out_values = [], [], []
    row = first_row
    for z in np.unique(g_zone).tolist():
        areas = sites.area_mu[model.space.site_zone == z]
        site_ready = ready[model.space.site_zone == z]
        sizes = np.unique(np.quantile(areas, np.linspace(0, 1, SIZE_STEPS + 1)[:-1])) if len(areas) else []
        in_zone = np.flatnonzero(g_zone == z)
        for t in range(years):
            by_then = in_zone[g_year[in_zone] <= t]
            for a in [-1.0, *np.asarray(sizes, dtype=float).tolist()]:
                larger = by_then[g_land[by_then] > a]
                if not len(larger):
                    continue
                out_rows.append(np.full(len(larger), row))
                out_columns.append(larger)
                out_values.append(g_land[larger])
                row_upper.append(float(np.sum(areas[(areas > a) & (site_ready <= t)])))
                row += 1
    if not out_rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(out_rows), np.concatenate(out_columns), np.concatenate(out_values)


def placement_scores(model: QuotaModel, merged: ZoneRelaxation, duals: np.ndarray) -> np.ndarray:
    """Per x column of the model, its value less what it charges at the merged LP's ``duals`` (the
    quotas' rows, and its zone's area rows; not its project's row): 万元, higher is better."""
    n = model.n_x
    rows = np.repeat(np.arange(model.n_rows), np.diff(model.row_start))
    columns, values = model.row_index, model.row_value
    once = np.array([name.startswith("once_") for name in model.row_names], dtype=bool)
    charged = (columns < n) & ~once[rows]
    charges = np.bincount(columns[charged], weights=values[charged] * duals[rows[charged]], minlength=n)
    lp = merged.lp
    lp_rows = np.repeat(np.arange(lp.num_row_), np.diff(np.asarray(lp.a_matrix_.start_)))
    lp_columns, lp_values = np.asarray(lp.a_matrix_.index_), np.asarray(lp.a_matrix_.value_)
    zone = (lp_rows >= merged.n_model_rows) & (lp_columns < merged.n_groups)
    weights = lp_values[zone] * duals[lp_rows[zone]]
    area = np.bincount(lp_columns[zone], weights=weights, minlength=merged.n_groups)
    return model.values - charges - area[merged.group]


def merged_guide(
    merged: ZoneRelaxation, solution: np.ndarray, keep: np.ndarray
) -> np.ndarray:
    """Per x column of the model, a weight for the greedy pass (:mod:`quota_sim.greedy`) from the merged
    LP's column values ``solution``: its merged column's value shared out over its placements, on the
    placements ``keep`` (the shortlist; the others 0). A project's weights then sum to its share placed
    in the merged LP (so projects are ranked as the LP places them), and among its sites the shortlist's
    are tried first."""
    size = np.bincount(merged.group, minlength=merged.n_groups)
    return np.where(keep, solution[: merged.n_groups][merged.group] / size[merged.group], 0.0)
