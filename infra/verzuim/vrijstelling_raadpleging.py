"""The SWV consulted before a vrijstelling 5 onder a (issue 15 item 5; seed 001 §4.7): leerplicht records an
intended vrijstelling (*voorgenomen*) and the SWV coordinator of the pupil's school's SWV is asked (an alert,
with the term of the profile's ``vrijstelling_raadpleging_dagen``); the coordinator records that they were
consulted; the vrijstelling, when recorded, carries the day of the consultation
(``vrijstellingen.swv_geraadpleegd_on``) and the voornemen becomes *verleend*.

In a profile with ``vrijstelling_raadpleging_swv`` (VO 31-02) a 5a without a consulted voornemen for the same
pupil and first day is refused, whether recorded alone (422 ``record-rejected``) or in a CSV file (422
``import-rejected``, by line): the check runs in the write's transaction after the usual checks, so a pupil
the user cannot see still reads as unknown, and a refusal writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Connection, select, tuple_, update

from domain.access import Principal
from domain.errors import ImportRejected, InvalidCommand, NotFound, RoleNotAllowed, RowError
from domain.registry import PathwayRegistry
from domain.roles import ADMIN, LEERPLICHT, SWV_COORDINATOR
from domain.terms import datum
from domain.verzuim.melding import VRIJSTELLING_CONSULT_KIND, consult_problem, raadplegen_uiterlijk
from infra.delivery.alerts import NewAlert, raise_alerts
from infra.store.db import Begin, chunks
from infra.store.tables import pupils, schools
from infra.store.verzuim_tables import vrijstelling_voornemens, vrijstellingen
from infra.verzuim.inputs import RecordRejected, UnknownPupil
from infra.verzuim.meldingen import settings_of

ASKED: Final = "vrijstelling_raadpleging"
ANSWERED: Final = "vrijstelling_geraadpleegd"
VOORGENOMEN: Final = "voorgenomen"
VERLEEND: Final = "verleend"


class VoornemenNotFound(NotFound):
    """No intended vrijstelling with this id for the user."""

    code = "voornemen-not-found"

    def __init__(self, voornemen_id: int) -> None:
        super().__init__(f"No intended vrijstelling {voornemen_id} for this user",
                         f"Voornemen tot vrijstelling {voornemen_id} bestaat niet (of valt niet onder uw account).")


@dataclass(frozen=True)
class Line:
    """A vrijstelling being recorded: its CSV line (0 for one recorded alone) and natural key."""

    line: int
    pupil_id: str
    kind: str
    first_day: date


@dataclass(frozen=True)
class VoornemenRow:
    """An intended vrijstelling as stored."""

    id: int
    pupil_id: str
    kind: str
    first_day: date
    last_day: date | None
    swv_code: str | None
    voorgenomen_on: date
    raadplegen_uiterlijk: date
    geraadpleegd_on: date | None
    status: str


def _pupil(conn: Connection, pupil_id: str) -> tuple[str, str | None, str | None] | None:
    """(residence, registered school, its SWV) of a pupil, or None."""
    row = conn.execute(select(pupils.c.residence_cbs, pupils.c.school_brin, schools.c.swv_code)
                       .select_from(pupils.outerjoin(schools, schools.c.brin == pupils.c.school_brin))
                       .where(pupils.c.id == pupil_id)).first()
    return None if row is None else (row.residence_cbs, row.school_brin, row.swv_code)


def propose(conn: Connection, principal: Principal, registry: PathwayRegistry, pupil_id: str, first_day: date,
            last_day: date | None, today: date, now: datetime) -> VoornemenRow:
    """Record that leerplicht (of the pupil's municipality; or an admin) intends a vrijstelling 5 onder a, and
    ask the SWV coordinator (an alert, once per voornemen). Recording it again changes its last day.
    """
    if principal.role not in (LEERPLICHT, ADMIN):
        raise RoleNotAllowed("leg_voornemen_vrijstelling_vast", principal.role, (LEERPLICHT, ADMIN))
    pupil = _pupil(conn, pupil_id)
    if pupil is None or (principal.role == LEERPLICHT and pupil[0] not in principal.scopes):
        raise UnknownPupil(pupil_id)
    residence, school, swv = pupil
    problems = _period_problems(first_day, last_day)
    if swv is None:
        problems.append(f"Leerling {pupil_id} staat niet geregistreerd op een school met een bekend "
                        "samenwerkingsverband; de SWV-coördinator kan niet worden geraadpleegd.")
    if problems:
        raise InvalidCommand(problems)
    due = raadplegen_uiterlijk(today, settings_of(registry)(swv).vrijstelling_raadpleging_dagen)
    table = vrijstelling_voornemens
    key = (table.c.pupil_id == pupil_id, table.c.kind == VRIJSTELLING_CONSULT_KIND, table.c.first_day == first_day)
    existing = conn.execute(select(table.c.id).where(*key)).scalar_one_or_none()
    if existing is None:
        conn.execute(table.insert().values(
            pupil_id=pupil_id, kind=VRIJSTELLING_CONSULT_KIND, first_day=first_day, last_day=last_day, swv_code=swv,
            voorgenomen_on=today, raadplegen_uiterlijk=due, voorgenomen_by=principal.user_id, status=VOORGENOMEN,
            created_at=now, updated_at=now))
    else:
        conn.execute(update(table).where(table.c.id == existing).values(last_day=last_day, updated_at=now))
    row = _row(conn.execute(select(table).where(*key)).one())
    raise_alerts(conn, [_asked(row, school, residence)], now)
    return row


def _period_problems(first_day: date, last_day: date | None) -> list[str]:
    if last_day is not None and last_day < first_day:
        return [f"De laatste dag ({last_day.isoformat()}) ligt vóór de eerste dag ({first_day.isoformat()})."]
    return []


def _asked(row: VoornemenRow, school: str | None, residence: str) -> NewAlert:
    title = (f"Raadpleging vrijstelling 5 onder a: leerplicht is voornemens leerling {row.pupil_id} (school "
             f"{school or 'onbekend'}) vrij te stellen per {datum(row.first_day)}; leg uiterlijk "
             f"{datum(row.raadplegen_uiterlijk)} vast dat u bent geraadpleegd (ondersteuningsplan §4.7).")
    facts = {"voornemen": row.id, "kind": ASKED, "pupil_id": row.pupil_id, "school_brin": school,
             "residence_cbs": residence, "first_day": row.first_day.isoformat(),
             "raadplegen_uiterlijk": row.raadplegen_uiterlijk.isoformat()}
    return NewAlert(ASKED, SWV_COORDINATOR, row.swv_code or "", f"voornemen:{row.id}:{ASKED}:{SWV_COORDINATOR}",
                    title, facts, None, row.pupil_id)


def consult(conn: Connection, principal: Principal, voornemen_id: int, today: date, now: datetime) -> VoornemenRow:
    """The SWV coordinator (of the voornemen's SWV; or an admin) records that they were consulted; leerplicht
    of the pupil's municipality hears of it. Recording it again keeps the first day.
    """
    if principal.role not in (SWV_COORDINATOR, ADMIN):
        raise RoleNotAllowed("leg_raadpleging_swv_vast", principal.role, (SWV_COORDINATOR, ADMIN))
    table = vrijstelling_voornemens
    found = conn.execute(select(table).where(table.c.id == voornemen_id)).first()
    if found is None or (principal.role == SWV_COORDINATOR and found.swv_code not in principal.scopes):
        raise VoornemenNotFound(voornemen_id)
    conn.execute(update(table).where(table.c.id == voornemen_id, table.c.geraadpleegd_on.is_(None))
                 .values(geraadpleegd_on=today, geraadpleegd_by=principal.user_id, updated_at=now))
    row = _row(conn.execute(select(table).where(table.c.id == voornemen_id)).one())
    pupil = _pupil(conn, row.pupil_id)
    if pupil is not None and row.geraadpleegd_on is not None:
        title = (f"SWV geraadpleegd: de SWV-coördinator is op {datum(row.geraadpleegd_on)} geraadpleegd over de "
                 f"voorgenomen vrijstelling 5 onder a van leerling {row.pupil_id} per {datum(row.first_day)}; de "
                 "vrijstelling kan nu worden vastgelegd.")
        facts = {"voornemen": row.id, "kind": ANSWERED, "pupil_id": row.pupil_id,
                 "geraadpleegd_on": row.geraadpleegd_on.isoformat(), "first_day": row.first_day.isoformat()}
        raise_alerts(conn, [NewAlert(ANSWERED, LEERPLICHT, pupil[0], f"voornemen:{row.id}:{ANSWERED}:{LEERPLICHT}",
                                     title, facts, None, row.pupil_id)], now)
    return row


def find(conn: Connection, voornemen_id: int) -> VoornemenRow | None:
    """An intended vrijstelling by id (the caller checked the reader may see it)."""
    row = conn.execute(select(vrijstelling_voornemens).where(vrijstelling_voornemens.c.id == voornemen_id)).first()
    return None if row is None else _row(row)


def _row(r: Any) -> VoornemenRow:
    return VoornemenRow(r.id, r.pupil_id, r.kind, r.first_day, r.last_day, r.swv_code, r.voorgenomen_on,
                        r.raadplegen_uiterlijk, r.geraadpleegd_on, r.status)


def guarded(begin: Begin, registry: PathwayRegistry, lines: Sequence[Line], *, csv: bool) -> Begin:
    """``begin`` that, before the write's transaction commits, refuses a 5a without the consultation its
    profile requires (rolling the write back) and records the consultation on every 5a written with one.
    """
    @contextmanager
    def opened() -> Iterator[Connection]:
        with begin() as conn:
            yield conn
            consulted = _consulted(conn, lines)
            problems = _problems(conn, registry, lines, consulted)
            if problems:
                if csv:
                    raise ImportRejected([RowError(line.line, "soort", text) for line, text in problems])
                raise RecordRejected([text[:1].upper() + text[1:] + "." for _, text in problems])
            _granted(conn, consulted)
    return opened


def _consulted(conn: Connection, lines: Sequence[Line]) -> dict[tuple[str, date], date]:
    """(pupil, first day) -> the day the SWV was consulted, for the 5a lines with a consulted voornemen."""
    keys = sorted({(line.pupil_id, line.first_day) for line in lines if line.kind == VRIJSTELLING_CONSULT_KIND})
    table = vrijstelling_voornemens
    found: dict[tuple[str, date], date] = {}
    for group in chunks(keys):
        found.update({(r.pupil_id, r.first_day): r.geraadpleegd_on for r in conn.execute(
            select(table.c.pupil_id, table.c.first_day, table.c.geraadpleegd_on).where(
                table.c.kind == VRIJSTELLING_CONSULT_KIND, table.c.geraadpleegd_on.is_not(None),
                tuple_(table.c.pupil_id, table.c.first_day).in_(group)))})
    return found


def _problems(conn: Connection, registry: PathwayRegistry, lines: Sequence[Line],
              consulted: dict[tuple[str, date], date]) -> list[tuple[Line, str]]:
    settings = settings_of(registry)
    found: list[tuple[Line, str]] = []
    for line in lines:
        if line.kind != VRIJSTELLING_CONSULT_KIND or (line.pupil_id, line.first_day) in consulted:
            continue
        pupil = _pupil(conn, line.pupil_id)
        required = pupil is not None and settings(pupil[2]).vrijstelling_raadpleging_swv
        problem = consult_problem(line.kind, line.first_day, required=required, consulted=False)
        if problem is not None:
            found.append((line, problem))
    return found


def _granted(conn: Connection, consulted: dict[tuple[str, date], date]) -> None:
    for (pupil_id, first_day), on in consulted.items():
        conn.execute(update(vrijstellingen).where(
            vrijstellingen.c.pupil_id == pupil_id, vrijstellingen.c.kind == VRIJSTELLING_CONSULT_KIND,
            vrijstellingen.c.first_day == first_day).values(swv_geraadpleegd_on=on))
        conn.execute(update(vrijstelling_voornemens).where(
            vrijstelling_voornemens.c.pupil_id == pupil_id, vrijstelling_voornemens.c.first_day == first_day,
            vrijstelling_voornemens.c.kind == VRIJSTELLING_CONSULT_KIND).values(status=VERLEEND))
