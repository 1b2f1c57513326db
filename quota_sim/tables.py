"""Planners' tables (the projects queue, the sites table): rows of a CSV or XLSX file, cells, numbers.

Shared by :mod:`quota_sim.projects` and :mod:`quota_sim.sites`, so both accept the same files and read
cells the same way. The bytes themselves are read and decoded by :mod:`quota_sim.input_files`
(bounded regular files, one encoding per CSV, the first visible sheet of a workbook).
"""

from __future__ import annotations

import csv
import difflib
import itertools
import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from quota_sim.errors import InputError
from quota_sim.input_files import TableRows, clean_key, clean_text, is_blank_text, table_text, xlsx_rows

# No figure in a table (万元, mu, tce, t, jobs) comes near this; beyond it the solver's arithmetic fails.
MAX_MAGNITUDE = 1e12
# A figure that is not 0 but below this is a unit or typing mistake (and makes per-mu ratios overflow).
MIN_MAGNITUDE = 1e-6

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls container
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
UNIT_SUFFIX = re.compile(r"\([^()]*\)$")


def read_rows(data: bytes, label: str) -> TableRows:
    """The table's rows as lists of cells (row 1 = the header), from CSV or XLSX bytes.

    The content decides where it is unambiguous: a workbook saved under a .csv name still reads;
    ``.xls`` (the old binary format) is refused.
    """
    suffix = Path(label).suffix.lower()
    if suffix == ".xls" or data.startswith(_OLE_MAGIC):
        raise InputError("old .xls format: save as .xlsx or CSV", file=label)
    if suffix in (".xlsx", ".xlsm") or data.startswith(_ZIP_MAGIC):
        return xlsx_rows(data, label)
    return _csv_rows(data, label)


def _csv_rows(data: bytes, label: str) -> TableRows:
    """The CSV records as lists of text cells (record 1 = the header), in the file's one encoding
    (:func:`quota_sim.input_files.table_text`), parsed as they are read."""
    text = table_text(data, label)
    first_line = text.readline()
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    return TableRows(_csv_records(itertools.chain([first_line], text), delimiter, label))


def _csv_records(lines: Iterator[str], delimiter: str, label: str) -> Iterator[list[str]]:
    """The records, one line each; a quoted cell still open at the end of the file (which would swallow
    every row after its opening quote) or closed on a later line with separators in between (a stray
    quote, merging rows) is refused, naming the row where it opens. A line break in a cell is kept."""
    record_lines: list[str] = []  # the physical lines of the record being parsed

    def remembered() -> Iterator[str]:
        for line in _text_lines(lines, label):
            record_lines.append(line)
            yield line

    reader = csv.reader(remembered(), delimiter=delimiter)
    row = 0
    try:
        for record in reader:
            if len(record_lines) > 1 and sum(line.count('"') for line in record_lines) % 2:
                # the reader reached the end of the file inside a quoted cell (it reads no further ahead)
                raise InputError(
                    f"a quoted cell opened in this row is never closed, so the {len(record_lines) - 1} "
                    'lines after it would be read into it; add the closing quote (") or double a quote '
                    "that is part of the text",
                    file=label,
                    row=row + 1,
                )
            if len(record_lines) > 1 and any("\n" in cell and delimiter in cell for cell in record):
                # A cell spanning lines and holding separators is a stray quote: it merges the rows up
                # to the next stray quote into one, which takes the last one's figures.
                raise InputError(
                    f"a quoted cell opened in this row runs on over the next {len(record_lines) - 1} "
                    "line(s) and would take in the rows there; remove the stray quote (\") or double a "
                    "quote that is part of the text",
                    file=label,
                    row=row + 1,
                )
            row = reader.line_num
            record_lines.clear()
            yield record
    except csv.Error as error:
        raise InputError(f"not a readable CSV table: {error}", file=label, row=reader.line_num) from None


def _text_lines(lines: Iterator[str], label: str) -> Iterator[str]:
    """The lines, refusing binary data (a NUL character) where it appears."""
    for number, line in enumerate(lines, 1):
        if "\x00" in line:
            raise InputError(
                "the file holds binary data (NUL bytes), not a text table", file=label, row=number
            )
        yield line


def hidden_warnings(
    label: str, rows: TableRows, record_rows: Sequence[int], read_columns: dict[str, int],
    noun: str,
) -> tuple[str, ...]:
    """What a workbook hides but a table reads: hidden rows read as ``noun`` (e.g. "projects") and
    hidden columns among ``read_columns`` (header as written -> cell index)."""
    found = []
    hidden_rows = sorted(set(record_rows) & rows.hidden_rows)
    if hidden_rows:
        shown = ", ".join(map(str, hidden_rows[:10])) + (", …" if len(hidden_rows) > 10 else "")
        found.append(f"{label}: {len(hidden_rows)} hidden row(s) are read as {noun} (rows {shown})")
    hidden_columns = rows.hidden_columns
    for header, index in read_columns.items():
        if index + 1 in hidden_columns:
            found.append(f"{label}: column '{header}' is hidden in the workbook and is read")
    return tuple(found)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and is_blank_text(value))


def normalise_header(text: str) -> str:
    """A header as compared: NFKC (full-width parentheses made ASCII), no spaces, lower case."""
    text = clean_key(text)
    return re.sub(r"\s+", "", text).lower()


def suggest(word: str, choices: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, else nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""


def cell_text(value: Any) -> str:
    """A cell as text: integral numbers without '.0' (XLSX stores ids and codes as numbers), control and
    invisible characters stripped."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value))


def cell_key(value: Any) -> str:
    """A cell holding an identifier (id, zone, a code word) as compared: see :func:`clean_key`."""
    return clean_key(cell_text(value))


def parse_number(value: Any) -> float:
    """A cell as a number >= 0 (blank reads as 0); ``1,234.5`` is accepted.

    Raises
    ------
    ValueError
        With the message to show, when the cell is not such a number.
    """
    if isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value):  # most cells: nothing to clean
        number = float(value)
    elif is_blank(value):
        return 0.0
    elif isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{cell_text(value)!r} is not a number")
    elif isinstance(value, str):
        text = clean_key(value)
        if _PLAIN_NUMBER.fullmatch(text):
            number = float(text)
        elif _GROUPED_NUMBER.fullmatch(text):
            number = float(text.replace(",", ""))
        elif text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise ValueError(f"'{value.strip()}' is not a finite number")
        else:
            raise ValueError(f"text '{value.strip()}' is not a number")
    else:
        number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{number} is not a finite number")
    if number < 0:
        raise ValueError(f"{number:g} is negative; numbers must be >= 0")
    if number > MAX_MAGNITUDE:
        raise ValueError(f"{number:g} is implausibly large (at most {MAX_MAGNITUDE:g})")
    if 0 < number < MIN_MAGNITUDE:
        raise ValueError(f"{number:g} is implausibly small (0, or at least {MIN_MAGNITUDE:g})")
    return number
