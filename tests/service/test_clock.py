"""The oefenomgeving's clock on a real database (SQLite and PostgreSQL): set and advanced by an admin, audited with
the move, never backwards once anything is recorded, inside 2000..2100 and at most two years at a time; two moves
at once both count (or one is refused cleanly); a database that ran simulated does not start on the real clock and
one that ran on the real clock does not start simulated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, select

from domain.case import Actor, Command
from domain.handlers import NewCase
from infra import clock as instance_clock
from infra.clock import (
    CACHE_S,
    ClockMismatch,
    InstanceClock,
    NotSimulated,
    SimulatedTime,
    check_mode,
)
from infra.clock_words import ClockRefused, Step, parse_step
from infra.identity import audit
from infra.settings import Settings
from infra.store.tables import audit_log, simulated_clock
from service import Service
from tests.databases import fresh_pg_database, migrated_sqlite

NL = ZoneInfo("Europe/Amsterdam")
WALL = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
ADMIN = Actor("admin", "u-beheer")


class Wall:
    """A wall clock the test moves by hand."""

    def __init__(self, now: datetime = WALL) -> None:
        self.instant = now

    def __call__(self) -> datetime:
        return self.instant

    def move(self, delta: timedelta) -> None:
        self.instant += delta


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        yield migrated_sqlite(str(tmp_path_factory.mktemp("sqlite")))
        return
    with fresh_pg_database() as found:
        yield found


def _service(url: str, mode: str, wall: Wall, tmp_path: Any) -> Service:
    built = Service.from_settings(Settings(database_url=url, data_dir=tmp_path, clock=mode))
    built.clock = InstanceClock(built.engine, built.settings.clock, wall)
    return built


@pytest.fixture
def wall() -> Wall:
    """The wall clock, at WALL."""
    return Wall()


@pytest.fixture
def simulated(url: str, wall: Wall, tmp_path: Any) -> Iterator[Service]:
    """A simulated instance on an empty database, started (its clock made at the wall-clock now)."""
    built = _service(url, "simulated", wall, tmp_path)
    built.clock.check()
    yield built
    built.engine.dispose()


def _record_something(service: Service) -> None:
    """A fact dated on the instance's clock: an opened case."""
    now = service.now()
    command = Command("start_opp", Actor("zorgcoordinator", "zc-1"),
                      {"extra_ondersteuning_sinds": now.astimezone(NL).date().isoformat()})
    service.open_case(NewCase("opp", "14PS03", f"lln-{now:%H%M%S%f}", "standaard"), command, now)


def _clock_rows(service: Service) -> list[Any]:
    with service.engine.connect() as conn:
        return list(conn.execute(select(audit_log).where(audit_log.c.resource == "klok").order_by(audit_log.c.seq)))


def _row(service: Service) -> SimulatedTime | None:
    with service.engine.connect() as conn:
        return instance_clock.read(conn)


def test_a_simulated_instance_on_an_empty_database_starts_at_the_wall_clock_and_runs_on(
        simulated: Service, wall: Wall) -> None:
    """The first start makes the row at the wall-clock now; then the clock runs as the wall clock does."""
    assert _row(simulated) == SimulatedTime(WALL, WALL)
    assert simulated.now() == WALL
    wall.move(timedelta(minutes=5))
    assert simulated.now() == WALL + timedelta(minutes=5)


def test_set_and_advance_move_the_clock_in_one_transaction_with_their_audit_rows(
        simulated: Service, wall: Wall) -> None:
    """Each move is an audit row (who, when on the wall clock, from and to); the chain stays intact."""
    target = datetime(2027, 3, 1, 9, tzinfo=NL)
    moved = simulated.clock.set_to(target, ADMIN)
    assert (moved.before, moved.after, moved.wall) == (WALL, target, WALL)
    assert simulated.now() == target
    wall.move(timedelta(hours=1))
    assert simulated.now() == target + timedelta(hours=1)

    moved = simulated.clock.advance(parse_step("2w"), ADMIN)
    assert moved.after == datetime(2027, 3, 15, 10, tzinfo=NL)
    assert simulated.now() == moved.after

    rows = _clock_rows(simulated)
    assert [(r.action, r.user_id, r.role, r.outcome, r.at) for r in rows] == [
        ("clock.set", "u-beheer", "admin", "ok", WALL), ("clock.advance", "u-beheer", "admin", "ok",
                                                        WALL + timedelta(hours=1))]
    assert "maandag 1 maart 2027, 09:00" in rows[0].purpose
    assert "2 weken" in rows[1].purpose
    assert "maandag 15 maart 2027, 10:00" in rows[1].purpose
    assert audit.verify(simulated.engine).broken_seq is None


def test_the_clock_cannot_go_back_once_anything_is_recorded(simulated: Service, wall: Wall) -> None:
    """Before anything is recorded an admin may still pick an earlier day to rehearse from (the first start set
    the clock to the wall-clock now); after that, never: the refusal is Dutch, audited, and changes nothing.
    """
    start = datetime(2026, 8, 17, 8, tzinfo=NL)
    assert simulated.clock.set_to(start, ADMIN).after == start
    _record_something(simulated)
    wall.move(timedelta(minutes=1))
    with pytest.raises(ClockRefused) as refused:
        simulated.clock.set_to(start, ADMIN)
    assert refused.value.detail_nl.startswith("De klok kan niet terug: de gesimuleerde klok staat op maandag "
                                              "17 augustus 2026, 08:01")
    assert simulated.now() == start + timedelta(minutes=1)
    assert [r.outcome for r in _clock_rows(simulated)] == ["ok", "clock-refused"]
    assert simulated.clock.set_to(start + timedelta(minutes=1), ADMIN).after == start + timedelta(minutes=1)


@pytest.mark.parametrize("target", [datetime(1999, 12, 31, 23, 59, tzinfo=NL), datetime(2100, 1, 1, tzinfo=UTC),
                                    datetime(2150, 6, 1, tzinfo=UTC)])
def test_the_clock_stays_between_2000_and_2100(simulated: Service, target: datetime) -> None:
    """Outside the window is refused, whatever else."""
    with pytest.raises(ClockRefused, match="outside"):
        simulated.clock.set_to(target, ADMIN)
    with pytest.raises(ClockRefused, match="beyond the calendar"):
        simulated.clock.advance(parse_step("P10000Y"), ADMIN)
    assert _row(simulated) == SimulatedTime(WALL, WALL)


def test_the_clock_moves_at_most_two_years_at_once(simulated: Service) -> None:
    """Two years is allowed (also across a leap day), more is not: the due work of each step should run."""
    with pytest.raises(ClockRefused) as refused:
        simulated.clock.advance(parse_step("P2Y1D"), ADMIN)
    assert "hooguit twee jaar" in refused.value.detail_nl
    with pytest.raises(ClockRefused):
        simulated.clock.set_to(WALL + timedelta(days=800), ADMIN)
    assert simulated.clock.advance(parse_step("P2Y"), ADMIN).after == datetime(2028, 12, 7, 10, tzinfo=UTC)


def test_two_advances_at_once_both_count(simulated: Service, url: str, wall: Wall, tmp_path: Any) -> None:
    """Eight processes each advance the clock a day at the same moment: it stands eight days on, with eight audit
    rows (each move read the row locked, so none is lost and none counted twice).
    """
    others = [_service(url, "simulated", wall, tmp_path) for _ in range(8)]
    start = threading.Barrier(len(others))
    errors: list[BaseException] = []

    def advance(service: Service) -> None:
        start.wait()
        try:
            service.clock.advance(Step(days=1), ADMIN)
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    _all_at_once([(advance, (s,)) for s in others], others)
    assert errors == []
    assert _row(simulated) == SimulatedTime(WALL + timedelta(days=8), WALL)
    assert [r.outcome for r in _clock_rows(simulated)] == ["ok"] * 8


def test_two_sets_at_once_end_at_the_later_one_or_refuse_the_earlier_cleanly(
        simulated: Service, url: str, wall: Wall, tmp_path: Any) -> None:
    """Once something is recorded, a set to an earlier instant that comes second is refused as backwards; in the
    other order both apply. Either way the clock ends at the later instant.
    """
    _record_something(simulated)
    earlier, later = WALL + timedelta(days=3), WALL + timedelta(days=9)
    others = [_service(url, "simulated", wall, tmp_path) for _ in range(2)]
    start = threading.Barrier(2)
    outcomes: dict[datetime, str] = {}

    def set_to(service: Service, target: datetime) -> None:
        start.wait()
        try:
            service.clock.set_to(target, ADMIN)
            outcomes[target] = "ok"
        except ClockRefused as refused:
            outcomes[target] = refused.detail_nl

    _all_at_once([(set_to, (s, t)) for s, t in zip(others, (earlier, later), strict=True)], others)
    assert outcomes[later] == "ok"
    assert outcomes[earlier] == "ok" or outcomes[earlier].startswith("De klok kan niet terug")
    assert _row(simulated) == SimulatedTime(later, WALL)


def test_a_move_whose_row_changed_after_it_was_read_is_not_written_but_read_again(
        simulated: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write is conditional on the row as read: a stale read (another move in between) updates nothing, and
    the move is checked and applied again on the row as it is, so nothing is lost and nothing counted twice.
    """
    real_read = instance_clock.read
    reads: list[bool] = []

    def stale_first(conn: Connection, *, for_update: bool = False) -> SimulatedTime | None:
        found = real_read(conn, for_update=for_update)
        reads.append(for_update)
        if for_update and reads.count(True) == 1 and found is not None:
            return SimulatedTime(found.simulated_at - timedelta(days=1), found.set_at)
        return found

    monkeypatch.setattr(instance_clock, "read", stale_first)
    moved = simulated.clock.advance(Step(days=7), ADMIN)
    assert reads.count(True) == 2
    assert moved.after == WALL + timedelta(days=7)
    assert _row(simulated) == SimulatedTime(WALL + timedelta(days=7), WALL)
    assert [r.outcome for r in _clock_rows(simulated)] == ["ok"]


def test_another_process_sees_a_move_within_half_a_second(simulated: Service, url: str, wall: Wall,
                                                          tmp_path: Any) -> None:
    """The API reads the row the CLI moved: its cached row is at most CACHE_S old."""
    api = _service(url, "simulated", wall, tmp_path)
    try:
        assert api.now() == WALL
        simulated.clock.advance(Step(days=7), ADMIN)
        assert simulated.now() == WALL + timedelta(days=7)  # the mover's own cache moved with it
        time.sleep(CACHE_S + 0.1)
        assert api.now() == WALL + timedelta(days=7)
    finally:
        api.engine.dispose()


def test_a_database_that_ran_simulated_does_not_start_on_the_real_clock(simulated: Service, url: str,
                                                                        tmp_path: Any) -> None:
    """The error names the setting to use."""
    real = _service(url, "real", Wall(), tmp_path)
    try:
        with pytest.raises(ClockMismatch, match="LEERLINGROUTE_CLOCK=simulated"):
            real.clock.check()
        with pytest.raises(NotSimulated):
            real.clock.advance(Step(days=1), ADMIN)
    finally:
        real.engine.dispose()
    del simulated


def test_a_database_that_ran_on_the_real_clock_does_not_start_simulated(url: str, wall: Wall, tmp_path: Any) -> None:
    """Facts recorded without a simulated clock: the instance ran real; a simulated start, and a first move,
    are refused, and no clock row is made.
    """
    real = _service(url, "real", wall, tmp_path)
    real.clock.check()
    _record_something(real)
    simulated = _service(url, "simulated", wall, tmp_path)
    try:
        with pytest.raises(ClockMismatch, match="echte klok"):
            simulated.clock.check()
        with pytest.raises(ClockMismatch):
            simulated.now()
        with pytest.raises(ClockRefused, match="real clock"):
            instance_clock.set_to(simulated.engine, WALL + timedelta(days=1), ADMIN, WALL)
        assert _row(simulated) is None
        real.clock.check()
    finally:
        real.engine.dispose()
        simulated.engine.dispose()


def test_the_real_clock_is_the_wall_clock(url: str, tmp_path: Any) -> None:
    """No row is read or made for an instance on the real clock."""
    real = Service.from_settings(Settings(database_url=url, data_dir=tmp_path))
    try:
        real.clock.check()
        before = datetime.now(UTC)
        assert before <= real.now() <= datetime.now(UTC)
        with real.engine.connect() as conn:
            assert conn.execute(select(simulated_clock)).first() is None
        assert check_mode(real.engine, "real", WALL) is None
    finally:
        real.engine.dispose()


def _all_at_once(calls: list[tuple[Callable[..., None], tuple[Any, ...]]], services: list[Service]) -> None:
    """Run each call in a thread of its own, wait for all of them, then close the services' engines."""
    threads = [threading.Thread(target=target, args=args) for target, args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for service in services:
        service.engine.dispose()
