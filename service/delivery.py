"""Delivery use cases: firing due timers, relaying the outbox, webhooks (register, rotate, deactivate, deliver) and the
event stream.
"""


from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import structlog

from domain import handlers
from domain.access import (
    Principal,
    check_stream_reader,
)
from domain.handlers import SweepReport
from domain.ports import OutboxItem
from domain.roles import ADMIN
from infra.delivery import stream
from infra.delivery.webhook_targets import AllowList
from infra.delivery.webhooks import (
    MANAGERS,
    DeliveryReport,
    Registered,
    Subscription,
    WebhookNotFound,
    Webhooks,
)
from infra.store import scope
from service.base import ServiceBase
from service.use_case import Opener, audited, audited_in, only, unaudited

log = structlog.get_logger("leerlingroute")
managers = only(*MANAGERS, act="beheer_webhooks")
"""Who manages webhooks: an SWV coordinator or an admin."""


class DeliveryUseCases(ServiceBase):
    """Timers, the outbox relay, webhooks and the event stream."""

    def fire_due_timers(self, as_of: datetime) -> SweepReport:
        """Fire every timer due at ``as_of``."""
        with self.unit_of_work() as uow:
            return handlers.fire_due_timers(uow, self.registry, as_of, self.settings.sweep_batch_size)

    def relay(self, emit: Callable[[Sequence[OutboxItem]], None], now: datetime) -> int:
        """Relay the outbox through ``emit``."""
        with self.unit_of_work() as uow:
            return handlers.relay_outbox(uow, emit, now, self.settings.relay_batch_size)

    def _webhooks(self) -> Webhooks:
        return Webhooks(self.engine, lambda role, scopes: scope.case_scope(Principal("", role, scopes), self.registry),
                        allow=AllowList.parse(self.settings.webhook_allow_hosts),
                        grace=timedelta(hours=self.settings.webhook_secret_grace_hours))

    @audited_in("webhook.register", "webhook:nieuw", may=managers)
    def register_webhook(self, begin: Opener, principal: Principal, url: str, description: str, now: datetime,
                         ) -> Registered:
        """Register a webhook subscriber (SWV coordinator or admin) owned by the user, that receives the
        events of the cases its owner may see; its secret is returned only here. Audited with the write:
        a lasting channel that sends case events out is an access of its own.
        """
        subscription_id = str(uuid.uuid4())
        begin.resources = lambda: [f"webhook:{subscription_id}"]
        registered = self._webhooks().register(url, description, now, principal, subscription_id, begin)
        log.info("webhook", action="registered", subscription_id=subscription_id, actor_role=principal.role)
        return registered

    @unaudited(may=managers)
    def webhooks(self, principal: Principal) -> list[Subscription]:
        """The webhook subscriptions the user manages (their own; an admin's: all), without secrets."""
        return self._webhooks().all(None if principal.role == ADMIN else principal.user_id)

    @unaudited(may=managers)
    def webhook(self, principal: Principal, subscription_id: str) -> Subscription:
        """One webhook subscription the user manages; WebhookNotFound otherwise (also another's)."""
        found = self._webhooks().get(subscription_id)
        if not _manages(principal, found):
            raise WebhookNotFound(subscription_id)
        return found

    @audited_in("webhook.deactivate", "webhook:{subscription_id}", may=managers)
    def deactivate_webhook(self, begin: Opener, principal: Principal, subscription_id: str, now: datetime) -> None:
        """Stop delivering to a webhook subscriber the user manages; audited with the write."""
        self.webhook(principal, subscription_id)
        self._webhooks().deactivate(subscription_id, begin)
        log.info("webhook", action="deactivated", subscription_id=subscription_id, actor_role=principal.role)

    @audited_in("webhook.rotate_secret", "webhook:{subscription_id}", may=managers)
    def rotate_webhook_secret(self, begin: Opener, principal: Principal, subscription_id: str, now: datetime,
                              ) -> Registered:
        """A new secret for a subscriber the user manages, returned only here; the old one signs too
        until the grace period (``webhook_secret_grace_hours``) ends.
        """
        self.webhook(principal, subscription_id)
        rotated = self._webhooks().rotate(subscription_id, now, begin)
        log.info("webhook", action="secret-rotated", subscription_id=subscription_id, actor_role=principal.role)
        return rotated

    def deliver_webhooks(self, now: datetime) -> DeliveryReport:
        """Deliver new outbox events to every webhook subscriber due at ``now`` whose owner is valid."""
        return self._webhooks().deliver(now)

    @audited("events.stream", lambda a: f"events:{a['after'] if a['after'] is not None else 'new'}",
             may=check_stream_reader)
    def stream_start(self, principal: Principal, after: int | None, now: datetime) -> int:
        """Where a user's event stream starts (after ``after``, else after the newest event); audited."""
        return after if after is not None else stream.latest_position(self.engine)

    @unaudited()
    def events_after(self, principal: Principal, position: int) -> stream.Batch:
        """The next events of the cases in the user's scope after ``position`` (one short read)."""
        return stream.events_after(self.engine, scope.case_scope(principal, self.registry), position)

    def latest_event_position(self) -> int:
        """The id of the newest recorded event (what event streams watch to know when to read)."""
        return stream.latest_position(self.engine)


def _manages(principal: Principal, subscription: Subscription) -> bool:
    """An admin manages every subscription; anyone else only those they registered themselves."""
    return principal.role == ADMIN or (subscription.owner_id is not None and subscription.owner_id == principal.user_id)
