"""One pupil's records prepared for the rules: segments, duties and exemptions as ordinals, the
absent school days with their unauthorised minutes (meldplicht: every hour counts), and the whole
school days out of school (thuiszitter, dreigend, hidden thuiszitter: only days the pupil was not at
school at all count; a day with some attendance is a day at school).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from domain.verzuim import timeline
from domain.verzuim.calendar import SchoolCalendar
from domain.verzuim.leerplicht import kwalificatieplicht_ends, leerplicht_begins, leerplicht_ends
from domain.verzuim.model import Absence, PupilRecords, VerzuimSettings
from domain.verzuim.timeline import Segment


@dataclass(frozen=True, slots=True)
class Context:
    """What every rule needs about one pupil, computed once per call."""

    records: PupilRecords
    settings: VerzuimSettings
    segments: tuple[Segment, ...]
    horizon: int
    """The last observed day: ``as_of - 1`` as an ordinal."""
    duty: tuple[int, int]
    """Leerplicht or kwalificatieplicht (meldplicht, dreigend), from ``records_from`` if later."""
    thuiszitter_duty: tuple[int, int]
    """The duty the thuiszitter rules apply under."""
    exempt: tuple[tuple[int, int], ...]
    leerplicht_last: int
    """The last day of leerplicht (art. 4), for the wording of alerts."""

    @property
    def pupil_id(self) -> str:
        """The pseudonymous pupil id."""
        return self.records.pupil.pupil_id

    def is_exempt(self, ordinal: int) -> bool:
        """Whether a vrijstelling runs on ``ordinal``."""
        return any(first <= ordinal <= last for first, last in self.exempt)

    def brin_at(self, ordinal: int) -> str | None:
        """The school on ``ordinal``, or the last one before it."""
        enrollment = timeline.last_school(self.segments, ordinal)
        return enrollment.school_brin if enrollment else None


def build_context(records: PupilRecords, calendar_of: Callable[[str], SchoolCalendar], as_of: date,
                  settings: VerzuimSettings, records_from: date | None = None) -> Context:
    """Segments, duties and exemptions of one pupil as ordinals."""
    pupil = records.pupil
    segments = timeline.build(records.enrollments, calendar_of)
    first_of_month, leerplicht, kwalificatie = duty_bounds(pupil.birth_date, pupil.startkwalificatie_on)
    begins = segments[-1].calendar.next_school_day_ord(first_of_month)
    if records_from is not None:
        begins = max(begins, records_from.toordinal())
    duty_last = max(leerplicht, kwalificatie)
    thuiszitter_last = duty_last if settings.kwalificatieplicht_telt else leerplicht
    exempt = tuple(sorted((v.first_day.toordinal(), (v.last_day or date.max).toordinal())
                          for v in records.vrijstellingen))
    return Context(records, settings, segments, as_of.toordinal() - 1, (begins, duty_last),
                   (begins, thuiszitter_last), exempt, leerplicht)


@lru_cache(maxsize=16_384)
def duty_bounds(birth_date: date, startkwalificatie_on: date | None) -> tuple[int, int, int]:
    """Ordinals of the first of the month leerplicht begins in, its last day, and the last day of
    kwalificatieplicht (cached: pupils share birth dates).
    """
    return (leerplicht_begins(birth_date).toordinal(), leerplicht_ends(birth_date).toordinal(),
            kwalificatieplicht_ends(birth_date, startkwalificatie_on=startkwalificatie_on).toordinal())


def absent_minutes(context: Context) -> dict[int, tuple[int, Segment]]:
    """Per absent school day (ordinal): unauthorised minutes and the enrollment segment.

    Counted: records with ``authorized=False`` and hours > 0 on an enrolled school day before the
    as-of date, while the pupil is leer- or kwalificatieplichtig and without a running vrijstelling.
    """
    absent: dict[int, tuple[int, Segment]] = {}
    first, last = context.duty[0], min(context.duty[1], context.horizon)
    for absence in context.records.absences:
        ordinal = absence.day.toordinal()
        if absence.authorized or absence.hours <= 0 or not first <= ordinal <= last:
            continue
        segment = timeline.at(context.segments, ordinal)
        if segment.enrollment is None or not segment.calendar.is_school_day_ord(ordinal):
            continue
        if context.exempt and context.is_exempt(ordinal):
            continue
        minutes = max(1, round(absence.hours * 60))
        absent[ordinal] = (absent[ordinal][0] + minutes if ordinal in absent else minutes, segment)
    return absent


def _counted_day(context: Context, absence: Absence) -> Segment | None:
    """The enrollment segment of an absence that counts at all: on an enrolled school day under the duty,
    observed, and without a running vrijstelling; None otherwise.
    """
    ordinal = absence.day.toordinal()
    if absence.hours <= 0 or not context.duty[0] <= ordinal <= min(context.duty[1], context.horizon):
        return None
    segment = timeline.at(context.segments, ordinal)
    if segment.enrollment is None or not segment.calendar.is_school_day_ord(ordinal):
        return None
    return None if context.exempt and context.is_exempt(ordinal) else segment


def whole_days(context: Context, *, hidden: bool = False) -> list[int]:
    """The school days (ordinals, sorted) the pupil was out of school all day.

    Unauthorised absence (``hidden=False``), or authorised absence with a hidden-thuiszitter reason
    (``hidden=True``), counts for a day when its hours reach ``hele_dag_vanaf_procent`` of the day's
    hours: the timetable's (``scheduled_hours``) when the record gives them, else the profile's
    ``schooldag_klokuren`` (PO kinds) or ``schooldag_lesuren`` (vo, vso).
    """
    settings = context.settings
    per_day: dict[int, tuple[float, float]] = {}
    for absence in context.records.absences:
        if absence.hidden != hidden or (not hidden and absence.authorized):
            continue
        segment = _counted_day(context, absence)
        if segment is None or segment.enrollment is None:
            continue
        po = segment.enrollment.hour_unit == "klokuren"
        usual = settings.schooldag_klokuren if po else settings.schooldag_lesuren
        ordinal = absence.day.toordinal()
        hours, day_hours = per_day.get(ordinal, (0.0, 0.0))
        per_day[ordinal] = (hours + absence.hours, max(day_hours, absence.scheduled_hours or usual))
    percent = settings.hele_dag_vanaf_procent
    return sorted(ordinal for ordinal, (hours, day_hours) in per_day.items() if hours * 100 >= percent * day_hours)
