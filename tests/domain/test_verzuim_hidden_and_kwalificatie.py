"""Issue 15 items 2 and 3: kwalificatieplichtigen count as thuiszitters by default (Leerplichtwet art. 4a),
each episode says which duty applied; hidden thuiszitters (authorised absence that is in fact 'at home
without education', seed 002) get their own register category and an alert to the SWV coordinator.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.roles import SWV_COORDINATOR
from domain.verzuim import (
    Absence,
    Detection,
    Enrollment,
    Pupil,
    PupilRecords,
    VerzuimSettings,
    default_calendar,
    detect,
    register_category,
)

CALENDAR = default_calendar("midden")
SCHOOLS = {"34VO": CALENDAR}
FIRST_MONDAY = date(2026, 9, 7)
SEVENTEEN = Pupil("L-0020", date(2009, 5, 1), "GM0344")
"""Leerplicht ended on 31 July 2025; kwalificatieplichtig until 30 April 2027 without a startkwalificatie."""
FOURTEEN = Pupil("L-0020", date(2012, 3, 3), "GM0344")
AT_VO = Enrollment("L-0020", "34VO", "vo", date(2014, 1, 6))


def school_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)
            if CALENDAR.is_school_day(first + timedelta(days=n))]


FIVE_WEEKS = school_days(FIRST_MONDAY, date(2026, 10, 9))


def away(days: list[date], *, authorized: bool, kind: str, hours: float = 6) -> tuple[Absence, ...]:
    return tuple(Absence("L-0020", day, hours, authorized=authorized, reason="vrije tekst", reason_kind=kind,
                         scheduled_hours=6) for day in days)


def run(as_of: date, absences: tuple[Absence, ...], pupil: Pupil = FOURTEEN,
        settings: VerzuimSettings | None = None) -> Detection:
    return detect(PupilRecords(pupil, (AT_VO,), absences), calendars=SCHOOLS, as_of=as_of,
                  settings=settings or VerzuimSettings())


def of_kind(detection: Detection, kind: str) -> list[str]:
    return [signal.key for signal in detection.signals if signal.kind == kind]


# -- kwalificatieplicht ------------------------------------------------------------------------------


def test_a_17_year_old_without_startkwalificatie_absent_five_weeks_is_a_thuiszitter_by_default() -> None:
    detection = run(date(2026, 10, 6), away(FIVE_WEEKS, authorized=False, kind="spijbelen"), SEVENTEEN)
    assert of_kind(detection, "thuiszitter") == ["L-0020:thuiszitter:2026-09-07"]
    [episode] = detection.episodes
    assert (episode.kind, episode.duty) == ("relatief", "kwalificatieplicht")


def test_a_17_year_old_reaches_thuiszitter_on_the_monday_of_week_five_not_before() -> None:
    absences = away(FIVE_WEEKS, authorized=False, kind="spijbelen")
    assert of_kind(run(date(2026, 10, 5), absences, SEVENTEEN), "thuiszitter") == []


def test_a_17_year_old_with_a_startkwalificatie_is_under_no_duty() -> None:
    qualified = Pupil("L-0020", date(2009, 5, 1), "GM0344", startkwalificatie_on=date(2026, 7, 1))
    detection = run(date(2026, 10, 12), away(FIVE_WEEKS, authorized=False, kind="spijbelen"), qualified)
    assert detection.signals == ()
    assert detection.episodes == ()


def test_a_startkwalificatie_obtained_in_week_three_ends_the_duty_before_the_threshold() -> None:
    qualified = Pupil("L-0020", date(2009, 5, 1), "GM0344", startkwalificatie_on=date(2026, 9, 21))
    detection = run(date(2026, 10, 12), away(FIVE_WEEKS, authorized=False, kind="spijbelen"), qualified)
    assert of_kind(detection, "thuiszitter") == []


def test_a_14_year_olds_episode_applied_under_leerplicht() -> None:
    [episode] = run(date(2026, 10, 12), away(FIVE_WEEKS, authorized=False, kind="spijbelen")).episodes
    assert episode.duty == "leerplicht"


def test_the_profile_may_leave_kwalificatieplichtigen_out_of_the_thuiszitter_rules() -> None:
    settings = VerzuimSettings(kwalificatieplicht_telt=False)
    detection = run(date(2026, 10, 12), away(FIVE_WEEKS, authorized=False, kind="spijbelen"), SEVENTEEN, settings)
    assert of_kind(detection, "thuiszitter") == []
    assert of_kind(detection, "meldplicht") != []


# -- hidden thuiszitters -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["thuis_in_overleg", "thuis_knooppunt", "wacht_op_plek", "schorsing"])
def test_five_weeks_at_home_with_permission_make_a_hidden_thuiszitter_for_the_swv(kind: str) -> None:
    detection = run(date(2026, 10, 6), away(FIVE_WEEKS, authorized=True, kind=kind))
    [signal] = detection.signals
    assert (signal.kind, signal.key, signal.reached_on) == (
        "verborgen_thuiszitter", "L-0020:verborgen:2026-09-07", date(2026, 10, 5))
    assert signal.recipients == (SWV_COORDINATOR,)
    assert "Verborgen thuiszitter: leerling L-0020" in signal.summary
    [episode] = detection.episodes
    assert (episode.kind, episode.key, episode.last_day) == ("verborgen", "L-0020:verborgen:2026-09-07", None)
    assert register_category(episode, date(2026, 10, 12)) == "verborgen 4 weken–3 maanden"


def test_four_weeks_at_home_with_permission_are_not_yet_a_hidden_thuiszitter() -> None:
    detection = run(date(2026, 10, 5), away(FIVE_WEEKS, authorized=True, kind="thuis_in_overleg"))
    assert detection.signals == ()
    assert detection.episodes == ()


def test_illness_is_no_hidden_thuiszitter() -> None:
    assert run(date(2026, 10, 12), away(FIVE_WEEKS, authorized=True, kind="ziek")).episodes == ()


def test_an_unclassified_authorised_absence_is_no_hidden_thuiszitter() -> None:
    assert run(date(2026, 10, 12), away(FIVE_WEEKS, authorized=True, kind="")).episodes == ()


def test_thuis_in_overleg_recorded_as_unauthorised_is_an_ordinary_thuiszitter() -> None:
    [episode] = run(date(2026, 10, 12), away(FIVE_WEEKS, authorized=False, kind="thuis_in_overleg")).episodes
    assert episode.kind == "relatief"


def test_a_lawful_schorsing_of_one_week_is_no_hidden_thuiszitter() -> None:
    week = school_days(FIRST_MONDAY, date(2026, 9, 11))
    assert run(date(2026, 10, 12), away(week, authorized=True, kind="schorsing")).episodes == ()


def test_half_days_at_home_in_overleg_are_days_at_school() -> None:
    assert run(date(2026, 10, 12), away(FIVE_WEEKS, authorized=True, kind="thuis_in_overleg", hours=3)).episodes == ()


def test_a_hidden_episode_ends_on_return_to_school() -> None:
    detection = run(date(2026, 10, 14), away(FIVE_WEEKS, authorized=True, kind="wacht_op_plek"))
    [episode] = detection.episodes
    assert episode.last_day == date(2026, 10, 9)


def test_a_hidden_episode_open_over_three_months_is_bucketed_long() -> None:
    days = school_days(FIRST_MONDAY, date(2027, 1, 29))
    [episode] = run(date(2027, 1, 30), away(days, authorized=True, kind="thuis_knooppunt")).episodes
    assert register_category(episode, date(2027, 1, 30)) == "verborgen > 3 maanden"
