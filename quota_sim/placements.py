"""Where and when each project may start (SPEC §2 and §5): its placements, before any quota is counted.

A placement is (zone, site, start year). Without sites the site is None and a project may start in
every zone it passes (screens and admission list) from its earliest year to its latest year (or the
horizon's end). With sites it may start on each of its candidate sites that lies in such a zone and
is at least as large as the project, from max(earliest_year, ready_year) to its latest year.

The model (:mod:`quota_sim.model`), the hand-ranking baselines and the reasons given for waiting
projects all enumerate placements here, so they agree on what a project may do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quota_sim.projects import Projects
from quota_sim.scenario import Scenario
from quota_sim.screens import eligible_zones
from quota_sim.sites import Sites

_AREA_TOL = 1e-9  # relative slack on "site area >= land"

Option = tuple[str, int | None, int]  # (zone id, site index or None, horizon year index)


def first_year_index(scenario: Scenario, projects: Projects) -> np.ndarray:
    """Per project, the first horizon year index allowed by ``earliest_year`` (0 when blank)."""
    earliest = projects.earliest_year.astype(int)
    return np.where(earliest > 0, np.maximum(earliest - scenario.start_year, 0), 0)


def last_year_index(scenario: Scenario, projects: Projects) -> np.ndarray:
    """Per project, the last horizon year index allowed by ``latest_year`` (years - 1 when blank;
    below the first index when no year is left)."""
    latest = projects.latest_year.astype(int)
    return np.where(
        latest > 0, np.minimum(latest - scenario.start_year, scenario.years - 1), scenario.years - 1
    )


def ready_year_index(scenario: Scenario, sites: Sites) -> np.ndarray:
    """Per site, the first horizon year index a project may start on it (0 when ready_year is blank)."""
    ready = sites.ready_year.astype(int)
    return np.where(ready > 0, np.maximum(ready - scenario.start_year, 0), 0)


def candidate_sites(sites: Sites, projects: Projects, p: int, zones: list[str]) -> list[int]:
    """Indices of the sites project ``p`` may use in ``zones`` (its passing zones): its named sites
    there, or every site of those zones when it names none; preferred first."""
    if projects.sites[p]:
        index = sites.index
        return [index[k] for k in projects.sites[p] if sites.zones[index[k]] in zones]
    return [k for z in zones for k in sites.in_zone(z)]


@dataclass
class PlacementSpace:
    """Every project's placements in a scenario, with the charges they would make.

    ``charges`` per quota is ratio * demand of every project; ``shares`` per quota is share_q(k)
    of every site (SPEC §5), empty without sites.
    """

    scenario: Scenario
    projects: Projects
    sites: Sites | None
    eligible: list[list[str]]  # per project, the candidate zones it passes
    failures: list[str]  # per project, what failed where it passes none ("" otherwise)
    first_year: np.ndarray  # per project, first horizon year index (may be >= years)
    last_year: np.ndarray  # per project, last horizon year index (may be < first_year)
    ready: np.ndarray | None  # per site, first horizon year index
    charges: dict[str, np.ndarray]
    shares: dict[str, np.ndarray]

    @classmethod
    def of(cls, scenario: Scenario, projects: Projects) -> PlacementSpace:
        sites = scenario.sites
        eligible, failures = eligible_zones(scenario, projects)
        return cls(
            scenario=scenario,
            projects=projects,
            sites=sites,
            eligible=eligible,
            failures=failures,
            first_year=first_year_index(scenario, projects),
            last_year=last_year_index(scenario, projects),
            ready=ready_year_index(scenario, sites) if sites is not None else None,
            charges={q.id: q.ratio * projects.demand[q.demand] for q in scenario.quotas},
            shares={q.id: sites.share(q.site_classes) for q in scenario.quotas} if sites is not None else {},
        )

    def charge(self, quota: str, p: int, site: int | None) -> float:
        """Units of ``quota`` project ``p`` charges on site index ``site`` (None: no sites)."""
        charge = float(self.charges[quota][p])
        if site is None or charge == 0:
            return charge
        return charge * float(self.shares[quota][site])

    def preferred(self, p: int, zone: str, site: int | None) -> bool:
        """Whether a placement escapes the relocation penalty: on the project's first named site, or
        (when it names none) in its first zone."""
        named = self.projects.sites[p] if self.sites is not None else ()
        if site is not None and named:
            return self.sites.ids[site] == named[0]
        return zone == self.projects.zones[p][0]

    def places(self, p: int) -> list[tuple[str, int | None, int]]:
        """(zone, site index or None, first year index) of every place project ``p`` may use, preferred
        first: each passing zone without sites; each large enough candidate site with them."""
        first = int(self.first_year[p])
        if self.sites is None:
            return [(z, None, first) for z in self.eligible[p]]
        land = float(self.projects.land_mu[p])
        return [
            (self.sites.zones[k], k, max(first, int(self.ready[k])))
            for k in candidate_sites(self.sites, self.projects, p, self.eligible[p])
            if self.sites.area_mu[k] >= land * (1 - _AREA_TOL)
        ]

    def options(self, p: int) -> list[Option]:
        """Every placement of project ``p`` (zone, site index or None, year index), place by place."""
        last = int(self.last_year[p])
        return [(z, k, t) for z, k, first in self.places(p) for t in range(first, last + 1)]

    def problem(self, p: int) -> str:
        """Why project ``p``, which passes some zone, has no placement at all ("" if it has one).

        In planners' words: its earliest year is after the horizon, its latest year comes before it
        can start, no site in its zones (or none of its named sites there), no site large enough, or
        none ready by its last year.
        """
        scenario = self.scenario
        first, last = int(self.first_year[p]), int(self.last_year[p])
        if first >= scenario.years:
            return "earliest_year after horizon"
        if last < first:
            return f"latest_year {int(self.projects.latest_year[p])} before it can start"
        if self.sites is None:
            return ""
        candidates = candidate_sites(self.sites, self.projects, p, self.eligible[p])
        if not candidates:
            return (
                "none of its sites in a zone it passes" if self.projects.sites[p] else "no site in its zones"
            )
        places = self.places(p)
        if not places:
            return f"no site large enough ({float(self.projects.land_mu[p]):g} mu)"
        if all(start > last for _z, _k, start in places):
            return f"no site large enough ready by {scenario.start_year + last}"
        return ""
