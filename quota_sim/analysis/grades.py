"""亩均效益评价 (per-mu efficiency evaluation): a composite score and A/B/C/D grades.

The score follows the evaluation planners already use to rank firms ("亩均论英雄",
DOMAIN §5, example-city weights): tax per mu weighs 45 and output (sales) per mu
weighs 20, normalised to 45/65 and 20/65. Each indicator is divided by its mean over
the whole queue, so a score of 1.0 is an average project, 2.0 twice as dense.
Indicators the queue does not carry (energy per unit value added, R&D, labour
productivity) are left out.
"""

from __future__ import annotations

import numpy as np

from quota_sim.projects import Projects

#: Weights of the composite per-mu score (before normalisation to a sum of 1).
PER_MU_WEIGHTS: dict[str, float] = {"tax_per_mu": 45.0, "output_per_mu": 20.0}

#: Upper rank fraction of each grade: A is the top 20 %, B down to 70 %, C down to 95 %,
#: D the bottom 5 %.
GRADE_BOUNDS: tuple[tuple[str, float], ...] = (("A", 0.20), ("B", 0.70), ("C", 0.95), ("D", 1.0))


def per_mu_indicators(projects: Projects) -> dict[str, np.ndarray]:
    """Tax and output per mu of land of every project.

    Returns
    -------
    dict
        ``tax_per_mu`` and ``output_per_mu``, 万元 per mu per year at full production.
    """
    land = np.asarray(projects.land_mu, dtype=float)
    return {
        "tax_per_mu": np.asarray(projects.tax, dtype=float) / land,
        "output_per_mu": np.asarray(projects.output, dtype=float) / land,
    }


def per_mu_scores(projects: Projects) -> np.ndarray:
    """Composite 亩均 score of every project (dimensionless; 1.0 = queue average).

    Each indicator is divided by its queue mean (an indicator that is 0 for the whole
    queue contributes 0), then weighted by :data:`PER_MU_WEIGHTS` normalised to sum 1.
    """
    indicators = per_mu_indicators(projects)
    total_weight = float(np.sum(list(PER_MU_WEIGHTS.values())))
    score = np.zeros(len(projects))
    for key, weight in PER_MU_WEIGHTS.items():
        values = indicators[key]
        mean = float(values.mean()) if len(values) else 0.0
        if mean > 0:
            score += (weight / total_weight) * values / mean
    return score


def grades_from_scores(scores: np.ndarray) -> list[str]:
    """A/B/C/D grade of each score by its rank in the queue.

    A project ranked r-th of n (1 = best) has (r - 1) / n of the queue above it and gets
    the first grade whose bound exceeds that share (:data:`GRADE_BOUNDS`): the best project
    is always A, and D needs at least 20 projects. Equal scores share the best rank of their
    group, so ties never split across grades.
    """
    n = len(scores)
    if n == 0:
        return []
    order = np.argsort(-scores, kind="stable")
    grades = [""] * n
    group_rank = 1
    for position, index in enumerate(order, start=1):
        if position == 1 or scores[index] != scores[order[position - 2]]:
            group_rank = position
        above = (group_rank - 1) / n
        grades[index] = next(grade for grade, bound in GRADE_BOUNDS if above < bound - 1e-12)
    return grades


def grade_projects(projects: Projects) -> dict[str, list]:
    """Per-project columns for the allocation table.

    Returns
    -------
    dict
        ``per_mu_score`` (rounded to 4 decimals) and ``grade`` (A/B/C/D), aligned with
        the projects.
    """
    scores = per_mu_scores(projects)
    return {
        "per_mu_score": [round(float(s), 4) for s in scores],
        "grade": grades_from_scores(scores),
    }
