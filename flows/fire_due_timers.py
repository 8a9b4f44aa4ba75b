"""Flow: fire every timer due at ``as_of`` (default: the instance's now, simulated in an oefenomgeving) through the
same handler the API uses.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import datetime

import structlog
from prefect import flow

from flows._service import service

log = structlog.get_logger("leerlingroute.flows")


@flow(name="fire_due_timers", retries=2, retry_delay_seconds=5)
def fire_due_timers(as_of: datetime | None = None) -> dict[str, int]:
    """Fire due timers in batches. A timer fires once even if this flow runs twice; a command
    the case refuses marks its timer refused (domain errors are not retried; only
    infrastructure errors reach the flow's retries).
    """
    started = time.perf_counter()
    report = service().fire_due_timers(as_of or service().now())
    log.info("flow_run", flow="fire_due_timers", **asdict(report),
             duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return asdict(report)
