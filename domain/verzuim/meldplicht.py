"""Meldplicht: 16 hours of unauthorised absence within 4 consecutive school weeks must be reported
to leerplicht, and again for every further 16 hours (Leerplichtwet art. 21a; DOMAIN.md §4).

Windowing, per school (BRIN), on that school's calendar and in its hour unit (clock hours in
PO kinds, lesson hours in vo/vso): walk the absent school days in order, keeping the hours not yet
reported from the current school week and the ``meldplicht_weken - 1`` school weeks before it.
When they reach ``meldplicht_uren``, a signal is due on that day and exactly that many hours are
marked reported, oldest first; any excess stays in the window and counts towards the next
report. Hours that fall out of the window unreported expire. So 16 + 16 hours give two signals,
15 give none, and 8 + 8 hours five school weeks apart give none.

Keys are ``<pupil>:meldplicht:<brin>:<day>:<n>`` (n = 1 unless one day crosses the threshold more
than once): fixed once the day is over, whatever later records arrive.
"""

from __future__ import annotations

from collections import deque
from datetime import date

from domain.roles import ZORGCOORDINATOR
from domain.verzuim import texts
from domain.verzuim.calendar import SchoolCalendar
from domain.verzuim.model import Signal
from domain.verzuim.pupil import Context
from domain.verzuim.timeline import Segment


def meldplicht_signals(context: Context, absent: dict[int, tuple[int, Segment]]) -> list[Signal]:
    """Every meldplicht signal of the pupil, school by school."""
    per_school: dict[str, list[tuple[int, int]]] = {}
    calendars: dict[str, tuple[SchoolCalendar, str]] = {}
    for ordinal in sorted(absent):
        minutes, segment = absent[ordinal]
        if segment.enrollment is None:
            continue
        brin = segment.enrollment.school_brin
        per_school.setdefault(brin, []).append((ordinal, minutes))
        calendars.setdefault(brin, (segment.calendar, segment.enrollment.hour_unit))
    signals: list[Signal] = []
    for brin, days in per_school.items():
        calendar, unit = calendars[brin]
        signals.extend(_school_signals(context, brin, calendar, unit, days))
    return signals


def _school_signals(context: Context, brin: str, calendar: SchoolCalendar, unit: str,
                    days: list[tuple[int, int]]) -> list[Signal]:
    settings = context.settings
    threshold, span = settings.meldplicht_uren * 60, settings.meldplicht_weken
    if sum(minutes for _, minutes in days) < threshold:
        return []
    window: deque[list[int]] = deque()
    """Entries [school week index, ordinal, minutes not yet reported], oldest first."""
    pending = 0
    signals: list[Signal] = []
    for ordinal, minutes in days:
        week = calendar.school_weeks_before_ord(ordinal)
        while window and window[0][0] <= week - span:
            pending -= window.popleft()[2]
        window.append([week, ordinal, minutes])
        pending += minutes
        crossings = 0
        while pending >= threshold:
            since_week, since = _report(window, threshold)
            pending -= threshold
            crossings += 1
            signals.append(_signal(context, brin, unit, since, ordinal, week - since_week + 1, crossings))
    return signals


def _report(window: deque[list[int]], minutes: int) -> tuple[int, int]:
    """Mark ``minutes`` reported, oldest first; return the week and day of the oldest hour used."""
    since_week, since = window[0][0], window[0][1]
    while minutes:
        used = min(minutes, window[0][2])
        window[0][2] -= used
        minutes -= used
        if window[0][2] == 0:
            window.popleft()
    return since_week, since


def _signal(context: Context, brin: str, unit: str, since: int, reached: int, weeks: int, crossing: int) -> Signal:
    pupil = context.records.pupil
    hours = context.settings.meldplicht_uren
    since_day, reached_day = date.fromordinal(since), date.fromordinal(reached)
    return Signal(
        key=f"{pupil.pupil_id}:meldplicht:{brin}:{reached_day.isoformat()}:{crossing}", kind="meldplicht",
        pupil_id=pupil.pupil_id, reached_on=reached_day, since=since_day, school_brin=brin,
        residence_cbs=pupil.residence_cbs, recipients=(ZORGCOORDINATOR,),
        summary=texts.meldplicht(pupil.pupil_id, brin, hours, unit, weeks, since_day, reached_day),
        school_weeks=weeks, hours=float(hours), hour_unit=unit,
    )
