"""Webhooks: registered receivers get the case events, each subscriber at its own pace.

A subscription has a cursor into the outbox: the last outbox id it received. A delivery run
posts to every subscriber that is due the outbox rows after its cursor, in id order (hence in
per-case order), a batch per request, signed with the subscriber's secret. A receiver that
fails keeps its cursor and is tried again after an exponential backoff; it holds up neither the
other subscribers nor the relay to Prefect, whose ``relayed_at`` is independent of the cursors.
Only ids, types, stages and instants leave the system: no payload content, no names.

The clock is never read here: every instant is passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from sqlalchemy import ColumnElement, Engine, Row, false, func, insert, literal, select, update
from sqlalchemy.exc import OperationalError

from domain.case import Actor
from domain.errors import InvalidCommand, NotFound, RoleNotAllowed
from domain.ports import OutboxItem
from domain.roles import ADMIN, SWV_COORDINATOR
from infra.tables import cases, outbox
from infra.tables import webhook_subscriptions as subscriptions

log = structlog.get_logger("leerlingroute.webhooks")

MANAGERS = (ADMIN, SWV_COORDINATOR)
"""The roles that may register, read and deactivate webhooks."""
SIGNATURE_HEADER = "X-Leerlingroute-Signature"
SUBSCRIPTION_HEADER = "X-Leerlingroute-Subscription"
EVENT_NAMESPACE = uuid.UUID("6f1c2d4e-8a57-4b0e-9a51-3c1f0e2b7d90")
"""The namespace of infra.prefect_events.event_id, so ``event_id`` here is the Prefect event's id.
Not imported from there: that module imports prefect, and the API (which imports this) must not."""
BATCH_SIZE = 100
MAX_BATCHES_PER_RUN = 50
"""A subscriber far behind catches up over several runs instead of making one run take minutes."""
TIMEOUT_S = 5.0
FIRST_RETRY = timedelta(seconds=10)
LONGEST_RETRY = timedelta(minutes=15)
LOCK_TIMEOUT_MS = 2000
_ERROR_LENGTH = 200
_COLUMNS = [c for c in subscriptions.c if c.name != "secret"]


class WebhookNotFound(NotFound):
    """No webhook subscription with this id."""

    code = "webhook-not-found"

    def __init__(self, subscription_id: str) -> None:
        super().__init__(f"No webhook subscription with id {subscription_id}",
                         f"Webhook-abonnement {subscription_id} bestaat niet.")


@dataclass(frozen=True)
class Subscription:
    """A webhook subscriber and where its delivery stands (never its secret)."""

    id: str
    url: str
    description: str
    active: bool
    created_at: datetime
    cursor: int
    delivered: int
    attempts: int
    next_attempt_at: datetime | None
    failing_since: datetime | None
    last_error: str | None
    owner_role: str
    scopes: list[str]


@dataclass(frozen=True)
class Registered:
    """A new subscription and its secret; the secret is shown this once and never again."""

    subscription: Subscription
    secret: str


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery run did: subscribers tried, events delivered, subscribers failing.
    ``postponed``: the outbox's high-water mark could not be read (writers held it), nothing was sent.
    """

    subscribers: int = 0
    delivered: int = 0
    failed: int = 0
    postponed: bool = False


@dataclass(frozen=True)
class _Due:
    id: str
    url: str
    secret: str
    cursor: int
    attempts: int
    failing_since: datetime | None
    owner_role: str
    scopes: list[str]


ScopeOf = Callable[[str, tuple[str, ...]], ColumnElement[bool]]
"""The condition on ``cases`` for what an owner (role, scopes) may see."""


def outbox_high_water(engine: Engine, lock_timeout_ms: int = LOCK_TIMEOUT_MS) -> int:
    """The highest outbox id below which no event can still appear.

    On PostgreSQL ids come from a sequence and transactions commit in any order: an id can
    become visible after a higher one, and a cursor moved past it would skip it for good. A
    SHARE lock waits until every transaction writing the outbox has finished (and holds off
    new ones for the moment of one SELECT), so every id up to the maximum is committed or never
    will be. SQLite runs one writer at a time: ids are committed in order.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms'")
            conn.exec_driver_sql("LOCK TABLE outbox IN SHARE MODE")
        return int(conn.execute(select(func.coalesce(func.max(outbox.c.id), 0))).scalar_one())


def require_manager(actor: Actor) -> None:
    """Only an SWV coordinator or an admin manages webhooks; RoleNotAllowed (403) otherwise."""
    if actor.role not in MANAGERS:
        raise RoleNotAllowed("beheer_webhooks", actor.role, MANAGERS)


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_id(subscription_id: str, case_id: str, seq: int) -> uuid.UUID:
    """The same event to the same subscriber always has the same id (receivers de-duplicate on it)."""
    return uuid.uuid5(uuid.UUID(subscription_id), f"{case_id}:{seq}")


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure in a row: 10 s, 20 s, 40 s ... at most 15 min."""
    doublings = min(max(attempts - 1, 0), 16)  # 10 s * 2**7 already exceeds the cap
    return min(FIRST_RETRY * (1 << doublings), LONGEST_RETRY)


class Webhooks:
    """The subscriptions on one database, and their delivery."""

    def __init__(self, engine: Engine, scope_of: ScopeOf | None = None) -> None:
        self.engine = engine
        self.scope_of = scope_of

    def register(self, url: str, description: str, now: datetime, owner_role: str = ADMIN,
                 scopes: Sequence[str] = ()) -> Registered:
        """A new active subscriber that receives the events recorded from now on, of the cases its
        owner (role and scopes: those of who registered it) may see; an admin's receives every event.
        """
        _check_url(url)
        subscription_id, secret = str(uuid.uuid4()), secrets.token_hex(32)
        with self.engine.begin() as conn:
            cursor = conn.execute(select(func.coalesce(func.max(outbox.c.id), 0))).scalar_one()
            conn.execute(insert(subscriptions), {
                "id": subscription_id, "url": url, "secret": secret, "description": description,
                "active": True, "created_at": now, "cursor": cursor, "owner_role": owner_role,
                "scopes": list(scopes),
            })
        return Registered(self.get(subscription_id), secret)

    def all(self) -> list[Subscription]:
        """Every subscription, active or not, oldest first."""
        query = select(*_COLUMNS).order_by(subscriptions.c.created_at, subscriptions.c.id)
        with self.engine.connect() as conn:
            return [Subscription(**r._asdict()) for r in conn.execute(query)]

    def get(self, subscription_id: str) -> Subscription:
        """One subscription; WebhookNotFound if there is none with this id."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(subscriptions.c.id == subscription_id)).first()
        if row is None:
            raise WebhookNotFound(subscription_id)
        return Subscription(**row._asdict())

    def deactivate(self, subscription_id: str) -> None:
        """Stop delivering to a subscriber (again: no-op); WebhookNotFound for an unknown id."""
        with self.engine.begin() as conn:
            found = conn.execute(update(subscriptions).where(subscriptions.c.id == subscription_id)
                                 .values(active=False)).rowcount
        if found != 1:
            raise WebhookNotFound(subscription_id)

    def deliver(
        self, now: datetime, timeout_s: float = TIMEOUT_S, lock_timeout_ms: int = LOCK_TIMEOUT_MS,
    ) -> DeliveryReport:
        """Post the new outbox rows to every active subscriber due at ``now``, each on its own:
        whatever goes wrong with one is recorded on it and the run goes on with the next.
        """
        try:
            high_water = outbox_high_water(self.engine, lock_timeout_ms)
        except OperationalError as error:
            log.warning("webhooks_postponed", error=_short(error))
            return DeliveryReport(postponed=True)
        due = self._due(now)
        delivered = failed = 0
        with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
            for subscriber in due:
                try:
                    sent, ok = self._deliver_to(client, subscriber, high_water, now)
                except Exception:  # one subscriber's trouble (even our own bug) must not stop the others
                    log.exception("webhook_error", subscription_id=subscriber.id)
                    sent, ok = 0, False
                delivered, failed = delivered + sent, failed + (not ok)
        return DeliveryReport(len(due), delivered, failed)

    def _due(self, now: datetime) -> list[_Due]:
        c = subscriptions.c
        query = (select(c.id, c.url, c.secret, c.cursor, c.attempts, c.failing_since, c.owner_role, c.scopes)
                 .where(c.active.is_(True), c.next_attempt_at.is_(None) | (c.next_attempt_at <= now))
                 .order_by(c.created_at, c.id))
        with self.engine.connect() as conn:
            return [_Due(**r._asdict()) for r in conn.execute(query)]

    def _deliver_to(self, client: httpx.Client, subscriber: _Due, high_water: int, now: datetime) -> tuple[int, bool]:
        """Send batches until the subscriber is caught up; on the first failure record it and stop."""
        cursor, sent = subscriber.cursor, 0
        for _ in range(MAX_BATCHES_PER_RUN):
            items, scanned_to = self._batch(cursor, high_water, self._scope(subscriber))
            if scanned_to == cursor:
                break
            error = _post(client, subscriber, items) if items else None
            if error is not None:
                self._record_failure(subscriber, cursor, error, now)
                return sent, False
            if not self._advance(subscriber.id, cursor, scanned_to, len(items)):
                break  # a concurrent run moved the cursor first; it delivers the rest
            cursor, sent = scanned_to, sent + len(items)
        return sent, True

    def _scope(self, subscriber: _Due) -> ColumnElement[bool] | None:
        """The condition on ``cases`` for the subscriber's events; None: every event (an admin's)."""
        if subscriber.owner_role == ADMIN or self.scope_of is None:
            return None
        return self.scope_of(subscriber.owner_role, tuple(subscriber.scopes)) if subscriber.scopes else false()

    def _batch(self, cursor: int, high_water: int, scope: ColumnElement[bool] | None,
               ) -> tuple[list[OutboxItem], int]:
        """The next rows after ``cursor`` that are in ``scope``, and the last id looked at."""
        in_scope = (literal(value=True) if scope is None
                    else select(literal(1)).where(cases.c.id == outbox.c.case_id, scope).exists())
        query = (select(outbox, in_scope.label("in_scope")).where(outbox.c.id > cursor, outbox.c.id <= high_water)
                 .order_by(outbox.c.id).limit(BATCH_SIZE))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_item(r) for r in rows if r.in_scope], rows[-1].id if rows else cursor

    def _advance(self, subscription_id: str, cursor: int, scanned_to: int, count: int) -> bool:
        """Move the cursor to ``scanned_to`` (only from where it was read) and clear the failure state."""
        c = subscriptions.c
        with self.engine.begin() as conn:
            moved = conn.execute(update(subscriptions).where(c.id == subscription_id, c.cursor == cursor).values(
                cursor=scanned_to, delivered=c.delivered + count, attempts=0, failing_since=None,
                last_error=None, next_attempt_at=None)).rowcount
        return bool(moved == 1)

    def _record_failure(self, subscriber: _Due, cursor: int, error: str, now: datetime) -> None:
        attempts = subscriber.attempts + 1
        retry_at = now + backoff(attempts)
        c = subscriptions.c
        with self.engine.begin() as conn:
            conn.execute(update(subscriptions).where(c.id == subscriber.id, c.cursor == cursor).values(
                attempts=attempts, failing_since=subscriber.failing_since or now, last_error=error,
                next_attempt_at=retry_at))
        log.warning("webhook_failed", subscription_id=subscriber.id, attempts=attempts, error=error,
                    next_attempt_at=retry_at.isoformat())


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidCommand([f"Het webhook-adres moet een http- of https-adres zijn, niet '{url[:100]}'."])


def _post(client: httpx.Client, subscriber: _Due, items: Sequence[OutboxItem]) -> str | None:
    """Post one batch; None if the receiver answered 2xx, else a short description of what went wrong.
    The response body is never read: a receiver decides nothing but its status code.
    """
    body = _body(subscriber.id, items)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(subscriber.secret, body),
               SUBSCRIPTION_HEADER: subscriber.id, "User-Agent": "leerlingroute-webhooks/1"}
    try:
        with client.stream("POST", subscriber.url, content=body, headers=headers) as response:
            status = response.status_code
    except Exception as error:  # noqa: BLE001 - whatever the receiver's side does is a failed attempt
        return _short(error)
    return None if 200 <= status < 300 else f"HTTP {status}"  # noqa: PLR2004 - the 2xx range


def _body(subscription_id: str, items: Sequence[OutboxItem]) -> bytes:
    deliveries = [{
        "delivery_id": str(delivery_id(subscription_id, i.case_id, i.seq)),
        "event_id": str(uuid.uuid5(EVENT_NAMESPACE, f"{i.case_id}:{i.seq}")),
        "case_id": i.case_id, "seq": i.seq, "type": i.type, "pathway": i.pathway,
        "stage_from": i.stage_from, "stage_to": i.stage_to, "occurred_at": i.occurred_at.isoformat(),
    } for i in items]
    return json.dumps({"deliveries": deliveries}, separators=(",", ":")).encode()


def _item(r: Row[Any]) -> OutboxItem:
    return OutboxItem(r.id, r.case_id, r.seq, r.type, r.pathway, r.stage_from, r.stage_to, r.occurred_at)


def _short(error: BaseException) -> str:
    """The error's kind and first line, short: never a payload, whatever the receiver answered."""
    lines = str(error).splitlines()
    return f"{type(error).__name__}: {lines[0]}"[:_ERROR_LENGTH] if lines else type(error).__name__

