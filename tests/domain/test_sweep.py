"""The sweep of due timers, on the in-memory store."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.case import Actor, Command
from domain.durations import NL
from domain.handlers import NewCase, fire_due_timers, open_case
from domain.registry import PathwayRegistry
from infra.store.memory import MemoryStore, MemoryUnitOfWork

REGISTRY = PathwayRegistry.builtin()


def test_a_deadline_that_passed_before_the_case_was_recorded_fires_at_the_moment_of_recording() -> None:
    """Extra support that began ten weeks before the OPP was opened: 'OPP te laat' is raised at once,
    dated when the case was opened (the event cannot precede the case).
    """
    store = MemoryStore()
    opened_on = datetime(2026, 11, 16, 9, tzinfo=NL)
    command = Command("start_opp", Actor("zorgcoordinator", "zc-1"),
                      {"extra_ondersteuning_sinds": (opened_on - timedelta(weeks=10)).date().isoformat()})
    case_id = open_case(MemoryUnitOfWork(store), REGISTRY, NewCase("opp", "14PS03", "lln-1"), command,
                        opened_on).case_id
    report = fire_due_timers(MemoryUnitOfWork(store), REGISTRY, opened_on + timedelta(minutes=1))
    assert (report.fired, report.refused) == (1, 0)
    with MemoryUnitOfWork(store) as uow:
        late = uow.history(case_id)[-1]
    assert (late.type, late.occurred_at) == ("opp_te_laat", opened_on)
