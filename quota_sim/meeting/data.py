"""The result's tables as the meeting pack reads them: from a result in memory or a results folder.

Both ways go through the bytes of the run's files, so ``run --report`` and ``quota-sim report DIR``
build the same workbook and report from the same numbers.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from quota_sim.errors import InputError
from quota_sim.output_set import read_manifest, read_trusted

REQUIRED_FILES = ("summary.json", "allocation.csv", "quota_use.csv", "attribution.csv")
OPTIONAL_FILES = ("marginal_values.csv",)
_TEXT_COLUMNS = {"id", "name", "status", "zone", "site", "reason", "quota", "source", "method", "grade"}
_INT_COLUMNS = {"start_year", "year"}


@dataclass
class MeetingData:
    """summary.json and the run's tables as lists of dicts (numbers as float, years as int)."""

    summary: dict[str, Any]
    allocation: list[dict[str, Any]]
    quota_use: list[dict[str, Any]]
    attribution: list[dict[str, Any]]
    marginal: list[dict[str, Any]]

    @property
    def facts(self) -> dict[str, Any]:
        return self.summary["planner"]

    def quota(self, quota_id: str) -> dict[str, Any]:
        """A quota's names, unit and sources as the planner block records them."""
        return self._quotas[quota_id]

    def source(self, quota_id: str, source_id: str) -> dict[str, Any]:
        return self._sources[quota_id, source_id]

    @cached_property
    def _quotas(self) -> dict[str, dict[str, Any]]:
        return {q["id"]: q for q in self.facts["quotas"]}

    @cached_property
    def _sources(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {(q["id"], s["id"]): s for q in self.facts["quotas"] for s in q["sources"]}

    @classmethod
    def from_files(cls, files: dict[str, bytes], label: str = "results") -> MeetingData:
        """From the bytes of the run's files (name -> content)."""
        missing = [name for name in REQUIRED_FILES if name not in files]
        if missing:
            raise InputError(
                f"the results folder lacks {', '.join(missing)} (written by a solved `run`)", file=label
            )
        try:
            summary = json.loads(files["summary.json"].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(f"summary.json is not readable JSON ({error})", file=label) from None
        if not isinstance(summary, dict) or "planner" not in summary or "kpi" not in summary:
            raise InputError(
                "summary.json has no planner block: write it again with `quota-sim run`", file=label
            )
        return cls(
            summary=summary,
            allocation=_table(files["allocation.csv"], f"{label}/allocation.csv"),
            quota_use=_table(files["quota_use.csv"], f"{label}/quota_use.csv"),
            attribution=_table(files["attribution.csv"], f"{label}/attribution.csv"),
            marginal=_table(files.get("marginal_values.csv", b""), f"{label}/marginal_values.csv"),
        )

    @classmethod
    def from_folder(cls, folder: str | Path) -> MeetingData:
        """From a results folder written by ``quota-sim run``."""
        return cls.from_files(folder_files(folder), str(folder))

    @classmethod
    def from_result(cls, result) -> MeetingData:
        """From a solved :class:`~quota_sim.results.Result` (what the run writes, without writing it)."""
        from quota_sim.export import data_files

        return cls.from_files(data_files(result))


def folder_files(folder: str | Path) -> dict[str, bytes]:
    """The files of the last run in ``folder`` (name -> bytes), as its manifest lists them: a file changed
    since the run, or missing, is left out (and a required one is then reported missing)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a results folder", file=folder)
    names = read_manifest(folder, "run")
    if names is None:
        raise InputError("no run manifest here: not a results folder written by `quota-sim run`", file=folder)
    files = {name: read_trusted(folder, "run", name) for name in names}
    return {name: data for name, data in files.items() if data is not None}


def _table(data: bytes, label: str) -> list[dict[str, Any]]:
    if not data:
        return []
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    rows = []
    for line, raw in enumerate(reader, start=2):
        row: dict[str, Any] = {}
        for key, cell in raw.items():
            if key in _TEXT_COLUMNS or key is None:
                row[key] = cell
            elif cell in ("", None):
                row[key] = None
            else:
                try:
                    row[key] = int(cell) if key in _INT_COLUMNS else float(cell)
                except ValueError:
                    raise InputError(f"not a number: {cell!r}", file=label, row=line, column=key) from None
        rows.append(row)
    return rows
