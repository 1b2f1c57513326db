"""Entry screens (SPEC §2): which of its candidate zones a project may use, and why not."""

from __future__ import annotations

from quota_sim.projects import Projects
from quota_sim.scenario import Scenario, Zone

# Relative slack on screen thresholds so that e.g. 6000 万元 / 30 mu >= 200 is not lost to rounding.
_REL_TOL = 1e-9


def _at_least(value: float, threshold: float) -> bool:
    return value >= threshold * (1 - _REL_TOL) - 1e-12


def passes(zone: Zone, investment: float, tax: float, land_mu: float) -> bool:
    """True if a project with this investment (万元), tax (万元/yr) and land (mu) passes ``zone``.

    With both thresholds set, either one suffices; with one set, that one must hold.
    """
    checks = []
    if zone.min_investment_intensity is not None:
        checks.append(_at_least(investment / land_mu, zone.min_investment_intensity))
    if zone.min_tax_per_mu is not None:
        checks.append(_at_least(tax / land_mu, zone.min_tax_per_mu))
    return not checks or any(checks)


def failure_text(zone: Zone, investment: float, tax: float, land_mu: float) -> str:
    """Why a project fails ``zone``'s screens, e.g. ``tianying: investment 120.0<200 万元/mu``."""
    parts = []
    if zone.min_investment_intensity is not None:
        parts.append(f"investment {investment / land_mu:.1f}<{zone.min_investment_intensity:g} 万元/mu")
    if zone.min_tax_per_mu is not None:
        parts.append(f"tax {tax / land_mu:.1f}<{zone.min_tax_per_mu:g} 万元/mu/yr")
    return f"{zone.id}: " + " and ".join(parts)


def eligible_zones(scenario: Scenario, projects: Projects) -> tuple[list[list[str]], list[str]]:
    """Per project, the candidate zones it passes (preferred first) and, if none, the failed screens."""
    zones = {z.id: z for z in scenario.zones}
    eligible: list[list[str]] = []
    failures: list[str] = []
    for p in range(len(projects)):
        inv, tax, land = projects.investment[p], projects.tax[p], projects.land_mu[p]
        ok = [z for z in projects.zones[p] if passes(zones[z], inv, tax, land)]
        eligible.append(ok)
        failures.append(
            "" if ok else "; ".join(failure_text(zones[z], inv, tax, land) for z in projects.zones[p])
        )
    return eligible, failures
