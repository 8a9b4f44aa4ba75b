"""A pupil's absence per week, against their school's calendar: the chart behind a thuiszitter alert.

Each week from the Monday of ``first`` to the week of ``last`` says how many days the pupil was absent
without a valid reason (ongeoorloofd) and with one (geoorloofd, not counted again on a day that also has
ongeoorloofd hours), the hours, and whether it was a school week at all: a holiday week of the pupil's
school (its region, its SWV's and its own holidays) neither counts nor breaks the thuiszitter's run of
school weeks (DOMAIN.md, issue 6), so the chart marks it; a week with a holiday day has fewer school days.
The week of ``last`` is counted only up to ``last`` (the last observed day): an unfinished week is not a
school week yet (issue 15 item 6).

The chart starts at the first day out of school: a detection alert names it (``since``); for an alert the
case-event feed raised (the thuiszitter melding) :func:`out_of_school_since` finds it in the melding's
``sinds`` or the pupil's register episode, not the day of the report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, or_, select

from infra.store.tables import case_events
from infra.store.verzuim_tables import absences, thuiszitter_episodes
from infra.verzuim.calendars import SchoolBook


@dataclass(frozen=True)
class AbsenceWeek:
    """One week (Monday to Friday) of a pupil's absence."""

    monday: date
    unauthorized_days: int
    authorized_days: int
    hours: float
    school_days: int
    """The school days of the whole week."""
    school_days_seen: int = -1
    """The school days up to the last observed day (-1: all of them)."""

    @property
    def school_week(self) -> bool:
        """Whether the school was open on any day of the week (else: a holiday week)."""
        return self.school_days > 0

    @property
    def complete(self) -> bool:
        """Whether every school day of the week has been observed (the current week has not)."""
        return self.school_days_seen < 0 or self.school_days_seen >= self.school_days

    @property
    def counted_school_week(self) -> bool:
        """A school week that is over: it counts in the run of school weeks."""
        return self.school_week and self.complete

    @property
    def absent_all_week(self) -> bool:
        """A finished school week with ongeoorloofd absence on every school day."""
        return self.counted_school_week and self.unauthorized_days >= self.school_days

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
                        calendar.count_school_days(m, m + timedelta(days=4)),
                        calendar.count_school_days(m, min(m + timedelta(days=4), last))) for m in mondays]


def out_of_school_since(conn: Connection, pupil_id: str, case_id: str | None, on: date) -> date | None:
    """The first day out of school behind a report made on ``on``: the ``sinds`` of the case's melding, else
    the first day of the pupil's thuiszitter episode running on ``on``; None when neither is known.
    """
    if case_id:
        payload = conn.execute(select(case_events.c.payload).where(case_events.c.case_id == case_id,
                                                                   case_events.c.seq == 1)).scalar()
        since = payload.get("sinds") if isinstance(payload, dict) else None
        if isinstance(since, str):
            try:
                return date.fromisoformat(since)
            except ValueError:
                pass
    table = thuiszitter_episodes
    return conn.execute(select(table.c.first_day).where(
        table.c.pupil_id == pupil_id, table.c.kind != "vrijstelling", table.c.first_day <= on,
        or_(table.c.last_day.is_(None), table.c.last_day >= on)).order_by(table.c.first_day).limit(1)).scalar()
