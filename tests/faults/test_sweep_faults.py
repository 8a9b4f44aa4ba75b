"""Timers under faults: a sweep SIGKILLed at 50 random points and restarted each time fires every
timer exactly once, with the same events as an uninterrupted run; four sweepers on PostgreSQL
share 100,000 timers with no duplicate and no miss. Time is passed in (--as-of); processes are killed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from domain.handlers import fire_due_timers
from domain.registry import PathwayRegistry
from infra.store.db import make_engine
from infra.store.sql import SqlUnitOfWork
from tests.databases import fresh_pg_database, migrated_sqlite
from tests.faults.conftest import AS_OF, seed, sweeper

TIMERS = int(os.environ.get("LEERLINGROUTE_FAULT_TIMERS", "100000"))
KILLS = 50


def _rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return found


def _history(url: str) -> list[Any]:
    return _rows(url, "SELECT case_id, seq, type, stage_from, stage_to, occurred_at, recorded_at "
                      "FROM case_events ORDER BY case_id, seq")


def _sweep_in_process(url: str) -> float:
    """Sweep to the end in this process; the seconds it took."""
    engine = make_engine(url)
    started = time.perf_counter()
    fire_due_timers(SqlUnitOfWork(engine), PathwayRegistry.builtin(), AS_OF, 500)
    engine.dispose()
    return time.perf_counter() - started


@pytest.mark.faults
def test_a_sweep_killed_at_fifty_random_points_fires_every_timer_exactly_once(tmp_path: Path) -> None:
    """Each restart resumes where the last one was killed; in the end the history equals an
    uninterrupted run's, case by case and event by event.
    """
    seeded = migrated_sqlite(str(tmp_path))
    seed(seeded, TIMERS)
    path = seeded.removeprefix("sqlite:///")
    shutil.copyfile(path, tmp_path / "reference.db")
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    work = _sweep_in_process(reference)
    rng, kills, pending = random.Random(2026), 0, TIMERS
    for _ in range(KILLS * 4):
        process = sweeper(seeded)
        assert process.stdout is not None
        process.stdout.readline()  # the sweeper says when it starts firing: kill only after that
        try:
            process.wait(timeout=rng.uniform(0.1, 1.5) * work / (KILLS + 10))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        else:
            pytest.fail(f"the sweep finished after {kills} kills; it must be killed {KILLS} times while working")
        left = _rows(seeded, "SELECT count(*) FROM timers WHERE state = 'pending'")[0][0]
        kills += left < pending  # a kill that landed while the sweep was firing timers
        pending = left
        if kills == KILLS:
            break
    assert kills == KILLS
    assert sweeper(seeded).wait(timeout=600) == 0
    assert _rows(seeded, "SELECT state, count(*) FROM timers GROUP BY state") == [("fired", TIMERS)]
    assert _rows(seeded, "SELECT count(*) FROM case_events WHERE type = 'opp_te_laat'") == [(TIMERS,)]
    assert _history(seeded) == _history(reference)
    assert _rows(seeded, "SELECT count(*) FROM outbox") == _rows(reference, "SELECT count(*) FROM outbox")


@pytest.mark.faults
def test_four_sweepers_on_postgresql_fire_every_timer_once_with_no_duplicate_and_no_miss() -> None:
    """FOR UPDATE SKIP LOCKED shares the due timers; every timer fires once, every case has one
    'OPP te laat', and the sweepers' counts add up to the number of timers.
    """
    with fresh_pg_database() as url:
        seed(url, TIMERS)
        sweepers = [sweeper(url) for _ in range(4)]
        outputs = [p.communicate(timeout=900)[0] for p in sweepers]
        assert [p.returncode for p in sweepers] == [0, 0, 0, 0], outputs
        fired = [int(o.split("Termijnen afgegaan: ")[1].split(",")[0]) for o in outputs]
        assert sum(fired) == TIMERS
        assert _rows(url, "SELECT state, count(*) FROM timers GROUP BY state") == [("fired", TIMERS)]
        per_case = _rows(url, "SELECT count(*) FROM case_events WHERE type = 'opp_te_laat' GROUP BY case_id "
                              "HAVING count(*) <> 1")
        assert per_case == []
        assert _rows(url, "SELECT count(DISTINCT case_id) FROM case_events WHERE type = 'opp_te_laat'") == [(TIMERS,)]
