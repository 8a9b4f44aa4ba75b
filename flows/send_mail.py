"""Flow: every minute, queue the alert mail of new alerts and send what is due (``infra.delivery.mail_queue``,
``infra.delivery.mail_send``). Without an SMTP server (``LEERLINGROUTE_MAIL_HOST`` unset) alerts are marked queued and
nothing is sent. A run that fails leaves the rows pending: the next run retries them after their backoff.
"""

from __future__ import annotations

import time

import structlog
from prefect import flow

from flows._service import service
from infra.delivery import mail_queue, mail_send

log = structlog.get_logger("leerlingroute.flows")


@flow(name="send_mail", retries=0)
def send_mail() -> dict[str, int]:
    """Queue and send the alert mail; the counts (no addresses) go to the log."""
    started = time.perf_counter()
    run = service()
    now, settings = run.now(), run.settings
    queued = mail_queue.enqueue(run.engine, now, settings.mail_digest_hour, mail_on=settings.mail_host is not None)
    counts = {"queued": queued, "sent": 0, "failed": 0, "dropped": 0}
    if settings.mail_host is not None:
        counts.update(mail_send.deliver(run.engine, settings, now))
    log.info("flow_run", flow="send_mail", **counts, duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return counts
