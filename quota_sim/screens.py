"""Entry screens (SPEC §2) and admission lists (SPEC §5): which candidate zones a project may use,
and why not."""

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


def admission_text(zone: Zone, industry: str) -> str:
    """Why a zone's admission list refuses a project, e.g. ``chengnan: industry 再生铅 not admitted``."""
    return f"{zone.id}: industry {industry or '(blank)'} not admitted"


def eligible_zones(scenario: Scenario, projects: Projects) -> tuple[list[list[str]], list[str]]:
    """Per project, the candidate zones it passes (preferred first): the zone's screens and its
    admission list; if none, what failed in each zone."""
    zones = {z.id: z for z in scenario.zones}
    eligible: list[list[str]] = []
    failures: list[str] = []
    for p in range(len(projects)):
        inv, tax, land = projects.investment[p], projects.tax[p], projects.land_mu[p]
        industry = projects.industries[p]
        ok = [z for z in projects.zones[p] if passes(zones[z], inv, tax, land) and zones[z].admits(industry)]
        eligible.append(ok)
        reasons = [
            failure_text(zones[z], inv, tax, land)
            if not passes(zones[z], inv, tax, land)
            else admission_text(zones[z], industry)
            for z in projects.zones[p]
        ]
        failures.append("" if ok else "; ".join(reasons))
    return eligible, failures
