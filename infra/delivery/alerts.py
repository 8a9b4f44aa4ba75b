"""Alerts: a message for everyone of one role in one scope (a school, an SWV, a municipality), with
acknowledgement. Raising is idempotent on a ``dedupe_key``: exactly one alert per episode or escalation,
however often detection or the feed runs.

The escalation feed reads the outbox (its own cursor in ``feed_cursors``) and raises:
- for every deadline that passed (``Transition.marks_missed_deadline``: a system command that keeps the stage,
  or one declared ``missed_deadline`` that moves it, such as a TLV that lapsed without herbeoordeling):
  an alert to the SWV coordinators of the case's SWV and to the school's zorgcoördinator;
- for every thuiszitter reported or at home for more than 3 months: an alert to the leerplicht of the
  municipality where the pupil lives (when the pupil is registered), to the SWV coordinators and to the
  zorgcoördinator of the pupil's school, the school that must act (issue 15). For a case verzuim detection
  opened, detection alerts leerplicht itself; the feed tells the SWV and the school of the report only.
Titles are Dutch and carry no names: the pseudonymous pupil id, the school's BRIN, dates.

People read alerts in groups (:func:`groups`): the alerts of one recipient (role and scope) of one kind about
one pupil (else one case; an alert about neither is a group of its own) are one row, shown with the newest
alert's title and its updates. The grouping is computed in SQL (GROUP BY over the recipient's alerts, index
``ix_alerts_audience``), not stored: a group is new while any of its alerts is, and acknowledging it
(:func:`acknowledge_group`) acknowledges every alert of it the person saw, so one that arrives later opens the
group again. The API keeps answering per alert.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, and_, func, or_, select, update

from domain.access import Principal, swv_codes_of
from domain.errors import NotFound
from domain.registry import PathwayRegistry
from domain.roles import LEERPLICHT, SWV_COORDINATOR, ZORGCOORDINATOR
from infra.store import feeds
from infra.store.db import Begin, dialect_insert
from infra.store.tables import alerts, case_events, cases, outbox, pupils

FEED = "alerts"
BATCH = 500
THUISZITTER_EVENTS = {"thuiszitter_gemeld": "Thuiszitter gemeld",
                      "thuiszitter_langer_dan_3_maanden": "Thuiszitter langer dan 3 maanden thuis"}
KIND_LABELS = {"thuiszitter": "Thuiszitter", "dreigend_thuiszitter": "Dreigend thuiszitter",
               "thuiszitter_terug": "Thuiszitter weer op school",
               "escalatie": "Termijn verstreken", "meldplicht": "Meldplicht verzuim",
               "overdracht": "Overdracht niet gelukt", "meldplicht_niet_gemeld": "Verzuimmelding niet gedaan",
               "vrijstelling_raadpleging": "Raadpleging vrijstelling 5 onder a",
               "vrijstelling_geraadpleegd": "SWV geraadpleegd over vrijstelling", "vraag_school": "Vraag van het SWV"}
"""Every alert kind in Dutch words, as the inbox, its filter and the alert mail name it."""


def kind_label(kind: str) -> str:
    """An alert kind in words (an unknown one from its code: ``nieuw_soort`` -> 'Nieuw soort')."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


DETECTION_ACTOR_ID = "verzuimdetectie"
"""The actor id of verzuim detection when it opens a thuiszitter case: it alerts leerplicht about the
episode and its escalation itself, so for those cases the feed tells only the SWV coordinators of the report."""


class AlertNotFound(NotFound):
    """No alert with this id in the user's inbox."""

    code = "alert-not-found"

    def __init__(self, alert_id: str) -> None:
        super().__init__(f"No alert with id {alert_id}", f"Melding {alert_id} bestaat niet.")


@dataclass(frozen=True)
class NewAlert:
    """An alert to raise: what, for whom, about which case or pupil, and the facts to act on."""

    kind: str
    audience_role: str
    audience_scope: str
    dedupe_key: str
    title: str
    facts: dict[str, Any]
    case_id: str | None = None
    pupil_id: str | None = None


@dataclass(frozen=True)
class Alert:
    """An alert in an inbox."""

    id: str
    kind: str
    audience_role: str
    audience_scope: str
    case_id: str | None
    pupil_id: str | None
    title: str
    facts: dict[str, Any]
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    note: str | None

    @property
    def from_detection(self) -> bool:
        """Raised by verzuim detection (its facts name the signal), not by the case-event feed."""
        return "signal" in self.facts


@dataclass(frozen=True)
class AlertGroup:
    """The alerts of one recipient of one kind about one pupil (else one case) as the inbox shows them: the
    newest alert, how many there are and how many of them are not acknowledged yet.
    """

    newest: Alert
    updates: int
    unacknowledged: int

    @property
    def id(self) -> str:
        """The group's newest alert's id: what the inbox links to and acknowledges up to."""
        return self.newest.id


def raise_alerts(conn: Connection, new: Sequence[NewAlert], now: datetime) -> int:
    """Store the alerts not raised before (by dedupe key); how many were new."""
    if not new:
        return 0
    rows = [{"id": str(uuid.uuid4()), "kind": a.kind, "audience_role": a.audience_role,
             "audience_scope": a.audience_scope, "dedupe_key": a.dedupe_key, "case_id": a.case_id,
             "pupil_id": a.pupil_id, "title": a.title, "facts": a.facts, "created_at": now} for a in new]
    result = conn.execute(dialect_insert(conn, alerts).values(rows).on_conflict_do_nothing(
        index_elements=[alerts.c.dedupe_key]))
    return max(result.rowcount, 0)


def inbox(engine: Engine, principal: Principal, state: str, limit: int, offset: int, kind: str | None = None,
          ) -> tuple[list[Alert], int]:
    """The user's alerts (``new``, ``acknowledged`` or ``all``; of one ``kind`` if given), newest first, and how
    many there are.
    """
    conditions = _inbox_conditions(principal, state)
    if kind is not None:
        conditions.append(alerts.c.kind == kind)
    with engine.connect() as conn:
        rows = conn.execute(select(alerts).where(*conditions)
                            .order_by(alerts.c.created_at.desc(), alerts.c.id).limit(limit).offset(offset)).all()
        total = conn.execute(select(func.count()).select_from(alerts).where(*conditions)).scalar_one()
    return [_alert(r) for r in rows], total


def _inbox_conditions(principal: Principal, state: str) -> list[ColumnElement[bool]]:
    conditions = [alerts.c.audience_role == principal.role, alerts.c.audience_scope.in_(principal.scopes)]
    if state != "all":
        conditions.append(alerts.c.acknowledged_at.is_(None) if state == "new" else
                          alerts.c.acknowledged_at.is_not(None))
    return conditions


def subject_of() -> ColumnElement[str]:
    """Whom or what an alert is about, for grouping: the pupil, else the case, else the alert itself."""
    return func.coalesce(alerts.c.pupil_id, alerts.c.case_id, alerts.c.id)


def _grouped(principal: Principal, state: str, kind: str | None) -> Select[Any]:
    """One row per group of the user's alerts in ``state`` (scope, kind, subject, its newest alert's time, how
    many alerts and how many acknowledged): a GROUP BY over the recipient's alerts (``ix_alerts_audience``).
    """
    conditions = _inbox_conditions(principal, "all")
    if kind is not None:
        conditions.append(alerts.c.kind == kind)
    subject = subject_of()
    query = (select(alerts.c.audience_scope, alerts.c.kind, subject.label("subject"),
                    func.max(alerts.c.created_at).label("newest_at"), func.count().label("updates"),
                    func.count(alerts.c.acknowledged_at).label("acknowledged"))
             .where(*conditions).group_by(alerts.c.audience_scope, alerts.c.kind, subject))
    if state == "new":
        query = query.having(func.count(alerts.c.acknowledged_at) < func.count())
    elif state == "acknowledged":
        query = query.having(func.count(alerts.c.acknowledged_at) == func.count())
    return query


def groups(engine: Engine, principal: Principal, state: str, limit: int, offset: int, kind: str | None = None,
           ) -> tuple[list[AlertGroup], int]:
    """A page of the user's alert groups (``new``: with an alert not acknowledged yet; ``acknowledged``: all
    acknowledged; ``all``), of one ``kind`` if given, the newest update first, and how many groups there are.
    The page's groups come from one grouped query; their newest alerts from one more, for that page only.
    """
    grouped = _grouped(principal, state, kind).subquery("grouped")
    with engine.connect() as conn:
        page = conn.execute(select(grouped).order_by(grouped.c.newest_at.desc(), grouped.c.audience_scope,
                                                     grouped.c.kind, grouped.c.subject)
                            .limit(limit).offset(offset)).all()
        total = conn.execute(select(func.count()).select_from(grouped)).scalar_one()
        newest: dict[tuple[str, str, str], Any] = {}
        if page:
            wanted = or_(*(and_(alerts.c.audience_scope == g.audience_scope, alerts.c.kind == g.kind,
                                subject_of() == g.subject, alerts.c.created_at == g.newest_at) for g in page))
            at = alerts.c.created_at.in_(sorted({g.newest_at for g in page}))  # lets the index find them
            for row in conn.execute(select(alerts).where(*_inbox_conditions(principal, "all"), at, wanted)
                                    .order_by(alerts.c.id)):
                newest[(row.audience_scope, row.kind, _subject(row))] = row  # the last id wins a tie, as before
    found = [AlertGroup(_alert(newest[key]), int(g.updates), int(g.updates) - int(g.acknowledged))
             for g in page if (key := (g.audience_scope, g.kind, g.subject)) in newest]
    return found, int(total)


def group_kinds(engine: Engine, principal: Principal, state: str) -> dict[str, int]:
    """How many of the user's alert groups in ``state`` there are of each kind."""
    grouped = _grouped(principal, state, None).subquery("grouped")
    with engine.connect() as conn:
        rows = conn.execute(select(grouped.c.kind, func.count()).group_by(grouped.c.kind)).all()
    return {str(kind): int(count) for kind, count in rows}


def _subject(row: Any) -> str:
    """:func:`subject_of` of an alert's row, in Python."""
    return str(row.pupil_id if row.pupil_id is not None else row.case_id if row.case_id is not None else row.id)


def _same_group(row: Any) -> tuple[ColumnElement[bool], ...]:
    """The alerts of the group ``row`` (an alert's row) belongs to."""
    return (alerts.c.audience_role == row.audience_role, alerts.c.audience_scope == row.audience_scope,
            alerts.c.kind == row.kind, subject_of() == _subject(row))


def group_of(engine: Engine, principal: Principal, alert_id: str, limit: int) -> tuple[list[Alert], int]:
    """The alerts of the group of one alert of the user's inbox, the newest first (at most ``limit``), and how
    many there are; AlertNotFound for an alert that is not theirs (as for an unknown one).
    """
    with engine.connect() as conn:
        row = conn.execute(select(alerts).where(*_mine(principal, alert_id))).first()
        if row is None:
            raise AlertNotFound(alert_id)
        same = _same_group(row)
        rows = conn.execute(select(alerts).where(*same).order_by(alerts.c.created_at.desc(), alerts.c.id.desc())
                            .limit(limit)).all()
        total = conn.execute(select(func.count()).select_from(alerts).where(*same)).scalar_one()
    return [_alert(r) for r in rows], int(total)


def acknowledge_group(begin: Begin, principal: Principal, alert_id: str, note: str | None, now: datetime,
                      acknowledged: list[str]) -> list[str]:
    """Acknowledge, with an optional note, every alert not acknowledged yet of the group of one alert of the
    user's inbox that arrived no later than that alert (the newest the person saw: one that arrives later keeps
    the group new), in the transaction ``begin`` opens; the ids acknowledged now, also put in ``acknowledged``
    before the transaction commits (the service appends an audit row for each). The update is conditional, so
    an alert acknowledged meanwhile by someone else keeps their acknowledgement and is not counted twice.
    AlertNotFound for an alert that is not theirs (as for an unknown one), raised within the transaction.
    """
    with begin() as conn:
        row = conn.execute(select(alerts).where(*_mine(principal, alert_id))).first()
        if row is None:
            raise AlertNotFound(alert_id)
        ids = conn.execute(
            update(alerts).where(*_same_group(row), alerts.c.acknowledged_at.is_(None),
                                 alerts.c.created_at <= row.created_at)
            .values(acknowledged_at=now, acknowledged_by=principal.user_id, note=note)
            .returning(alerts.c.id)).scalars().all()
        acknowledged.extend(sorted(str(i) for i in ids))
    return list(acknowledged)


def find(engine: Engine, principal: Principal, alert_id: str) -> Alert:
    """One alert of the user's inbox; AlertNotFound for one that is not theirs (as for an unknown one)."""
    with engine.connect() as conn:
        row = conn.execute(select(alerts).where(*_mine(principal, alert_id))).first()
    if row is None:
        raise AlertNotFound(alert_id)
    return _alert(row)


def acknowledge(begin: Begin, principal: Principal, alert_id: str, note: str | None, now: datetime) -> Alert:
    """Acknowledge an alert in the user's inbox with an optional note, in the transaction ``begin`` opens
    (the service's also appends the acknowledgement's audit row before it commits); acknowledging again
    keeps the first. AlertNotFound for an alert that is not theirs (as for an unknown one), raised within
    the transaction, so that it rolls back (it changed nothing) and no 'ok' row is appended.
    """
    mine = _mine(principal, alert_id)
    with begin() as conn:
        conn.execute(update(alerts).where(*mine, alerts.c.acknowledged_at.is_(None))
                     .values(acknowledged_at=now, acknowledged_by=principal.user_id, note=note))
        row = conn.execute(select(alerts).where(*mine)).first()
        if row is None:
            raise AlertNotFound(alert_id)
    return _alert(row)


def _mine(principal: Principal, alert_id: str) -> tuple[ColumnElement[bool], ...]:
    return (alerts.c.id == alert_id, alerts.c.audience_role == principal.role,
            alerts.c.audience_scope.in_(principal.scopes))


def run_feed(engine: Engine, registry: PathwayRegistry, high_water: int, now: datetime) -> int:
    """Raise the alerts for the outbox events after the feed's cursor up to ``high_water``; how many."""
    raised, deadlines = 0, deadline_events(registry)
    opened_by = (select(case_events.c.actor_id).where(case_events.c.case_id == outbox.c.case_id, case_events.c.seq == 1)
                 .scalar_subquery().label("opened_by"))
    while True:
        with engine.begin() as conn:
            cursor = feeds.position(conn, FEED)
            rows = conn.execute(
                select(outbox.c.id, outbox.c.case_id, outbox.c.type, outbox.c.pathway, outbox.c.occurred_at,
                       cases.c.school_brin, cases.c.profile, cases.c.pupil_id, pupils.c.residence_cbs, opened_by)
                .join(cases, cases.c.id == outbox.c.case_id)
                .outerjoin(pupils, pupils.c.id == cases.c.pupil_id)
                .where(outbox.c.id > cursor, outbox.c.id <= high_water).order_by(outbox.c.id).limit(BATCH)).all()
            if not rows:
                return raised
            raised += raise_alerts(conn, [a for r in rows for a in _alerts_for(r, registry, deadlines)], now)
            feeds.advance(conn, FEED, cursor, rows[-1].id)


def deadline_events(registry: PathwayRegistry) -> dict[str, tuple[str, bool]]:
    """Event type -> Dutch label of every 'deadline passed' event (``Transition.marks_missed_deadline``: a
    system-only command that keeps the stage, or one declared so that moves it, such as a TLV that lapsed), and
    whether leerplicht hears of it too (``Transition.tells_leerplicht``).
    """
    return {t.event: (t.label, t.tells_leerplicht) for d in registry.definitions.values() for t in d.transitions
            if t.marks_missed_deadline}


def _alerts_for(row: Any, registry: PathwayRegistry, deadlines: dict[str, tuple[str, bool]]) -> list[NewAlert]:
    facts = {"case_id": row.case_id, "pupil_id": row.pupil_id, "pathway": row.pathway, "school_brin": row.school_brin,
             "event": row.type, "occurred_at": row.occurred_at.isoformat()}
    key = f"{row.case_id}:{row.type}:{row.occurred_at.isoformat()}"
    swvs = sorted(swv_codes_of(registry.profile(row.profile)))
    if row.type in THUISZITTER_EVENTS:
        detected = row.opened_by == DETECTION_ACTOR_ID
        if detected and row.type != "thuiszitter_gemeld":
            return []
        title = f"{THUISZITTER_EVENTS[row.type]}: leerling {row.pupil_id} van school {row.school_brin}"
        audience = [(LEERPLICHT, row.residence_cbs)] if row.residence_cbs and not detected else []
        school = [(ZORGCOORDINATOR, row.school_brin)] if row.school_brin else []
        return [NewAlert("thuiszitter", role, scope, f"{key}:{role}:{scope}", title, facts, row.case_id,
                         row.pupil_id) for role, scope in [*audience, *((SWV_COORDINATOR, s) for s in swvs), *school]]
    if row.type not in deadlines:
        return []
    label, tells_leerplicht = deadlines[row.type]
    title = f"Termijn verstreken: {label}. Dossier van leerling {row.pupil_id}, school {row.school_brin}"
    leerplicht = [(LEERPLICHT, row.residence_cbs)] if tells_leerplicht and row.residence_cbs else []
    return [NewAlert("escalatie", role, scope, f"{key}:{role}:{scope}", title, facts, row.case_id, row.pupil_id)
            for role, scope in [(ZORGCOORDINATOR, row.school_brin), *((SWV_COORDINATOR, s) for s in swvs),
                                *leerplicht]]


def _alert(row: Any) -> Alert:
    return Alert(row.id, row.kind, row.audience_role, row.audience_scope, row.case_id, row.pupil_id, row.title,
                 dict(row.facts), row.created_at, row.acknowledged_at, row.acknowledged_by, row.note)
