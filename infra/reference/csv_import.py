"""How a CSV file of reference data, pupils or verzuim records is read and its values checked, before
anything is written: the columns of a kind of file (:class:`ImportKind`), the checks of their values, and
the file's form.

How a file is read (:func:`read_csv`, for every kind of file): comma or semicolon separated, UTF-8 with
or without a byte order mark, lines ending in LF, CRLF or a lone CR (Excel for Mac's "CSV (Macintosh)"
writes CR only: those files are read as any other, not refused). A row with more cells than the header
is a defect (no cell is dropped silently), and so is a cell longer than ``MAX_CELL`` characters (no
column needs more; a cell beyond Python's csv field limit is the same defect, not a 500), and so is a line
holding a lone surrogate (U+D800-U+DFFF: no text, which a file sent as a JSON string can carry; see
:func:`_check_text`). Dates are ``JJJJ-MM-DD`` only (no ISO week or ordinal dates); a birth date lies
from 1990 to today.

A defect is an :class:`domain.errors.ImportRejected` listing every one found, by line and column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Table

from domain.errors import ImportRejected, RowError

__all__ = [
    "EARLIEST_BIRTH", "ISO_DAY", "MAX_CELL", "Check", "Column", "ImportKind", "birth_date", "bsn", "iso_date",
    "matches", "one_of", "read_csv", "text",
]

Check = Callable[[str], str | None]
"""A column's check: None when the value is fine, else the Dutch sentence saying what is wrong."""
ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
EARLIEST_BIRTH = date(1990, 1, 1)
MAX_CELL = 1_000
"""The most characters a cell may hold: far above any column's own limit (a name: 200), far below
Python's csv field limit (131,072), so an error about a cell never quotes a huge value."""


def matches(pattern: re.Pattern[str], example: str) -> Check:
    """The check that a value matches ``pattern``; the error shows ``example``."""
    return lambda value: None if pattern.match(value) else f"'{value}' is geen geldige waarde (bijvoorbeeld {example})"


def one_of(choices: Sequence[str]) -> Check:
    """The check that a value is one of ``choices``."""
    return lambda value: None if value in choices else f"'{value}' kan niet; kies uit {', '.join(choices)}"


def text(max_length: int) -> Check:
    """The check that a value is a text of 1 to ``max_length`` characters."""
    return lambda value: None if value and len(value) <= max_length else f"vul 1 tot {max_length} tekens in"


def iso_date(value: str) -> str | None:
    """A calendar day written ``JJJJ-MM-DD`` (``date.fromisoformat`` alone also takes ``2012-W10-1``)."""
    if ISO_DAY.fullmatch(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return None
    return f"'{value}' is geen datum in de vorm JJJJ-MM-DD"


def birth_date(value: str) -> str | None:
    """A day ``JJJJ-MM-DD`` from 1990 on (whether it lies in the future is checked against the import's day)."""
    problem = iso_date(value)
    if problem is None and date.fromisoformat(value) < EARLIEST_BIRTH:
        return f"{value} ligt vóór 1990; controleer de geboortedatum"
    return problem


def bsn(value: str) -> str | None:
    """Empty, or nine digits passing the elfproef."""
    if not value:
        return None
    if not re.fullmatch(r"[0-9]{9}", value):
        return "een BSN heeft 9 cijfers"
    digits = [int(c) for c in value]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return None if total % 11 == 0 else "dit BSN klopt niet (elfproef)"


@dataclass(frozen=True)
class Column:
    """A CSV column: its Dutch header, the table column it fills and its check."""

    header: str
    field: str
    check: Check
    required: bool = True


@dataclass(frozen=True)
class ImportKind:
    """What one kind of file holds: its columns, the table, its key and the references it needs."""

    name: str
    label: str
    table: Table
    key: str
    columns: tuple[Column, ...]
    references: Mapping[str, tuple[Table, str, str]]
    """header -> (table, column, Dutch name of what is referred to): values that must already exist."""



def read_csv(spec: ImportKind, content: str) -> list[tuple[int, dict[str, str]]]:
    """The data rows with their line numbers, as field -> stripped value; ImportRejected for a defect in
    the file's form (its header, a row with too many cells, an overlong cell, unreadable CSV), all such
    defects at once, before any value is checked. See the module docstring for what is read how.
    """
    text = content.removeprefix("\ufeff")
    _check_text(text)
    first = LINE_BREAK.split(text, maxsplit=1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if first.count(";") > first.count(",") else ",")
    records: list[tuple[int, list[str]]] = []
    try:
        records += ((reader.line_num, cells) for cells in reader if cells)
    except csv.Error as error:
        tail = f"een cel is langer dan {MAX_CELL} tekens" if "field limit" in str(error) else (
            "deze regel is geen geldige CSV (controleer de aanhalingstekens)")
        raise ImportRejected([RowError(reader.line_num, "-", tail)]) from error
    headers = [h.strip().lower() for h in records[0][1]] if records else []
    _check_header(spec, headers)
    errors: list[RowError] = []
    rows = []
    for line, cells in records[1:]:
        if len(cells) > len(headers):
            errors.append(RowError(line, "-", f"deze regel heeft meer velden dan de kopregel ({len(cells)} in "
                                              f"plaats van {len(headers)})"))
        errors += [RowError(line, header, f"deze cel is langer dan {MAX_CELL} tekens")
                   for header, value in zip(headers, cells, strict=False) if len(value) > MAX_CELL]
        values = {header: value.strip() for header, value in zip(headers, cells, strict=False)}
        rows.append((line, {c.field: values.get(c.header, "") for c in spec.columns}))
    if errors:
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([RowError(2, "-", "het bestand bevat geen rijen")])
    return rows


LINE_BREAK = re.compile(r"\r\n|\r|\n")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_TEXT = ("deze regel bevat een ongeldig teken (een los surrogaatteken, U+D800 tot U+DFFF); sla het bestand op "
            "als UTF-8 en importeer het opnieuw")


def _check_text(text: str) -> None:
    r"""ImportRejected naming every line (as the CSV reader counts them) that holds a lone surrogate.

    A file sent as bytes must be valid UTF-8, which has no surrogates; but a file sent as a JSON string may
    escape one (``\ud800``), and such a str is no text: it cannot be stored (nor quoted in an error) as
    UTF-8. Refused here for every import, with the line and without quoting the character.
    """
    if LONE_SURROGATE.search(text) is None:
        return
    raise ImportRejected([RowError(line, "-", NOT_TEXT)
                          for line, physical in enumerate(LINE_BREAK.split(text), start=1)
                          if LONE_SURROGATE.search(physical)])


def _check_header(spec: ImportKind, headers: list[str]) -> None:
    """ImportRejected naming every missing, unknown, repeated or overlong column of the header (line 1)."""
    if any(len(h) > MAX_CELL for h in headers):
        raise ImportRejected([RowError(1, "-", f"een kolomnaam is langer dan {MAX_CELL} tekens")])
    known = {c.header for c in spec.columns}
    errors = [RowError(1, c.header, "deze kolom ontbreekt") for c in spec.columns
              if c.required and c.header not in headers]
    errors += [RowError(1, _shown(h), "onbekende kolom") for h in dict.fromkeys(headers) if h not in known]
    errors += [RowError(1, _shown(h), "deze kolom staat meer dan één keer in de kopregel")
               for h in dict.fromkeys(headers) if h in known and headers.count(h) > 1]
    if errors:
        raise ImportRejected(errors)


def _shown(header: str) -> str:
    """A column name as an error names it: cut short when long (an unknown header is the file's text)."""
    return header if len(header) <= MAX_SHOWN else header[:MAX_SHOWN] + "…"


MAX_SHOWN = 40
