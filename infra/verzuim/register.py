"""The thuiszitter register read back: per user (an SWV coordinator: the schools of their SWV; leerplicht:
the pupils living in their municipality; an admin: all), and as the quarterly export for the Inspectie.

The export is anonymised: no names, no BSN, no birth date (the birth year only), no pupil id, no case id.
Its ``leerling`` column numbers the pupils within one export (the same pupil twice: the same number), so
two exports cannot be joined on it. Every episode open at any time in the quarter is in it, 5-onder-a
vrijstellingen included, measured at the end of the quarter (or the day before ``today`` when earlier).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, func, or_, select, true

from domain.access import Principal
from domain.errors import InvalidCommand, RoleNotAllowed
from domain.roles import ADMIN, LEERPLICHT, SWV_COORDINATOR
from domain.verzuim import Episode, register_category
from infra.store.tables import pupils, schools
from infra.store.verzuim_tables import thuiszitter_episodes
from infra.verzuim.plan import ACTIONS

READERS: Final = (SWV_COORDINATOR, LEERPLICHT, ADMIN)
QUARTER: Final = re.compile(r"^(20[0-9]{2})[Qq]([1-4])$")
EXPORT_COLUMNS: Final = ("volgnummer", "leerling", "soort", "plicht", "begin", "einde", "schoolweken", "brin",
                         "swv", "gemeente_cbs", "geboortejaar", "ondernomen_acties")
"""The export's columns, documented in the README (section Thuiszitters)."""


@dataclass(frozen=True)
class RegisterRow:
    """One episode of the register as a user reads it."""

    key: str
    pupil_id: str
    kind: str
    category: str
    first_day: date
    last_day: date | None
    school_brin: str | None
    swv_code: str | None
    residence_cbs: str
    school_weeks: int
    case_id: str | None
    actions: tuple[Mapping[str, Any], ...]
    duty: str = "leerplicht"
    """The duty the pupil was under when it became a thuiszitter: leerplicht or kwalificatieplicht (art. 4a)."""


def register_scope(principal: Principal) -> ColumnElement[bool]:
    """The register rows the user may read; RoleNotAllowed (403) for the other roles."""
    if principal.role == ADMIN:
        return true()
    if principal.role == SWV_COORDINATOR:
        return schools.c.swv_code.in_(principal.scopes)
    if principal.role == LEERPLICHT:
        return thuiszitter_episodes.c.residence_cbs.in_(principal.scopes)
    raise RoleNotAllowed("lees_thuiszitterregister", principal.role, READERS)


def register_rows(conn: Connection, condition: ColumnElement[bool], first: date, last: date,
                  as_of: date) -> list[RegisterRow]:
    """Episodes open at any time in ``first..last`` within ``condition``, oldest first; the category as of
    ``as_of`` (an open episode measured up to the day before).
    """
    if last < first:
        raise InvalidCommand([f"De periode eindigt ({last.isoformat()}) vóór die begint ({first.isoformat()})."])
    table = thuiszitter_episodes
    rows = conn.execute(
        select(table, schools.c.swv_code).select_from(table.outerjoin(schools, schools.c.brin == table.c.school_brin))
        .where(condition, table.c.first_day <= last, or_(table.c.last_day.is_(None), table.c.last_day >= first))
        .order_by(table.c.first_day, table.c.id)).all()
    return [RegisterRow(r.key, r.pupil_id, r.kind, _category(r, as_of), r.first_day, r.last_day, r.school_brin,
                        r.swv_code, r.residence_cbs, r.school_weeks, r.case_id, tuple(r.actions), r.duty) for r in rows]


def hidden_open(conn: Connection, condition: ColumnElement[bool], as_of: date,
                limit: int) -> tuple[int, list[RegisterRow]]:
    """The hidden thuiszitters still at home (open ``verborgen`` episodes) within ``condition``: how many,
    and the ``limit`` longest at home first (issue 15; seed 002).
    """
    table = thuiszitter_episodes
    where = (condition, table.c.kind == "verborgen", table.c.last_day.is_(None))
    joined = table.outerjoin(schools, schools.c.brin == table.c.school_brin)
    total = conn.execute(select(func.count()).select_from(joined).where(*where)).scalar() or 0
    rows = conn.execute(select(table, schools.c.swv_code).select_from(joined).where(*where)
                        .order_by(table.c.first_day, table.c.id).limit(limit)).all()
    return total, [RegisterRow(r.key, r.pupil_id, r.kind, _category(r, as_of), r.first_day, r.last_day,
                               r.school_brin, r.swv_code, r.residence_cbs, r.school_weeks, r.case_id,
                               tuple(r.actions), r.duty) for r in rows]


def _category(row: Any, as_of: date) -> str:
    last = row.last_day if row.last_day is not None and row.last_day < as_of else None
    episode = Episode(row.pupil_id, row.kind, row.first_day, last, row.school_brin, row.residence_cbs,
                      row.school_weeks)
    return register_category(episode, as_of)


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of a quarter written like ``2026Q4``; InvalidCommand otherwise."""
    found = QUARTER.match(quarter.strip())
    if found is None:
        raise InvalidCommand([f"Een kwartaal schrijf je als 2026Q4, niet '{quarter}'."])
    year, number = int(found.group(1)), int(found.group(2))
    first = date(year, 3 * number - 2, 1)
    following = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)  # noqa: PLR2004
    return first, following - timedelta(days=1)


def export_rows(conn: Connection, quarter: str, swv: str | None, today: date) -> list[dict[str, str]]:
    """The anonymised quarterly register (see the module docstring), ``swv``'s schools only if given."""
    first, last = quarter_bounds(quarter)
    as_of = min(last + timedelta(days=1), today)
    condition = schools.c.swv_code == swv if swv else true()
    found = register_rows(conn, condition, first, last, as_of)
    years = _birth_years(conn, sorted({row.pupil_id for row in found}))
    numbers: dict[str, int] = {}
    return [_export_row(position, numbers.setdefault(row.pupil_id, len(numbers) + 1), row, years, last)
            for position, row in enumerate(found, start=1)]


def _birth_years(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    years: dict[str, str] = {}
    for start in range(0, len(ids), 1000):
        years.update({r.id: r.birth_date[:4] for r in conn.execute(
            select(pupils.c.id, pupils.c.birth_date).where(pupils.c.id.in_(ids[start:start + 1000])))})
    return years


def _export_row(position: int, pupil: int, row: RegisterRow, years: Mapping[str, str],
                last: date) -> dict[str, str]:
    ended = row.last_day.isoformat() if row.last_day is not None and row.last_day <= last else ""
    done = [a for a in row.actions if str(a.get("op", "")) <= last.isoformat()]
    return {"volgnummer": str(position), "leerling": str(pupil), "soort": row.category,
            "plicht": "" if row.kind == "vrijstelling" else row.duty,
            "begin": row.first_day.isoformat(), "einde": ended, "schoolweken": str(row.school_weeks),
            "brin": row.school_brin or "", "swv": row.swv_code or "", "gemeente_cbs": row.residence_cbs,
            "geboortejaar": years.get(row.pupil_id, ""), "ondernomen_acties": "; ".join(_described(a) for a in done)}


def _described(item: Mapping[str, Any]) -> str:
    label = ACTIONS.get(str(item.get("actie")), str(item.get("actie")))
    return f"{item.get('op')} {label}" + (f" ({item['aan']})" if item.get("aan") else "")


def as_csv(rows: Sequence[Mapping[str, str]]) -> str:
    """The export as CSV text (comma separated, a header line first)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
