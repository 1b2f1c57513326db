"""Output files written as one set, and only over files the program wrote itself.

Every command that writes files writes them through this module:

- :func:`write_atomic` writes one file whole or not at all (a temporary name beside it, then a rename).
- :class:`OutputSet` writes the files of one run into a folder as a set. The folder's manifest
  (``.quota-sim-<kind>.json``, written last) lists the files the program wrote there with their
  SHA-256. When the folder holds nothing else, the new set is built in a fresh folder beside it and the
  two folders are swapped in one step (Linux ``renameat2(RENAME_EXCHANGE)``), so a reader sees the old
  set or the new one, never a mixture. When the folder also holds files the user owns, the old manifest
  is removed first, the new files are renamed in one by one and the new manifest comes last: a reader
  that trusts the manifest never takes a half-written set for a whole one.
- A file the manifest does not list is never overwritten or deleted: a run that would do so is refused
  before it starts (:meth:`OutputSet.open` raises :class:`InputError`), as is an output folder that is a
  file, cannot be written, or holds the run's inputs.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import hashlib
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Self

from quota_sim.errors import InputError
from quota_sim.interrupts import deferred

MANIFEST_FORMAT = "quota-sim output manifest"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def manifest_name(kind: str) -> str:
    """File name of the manifest of one kind of output (``run``, ``batch``, ``sweep``, ``grid``)."""
    return f".quota-sim-{kind}.json"


def _create_exclusive(path: Path, data: bytes, mode: int = 0o666) -> None:
    """Create ``path`` (never an existing file or a symlink) holding ``data``, flushed to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    _create_exclusive(temporary, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_manifest(folder: str | Path, kind: str) -> dict[str, str] | None:
    """The files (name -> SHA-256) the manifest of ``kind`` in ``folder`` lists, or None without one."""
    try:
        data = json.loads((Path(folder) / manifest_name(kind)).read_bytes())
    except (OSError, ValueError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("format") != MANIFEST_FORMAT
        or not isinstance(data.get("files"), dict)
    ):
        return None
    return {str(name): str(digest) for name, digest in data["files"].items()}


def read_trusted(folder: str | Path, kind: str, name: str) -> bytes | None:
    """The bytes of ``name`` when the manifest lists it with these very contents, else None."""
    files = read_manifest(folder, kind)
    if files is None or name not in files:
        return None
    try:
        data = (Path(folder) / name).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == files[name] else None


def _manifest_bytes(files: Mapping[str, bytes]) -> bytes:
    listing = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    return (json.dumps({"format": MANIFEST_FORMAT, "version": 1, "files": listing}, indent=2) + "\n").encode()


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step; False where the system cannot (then the caller renames twice)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def unproven_files_message(folder: Path, kind: str, names: list[str], has_manifest: bool) -> str:
    """Why files of the output's names in ``folder`` block a run, which they are, and what to do."""
    listed = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
    count = f"{len(names)} file{'s' if len(names) > 1 else ''}"
    why = (
        f"its manifest {manifest_name(kind)} does not list them"
        if has_manifest
        else f"the folder has no manifest {manifest_name(kind)} "
        "(an older quota-sim, or someone else, wrote them)"
    )
    try:
        alone = set(os.listdir(folder)) <= set(names)
    except OSError:
        alone = False
    example = f" (for example mv {folder} {folder.with_name(folder.name + '.old')})" if alone else ""
    return (
        f"the output folder holds {count} that quota-sim would overwrite but cannot prove it wrote: "
        f"{listed}; {why}. quota-sim never overwrites such files: move them away{example} or choose "
        "another output folder"
    )


def scenario_inputs(scenario: Any) -> list[Path]:
    """The files a scenario reads: its ``Path`` fields (the scenario file and every table it names)."""
    fields = [getattr(scenario, f.name) for f in dataclasses.fields(scenario)]
    return [value for value in fields if isinstance(value, Path)]


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class OutputSet:
    """The files of one run, staged and then put into ``folder`` at once.

    Use :meth:`open` before the work starts (it checks the folder and raises :class:`InputError`),
    then :meth:`commit` with the files, or :meth:`discard` (a ``with`` block discards when an exception
    leaves it).
    """

    def __init__(self, folder: Path, kind: str, staging: Path, beside: bool, label: str) -> None:
        self.folder = folder
        self.kind = kind
        self.staging = staging
        self.beside = beside  # staging is a sibling folder, swapped in whole
        self.label = label
        self.committed = False
        self.staged: list[str] = []  # names written into the staging folder

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        folder: str | Path,
        kind: str = "run",
        *,
        names: Iterable[str] = (),
        inputs: Iterable[str | Path | None] = (),
        refuse_input_folder: bool = True,
    ) -> OutputSet:
        """Check ``folder`` and stage a new set of ``kind`` for it.

        ``names``: files the set may hold (checked now against files the program did not write);
        ``inputs``: the run's input files; with ``refuse_input_folder`` the folder may not hold any of
        them (directly or below), otherwise only their names may not be among the outputs.

        Raises
        ------
        InputError
            The folder is a file, cannot be written, holds the inputs, or holds a file of one of
            ``names`` that no manifest of the program lists.
        """
        label = str(folder)
        path = Path(os.path.abspath(folder))
        if path.is_symlink() or path.exists():
            path = path.resolve()
        if path.exists() and not path.is_dir():
            raise InputError("the output path exists and is not a folder", file=label)
        for item in inputs:
            if item is None:
                continue
            source = Path(os.path.abspath(item)).resolve()
            if refuse_input_folder and _is_within(source.parent, path):
                raise InputError(
                    f"the output folder holds an input of the run ({source.name}); choose another --out",
                    file=label,
                )
            if source.parent == path and source.name in set(names):
                raise InputError(f"an output would overwrite the input {source.name}", file=label)
        set_ = cls(path, kind, Path(), False, label)
        set_._check_names(names)
        set_._stage()
        return set_

    def _foreign(self) -> list[str] | None:
        """Entries of the folder the manifest of this kind does not list (None: no folder)."""
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return None
        except OSError as error:
            raise InputError(f"cannot write the output folder ({error.strerror})", file=self.label) from None
        owned = set(read_manifest(self.folder, self.kind) or ()) | {manifest_name(self.kind)}
        return [e.name for e in entries if e.name not in owned or not e.is_file(follow_symlinks=False)]

    def _check_names(self, names: Iterable[str]) -> None:
        manifest = self.folder / manifest_name(self.kind)
        owned = read_manifest(self.folder, self.kind)
        if owned is None and (manifest.exists() or manifest.is_symlink()):
            raise InputError(
                f"{manifest.name} is there and is not a quota-sim manifest; quota-sim cannot tell which "
                "files of the folder it wrote, so it writes nothing there: move the folder away or choose "
                "another output folder",
                file=self.label,
            )
        in_the_way = [
            name
            for name in dict.fromkeys(names)
            if name not in (owned or {}) and os.path.lexists(self.folder / name)
        ]
        if in_the_way:
            raise InputError(unproven_files_message(self.folder, self.kind, in_the_way, owned is not None),
                             file=self.label)

    def _stage(self) -> None:
        """Create the staging folder: beside the output folder when it holds only this kind's files."""
        token = secrets.token_hex(4)
        foreign = self._foreign()
        if not foreign:
            try:
                self.folder.parent.mkdir(parents=True, exist_ok=True)
                self.staging = self.folder.parent / f".{self.folder.name}.quota-sim-{token}"
                self.staging.mkdir()
                self.beside = True
                return
            except OSError as error:
                if foreign is None:  # no folder, and none can be made beside it
                    raise InputError(
                        f"cannot write the output folder ({error.strerror})", file=self.label
                    ) from None
        try:
            self.staging = self.folder / f".quota-sim-{token}"
            self.staging.mkdir()
        except OSError as error:
            raise InputError(f"cannot write the output folder ({error.strerror})", file=self.label) from None
        self.beside = False

    # ------------------------------------------------------------------ committing

    def commit(self, files: Mapping[str, bytes]) -> list[Path]:
        """Put ``files`` (name -> bytes) into the folder as the new set; returns their final paths."""
        if self.committed:
            raise RuntimeError("this output set was already committed")
        self._check_names(files)
        for name in files:
            if Path(name).name != name or name.startswith("."):
                raise ValueError(f"not a plain output file name: {name!r}")
        try:
            for name, data in files.items():
                self.staged.append(name)
                _create_exclusive(self.staging / name, data)
            with deferred():  # a signal now waits until the set is in place
                if self.beside and not self._foreign():
                    self._swap_in(files)
                else:
                    self._rename_in(files)
        except BaseException:
            self.discard()
            raise
        self.committed = True
        return [self.folder / name for name in files]

    def _swap_in(self, files: Mapping[str, bytes]) -> None:
        _create_exclusive(self.staging / manifest_name(self.kind), _manifest_bytes(files))
        if not self.folder.exists():
            os.rename(self.staging, self.folder)
            return
        if not _exchange(self.staging, self.folder):
            retired = self.folder.parent / f".{self.folder.name}.quota-sim-old-{secrets.token_hex(4)}"
            os.rename(self.folder, retired)
            os.rename(self.staging, self.folder)
            self.staging = retired
        self.staged = []
        self._remove_owned(self.staging)  # now the old set
        try:
            self.staging.rmdir()
        except OSError:
            pass  # something not ours appeared in the old folder meanwhile: leave it

    def _rename_in(self, files: Mapping[str, bytes]) -> None:
        manifest = self.folder / manifest_name(self.kind)
        old = read_manifest(self.folder, self.kind) or {}
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest.unlink(missing_ok=True)  # from here until the new manifest, the set is incomplete
        for name in files:
            os.replace(self.staging / name, self.folder / name)
        for name in old:
            if name not in files:
                self._remove_file(self.folder / name)
        write_atomic(manifest, _manifest_bytes(files))
        self.discard()

    def _remove_owned(self, folder: Path) -> None:
        listed = read_manifest(folder, self.kind) or {}
        for name in [*listed, manifest_name(self.kind)]:
            self._remove_file(folder / name)

    @staticmethod
    def _remove_file(path: Path) -> None:
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)

    def discard(self) -> None:
        """Remove the staging folder and what was staged in it (never anything else)."""
        if self.staging == Path() or not self.staging.exists():
            return
        for name in [*self.staged, manifest_name(self.kind)]:
            self._remove_file(self.staging / name)
        try:
            self.staging.rmdir()
        except OSError:
            pass  # not empty: something not ours is in it, leave it

    def __enter__(self) -> Self:
        return self

    def __exit__(self, error_type: type[BaseException] | None, *exc_info: object) -> None:
        if error_type is not None and not self.committed:
            self.discard()
