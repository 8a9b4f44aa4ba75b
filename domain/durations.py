"""Durations as data: months, weeks and days, added to an instant on the calendar."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

_UNITS = ("months", "weeks", "days", "school_weeks")
_Day = TypeVar("_Day", date, datetime)


@dataclass(frozen=True)
class Duration:
    """A calendar duration. Months are calendar months (31 Jan + 1 month = 28/29 Feb). School weeks (weeks
    with a school day in the school's calendar) stand alone and are counted by :mod:`domain.terms`.
    """

    months: int = 0
    weeks: int = 0
    days: int = 0
    school_weeks: int = 0

    @classmethod
    def from_data(cls, data: Any) -> Duration:
        """Read ``{"months": 12}`` / ``{"weeks": 6}``; raise ValueError naming the problem."""
        if not isinstance(data, dict) or not data:
            msg = f"a duration is an object like {{'weeks': 6}}, got {data!r}"
            raise ValueError(msg)
        unknown = sorted(set(data) - set(_UNITS))
        if unknown:
            msg = f"unknown duration unit(s) {unknown}; use {list(_UNITS)}"
            raise ValueError(msg)
        values = {unit: data.get(unit, 0) for unit in _UNITS}
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values.values()):
            msg = f"duration values must be whole numbers >= 0, got {data!r}"
            raise ValueError(msg)
        if not any(values.values()):
            msg = "a duration must be longer than zero"
            raise ValueError(msg)
        if values["school_weeks"] and any(v for unit, v in values.items() if unit != "school_weeks"):
            msg = f"school weeks cannot be combined with other units, got {data!r}"
            raise ValueError(msg)
        return cls(**values)

    def to_data(self) -> dict[str, int]:
        """The inverse of :meth:`from_data`, omitting zero units."""
        return {unit: getattr(self, unit) for unit in _UNITS if getattr(self, unit)}

    def iso(self) -> str:
        """ISO 8601: ``P12M``, ``P6W``; weeks become days when combined with other units."""
        if self.school_weeks:
            return f"{self.school_weeks} school weeks"
        if self.weeks and not (self.months or self.days):
            return f"P{self.weeks}W"
        days = self.days + 7 * self.weeks
        return "P" + (f"{self.months}M" if self.months else "") + (f"{days}D" if days else "")

    def after(self, instant: datetime) -> datetime:
        """The instant this duration after ``instant``, counted on the Dutch wall clock
        (12 months after 1 October 10:00 is 1 October 10:00, whatever summer time did).
        """
        self._no_school_weeks()
        local = instant.astimezone(NL)
        return add_months(local, self.months) + timedelta(weeks=self.weeks, days=self.days)


    def before(self, instant: datetime) -> datetime:
        """The instant this duration before ``instant``, on the Dutch wall clock."""
        self._no_school_weeks()
        local = instant.astimezone(NL)
        return add_months(local, -self.months) - timedelta(weeks=self.weeks, days=self.days)

    def _no_school_weeks(self) -> None:
        if self.school_weeks:
            msg = "school weeks are counted on a school calendar (domain.terms), not from an instant"
            raise ValueError(msg)


def add_months(instant: _Day, months: int) -> _Day:
    """Add calendar months, clamping the day to the target month's length."""
    month_index = instant.month - 1 + months
    year, month = instant.year + month_index // 12, month_index % 12 + 1
    day = min(instant.day, calendar.monthrange(year, month)[1])
    return instant.replace(year=year, month=month, day=day)


NL = ZoneInfo("Europe/Amsterdam")


def start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in the Netherlands: dates in payloads are Dutch dates."""
    return datetime(day.year, day.month, day.day, tzinfo=NL)
