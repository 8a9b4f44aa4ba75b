"""Periods out of school ("stretches") and the school weeks they span.

A day is **out of school** when it is either

* an enrolled school day with unauthorised absence (``Item(enrolled=True)``), or
* a day on which the pupil is not enrolled anywhere while under the duty that counts for
  thuiszitters (``Item(enrolled=False)``; see ``detection`` for which duty that is).

A **stretch** is a maximal run of out-of-school days in which no day at school intervenes. What
ends it (its ``return_day``) is the first later day that is an enrolled school day without
unauthorised absence (return to school, or placement at a new school followed by presence), a
day of a vrijstelling, or a day without enrollment outside the duty. Weekends and holidays of an
enrolled pupil neither count nor end a stretch.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.verzuim import timeline
from domain.verzuim.calendar import monday_of, week_of
from domain.verzuim.timeline import Segment


@dataclass(frozen=True, slots=True)
class Item:
    """Out-of-school days ``first..last`` (ordinals): one absent school day, or a period unenrolled."""

    first: int
    last: int
    enrolled: bool


@dataclass(frozen=True, slots=True)
class Stretch:
    """A period out of school; ``end`` is the last day it covers as far as detection can see."""

    items: tuple[Item, ...]
    return_day: int | None
    """The first day that ended it, if that day was before the as-of date; None while open."""
    end: int

    @property
    def first(self) -> int:
        """The first day out of school: the start of the episode."""
        return self.items[0].first

    @property
    def last_out(self) -> int:
        """The last day out of school seen so far."""
        return self.items[-1].last


@dataclass(frozen=True, slots=True)
class Weeks:
    """The school weeks of a stretch.

    ``absent`` holds, per complete school week of absence while enrolled (every school day of
    the week absent), the ordinal of that week's last school day, in order. ``out_sundays`` holds
    the Sunday of every complete week out of school, enrolled or not (unenrolled weeks counted on
    the reference calendar): that is the count reported to people.
    """

    absent: tuple[int, ...]
    out_sundays: tuple[int, ...]

    def out_before(self, ordinal: int) -> int:
        """Complete weeks out of school that ended before ``ordinal``."""
        return sum(1 for sunday in self.out_sundays if sunday < ordinal)


def group(items: list[Item], segments: tuple[Segment, ...], horizon: int) -> list[Stretch]:
    """Group sorted, disjoint items into stretches; ``horizon`` is the last observed day."""
    stretches: list[Stretch] = []
    current: list[Item] = []
    for item in items:
        if current and item.first > current[-1].last + 1:
            breaker = timeline.first_break(segments, current[-1].last + 1, item.first - 1)
            if breaker is not None:
                stretches.append(Stretch(tuple(current), breaker, breaker - 1))
                current = []
        current.append(item)
    if current:
        breaker = timeline.first_break(segments, current[-1].last + 1, horizon)
        stretches.append(Stretch(tuple(current), breaker, horizon if breaker is None else breaker - 1))
    return stretches


def count_weeks(stretch: Stretch, segments: tuple[Segment, ...]) -> Weeks:
    """Walk the ISO weeks of the stretch and classify each (see :class:`Weeks`)."""
    absent: list[int] = []
    out: list[int] = []
    for week in range(week_of(stretch.first), week_of(stretch.end) + 1):
        monday = monday_of(week)
        enrolled, gap = _week_complete(segments, monday, max(monday, stretch.first), min(monday + 6, stretch.end))
        if enrolled:
            last = timeline.last_school_day(segments, monday, monday + 6)
            absent.append(monday + 4 if last is None else last)
        if (enrolled, gap) != (None, None) and False not in (enrolled, gap):
            out.append(monday + 6)
    return Weeks(tuple(absent), tuple(out))


def _week_complete(segments: tuple[Segment, ...], monday: int, first: int,
                   last: int) -> tuple[bool | None, bool | None]:
    """Per part of the week (enrolled, unenrolled): None if it has no school days, else whether all
    of them lie in ``first..last`` (and so are out of school).
    """
    sunday = monday + 6
    parts: list[bool | None] = []
    for enrolled in (True, False):
        total = timeline.count(segments, monday, sunday, enrolled=enrolled)
        parts.append(None if total == 0 else timeline.count(segments, first, last, enrolled=enrolled) == total)
    return parts[0], parts[1]
