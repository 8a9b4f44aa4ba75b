"""Meldplicht followed through (issue 15 item 4): the school records its verzuimmelding to DUO on a meldplicht
signal; a signal not reported within the term escalates to the school's zorgcoördinator and the SWV
coordinator, once; the register counts reported and late reports. The rules are
:mod:`domain.verzuim.melding`'s.

A meldplicht signal is known by the alert detection raised for the school's zorgcoördinator (dedupe key
``<signal key>:zorgcoordinator``, its facts the signal's). ``meldplicht_meldingen`` gets a row when the
school reports or when the signal escalates.

The term the register judges a report by is the law's, from the day the 16 hours were reached
(``due_on``). The escalation waits for that term counted from the later of that day and the day before the
school was alerted (a signal exists once its day is over, so the alert of the morning after is in time):
absence recorded late (a signal raised after its term) still gives the school its working days to report
before the zorgcoördinator and the SWV are told.

Escalation runs with every detection run (daily and per pupil after a record), over the meldplicht alerts
of the last :data:`LOOKBACK_DAYS`: the escalation's alerts are deduplicated on
``<signal key>:niet_gemeld:<role>``, so however often it runs, each is raised once. A report recorded after
the term (late) stops the escalation if it had not happened yet; it counts as late.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, Engine, func, select, true

from domain.access import Principal, swv_codes_of
from domain.context import DEFAULT_PROFILE
from domain.durations import NL
from domain.errors import InvalidCommand, NotFound, RoleNotAllowed
from domain.registry import PathwayRegistry
from domain.roles import ADMIN, BTO, LEERPLICHT, SWV_COORDINATOR, ZORGCOORDINATOR
from domain.verzuim import VerzuimSettings
from domain.verzuim.melding import (
    MELDING_KINDS,
    Status,
    escalates,
    meld_uiterlijk,
    melding_problems,
    melding_status,
    niet_gemeld_text,
)
from infra.delivery.alerts import NewAlert, raise_alerts
from infra.store.db import chunks, dialect_insert
from infra.store.tables import alerts, schools
from infra.store.verzuim_tables import meldplicht_meldingen

MELDPLICHT: Final = "meldplicht"
ESCALATION: Final = "meldplicht_niet_gemeld"
LOOKBACK_DAYS: Final = 120
"""How old a meldplicht alert may be and still escalate (signals are raised up to 56 days after they were
reached; the term is a week): older ones are history."""
ESCALATION_ROLES: Final = (ZORGCOORDINATOR, SWV_COORDINATOR)


class SignalNotFound(NotFound):
    """No meldplicht signal with this key for the user's school."""

    code = "signal-not-found"

    def __init__(self, key: str) -> None:
        super().__init__(f"No meldplicht signal {key} for this user",
                         f"Meldplichtsignaal {key} bestaat niet (of hoort niet bij een school onder uw account).")


@dataclass(frozen=True)
class Melding:
    """A meldplicht signal and where its report stands."""

    signal_key: str
    pupil_id: str
    school_brin: str
    reached_on: date
    due_on: date
    reported_on: date | None
    kind: str | None
    kind_label: str | None
    status: Status
    escalated_on: date | None


@dataclass(frozen=True)
class Counts:
    """The meldplicht reports in a scope and period (by the day the signal was reached)."""

    gemeld: int = 0
    op_tijd: int = 0
    te_laat: int = 0
    niet_gemeld: int = 0
    """Escalated: the term passed without a report (and none since)."""


def settings_of(registry: PathwayRegistry) -> Callable[[str | None], VerzuimSettings]:
    """The verzuim settings per SWV code (the default profile's for an unknown one), cached."""
    profiles = {swv: code for code, p in registry.profiles.items() for swv in swv_codes_of(p)}
    cache: dict[str, VerzuimSettings] = {}

    def settings(swv: str | None) -> VerzuimSettings:
        code = profiles.get(swv or "", DEFAULT_PROFILE)
        if code not in cache:
            try:
                cache[code] = VerzuimSettings.from_data(registry.profile(code).setting("verzuim") or {})
            except (TypeError, ValueError):
                cache[code] = VerzuimSettings()
        return cache[code]
    return settings


def swv_of_school(conn: Connection, brin: str) -> str | None:
    """The SWV code of a school, if it is known."""
    found: str | None = conn.execute(select(schools.c.swv_code).where(schools.c.brin == brin)).scalar_one_or_none()
    return found


def record(conn: Connection, principal: Principal, registry: PathwayRegistry, signal_key: str, kind: str,
           reported_on: date, today: date, now: datetime) -> Melding:
    """Record (or correct) the school's verzuimmelding on a meldplicht signal of one of the zorgcoördinator's
    schools; SignalNotFound for another signal, InvalidCommand (422, Dutch) for a wrong kind or date.
    """
    if principal.role != ZORGCOORDINATOR:
        raise RoleNotAllowed("leg_verzuimmelding_vast", principal.role, (ZORGCOORDINATOR,))
    row = conn.execute(select(alerts.c.facts, alerts.c.audience_scope).where(
        alerts.c.dedupe_key == f"{signal_key}:{ZORGCOORDINATOR}", alerts.c.kind == MELDPLICHT)).first()
    if row is None or row.audience_scope not in principal.scopes:
        raise SignalNotFound(signal_key)
    facts: dict[str, Any] = dict(row.facts)
    reached_on = date.fromisoformat(facts["reached_on"])
    problems = melding_problems(kind, reported_on, reached_on, today)
    if problems:
        raise InvalidCommand(problems)
    brin = row.audience_scope
    swv = swv_of_school(conn, brin)
    due_on = meld_uiterlijk(reached_on, settings_of(registry)(swv).meldplicht_termijn_werkdagen)
    values = {"reported_on": reported_on, "kind": kind, "recorded_by": principal.user_id, "updated_at": now}
    conn.execute(dialect_insert(conn, meldplicht_meldingen).values(
        signal_key=signal_key, pupil_id=facts["pupil_id"], school_brin=brin, swv_code=swv,
        residence_cbs=facts["residence_cbs"], reached_on=reached_on, due_on=due_on, **values,
    ).on_conflict_do_update(index_elements=[meldplicht_meldingen.c.signal_key], set_=values))
    return _melding(conn.execute(select(meldplicht_meldingen).where(
        meldplicht_meldingen.c.signal_key == signal_key)).one(), today)


def state_of(conn: Connection, registry: PathwayRegistry, facts: dict[str, Any], brin: str,
             today: date) -> Melding:
    """Where the report of the meldplicht signal an alert's ``facts`` name stands: recorded, or due by when."""
    key = str(facts["signal"])
    row = conn.execute(select(meldplicht_meldingen).where(meldplicht_meldingen.c.signal_key == key)).first()
    if row is not None:
        return _melding(row, today)
    reached_on = date.fromisoformat(str(facts["reached_on"]))
    due_on = meld_uiterlijk(reached_on, settings_of(registry)(swv_of_school(conn, brin)).meldplicht_termijn_werkdagen)
    return Melding(key, str(facts["pupil_id"]), brin, reached_on, due_on, None, None, None,
                   melding_status(reached_on, None, today, due_on=due_on), None)


def _melding(row: Any, today: date) -> Melding:
    status = melding_status(row.reached_on, row.reported_on, today, due_on=row.due_on)
    return Melding(row.signal_key, row.pupil_id, row.school_brin, row.reached_on, row.due_on, row.reported_on,
                   row.kind, MELDING_KINDS.get(row.kind) if row.kind else None, status, row.escalated_on)


@dataclass(frozen=True)
class _Signal:
    key: str
    pupil_id: str
    school_brin: str
    residence_cbs: str
    reached_on: date
    alerted_on: date


def escalate(engine: Engine, registry: PathwayRegistry, as_of: date, now: datetime,
             pupil_ids: Sequence[str] | None = None) -> list[NewAlert]:
    """Escalate every meldplicht signal whose term is over as of ``as_of`` without a report (see the module
    docstring); the alerts raised now (none twice).
    """
    signals = _recent_signals(engine, now, pupil_ids)
    if not signals:
        return []
    settings = settings_of(registry)
    with engine.connect() as conn:
        handled = _handled(conn, [s.key for s in signals])
        swvs = dict(conn.execute(select(schools.c.brin, schools.c.swv_code).where(
            schools.c.brin.in_(sorted({s.school_brin for s in signals})))).tuples().all())
    raised: list[NewAlert] = []
    rows: list[dict[str, Any]] = []
    for signal in signals:
        swv = swvs.get(signal.school_brin)
        werkdagen = settings(swv).meldplicht_termijn_werkdagen
        if signal.key in handled or not escalates(_anchor(signal), None, as_of, werkdagen):
            continue
        due_on = meld_uiterlijk(signal.reached_on, werkdagen)
        raised += _escalation_alerts(signal, swv, due_on, werkdagen)
        rows.append({"signal_key": signal.key, "pupil_id": signal.pupil_id, "school_brin": signal.school_brin,
                     "swv_code": swv, "residence_cbs": signal.residence_cbs, "reached_on": signal.reached_on,
                     "due_on": due_on, "escalated_on": as_of, "updated_at": now})
    if rows:
        with engine.begin() as conn:
            raise_alerts(conn, raised, now)
            conn.execute(dialect_insert(conn, meldplicht_meldingen).on_conflict_do_nothing(
                index_elements=[meldplicht_meldingen.c.signal_key]), rows)
    return raised


def _anchor(signal: _Signal) -> date:
    """The day the escalation's term counts from: the day the 16 hours were reached, or, for a signal
    raised later than the morning after (absence recorded late), the day before it was raised.
    """
    return max(signal.reached_on, signal.alerted_on - timedelta(days=1))


def _recent_signals(engine: Engine, now: datetime, pupil_ids: Sequence[str] | None) -> list[_Signal]:
    conditions = [alerts.c.kind == MELDPLICHT, alerts.c.audience_role == ZORGCOORDINATOR,
                  alerts.c.created_at >= now - timedelta(days=LOOKBACK_DAYS)]
    found: list[_Signal] = []
    groups: list[Sequence[str] | None] = list(chunks(sorted(set(pupil_ids)))) if pupil_ids is not None else [None]
    with engine.connect() as conn:
        for group in groups:
            where = [*conditions, alerts.c.pupil_id.in_(group)] if group is not None else conditions
            for r in conn.execute(select(alerts.c.dedupe_key, alerts.c.audience_scope, alerts.c.facts,
                                         alerts.c.created_at).where(*where)):
                signal = _signal_of(r.dedupe_key, r.audience_scope, dict(r.facts), r.created_at)
                if signal is not None:
                    found.append(signal)
    return found


def _signal_of(key: str, school: str, facts: dict[str, Any], created_at: datetime) -> _Signal | None:
    """The meldplicht signal an alert of detection stands for; None for an alert whose facts lack what a signal
    has (not raised by detection): one such row must not stop the escalation of every other signal.
    """
    pupil, residence, reached = facts.get("pupil_id"), facts.get("residence_cbs"), facts.get("reached_on")
    if not (isinstance(pupil, str) and isinstance(residence, str) and isinstance(reached, str)):
        return None
    try:
        reached_on = date.fromisoformat(reached)
    except ValueError:
        return None
    return _Signal(key.removesuffix(f":{ZORGCOORDINATOR}"), pupil, school, residence, reached_on,
                   created_at.astimezone(NL).date())


def _handled(conn: Connection, keys: Sequence[str]) -> set[str]:
    """The signals already reported or escalated."""
    handled: set[str] = set()
    for group in chunks(list(keys)):
        handled.update(conn.execute(select(meldplicht_meldingen.c.signal_key).where(
            meldplicht_meldingen.c.signal_key.in_(group))).scalars())
    return handled


def _escalation_alerts(signal: _Signal, swv: str | None, due_on: date, werkdagen: int) -> list[NewAlert]:
    title = niet_gemeld_text(signal.pupil_id, signal.school_brin, signal.reached_on, due_on, werkdagen)
    facts = {"signal": signal.key, "kind": ESCALATION, "pupil_id": signal.pupil_id, "school_brin": signal.school_brin,
             "residence_cbs": signal.residence_cbs, "reached_on": signal.reached_on.isoformat(),
             "meld_uiterlijk": due_on.isoformat()}
    scopes = {ZORGCOORDINATOR: signal.school_brin, SWV_COORDINATOR: swv}
    return [NewAlert(ESCALATION, role, scope, f"{signal.key}:niet_gemeld:{role}", title, facts, None, signal.pupil_id)
            for role in ESCALATION_ROLES if (scope := scopes[role])]


def scope_of(principal: Principal) -> ColumnElement[bool]:
    """The meldingen the user may count: their school, SWV or municipality of residence; admin all."""
    table = meldplicht_meldingen
    if principal.role == ADMIN:
        return true()
    if principal.role in (SWV_COORDINATOR, BTO):
        return table.c.swv_code.in_(principal.scopes)
    if principal.role == LEERPLICHT:
        return table.c.residence_cbs.in_(principal.scopes)
    if principal.role == ZORGCOORDINATOR:
        return table.c.school_brin.in_(principal.scopes)
    raise RoleNotAllowed("lees_verzuimmeldingen", principal.role,
                         (ADMIN, SWV_COORDINATOR, BTO, LEERPLICHT, ZORGCOORDINATOR))


def counts(conn: Connection, condition: ColumnElement[bool], first: date, last: date) -> Counts:
    """Reported (in time, late) and escalated-unreported meldplicht signals reached in ``first..last``."""
    table = meldplicht_meldingen
    rows = conn.execute(select(table.c.reported_on, table.c.due_on, func.count()).where(
        condition, table.c.reached_on >= first, table.c.reached_on <= last,
    ).group_by(table.c.reported_on, table.c.due_on)).all()
    op_tijd = sum(n for reported, due, n in rows if reported is not None and reported <= due)
    te_laat = sum(n for reported, due, n in rows if reported is not None and reported > due)
    niet = sum(n for reported, _, n in rows if reported is None)
    return Counts(op_tijd + te_laat, op_tijd, te_laat, niet)


def for_pupil(conn: Connection, principal: Principal, pupil_id: str, today: date) -> list[Melding]:
    """The meldplicht signals of one pupil at the zorgcoördinator's schools, with their reports."""
    rows = conn.execute(select(meldplicht_meldingen).where(
        scope_of(principal), meldplicht_meldingen.c.pupil_id == pupil_id)
        .order_by(meldplicht_meldingen.c.reached_on)).all()
    return [_melding(r, today) for r in rows]
