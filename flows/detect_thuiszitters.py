"""Flow: daily verzuim detection (issue 6) -- meldplicht, dreigend thuiszitter, thuiszitter alerts to the
leerplicht of the pupil's municipality, escalation after 3 months, the 5-onder-a reminder, the register,
and the thuiszitter case of every new episode -- through the same code the API runs for one pupil.
"""

from __future__ import annotations

from datetime import date

import structlog
from prefect import flow

from flows._service import service
from service.verzuim import Verzuim, today_in_nl

log = structlog.get_logger("leerlingroute.flows")


@flow(name="detect_thuiszitters", retries=2, retry_delay_seconds=5)
def detect_thuiszitters(as_of: date | None = None) -> dict[str, object]:
    """Detect as of ``as_of`` (default: the instance's today in the Netherlands; the records of days before it count).
    Safe to re-run: every alert is raised once, every episode has one register row and one case.
    """
    now = service().now()
    report = Verzuim(service()).detect(as_of or today_in_nl(now), now)
    log.info("flow_run", flow="detect_thuiszitters", **report.counts())
    return report.counts()
