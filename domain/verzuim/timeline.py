"""One pupil's days as a short list of segments: enrolled periods with their school's calendar and
the gaps between them.

Ordinals (``date.toordinal()``) are used throughout: detection works on them in its inner loops.
Overlapping enrollments are resolved in favour of the later one: the earlier enrollment is cut
off the day before the later one begins (a pupil is counted at one school per day). Gaps carry a
reference calendar -- the calendar of the pupil's last enrollment, or Monday-to-Friday without
holidays -- used only to count school weeks while the pupil is not enrolled anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from domain.verzuim.calendar import WEEKDAYS_ONLY, SchoolCalendar
from domain.verzuim.model import Enrollment

FIRST: Final = 1
LAST: Final = date.max.toordinal()

CalendarLookup = Callable[[str], SchoolCalendar] | Mapping[str, SchoolCalendar]
"""How the caller names a school's calendar: a callable or a mapping BRIN -> SchoolCalendar."""


@dataclass(frozen=True, slots=True)
class Segment:
    """Days ``first..last`` (ordinals, inclusive): enrolled at ``enrollment``, or a gap (None)."""

    first: int
    last: int
    calendar: SchoolCalendar
    enrollment: Enrollment | None


def resolve(calendars: CalendarLookup) -> Callable[[str], SchoolCalendar]:
    """Turn a mapping into a lookup function; a callable is returned as is."""
    if isinstance(calendars, Mapping):
        return calendars.__getitem__
    return calendars


def build(enrollments: Sequence[Enrollment], calendar_of: Callable[[str], SchoolCalendar]) -> tuple[Segment, ...]:
    """Segments covering every day, in order: enrolled periods and the gaps around them."""
    ordered = sorted(enrollments, key=lambda e: (e.first_day, e.last_day or date.max))
    enrolled: list[Segment] = []
    for position, enrollment in enumerate(ordered):
        last = enrollment.last_day.toordinal() if enrollment.last_day else LAST
        if position + 1 < len(ordered):
            last = min(last, ordered[position + 1].first_day.toordinal() - 1)
        first = enrollment.first_day.toordinal()
        if last >= first:
            enrolled.append(Segment(first, last, calendar_of(enrollment.school_brin), enrollment))
    reference = enrolled[-1].calendar if enrolled else WEEKDAYS_ONLY
    return _with_gaps(enrolled, reference)


def _with_gaps(enrolled: list[Segment], reference: SchoolCalendar) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    cursor = FIRST
    for segment in enrolled:
        if segment.first > cursor:
            segments.append(Segment(cursor, segment.first - 1, reference, None))
        segments.append(segment)
        cursor = segment.last + 1
    if cursor <= LAST:
        segments.append(Segment(cursor, LAST, reference, None))
    return tuple(segments)


def at(segments: tuple[Segment, ...], ordinal: int) -> Segment:
    """The segment that holds ``ordinal``."""
    for segment in segments:
        if segment.first <= ordinal <= segment.last:
            return segment
    raise ValueError(f"no segment holds ordinal {ordinal}")


def count(segments: tuple[Segment, ...], first: int, last: int, *, enrolled: bool) -> int:
    """School days in ``first..last`` in enrolled segments (``enrolled``) or in the gaps."""
    total = 0
    for segment in segments:
        if (segment.enrollment is not None) is enrolled and segment.first <= last and segment.last >= first:
            total += segment.calendar.count_ord(max(first, segment.first), min(last, segment.last))
    return total


def first_school_day(segments: tuple[Segment, ...], first: int, last: int) -> int | None:
    """The first enrolled school day in ``first..last``, if any."""
    for segment in segments:
        if segment.enrollment is None or segment.last < first or segment.first > last:
            continue
        day = segment.calendar.next_school_day_ord(max(first, segment.first))
        if day <= min(last, segment.last):
            return day
    return None


def last_school_day(segments: tuple[Segment, ...], first: int, last: int) -> int | None:
    """The last enrolled school day in ``first..last``, if any."""
    for segment in reversed(segments):
        if segment.enrollment is None or segment.last < first or segment.first > last:
            continue
        day = segment.calendar.previous_school_day_ord(min(last, segment.last))
        if day >= max(first, segment.first):
            return day
    return None


def first_break(segments: tuple[Segment, ...], first: int, last: int) -> int | None:
    """The first day in ``first..last`` that is an enrolled school day or a day without enrollment.

    Detection calls this on the days between two days out of school: every such day there is a
    day at school, exempt, or outside the duty, so it ends the period out of school.
    """
    if first > last:
        return None
    for segment in segments:
        if segment.last < first or segment.first > last:
            continue
        start = max(first, segment.first)
        if segment.enrollment is None:
            return start
        day = segment.calendar.next_school_day_ord(start)
        if day <= min(last, segment.last):
            return day
    return None


def last_school(segments: tuple[Segment, ...], ordinal: int) -> Enrollment | None:
    """The enrollment on ``ordinal``, or else the last one that began before it."""
    latest = None
    for segment in segments:
        if segment.first > ordinal:
            break
        if segment.enrollment is not None:
            latest = segment.enrollment
    return latest
