"""Reference data and pupils: municipalities, SWVs, schools and pupils, imported from CSV and read back.

An import checks every row and column first and writes nothing from a file with any defect
(:class:`domain.errors.ImportRejected` lists them all, by line and column); a clean file is written in
one transaction, inserting new rows and updating known ones. Headers are Dutch: the files come from
people (see ``IMPORTS`` for the columns of each kind).

A pupil is a pseudonymous id with the municipality they live in, their birth date and their school;
their names and BSN go to ``pupil_identities`` and are only read for roles that must know them.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Table, func, select

from domain.errors import ImportRejected, RowError
from infra.accounts import BRIN, CBS
from infra.db import chunks, upsert_rows
from infra.tables import municipalities, pupil_identities, pupils, schools, swvs

Check = Callable[[str], str | None]
"""A column's check: None when the value is fine, else the Dutch sentence saying what is wrong."""
SWV_CODE = re.compile(r"^(PO|VO)[0-9]{2}[0-9A-Z]{2}$")
PSEUDONYM = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SCHOOL_KINDS = ("po", "sbo", "so", "vo", "vso")
REGIONS = ("noord", "midden", "zuid")


def _matches(pattern: re.Pattern[str], example: str) -> Check:
    return lambda value: None if pattern.match(value) else f"'{value}' is geen geldige waarde (bijvoorbeeld {example})"


def _one_of(choices: Sequence[str]) -> Check:
    return lambda value: None if value in choices else f"'{value}' kan niet; kies uit {', '.join(choices)}"


def _text(max_length: int) -> Check:
    return lambda value: None if value and len(value) <= max_length else f"vul 1 tot {max_length} tekens in"


def _iso_date(value: str) -> str | None:
    try:
        date.fromisoformat(value)
    except ValueError:
        return f"'{value}' is geen datum in de vorm JJJJ-MM-DD"
    return None if len(value) == len("2026-01-31") else f"'{value}' is geen datum in de vorm JJJJ-MM-DD"


def _bsn(value: str) -> str | None:
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


IMPORTS: dict[str, ImportKind] = {kind.name: kind for kind in (
    ImportKind("gemeenten", "gemeenten", municipalities, "cbs_code", (
        Column("cbs_code", "cbs_code", _matches(CBS, "0917")),
        Column("naam", "name", _text(100)),
    ), {}),
    ImportKind("swvs", "samenwerkingsverbanden", swvs, "code", (
        Column("code", "code", _matches(SWV_CODE, "VO3102")),
        Column("naam", "name", _text(200)),
        Column("sector", "sector", _one_of(("po", "vo"))),
    ), {}),
    ImportKind("scholen", "scholen", schools, "brin", (
        Column("brin", "brin", _matches(BRIN, "14PS03")),
        Column("naam", "name", _text(200)),
        Column("swv", "swv_code", _matches(SWV_CODE, "VO3102")),
        Column("soort", "kind", _one_of(SCHOOL_KINDS)),
        Column("gemeente", "municipality_cbs", _matches(CBS, "0917")),
        Column("vakantieregio", "calendar_region", _one_of(REGIONS)),
    ), {"swv": (swvs, "code", "samenwerkingsverband"), "gemeente": (municipalities, "cbs_code", "gemeente")}),
    ImportKind("leerlingen", "leerlingen", pupils, "id", (
        Column("leerling_id", "id", _matches(PSEUDONYM, "lln-0042")),
        Column("school", "school_brin", _matches(BRIN, "14PS03")),
        Column("woongemeente", "residence_cbs", _matches(CBS, "0917")),
        Column("geboortedatum", "birth_date", _iso_date),
        Column("voornaam", "given_name", _text(100)),
        Column("achternaam", "family_name", _text(100)),
        Column("bsn", "bsn", _bsn, required=False),
    ), {"school": (schools, "brin", "school"), "woongemeente": (municipalities, "cbs_code", "gemeente")}),
)}
IDENTITY_FIELDS = ("given_name", "family_name", "bsn")


@dataclass(frozen=True)
class Imported:
    """What an import wrote: the kind, how many rows were new and how many were updated."""

    kind: str
    added: int
    updated: int


def import_csv(engine: Engine, kind: str, content: str, now: datetime,
               allowed_schools: Collection[str] | None = None) -> Imported:
    """Import a CSV file of ``kind`` (see IMPORTS) all or nothing; ImportRejected lists every defect.

    ``allowed_schools`` limits a pupil file to those schools (a zorgcoördinator's own); None: any.
    """
    spec = _spec(kind)
    rows = _read(spec, content)
    with engine.begin() as conn:
        errors = _check_rows(conn, spec, rows, allowed_schools)
        if errors:
            raise ImportRejected(errors)
        known = _known_keys(conn, spec, [r[spec.key] for _, r in rows])
        _upsert(conn, spec, [r for _, r in rows], now)
    return Imported(kind, len(rows) - len(known), len(known))


def _spec(kind: str) -> ImportKind:
    if kind not in IMPORTS:
        raise ImportRejected([RowError(0, "-", f"onbekende soort import '{kind}'; kies uit {', '.join(IMPORTS)}")])
    return IMPORTS[kind]


def _read(spec: ImportKind, content: str) -> list[tuple[int, dict[str, str]]]:
    """The data rows with their line numbers, as field -> stripped value; header defects are rejected."""
    dialect = ";" if content.split("\n", 1)[0].count(";") > content.split("\n", 1)[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")), delimiter=dialect)
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c.header for c in spec.columns if c.required and c.header not in headers]
    unknown = [h for h in headers if h not in {c.header for c in spec.columns}]
    if missing or unknown:
        raise ImportRejected([RowError(1, h, "deze kolom ontbreekt") for h in missing]
                             + [RowError(1, h, "onbekende kolom") for h in unknown])
    rows = []
    for record in reader:
        values = {(k or "").strip().lower(): (v or "").strip() for k, v in record.items() if k is not None}
        rows.append((reader.line_num, {c.field: values.get(c.header, "") for c in spec.columns}))
    if not rows:
        raise ImportRejected([RowError(2, "-", "het bestand bevat geen rijen")])
    return rows


def _check_rows(conn: Connection, spec: ImportKind, rows: list[tuple[int, dict[str, str]]],
                allowed_schools: Collection[str] | None) -> list[RowError]:
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        errors += [RowError(line, c.header, problem) for c in spec.columns
                   if (problem := c.check(row[c.field])) is not None]
        key = row[spec.key]
        if key in first_line:
            errors.append(RowError(line, spec.columns[0].header, f"'{key}' staat ook al op regel {first_line[key]}"))
        first_line.setdefault(key, line)
        if allowed_schools is not None and row.get("school_brin") not in allowed_schools:
            errors.append(RowError(line, "school", f"school {row.get('school_brin')} valt niet onder uw account"))
    malformed = {(e.line, e.column) for e in errors}
    errors += [e for e in _missing_references(conn, spec, rows) if (e.line, e.column) not in malformed]
    return sorted(errors, key=lambda e: (e.line, e.column))


def _missing_references(conn: Connection, spec: ImportKind, rows: list[tuple[int, dict[str, str]]]) -> list[RowError]:
    errors = []
    by_header = {c.header: c.field for c in spec.columns}
    for header, (table, column, what) in spec.references.items():
        wanted = {row[by_header[header]] for _, row in rows}
        found = set(conn.execute(select(table.c[column]).where(table.c[column].in_(wanted))).scalars())
        errors += [RowError(line, header, f"{what} '{row[by_header[header]]}' is niet bekend; importeer die eerst")
                   for line, row in rows if row[by_header[header]] not in found]
    return errors


def _known_keys(conn: Connection, spec: ImportKind, keys: list[str]) -> set[str]:
    column = spec.table.c[spec.key]
    return {k for chunk in chunks(keys) for k in conn.execute(select(column).where(column.in_(chunk))).scalars()}


def _upsert(conn: Connection, spec: ImportKind, rows: list[dict[str, str]], now: datetime) -> None:
    if spec.table is pupils:
        upsert_rows(conn, pupils, ["id"], [{"id": r["id"], "school_brin": r["school_brin"],
                                            "residence_cbs": r["residence_cbs"], "birth_date": r["birth_date"],
                                            "updated_at": now} for r in rows])
        upsert_rows(conn, pupil_identities, ["pupil_id"], [
            {"pupil_id": r["id"], "given_name": r["given_name"], "family_name": r["family_name"],
             "bsn": r["bsn"] or None} for r in rows])
        return
    upsert_rows(conn, spec.table, [spec.key], rows)



# --- reading -----------------------------------------------------------------------------------------

REFERENCE = {"gemeenten": (municipalities, "cbs_code"), "swvs": (swvs, "code"), "scholen": (schools, "brin")}


def reference_rows(engine: Engine, kind: str, limit: int, offset: int,
                   where: Mapping[str, str] | None = None) -> tuple[list[dict[str, Any]], int]:
    """A page of one kind of reference data in key order, and how many rows match in all."""
    table, key = REFERENCE[kind]
    conditions = [table.c[name] == value for name, value in (where or {}).items()]
    with engine.connect() as conn:
        rows = conn.execute(select(table).where(*conditions).order_by(table.c[key]).limit(limit).offset(offset))
        items = [dict(r._mapping) for r in rows]  # noqa: SLF001 - SQLAlchemy's public row mapping
        total = conn.execute(select(func.count()).select_from(table).where(*conditions)).scalar_one()
    return items, total


@dataclass(frozen=True)
class Identity:
    """Who the pupil is: only for their school's zorgcoördinator and their municipality's leerplicht."""

    given_name: str
    family_name: str
    bsn: str | None
    birth_date: str


@dataclass(frozen=True)
class PupilRecord:
    """A pupil as registered: pseudonymous id, school (and its SWV), municipality, identity if shown."""

    pupil_id: str
    school_brin: str | None
    swv_code: str | None
    residence_cbs: str
    birth_year: int
    identity: Identity | None


def pupil_records(conn: Connection, condition: ColumnElement[bool], with_identity: Callable[[PupilRecord], bool],
                  limit: int, offset: int) -> list[PupilRecord]:
    """The registered pupils matching ``condition``, by id; identities only where ``with_identity`` says."""
    rows = conn.execute(
        select(pupils.c.id, pupils.c.school_brin, schools.c.swv_code, pupils.c.residence_cbs, pupils.c.birth_date,
               pupil_identities.c.given_name, pupil_identities.c.family_name, pupil_identities.c.bsn)
        .select_from(pupils.outerjoin(schools, schools.c.brin == pupils.c.school_brin)
                     .outerjoin(pupil_identities, pupil_identities.c.pupil_id == pupils.c.id))
        .where(condition).order_by(pupils.c.id).limit(limit).offset(offset)).all()
    records = []
    for r in rows:
        record = PupilRecord(r.id, r.school_brin, r.swv_code, r.residence_cbs, int(r.birth_date[:4]), None)
        if r.given_name is not None and with_identity(record):
            record = dataclasses.replace(record, identity=Identity(r.given_name, r.family_name, r.bsn, r.birth_date))
        records.append(record)
    return records
