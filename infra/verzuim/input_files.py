"""The CSV files of verzuim records: inschrijvingen, verzuim (absences) and vrijstellingen, with their Dutch
columns and value checks, how a checked row becomes a record, and the import of a whole file.

A file is read as every import file is (:func:`infra.reference.csv_import.read_csv`), each value is
checked, and every record is then checked for the user as one recorded through the API is
(:func:`infra.verzuim.inputs.problems_of`); ImportRejected names every defect by line and column, and
nothing is written from a file with any. A clean file is written in one transaction (see
:mod:`infra.verzuim.inputs` for who may record what).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, Final

from domain.access import Principal
from domain.errors import ImportRejected, RowError
from domain.verzuim.model import VRIJSTELLING_KINDS
from infra.identity.accounts import BRIN
from infra.reference.csv_import import Check, Column, ImportKind, iso_date, matches, one_of, read_csv
from infra.reference.resources import PSEUDONYM
from infra.store.db import Begin
from infra.store.verzuim_tables import absences, enrollments, vrijstellingen
from infra.verzuim.inputs import (
    MAX_HOURS,
    MAX_REASON,
    AbsenceRecord,
    EnrollmentRecord,
    Known,
    Record,
    VrijstellingRecord,
    Written,
    check_role,
    key_of,
    load_known,
    problems_of,
    reason_kind_problem,
    write,
)

__all__ = ["BUILDERS", "IMPORTS", "PUPIL_COLUMN", "import_csv"]


def _optional(check: Check) -> Check:
    return lambda value: None if not value else check(value)


def _hours(value: str) -> str | None:
    try:
        hours = float(value.replace(",", "."))
    except ValueError:
        return f"'{value}' is geen aantal uren (bijvoorbeeld 2,5)"
    return None if 0 < hours <= MAX_HOURS else f"{value} uur kan niet; vul meer dan 0 en hoogstens 24 uur in"


def _yes_no(value: str) -> str | None:
    return None if value.lower() in ("ja", "nee") else f"'{value}' kan niet; vul ja of nee in"


def _reason(value: str) -> str | None:
    return None if len(value) <= MAX_REASON else f"de reden is langer dan {MAX_REASON} tekens"


PUPIL_COLUMN = Column("leerling_id", "pupil_id", matches(PSEUDONYM, "lln-0042"))
IMPORTS: Final[dict[str, ImportKind]] = {kind.name: kind for kind in (
    ImportKind("inschrijvingen", "inschrijvingen", enrollments, "pupil_id", (
        PUPIL_COLUMN,
        Column("school", "school_brin", matches(BRIN, "14PS03")),
        Column("eerste_dag", "first_day", iso_date),
        Column("laatste_dag", "last_day", _optional(iso_date), required=False),
    ), {}),
    ImportKind("verzuim", "verzuim", absences, "pupil_id", (
        PUPIL_COLUMN,
        Column("datum", "day", iso_date),
        Column("uren", "hours", _hours),
        Column("geoorloofd", "authorized", _yes_no),
        Column("reden", "reason", _reason, required=False),
        Column("categorie", "reason_kind", reason_kind_problem, required=False),
        Column("rooster_uren", "scheduled_hours", _optional(_hours), required=False),
    ), {}),
    ImportKind("vrijstellingen", "vrijstellingen", vrijstellingen, "pupil_id", (
        PUPIL_COLUMN,
        Column("soort", "kind", one_of(sorted(VRIJSTELLING_KINDS))),
        Column("eerste_dag", "first_day", iso_date),
        Column("laatste_dag", "last_day", _optional(iso_date), required=False),
    ), {}),
)}
"""The CSV files of verzuim, with their Dutch headers (documented in the README)."""


def _day(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _hours_or_none(value: str) -> float | None:
    return float(value.replace(",", ".")) if value else None


BUILDERS: Final[dict[str, Callable[[dict[str, str]], Record]]] = {
    "inschrijvingen": lambda r: EnrollmentRecord(r["pupil_id"], r["school_brin"], date.fromisoformat(r["first_day"]),
                                                 _day(r["last_day"])),
    "verzuim": lambda r: AbsenceRecord(r["pupil_id"], date.fromisoformat(r["day"]),
                                       float(r["hours"].replace(",", ".")), r["authorized"].lower() == "ja",
                                       r["reason"], r["reason_kind"], _hours_or_none(r["scheduled_hours"])),
    "vrijstellingen": lambda r: VrijstellingRecord(r["pupil_id"], r["kind"], date.fromisoformat(r["first_day"]),
                                                   _day(r["last_day"])),
}


def import_csv(begin: Begin, principal: Principal, kind: str, content: str, now: datetime,
               today: date) -> Written:
    """Import a CSV file of ``kind`` all or nothing in the transaction ``begin`` opens (the file is read
    before it opens); ImportRejected names every defect by line and column.
    """
    if kind not in IMPORTS:
        raise ImportRejected([RowError(0, "-", f"onbekende soort import '{kind}'; kies uit {', '.join(IMPORTS)}")])
    check_role(principal, kind)
    spec = IMPORTS[kind]
    errors, parsed = _parse(spec, read_csv(spec, content))
    with begin() as conn:
        known = load_known(conn, [record for _, record in parsed])
        errors += _record_errors(principal, parsed, known, today)
        if errors:
            raise ImportRejected(sorted(errors, key=lambda e: (e.line, e.column)))
        return write(conn, [record for _, record in parsed], known, now)


def _parse(spec: ImportKind, rows: Iterable[tuple[int, dict[str, str]]]) -> tuple[list[RowError],
                                                                                   list[tuple[int, Record]]]:
    errors: list[RowError] = []
    parsed: list[tuple[int, Record]] = []
    for line, row in rows:
        found = [RowError(line, c.header, problem) for c in spec.columns if (problem := c.check(row[c.field]))]
        errors += found
        if not found:
            parsed.append((line, BUILDERS[spec.name](row)))
    return errors, parsed


def _record_errors(principal: Principal, parsed: Sequence[tuple[int, Record]], known: Known,
                   today: date) -> list[RowError]:
    errors: list[RowError] = []
    first_line: dict[tuple[Any, ...], int] = {}
    for line, record in parsed:
        errors += [RowError(line, p.column, p.detail_nl) for p in problems_of(principal, record, known, today)]
        key = key_of(record)
        if key in first_line:
            errors.append(RowError(line, "leerling_id", f"deze regel staat ook al op regel {first_line[key]}"))
        first_line.setdefault(key, line)
    return errors

