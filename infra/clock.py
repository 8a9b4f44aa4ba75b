"""The instance's clock: the wall clock, or in an oefenomgeving (``LEERLINGROUTE_CLOCK=simulated``) a clock an
admin sets and advances, so that SWVs can train new IB-ers and rehearse a school year.

The simulated clock is the one row of ``simulated_clock``: the simulated now is ``simulated_at`` plus the wall-clock
time passed since ``set_at``, so between two moves it runs on as a day does. Every process (the API, the flows,
the CLI) reads the row; a process caches it for at most :data:`CACHE_S`, and a move made through an
:class:`InstanceClock` updates that clock's cache at once, so another process sees a move within half a second.

A move (:func:`set_to`, :func:`advance`) is a conditional write: it reads the row (locked: SQLite's ``BEGIN
IMMEDIATE``, PostgreSQL's ``FOR UPDATE``), checks the move (never backwards once anything is recorded, inside
2000..2100, at most two years at a time) and updates the row only if it still holds what was read, in one
transaction with its audit row; a move that lost a race anyway (two first moves inserting the row at once) reads
again and is checked again: two advances both apply; a set that another move overtook may now be refused as
backwards.

The row also marks the database: one that ran simulated never starts with the real clock, and one that ran on the
real clock (facts recorded, no row) never starts simulated (:func:`check_mode`). How a move is asked for (a step,
an instant) and how the clock's date is shown in Dutch: :mod:`infra.clock_words`.

What reads this clock: everything about cases, pupils, verzuim, alerts and digests (:meth:`Service.now
<service.base.ServiceBase.now>`). What keeps the wall clock: accounts, tokens, web sessions, TOTP codes and sign-in
limits (an authenticator app and a token's validity live in real time: advancing a training instance by a year
must not lock its people out), webhook deliveries (receivers check the signature's timestamp against their own
clock) and the signed audit checkpoints (evidence of when the log was signed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, Engine, exists, inspect, select, update
from sqlalchemy.exc import IntegrityError

from domain.case import Actor
from domain.durations import NL
from domain.errors import DomainError
from infra.clock_words import ClockRefused, Step, describe_nl
from infra.identity import audit
from infra.store.tables import alerts, case_events, digests, simulated_clock
from infra.store.verzuim_tables import absences, enrollments, thuiszitter_episodes, vrijstellingen

ClockMode = Literal["real", "simulated"]
REAL: ClockMode = "real"
SIMULATED: ClockMode = "simulated"
EARLIEST = datetime(2000, 1, 1, tzinfo=NL)
LATEST = datetime(2100, 1, 1, tzinfo=NL)
"""The simulated clock stays in [EARLIEST, LATEST)."""
LONGEST_STEP = timedelta(days=731)
"""A move goes at most two years forward at once: the due work of each step (timers, detection) then runs."""
CACHE_S = 0.5
"""How long a process reuses the row it read (a move in another process shows within this time)."""
ROW_ID = 1
ATTEMPTS = 5
"""How often a move that lost a race with another move reads and tries again."""
_HISTORY = (case_events, enrollments, absences, vrijstellingen, alerts, digests, thuiszitter_episodes)
"""Tables whose rows are facts dated on the instance's clock: once any exists, the clock cannot go back."""


def wall_now() -> datetime:
    """The real UTC now."""
    return datetime.now(UTC)


class NotSimulated(DomainError):
    """The clock of an instance on the real clock cannot be moved."""

    code = "clock-not-simulated"

    def __init__(self) -> None:
        super().__init__("The clock can only be moved on a training instance (LEERLINGROUTE_CLOCK=simulated)",
                         "De klok kan alleen in een oefenomgeving verzet worden (LEERLINGROUTE_CLOCK=simulated); "
                         "deze omgeving loopt op de echte klok.")


class ClockMismatch(RuntimeError):
    """The database and ``LEERLINGROUTE_CLOCK`` disagree: the instance must not start."""


RAN_SIMULATED = ("Deze database heeft als oefenomgeving op een gesimuleerde klok gedraaid; start hem met "
                 "LEERLINGROUTE_CLOCK=simulated, en gebruik voor echte gegevens een andere database. "
                 "(This database ran as a training instance on a simulated clock: start it with "
                 "LEERLINGROUTE_CLOCK=simulated.)")
RAN_REAL = ("Deze database heeft op de echte klok gedraaid (er is al van alles vastgelegd, maar er is geen "
            "gesimuleerde klok); een oefenomgeving begint met een lege database. Start deze zonder "
            "LEERLINGROUTE_CLOCK=simulated, of geef de oefenomgeving een eigen database. (This database ran on the "
            "real clock; a simulated instance needs an empty database.)")


@dataclass(frozen=True)
class SimulatedTime:
    """The row: the simulated instant ``simulated_at`` held at wall-clock instant ``set_at``."""

    simulated_at: datetime
    set_at: datetime

    def at(self, wall: datetime) -> datetime:
        """The simulated now at wall-clock instant ``wall``."""
        return self.simulated_at + (wall - self.set_at)


@dataclass(frozen=True)
class Moved:
    """A move of the clock: where it stood (None: it had not been set), where it stands now, when (wall clock)."""

    before: datetime | None
    after: datetime
    wall: datetime


def read(conn: Connection, *, for_update: bool = False) -> SimulatedTime | None:
    """The row, or None if the clock was never set; ``for_update``: locked until the transaction ends (PostgreSQL;
    on SQLite the move's ``BEGIN IMMEDIATE`` already holds the database's write lock).
    """
    query = select(simulated_clock.c.simulated_at, simulated_clock.c.set_at).where(simulated_clock.c.id == ROW_ID)
    row = conn.execute(query.with_for_update() if for_update else query).first()
    return SimulatedTime(row.simulated_at, row.set_at) if row else None


def has_history(conn: Connection) -> bool:
    """Whether any fact dated on the instance's clock was recorded (case events, verzuim, alerts, digests)."""
    return any(conn.execute(select(exists().select_from(table))).scalar() for table in _HISTORY)


def check_mode(engine: Engine, mode: ClockMode, wall: datetime) -> SimulatedTime | None:
    """The start-up guard: ClockMismatch if the database ran simulated and ``mode`` is real, or ran on the real
    clock (facts recorded, no simulated clock) and ``mode`` is simulated. A simulated instance on a database without
    history gets its clock here, at ``wall``. A database not migrated yet has nothing to guard (None).
    """
    with engine.connect() as conn:
        if not inspect(conn).has_table(simulated_clock.name):
            return None
        found = read(conn)
        ran_real = found is None and mode == SIMULATED and has_history(conn)
    if mode == REAL:
        if found is not None:
            raise ClockMismatch(RAN_SIMULATED)
        return None
    if ran_real:
        raise ClockMismatch(RAN_REAL)
    return found or _create(engine, wall)


def _create(engine: Engine, wall: datetime) -> SimulatedTime:
    """The row, made at the wall-clock now unless another process made it first."""
    try:
        with engine.begin() as conn:
            conn.execute(simulated_clock.insert().values(id=ROW_ID, simulated_at=wall, set_at=wall))
    except IntegrityError:
        pass
    with engine.connect() as conn:
        made = read(conn)
    if made is None:  # pragma: no cover - the insert or the other process's insert committed
        msg = "the simulated clock could not be created"
        raise RuntimeError(msg)
    return made


class _LostRace(Exception):
    """Another move changed the row between this move's read and its write."""


def set_to(engine: Engine, instant: datetime, actor: Actor, now_wall: datetime) -> Moved:
    """Set the simulated clock to ``instant`` (ClockRefused: backwards once anything is recorded, outside
    2000..2100, or more than two years ahead); audited in the same transaction.
    """
    return _move(engine, actor, now_wall, "clock.set", lambda _: instant.astimezone(UTC),
                 f"zet op {describe_nl(instant)}")


def advance(engine: Engine, step: Step, actor: Actor, now_wall: datetime) -> Moved:
    """Advance the simulated clock by ``step`` on the Dutch calendar; audited in the same transaction."""
    return _move(engine, actor, now_wall, "clock.advance", step.after, f"verzet {step.describe_nl()}")


def _move(engine: Engine, actor: Actor, wall: datetime, action: str, target_of: Callable[[datetime], datetime],
          asked: str) -> Moved:
    for _ in range(ATTEMPTS):
        try:
            return _attempt(engine, actor, wall, action, target_of, asked)
        except _LostRace:
            continue
        except ClockRefused as refused:
            audit.append(engine, at=wall, user_id=actor.id, role=actor.role, action=action, resource="klok",
                         purpose=f"Gesimuleerde klok: {asked}", outcome=refused.code)
            raise
    raise ClockRefused("The clock was moved by others at the same moment, repeatedly",
                       "De klok werd steeds tegelijk door iemand anders verzet; er is niets gewijzigd. "
                       "Probeer het opnieuw.")


def _attempt(engine: Engine, actor: Actor, wall: datetime, action: str, target_of: Callable[[datetime], datetime],
             asked: str) -> Moved:
    """One read-check-write, committed with its audit row (the row is appended last, just before the commit)."""
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            found = read(conn, for_update=True)
            before = found.at(wall) if found else None
            target = _target(target_of, before if before is not None else wall)
            _check(before, target, lambda: has_history(conn))
            if found is None:
                conn.execute(simulated_clock.insert().values(id=ROW_ID, simulated_at=target, set_at=wall))
            elif conn.execute(update(simulated_clock).where(
                    simulated_clock.c.id == ROW_ID, simulated_clock.c.simulated_at == found.simulated_at,
                    simulated_clock.c.set_at == found.set_at).values(simulated_at=target, set_at=wall)).rowcount != 1:
                raise _LostRace
            was = describe_nl(before) if before is not None else "nog niet gezet"
            audit.append_in(conn, at=wall, user_id=actor.id, role=actor.role, action=action, resource="klok",
                            purpose=f"Gesimuleerde klok: {asked} (van {was} naar {describe_nl(target)})",
                            outcome="ok")
    except IntegrityError as error:  # another process made the row first
        raise _LostRace from error
    return Moved(before, target, wall)


def _target(target_of: Callable[[datetime], datetime], start: datetime) -> datetime:
    """Where the move lands; one beyond the calendar's years (P10000Y) is refused like one outside the window."""
    try:
        return target_of(start)
    except (ValueError, OverflowError) as error:
        raise ClockRefused("Simulated instant beyond the calendar",
                           "De gesimuleerde datum moet tussen 1 januari 2000 en 1 januari 2100 liggen.") from error


def _check(before: datetime | None, target: datetime, history: Callable[[], bool]) -> None:
    if not EARLIEST <= target < LATEST:
        raise ClockRefused(f"Simulated instant outside {EARLIEST:%Y-%m-%d}..{LATEST:%Y-%m-%d}",
                           f"De gesimuleerde datum moet tussen 1 januari 2000 en 1 januari 2100 liggen; "
                           f"{describe_nl(target)} valt daarbuiten.")
    if before is None:
        if history():
            raise ClockRefused("The database ran on the real clock", RAN_REAL)
        return
    if target < before and history():
        raise ClockRefused("The clock cannot go back",
                           f"De klok kan niet terug: de gesimuleerde klok staat op {describe_nl(before)}, en "
                           f"{describe_nl(target)} ligt daarvoor. Wat al is vastgelegd zou dan in de toekomst "
                           "liggen; oefen een eerdere datum in een nieuwe oefenomgeving (een lege database).")
    if target - before > LONGEST_STEP:
        raise ClockRefused("The clock moves at most two years at once",
                           f"De klok gaat in één keer hooguit twee jaar vooruit; {describe_nl(target)} ligt "
                           f"{(target - before).days} dagen verder. Verzet hem in kleinere stappen, zodat het werk "
                           "van elke stap (termijnen, verzuimdetectie, overzichten) gedaan wordt.")


class InstanceClock:
    """The clock of one process's service: the wall clock, or the simulated clock read from the database."""

    def __init__(self, engine: Engine, mode: ClockMode, wall: Callable[[], datetime] = wall_now,
                 cache_s: float = CACHE_S) -> None:
        self.engine, self.mode, self.wall, self.cache_s = engine, mode, wall, cache_s
        self._lock = threading.Lock()
        self._cached: tuple[float, SimulatedTime] | None = None

    @property
    def simulated(self) -> bool:
        """Whether this is an oefenomgeving."""
        return self.mode == SIMULATED

    def now(self) -> datetime:
        """The instance's now (UTC)."""
        wall = self.wall()
        if self.mode == REAL:
            return wall
        return self._row(wall).at(wall)

    def _row(self, wall: datetime) -> SimulatedTime:
        with self._lock:
            if self._cached is not None and time.monotonic() - self._cached[0] < self.cache_s:
                return self._cached[1]
        with self.engine.connect() as conn:
            found = read(conn)
        if found is None:  # never started through check(): apply the start-up rules now
            found = check_mode(self.engine, self.mode, wall)
            if found is None:
                msg = "the database is not migrated: run `leerlingroute db upgrade`"
                raise ClockMismatch(msg)
        self._remember(found)
        return found

    def _remember(self, found: SimulatedTime) -> None:
        with self._lock:
            self._cached = (time.monotonic(), found)

    def check(self) -> None:
        """The start-up guard (:func:`check_mode`); ClockMismatch when the database and the mode disagree."""
        found = check_mode(self.engine, self.mode, self.wall())
        if found is not None:
            self._remember(found)

    def set_to(self, instant: datetime, actor: Actor) -> Moved:
        """:func:`set_to` on this clock (NotSimulated on the real clock)."""
        return self._moved(set_to(self._engine_if_simulated(), instant, actor, self.wall()))

    def advance(self, step: Step, actor: Actor) -> Moved:
        """:func:`advance` on this clock (NotSimulated on the real clock)."""
        return self._moved(advance(self._engine_if_simulated(), step, actor, self.wall()))

    def _engine_if_simulated(self) -> Engine:
        if self.mode != SIMULATED:
            raise NotSimulated
        return self.engine

    def _moved(self, moved: Moved) -> Moved:
        self._remember(SimulatedTime(moved.after, moved.wall))
        return moved
