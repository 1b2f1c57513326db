"""A project's value in the objective (SPEC §2): appraisal annuity, ramp, bonus, discounting."""

from __future__ import annotations

import numpy as np

from quota_sim.projects import Projects
from quota_sim.scenario import Objective


def discount_factor(objective: Objective) -> float:
    """delta = 1 / (1 + discount_rate)."""
    return 1.0 / (1.0 + objective.discount_rate)


def annuity_factors(objective: Objective, ramp_years: np.ndarray) -> np.ndarray:
    """A_p = sum_{k<L} delta^k * min(1, (k+1) / (ramp_p + 1)), one per project (years of full output)."""
    delta = discount_factor(objective)
    k = np.arange(objective.appraisal_years, dtype=float)
    ramp = np.minimum(1.0, (k[None, :] + 1.0) / (ramp_years[:, None].astype(float) + 1.0))
    return (ramp * delta ** k[None, :]).sum(axis=1)


def base_values(objective: Objective, projects: Projects) -> np.ndarray:
    """V_p in 万元: the undiscounted value of approving each project in the first horizon year."""
    w = objective.weights
    yearly = (
        w.get("output", 0.0) * projects.output
        + w.get("tax", 0.0) * projects.tax
        + w.get("jobs", 0.0) * projects.jobs
    )
    bonus = 1.0 + objective.strategic_bonus * projects.strategic.astype(float)
    return bonus * (
        w.get("investment", 0.0) * projects.investment
        + annuity_factors(objective, projects.ramp_years) * yearly
    )


def placement_value(
    objective: Objective,
    base_value: float | np.ndarray,
    year_index: int | np.ndarray,
    preferred: bool | np.ndarray,
) -> float | np.ndarray:
    """value = delta^t * V_p, less the relocation penalty outside the preferred place (万元); one
    placement, or element by element for arrays of base values, year indices and ``preferred`` flags."""
    value = discount_factor(objective) ** year_index * base_value
    return np.where(preferred, value, value * (1.0 - objective.relocation_penalty))
