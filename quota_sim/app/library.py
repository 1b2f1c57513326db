"""The scenario library: settings the planners solved and saved, shared by everyone using one server.

One SQLite file, ``library.sqlite3``, under the data folder (:func:`data_folder`: ``$QUOTA_SIM_DATA``,
else the user's data directory). Each setting — a scenario file, an uploaded queue, the lever values
and the pins — has an id made from its content, so the page's URL (``?setting=<id>``)
restores it after a refresh or in a colleague's browser. A setting may carry a name (the saved
settings the comparison offers; names are unique) and a snapshot of its result (figures, each
project's status) so comparisons need no new solve.

An uploaded queue is named in a setting by its key (``<content hash>/<file name>``, see
:func:`upload_key`) and its content is kept in the library too (each file at most 20 MB, the
uploads together at most ``MAX_STORED_UPLOAD_BYTES``: the oldest ones no saved setting names go
first), so a link restores it after the server restarts.

The results of solved settings are kept too (:mod:`quota_sim.app.stored_results`: JSON keyed by
the setting and the code, at most ``MAX_STORED_RESULTS``, the ones used longest ago go first), so a
setting solved once is not solved again after a restart.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quota_sim.upload_store import MAX_UPLOAD_BYTES

#: Environment variable naming the data folder (``quota-sim app --data-dir`` sets it).
DATA_ENV = "QUOTA_SIM_DATA"
FILE_NAME = "library.sqlite3"
#: The uploads kept for restoring settings, together (bytes).
MAX_STORED_UPLOAD_BYTES = 200 * 1024 * 1024
#: The solved results kept (about 0.1–0.5 MB each for the baseline's 220 projects).
MAX_STORED_RESULTS = 300

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS settings (
    id TEXT PRIMARY KEY,
    name TEXT UNIQUE,
    saved REAL NOT NULL,
    setting TEXT NOT NULL,
    toml TEXT NOT NULL,
    snapshot TEXT
)
""",
    """
CREATE TABLE IF NOT EXISTS uploads (
    key TEXT PRIMARY KEY,
    used REAL NOT NULL,
    data BLOB NOT NULL
)
""",
    """
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    used REAL NOT NULL,
    result TEXT NOT NULL
)
""",
)


def data_folder() -> Path:
    """Where the app keeps its library and pinned queues: ``$QUOTA_SIM_DATA`` or the user data directory."""
    configured = os.environ.get(DATA_ENV)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("quota-sim", appauthor=False))


@dataclass(frozen=True)
class Setting:
    """What restores a page: ``scenario`` (a shipped scenario's file name), ``projects`` (an uploaded
    queue's :func:`upload_key`, or None), ``levers`` (``app_state.levers_to_dict``) and ``pins``."""

    scenario: str
    projects: str | None
    levers: dict[str, Any]
    pins: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        """16 hex digits of the SHA-256 of the setting's content."""
        text = json.dumps(
            {"scenario": self.scenario, "projects": self.projects, "levers": self.levers, "pins": self.pins},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Entry:
    """A stored setting: its id, name (None if unnamed), save time (s since the epoch), TOML and snapshot."""

    id: str
    name: str | None
    saved: float
    setting: Setting
    toml: str
    snapshot: dict[str, Any] | None


class NameTaken(Exception):
    """Another setting already has this name."""


class Library:
    """The settings stored in one SQLite file (safe for several sessions and processes at once)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            for statement in _SCHEMA:
                db.execute(statement)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def put(self, setting: Setting, toml: str, snapshot: dict[str, Any] | None = None) -> str:
        """Store ``setting`` (keeping its name if it has one); returns its id."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO settings (id, name, saved, setting, toml, snapshot) "
                "VALUES (?, NULL, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET toml = excluded.toml, "
                "snapshot = COALESCE(excluded.snapshot, settings.snapshot)",
                (
                    setting.id,
                    time.time(),
                    _json(setting.__dict__),
                    toml,
                    None if snapshot is None else _json(snapshot),
                ),
            )
        return setting.id

    def get(self, setting_id: str) -> Entry | None:
        """The setting stored under ``setting_id``, or None."""
        with self._connect() as db:
            row = db.execute(
                "SELECT id, name, saved, setting, toml, snapshot FROM settings WHERE id = ?", (setting_id,)
            ).fetchone()
        return None if row is None else _entry(row)

    def by_name(self, name: str) -> Entry | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT id, name, saved, setting, toml, snapshot FROM settings WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else _entry(row)

    def named(self) -> list[Entry]:
        """The saved settings (those with a name), oldest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, name, saved, setting, toml, snapshot FROM settings "
                "WHERE name IS NOT NULL ORDER BY saved"
            ).fetchall()
        return [_entry(row) for row in rows]

    def name(self, setting_id: str, name: str, replace: bool = False) -> None:
        """Give a stored setting ``name``. Raises :class:`NameTaken` if another setting has it, unless
        ``replace``, which takes the name from that setting."""
        with self._connect() as db:
            holder = db.execute("SELECT id FROM settings WHERE name = ?", (name,)).fetchone()
            if holder is not None and holder[0] != setting_id:
                if not replace:
                    raise NameTaken(name)
                db.execute("UPDATE settings SET name = NULL WHERE id = ?", (holder[0],))
            db.execute(
                "UPDATE settings SET name = ?, saved = ? WHERE id = ?", (name, time.time(), setting_id)
            )

    def unname(self, name: str) -> None:
        """Take ``name`` off the library's list (the setting's URL keeps working)."""
        with self._connect() as db:
            db.execute("UPDATE settings SET name = NULL WHERE name = ?", (name,))

    def keep_upload(self, key: str, data: bytes) -> None:
        """Keep an uploaded queue's content under its :func:`upload_key` (refreshed if kept already).

        Files over 20 MB are not kept; past ``MAX_STORED_UPLOAD_BYTES`` in all, the uploads used
        longest ago that no saved setting names are dropped (their links then say so)."""
        if len(data) > MAX_UPLOAD_BYTES:
            return
        with self._connect() as db:
            db.execute(
                "INSERT INTO uploads (key, used, data) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET used = excluded.used",
                (key, time.time(), data),
            )
            total = db.execute("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM uploads").fetchone()[0]
            if total <= MAX_STORED_UPLOAD_BYTES:
                return
            named = {
                json.loads(row[0]).get("projects")
                for row in db.execute("SELECT setting FROM settings WHERE name IS NOT NULL")
            }
            rows = db.execute("SELECT key, LENGTH(data) FROM uploads ORDER BY used").fetchall()
            for old, size in rows:
                if total <= MAX_STORED_UPLOAD_BYTES:
                    break
                if old != key and old not in named:
                    db.execute("DELETE FROM uploads WHERE key = ?", (old,))
                    total -= size

    def upload(self, key: str) -> bytes | None:
        """The content of the upload kept under ``key``, or None."""
        with self._connect() as db:
            row = db.execute("SELECT data FROM uploads WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def keep_result(self, key: str, result: str) -> None:
        """Keep a solved setting's result (JSON) under ``key``; past ``MAX_STORED_RESULTS`` the ones
        used longest ago go."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO results (key, used, result) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET used = excluded.used, result = excluded.result",
                (key, time.time(), result),
            )
            db.execute(
                "DELETE FROM results WHERE key NOT IN (SELECT key FROM results ORDER BY used DESC LIMIT ?)",
                (MAX_STORED_RESULTS,),
            )

    def result(self, key: str) -> str | None:
        """The result kept under ``key`` (JSON), or None; marks it as used."""
        with self._connect() as db:
            row = db.execute("SELECT result FROM results WHERE key = ?", (key,)).fetchone()
            if row is not None:
                db.execute("UPDATE results SET used = ? WHERE key = ?", (time.time(), key))
        return None if row is None else row[0]


def upload_key(path: str | Path) -> str:
    """How a setting names an uploaded queue kept in the upload store: ``<content hash>/<file name>``
    (the last two parts of its path there), the same after a restart."""
    return "/".join(Path(path).parts[-2:])


_OLD_QUEUE = re.compile(r"projects-([0-9a-f]{16})\.(csv|txt|xlsx|xlsm|xls)")


def remove_old_pinned_queues(folder: Path) -> list[Path]:
    """Remove the pinned queues earlier versions of the app wrote into ``folder`` (the data folder's
    ``queues/``): only files named ``projects-<hash>.<ext>`` whose content has that hash, then the
    folder if nothing else is in it. Pinned queues now live with the session's uploads."""
    removed: list[Path] = []
    if folder.is_symlink() or not folder.is_dir():
        return removed
    for path in folder.iterdir():
        found = _OLD_QUEUE.fullmatch(path.name)
        if found is None or path.is_symlink() or not path.is_file():
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest()[:16] == found.group(1):
            path.unlink()
            removed.append(path)
    try:
        folder.rmdir()
    except OSError:
        pass  # something the app did not write is still there: left alone
    return removed


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _entry(row: tuple) -> Entry:
    setting_id, name, saved, setting, toml, snapshot = row
    return Entry(
        setting_id,
        name,
        saved,
        Setting(**json.loads(setting)),
        toml,
        None if snapshot is None else json.loads(snapshot),
    )
