"""A pupil's absence per week, against their school's calendar: the chart behind a thuiszitter alert.

Each week from the Monday of ``first`` to the week of ``last`` says how many days the pupil was absent
without a valid reason (ongeoorloofd) and with one (geoorloofd, not counted again on a day that also has
ongeoorloofd hours), the hours, and whether it was a school week at all: a holiday week of the pupil's
school (its region, its SWV's and its own holidays) neither counts nor breaks the thuiszitter's run of
school weeks (DOMAIN.md, issue 6), so the chart marks it; a week with a holiday day has fewer school days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, select

from infra.tables import absences
from infra.verzuim_calendars import SchoolBook


@dataclass(frozen=True)
class AbsenceWeek:
    """One week (Monday to Friday) of a pupil's absence."""

    monday: date
    unauthorized_days: int
    authorized_days: int
    hours: float
    school_days: int

    @property
    def school_week(self) -> bool:
        """Whether the school was open on any day of the week (else: a holiday week)."""
        return self.school_days > 0

    @property
    def absent_all_week(self) -> bool:
        """A school week with ongeoorloofd absence on every school day."""
        return self.school_week and self.unauthorized_days >= self.school_days

    @property
    def week_number(self) -> int:
        """The ISO week number."""
        return self.monday.isocalendar().week


def absence_weeks(conn: Connection, pupil_id: str, school_brin: str | None, first: date,
                  last: date) -> list[AbsenceWeek]:
    """The weeks of ``first..last`` with the pupil's absence, marked school week or holiday week."""
    book = SchoolBook()
    if school_brin:
        book.load(conn, [school_brin])
    calendar = book.calendar(school_brin or "")
    rows = conn.execute(select(absences.c.day, absences.c.hours, absences.c.authorized)
                        .where(absences.c.pupil_id == pupil_id, absences.c.day >= first, absences.c.day <= last,
                               absences.c.hours > 0)).all()
    unauthorized: defaultdict[date, set[date]] = defaultdict(set)
    authorized: defaultdict[date, set[date]] = defaultdict(set)
    hours: defaultdict[date, float] = defaultdict(float)
    for day, spent, allowed in rows:
        monday = day - timedelta(days=day.weekday())
        (authorized if allowed else unauthorized)[monday].add(day)
        hours[monday] += float(spent)
    mondays = [first - timedelta(days=first.weekday())]
    while mondays[-1] + timedelta(weeks=1) <= last:
        mondays.append(mondays[-1] + timedelta(weeks=1))
    return [AbsenceWeek(m, len(unauthorized[m]), len(authorized[m] - unauthorized[m]), hours[m],
                        calendar.count_school_days(m, m + timedelta(days=4))) for m in mondays]
