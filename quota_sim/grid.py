"""Scenario grids: one scenario expanded over a product of parameter values.

Each axis is a dotted scenario key (as accepted by :func:`quota_sim.scenario.with_values`)
and the values it takes. Every combination becomes a standalone, validated scenario
whose name says which values it holds, e.g. ``baseline__plan-1200__nox-ratio-2``, and
can be written out as a TOML file that ``quota-sim run`` reads on its own.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quota_sim.errors import InputError
from quota_sim.output_set import OutputSet, scenario_inputs
from quota_sim.scenario import Scenario, scenario_to_toml, with_values

# Key parts that only say where a value sits in the TOML, not what it is.
_STRUCTURAL_PARTS = frozenset({"quotas", "sources", "zones"})
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class GridAxis:
    """One parameter of a grid: a dotted scenario key and the values it takes."""

    key: str
    values: tuple[Any, ...]


def parse_value_list(text: str, *, option: str = "--set") -> list[Any]:
    """Parse ``"600,1200,2600"`` into ``[600, 1200, 2600]``.

    Values are separated by commas outside brackets and quotes; each one is read as a
    TOML value (numbers, booleans, arrays such as ``[600,700]``, quoted strings), and a
    bare word that is not valid TOML (``cbc``) is taken as a string.

    Raises
    ------
    InputError
        If the text holds an empty value or unbalanced brackets.
    """
    parts: list[str] = []
    depth = 0
    quote = ""
    current: list[str] = []
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth < 0:
                raise InputError(f"unbalanced brackets in '{text}'", column=option)
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if depth != 0 or quote:
        raise InputError(f"unbalanced brackets or quotes in '{text}'", column=option)
    parts.append("".join(current))
    values = []
    for part in parts:
        part = part.strip()
        if not part:
            raise InputError(f"empty value in '{text}'", column=option)
        values.append(_parse_one(part))
    return values


def _parse_one(text: str) -> Any:
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def parse_axis(assignment: str) -> GridAxis:
    """Parse one ``--set KEY=V1,V2,...`` argument into a :class:`GridAxis`."""
    key, sep, values = assignment.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError(f"expected KEY=VALUE[,VALUE...], got '{assignment}'", column="--set")
    return GridAxis(key, tuple(parse_value_list(values)))


def axis_labels(keys: Sequence[str]) -> list[str]:
    """Short labels for grid keys, used in the names of the expanded scenarios.

    A source's amounts are labelled by the source id (``quotas.land.sources.plan.amounts``
    -> ``plan``); any other key by its last two meaningful parts (``quotas.nox.ratio`` ->
    ``nox-ratio``, ``objective.weights.tax`` -> ``weights-tax``), ignoring the words
    ``quotas``, ``sources`` and ``zones``. When two keys would get the same label, every
    key is labelled by all its meaningful parts instead.
    """
    meaningful = [[p for p in key.split(".") if p not in _STRUCTURAL_PARTS] for key in keys]
    short = []
    for parts in meaningful:
        if len(parts) > 1 and parts[-1] == "amounts":
            short.append(parts[-2])
        else:
            short.append("-".join(parts[-2:]))
    if len(set(short)) == len(short):
        return short
    return ["-".join(parts) for parts in meaningful]


def format_value(value: Any) -> str:
    """A value as it appears in a scenario name: ``1200``, ``1p5``, ``600_700``, ``true``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    if isinstance(value, int | float):
        return str(value).replace(".", "p").replace("+", "")
    if isinstance(value, list | tuple):
        return "_".join(format_value(v) for v in value)
    if isinstance(value, dict):
        return "_".join(f"{k}-{format_value(v)}" for k, v in value.items())
    return _NAME_UNSAFE.sub("_", str(value)).strip("_") or "x"


def expand_grid(scenario: Scenario, axes: Sequence[GridAxis]) -> list[Scenario]:
    """Every combination of the axes' values applied to ``scenario``, in product order.

    Each variant is validated like a scenario file and named
    ``<name>__<label>-<value>__...`` (see :func:`axis_labels` and :func:`format_value`).

    Raises
    ------
    InputError
        If there is no axis, an axis has no value, a key appears twice, a combination
        is not a valid scenario, or two combinations would get the same name.
    """
    if not axes:
        raise InputError("a grid needs at least one --set KEY=VALUES", column="--set")
    keys = [axis.key for axis in axes]
    if len(set(keys)) != len(keys):
        raise InputError("a key is given twice", column="--set")
    for axis in axes:
        if not axis.values:
            raise InputError(f"no value for '{axis.key}'", column="--set")
    labels = axis_labels(keys)
    variants = []
    seen: set[str] = set()
    for combination in itertools.product(*(axis.values for axis in axes)):
        name = "__".join(
            [scenario.name]
            + [f"{label}-{format_value(v)}" for label, v in zip(labels, combination, strict=True)]
        )
        if name in seen:
            raise InputError(f"two combinations would both be named '{name}'", column="--set")
        seen.add(name)
        changes: dict[str, Any] = dict(zip(keys, combination, strict=True))
        changes["name"] = name
        variants.append(with_values(scenario, changes))
    return variants


def write_grid(scenario: Scenario, axes: Sequence[GridAxis], out_dir: str | Path) -> list[Path]:
    """Expand ``scenario`` over ``axes`` and write one standalone TOML per combination.

    Files are named ``<variant name>.toml`` in ``out_dir``; the projects path in each is
    relative to ``out_dir``. Every combination is validated before any file is written,
    and the files are written as one set (:class:`~quota_sim.output_set.OutputSet`): never over a file
    quota-sim did not write, and a file an earlier grid wrote there and this one does not is removed.

    Returns
    -------
    list[Path]
        The files written, in product order.
    """
    out = Path(out_dir)
    variants = expand_grid(scenario, axes)
    files = {f"{v.name}.toml": scenario_to_toml(v, relative_to=out).encode("utf-8") for v in variants}
    opened = OutputSet.open(
        out, "grid", names=files, inputs=scenario_inputs(scenario), refuse_input_folder=False
    )
    with opened as outputs:
        return outputs.commit(files)
