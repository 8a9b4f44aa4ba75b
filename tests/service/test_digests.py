"""Digests in the database (SQLite, and PostgreSQL when LEERLINGROUTE_TEST_PG_URL is set): a digest
is read from the profile's cases and timers and stored as that week's; re-running the week
replaces it; each profile has its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain.case import Actor, Command
from domain.errors import UnknownProfile
from domain.handlers import NewCase
from domain.stalled import DigestNotFound
from infra.settings import Settings
from infra.store.tables import digests
from service import Service
from tests.databases import fresh_pg_database, migrated_sqlite

ZC = Actor("zorgcoordinator", "zc-1")
OPENED = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
"""Monday 7 September, 11:00 Dutch time; an OPP opened then has been 49 whole days (and 19 hours) in
'concept' on AS_OF (its norm: 6 weeks, 42 days)."""
AS_OF = datetime(2026, 10, 27, 5, 0, tzinfo=UTC)
"""Tuesday 27 October 2026, 06:00 in the Netherlands: ISO week 2026-W44."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """The service over a freshly migrated database of each kind."""
    if request.param == "sqlite":
        yield _service(migrated_sqlite(str(tmp_path)), tmp_path)
        return
    with fresh_pg_database() as url:
        yield _service(url, tmp_path)


def _service(url: str, tmp_path: Path) -> Service:
    return Service.from_settings(Settings(database_url=url, data_dir=tmp_path, opp_termijn_weken=6,
                                          opp_evaluatie_maanden=12))


def open_opp(service: Service, profile: str, opened: datetime = OPENED, pupil: str = "lln-1") -> str:
    command = Command("start_opp", ZC, {"extra_ondersteuning_sinds": opened.date().isoformat()})
    return service.open_case(NewCase("opp", "14PS03", pupil, profile), command, opened).case_id


def rows_of(service: Service, profile: str) -> int:
    with service.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(digests).where(digests.c.profile == profile)).scalar_one()


def test_a_digest_lists_the_profiles_stalled_cases_and_overdue_deadlines_and_is_stored(service: Service) -> None:
    """An OPP 49 days in concept is 7 days over its 6-week norm and its 6-week deadline has passed;
    an OPP within its norm and a closed one are not listed.
    """
    stalled = open_opp(service, "vo-31-02")
    open_opp(service, "vo-31-02", AS_OF - timedelta(days=20), "lln-2")
    closed = open_opp(service, "vo-31-02", pupil="lln-3")
    service.handle(closed, Command("sluit_af", ZC, {"reden": "verhuisd"}), OPENED + timedelta(days=1))
    written = service.write_digest("vo-31-02", AS_OF, AS_OF)
    stored = service.latest_digest("vo-31-02")
    assert (stored.week, stored.as_of, stored.content) == ("2026-W44", AS_OF, written.to_data())
    assert [(s["case_id"], s["stage"], s["days_in_stage"], s["days_over"]) for s in stored.content["stalled_cases"]] \
        == [(stalled, "concept", 49, 7)]
    assert [(t["case_id"], t["timer"]) for t in stored.content["overdue_timers"]] == [(stalled, "opp_termijn")]
    assert "lln-" not in str(stored.content)


def test_re_running_the_same_week_replaces_that_weeks_digest(service: Service) -> None:
    """Run on Tuesday, close the case, run again on Wednesday: one row for the week, with Wednesday's content."""
    case_id = open_opp(service, "vo-31-02")
    first = service.write_digest("vo-31-02", AS_OF, AS_OF)
    first_id = service.latest_digest("vo-31-02").id
    service.handle(case_id, Command("sluit_af", ZC, {"reden": "verhuisd"}), AS_OF + timedelta(hours=1))
    again = service.write_digest("vo-31-02", AS_OF + timedelta(days=1), AS_OF + timedelta(days=1))
    stored = service.latest_digest("vo-31-02")
    assert (len(first.stalled), len(again.stalled), rows_of(service, "vo-31-02")) == (1, 0, 1)
    assert (stored.week, stored.as_of, stored.content["stalled"], stored.content["overdue"]) == (
        "2026-W44", AS_OF + timedelta(days=1), 0, 0)
    assert stored.id != first_id


def test_re_running_with_the_same_instant_stores_the_same_content(service: Service) -> None:
    """The flow may be retried: the same as_of gives the same digest and still one row."""
    open_opp(service, "vo-31-02")
    first = service.write_digest("vo-31-02", AS_OF, AS_OF)
    second = service.write_digest("vo-31-02", AS_OF, AS_OF + timedelta(minutes=5))
    assert first == second
    assert rows_of(service, "vo-31-02") == 1


def test_each_profile_has_its_own_digest_and_the_list_shows_the_latest_week_first(service: Service) -> None:
    """A Zuid-Limburg case is not in the VO digest; two weeks of one profile are two rows, newest first."""
    vo_case, po_case = open_opp(service, "vo-31-02"), open_opp(service, "zuid-limburg-po", pupil="lln-2")
    service.write_digest("vo-31-02", AS_OF, AS_OF)
    service.write_digest("zuid-limburg-po", AS_OF, AS_OF)
    service.write_digest("vo-31-02", AS_OF + timedelta(weeks=1), AS_OF + timedelta(weeks=1))
    vo, po = service.latest_digest("vo-31-02"), service.latest_digest("zuid-limburg-po")
    assert [s["case_id"] for s in vo.content["stalled_cases"]] == [vo_case]
    assert [s["case_id"] for s in po.content["stalled_cases"]] == [po_case]
    assert [d.week for d in service.digests("vo-31-02", limit=10, offset=0)] == ["2026-W45", "2026-W44"]
    assert [(d.profile, d.week) for d in service.digests(None, limit=2, offset=1)] == [
        ("vo-31-02", "2026-W44"), ("zuid-limburg-po", "2026-W44")]


def test_the_standard_profile_without_norms_still_reports_overdue_deadlines(service: Service) -> None:
    """The law's standard has no stage norms, but a deadline that passed is a deadline that passed."""
    case_id = open_opp(service, "standaard")
    found = service.write_digest("standaard", AS_OF, AS_OF)
    assert (len(found.stalled), [t.case_id for t in found.overdue]) == (0, [case_id])


def test_no_digest_yet_and_an_unknown_profile_are_said_so(service: Service) -> None:
    """latest_digest: DigestNotFound; listing an unknown profile: UnknownProfile naming the known ones."""
    with pytest.raises(DigestNotFound):
        service.latest_digest("zuid-limburg-po")
    with pytest.raises(UnknownProfile, match="known: standaard"):
        service.digests("nergens", limit=10, offset=0)
