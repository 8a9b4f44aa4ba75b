"""Flow: an hourly signed checkpoint of the audit log and the case events, kept outside the database."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import structlog
from prefect import flow

from flows._service import service
from infra.identity import checkpoints

log = structlog.get_logger("leerlingroute.flows")


@flow(name="audit_checkpoint", retries=1, retry_delay_seconds=5)
def audit_checkpoint() -> dict[str, int]:
    """Check the rows written since the previous checkpoint and the checkpoint file, and append a new
    signed checkpoint (rows and last hash of both chains, its number and the previous checkpoint's
    signature) to the file in the checkpoint folder; ``leerlingroute audit verify`` holds the chains
    against these, and fails when the newest is over two hours old, so this must keep running. A chain or
    checkpoint file that does not verify fails the run (CheckpointRefused): a tampered log is never
    signed, and a failed run is what the Prefect UI shows. The row counts in every run's log are a copy
    of the evidence outside the checkpoint folder.
    """
    started = time.perf_counter()
    run = service()
    if warning := checkpoints.colocation_warning(run.settings):
        log.warning("audit_checkpoints_beside_database", detail=warning)
    made = checkpoints.take(run.engine, run.settings, datetime.now(UTC))  # the wall clock, also when simulated:
    # a checkpoint is evidence of when the log was signed, and `audit verify` measures its age in real time
    counts = {"checkpoint": made.number or 0, "audit_rows": made.audit.rows, "event_rows": made.events.rows}
    log.info("flow_run", flow="audit_checkpoint", **counts,
             duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return counts
