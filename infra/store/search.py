"""Finding cases: search with filters and keyset pagination, counts, and the events behind the indicators.

Every query takes the caller's scope as a condition on ``cases`` (:func:`infra.store.scope.case_scope`),
so nothing out of scope is listed, counted or summed. Pages are ordered by a sort column and the case
id (a total, stable order); the cursor is the last row's (sort value, id), so a page never repeats or
skips a case when cases are added meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, exists, false, func, or_, select

from domain.errors import InvalidCommand
from domain.stalled import DAYS_IN_STAGE_BANDS, TimeInStage, band_cutoffs, bands
from infra.store.tables import case_events, cases, timers

SORTS = {"stage_entered_at": cases.c.stage_entered_at, "opened_at": cases.c.opened_at,
         "updated_at": cases.c.updated_at}
_PENDING = "pending"


@dataclass(frozen=True)
class CaseFilter:
    """What to look for; None means any."""

    pathway: str | None = None
    stage: str | None = None
    school_brin: str | None = None
    pupil_id: str | None = None
    overdue: bool | None = None
    min_days_in_stage: int | None = None
    active: bool | None = None


@dataclass(frozen=True)
class CaseRow:
    """One case as a list shows it (no payload content)."""

    case_id: str
    pathway: str
    definition_version: int
    profile: str
    school_brin: str
    pupil_id: str
    stage: str
    opened_at: datetime
    stage_entered_at: datetime
    updated_at: datetime
    next_due_at: datetime | None


def search_cases(conn: Connection, scope: ColumnElement[bool], finals: Mapping[str, Collection[str]],
                 wanted: CaseFilter, now: datetime, sort: str, descending: bool, limit: int,
                 cursor: str | None) -> tuple[list[CaseRow], str | None]:
    """A page of the cases in scope matching ``wanted`` and the cursor of the next page (None: last page)."""
    column = SORTS[sort]
    conditions = [scope, *_conditions(wanted, finals, now)]
    if cursor is not None:
        conditions.append(_after(column, descending, *_decode(cursor)))
    order = (column.desc(), cases.c.id.desc()) if descending else (column.asc(), cases.c.id.asc())
    rows = conn.execute(select(cases.c.id.label("case_id"), cases.c.pathway, cases.c.definition_version,
                               cases.c.profile, cases.c.school_brin, cases.c.pupil_id, cases.c.stage, cases.c.opened_at,
                               cases.c.stage_entered_at, cases.c.updated_at)
                        .where(*conditions).order_by(*order).limit(limit + 1)).all()
    due = _next_due(conn, [r.case_id for r in rows[:limit]])
    found = [CaseRow(**r._mapping, next_due_at=due.get(r.case_id)) for r in rows[:limit]]  # noqa: SLF001
    following = _encode(getattr(found[-1], sort), found[-1].case_id) if len(rows) > limit else None
    return found, following


def count_cases(conn: Connection, scope: ColumnElement[bool], finals: Mapping[str, Collection[str]],
                wanted: CaseFilter, now: datetime, by: tuple[str, ...]) -> list[tuple[tuple[str, ...], int]]:
    """How many cases in scope match ``wanted``, per value of the ``by`` columns, largest first."""
    keys = [cases.c[name] for name in by]
    rows = conn.execute(select(*keys, func.count()).where(scope, *_conditions(wanted, finals, now))
                        .group_by(*keys).order_by(func.count().desc(), *keys)).all()
    return [(tuple(r[:-1]), r[-1]) for r in rows]


def time_in_stage(conn: Connection, scope: ColumnElement[bool], finals: Mapping[str, Collection[str]],
                  now: datetime, bounds: tuple[int, ...] = DAYS_IN_STAGE_BANDS) -> list[TimeInStage]:
    """Per (pathway, stage), the active cases in scope counted by how long they have been in the stage.

    One grouped query: per band bound, a sum of the cases that entered after the bound's cutoff.
    """
    fewer_than = [func.sum(case((cases.c.stage_entered_at > cutoff, 1), else_=0))
                  for cutoff in band_cutoffs(now, bounds)]
    rows = conn.execute(select(cases.c.pathway, cases.c.stage, func.count(), *fewer_than)
                        .where(scope, *_conditions(CaseFilter(active=True), finals, now))
                        .group_by(cases.c.pathway, cases.c.stage).order_by(cases.c.pathway, cases.c.stage)).all()
    return [bands(r[0], r[1], r[2], [int(n) for n in r[3:]]) for r in rows]


def events_between(conn: Connection, scope: ColumnElement[bool], types: Collection[str], start: datetime,
                   end: datetime) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(case id, pathway, event type, payload) of the events of ``types`` that happened in [start, end)."""
    rows = conn.execute(select(case_events.c.case_id, case_events.c.pathway, case_events.c.type,
                               case_events.c.payload)
                        .join(cases, cases.c.id == case_events.c.case_id)
                        .where(scope, case_events.c.type.in_(types), case_events.c.occurred_at >= start,
                               case_events.c.occurred_at < end)).all()
    return [(r.case_id, r.pathway, r.type, dict(r.payload)) for r in rows]


def case_conditions(wanted: CaseFilter, finals: Mapping[str, Collection[str]], now: datetime,
                    ) -> list[ColumnElement[bool]]:
    """The conditions on ``cases`` (and its timers) that select the cases matching ``wanted``."""
    return _conditions(wanted, finals, now)


def _conditions(wanted: CaseFilter, finals: Mapping[str, Collection[str]], now: datetime,
                ) -> list[ColumnElement[bool]]:
    conditions = [cases.c[column] == value for column, value in (
        ("pathway", wanted.pathway), ("stage", wanted.stage), ("school_brin", wanted.school_brin),
        ("pupil_id", wanted.pupil_id)) if value is not None]
    if wanted.min_days_in_stage is not None:
        conditions.append(cases.c.stage_entered_at <= now - timedelta(days=wanted.min_days_in_stage))
    if wanted.overdue is not None:
        late = exists().where(timers.c.case_id == cases.c.id, timers.c.state == _PENDING, timers.c.due_at <= now)
        conditions.append(late if wanted.overdue else ~late)
    if wanted.active is not None:
        final = or_(false(), *(and_(cases.c.pathway == p, cases.c.stage.in_(s)) for p, s in finals.items() if s))
        conditions.append(~final if wanted.active else final)
    return conditions


def _after(column: Any, descending: bool, value: datetime, case_id: str) -> ColumnElement[bool]:
    if descending:
        return or_(column < value, and_(column == value, cases.c.id < case_id))
    return or_(column > value, and_(column == value, cases.c.id > case_id))


def _next_due(conn: Connection, case_ids: list[str]) -> dict[str, datetime]:
    if not case_ids:
        return {}
    rows = conn.execute(select(timers.c.case_id, func.min(timers.c.due_at))
                        .where(timers.c.case_id.in_(case_ids), timers.c.state == _PENDING)
                        .group_by(timers.c.case_id)).all()
    return {r[0]: r[1] for r in rows}


def _encode(value: datetime, case_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([value.isoformat(), case_id]).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        value, case_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(value), str(case_id)
    except (ValueError, TypeError, binascii.Error) as error:
        raise InvalidCommand(["De cursor is ongeldig; vraag de eerste pagina opnieuw op."]) from error

