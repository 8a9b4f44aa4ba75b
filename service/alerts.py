"""Alert use cases: the inbox (alone or grouped per pupil and kind), acknowledging, whether a deadline alert's term is
still open; and the feeds that raise alerts and make the hand-offs between pathways.
"""


from __future__ import annotations

from datetime import datetime

from domain.access import (
    Principal,
)
from infra.delivery import alerts as alert_store
from infra.delivery.webhooks import (
    outbox_high_water,
)
from infra.store.reactions import ReactionReport, run_reactions
from infra.views import digests as digest_store
from service.base import ServiceBase
from service.use_case import Opener, audited, audited_in, unaudited


class AlertUseCases(ServiceBase):
    """Alerts and the feeds that raise them."""

    @audited("alerts.read", "alerts:{state}")
    def alerts(self, principal: Principal, state: str, limit: int, offset: int, now: datetime,
               kind: str | None = None) -> tuple[list[alert_store.Alert], int]:
        """The user's alert inbox (of one kind, if given); audited."""
        return alert_store.inbox(self.engine, principal, state, limit, offset, kind)

    @audited("alert.read", "alert:{alert_id}")
    def alert(self, principal: Principal, alert_id: str, now: datetime) -> alert_store.Alert:
        """One alert of the user's inbox (AlertNotFound, a 404, for anyone else's); audited."""
        return alert_store.find(self.engine, principal, alert_id)

    @audited_in("alert.acknowledge", "alert:{alert_id}")
    def acknowledge_alert(self, begin: Opener, principal: Principal, alert_id: str, note: str | None,
                          now: datetime) -> alert_store.Alert:
        """Acknowledge an alert in the user's inbox; audited in the same transaction."""
        return alert_store.acknowledge(begin, principal, alert_id, note, now)

    @audited("alerts.read", "alerts:{state}")
    def alert_groups(self, principal: Principal, state: str, limit: int, offset: int, now: datetime,
                     kind: str | None = None) -> tuple[list[alert_store.AlertGroup], int]:
        """A page of the user's alerts grouped per recipient, kind and pupil (else case), as the inbox shows
        them (of one kind, if given), and how many groups; audited as the inbox's read.
        """
        return alert_store.groups(self.engine, principal, state, limit, offset, kind)

    @unaudited()
    def alert_group_kinds(self, principal: Principal, state: str) -> dict[str, int]:
        """How many of the user's alert groups in ``state`` there are per kind (counts only, for the tabs and the
        filter).
        """
        return alert_store.group_kinds(self.engine, principal, state)

    @audited("alert.read", "alert-group:{alert_id}")
    def alert_group(self, principal: Principal, alert_id: str, limit: int, now: datetime,
                    ) -> tuple[list[alert_store.Alert], int]:
        """The alerts of the group of one alert of the user's inbox, newest first (at most ``limit``), and how
        many; AlertNotFound (a 404) for anyone else's; audited.
        """
        return alert_store.group_of(self.engine, principal, alert_id, limit)

    @audited("alert.read", "alert-deadline:{alert_id}")
    def alert_deadline_open(self, principal: Principal, alert_id: str, now: datetime) -> bool | None:
        """For a 'deadline passed' alert of the user's inbox: whether that deadline is still not handled, as the
        monitor counts it (:func:`infra.views.digests.passed_unhandled`); None for any other alert. AlertNotFound
        (a 404) for anyone else's; audited (the alert is the permission to read this of its case).
        """
        found = alert_store.find(self.engine, principal, alert_id)
        event = found.facts.get("event")
        if found.kind != "escalatie" or found.case_id is None or not isinstance(event, str):
            return None
        with self.engine.connect() as conn:
            return digest_store.still_open(conn, self.registry, found.case_id, event, now)

    @audited_in("alert.acknowledge", "alert:{alert_id}")
    def acknowledge_alert_group(self, begin: Opener, principal: Principal, alert_id: str, note: str | None,
                                now: datetime) -> list[str]:
        """Acknowledge every alert of the group of one alert of the user's inbox that arrived no later than it
        (see :func:`infra.delivery.alerts.acknowledge_group`), in one transaction with an ``alert.acknowledge``
        audit row for each alert acknowledged (one on the alert itself when none was left); the ids acknowledged.
        """
        done: list[str] = []
        begin.resources = lambda: [f"alert:{i}" for i in done]
        return alert_store.acknowledge_group(begin, principal, alert_id, note, now, done)

    def react(self, now: datetime, rounds: int = 5) -> ReactionReport:
        """Make the hand-offs between pathways for the events recorded since the feed last ran (each once),
        and for the events those hand-offs record, up to ``rounds`` rounds deep.
        """
        report = ReactionReport({})
        for _ in range(rounds):
            done = run_reactions(self.engine, self.unit_of_work, self.registry, outbox_high_water(self.engine), now)
            report += done
            if not done.outcomes:
                return report
        return report

    def raise_alerts(self, now: datetime) -> int:
        """Raise the alerts for the events recorded since the feed last ran; how many were new."""
        return alert_store.run_feed(self.engine, self.registry, outbox_high_water(self.engine), now)

