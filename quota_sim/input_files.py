"""Reading input files safely: bounded regular files, one text encoding, a workbook's first visible sheet,
clean text. Every table reader (projects, sites) and the scenario reader go through here.

Bounds (a file beyond them is bad input, refused before it is loaded whole):

- an input is a regular file (not a device such as ``/dev/zero``, a FIFO or a folder) of at most
  ``MAX_TABLE_BYTES`` (tables) or ``MAX_SCENARIO_BYTES`` (scenario files);
- a workbook unpacks to at most ``MAX_XLSX_UNPACKED`` bytes; its sheet has at most ``MAX_ROWS`` rows,
  ``MAX_COLUMNS`` columns holding values and ``MAX_CELLS`` cells holding values. Rows are never
  padded to the sheet's width, so a stray cell in column XFD costs nothing.

Text: a CSV file is UTF-8 (with or without BOM), UTF-16 with its BOM, or GBK/GB18030 — one encoding for
the whole file; a file that mixes them, or holds a row in neither, is refused naming the row. Control
characters and invisible format characters (zero-width spaces, bidirectional marks, soft hyphens) are
stripped from every text cell; identifiers are also compared after Unicode NFKC normalisation (so
full-width ``Ｐ１`` is ``P1``).
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from quota_sim.errors import InputError

MAX_TABLE_BYTES = 512 * 1024 * 1024
MAX_SCENARIO_BYTES = 1024 * 1024
MAX_XLSX_UNPACKED = 2 * 1024 * 1024 * 1024
MAX_ROWS = 1_048_576  # Excel's own limit
MAX_COLUMNS = 1_000
MAX_CELLS = 40_000_000

_STRIPPED_CHARACTERS = r"\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
_STRIPPED = re.compile(f"[{_STRIPPED_CHARACTERS}]")
_VISIBLE = re.compile(rf"[^\s{_STRIPPED_CHARACTERS}]")  # a character that survives clean_text


class TableRows:
    """A table's rows (lists of cells, row 1 = the header), to be read once in order, and what the
    workbook hides: the spreadsheet row numbers of hidden rows and the (1-based) indexes of hidden
    columns. A CSV file's rows are parsed as they are read, so a large table is never held twice."""

    def __init__(
        self,
        rows: Iterable[list[Any]],
        hidden_rows: set[int] | None = None,
        hidden_columns: set[int] | None = None,
    ):
        self._rows = rows
        self.hidden_rows: set[int] = set() if hidden_rows is None else hidden_rows
        self.hidden_columns: set[int] = set() if hidden_columns is None else hidden_columns

    def __iter__(self) -> Iterator[list[Any]]:
        return iter(self._rows)


def clean_text(text: str) -> str:
    """``text`` without control or invisible format characters, trimmed."""
    return _STRIPPED.sub("", text).strip()


def is_blank_text(text: str) -> bool:
    """Whether ``text`` is empty once cleaned (:func:`clean_text`)."""
    return _VISIBLE.search(text) is None


def clean_key(text: str) -> str:
    """An identifier as compared: NFKC-normalised (full-width forms folded), invisible characters gone."""
    if text.isascii():  # ASCII is its own NFKC form
        return clean_text(text)
    return clean_text(unicodedata.normalize("NFKC", _STRIPPED.sub("", text)))


def read_input_file(path: str | Path, what: str, max_bytes: int = MAX_TABLE_BYTES) -> bytes:
    """The bytes of an input file that must be a regular file of at most ``max_bytes``.

    ``what`` names the file in messages ("projects file", "scenario file").
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}", file=path.name) from None
    except OSError as error:
        raise InputError(f"cannot read the {what}: {error.strerror}", file=path.name) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"the {what} is not a regular file (a folder, device or pipe)", file=path.name)
        if info.st_size > max_bytes:
            raise InputError(
                f"the {what} is {_size(info.st_size)}; the limit is {_size(max_bytes)}", file=path.name
            )
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > max_bytes:  # it grew while being read
                raise InputError(f"the {what} is larger than the limit of {_size(max_bytes)}", file=path.name)
            chunks.append(chunk)
    except OSError as error:
        raise InputError(f"cannot read the {what}: {error.strerror}", file=path.name) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:,.1f} MB" if count >= 1024 * 1024 else f"{count:,} bytes"


# ---------------------------------------------------------------------------- CSV text


def table_text(data: bytes, label: str) -> io.TextIOWrapper:
    """A CSV file's text, decoded in its one encoding (see the module's docstring) as it is read, with
    line ends kept as they are (``newline=""``, as :mod:`csv` wants)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=table_encoding(data, label), newline="")


def table_encoding(data: bytes, label: str) -> str:
    """The one encoding of a CSV file's bytes: ``utf-16`` (with its BOM), ``utf-8-sig`` or ``gb18030``.

    Raises
    ------
    InputError
        Naming the first row that breaks the encoding the file started in, or that is in none.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise InputError(
                "the file starts as UTF-16 but is not UTF-16 throughout",
                file=label,
                row=data[: error.start].count(b"\n\x00") + 1,
            ) from None
        return "utf-16"
    if _is_utf8_throughout(data):
        return "utf-8-sig"
    lines = data.split(b"\n")
    utf8_row = next((i for i, line in enumerate(lines, 1) if not line.isascii() and _is_utf8(line)), None)
    bad_utf8 = next(i for i, line in enumerate(lines, 1) if not _is_utf8(line))
    if utf8_row is not None and (utf8_row < bad_utf8 or not _is_gbk(lines[utf8_row - 1])):
        raise InputError(
            f"the file mixes text encodings: row {utf8_row} is UTF-8 but this row is not; save the whole "
            "file as CSV UTF-8",
            file=label,
            row=bad_utf8,
        )
    for number, line in enumerate(lines, 1):
        if not _is_gbk(line):
            raise InputError(
                "this row is neither UTF-8 nor GBK text (save the file as CSV UTF-8, or as .xlsx)",
                file=label,
                row=number,
            )
    return "gb18030"


def _is_utf8_throughout(data: bytes, chunk: int = 1 << 22) -> bool:
    """Whether ``data`` is UTF-8, checked a few MB at a time (the text itself is not kept)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), chunk):
            decoder.decode(view[start : start + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_gbk(line: bytes) -> bool:
    try:
        line.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


# ---------------------------------------------------------------------------- XLSX


def xlsx_rows(data: bytes, label: str) -> TableRows:
    """The values of the workbook's first visible sheet, row by row (row 1 = the header), parsed as they
    are read; its hidden rows and columns are known once every row has been read.

    Formula cells are read by their saved value; one without a saved value is refused, naming it.
    """
    _check_unpacked_size(data, label)
    hidden_rows: set[int] = set()
    hidden_columns: set[int] = set()
    return TableRows(_xlsx_records(data, label, hidden_rows, hidden_columns), hidden_rows, hidden_columns)


def _xlsx_records(
    data: bytes, label: str, hidden_rows: set[int], hidden_columns: set[int]
) -> Iterator[list[Any]]:
    import openpyxl
    from openpyxl.utils import get_column_letter

    with warnings.catch_warnings():
        # openpyxl warns about workbook features it skips (styles, extensions); they do not matter here.
        warnings.simplefilter("ignore")
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        # A damaged workbook fails in many ways (zip, XML, missing parts); all mean the same to a planner.
        except Exception as error:
            raise InputError(
                f"not a readable .xlsx workbook ({str(error) or type(error).__name__})", file=label
            ) from None
    try:
        sheet = next((ws for ws in book.worksheets if ws.sheet_state == "visible"), None)
        if sheet is None:
            raise InputError("the workbook has no visible sheet", file=label)
        yield from _sheet_rows(book, sheet, label, get_column_letter, hidden_rows, hidden_columns)
    except InputError:
        raise
    except Exception as error:
        raise InputError(
            f"not a readable .xlsx workbook ({str(error) or type(error).__name__})", file=label
        ) from None
    finally:
        book.close()


def _quietly(items: Iterator[Any]) -> Iterator[Any]:
    """The items, with openpyxl's warnings about workbook features it skips silenced while each is made
    (the silence must not outlast a step: the caller runs between the items)."""
    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            item = next(items, _quietly)
        if item is _quietly:
            return
        yield item


def _check_unpacked_size(data: bytes, label: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InputError(f"not a readable .xlsx workbook ({error})", file=label) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise InputError(
            f"the workbook unpacks to {_size(unpacked)}; the limit is {_size(MAX_XLSX_UNPACKED)}", file=label
        )


def _sheet_rows(
    book: Any, sheet: Any, label: str, column_letter: Any, hidden_rows: set[int], hidden_columns: set[int]
) -> Iterator[list[Any]]:
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell = super().parse_cell(element)
            saved = element.findtext(VALUE_TAG) or cell["data_type"] in ("s", "str")  # "" is a saved text
            if element.find(FORMULA_TAG) is not None and not saved:
                raise InputError(
                    f"cell {column_letter(cell['column'])}{cell['row']} holds a formula without a saved "
                    "value; open the file in Excel or WPS and save it, or paste the values",
                    file=label,
                )
            return cell

    last_row = 0
    cells = 0
    with sheet._get_source() as source:
        parser = Parser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, row in _quietly(parser.parse()):
            if number > MAX_ROWS:
                raise InputError(f"the sheet has more than {MAX_ROWS:,} rows", file=label, row=number)
            present = [cell for cell in row if cell["value"] is not None]
            if not present:
                continue
            last = max(cell["column"] for cell in present)
            if last > MAX_COLUMNS:
                raise InputError(
                    f"cell {column_letter(last)}{number} lies beyond column {column_letter(MAX_COLUMNS)}; "
                    f"a table has at most {MAX_COLUMNS:,} columns",
                    file=label,
                    row=number,
                )
            cells += len(present)
            if cells > MAX_CELLS:
                raise InputError(f"the sheet holds more than {MAX_CELLS:,} cells", file=label, row=number)
            values: list[Any] = [None] * last
            for cell in present:
                values[cell["column"] - 1] = cell["value"]
            for _ in range(number - 1 - last_row):  # blank rows keep the numbering
                yield []
            last_row = number
            yield values
        hidden_rows.update(int(r) for r, attrs in parser.row_dimensions.items() if _true(attrs.get("hidden")))
        for attrs in parser.column_dimensions.values():
            if _true(attrs.get("hidden")):
                first = int(attrs.get("min", 0))
                hidden_columns.update(range(first, min(int(attrs.get("max", first)), MAX_COLUMNS) + 1))


def _true(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true")
