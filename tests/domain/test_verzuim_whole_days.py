"""Issue 15 item 1: a thuiszitter does not go to school. Only whole school days out of school count for the
thuiszitter and dreigend signals; every unauthorised hour keeps counting for meldplicht. A day with some
attendance is a day at school and ends a period out of school (DOMAIN.md §4).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.verzuim import (
    Absence,
    Detection,
    Enrollment,
    Pupil,
    PupilRecords,
    VerzuimSettings,
    default_calendar,
    detect,
)

CALENDAR = default_calendar("midden")
SCHOOLS = {"12AB": CALENDAR, "34VO": CALENDAR}
PUPIL = Pupil("L-0010", date(2012, 3, 3), "GM0344")
"""Fourteen in autumn 2026: leerplichtig."""
AT_VO = Enrollment("L-0010", "34VO", "vo", date(2017, 3, 1))
AT_PO = Enrollment("L-0010", "12AB", "po", date(2017, 3, 1))
FIRST_MONDAY = date(2026, 9, 7)
"""Absent from this Monday: the fifth school week starts on Monday 5 October."""


def school_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)
            if CALENDAR.is_school_day(first + timedelta(days=n))]


def lessons(days: list[date], hours: float, scheduled: float | None = 6) -> tuple[Absence, ...]:
    return tuple(Absence(PUPIL.pupil_id, day, hours, authorized=False, reason="spijbelen", reason_kind="spijbelen",
                         scheduled_hours=scheduled) for day in days)


def run(as_of: date, absences: tuple[Absence, ...], enrollment: Enrollment = AT_VO,
        settings: VerzuimSettings | None = None) -> Detection:
    records = PupilRecords(PUPIL, (enrollment,), absences)
    return detect(records, calendars=SCHOOLS, as_of=as_of, settings=settings or VerzuimSettings())


def kinds(detection: Detection) -> list[str]:
    return sorted({signal.kind for signal in detection.signals})


FIVE_WEEKS = school_days(FIRST_MONDAY, date(2026, 10, 9))


def test_one_lesson_of_six_every_day_for_five_weeks_raises_meldplicht_but_no_thuiszitter() -> None:
    detection = run(date(2026, 10, 12), lessons(FIVE_WEEKS, 1))
    assert kinds(detection) == ["meldplicht"]
    assert detection.episodes == ()


def test_six_lessons_of_six_every_day_for_five_weeks_make_a_thuiszitter_on_the_monday_of_week_five() -> None:
    absences = lessons(FIVE_WEEKS, 6)
    assert "thuiszitter" not in kinds(run(date(2026, 10, 5), absences))
    detection = run(date(2026, 10, 6), absences)
    assert {"meldplicht", "dreigend_thuiszitter", "thuiszitter"} <= set(kinds(detection))
    [episode] = detection.episodes
    assert (episode.kind, episode.first_day) == ("relatief", FIRST_MONDAY)


def test_five_lessons_of_six_is_a_day_at_school_by_default() -> None:
    assert run(date(2026, 10, 12), lessons(FIVE_WEEKS, 5)).episodes == ()


def test_a_profile_threshold_of_80_percent_counts_five_lessons_of_six_as_a_day_out_of_school() -> None:
    settings = VerzuimSettings(hele_dag_vanaf_procent=80)
    [episode] = run(date(2026, 10, 12), lessons(FIVE_WEEKS, 5), settings=settings).episodes
    assert episode.kind == "relatief"
    assert run(date(2026, 10, 12), lessons(FIVE_WEEKS, 4), settings=settings).episodes == ()


def test_one_partial_day_in_week_three_breaks_the_stretch() -> None:
    wednesday = date(2026, 9, 23)
    absences = lessons([d for d in FIVE_WEEKS if d != wednesday], 6) + lessons([wednesday], 5)
    detection = run(date(2026, 10, 12), absences)
    assert "thuiszitter" not in kinds(detection)
    assert detection.episodes == ()


def test_without_a_timetable_a_vo_day_of_four_lesson_hours_counts_and_three_do_not() -> None:
    assert [e.kind for e in run(date(2026, 10, 12), lessons(FIVE_WEEKS, 4, scheduled=None)).episodes] == ["relatief"]
    assert run(date(2026, 10, 12), lessons(FIVE_WEEKS, 3, scheduled=None)).episodes == ()


def test_without_a_timetable_a_po_day_of_three_clock_hours_counts_and_two_do_not() -> None:
    assert [e.kind for e in run(date(2026, 10, 12), lessons(FIVE_WEEKS, 3, None), AT_PO).episodes] == ["relatief"]
    assert run(date(2026, 10, 12), lessons(FIVE_WEEKS, 2, None), AT_PO).episodes == ()


def test_dreigend_needs_whole_days_too() -> None:
    two_weeks = school_days(FIRST_MONDAY, date(2026, 9, 18))
    assert "dreigend_thuiszitter" in kinds(run(date(2026, 9, 21), lessons(two_weeks, 6)))
    assert "dreigend_thuiszitter" not in kinds(run(date(2026, 9, 21), lessons(two_weeks, 2)))


@pytest.mark.parametrize("percent", [0, 101])
def test_a_threshold_outside_1_to_100_percent_is_refused(percent: int) -> None:
    with pytest.raises(ValueError, match="hele_dag_vanaf_procent"):
        VerzuimSettings(hele_dag_vanaf_procent=percent)


def test_an_unknown_reason_category_is_refused_naming_the_list() -> None:
    with pytest.raises(ValueError, match="thuis_in_overleg"):
        Absence("L-0010", FIRST_MONDAY, 6, authorized=True, reason_kind="vakantie")
