"""Sweeps (参数扫描): solve one scenario for a range of values of one lever.

``quota-sim sweep [SCENARIO] --lever KEY (--values a,b,c | --range START:STOP:STEP)`` sets
the dotted scenario key KEY (as :func:`quota_sim.scenario.with_values` takes it, e.g.
``quotas.land.sources.plan.amounts`` — a single number then applies to every year —,
``quotas.nox.ratio``, ``quotas.energy.sources.rights.price``) to each value, solves every
variant in worker processes, and writes

- ``sweep.csv``: ``lever, value, status, objective, approved, land_used, output, tax, seconds``
  (objective, output and tax in 万元 or 万元/yr, land in mu);
- ``sweep.png``: objective, approved projects, output and tax against the lever, with the
  scenario's own value marked and, for a city land source, the value at which the queue's
  land demand is met (the yearly shortfall closed).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quota_sim.analysis.parallel import solve_many
from quota_sim.cells import csv_bytes
from quota_sim.errors import InputError
from quota_sim.grid import parse_value_list
from quota_sim.output_set import OutputSet, scenario_inputs
from quota_sim.projects import Projects, projects_for
from quota_sim.scenario import Scenario, with_values
from quota_sim.shortfall import land_balance
from quota_sim.supply import land_quota

SWEEP_FILES = ("sweep.csv", "sweep.png")
SWEEP_COLUMNS = ("lever", "value", "status", "objective", "approved", "land_used", "output", "tax", "seconds")
MAX_POINTS = 500


@dataclass(frozen=True)
class Markers:
    """Lever values worth marking on the chart (None when not applicable).

    ``baseline`` is the scenario's own value of the lever (the mean, when it differs by
    year); ``shortfall_closed`` the value of a city land source at which the whole horizon's
    supply meets the land the queue asks for (:func:`quota_sim.shortfall.land_balance`), and
    ``shortfall_per_year`` (mu) how far the scenario's supply falls short of that per year.
    """

    baseline: float | None
    shortfall_closed: float | None
    shortfall_per_year: float | None


def parse_range(text: str) -> list[float]:
    """``"START:STOP:STEP"`` -> START, START+STEP, ... up to and including STOP (STEP > 0)."""
    parts = text.split(":")
    try:
        start, stop, step = (float(part) for part in parts)
    except ValueError:
        raise InputError(f"'{text}' is not START:STOP:STEP with three numbers", column="--range") from None
    if not all(math.isfinite(v) for v in (start, stop, step)) or step <= 0 or stop < start:
        raise InputError(f"'{text}' needs STEP > 0 and STOP >= START", column="--range")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_POINTS:
        raise InputError(f"'{text}' gives {count} values, more than {MAX_POINTS}", column="--range")
    return [_tidy(start + i * step) for i in range(count)]


def parse_values(text: str) -> list[float]:
    """``"600,1200,2600"`` -> numbers; anything that is not a number is bad input."""
    values = parse_value_list(text, option="--values")
    numbers = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InputError(f"{value!r} is not a number: a sweep lever takes numbers", column="--values")
        numbers.append(_tidy(float(value)))
    if len(numbers) > MAX_POINTS:
        raise InputError(f"{len(numbers)} values, more than {MAX_POINTS}", column="--values")
    return numbers


def _tidy(value: float) -> float | int:
    """Drop float noise; whole numbers become ints so the TOML and the table read naturally."""
    value = round(value, 9)
    return int(value) if value == int(value) else value


def lever_value(scenario: Scenario, key: str) -> float | None:
    """The scenario's current value of ``key`` (mean over years for a list), None if unset or not numeric."""
    node: Any = scenario.raw
    for part in key.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list):
            node = next(
                (entry for entry in node if isinstance(entry, dict) and entry.get("id") == part), None
            )
        if node is None:
            return None
    if isinstance(node, list) and node and all(isinstance(v, int | float) for v in node):
        return float(np.mean(node))
    if isinstance(node, int | float) and not isinstance(node, bool):
        return float(node)
    return None


def sweep_markers(scenario: Scenario, projects: Projects, key: str) -> Markers:
    """The baseline value of the lever and, for a city land source's amounts, where the shortfall closes."""
    baseline = lever_value(scenario, key)
    parts = key.split(".")
    if (
        baseline is None
        or len(parts) != 5
        or parts[0] != "quotas"
        or parts[2] != "sources"
        or parts[4] != "amounts"
    ):
        return Markers(baseline, None, None)
    quota = next((q for q in scenario.quotas if q.id == parts[1]), None)
    source = next((s for s in quota.sources if s.id == parts[3]), None) if quota else None
    if quota is None or source is None or quota is not land_quota(scenario) or source.scope != "city":
        return Markers(baseline, None, None)
    balance = land_balance(scenario, projects)
    per_year = balance.shortfall if balance is not None else 0.0
    return Markers(baseline, baseline + max(per_year, 0.0), per_year)


def run_sweep(
    scenario: Scenario,
    key: str,
    values: list[float],
    *,
    projects: Projects | None = None,
    jobs: int = 2,
    solve_options: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Solve ``scenario`` with ``key`` set to each value; one table row per value (see SWEEP_COLUMNS).

    Every variant is validated before anything is solved, so a bad key or value raises
    :class:`~quota_sim.errors.InputError` with no work done.
    """
    variants = [with_values(scenario, {key: value}) for value in values]
    queue = projects if projects is not None else projects_for(scenario)
    outcomes = solve_many(variants, queue, dict(solve_options or {}), jobs)
    rows = []
    for value, outcome in zip(values, outcomes, strict=True):
        rows.append(
            {
                "lever": key,
                "value": value,
                "status": outcome["status"],
                **{column: outcome.get(column) for column in SWEEP_COLUMNS[3:]},
            }
        )
    return rows


def sweep_csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    return csv_bytes(SWEEP_COLUMNS, [[_cell(row.get(c)) for c in SWEEP_COLUMNS] for row in rows])


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 6)
    return value


def sweep_png_bytes(rows: list[dict[str, Any]], key: str, markers: Markers) -> bytes:
    """A 2 x 2 chart of objective, approved projects, output and tax against the lever (PNG).

    Labels are ASCII ("10k yuan" = 万元) so the chart renders without a CJK font.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    x = np.array([float(row["value"]) for row in rows])
    panels = (
        ("objective", "objective (10k yuan)"),
        ("approved", "approved projects"),
        ("output", "output (10k yuan/yr)"),
        ("tax", "tax (10k yuan/yr)"),
    )
    figure = Figure(figsize=(10, 7), dpi=100)
    axes = figure.subplots(2, 2, sharex=True)
    for ax, (column, label) in zip(axes.flat, panels, strict=True):
        y = np.array([np.nan if row.get(column) is None else float(row[column]) for row in rows])
        ax.plot(x, y, marker="o", color="tab:blue")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if markers.baseline is not None:
            ax.axvline(
                markers.baseline,
                color="tab:gray",
                linestyle="--",
                label=f"scenario value {markers.baseline:,.6g}",
            )
        if markers.shortfall_closed is not None:
            ax.axvline(
                markers.shortfall_closed, color="tab:red", linestyle=":",
                label=f"shortfall closed {markers.shortfall_closed:,.0f}",
            )
    for ax in axes[1]:
        ax.set_xlabel(key)
    if markers.baseline is not None or markers.shortfall_closed is not None:
        axes[0][0].legend(fontsize=8, loc="best")
    figure.suptitle(f"sweep of {key}")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def open_sweep_outputs(out_dir: str | Path, scenario: Scenario) -> OutputSet:
    """Check ``out_dir`` before the sweep runs and stage its outputs (see :class:`OutputSet`)."""
    return OutputSet.open(out_dir, "sweep", names=SWEEP_FILES, inputs=scenario_inputs(scenario))


def write_sweep(
    rows: list[dict[str, Any]], key: str, markers: Markers, out_dir: str | Path | OutputSet
) -> tuple[Path, Path]:
    """Write sweep.csv and sweep.png into ``out_dir`` as one set (an :class:`OutputSet` opened before
    the sweep, or a folder)."""
    outputs = (
        out_dir if isinstance(out_dir, OutputSet) else OutputSet.open(out_dir, "sweep", names=SWEEP_FILES)
    )
    with outputs:
        table, chart = outputs.commit(
            {"sweep.csv": sweep_csv_bytes(rows), "sweep.png": sweep_png_bytes(rows, key, markers)}
        )
    return table, chart
