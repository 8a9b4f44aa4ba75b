"""Many due timers, seeded fast: cases opened by the domain in memory, stored in bulk."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.case import Actor, Case, Command
from domain.registry import PathwayRegistry
from infra.db import make_engine
from infra.sql import SqlUnitOfWork

OPENED = datetime(2026, 9, 1, 9, tzinfo=UTC)
AS_OF = OPENED + timedelta(weeks=7)
"""Every seeded case's opp_termijn is due at AS_OF."""
SCRIPT = str(Path(sys.executable).parent / "leerlingroute")


def seed(url: str, count: int, chunk: int = 5000) -> None:
    """``count`` OPP cases, each with a running opp_termijn timer that is due at AS_OF."""
    definition = PathwayRegistry.builtin().get("opp")
    command = Command("start_opp", Actor("zorgcoordinator", "seed"), {"extra_ondersteuning_sinds": "2026-09-01"})
    engine = make_engine(url)
    uow = SqlUnitOfWork(engine)
    for start in range(0, count, chunk):
        opened = [Case.open(f"case-{i:07d}", definition, "14PS03", f"lln-{i:07d}", command, OPENED)
                  for i in range(start, min(start + chunk, count))]
        with uow:
            uow.add_cases(opened)
            uow.commit()
    uow.close()
    engine.dispose()


def sweeper(url: str, batch_size: int = 500) -> subprocess.Popen[str]:
    """`leerlingroute fire-timers` as its own process, on ``url``."""
    env = {**os.environ, "LEERLINGROUTE_DATABASE_URL": url, "LEERLINGROUTE_SWEEP_BATCH_SIZE": str(batch_size)}
    return subprocess.Popen([SCRIPT, "fire-timers", "--as-of", AS_OF.isoformat()], env=env, text=True,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
