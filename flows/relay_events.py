"""Flow: make the hand-offs between pathways that new events call for (reactions.json, each once), relay the
outbox to Prefect events (deterministic ids, resource ``leerlingroute.case.<id>``), then deliver the new events
to the webhook subscribers and raise the alerts they call for.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import structlog
from prefect import flow

from flows._service import service
from infra.delivery.prefect_events import emit_to_prefect

log = structlog.get_logger("leerlingroute.flows")


@flow(name="relay_events", retries=2, retry_delay_seconds=5)
def relay_events() -> int:
    """Make the pending hand-offs (at the instance's now: they open and move cases), relay every pending outbox
    item (rows are marked relayed only after Prefect confirmed them), then deliver webhooks (both on the wall
    clock: Prefect and the receivers live in real time, in an oefenomgeving too), then raise the alerts of the
    new events at the instance's now. An unreachable Prefect does not hold up the webhooks: its error is raised
    after they were delivered, so the run is marked failed and retried.
    """
    started = time.perf_counter()
    reactions = service().react(service().now())  # first: the cases it opens are relayed in this same run
    relayed, prefect_error = 0, None
    try:
        relayed = service().relay(emit_to_prefect, datetime.now(UTC))
    except Exception as error:  # noqa: BLE001 - raised again below, once the webhooks are out
        prefect_error = error
    webhooks = service().deliver_webhooks(datetime.now(UTC))  # real time: receivers check the signed timestamp
    alerts = service().raise_alerts(service().now())  # facts about cases: the instance's clock
    log.info("flow_run", flow="relay_events", outcome="failed" if prefect_error else "ok", relayed=relayed,
             handoffs=reactions.outcomes, handoffs_replayed=reactions.replayed,
             prefect_error=type(prefect_error).__name__ if prefect_error else None,
             webhook_subscribers=webhooks.subscribers, webhooks_delivered=webhooks.delivered,
             webhooks_failed=webhooks.failed, alerts_raised=alerts, webhooks_postponed=webhooks.postponed,
             duration_ms=round((time.perf_counter() - started) * 1000, 1))
    if prefect_error is not None:
        raise prefect_error
    return relayed
