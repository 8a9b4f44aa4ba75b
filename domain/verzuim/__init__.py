"""Verzuim and thuiszitters (issue 6): leerplicht age, school calendars and detection, pure domain.

Standard library only. The caller loads records per candidate pupil, calls :func:`detect` with a
calendar per school and an as-of date, and stores the signals and episodes by their keys.
"""

from domain.verzuim.calendar import REGIONS, Holiday, SchoolCalendar, default_calendar, holidays_from_data
from domain.verzuim.detection import DEFAULT_SETTINGS, add_months, detect, detect_all
from domain.verzuim.leerplicht import (
    is_kwalificatieplichtig,
    is_leerplichtig,
    kwalificatieplicht_ends,
    leerplicht_begins,
    leerplicht_ends,
    school_year,
    school_year_bounds,
)
from domain.verzuim.model import (
    Absence,
    Detection,
    Enrollment,
    Episode,
    Pupil,
    PupilRecords,
    Signal,
    VerzuimSettings,
    Vrijstelling,
)
from domain.verzuim.register import duration_bucket, register_category

__all__ = [
    "DEFAULT_SETTINGS",
    "REGIONS",
    "Absence",
    "Detection",
    "Enrollment",
    "Episode",
    "Holiday",
    "Pupil",
    "PupilRecords",
    "SchoolCalendar",
    "Signal",
    "VerzuimSettings",
    "Vrijstelling",
    "add_months",
    "default_calendar",
    "detect",
    "detect_all",
    "duration_bucket",
    "holidays_from_data",
    "is_kwalificatieplichtig",
    "is_leerplichtig",
    "kwalificatieplicht_ends",
    "leerplicht_begins",
    "leerplicht_ends",
    "register_category",
    "school_year",
    "school_year_bounds",
]
