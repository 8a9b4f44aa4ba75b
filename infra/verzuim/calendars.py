"""School calendars for verzuim detection: each school's region default (``domain.verzuim``) with its
SWV's own holidays and then its own on top (``SchoolCalendar.with_holidays``: an own holiday replaces the
default of the same school year and name, any other is added).

Own holidays live in ``school_holidays``, per scope (``school`` + BRIN or ``swv`` + SWV code); setting
them replaces the scope's whole list in one transaction. A :class:`SchoolBook` loads schools and their
holidays lazily, by BRIN, and builds each distinct calendar once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from sqlalchemy import Connection, and_, delete, insert, or_, select

from domain.errors import InvalidCommand, NotFound
from domain.verzuim import Holiday, SchoolCalendar, default_calendar, school_year
from infra.store.tables import schools, swvs
from infra.store.verzuim_tables import school_holidays

SCHOOL: Final = "school"
SWV: Final = "swv"
MAX_HOLIDAYS: Final = 60
MAX_HOLIDAY_DAYS: Final = 92
EARLIEST: Final = date(2000, 1, 1)
LATEST: Final = date(2099, 12, 31)


class ScopeNotFound(NotFound):
    """No school or SWV by this code."""

    code = "school-not-found"

    def __init__(self, scope: str, code: str) -> None:
        what = "School" if scope == SCHOOL else "Samenwerkingsverband"
        super().__init__(f"No {scope} {code}", f"{what} {code} is niet bekend.")


@dataclass(frozen=True)
class School:
    """What detection needs of a school: its kind (po, sbo, so, vo, vso), SWV and holiday region."""

    brin: str
    kind: str
    swv_code: str
    region: str


def check_holidays(holidays: Sequence[Holiday]) -> list[str]:
    """The Dutch problems of a list of own holidays (empty: fine)."""
    problems = []
    if len(holidays) > MAX_HOLIDAYS:
        problems.append(f"hoogstens {MAX_HOLIDAYS} vakanties per school of samenwerkingsverband")
    seen: set[tuple[str, str]] = set()
    for holiday in holidays:
        label = f"'{holiday.name}' ({holiday.first_day.isoformat()})"
        if not EARLIEST <= holiday.first_day <= holiday.last_day <= LATEST:
            problems.append(f"vakantie {label}: de data liggen tussen 2000 en 2099, de eerste dag niet na de laatste")
        elif (holiday.last_day - holiday.first_day).days >= MAX_HOLIDAY_DAYS:
            problems.append(f"vakantie {label} duurt langer dan {MAX_HOLIDAY_DAYS} dagen")
        if holiday.key in seen:
            problems.append(f"vakantie '{holiday.name}' staat twee keer in schooljaar {school_year(holiday.first_day)}")
        seen.add(holiday.key)
    return problems


def set_holidays(conn: Connection, scope: str, code: str, holidays: Sequence[Holiday], now: datetime) -> None:
    """Replace the own holidays of a school or SWV (ScopeNotFound for an unknown one, InvalidCommand for a
    bad list: nothing written). Run inside the caller's transaction.
    """
    known = schools.c.brin if scope == SCHOOL else swvs.c.code
    if conn.execute(select(known).where(known == code)).first() is None:
        raise ScopeNotFound(scope, code)
    problems = check_holidays(holidays)
    if problems:
        raise InvalidCommand(problems)
    conn.execute(delete(school_holidays).where(school_holidays.c.scope == scope, school_holidays.c.code == code))
    if holidays:
        conn.execute(insert(school_holidays), [
            {"scope": scope, "code": code, "name": h.name, "first_day": h.first_day, "last_day": h.last_day,
             "updated_at": now} for h in holidays])


def holidays_of(conn: Connection, scope: str, code: str) -> list[Holiday]:
    """The own holidays of a school or SWV, in date order (ScopeNotFound for an unknown one)."""
    known = schools.c.brin if scope == SCHOOL else swvs.c.code
    if conn.execute(select(known).where(known == code)).first() is None:
        raise ScopeNotFound(scope, code)
    rows = conn.execute(select(school_holidays.c.name, school_holidays.c.first_day, school_holidays.c.last_day)
                        .where(school_holidays.c.scope == scope, school_holidays.c.code == code)
                        .order_by(school_holidays.c.first_day, school_holidays.c.name))
    return [Holiday(r.name, r.first_day, r.last_day) for r in rows]


@dataclass
class SchoolBook:
    """Schools and their calendars, loaded by BRIN on demand and kept for the rest of a detection run."""

    schools: dict[str, School] = field(default_factory=dict)
    calendars: dict[str, SchoolCalendar] = field(default_factory=dict)
    _own: dict[tuple[str, str], tuple[Holiday, ...]] = field(default_factory=dict)
    _built: dict[tuple[str, tuple[Holiday, ...], tuple[Holiday, ...]], SchoolCalendar] = field(default_factory=dict)

    def load(self, conn: Connection, brins: Iterable[str]) -> None:
        """Read the schools among ``brins`` not read yet, with their own and their SWV's holidays."""
        wanted = sorted(set(brins) - self.schools.keys())
        for start in range(0, len(wanted), 1000):
            self._load(conn, wanted[start:start + 1000])

    def _load(self, conn: Connection, brins: Sequence[str]) -> None:
        found = [School(r.brin, r.kind, r.swv_code, r.calendar_region) for r in conn.execute(
            select(schools.c.brin, schools.c.kind, schools.c.swv_code, schools.c.calendar_region)
            .where(schools.c.brin.in_(brins)))]
        swv_codes = {s.swv_code for s in found} - {code for scope, code in self._own if scope == SWV}
        self._read_own(conn, [s.brin for s in found], swv_codes)
        for school in found:
            self.schools[school.brin] = school
            self.calendars[school.brin] = self._calendar(school)

    def _read_own(self, conn: Connection, brins: Collection[str], swv_codes: Collection[str]) -> None:
        for brin in brins:
            self._own.setdefault((SCHOOL, brin), ())
        for code in swv_codes:
            self._own.setdefault((SWV, code), ())
        rows = conn.execute(select(school_holidays).where(or_(
            and_(school_holidays.c.scope == SCHOOL, school_holidays.c.code.in_(brins)),
            and_(school_holidays.c.scope == SWV, school_holidays.c.code.in_(swv_codes)))))
        for r in rows:
            key = (r.scope, r.code)
            self._own[key] = (*self._own.get(key, ()), Holiday(r.name, r.first_day, r.last_day))

    def _calendar(self, school: School) -> SchoolCalendar:
        region = school.region if school.region in ("noord", "midden", "zuid") else "midden"
        swv_own, school_own = self._own.get((SWV, school.swv_code), ()), self._own.get((SCHOOL, school.brin), ())
        key = (region, swv_own, school_own)
        if key not in self._built:
            calendar = default_calendar(region)
            if swv_own:
                calendar = calendar.with_holidays(swv_own, name=f"{region}+{school.swv_code}")
            if school_own:
                calendar = calendar.with_holidays(school_own, name=f"{calendar.name}+{school.brin}")
            self._built[key] = calendar
        return self._built[key]

    def calendar(self, brin: str) -> SchoolCalendar:
        """The calendar of a loaded school (the region 'midden' default for a school not loaded)."""
        return self.calendars.get(brin) or default_calendar("midden")
