"""Webhooks: registered receivers get the case events, each subscriber at its own pace.

A subscription has a cursor into the outbox: the last outbox id it received. A delivery run
posts to every subscriber that is due the outbox rows after its cursor, in id order (hence in
per-case order), a batch per request, signed as the Standard Webhooks specification says
(https://www.standardwebhooks.com: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``; the
message itself is made in :mod:`infra.delivery.webhook_messages`).
A receiver that fails keeps its cursor and gets the same batch (same ``webhook-id``) after an
exponential backoff; it holds up neither the other subscribers nor the relay to Prefect, whose
``relayed_at`` is independent of the cursors. Only ids, types, stages and instants leave the system:
no payload content, no names. A subscription delivers only while the account that owns it is
neither revoked nor expired, and only the events that account may see now; it is sent only to a
public address (see :mod:`infra.delivery.webhook_targets`).

The clock is never read here: every instant is passed in.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpcore
import structlog
from sqlalchemy import ColumnElement, Engine, Row, exists, false, func, insert, literal, select, update
from sqlalchemy.exc import OperationalError

from domain.access import Principal
from domain.errors import NotFound
from domain.ports import OutboxItem
from domain.roles import ADMIN, SWV_COORDINATOR
from infra.delivery.webhook_messages import new_secret, signed_message
from infra.delivery.webhook_targets import AllowList, check_url, connection_pool, post
from infra.store.db import Begin
from infra.store.tables import cases, outbox, users
from infra.store.tables import webhook_subscriptions as subscriptions

log = structlog.get_logger("leerlingroute.webhooks")

MANAGERS = (ADMIN, SWV_COORDINATOR)
"""The roles that may register, read and deactivate webhooks."""
BATCH_SIZE = 100
MAX_BATCHES_PER_RUN = 50
"""A subscriber far behind catches up over several runs instead of making one run take minutes."""
TIMEOUT_S = 5.0
FIRST_RETRY = timedelta(seconds=10)
LONGEST_RETRY = timedelta(minutes=15)
LOCK_TIMEOUT_MS = 2000
SECRET_GRACE = timedelta(hours=24)
"""After a rotation the old secret signs too, this long (setting ``webhook_secret_grace_hours``)."""
_ERROR_LENGTH = 200
_COLUMNS = [c for c in subscriptions.c if c.name not in {"secret", "previous_secret", "retry_through"}]


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
    owner_id: str | None
    owner_role: str
    scopes: list[str]
    previous_secret_until: datetime | None


@dataclass(frozen=True)
class Registered:
    """A subscription and its new secret (on registration or rotation), shown this once and never again."""

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
    """A subscriber to try now, with its owner's current role and scopes (from ``users``)."""

    id: str
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None
    cursor: int
    attempts: int
    failing_since: datetime | None
    retry_through: int | None
    owner_id: str
    owner_role: str
    scopes: list[str]

    def secrets(self, now: datetime) -> list[str]:
        """The secrets that sign at ``now``: the current one, and the previous one in its grace period."""
        keep = self.previous_secret and self.previous_secret_until and now < self.previous_secret_until
        return [self.secret, self.previous_secret] if keep and self.previous_secret else [self.secret]


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


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure in a row: 10 s, 20 s, 40 s ... at most 15 min."""
    doublings = min(max(attempts - 1, 0), 16)  # 10 s * 2**7 already exceeds the cap
    return min(FIRST_RETRY * (1 << doublings), LONGEST_RETRY)


class Webhooks:
    """The subscriptions on one database, and their delivery."""

    def __init__(
        self, engine: Engine, scope_of: ScopeOf | None = None, *, allow: AllowList | None = None,
        grace: timedelta = SECRET_GRACE, ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.engine = engine
        self.scope_of = scope_of
        self.allow = allow or AllowList()
        self.grace = grace
        self.ssl_context = ssl_context

    def register(self, url: str, description: str, now: datetime, owner: Principal,
                 subscription_id: str | None = None, begin: Begin | None = None) -> Registered:
        """A new active subscriber owned by ``owner`` that receives the events recorded from now on, of
        the cases its owner may see at delivery; an admin's receives every event. WebhookUrlRefused
        (422) for an address a webhook may not be sent to. Written in the transaction ``begin`` opens
        (default: one of its own), so that a caller can commit its audit row with it.
        """
        check_url(url, self.allow)
        subscription_id, secret = subscription_id or str(uuid.uuid4()), new_secret()
        with (begin or self.engine.begin)() as conn:
            cursor = conn.execute(select(func.coalesce(func.max(outbox.c.id), 0))).scalar_one()
            conn.execute(insert(subscriptions), {
                "id": subscription_id, "url": url, "secret": secret, "description": description,
                "active": True, "created_at": now, "cursor": cursor, "owner_id": owner.user_id,
                "owner_role": owner.role, "scopes": list(owner.scopes),
            })
        return Registered(self.get(subscription_id), secret)

    def all(self, owner_id: str | None = None) -> list[Subscription]:
        """Every subscription (of ``owner_id`` when given), active or not, oldest first."""
        query = select(*_COLUMNS).order_by(subscriptions.c.created_at, subscriptions.c.id)
        if owner_id is not None:
            query = query.where(subscriptions.c.owner_id == owner_id)
        with self.engine.connect() as conn:
            return [Subscription(**r._asdict()) for r in conn.execute(query)]

    def get(self, subscription_id: str) -> Subscription:
        """One subscription; WebhookNotFound if there is none with this id."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(subscriptions.c.id == subscription_id)).first()
        if row is None:
            raise WebhookNotFound(subscription_id)
        return Subscription(**row._asdict())

    def deactivate(self, subscription_id: str, begin: Begin | None = None) -> None:
        """Stop delivering to a subscriber (again: no-op); WebhookNotFound for an unknown id. Written in
        the transaction ``begin`` opens (default: one of its own).
        """
        with (begin or self.engine.begin)() as conn:
            found = conn.execute(update(subscriptions).where(subscriptions.c.id == subscription_id)
                                 .values(active=False)).rowcount
        if found != 1:
            raise WebhookNotFound(subscription_id)

    def rotate(self, subscription_id: str, now: datetime, begin: Begin | None = None) -> Registered:
        """A new secret, returned this once; the current one becomes the previous one and keeps signing
        until ``now + grace`` (a previous one still in its grace period is dropped). One UPDATE, in the
        transaction ``begin`` opens (default: one of its own).
        """
        secret, c = new_secret(), subscriptions.c
        with (begin or self.engine.begin)() as conn:
            found = conn.execute(update(subscriptions).where(c.id == subscription_id).values(
                previous_secret=c.secret, previous_secret_until=now + self.grace, secret=secret)).rowcount
        if found != 1:
            raise WebhookNotFound(subscription_id)
        return Registered(self.get(subscription_id), secret)

    def deliver(
        self, now: datetime, timeout_s: float = TIMEOUT_S, lock_timeout_ms: int = LOCK_TIMEOUT_MS,
    ) -> DeliveryReport:
        """Post the new outbox rows to every active subscriber due at ``now`` whose owner is valid, each
        on its own: whatever goes wrong with one is recorded on it and the run goes on with the next.
        """
        try:
            high_water = outbox_high_water(self.engine, lock_timeout_ms)
        except OperationalError as error:
            log.warning("webhooks_postponed", error=_short(error))
            return DeliveryReport(postponed=True)
        due = self._due(now)
        delivered = failed = 0
        with connection_pool(self.allow, self.ssl_context) as pool:
            for subscriber in due:
                try:
                    sent, ok = self._deliver_to(pool, subscriber, high_water, now, timeout_s)
                except Exception:  # one subscriber's trouble (even our own bug) must not stop the others
                    log.exception("webhook_error", subscription_id=subscriber.id)
                    sent, ok = 0, False
                delivered, failed = delivered + sent, failed + (not ok)
        return DeliveryReport(len(due), delivered, failed)

    def _due(self, now: datetime) -> list[_Due]:
        c, u = subscriptions.c, users.c
        query = (select(c.id, c.url, c.secret, c.previous_secret, c.previous_secret_until, c.cursor, c.attempts,
                        c.failing_since, c.retry_through, c.owner_id, u.role.label("owner_role"), u.scopes)
                 .join_from(subscriptions, users, u.id == c.owner_id)
                 .where(c.active.is_(True), c.next_attempt_at.is_(None) | (c.next_attempt_at <= now),
                        u.revoked_at.is_(None), u.expires_at > now)
                 .order_by(c.created_at, c.id))
        with self.engine.connect() as conn:
            return [_Due(**r._asdict()) for r in conn.execute(query)]

    def _deliver_to(self, pool: httpcore.ConnectionPool, subscriber: _Due, high_water: int, now: datetime,
                    timeout_s: float) -> tuple[int, bool]:
        """Send batches until the subscriber is caught up; on the first failure record it and stop.
        The first batch of a retry ends where the failed one ended, so it is the same message.
        """
        cursor, sent = subscriber.cursor, 0
        through = min(subscriber.retry_through or high_water, high_water)
        for _ in range(MAX_BATCHES_PER_RUN):
            items, scanned_to = self._batch(cursor, through, self._scope(subscriber), subscriber.owner_id, now)
            if scanned_to == cursor:
                break
            error = _post(pool, subscriber, items, now, timeout_s) if items else None
            if error is not None:
                self._record_failure(subscriber, cursor, scanned_to, error, now)
                return sent, False
            if not self._advance(subscriber.id, cursor, scanned_to, len(items)):
                break  # a concurrent run moved the cursor first; it delivers the rest
            cursor, sent, through = scanned_to, sent + len(items), high_water
        return sent, True

    def _scope(self, subscriber: _Due) -> ColumnElement[bool] | None:
        """The condition on ``cases`` for the subscriber's events; None: every event (an admin's)."""
        if subscriber.owner_role == ADMIN or self.scope_of is None:
            return None
        return self.scope_of(subscriber.owner_role, tuple(subscriber.scopes)) if subscriber.scopes else false()

    def _batch(self, cursor: int, through: int, scope: ColumnElement[bool] | None, owner_id: str, now: datetime,
               ) -> tuple[list[OutboxItem], int]:
        """The next rows after ``cursor`` (up to ``through``) that are in ``scope``, and the last id looked
        at; nothing at all once the owner is revoked or expired (checked with every batch).
        """
        in_scope = (literal(value=True) if scope is None
                    else select(literal(1)).where(cases.c.id == outbox.c.case_id, scope).exists())
        owner_valid = exists().where(users.c.id == owner_id, users.c.revoked_at.is_(None), users.c.expires_at > now)
        query = (select(outbox, in_scope.label("in_scope"))
                 .where(outbox.c.id > cursor, outbox.c.id <= through, owner_valid)
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
                last_error=None, next_attempt_at=None, retry_through=None)).rowcount
        return bool(moved == 1)

    def _record_failure(self, subscriber: _Due, cursor: int, scanned_to: int, error: str, now: datetime) -> None:
        attempts = subscriber.attempts + 1
        retry_at = now + backoff(attempts)
        c = subscriptions.c
        with self.engine.begin() as conn:
            conn.execute(update(subscriptions).where(c.id == subscriber.id, c.cursor == cursor).values(
                attempts=attempts, failing_since=subscriber.failing_since or now, last_error=error,
                next_attempt_at=retry_at, retry_through=scanned_to))
        log.warning("webhook_failed", subscription_id=subscriber.id, attempts=attempts, error=error,
                    next_attempt_at=retry_at.isoformat())


def _post(pool: httpcore.ConnectionPool, subscriber: _Due, items: Sequence[OutboxItem], now: datetime,
          timeout_s: float) -> str | None:
    """Post one batch, signed with every secret valid at ``now``; None on 2xx, else the failure's word."""
    body, headers = signed_message(subscriber.id, subscriber.secrets(now), items, now)
    return post(pool, subscriber.url, body, headers, timeout_s)


def _item(r: Row[Any]) -> OutboxItem:
    return OutboxItem(r.id, r.case_id, r.seq, r.type, r.pathway, r.stage_from, r.stage_to, r.occurred_at)


def _short(error: BaseException) -> str:
    """The error's kind and first line, short: never a payload, whatever the receiver answered."""
    lines = str(error).splitlines()
    return f"{type(error).__name__}: {lines[0]}"[:_ERROR_LENGTH] if lines else type(error).__name__

