"""Many cases with due timers, written in bulk: for the fault tests and the sweep benchmark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.case import Actor, Case, Command
from domain.registry import PathwayRegistry
from infra.store.db import make_engine
from infra.store.sql import SqlUnitOfWork

OPENED = datetime(2026, 9, 1, 9, tzinfo=UTC)
DUE_AT = OPENED + timedelta(weeks=7)
"""Every seeded case's opp_termijn is due by DUE_AT."""


def seed_due_timers(url: str, count: int, chunk: int = 5000, prefix: str = "case") -> None:
    """``count`` OPP cases opened by the domain, each with a running opp_termijn due by DUE_AT."""
    definition = PathwayRegistry.builtin().get("opp")
    command = Command("start_opp", Actor("zorgcoordinator", "seed"), {"extra_ondersteuning_sinds": "2026-09-01"})
    engine = make_engine(url)
    uow = SqlUnitOfWork(engine)
    for start in range(0, count, chunk):
        opened = [Case.open(f"{prefix}-{i:07d}", definition, "14PS03", f"lln-{i:07d}", command, OPENED)
                  for i in range(start, min(start + chunk, count))]
        with uow:
            uow.add_cases(opened)
            uow.commit()
    uow.close()
    engine.dispose()
