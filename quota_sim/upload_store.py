"""Where the app keeps uploaded tables: a private folder of the server process.

- The folder is made fresh for each server process by ``tempfile.mkdtemp`` (mode 0700, a name no one
  can guess or plant in advance) and removed when the process ends; folders left by server processes
  that died are removed when a new one starts (only folders of this user whose process is gone).
- Each upload is written with exclusive creation, never following a symbolic link, mode 0600, into
  a sub-folder named by its content hash, under the user's own file name (made safe), so messages
  and captions show the name the user knows.
- A session's earlier uploads are removed when it uploads another table, and all of them when the
  session ends: the page keeps a :class:`Session` in its session state, and when the server drops
  that state the uploads go with it.
- The size is bounded (``MAX_UPLOAD_BYTES``) before anything is written or parsed.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import re
import shutil
import stat
import tempfile
import threading
import uuid
import weakref
from pathlib import Path

from quota_sim.errors import InputError

MAX_UPLOAD_MB = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
_PREFIX = "quota-sim-uploads-"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_MAX_NAME = 120


def safe_file_name(name: str, default: str = "projects.csv") -> str:
    """The last part of an uploaded file's name, without control or path characters, not hidden."""
    base = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    if not base:
        return default
    stem, dot, suffix = base.rpartition(".")
    if dot and len(suffix) <= 8:
        return stem[: _MAX_NAME - len(suffix) - 1] + "." + suffix
    return base[:_MAX_NAME]


class Session:
    """A page session's handle on the store: its uploads are removed when the handle is dropped."""

    def __init__(self, store: UploadStore) -> None:
        self.id = uuid.uuid4().hex
        self.store = store
        weakref.finalize(self, store.forget_session, self.id)

    def save(self, data: bytes, filename: str, replaces: str | Path | None = None) -> Path:
        """Keep an accepted upload (see :meth:`UploadStore.save`); the one it ``replaces`` goes."""
        path = self.store.save(data, filename, self.id)
        if replaces is not None and Path(replaces) != path:
            self.store.release(self.id, Path(replaces))
        return path


class UploadStore:
    """The uploads of one server process, in a private temporary folder."""

    def __init__(self, parent: str | Path | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getuid()}-{os.getpid()}-", dir=parent))
        self._lock = threading.Lock()
        self._sessions: dict[str, set[Path]] = {}

    def session(self) -> Session:
        """A handle for one page session (keep it in the session's state)."""
        return Session(self)

    def save(self, data: bytes, filename: str, session: str = "") -> Path:
        """Keep ``data`` (an accepted upload) and return its path, named after ``filename``.

        Raises
        ------
        InputError
            If the upload is larger than ``MAX_UPLOAD_BYTES``.
        """
        if len(data) > MAX_UPLOAD_BYTES:
            raise InputError(
                f"file too large ({len(data) / 1024 / 1024:.1f} MB); the limit is {MAX_UPLOAD_MB} MB",
                file=safe_file_name(filename),
            )
        digest = hashlib.sha256(data).hexdigest()[:24]
        folder = self.folder / digest
        path = folder / safe_file_name(filename)
        with self._lock:
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=0o700)
            try:
                found = path.lstat()
            except FileNotFoundError:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
            else:
                if not stat.S_ISREG(found.st_mode) or found.st_uid != os.getuid():
                    raise InputError("the upload cannot be stored safely (something else is in its place)",
                                     file=path.name)
            self._sessions.setdefault(session, set()).add(path)
        return path

    def release(self, session: str, path: Path) -> None:
        """``session`` no longer uses ``path``: remove it unless another session does."""
        with self._lock:
            self._sessions.get(session, set()).discard(path)
            if any(path in paths for paths in self._sessions.values()):
                return
            if path.parent.parent == self.folder:  # only files of this store
                path.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    path.parent.rmdir()

    def forget_session(self, session: str) -> None:
        """Remove the uploads of a session that has ended (those no other session holds)."""
        for path in list(self._sessions.get(session, ())):
            self.release(session, path)
        with self._lock:
            self._sessions.pop(session, None)

    def close(self) -> None:
        """Remove the folder and every upload in it."""
        shutil.rmtree(self.folder, ignore_errors=True)


def remove_stale_stores(parent: str | Path | None = None) -> list[Path]:
    """Remove upload folders that server processes of this user left behind when they died."""
    removed = []
    root = Path(parent or tempfile.gettempdir())
    for folder in root.glob(f"{_PREFIX}{os.getuid()}-*-*"):
        try:
            pid = int(folder.name[len(_PREFIX) :].split("-")[1])
            info = folder.lstat()
        except (ValueError, IndexError, OSError):
            continue
        if folder.is_symlink() or not folder.is_dir() or info.st_uid != os.getuid() or _alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_store: UploadStore | None = None
_store_lock = threading.Lock()


def upload_store() -> UploadStore:
    """This process's store: made (after removing stale ones) on first use, removed at exit."""
    global _store
    with _store_lock:
        if _store is None or not _store.folder.is_dir():
            remove_stale_stores()
            _store = UploadStore()
            atexit.register(_store.close)
        return _store
