"""Flow: the weekly stalled-pathways digest of every SWV profile, stored and announced as an event."""

from __future__ import annotations

import time
from datetime import datetime

import structlog
from prefect import flow

from flows._service import service
from infra.delivery.prefect_events import emit_digest_events

log = structlog.get_logger("leerlingroute.flows")


@flow(name="report_stalled_pathways", retries=2, retry_delay_seconds=5)
def report_stalled_pathways(as_of: datetime | None = None) -> dict[str, int]:
    """Write each profile's digest at ``as_of`` (default: the instance's now) — cases over their stage's norm and
    overdue deadlines — replacing that week's, then send one ``leerlingroute.digest.stalled_pathways``
    event per profile with the counts. Safe to re-run: a week keeps one digest per profile.
    """
    started = time.perf_counter()
    run = service()
    at = as_of or run.now()
    written = [run.write_digest(code, at, run.now()) for code in sorted(run.registry.profiles)]
    emit_digest_events(written)
    counts = {"profiles": len(written), "stalled": sum(len(d.stalled) for d in written),
              "overdue": sum(len(d.overdue) for d in written)}
    log.info("flow_run", flow="report_stalled_pathways", **counts,
             duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return counts
