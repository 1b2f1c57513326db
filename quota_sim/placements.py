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

from quota_sim.errors import ModelTooLarge
from quota_sim.projects import Projects
from quota_sim.scenario import Scenario
from quota_sim.screens import eligible_zones
from quota_sim.sites import Sites

_AREA_TOL = 1e-9  # relative slack on "site area >= land"
# Most placements a model may have. Memory grows with them (about 2 KB each while HiGHS solves: the
# 311,093 placements of 5,000 projects on 300 parcels peak at 0.7 GB), and on parcels they grow as
# projects x sites, so a large queue with no named sites could otherwise take all the memory there is.
MAX_PLACEMENTS = 5_000_000

Option = tuple[str, int | None, int]  # (zone id, site index or None, horizon year index)
_EMPTY = np.zeros(0, dtype=np.int64)


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


def candidate_sites(sites: Sites, projects: Projects, p: int, zones: list[str]) -> np.ndarray:
    """Indices of the sites project ``p`` may use in ``zones`` (its passing zones): its named sites
    there, or every site of those zones when it names none; preferred first."""
    if projects.sites[p]:
        index = sites.index
        named = [index[k] for k in projects.sites[p] if sites.zones[index[k]] in zones]
        return np.array(named, dtype=np.int64)
    return np.array([k for z in zones for k in sites.in_zone(z)], dtype=np.int64)


@dataclass(frozen=True)
class PlacementTable:
    """Placements of many projects as arrays, one entry per placement, project by project (in the
    order asked), place by place (preferred first), year by year."""

    project: np.ndarray  # project index
    zone: np.ndarray  # zone index in the scenario's zones
    site: np.ndarray  # site index, -1 without sites
    year: np.ndarray  # horizon year index
    preferred: np.ndarray  # bool: escapes the relocation penalty

    def __len__(self) -> int:
        return len(self.project)

    def subset(self, keep: np.ndarray) -> PlacementTable:
        """The placements where ``keep`` (a bool mask) holds, in the same order."""
        arrays = (self.project, self.zone, self.site, self.year, self.preferred)
        return PlacementTable(*(a[keep] for a in arrays))


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
    zone_index: dict[str, int]  # zone id -> its index in the scenario's zones
    site_zone: np.ndarray | None  # per site, the index of its zone
    preferred_site: np.ndarray  # per project, the index of its first named site (-1: none, or no sites)
    preferred_zone: np.ndarray  # per project, the index of its first zone

    @classmethod
    def of(cls, scenario: Scenario, projects: Projects) -> PlacementSpace:
        sites = scenario.sites
        eligible, failures = eligible_zones(scenario, projects)
        zone_index = {z: i for i, z in enumerate(scenario.zone_ids())}
        named = [s[0] if sites is not None and s else None for s in projects.sites]
        site_zone = None if sites is None else np.array([zone_index[z] for z in sites.zones], dtype=np.int64)
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
            zone_index=zone_index,
            site_zone=site_zone,
            preferred_site=np.array([-1 if k is None else sites.index[k] for k in named], dtype=np.int64),
            preferred_zone=np.array([zone_index.get(z[0], -1) for z in projects.zones], dtype=np.int64),
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
        named = int(self.preferred_site[p])
        if site is not None and named >= 0:
            return site == named
        return self.zone_index[zone] == self.preferred_zone[p]

    def place_arrays(self, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Zone index, site index (-1 without sites) and first year index of every place project ``p``
        may use, preferred first: each passing zone without sites; each large enough candidate site
        with them."""
        first = int(self.first_year[p])
        if self.sites is None:
            zones = np.array([self.zone_index[z] for z in self.eligible[p]], dtype=np.int64)
            return zones, np.full(len(zones), -1, dtype=np.int64), np.full(len(zones), first, dtype=np.int64)
        land = float(self.projects.land_mu[p])
        candidates = candidate_sites(self.sites, self.projects, p, self.eligible[p])
        k = candidates[self.sites.area_mu[candidates] >= land * (1 - _AREA_TOL)]
        return self.site_zone[k], k, np.maximum(first, self.ready[k])

    def places(self, p: int) -> list[tuple[str, int | None, int]]:
        """(zone, site index or None, first year index) of every place project ``p`` may use, preferred
        first (:meth:`place_arrays` as ids)."""
        zones, sites, first = self.place_arrays(p)
        zone_ids = self.scenario.zone_ids()
        return [
            (zone_ids[z], None if k < 0 else k, t)
            for z, k, t in zip(zones.tolist(), sites.tolist(), first.tolist(), strict=True)
        ]

    def table(self, chosen: np.ndarray) -> PlacementTable:
        """Every placement of the projects ``chosen`` (indices, in order), as arrays."""
        parts, count = [], 0
        for done, p in enumerate(chosen.tolist()):
            zone, site, first = self.place_arrays(p)
            count += int(np.maximum(self.last_year[p] - first + 1, 0).sum())
            if count > MAX_PLACEMENTS:
                raise ModelTooLarge(
                    f"the model would have more than {MAX_PLACEMENTS:,} placements (project x site x start "
                    f"year) after {done + 1:,} of {len(chosen):,} projects; name each project's sites "
                    "(the 'site' column), narrow its candidate zones, or split the queue"
                )
            parts.append((p, zone, site, first))
        project = np.concatenate([np.full(len(z), p, dtype=np.int64) for p, z, _k, _f in parts] or [_EMPTY])
        zone = np.concatenate([z for _p, z, _k, _f in parts] or [_EMPTY])
        site = np.concatenate([k for _p, _z, k, _f in parts] or [_EMPTY])
        first = np.concatenate([f for _p, _z, _k, f in parts] or [_EMPTY])
        # Each place spans its first year to the project's last: repeat it once per year.
        spans = np.maximum(self.last_year[project] - first + 1, 0)
        offsets = np.repeat(np.cumsum(spans) - spans, spans)
        year = np.repeat(first, spans) + np.arange(int(spans.sum()), dtype=np.int64) - offsets
        project, zone, site = (np.repeat(a, spans) for a in (project, zone, site))
        named = self.preferred_site[project]
        preferred = np.where(named >= 0, site == named, zone == self.preferred_zone[project])
        return PlacementTable(project, zone, site, year, preferred)

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
        if not len(candidates):
            return (
                "none of its sites in a zone it passes" if self.projects.sites[p] else "no site in its zones"
            )
        _zones, _sites, starts = self.place_arrays(p)
        if not len(starts):
            return f"no site large enough ({float(self.projects.land_mu[p]):g} mu)"
        if np.all(starts > last):
            return f"no site large enough ready by {scenario.start_year + last}"
        return ""
