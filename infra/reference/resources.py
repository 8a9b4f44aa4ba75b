"""Reference data and pupils: municipalities, SWVs, schools and pupils, imported from CSV and read back.

An import checks every row and column first and writes nothing from a file with any defect
(:class:`domain.errors.ImportRejected` lists them all, by line and column); a clean file is written in
one transaction, inserting new rows and updating known ones. Headers are Dutch: the files come from
people (see ``IMPORTS`` for the columns of each kind). How a file is read and how a value is checked is
:mod:`infra.reference.csv_import`.

A pupil is a pseudonymous id with the municipality they live in, their birth date and their school;
their names and BSN go to ``pupil_identities`` and are only read for roles that must know them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, func, select

from domain.durations import NL
from domain.errors import ImportRejected, RowError
from infra.identity.accounts import BRIN, CBS
from infra.reference.csv_import import (
    Column,
    ImportKind,
    birth_date,
    bsn,
    iso_date,
    matches,
    one_of,
    read_csv,
    text,
)
from infra.store.db import UPSERT_CHUNK, Begin, chunks, dialect_insert, upsert_rows
from infra.store.tables import cases, municipalities, pupil_identities, pupils, schools, swvs

SWV_CODE = re.compile(r"^(PO|VO)[0-9]{2}[0-9A-Z]{2}$")
PSEUDONYM = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SCHOOL_KINDS = ("po", "sbo", "so", "vo", "vso")
REGIONS = ("noord", "midden", "zuid")


IMPORTS: dict[str, ImportKind] = {kind.name: kind for kind in (
    ImportKind("gemeenten", "gemeenten", municipalities, "cbs_code", (
        Column("cbs_code", "cbs_code", matches(CBS, "0917")),
        Column("naam", "name", text(100)),
    ), {}),
    ImportKind("swvs", "samenwerkingsverbanden", swvs, "code", (
        Column("code", "code", matches(SWV_CODE, "VO3102")),
        Column("naam", "name", text(200)),
        Column("sector", "sector", one_of(("po", "vo"))),
    ), {}),
    ImportKind("scholen", "scholen", schools, "brin", (
        Column("brin", "brin", matches(BRIN, "14PS03")),
        Column("naam", "name", text(200)),
        Column("swv", "swv_code", matches(SWV_CODE, "VO3102")),
        Column("soort", "kind", one_of(SCHOOL_KINDS)),
        Column("gemeente", "municipality_cbs", matches(CBS, "0917")),
        Column("vakantieregio", "calendar_region", one_of(REGIONS)),
    ), {"swv": (swvs, "code", "samenwerkingsverband"), "gemeente": (municipalities, "cbs_code", "gemeente")}),
    ImportKind("leerlingen", "leerlingen", pupils, "id", (
        Column("leerling_id", "id", matches(PSEUDONYM, "lln-0042")),
        Column("school", "school_brin", matches(BRIN, "14PS03")),
        Column("woongemeente", "residence_cbs", matches(CBS, "0917")),
        Column("geboortedatum", "birth_date", birth_date),
        Column("voornaam", "given_name", text(100)),
        Column("achternaam", "family_name", text(100)),
        Column("bsn", "bsn", bsn, required=False),
        Column("startkwalificatie", "startkwalificatie_on", lambda v: iso_date(v) if v else None, required=False),
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
    """:func:`import_csv_in` in a transaction of its own."""
    return import_csv_in(engine.begin, kind, content, now, allowed_schools)


def import_csv_in(begin: Begin, kind: str, content: str, now: datetime,
                  allowed_schools: Collection[str] | None = None) -> Imported:
    """Import a CSV file of ``kind`` (see IMPORTS) all or nothing, in the transaction ``begin`` opens (the
    service's also appends the import's audit row before it commits; the file is read before it opens);
    ImportRejected lists every defect.

    ``allowed_schools`` is None for an admin (any school, any pupil) and a zorgcoördinator's schools
    otherwise. Their pupil file may only create pupils and update the pupils registered at those
    schools: a row naming a pupil id that is in use outside them is a row error (``NOT_IMPORTABLE``),
    so the whole file is refused and nothing is written. Why this and not less:

    - Updating such a pupil would move them (school, residence, identity) into the importer's school:
      a takeover. So refuse it, before writing, and again at the write (see :func:`_upsert_pupils`), so
      that a pupil registered by another school in between is not moved either.
    - Pupil ids are one global key, and a fresh id must stay creatable, so "this id cannot be imported
      here" is necessarily observable for an id in use elsewhere, whatever the wording. What the refusal
      may not say is *what* uses it. "In use outside your schools" therefore covers a pupil registered
      at another school (or at none) *and* an id no registered pupil has but a trajectory of another
      school names (registering that id would likewise reach into that school's case: the pupil's
      residence decides which leerplicht sees it). Both read word for word alike, so the refusal does
      not reveal that a pupil with that id is registered, let alone where, who they are, or anything
      else about them; pupil ids are pseudonyms the schools issue, so it confirms no more than that an
      id the importer already holds is taken.
    - The counts could reveal existence only if a row about someone else's pupil were accepted. A
      zorgcoördinator's accepted rows are ids new to the register (unused, or named only by their own
      schools' trajectories: ``added``) or pupils registered at their schools (``updated``), which they
      read anyway (``GET /pupils?school=``); so ``added`` and ``updated`` tell them nothing new.
    """
    spec = _spec(kind)
    rows = read_csv(spec, content)
    with begin() as conn:
        errors = _check_rows(conn, spec, rows, allowed_schools, now.astimezone(NL).date())
        if errors:
            raise ImportRejected(errors)
        known = _known_keys(conn, spec, [r[spec.key] for _, r in rows])
        _upsert(conn, spec, rows, now, allowed_schools)
    return Imported(kind, len(rows) - len(known), len(known))


def _spec(kind: str) -> ImportKind:
    if kind not in IMPORTS:
        raise ImportRejected([RowError(0, "-", f"onbekende soort import '{kind}'; kies uit {', '.join(IMPORTS)}")])
    return IMPORTS[kind]




def _check_rows(conn: Connection, spec: ImportKind, rows: list[tuple[int, dict[str, str]]],
                allowed_schools: Collection[str] | None, today: date) -> list[RowError]:
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
        born = row.get("birth_date", "")
        if spec.table is pupils and birth_date(born) is None and date.fromisoformat(born) > today:
            errors.append(RowError(line, "geboortedatum", f"{born} ligt in de toekomst"))
        if spec.table is pupils:
            errors += _startkwalificatie_errors(line, born, row.get("startkwalificatie_on", ""), today)
    malformed = {(e.line, e.column) for e in errors}
    errors += [e for e in _missing_references(conn, spec, rows) if (e.line, e.column) not in malformed]
    if spec.table is pupils and allowed_schools is not None:
        taken = _in_use_elsewhere(conn, [row["id"] for _, row in rows], allowed_schools)
        errors += [RowError(line, "leerling_id", NOT_IMPORTABLE.format(pupil_id=row["id"]))
                   for line, row in rows if row["id"] in taken]
    return sorted(errors, key=lambda e: (e.line, e.column))


def _day_or_none(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _startkwalificatie_errors(line: int, born: str, obtained: str, today: date) -> list[RowError]:
    """A startkwalificatie (diploma havo, vwo or mbo-2) is obtained after birth and not in the future."""
    if not obtained or iso_date(obtained) is not None:
        return []
    day = date.fromisoformat(obtained)
    if day > today:
        return [RowError(line, "startkwalificatie", f"{obtained} ligt in de toekomst")]
    if birth_date(born) is None and day <= date.fromisoformat(born):
        return [RowError(line, "startkwalificatie", f"{obtained} ligt vóór de geboortedatum")]
    return []


NOT_IMPORTABLE = ("leerling-id {pupil_id} kan niet door deze school worden geïmporteerd; kies een ander "
                  "leerling-id of vraag de beheerder")
"""The one refusal for an id in use outside the importer's schools (see :func:`import_csv` for why one)."""


def _in_use_elsewhere(conn: Connection, ids: list[str], allowed_schools: Collection[str]) -> set[str]:
    """The ids of ``ids`` registered at a school not in ``allowed_schools`` (or at none), or not registered
    but named by a trajectory of such a school.
    """
    schools_of: dict[str, str | None] = {}
    named_elsewhere: set[str] = set()
    for chunk in chunks(sorted(set(ids))):
        schools_of.update({r.id: r.school_brin for r in conn.execute(
            select(pupils.c.id, pupils.c.school_brin).where(pupils.c.id.in_(chunk)))})
        named_elsewhere.update(conn.execute(select(cases.c.pupil_id).where(
            cases.c.pupil_id.in_(chunk), cases.c.school_brin.not_in(allowed_schools))).scalars())
    return {i for i in ids if (schools_of[i] not in allowed_schools if i in schools_of else i in named_elsewhere)}


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


def _upsert(conn: Connection, spec: ImportKind, rows: list[tuple[int, dict[str, str]]], now: datetime,
            allowed_schools: Collection[str] | None) -> None:
    if spec.table is pupils:
        _upsert_pupils(conn, rows, now, allowed_schools)
        return
    upsert_rows(conn, spec.table, [spec.key], [row for _, row in rows])


def _upsert_pupils(conn: Connection, rows: list[tuple[int, dict[str, str]]], now: datetime,
                   allowed_schools: Collection[str] | None) -> None:
    """Insert or update the pupils, then their identities. Limited to ``allowed_schools``, an existing pupil
    is only updated while registered at one of them (a condition in the statement itself): a pupil another
    school registered after the checks read is left as it is, and the file is refused as if the checks had
    seen it (ImportRejected rolls the transaction back).
    """
    for chunk in chunks([row for _, row in rows], UPSERT_CHUNK):
        statement = dialect_insert(conn, pupils).values([
            {"id": r["id"], "school_brin": r["school_brin"], "residence_cbs": r["residence_cbs"],
             "birth_date": r["birth_date"], "updated_at": now,
             "startkwalificatie_on": _day_or_none(r["startkwalificatie_on"])} for r in chunk])
        changed = {name: statement.excluded[name] for name in ("school_brin", "residence_cbs", "birth_date",
                                                                "startkwalificatie_on", "updated_at")}
        conn.execute(statement.on_conflict_do_update(
            index_elements=[pupils.c.id], set_=changed,
            where=None if allowed_schools is None else pupils.c.school_brin.in_(allowed_schools)))
    if allowed_schools is not None:
        moved = _in_use_elsewhere(conn, [row["id"] for _, row in rows], allowed_schools)
        if moved:
            raise ImportRejected([RowError(line, "leerling_id", NOT_IMPORTABLE.format(pupil_id=row["id"]))
                                  for line, row in rows if row["id"] in moved])
    upsert_rows(conn, pupil_identities, ["pupil_id"], [
        {"pupil_id": r["id"], "given_name": r["given_name"], "family_name": r["family_name"],
         "bsn": r["bsn"] or None} for _, r in rows])



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
