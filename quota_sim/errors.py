"""Bad input, carrying where the problem is; and a model too large to build."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input: a message a planner can act on, naming the file, row and column.

    ``row`` is the row number as a spreadsheet shows it (the header is row 1, the
    first project row 2); ``column`` is the column's header text or the scenario key.
    The CLI prints ``str(error)`` and exits with code 2.
    """

    def __init__(
        self,
        message: str,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return (", ".join(where) + ": " if where else "") + self.message


class ModelTooLarge(Exception):
    """The model would have more placements than :data:`quota_sim.placements.MAX_PLACEMENTS`: none is
    built. Not bad input (each row is valid); the CLI reports no solution within the limits (exit 3)."""
