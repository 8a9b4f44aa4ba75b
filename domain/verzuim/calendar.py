"""School calendars: which days are school days and which weeks are school weeks.

A **school day** is a Monday to Friday that lies in none of the calendar's holidays. A **school
week** is an ISO week (Monday to Sunday) with at least one school day; a week entirely inside a
holiday is not a school week, so it neither counts nor breaks a run of school weeks.

Days for which the calendar knows no holiday are school days when they fall on Monday to Friday.
That includes every day outside the school years the data covers (see ``covered``): a calendar
never refuses a date, it just knows no holidays there.

The default calendars per region (noord, midden, zuid) come from ``calendars/*.json`` with their
sources. An SWV or a school overrides them with :meth:`SchoolCalendar.with_holidays`: a holiday
replaces the default one with the same **key** -- the pair (school year of its first day, name),
for example ``("2026-27", "voorjaarsvakantie")`` -- and any other holiday (a studiedag, the Friday
after Hemelvaart) is added.

Everything is answered by index arithmetic over a sorted list of holiday weekdays, built once
per calendar on first use, so a question costs a couple of bisections whatever the date.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from importlib import resources
from typing import Any, Final

from domain.verzuim.leerplicht import school_year

REGIONS: Final = ("noord", "midden", "zuid")
WEEKDAYS: Final = 5


def week_of(ordinal: int) -> int:
    """The ISO week number counted from 1 January of year 1 (a Monday): ``(ordinal - 1) // 7``."""
    return (ordinal - 1) // 7


def monday_of(week: int) -> int:
    """The ordinal of the Monday of week ``week`` (see :func:`week_of`)."""
    return 7 * week + 1


def _weekdays_before(ordinal: int) -> int:
    """How many Mondays to Fridays lie before ``ordinal`` (from 1 January of year 1)."""
    weeks, rest = divmod(ordinal - 1, 7)
    return WEEKDAYS * weeks + min(rest, WEEKDAYS)


def _weekday_at(index: int) -> int:
    """The ordinal of the ``index``-th Monday-to-Friday (0-based), the inverse of the above."""
    weeks, rest = divmod(index, WEEKDAYS)
    return 7 * weeks + rest + 1


def _least_fixed_point(target: int, shift: list[int], position: Callable[[int], int]) -> int:
    """The smallest ``position(target + k)`` with exactly ``k`` entries of ``shift`` at or before it."""
    skipped = 0
    while True:
        candidate = position(target + skipped)
        now = bisect_right(shift, candidate)
        if now == skipped:
            return candidate
        skipped = now


@dataclass(frozen=True)
class Holiday:
    """A holiday period, first and last day inclusive, named as published (``herfstvakantie``)."""

    name: str
    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a holiday needs a name")
        if self.last_day < self.first_day:
            raise ValueError(f"holiday {self.name!r} ends ({self.last_day}) before it starts ({self.first_day})")

    @property
    def school_year(self) -> str:
        """The school year of the first day (``2026-27``)."""
        return school_year(self.first_day)

    @property
    def key(self) -> tuple[str, str]:
        """What an override replaces: (school year, name)."""
        return (self.school_year, self.name)

    def covers(self, day: date) -> bool:
        """Whether ``day`` lies in this holiday."""
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class SchoolCalendar:
    """A set of holidays plus the Monday-to-Friday rule; immutable and cheap to query."""

    name: str
    holidays: tuple[Holiday, ...] = ()
    covered: tuple[str, ...] = ()
    """The school years the holiday data is complete for (informational; see the module docstring)."""

    # -- derived indexes, built once on first use -------------------------------------------------

    @cached_property
    def _closed(self) -> list[int]:
        """Sorted ordinals of the Mondays to Fridays inside a holiday."""
        days: set[int] = set()
        for holiday in self.holidays:
            days.update(o for o in range(holiday.first_day.toordinal(), holiday.last_day.toordinal() + 1)
                        if (o - 1) % 7 < WEEKDAYS)
        return sorted(days)

    @cached_property
    def _closed_set(self) -> frozenset[int]:
        return frozenset(self._closed)

    @cached_property
    def _dead_weeks(self) -> list[int]:
        """Sorted week numbers of the weeks with no school day at all."""
        per_week: dict[int, int] = {}
        for ordinal in self._closed:
            per_week[week_of(ordinal)] = per_week.get(week_of(ordinal), 0) + 1
        return sorted(week for week, closed in per_week.items() if closed == WEEKDAYS)

    # -- ordinal API: what the detection uses in its inner loops ----------------------------------

    def is_school_day_ord(self, ordinal: int) -> bool:
        """:meth:`is_school_day` on a ``date.toordinal()``."""
        return (ordinal - 1) % 7 < WEEKDAYS and ordinal not in self._closed_set

    def school_days_before_ord(self, ordinal: int) -> int:
        """How many school days lie before ``ordinal``: the index of a school day."""
        return _weekdays_before(ordinal) - bisect_left(self._closed, ordinal)

    def school_day_at_ord(self, index: int) -> int:
        """The ordinal of the school day with index ``index`` (inverse of the above)."""
        return _least_fixed_point(index, self._closed, _weekday_at)

    def count_ord(self, first: int, last: int) -> int:
        """School days in ``first..last`` inclusive (0 for an empty range)."""
        if last < first:
            return 0
        return self.school_days_before_ord(last + 1) - self.school_days_before_ord(first)

    def next_school_day_ord(self, ordinal: int) -> int:
        """The first school day on or after ``ordinal``."""
        for candidate in range(ordinal, ordinal + 4):  # the usual answer is near: look before computing
            if self.is_school_day_ord(candidate):
                return candidate
        return self.school_day_at_ord(self.school_days_before_ord(ordinal))

    def previous_school_day_ord(self, ordinal: int) -> int:
        """The last school day on or before ``ordinal``."""
        for candidate in range(ordinal, ordinal - 4, -1):
            if self.is_school_day_ord(candidate):
                return candidate
        return self.school_day_at_ord(self.school_days_before_ord(ordinal + 1) - 1)

    def count_school_weeks_ord(self, first: int, last: int) -> int:
        """School weeks with a school day in ``first..last``."""
        start, end = self.next_school_day_ord(first), self.previous_school_day_ord(last)
        if start > end:
            return 0
        return self.school_weeks_before_ord(end) - self.school_weeks_before_ord(start) + 1

    def school_weeks_before_ord(self, ordinal: int) -> int:
        """How many school weeks begin before the week of ``ordinal``: the index of a school week."""
        week = week_of(ordinal)
        return week - bisect_left(self._dead_weeks, week)

    def school_week_at(self, index: int) -> int:
        """The week number (see :func:`week_of`) of the school week with index ``index``."""
        return _least_fixed_point(index, self._dead_weeks, lambda week: week)

    # -- date API ----------------------------------------------------------------------------------

    def is_school_day(self, day: date) -> bool:
        """Monday to Friday and in no holiday."""
        return self.is_school_day_ord(day.toordinal())

    def count_school_days(self, first: date, last: date) -> int:
        """School days from ``first`` to ``last``, both inclusive."""
        return self.count_ord(first.toordinal(), last.toordinal())

    def next_school_day(self, day: date) -> date:
        """The first school day on or after ``day``."""
        return date.fromordinal(self.next_school_day_ord(day.toordinal()))

    def previous_school_day(self, day: date) -> date:
        """The last school day on or before ``day``."""
        return date.fromordinal(self.previous_school_day_ord(day.toordinal()))

    def is_school_week(self, day: date) -> bool:
        """Whether the ISO week of ``day`` has at least one school day."""
        week = week_of(day.toordinal())
        index = bisect_left(self._dead_weeks, week)
        return index == len(self._dead_weeks) or self._dead_weeks[index] != week

    def school_week_index(self, day: date) -> int:
        """The index of the school week of ``day``; for a day in a holiday week, that of the next one."""
        return self.school_weeks_before_ord(day.toordinal())

    def count_school_weeks(self, first: date, last: date) -> int:
        """How many school weeks have a school day in ``first..last`` (inclusive)."""
        return self.count_school_weeks_ord(first.toordinal(), last.toordinal())

    def school_weeks(self, first: date, last: date) -> list[date]:
        """The Mondays of the school weeks with a school day in ``first..last`` (inclusive)."""
        start, end = first.toordinal(), last.toordinal()
        mondays = []
        for week in range(week_of(start), week_of(end) + 1):
            monday = monday_of(week)
            if self.count_ord(max(monday, start), min(monday + 6, end)):
                mondays.append(date.fromordinal(monday))
        return mondays

    def school_weeks_between(self, first: date, last: date) -> int:
        """School weeks from the week of ``first`` up to, not including, the week of ``last``."""
        return self.school_week_index(last) - self.school_week_index(first)

    def add_school_weeks(self, start: date, weeks: int) -> date:
        """The same weekday ``weeks`` school weeks later, holiday weeks skipped.

        A ``start`` inside a holiday week counts as the end of the school week before it, so one
        school week after a day in the herfstvakantie is the same weekday in the week after it.
        """
        index = self.school_week_index(start) - (0 if self.is_school_week(start) else 1)
        monday = monday_of(self.school_week_at(index + weeks))
        return date.fromordinal(monday + start.weekday())

    # -- overrides ---------------------------------------------------------------------------------

    def with_holidays(self, holidays: Iterable[Holiday], *, remove: Iterable[tuple[str, str]] = (),
                      name: str | None = None) -> SchoolCalendar:
        """A new calendar with ``holidays`` replacing the ones with the same key, the rest added,
        and the keys in ``remove`` (school year, name) dropped. This calendar is left unchanged.

        Build each school's or SWV's calendar once and reuse it: its indexes are built on first use.
        """
        incoming = {holiday.key: holiday for holiday in holidays}
        dropped = set(remove) | set(incoming)
        kept = [holiday for holiday in self.holidays if holiday.key not in dropped]
        merged = tuple(sorted([*kept, *incoming.values()], key=lambda h: (h.first_day, h.name)))
        return SchoolCalendar(name=name or f"{self.name}+eigen", holidays=merged, covered=self.covered)


def holidays_from_data(items: Iterable[Mapping[str, Any]], *, include_optional: bool = True) -> tuple[Holiday, ...]:
    """Read ``[{"name": ..., "first_day": "2026-10-17", "last_day": "2026-10-25"}]`` (and an
    optional ``"optional": true``); ValueError naming the entry that is wrong.
    """
    holidays = []
    for position, item in enumerate(items):
        try:
            holiday = Holiday(str(item["name"]), date.fromisoformat(item["first_day"]),
                              date.fromisoformat(item["last_day"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"holiday {position}: {error!s} in {dict(item)!r}") from error
        if include_optional or not item.get("optional", False):
            holidays.append(holiday)
    return tuple(holidays)


@cache
def calendar_data(name: str) -> dict[str, Any]:
    """The parsed ``calendars/<name>.json`` shipped with the package (read once; shared, do not modify)."""
    text = resources.files("domain.verzuim").joinpath("calendars", f"{name}.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _holidays_of(name: str, *, include_optional: bool) -> list[Holiday]:
    years: dict[str, list[dict[str, Any]]] = calendar_data(name)["school_years"]
    return [h for items in years.values() for h in holidays_from_data(items, include_optional=include_optional)]


def default_calendar(region: str, *, include_optional: bool = False) -> SchoolCalendar:
    """The default calendar of a region (``noord``, ``midden``, ``zuid``): the OCW holidays plus the
    national free days; the optional ones (Bevrijdingsdag outside lustrum years, the Friday after
    Hemelvaart) only with ``include_optional``. Loaded once and cached: the same object every time.
    """
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; use one of {list(REGIONS)}")
    return _default_calendar(region, include_optional)


@cache
def _default_calendar(region: str, include_optional: bool) -> SchoolCalendar:
    holidays = [*_holidays_of(region, include_optional=True),
                *_holidays_of("national", include_optional=include_optional)]
    covered = tuple(year for year in calendar_data("national")["school_years"])
    ordered = tuple(sorted(holidays, key=lambda h: (h.first_day, h.name)))
    return SchoolCalendar(name=region, holidays=ordered, covered=covered)


WEEKDAYS_ONLY: Final = SchoolCalendar(name="ma-vr")
"""A calendar without holidays: every Monday to Friday is a school day."""
