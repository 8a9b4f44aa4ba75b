"""Alert mail, queued: an account's address and preference, and the outbox rows for new alerts.

An alert's audience is a role and a scope; its recipients are the accounts the inbox would show it to (the
same role, the scope among their scopes: ``infra.delivery.alerts.inbox``), that are neither revoked nor expired and have
an address. Each gets one ``mail_outbox`` row per alert: due at once (``direct``) or at the next daily digest
(``dagelijks``). Queuing is idempotent (unique per alert and account; the alert is marked queued in the same
transaction), so a run that fails halfway is simply run again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, select, update

from infra.identity.accounts import AccountError
from infra.store.db import chunks, dialect_insert
from infra.store.tables import alerts, mail_outbox, users

DIRECT, DIGEST = "direct", "dagelijks"
MAIL_MODES = {DIRECT: "bij elke nieuwe melding", DIGEST: "één keer per dag een overzicht"}
EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$")
DUTCH_TIME = ZoneInfo("Europe/Amsterdam")
BATCH = 200


@dataclass(frozen=True)
class Recipient:
    """An account that may receive alert mail."""

    id: str
    role: str
    scopes: frozenset[str]
    mode: str


@dataclass(frozen=True)
class MailCounts:
    """How the alert mail stands: waiting for their first try, failed and retried, sent; the newest error."""

    pending: int
    failing: int
    sent: int
    last_error: str | None


def set_preference(engine: Engine, user_id: str, email: str, mode: str) -> None:
    """Give the account an address (empty: none, no more mail) and ``direct`` or ``dagelijks``, in a transaction
    of its own (the admin page goes through the service, which audits it: :func:`set_preference_in`).
    """
    with engine.begin() as conn:
        set_preference_in(conn, user_id, email, mode)


def set_preference_in(conn: Connection, user_id: str, email: str, mode: str) -> None:
    """:func:`set_preference` in the caller's transaction; AccountError (Dutch) for a bad address, an unknown
    choice or an unknown account, before anything is written.
    """
    address = email.strip()
    if address and not EMAIL.match(address):
        raise AccountError(f"Geen geldig e-mailadres: '{address}'. Bijvoorbeeld: naam@school.nl.")
    if mode not in MAIL_MODES:
        raise AccountError(f"Onbekende keuze '{mode}'; kies uit: {', '.join(MAIL_MODES)}.")
    found = conn.execute(update(users).where(users.c.id == user_id)
                         .values(email=address or None, mail_mode=mode)).rowcount
    if not found:
        raise AccountError(f"Er is geen gebruiker met id {user_id}.")


def preferences(engine: Engine) -> dict[str, tuple[str, str]]:
    """Account id -> (address, preference) of every account with an address (for the admin page)."""
    with engine.connect() as conn:
        rows = conn.execute(select(users.c.id, users.c.email, users.c.mail_mode).where(users.c.email.is_not(None)))
        return {r.id: (r.email, r.mail_mode) for r in rows}


def next_digest(now: datetime, hour: int) -> datetime:
    """The next daily digest after ``now``: ``hour`` o'clock, Dutch time."""
    local = now.astimezone(DUTCH_TIME)
    at = datetime.combine(local.date(), time(hour), DUTCH_TIME)
    return at if at > local else datetime.combine(local.date() + timedelta(days=1), time(hour), DUTCH_TIME)


def enqueue(engine: Engine, now: datetime, digest_hour: int, *, mail_on: bool = True) -> int:
    """Queue a mail for every recipient of every alert not queued yet; how many rows were made. With mail off
    (no SMTP server set) the alerts are marked queued without rows: turning mail on later mails no backlog.
    """
    made = 0
    with engine.connect() as conn:
        recipients = _recipients(conn, now) if mail_on else []
    while True:
        with engine.begin() as conn:
            rows = conn.execute(select(alerts.c.id, alerts.c.kind, alerts.c.audience_role, alerts.c.audience_scope)
                                .where(alerts.c.mail_queued_at.is_(None)).order_by(alerts.c.created_at)
                                .limit(BATCH).with_for_update(skip_locked=True)).all()
            if not rows:
                return made
            made += _queue(conn, rows, recipients, now, next_digest(now, digest_hour))
            conn.execute(update(alerts).where(alerts.c.id.in_([r.id for r in rows])).values(mail_queued_at=now))


def _recipients(conn: Connection, now: datetime) -> list[Recipient]:
    rows = conn.execute(select(users.c.id, users.c.role, users.c.scopes, users.c.mail_mode)
                        .where(users.c.email.is_not(None), users.c.revoked_at.is_(None), users.c.expires_at > now))
    return [Recipient(r.id, r.role, frozenset(r.scopes), r.mail_mode) for r in rows]


def _queue(conn: Connection, rows: Sequence[Any], recipients: Sequence[Recipient], now: datetime,
           digest_at: datetime) -> int:
    values = [{"alert_id": a.id, "user_id": r.id, "kind": a.kind, "digest": r.mode == DIGEST, "created_at": now,
               "due_at": digest_at if r.mode == DIGEST else now, "attempts": 0, "status": "pending"}
              for a in rows for r in recipients if r.role == a.audience_role and a.audience_scope in r.scopes]
    made = 0
    for chunk in chunks(values, BATCH):
        made += len(conn.execute(dialect_insert(conn, mail_outbox).values(chunk).on_conflict_do_nothing(
            index_elements=[mail_outbox.c.alert_id, mail_outbox.c.user_id]).returning(mail_outbox.c.id)).all())
    return made


def counts(engine: Engine) -> MailCounts:
    """The outbox in numbers, for the admin (no addresses, no alert contents)."""
    status, attempts = mail_outbox.c.status, mail_outbox.c.attempts
    with engine.connect() as conn:
        pending = conn.execute(select(func.count()).where(status == "pending", attempts == 0)).scalar_one()
        failing = conn.execute(select(func.count()).where(status == "pending", attempts > 0)).scalar_one()
        sent = conn.execute(select(func.count()).where(status == "sent")).scalar_one()
        error = conn.execute(select(mail_outbox.c.last_error).where(status == "pending", attempts > 0)
                             .order_by(mail_outbox.c.id.desc()).limit(1)).scalar()
    return MailCounts(pending, failing, sent, error)
