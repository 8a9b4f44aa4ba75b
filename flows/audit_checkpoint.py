"""Flow: an hourly signed checkpoint of the audit log and the case events, kept outside the database."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import structlog
from prefect import flow

from flows._service import service
from infra import checkpoints

log = structlog.get_logger("leerlingroute.flows")


@flow(name="audit_checkpoint", retries=1, retry_delay_seconds=5)
def audit_checkpoint() -> dict[str, int]:
    """Check the rows written since the previous checkpoint and append a new signed one (rows and last
    hash of both chains) to the checkpoint file in the data folder; ``leerlingroute audit verify`` holds
    the chains against these. A chain that does not verify fails the run (CheckpointRefused): a
    tampered log is never signed, and a failed run is what the Prefect UI shows.
    """
    started = time.perf_counter()
    run = service()
    made = checkpoints.take(run.engine, run.settings, datetime.now(UTC))
    counts = {"audit_rows": made.audit.rows, "event_rows": made.events.rows}
    log.info("flow_run", flow="audit_checkpoint", **counts,
             duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return counts
