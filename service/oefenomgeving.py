"""The oefenomgeving's clock as a use case: an admin moves it (audited, see :mod:`infra.clock`), then the work that
fell due runs: timers, verzuim detection, the stalled-pathways digests and the alerts.

The API runs that work in the background after answering (no request waits for it, and none for a Prefect flow
run); it calls the same service functions the scheduled flows call, at the new now. The command line runs the flows
themselves (``python -m flows.clock_moved``). The relay to Prefect and the webhook deliveries follow with the
``relay-events`` schedule (every 30 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from domain.access import Principal
from domain.errors import RoleNotAllowed
from domain.roles import ADMIN
from infra.clock import Moved
from infra.clock_words import Step
from infra.identity import audit
from service import Service
from service.verzuim import Verzuim, today_in_nl

log = structlog.get_logger("leerlingroute")


@dataclass(frozen=True)
class DueWork:
    """What ran after a move, at ``now``."""

    now: datetime
    timers_fired: int
    timers_refused: int
    alerts_from_detection: int
    digests: int
    alerts_from_events: int


def move(service: Service, principal: Principal, *, to: datetime | None = None, step: Step | None = None) -> Moved:
    """Set the simulated clock ``to`` an instant or advance it by ``step`` (admins only: RoleNotAllowed, audited;
    NotSimulated on the real clock; ClockRefused for a move that is not allowed).
    """
    if principal.role != ADMIN:
        audit.append(service.engine, at=service.clock.wall(), user_id=principal.user_id, role=principal.role,
                     action="clock.set" if to is not None else "clock.advance", resource="klok",
                     purpose="Gesimuleerde klok verzetten", outcome="forbidden")
        raise RoleNotAllowed("verzet_klok", principal.role, (ADMIN,))
    if to is not None:
        return service.clock.set_to(to, principal.actor)
    if step is None:
        msg = "give an instant or a step"
        raise ValueError(msg)
    return service.clock.advance(step, principal.actor)


def run_due_work(service: Service) -> DueWork:
    """The scheduled flows' work at the instance's now, called directly: fire the due timers, detect
    thuiszitters, write each profile's stalled-pathways digest of this week, raise the alerts of the new events.
    Each step is safe to repeat (a timer fires once, an alert is raised once, a week keeps one digest).
    """
    now = service.now()
    sweep = service.fire_due_timers(now)
    detection = Verzuim(service).detect(today_in_nl(now), now)
    written = [service.write_digest(code, now, now) for code in sorted(service.registry.profiles)]
    raised = service.raise_alerts(now)
    done = DueWork(now, sweep.fired, sweep.refused, detection.alerts, len(written), raised)
    log.info("clock_due_work", at=now.isoformat(), timers_fired=done.timers_fired,
             timers_refused=done.timers_refused, alerts_from_detection=done.alerts_from_detection,
             digests=done.digests, alerts_from_events=done.alerts_from_events)
    return done


def run_due_work_logged(service: Service) -> None:
    """:func:`run_due_work` for a background task: a failure is logged (the next scheduled run catches up)."""
    try:
        run_due_work(service)
    except Exception:
        log.exception("clock_due_work_failed")
