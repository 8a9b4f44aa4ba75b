"""Recording enrollments, absences and vrijstellingen: one at a time (the API) or as a CSV file
(:mod:`infra.verzuim.input_files`), checked first and written in one transaction, all or nothing.

Who may record what:

- enrollments and absences: an admin for any registered pupil; a zorgcoördinator for a school of their
  own (the enrollment's school, or the school the pupil is enrolled at on the day of the absence), and a
  new enrollment only for a pupil registered at one of their schools (see ``_visible``);
- vrijstellingen: an admin; a zorgcoördinator for a pupil of their own school (registered there, or
  enrolled there on the first and the last day); leerplicht for a pupil living in their municipality
  (leerplicht grants them).

A pupil the user cannot see reads as unknown (404); a record for a school not theirs is 403; anything
else wrong is 422 with every problem in Dutch. A CSV file names each problem by line and column instead.
An absence needs an enrollment on its day and may not lie in the future; hours are clock hours in PO and
lesson hours in VO (``0 < uren <= 24``). Recording the same enrollment (pupil, school, first day), absence
(pupil, day, geoorloofd or not) or vrijstelling (pupil, kind, first day) again updates it: an enrollment
recorded again with a last day is the uitschrijving.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Literal

from sqlalchemy import Connection, Table, select

from domain.access import Principal
from domain.errors import InvalidCommand, NotFound, OutOfScope, RoleNotAllowed
from domain.roles import ADMIN, LEERPLICHT, ZORGCOORDINATOR
from domain.verzuim.model import REASON_KINDS, VRIJSTELLING_KINDS
from infra.store.db import Begin, chunks, upsert_rows
from infra.store.tables import pupils, schools
from infra.store.verzuim_tables import absences, enrollments, vrijstellingen

EARLIEST: Final = date(2000, 1, 1)
LATEST: Final = date(2099, 12, 31)
MAX_HOURS: Final = 24.0
MAX_REASON: Final = 60
Kind = Literal["inschrijvingen", "verzuim", "vrijstellingen"]
ROLES: Final[dict[str, tuple[str, ...]]] = {
    "inschrijvingen": (ADMIN, ZORGCOORDINATOR),
    "verzuim": (ADMIN, ZORGCOORDINATOR),
    "vrijstellingen": (ADMIN, ZORGCOORDINATOR, LEERPLICHT),
}


class UnknownPupil(NotFound):
    """The pupil is not registered (or not visible to the user)."""

    code = "pupil-not-registered"

    def __init__(self, pupil_id: str) -> None:
        super().__init__(f"Pupil {pupil_id} is not registered (or not in the user's scope)",
                         f"Leerling {pupil_id} is niet bekend (of valt niet onder uw account); "
                         "importeer de leerling eerst (leerlingen).")


class RecordRejected(InvalidCommand):
    """A record has defects; nothing was written."""

    code = "record-rejected"


@dataclass(frozen=True)
class EnrollmentRecord:
    """An inschrijving (``last_day`` None: still enrolled)."""

    pupil_id: str
    school_brin: str
    first_day: date
    last_day: date | None = None


@dataclass(frozen=True)
class AbsenceRecord:
    """Absence on one day: hours, geoorloofd or not, the reason as free text and its category (``REASON_KINDS``,
    empty: not classified), and the hours on the pupil's timetable that day when known.
    """

    pupil_id: str
    day: date
    hours: float
    authorized: bool
    reason: str = ""
    reason_kind: str = ""
    scheduled_hours: float | None = None


@dataclass(frozen=True)
class VrijstellingRecord:
    """A vrijstelling of one kind (5a, 5b, 5c, 15, 11)."""

    pupil_id: str
    kind: str
    first_day: date
    last_day: date | None = None


Record = EnrollmentRecord | AbsenceRecord | VrijstellingRecord


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a record: the CSV column, the Dutch sentence, and what it means for the API."""

    column: str
    detail_nl: str
    severity: Literal["unknown", "scope", "invalid"] = "invalid"


@dataclass(frozen=True)
class Written:
    """What a write did: rows added and updated, and the pupils whose records changed."""

    kind: str
    added: int
    updated: int
    pupils: tuple[str, ...]


@dataclass
class Known:
    """What the checks read about the pupils of a batch."""

    pupils: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """pupil id -> (residence CBS, registered school)."""
    enrollments: dict[str, list[tuple[str, date, date | None]]] = field(default_factory=dict)
    schools: set[str] = field(default_factory=set)
    existing: set[tuple[Any, ...]] = field(default_factory=set)


def kind_of(record: Record) -> Kind:
    """The import kind a record belongs to."""
    if isinstance(record, EnrollmentRecord):
        return "inschrijvingen"
    return "verzuim" if isinstance(record, AbsenceRecord) else "vrijstellingen"


def key_of(record: Record) -> tuple[Any, ...]:
    """The natural key: recording a record with the same key updates it."""
    if isinstance(record, EnrollmentRecord):
        return (record.pupil_id, record.school_brin, record.first_day)
    if isinstance(record, AbsenceRecord):
        return (record.pupil_id, record.day, record.authorized)
    return (record.pupil_id, record.kind, record.first_day)


TABLES: Final[dict[str, tuple[Table, tuple[str, ...]]]] = {
    "inschrijvingen": (enrollments, ("pupil_id", "school_brin", "first_day")),
    "verzuim": (absences, ("pupil_id", "day", "authorized")),
    "vrijstellingen": (vrijstellingen, ("pupil_id", "kind", "first_day")),
}


def check_role(principal: Principal, kind: str) -> None:
    """RoleNotAllowed (403) unless the user's role records this kind."""
    allowed = ROLES.get(kind, (ADMIN,))
    if principal.role not in allowed:
        raise RoleNotAllowed(f"leg_{kind}_vast", principal.role, allowed)


# --- checks ------------------------------------------------------------------------------------------------------


def load_known(conn: Connection, records: Sequence[Record]) -> Known:
    """The pupils, their enrollments, the named schools and the existing keys of a batch of one kind."""
    known = Known()
    ids = sorted({r.pupil_id for r in records})
    for chunk in chunks(ids):
        known.pupils.update({r.id: (r.residence_cbs, r.school_brin) for r in conn.execute(
            select(pupils.c.id, pupils.c.residence_cbs, pupils.c.school_brin).where(pupils.c.id.in_(chunk)))})
        for r in conn.execute(select(enrollments.c.pupil_id, enrollments.c.school_brin, enrollments.c.first_day,
                                     enrollments.c.last_day).where(enrollments.c.pupil_id.in_(chunk))):
            known.enrollments.setdefault(r.pupil_id, []).append((r.school_brin, r.first_day, r.last_day))
        if records:
            table, columns = TABLES[kind_of(records[0])]
            known.existing.update(tuple(r) for r in conn.execute(
                select(*(table.c[c] for c in columns)).where(table.c.pupil_id.in_(chunk))))
    brins = sorted({r.school_brin for r in records if isinstance(r, EnrollmentRecord)})
    for chunk in chunks(brins):
        known.schools.update(conn.execute(select(schools.c.brin).where(schools.c.brin.in_(chunk))).scalars())
    return known


def problems_of(principal: Principal, record: Record, known: Known, today: date) -> list[Problem]:
    """Everything wrong with one record for this user, in Dutch (empty: it may be written)."""
    pupil = known.pupils.get(record.pupil_id)
    if pupil is None or not _visible(principal, record, pupil, known):
        return [Problem("leerling_id", f"leerling {record.pupil_id} is niet bekend (of valt niet onder uw "
                                       "account); importeer de leerling eerst", "unknown")]
    if isinstance(record, EnrollmentRecord):
        return _enrollment_problems(principal, record, known)
    if isinstance(record, AbsenceRecord):
        return _absence_problems(principal, record, known, today)
    return _vrijstelling_problems(principal, record, known, pupil)


def _visible(principal: Principal, record: Record, pupil: tuple[str, str | None], known: Known) -> bool:
    """Whether the user may record for this pupil at all; if not, the pupil reads as unknown.

    A zorgcoördinator records for the pupils registered at their schools and, for the days a pupil was
    enrolled at one of them, absences and vrijstellingen (checked per record). A new enrollment, though,
    only for a pupil registered at their schools: enrolling another school's pupil at their own school
    (because the pupil was there once) would let them record absence, and raise verzuim alerts, for
    days the pupil is at that other school. Recording one of their own enrollments again (the
    uitschrijving) stays possible. Refused, the pupil reads as unknown, word for word as an id that is
    not registered, so the refusal does not tell that the pupil exists.
    """
    if principal.role == ZORGCOORDINATOR:
        if pupil[1] in principal.scopes:
            return True
        if isinstance(record, EnrollmentRecord):
            return record.school_brin in principal.scopes and key_of(record) in known.existing
        return any(e[0] in principal.scopes for e in known.enrollments.get(record.pupil_id, []))
    if principal.role == LEERPLICHT:
        return pupil[0] in principal.scopes
    return principal.role == ADMIN


def _period(first: date, last: date | None, first_column: str, last_column: str) -> list[Problem]:
    if not EARLIEST <= first <= LATEST:
        return [Problem(first_column, f"{first.isoformat()} ligt niet tussen 2000 en 2099")]
    if last is not None and not first <= last <= LATEST:
        return [Problem(last_column, f"de laatste dag ({last.isoformat()}) ligt vóór de eerste dag "
                                     f"({first.isoformat()}) of na 2099")]
    return []


def _enrollment_problems(principal: Principal, record: EnrollmentRecord, known: Known) -> list[Problem]:
    found = _period(record.first_day, record.last_day, "eerste_dag", "laatste_dag")
    if principal.role == ZORGCOORDINATOR and record.school_brin not in principal.scopes:
        found.append(Problem("school", f"school {record.school_brin} valt niet onder uw account", "scope"))
    elif record.school_brin not in known.schools:
        found.append(Problem("school", f"school {record.school_brin} is niet bekend; importeer die eerst"))
    return found


def enrolled_at(known: Known, pupil_id: str, day: date) -> str | None:
    """The school the pupil is enrolled at on ``day`` (the latest enrollment that began), if any."""
    running = [(first, brin) for brin, first, last in known.enrollments.get(pupil_id, [])
               if first <= day and (last is None or day <= last)]
    return max(running)[1] if running else None


def _absence_problems(principal: Principal, record: AbsenceRecord, known: Known, today: date) -> list[Problem]:
    found = _period(record.day, None, "datum", "datum")
    if not found and record.day > today:
        found.append(Problem("datum", f"{record.day.isoformat()} ligt in de toekomst; verzuim wordt achteraf "
                                      "vastgelegd"))
    if not 0 < record.hours <= MAX_HOURS:
        found.append(Problem("uren", f"{record.hours:g} uur kan niet; vul meer dan 0 en hoogstens 24 uur in"))
    if len(record.reason) > MAX_REASON:
        found.append(Problem("reden", f"de reden is langer dan {MAX_REASON} tekens"))
    if (problem := reason_kind_problem(record.reason_kind)) is not None:
        found.append(Problem("categorie", problem))
    if record.scheduled_hours is not None and not record.hours <= record.scheduled_hours <= MAX_HOURS:
        found.append(Problem("rooster_uren", f"{record.scheduled_hours:g} uur op het rooster kan niet; vul minstens "
                                             f"de uren afwezig ({record.hours:g}) en hoogstens 24 uur in"))
    if found:
        return found
    school = enrolled_at(known, record.pupil_id, record.day)
    if school is None:
        return [Problem("datum", f"leerling {record.pupil_id} is op {record.day.isoformat()} nergens "
                                 "ingeschreven; leg eerst de inschrijving vast")]
    if principal.role == ZORGCOORDINATOR and school not in principal.scopes:
        return [Problem("leerling_id", f"leerling {record.pupil_id} staat op {record.day.isoformat()} niet "
                                       "ingeschreven op een school die onder uw account valt", "scope")]
    return []


def _vrijstelling_problems(principal: Principal, record: VrijstellingRecord, known: Known,
                           pupil: tuple[str, str | None]) -> list[Problem]:
    found = _period(record.first_day, record.last_day, "eerste_dag", "laatste_dag")
    if record.kind not in VRIJSTELLING_KINDS:
        found.append(Problem("soort", f"'{record.kind}' kan niet; kies uit {', '.join(sorted(VRIJSTELLING_KINDS))}"))
    if principal.role == ZORGCOORDINATOR and pupil[1] not in principal.scopes:
        found += _outside_own_enrollment(principal, record, known)
    return found


def _outside_own_enrollment(principal: Principal, record: VrijstellingRecord, known: Known) -> list[Problem]:
    """For a zorgcoördinator and a pupil registered elsewhere: a vrijstelling must begin and end on days the
    pupil was enrolled at one of their schools, else it would exempt the pupil (and silence verzuim
    detection) at the school they are at now.
    """
    for day in (record.first_day, record.last_day):
        if day is None:
            return [Problem("laatste_dag", f"leerling {record.pupil_id} is niet geregistreerd op een school die "
                                           "onder uw account valt; vul als laatste dag van de vrijstelling een "
                                           "dag in waarop de leerling bij u ingeschreven stond", "scope")]
        if enrolled_at(known, record.pupil_id, day) not in principal.scopes:
            return [Problem("leerling_id", f"leerling {record.pupil_id} is op {day.isoformat()} niet ingeschreven "
                                           "op een school die onder uw account valt", "scope")]
    return []


def reason_kind_problem(value: str) -> str | None:
    """None when ``value`` is empty (not classified) or one of the closed list of absence categories; else the
    Dutch sentence saying what is wrong.
    """
    if not value or value in REASON_KINDS:
        return None
    return f"categorie '{value}' kan niet; kies uit {', '.join(sorted(REASON_KINDS))} of laat leeg"


def raise_for_api(record: Record, problems: Sequence[Problem]) -> None:
    """Unknown pupil: UnknownPupil (404); another school: OutOfScope (403); else RecordRejected (422)."""
    if any(p.severity == "unknown" for p in problems):
        raise UnknownPupil(record.pupil_id)
    scope = [p.detail_nl for p in problems if p.severity == "scope"]
    if scope:
        raise OutOfScope("The record is for a school outside the user's scope", _sentence(scope[0]))
    if problems:
        raise RecordRejected([_sentence(p.detail_nl) for p in problems])


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


# --- writing -----------------------------------------------------------------------------------------------------


def record_one(begin: Begin, principal: Principal, record: Record, now: datetime, today: date) -> Written:
    """Check and write one record in the transaction ``begin`` opens (``engine.begin``, or the service's,
    which also appends the audit row); see the module docstring for the errors.
    """
    check_role(principal, kind_of(record))
    with begin() as conn:
        known = load_known(conn, [record])
        raise_for_api(record, problems_of(principal, record, known, today))
        return write(conn, [record], known, now)


def write(conn: Connection, records: Sequence[Record], known: Known, now: datetime) -> Written:
    """Insert new records and update known ones (by natural key), in the caller's transaction."""
    kind = kind_of(records[0])
    table, columns = TABLES[kind]
    upsert_rows(conn, table, columns, [{**_row(r), "recorded_at": now} for r in records])
    updated = sum(1 for r in records if key_of(r) in known.existing)
    return Written(kind, len(records) - updated, updated, tuple(sorted({r.pupil_id for r in records})))


def _row(record: Record) -> dict[str, Any]:
    return dict(vars(record))
