"""The projects queue (SPEC §1.2): reading CSV/XLSX, checking every cell."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

LOCK_VALUES = ("in", "out", "")


@dataclass(frozen=True)
class Projects:
    """The queue, one entry per project in input order.

    Money in 万元, land in mu. Arrays are aligned with ``ids``.
    ``earliest_year`` is 0 where the table leaves it blank (start at the horizon's first year).
    ``demand`` holds every numeric column a quota may charge (``land_mu`` included),
    blank cells read as 0.
    """

    path: Path
    ids: list[str]
    names: list[str]
    industries: list[str]
    industry_codes: list[str]
    zones: list[tuple[str, ...]]  # candidate zones; the first is preferred
    land_mu: np.ndarray
    investment: np.ndarray  # 万元
    output: np.ndarray  # 万元 per year at full production
    tax: np.ndarray  # 万元 per year at full production
    jobs: np.ndarray
    strategic: np.ndarray  # bool
    earliest_year: np.ndarray  # int, calendar year; 0 = no constraint
    ramp_years: np.ndarray  # int >= 0
    lock: list[str]  # "in", "out" or ""
    queued_since: list[str]  # ISO date or ""
    demand: dict[str, np.ndarray] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)  # spreadsheet row of each project (header = 1)

    def __len__(self) -> int:
        return len(self.ids)
