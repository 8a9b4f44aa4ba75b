"""Flow: relay the outbox to Prefect events (deterministic ids, resource ``leerlingroute.case.<id>``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import structlog
from prefect import flow

from flows._service import service
from infra.prefect_events import emit_to_prefect

log = structlog.get_logger("leerlingroute.flows")


@flow(name="relay_events", retries=2, retry_delay_seconds=5)
def relay_events() -> int:
    """Relay every pending outbox item; rows are marked relayed only after Prefect confirmed them."""
    started = time.perf_counter()
    relayed = service().relay(emit_to_prefect, datetime.now(UTC))
    log.info("flow_run", flow="relay_events", relayed=relayed,
             duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return relayed
