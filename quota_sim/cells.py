"""Cells a spreadsheet opens as plain text: the one neutraliser and the one CSV encoder.

Every CSV and XLSX file quota-sim writes (run outputs, batch comparison, sweeps, app downloads,
planners' workbooks) passes its cells through :func:`neutralise`:

- line breaks (CR, LF, U+2028, U+2029, NEL), tabs and form feeds become a space, and other control and
  bidirectional-override characters are dropped: a cell stays one cell for every reader, shows what it
  says, and an XLSX never holds a character it cannot store;
- text that a spreadsheet would run as a formula, starting (after spaces) with ``=``, ``+``, ``-``, ``@``
  or their full-width forms, gets a leading apostrophe.

Numbers, booleans and None pass unchanged. :func:`csv_bytes` writes CSV whose fields holding a
separator or a quote are quoted (quotes doubled), one line per row. :func:`markdown_text` is the same
idea for a page that renders Markdown: user text is shown as it is, never as markup.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
_TO_SPACE = re.compile("\r\n|[\r\n\t\x0b\x0c\x85\u2028\u2029]")
_DROPPED = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def neutralise(cell: Any) -> Any:
    """``cell`` as plain text a spreadsheet shows and never evaluates; non-text passes unchanged."""
    if not isinstance(cell, str):
        return cell
    text = _DROPPED.sub("", _TO_SPACE.sub(" ", cell))
    if text.lstrip(" \u3000").startswith(_FORMULA_START):
        return "'" + text
    return text


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of ``row`` neutralised."""
    return [neutralise(cell) for cell in row]


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def markdown_text(text: str) -> str:
    """User text (a file name, a cell, a message quoting them) shown literally where a page renders
    Markdown and HTML: every character Markdown or HTML would act on is escaped, line breaks kept."""
    cleaned = _DROPPED.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _MARKDOWN.sub(r"\\\1", cleaned)


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, bom: bool = False) -> bytes:
    """A table as CSV in UTF-8 (``bom``: with the byte-order mark Excel needs to show Chinese text);
    every cell neutralised, None written as an empty field."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(neutralise_row(header))
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in neutralise_row(row)])
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")
