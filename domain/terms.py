"""Counting terms as the law does (DOMAIN.md §8): every deadline is a day, with its basis and its reckoning.

- A term ends at the **end of its last day** (Dutch time): it has passed at the start of the next day
  (:attr:`Deadline.due_at`), and a step taken on the last day is in time.
- A term that runs *after* a day (a decision made known, a request received) starts the day after it
  (Awb art. 6:8); its last day is the day with the same number that many weeks or months later (the
  European Convention on the Calculation of Time-Limits, art. 4: 31 January + 1 month = 28/29 February).
- A period that *starts on* a day (a TLV from 1 August) includes that day: a year from 1 August 2026
  ends on 31 July 2027 (:func:`period_last_day`).
- The **Algemene termijnenwet** (:mod:`domain.feestdagen`) moves the end of a statutory term off a
  Saturday, Sunday or holiday to the next working day (art. 1 lid 1) and gives a term of three days or more
  at least two working days (art. 2). It does not apply to a term counted back from a day (art. 1 lid 2), to
  a term of more than 90 days, twelve weeks or three months (art. 4), nor to a regional agreement or a date
  set in a decision (it applies to terms set in a law), unless the region's profile says it does for its own terms.
- A term counted in **school weeks** skips the weeks without a school day in the school's calendar.

Every deadline says what it is (:data:`KINDS`): a law (with its article), a regional agreement (with its
seed), a profile setting, or a date set in a decision; and shows its arithmetic in Dutch.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal, Protocol

from domain.durations import NL, Duration, add_months, start_of_day
from domain.feestdagen import WEEKDAGEN, rustdag, werkdag_op_of_na

KINDS: Final = {
    "wet": "wettelijke termijn",
    "regionaal": "regionale afspraak",
    "profiel": "instelling van het profiel",
    "besluit": "datum uit het besluit",
    "verzoek": "termijn gesteld in het verzoek",
}
"""What a deadline rests on, as the status shows it."""
Direction = Literal["na", "voor", "op"]
_MAANDEN: Final = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                   "oktober", "november", "december")
_ATW: Final = "Algemene termijnenwet"
_TWO_WORKING_DAYS: Final = 2
_ART_2_MIN_LENGTH: Final = 3
_ART_4_MONTHS: Final = 3
_ART_4_WEEKS: Final = 12
_ART_4_DAYS: Final = 90


class SchoolWeeks(Protocol):
    """What a term in school weeks needs of a school calendar (``domain.verzuim.calendar``)."""

    def add_school_weeks(self, start: date, weeks: int) -> date:
        """The same weekday ``weeks`` school weeks later, holiday weeks skipped."""
        ...


def last_day_of(due_at: datetime) -> date:
    """The last day of a term that has passed at ``due_at`` (the start of the next Dutch day)."""
    return (due_at - timedelta(microseconds=1)).astimezone(NL).date()


def datum(day: date) -> str:
    """A date as a Dutch reader writes it: 1 september 2027."""
    return f"{day.day} {_MAANDEN[day.month - 1]} {day.year}"


def dag_en_datum(day: date) -> str:
    """With its weekday: maandag 4 januari 2027."""
    return f"{WEEKDAGEN[day.weekday()]} {datum(day)}"


def duur(length: Duration) -> str:
    """A duration in Dutch: 6 weken, 1 maand, 4 schoolweken, 12 weken en 3 dagen."""
    units = (("months", "maand", "maanden"), ("weeks", "week", "weken"), ("days", "dag", "dagen"),
             ("school_weeks", "schoolweek", "schoolweken"))
    parts = [f"{n} {one if n == 1 else many}" for key, one, many in units if (n := getattr(length, key))]
    return " en ".join(parts)


def later(day: date, length: Duration, calendar: SchoolWeeks | None = None) -> date:
    """The day ``length`` after ``day`` (same day number; months clamped to the month's end)."""
    if length.school_weeks:
        if calendar is None:
            msg = "a term in school weeks needs the school's calendar"
            raise ValueError(msg)
        day = calendar.add_school_weeks(day, length.school_weeks)
    return add_months(day, length.months) + timedelta(weeks=length.weeks, days=length.days)


def earlier(day: date, length: Duration) -> date:
    """The day ``length`` before ``day``."""
    return add_months(day, -length.months) - timedelta(weeks=length.weeks, days=length.days)


def period_last_day(first_day: date, length: Duration) -> date:
    """The last day of a period of ``length`` that includes ``first_day``: the day before the same day
    ``length`` later (a year from 1 August 2026 runs through 31 July 2027; a month from 1 October through
    31 October).
    """
    return later(first_day, length) - timedelta(days=1)


@dataclass(frozen=True)
class Basis:
    """What a term rests on: its kind (a key of :data:`KINDS`), its source (``Awb art. 6:7, 6:8``; ``seed 004
    §4.3``) and how the reckoning names the day it counts from (``bekendmaking``).
    """

    kind: str
    source: str
    anchor: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            msg = f"unknown basis kind {self.kind!r}; use one of {sorted(KINDS)}"
            raise ValueError(msg)


@dataclass(frozen=True)
class Deadline:
    """A term's last day, with its basis and its reckoning.

    ``end`` is where the arithmetic lands (after suspensions and extensions); the last day is ``end``
    moved by the Algemene termijnenwet when ``atw`` (else ``atw_note`` says why not, when it would have
    mattered). ``first_day`` is the first day counted (for Atw art. 2).
    """

    kind: str
    source: str
    end: date
    steps: tuple[str, ...]
    first_day: date | None = None
    atw: bool = False
    atw_note: str = ""
    _moved: tuple[date, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_moved", _algemene_termijnenwet(self))

    @property
    def last_day(self) -> date:
        """The last day on which a step is in time."""
        return self._moved[0]

    @property
    def due_at(self) -> datetime:
        """The instant the term has passed: the start of the Dutch day after its last day."""
        return start_of_day(self.last_day + timedelta(days=1))

    @property
    def reckoning(self) -> str:
        """The arithmetic in Dutch, e.g. '6 weken na bekendmaking op 20 november 2026 (Awb art. 6:7, 6:8) →
        1 januari 2027, Nieuwjaarsdag → maandag 4 januari 2027 (Algemene termijnenwet art. 1)'.
        """
        return ", ".join((*self.steps, *self._moved[1]))

    def shifted(self, days: int, why: str) -> Deadline:
        """The deadline ``days`` later (a suspension), the Atw applied again to the new end."""
        end = self.end + timedelta(days=days)
        return replace(self, end=end, steps=(*self.steps, f"{why} → {datum(end)}"))

    def extended(self, length: Duration, why: str) -> Deadline:
        """The deadline ``length`` later (an extension such as a verdaging), the Atw applied again."""
        end = later(self.end, length)
        return replace(self, end=end, steps=(*self.steps, f"{why}: {duur(length)} erbij → {datum(end)}"))

    def to_data(self) -> dict[str, Any]:
        """As stored with a timer and shown in a case's status."""
        return {"laatste_dag": self.last_day.isoformat(), "soort": self.kind, "soort_tekst": KINDS[self.kind],
                "bron": self.source, "berekening": self.reckoning, "einde": self.end.isoformat(),
                "stappen": list(self.steps), "eerste_dag": self.first_day.isoformat() if self.first_day else None,
                "atw": self.atw, "atw_noot": self.atw_note}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Deadline:
        """The inverse of :meth:`to_data`."""
        first = data.get("eerste_dag")
        return cls(str(data["soort"]), str(data["bron"]), date.fromisoformat(data["einde"]),
                   tuple(data["stappen"]), date.fromisoformat(first) if first else None,
                   bool(data["atw"]), str(data.get("atw_noot", "")))


@dataclass(frozen=True)
class Term:
    """A term as a timer declares it: ``length`` ``na`` (after) or ``voor`` (before) its anchor day, or
    ending ``op`` the anchor day itself (a date set in a decision or a profile; ``length`` None).
    """

    length: Duration | None
    direction: Direction
    basis: Basis

    @property
    def in_school_weeks(self) -> bool:
        """Whether the term counts school weeks (and so needs the school's calendar)."""
        return self.length is not None and self.length.school_weeks > 0

    def deadline(self, anchor: date, *, atw_for_regional: bool = False,
                 calendar: SchoolWeeks | None = None) -> Deadline:
        """The deadline counted from ``anchor`` (a Dutch date)."""
        kind, source, name = self.basis.kind, self.basis.source, self.basis.anchor
        if self.direction == "op" or self.length is None:
            return Deadline(kind, source, anchor, (f"{name}: {datum(anchor)} ({source})",),
                            atw_note=f"een {KINDS[kind]} wordt niet verlengd")
        if self.direction == "voor":
            end = earlier(anchor, self.length)
            step = f"{duur(self.length)} vóór {name} op {datum(anchor)} ({source}) → {datum(end)}"
            return Deadline(kind, source, end, (step,),
                            atw_note=f"een teruggerekende termijn wordt niet verlengd ({_ATW} art. 1 lid 2)")
        end = later(anchor, self.length, calendar)
        step = f"{duur(self.length)} na {name} op {datum(anchor)} ({source}) → {datum(end)}"
        atw, note = _atw_applies(kind, self.length, anchor, end, atw_for_regional=atw_for_regional)
        return Deadline(kind, source, end, (step,), anchor + timedelta(days=1), atw, note)


def _atw_applies(kind: str, length: Duration, anchor: date, end: date, *,
                 atw_for_regional: bool) -> tuple[bool, str]:
    if kind not in ("wet", "regionaal", "profiel") or (kind != "wet" and not atw_for_regional):
        return False, f"een {KINDS[kind]} wordt niet verlengd"
    if _art_4_excludes(length, anchor, end):
        return False, (f"de {_ATW} geldt niet voor een termijn van meer dan 90 dagen, twaalf weken of drie "
                       f"maanden (art. 4)")
    return True, ""


def _art_4_excludes(length: Duration, anchor: date, end: date) -> bool:
    """Atw art. 4 lid 1 a: not for a term of more than 90 days, twelve weeks or three months (or in years).
    A term in one unit is judged by its number; a mixed one by the calendar (more than three months).
    """
    units = [n for n in (length.months, length.weeks, length.days, length.school_weeks) if n]
    if len(units) > 1:
        return end > add_months(anchor, _ART_4_MONTHS)
    return (length.months > _ART_4_MONTHS or length.weeks > _ART_4_WEEKS or length.days > _ART_4_DAYS
            or length.school_weeks > _ART_4_WEEKS)


def _algemene_termijnenwet(deadline: Deadline) -> tuple[date, tuple[str, ...]]:
    """The last day after Atw art. 2 and art. 1, and the steps that moved it (or a note that the Atw does
    not move it, when the end is a rustdag).
    """
    end, reason = deadline.end, rustdag(deadline.end)
    if not deadline.atw:
        return end, ((f"{reason}, maar {deadline.atw_note}",) if reason and deadline.atw_note else ())
    steps: list[str] = []
    last = end
    first = deadline.first_day
    if first is not None and (end - first).days + 1 >= _ART_2_MIN_LENGTH:
        while not _has_working_days(first, last, _TWO_WORKING_DAYS):
            last += timedelta(days=1)
        if last != end:
            steps.append(f"minder dan twee werkdagen in de termijn → {dag_en_datum(last)} ({_ATW} art. 2)")
    reason = rustdag(last)
    if reason is not None:
        moved = werkdag_op_of_na(last)
        steps.append(f"{reason} → {dag_en_datum(moved)} ({_ATW} art. 1)")
        last = moved
    return last, tuple(steps)


def _has_working_days(first: date, last: date, wanted: int) -> bool:
    """Whether [first, last] holds ``wanted`` days that are no rustdag (counted only until there are)."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    working = (day for day in days if rustdag(day) is None)
    return sum(1 for _ in itertools.islice(working, wanted)) == wanted
