"""Flow: the daily silence check (issue 14 §3) -- how many places fall silent, per kind, over all active data.

The violations themselves are recomputed whenever the monitor or ``GET /monitor/silence`` is read (nothing is
stored): a fix shows at once and every reader sees their own scope. This run gives operators the daily counts
in Prefect and in the log (counts only: no case or pupil ids).
"""

from __future__ import annotations

import time
from datetime import datetime

import structlog
from prefect import flow

from flows._service import service

log = structlog.get_logger("leerlingroute.flows")


@flow(name="check_silence", retries=2, retry_delay_seconds=5)
def check_silence(as_of: datetime | None = None) -> dict[str, int]:
    """Count the violations of each kind at ``as_of`` (default: the instance's now). Reads only: safe to re-run."""
    started = time.perf_counter()
    run = service()
    counts = run.silence_counts(as_of or run.now())
    log.info("flow_run", flow="check_silence", **counts, total=sum(counts.values()),
             duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return counts
