"""Time in stage for the monitor (SQLite, and PostgreSQL when LEERLINGROUTE_TEST_PG_URL is set): the
active cases in the reader's scope per (pathway, stage), counted in bands of whole days on the Dutch
wall clock — under a week, 1-4 weeks, 4-13 weeks, 13-26 weeks, longer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.access import Principal
from domain.case import Actor, Command
from domain.durations import NL
from domain.errors import RoleNotAllowed
from domain.handlers import NewCase
from domain.stalled import TimeInStage
from infra.settings import Settings
from service import Service
from tests.databases import fresh_pg_database, migrated_sqlite

ZC = Actor("zorgcoordinator", "zc-1")
OURS = Principal("zc-1", "zorgcoordinator", ("14PS03",))
AS_OF = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
"""Monday 2 November 2026, 11:00 Dutch (winter) time; summer time ended on Sunday 25 October."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """The service over a freshly migrated database of each kind."""
    if request.param == "sqlite":
        made = Service.from_settings(Settings(database_url=migrated_sqlite(str(tmp_path)), data_dir=tmp_path))
        yield made
        made.engine.dispose()
        return
    with fresh_pg_database() as url:
        made = Service.from_settings(Settings(database_url=url, data_dir=tmp_path))
        yield made
        made.engine.dispose()


def open_opp(service: Service, opened: datetime, school: str = "14PS03") -> str:
    """An OPP in 'concept' since ``opened``."""
    command = Command("start_opp", ZC, {"extra_ondersteuning_sinds": opened.date().isoformat()})
    new = NewCase("opp", school, f"lln-{opened.timestamp():.0f}-{school}", "standaard")
    return service.open_case(new, command, opened).case_id


def concept(service: Service, principal: Principal = OURS) -> TimeInStage | None:
    found = [t for t in service.time_in_stage(principal, AS_OF) if (t.pathway, t.stage) == ("opp", "concept")]
    return found[0] if found else None


def test_cases_fall_in_the_band_of_their_whole_days_in_the_stage(service: Service) -> None:
    """Entered 6 days 23 hours ago on the wall clock: under a week; exactly 7 days: 1-4 weeks; 27 and 28
    days on either side of 4 weeks; 90 and 91 days either side of 13 weeks; 181 and 182 days either side
    of 26 weeks.
    """
    local = AS_OF.astimezone(NL)
    for age in (timedelta(days=6, hours=23), timedelta(days=7), timedelta(days=27), timedelta(days=28),
                timedelta(days=90), timedelta(days=91), timedelta(days=181), timedelta(days=182),
                timedelta(days=400)):
        open_opp(service, local - age)
    found = concept(service)
    assert found is not None
    assert found.counts == (1, 2, 2, 2, 2)
    assert found.total == 9


def test_a_week_is_counted_on_the_dutch_wall_clock_across_the_end_of_summer_time(service: Service) -> None:
    """Entered Monday 26 October 11:00 Dutch time (one week ago on the wall clock, 7 days and 1 hour in
    UTC): one whole week. Entered 11:30 the same day: still under a week.
    """
    open_opp(service, datetime(2026, 10, 26, 10, 0, tzinfo=UTC))
    open_opp(service, datetime(2026, 10, 26, 10, 30, tzinfo=UTC), school="14PS03")
    found = concept(service)
    assert found is not None
    assert found.counts == (1, 1, 0, 0, 0)


def test_only_active_cases_in_the_readers_scope_are_counted(service: Service) -> None:
    """A closed OPP and another school's OPP are not counted for the zorgcoördinator of 14PS03; the
    other school's is counted for a coordinator of the standard profile. Leerplicht may not read it.
    """
    open_opp(service, AS_OF - timedelta(days=3))
    closed = open_opp(service, AS_OF - timedelta(days=40))
    service.handle(closed, Command("sluit_af", ZC, {"reden": "verhuisd"}), AS_OF - timedelta(days=1))
    open_opp(service, AS_OF - timedelta(days=100), school="20XY00")
    ours = concept(service)
    assert ours is not None
    assert ours.counts == (1, 0, 0, 0, 0)
    assert ("opp", "afgesloten") not in {(t.pathway, t.stage) for t in service.time_in_stage(OURS, AS_OF)}
    everyone = concept(service, Principal("swv-1", "swv_coordinator", ("standaard",)))
    assert everyone is not None
    assert everyone.counts == (1, 0, 0, 1, 0)
    with pytest.raises(RoleNotAllowed):
        service.time_in_stage(Principal("lp-1", "leerplicht", ("0957",)), AS_OF)
