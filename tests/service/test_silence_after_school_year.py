"""After a simulated school year of the demo, nothing falls silent (issue 14 §3).

An oefenomgeving on SQLite: the demo's year of OPPs in VO 31-02 and its verzuim (thuiszitters found by the
detection, which opens their cases), then the clock advanced a school year a month at a time, each move running the
due work through the flows as ``leerlingroute clock advance`` does (timers, detection, digests, the relay's
hand-offs, the silence check). Then the silence check finds no violation of any kind.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console

from domain.case import Actor
from domain.durations import NL
from flows._service import service as flow_service
from flows.clock_moved import run_due_work
from infra.clock_words import Step
from infra.settings import Settings
from infra.store.tables import simulated_clock
from run.demo import load_demo_region, run_demo
from run.demo_verzuim import seed_demo_verzuim
from service import Service
from tests.databases import migrated_sqlite

START = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)
"""The oefenomgeving's clock when the demo is made: the start of school year 2026-27 (the demo's year ends here)."""
PUPILS = 40
BEHEER = Actor("admin", "u-beheer")
NONE = {"tlv_zonder_herbeoordeling": 0, "opp_ontbreekt": 0, "thuiszitter_zonder_dossier": 0, "stil_dossier": 0}


@pytest.fixture
def oefenomgeving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """A simulated instance at START; the flows' service runs on the same database and clock."""
    url = migrated_sqlite(str(tmp_path))
    monkeypatch.setenv("LEERLINGROUTE_DATABASE_URL", url)
    monkeypatch.setenv("LEERLINGROUTE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEERLINGROUTE_CLOCK", "simulated")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    made = Service.from_settings(Settings(database_url=url, data_dir=tmp_path, clock="simulated"))
    with made.engine.begin() as conn:
        conn.execute(simulated_clock.insert().values(id=1, simulated_at=START, set_at=datetime.now(UTC)))
    yield made
    made.engine.dispose()
    flow_service.cache_clear()


def test_after_a_simulated_school_year_of_the_demo_nothing_falls_silent(oefenomgeving: Service) -> None:
    """The demo's year, then twelve months with the due work done after each: zero violations of every kind."""
    service = oefenomgeving
    run_demo(service, PUPILS, 2026, relay=False, console=Console(file=io.StringIO()))
    seed_demo_verzuim(service, load_demo_region(), service.now())
    before = service.silence_counts(service.now())
    for _ in range(12):
        service.clock.advance(Step(months=1), BEHEER)
        flow_service.cache_clear()  # a new process per move, as the CLI runs flows.clock_moved (no cached clock)
        done = run_due_work(with_prefect=False)
        flow_service().engine.dispose()
    after = service.silence_counts(service.now())
    stages = service.stage_counts("opp")
    assert service.now().astimezone(NL).date() == date(2027, 9, 1)
    assert done["check_silence"] == ", ".join(f"{kind} 0" for kind in NONE)
    assert stages.get("evaluatie_verschuldigd", 0) > 0  # the year ran: the yearly OPP evaluations fell due
    assert (before, after) == (NONE, NONE)
