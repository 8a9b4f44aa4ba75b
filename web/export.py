"""Lists as spreadsheets people open in Excel: UTF-8 with a byte-order mark, semicolons (the Dutch Excel's list
separator), CRLF; a cell that begins with = + - @ (or a tab or carriage return) is neutralised with a leading
apostrophe, so that a value can never run as a formula in the reader's spreadsheet (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from fastapi import Response

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 10_000
"""The most rows one export holds (a list in one SWV is far shorter; the bound keeps a request small)."""


def cell(value: object) -> str:
    """The text of one cell, neutralised if a spreadsheet would read it as a formula; a number is written as the
    number it is (a negative one stays a number).
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def spreadsheet(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole file: BOM, the header, then every row, separated by semicolons."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return BOM + out.getvalue()


def download(content: str, filename: str) -> Response:
    """A CSV download that the browser saves under ``filename``."""
    return Response(content.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})
