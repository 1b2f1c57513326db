"""Solved settings kept in the scenario library, so a setting solved once is not solved again after the
server restarts (a link, the baseline at start-up).

A result is kept as JSON (never pickle: the library is a shared file), under a key made of the
setting's TOML and the code that solved it (every ``quota_sim`` source file and the solver
versions), so a changed program never shows a result of its predecessor. A result is kept only if it
reads back exactly as it is (JSON has no tuples, integer keys or NumPy integers); the scenario and
its queue are read again from the TOML, as a solve does.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from quota_sim.app_state import scenario_from_toml
from quota_sim.projects import projects_for
from quota_sim.results import AllocationRow, QuotaUseRow, Result, SiteRow
from quota_sim.scenario import SolverSettings

_ROWS = {"allocation": AllocationRow, "quota_use": QuotaUseRow, "site_use": SiteRow}
_PLAIN = (
    "status", "objective", "best_bound", "gap", "solver", "seconds", "kpi", "versions", "message", "extras",
)


@functools.cache
def code_fingerprint() -> str:
    """16 hex digits of the SHA-256 of every ``quota_sim`` source file and the solver packages' versions."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0" + path.read_bytes())
    for name in ("highspy", "pulp", "numpy"):
        try:
            digest.update(f"{name} {metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(name.encode())
    return digest.hexdigest()[:16]


def result_key(toml_text: str, uploads: Path | None = None) -> str:
    """The key a result of the setting ``toml_text`` is kept under (the setting and the code).

    ``uploads`` is the server's upload folder (new at each start), where an uploaded or pinned queue
    is kept under the hash of its content: the key names such a file by its place in that folder, so
    a setting reading one finds its result again after a restart, once its link has put the same
    file back."""
    if uploads is not None:
        toml_text = toml_text.replace(str(uploads), "<uploads>")
    return hashlib.sha256(f"{code_fingerprint()}\0{toml_text}".encode()).hexdigest()[:32]


def result_json(result: Result) -> str | None:
    """``result`` as JSON text, or None if it would not read back exactly as it is."""
    record: dict[str, Any] = {name: getattr(result, name) for name in _PLAIN}
    record["settings"] = dataclasses.asdict(result.settings)
    for name in _ROWS:
        record[name] = [dataclasses.asdict(row) for row in getattr(result, name)]
    try:
        text = json.dumps(record, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        return None
    return text if json.loads(text) == record else None


def result_from_json(text: str, toml_text: str) -> Result:
    """The result kept as ``text`` for the setting ``toml_text`` (its scenario and queue read again).

    Raises
    ------
    quota_sim.errors.InputError
        If the setting's queue can no longer be read (e.g. its file is gone).
    """
    record = json.loads(text)
    scenario = scenario_from_toml(toml_text)
    rows = {name: [kind(**row) for row in record[name]] for name, kind in _ROWS.items()}
    return Result(
        scenario=scenario,
        projects=projects_for(scenario),
        settings=SolverSettings(**record["settings"]),
        **{name: record[name] for name in _PLAIN},
        **rows,
    )
