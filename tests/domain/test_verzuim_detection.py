"""Thuiszitter and verzuim detection (issue 6): thresholds on school weeks, one signal per episode,
meldplicht windows, escalation, vrijstelling reminders. Time is always a passed-in as-of date.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from domain.verzuim import (
    Absence,
    Detection,
    Enrollment,
    Pupil,
    PupilRecords,
    SchoolCalendar,
    Signal,
    VerzuimSettings,
    Vrijstelling,
    default_calendar,
    detect,
    register_category,
)

SCHOOLS = {"12AB": default_calendar("midden"), "34CD": default_calendar("noord"), "56EF": default_calendar("zuid"),
           "78GH": default_calendar("midden")}
PUPIL = Pupil("L-0001", date(2014, 3, 3), "GM0344")
"""Twelve in autumn 2026: leerplichtig since April 2019."""
AT_12AB = Enrollment("L-0001", "12AB", "po", date(2018, 8, 20))


def absent(first: date, last: date, *, school: str = "12AB", hours: float = 5.0,
           authorized: bool = False) -> tuple[Absence, ...]:
    """An absence record on every school day of ``school`` from ``first`` to ``last``."""
    calendar = SCHOOLS[school]
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return tuple(Absence(PUPIL.pupil_id, day, hours, authorized, "ongeoorloofd") for day in days
                 if calendar.is_school_day(day))


def run(as_of: date, absences: tuple[Absence, ...] = (), enrollments: tuple[Enrollment, ...] = (AT_12AB,),
        vrijstellingen: tuple[Vrijstelling, ...] = (), pupil: Pupil = PUPIL,
        settings: VerzuimSettings | None = None) -> Detection:
    records = PupilRecords(pupil, enrollments, absences, vrijstellingen)
    return detect(records, calendars=SCHOOLS, as_of=as_of, settings=settings or VerzuimSettings())


def of_kind(detection: Detection, kind: str) -> list[Signal]:
    return [signal for signal in detection.signals if signal.kind == kind]


# -- thuiszitter (relatief) -------------------------------------------------------------------------


def test_a_pupil_absent_from_a_monday_reaches_thuiszitter_only_after_four_school_weeks() -> None:
    records = absent(date(2026, 9, 7), date(2026, 10, 30))
    assert of_kind(run(date(2026, 10, 5), records), "thuiszitter") == []
    [signal] = of_kind(run(date(2026, 10, 6), records), "thuiszitter")
    assert signal.reached_on == date(2026, 10, 5)  # the Monday after 4 full school weeks: "more than 4"
    assert signal.since == date(2026, 9, 7)
    assert (signal.soort, signal.school_weeks, signal.school_brin) == ("relatief", 4, "12AB")
    assert signal.residence_cbs == "GM0344"
    assert signal.recipients == ("leerplicht",)
    assert signal.key == "L-0001:thuiszitter:2026-09-07"


@pytest.mark.parametrize(("school", "first_absent", "reached"), [
    ("12AB", date(2026, 10, 5), date(2026, 11, 9)),  # midden: herfstvakantie 17-25 October in between
    ("56EF", date(2026, 10, 5), date(2026, 11, 9)),  # zuid: the same week
    ("34CD", date(2026, 9, 28), date(2026, 11, 2)),  # noord: herfstvakantie 10-18 October in between
])
def test_an_autumn_holiday_in_between_moves_that_date_by_a_week(school: str, first_absent: date,
                                                                 reached: date) -> None:
    enrollment = Enrollment("L-0001", school, "po", date(2018, 8, 20))
    records = absent(first_absent, date(2026, 12, 4), school=school)
    [signal] = of_kind(run(date(2026, 12, 1), records, (enrollment,)), "thuiszitter")
    assert signal.reached_on == reached
    assert reached - first_absent == timedelta(weeks=5)  # four school weeks plus the holiday week
    assert signal.school_weeks == 4


def test_a_vrijstelling_suppresses_the_relatief_episode() -> None:
    records = absent(date(2026, 9, 7), date(2026, 11, 27))
    vrijstelling = Vrijstelling("L-0001", "5b", date(2026, 9, 1))
    detection = run(date(2026, 12, 1), records, vrijstellingen=(vrijstelling,))
    assert detection.signals == ()
    assert detection.episodes == ()


def test_a_vrijstelling_that_starts_later_ends_the_episode_there() -> None:
    records = absent(date(2026, 9, 7), date(2026, 11, 27))
    vrijstelling = Vrijstelling("L-0001", "5a", date(2026, 10, 12), date(2027, 7, 31))
    detection = run(date(2026, 12, 1), records, vrijstellingen=(vrijstelling,))
    relatief = [e for e in detection.episodes if e.kind == "relatief"]
    assert [(e.first_day, e.last_day) for e in relatief] == [(date(2026, 9, 7), date(2026, 10, 9))]
    assert [e.kind for e in detection.episodes] == ["relatief", "vrijstelling"]


def test_running_detection_ten_times_gives_the_same_single_thuiszitter_signal_key() -> None:
    records = absent(date(2026, 9, 7), date(2026, 12, 18))
    keys = set()
    for day in range(10):
        found = of_kind(run(date(2026, 10, 6) + timedelta(days=day), records), "thuiszitter")
        assert len(found) == 1
        keys.add(found[0].key)
    assert keys == {"L-0001:thuiszitter:2026-09-07"}
    again = [run(date(2026, 10, 20), records) for _ in range(10)]
    assert all(detection == again[0] for detection in again)


def test_returning_to_school_ends_the_episode_and_a_later_absence_is_a_new_one_with_a_new_key() -> None:
    first = absent(date(2026, 9, 7), date(2026, 10, 9))
    second = absent(date(2026, 11, 2), date(2026, 12, 18))  # present 12-16 October and 26-30 October
    detection = run(date(2026, 12, 19), first + second)
    keys = [signal.key for signal in of_kind(detection, "thuiszitter")]
    assert keys == ["L-0001:thuiszitter:2026-09-07", "L-0001:thuiszitter:2026-11-02"]
    episodes = [(e.first_day, e.last_day, e.kind) for e in detection.episodes]
    assert episodes == [(date(2026, 9, 7), date(2026, 10, 9), "relatief"),
                        (date(2026, 11, 2), None, "relatief")]


def test_one_day_at_school_is_enough_to_end_an_episode() -> None:
    records = tuple(a for a in absent(date(2026, 9, 7), date(2026, 11, 27)) if a.day != date(2026, 10, 8))
    detection = run(date(2026, 12, 1), records)
    assert [e.first_day for e in detection.episodes] == [date(2026, 9, 7), date(2026, 10, 9)]
    assert detection.episodes[0].last_day == date(2026, 10, 7)


def test_authorised_absence_counts_as_present() -> None:
    records = absent(date(2026, 9, 7), date(2026, 11, 27), authorized=True)
    assert run(date(2026, 12, 1), records).signals == ()


def test_detection_as_of_a_day_ignores_that_day_and_later_records() -> None:
    records = absent(date(2026, 9, 7), date(2026, 10, 2))
    assert of_kind(run(date(2026, 10, 5), records), "thuiszitter") == []
    assert of_kind(run(date(2026, 10, 6), records), "thuiszitter") == []  # 5 October not recorded: present


def test_a_transfer_without_a_day_at_school_continues_the_same_episode() -> None:
    old = Enrollment("L-0001", "12AB", "po", date(2018, 8, 20), date(2026, 9, 18))
    new = Enrollment("L-0001", "78GH", "sbo", date(2026, 9, 21))
    records = absent(date(2026, 9, 7), date(2026, 9, 18)) + absent(date(2026, 9, 21), date(2026, 10, 30), school="78GH")
    [signal] = of_kind(run(date(2026, 11, 2), records, (old, new)), "thuiszitter")
    assert (signal.since, signal.reached_on, signal.school_brin) == (date(2026, 9, 7), date(2026, 10, 5), "78GH")


# -- dreigend ---------------------------------------------------------------------------------------


def test_dreigend_thuiszitter_after_two_complete_school_weeks() -> None:
    records = absent(date(2026, 9, 7), date(2026, 9, 25))
    assert of_kind(run(date(2026, 9, 18), records), "dreigend_thuiszitter") == []
    [signal] = of_kind(run(date(2026, 9, 19), records), "dreigend_thuiszitter")
    assert signal.reached_on == date(2026, 9, 18)
    assert signal.recipients == ("zorgcoordinator", "swv_coordinator")
    assert (signal.school_brin, signal.key) == ("12AB", "L-0001:dreigend_thuiszitter:2026-09-07")


def test_a_partial_first_week_does_not_count_towards_dreigend() -> None:
    records = absent(date(2026, 9, 9), date(2026, 9, 25))  # from a Wednesday
    [signal] = of_kind(run(date(2026, 10, 1), records), "dreigend_thuiszitter")
    assert (signal.since, signal.reached_on) == (date(2026, 9, 9), date(2026, 9, 25))


def test_the_dreigend_threshold_follows_the_profile_setting() -> None:
    records = absent(date(2026, 9, 7), date(2026, 9, 25))
    [signal] = of_kind(run(date(2026, 10, 1), records, settings=VerzuimSettings(dreigend_weken=3)),
                       "dreigend_thuiszitter")
    assert signal.reached_on == date(2026, 9, 25)


# -- meldplicht -------------------------------------------------------------------------------------

VO = Enrollment("L-0001", "12AB", "vo", date(2018, 8, 20))


def lessons(*days_and_hours: tuple[date, float]) -> tuple[Absence, ...]:
    return tuple(Absence("L-0001", day, hours, authorized=False, reason="spijbelen") for day, hours in days_and_hours)


def test_16_plus_16_hours_give_two_meldplicht_signals() -> None:
    records = lessons((date(2026, 9, 7), 8), (date(2026, 9, 8), 8), (date(2026, 9, 9), 8), (date(2026, 9, 10), 8))
    signals = of_kind(run(date(2026, 9, 14), records, (VO,)), "meldplicht")
    assert [(s.reached_on, s.hours, s.hour_unit) for s in signals] == [
        (date(2026, 9, 8), 16.0, "lesuren"), (date(2026, 9, 10), 16.0, "lesuren")]
    assert [s.key for s in signals] == ["L-0001:meldplicht:12AB:2026-09-08:1", "L-0001:meldplicht:12AB:2026-09-10:1"]
    assert all(s.recipients == ("zorgcoordinator",) for s in signals)


def test_15_hours_give_no_meldplicht_signal() -> None:
    records = lessons((date(2026, 9, 7), 8), (date(2026, 9, 8), 7))
    assert of_kind(run(date(2026, 9, 14), records, (VO,)), "meldplicht") == []


def test_hours_spread_over_more_than_four_school_weeks_give_no_meldplicht_signal() -> None:
    five_weeks = lessons((date(2026, 9, 7), 8), (date(2026, 10, 5), 8))
    assert of_kind(run(date(2026, 10, 12), five_weeks, (VO,)), "meldplicht") == []
    four_weeks = lessons((date(2026, 9, 7), 8), (date(2026, 9, 28), 8))
    assert len(of_kind(run(date(2026, 10, 12), four_weeks, (VO,)), "meldplicht")) == 1


def test_a_holiday_week_does_not_count_in_the_meldplicht_window() -> None:
    records = lessons((date(2026, 10, 5), 8), (date(2026, 11, 2), 8))  # four school weeks in midden
    [signal] = of_kind(run(date(2026, 11, 9), records, (VO,)), "meldplicht")
    assert (signal.since, signal.reached_on, signal.school_weeks) == (date(2026, 10, 5), date(2026, 11, 2), 4)


def test_po_hours_are_clock_hours_and_fractions_add_up_exactly() -> None:
    records = lessons(*((date(2026, 9, 7) + timedelta(days=d), 3.2) for d in range(5)))
    [signal] = of_kind(run(date(2026, 9, 14), records), "meldplicht")
    assert (signal.reached_on, signal.hour_unit) == (date(2026, 9, 11), "klokuren")


def test_meldplicht_keys_stay_the_same_when_later_records_arrive() -> None:
    early = lessons((date(2026, 9, 7), 8), (date(2026, 9, 8), 9))
    later = (*early, *lessons((date(2026, 9, 9), 8), (date(2026, 9, 14), 7)))
    before = {s.key for s in of_kind(run(date(2026, 9, 9), early, (VO,)), "meldplicht")}
    after = {s.key for s in of_kind(run(date(2026, 9, 21), later, (VO,)), "meldplicht")}
    assert before == {"L-0001:meldplicht:12AB:2026-09-08:1"}
    assert after == before | {"L-0001:meldplicht:12AB:2026-09-14:1"}  # 1 left over + 8 + 7 = 16


# -- absoluut ---------------------------------------------------------------------------------------

LEFT = Enrollment("L-0001", "12AB", "po", date(2018, 8, 20), date(2026, 10, 2))


def test_absoluut_after_more_than_seven_days_unenrolled_for_a_leerplichtig_pupil() -> None:
    assert of_kind(run(date(2026, 10, 10), (), (LEFT,)), "thuiszitter") == []
    [signal] = of_kind(run(date(2026, 10, 11), (), (LEFT,)), "thuiszitter")
    assert (signal.soort, signal.since, signal.reached_on) == ("absoluut", date(2026, 10, 3), date(2026, 10, 10))
    assert (signal.school_brin, signal.residence_cbs) == ("12AB", "GM0344")
    assert "nergens ingeschreven" in signal.summary


def test_a_pupil_still_enrolled_nowhere_has_an_open_absoluut_episode() -> None:
    """The episode runs up to the day before the as-of date and is not closed there."""
    [episode] = run(date(2026, 10, 20), (), (LEFT,)).episodes
    assert (episode.kind, episode.first_day, episode.last_day) == ("absoluut", date(2026, 10, 3), None)


def test_a_pupil_absent_and_then_unenrolled_is_one_episode_that_turns_absoluut() -> None:
    records = absent(date(2026, 9, 21), date(2026, 10, 2))
    [signal] = of_kind(run(date(2026, 10, 20), records, (LEFT,)), "thuiszitter")
    assert (signal.soort, signal.since, signal.reached_on) == ("absoluut", date(2026, 9, 21), date(2026, 10, 10))
    assert "sinds 3 oktober 2026 nergens ingeschreven (thuis sinds 21 september 2026)" in signal.summary


def test_placement_followed_by_presence_ends_the_absoluut_episode() -> None:
    placed = Enrollment("L-0001", "78GH", "sbo", date(2026, 10, 19))
    detection = run(date(2026, 11, 2), (), (LEFT, placed))
    [episode] = detection.episodes
    assert (episode.kind, episode.first_day, episode.last_day) == ("absoluut", date(2026, 10, 3), date(2026, 10, 18))


def test_placement_followed_by_absence_continues_the_absoluut_episode() -> None:
    placed = Enrollment("L-0001", "78GH", "sbo", date(2026, 10, 19))
    records = absent(date(2026, 10, 19), date(2026, 12, 4), school="78GH")
    detection = run(date(2026, 12, 1), records, (LEFT, placed))
    assert [s.key for s in of_kind(detection, "thuiszitter")] == ["L-0001:thuiszitter:2026-10-03"]
    assert [(e.kind, e.last_day) for e in detection.episodes] == [("absoluut", None)]


SEVENTEEN = Pupil("L-0003", date(2009, 5, 1), "GM0344")
"""Leerplicht ended on 31 July 2025; kwalificatieplichtig until 30 April 2027."""
SEVENTEEN_LEFT = Enrollment("L-0003", "12AB", "vo", date(2013, 8, 19), date(2026, 10, 2))


def test_no_absoluut_signal_for_a_4_year_old() -> None:
    four = Pupil("L-0002", date(2022, 5, 1), "GM0344")
    assert run(date(2026, 12, 1), (), (), pupil=four).signals == ()


def test_a_kwalificatieplichtige_enrolled_nowhere_is_an_absoluut_thuiszitter_by_default() -> None:
    detection = run(date(2026, 12, 1), (), (SEVENTEEN_LEFT,), pupil=SEVENTEEN)
    [signal] = of_kind(detection, "thuiszitter")
    assert (signal.soort, signal.reached_on) == ("absoluut", date(2026, 10, 10))
    assert "L-0003 is kwalificatieplichtig en sinds 3 oktober 2026 nergens ingeschreven" in signal.summary
    assert [e.duty for e in detection.episodes] == ["kwalificatieplicht"]


def test_a_profile_may_limit_the_thuiszitter_rules_to_leerplichtigen() -> None:
    settings = VerzuimSettings(kwalificatieplicht_telt=False)
    detection = run(date(2026, 12, 1), (), (SEVENTEEN_LEFT,), pupil=SEVENTEEN, settings=settings)
    assert of_kind(detection, "thuiszitter") == []


def test_days_before_records_from_are_not_counted_as_unenrolled() -> None:
    late = Enrollment("L-0001", "12AB", "po", date(2026, 8, 1))
    records = PupilRecords(PUPIL, (late,))
    assert [e.first_day for e in detect(records, calendars=SCHOOLS, as_of=date(2026, 12, 1)).episodes] == [
        date(2019, 4, 1)]
    assert detect(records, calendars=SCHOOLS, as_of=date(2026, 12, 1), records_from=date(2026, 8, 1)).episodes == ()


# -- escalatie and the register ---------------------------------------------------------------------


def test_an_episode_still_open_three_months_after_its_start_escalates() -> None:
    records = absent(date(2026, 9, 7), date(2027, 1, 29))
    assert of_kind(run(date(2026, 12, 7), records), "escalatie") == []
    [signal] = of_kind(run(date(2026, 12, 8), records), "escalatie")
    assert signal.reached_on == date(2026, 12, 7)
    assert signal.key == "L-0001:thuiszitter:2026-09-07:escalatie"
    assert signal.recipients == ("swv_coordinator", "leerplicht")
    assert signal.soort == "relatief"


def test_an_episode_that_ended_before_three_months_does_not_escalate() -> None:
    records = absent(date(2026, 9, 7), date(2026, 11, 27))
    assert of_kind(run(date(2027, 1, 15), records), "escalatie") == []


def test_the_register_buckets_episodes_as_the_inspectie_does() -> None:
    short = run(date(2027, 1, 15), absent(date(2026, 9, 7), date(2026, 10, 30))).episodes[0]
    long = run(date(2027, 1, 15), absent(date(2026, 9, 7), date(2027, 1, 14))).episodes[0]
    gone = run(date(2026, 11, 1), (), (LEFT,)).episodes[0]
    assert register_category(short, date(2027, 1, 15)) == "relatief 4 weken–3 maanden"
    assert register_category(long, date(2027, 1, 15)) == "relatief > 3 maanden"
    assert register_category(gone, date(2026, 11, 1)) == "absoluut"
    assert short.key == "L-0001:thuiszitter:2026-09-07"


# -- vrijstelling 5 onder a -------------------------------------------------------------------------


def test_a_5a_vrijstelling_ending_with_the_school_year_gets_a_reminder_from_1_june() -> None:
    vrijstelling = Vrijstelling("L-0001", "5a", date(2026, 8, 1), date(2027, 7, 31))
    assert of_kind(run(date(2027, 6, 1), vrijstellingen=(vrijstelling,)), "vrijstelling_herinnering") == []
    [signal] = of_kind(run(date(2027, 6, 2), vrijstellingen=(vrijstelling,)), "vrijstelling_herinnering")
    assert (signal.reached_on, signal.recipients) == (date(2027, 6, 1), ("swv_coordinator",))
    assert signal.key == "L-0001:vrijstelling_herinnering:2026-08-01:2026-27"
    assert of_kind(run(date(2027, 8, 2), vrijstellingen=(vrijstelling,)), "vrijstelling_herinnering") == []


def test_a_5a_vrijstelling_stays_in_the_register() -> None:
    vrijstelling = Vrijstelling("L-0001", "5a", date(2026, 8, 1), None)
    detection = run(date(2027, 6, 15), vrijstellingen=(vrijstelling,))
    [episode] = detection.episodes
    assert (episode.kind, episode.first_day, episode.last_day) == ("vrijstelling", date(2026, 8, 1), None)
    assert register_category(episode, date(2027, 6, 15)) == "vrijstelling"
    [reminder] = of_kind(detection, "vrijstelling_herinnering")  # open-ended: ends with the school year
    assert reminder.key.endswith(":2026-27")


def test_a_5a_vrijstelling_ending_mid_year_gets_no_reminder() -> None:
    vrijstelling = Vrijstelling("L-0001", "5a", date(2026, 8, 1), date(2027, 3, 31))
    assert of_kind(run(date(2027, 3, 1), vrijstellingen=(vrijstelling,)), "vrijstelling_herinnering") == []


# -- what the signals say ---------------------------------------------------------------------------


def test_summaries_are_dutch_and_carry_ids_dates_and_weeks_but_no_names() -> None:
    records = absent(date(2026, 9, 7), date(2027, 1, 29))
    detection = run(date(2027, 1, 4), records)
    [alert] = of_kind(detection, "thuiszitter")
    assert alert.summary == ("Thuiszitter (relatief verzuim): leerling L-0001, ingeschreven op school 12AB, is sinds "
                             "7 september 2026 ongeoorloofd afwezig zonder vrijstelling: meer dan 4 schoolweken "
                             "op 5 oktober 2026.")
    assert all(len(signal.key) <= 200 for signal in detection.signals)


def test_settings_are_validated_and_read_from_profile_data() -> None:
    assert VerzuimSettings.from_data({"thuiszitter_weken": 6}).thuiszitter_weken == 6
    with pytest.raises(ValueError, match="unknown verzuim setting"):
        VerzuimSettings.from_data({"thuiszitterweken": 6})
    with pytest.raises(ValueError, match="whole number"):
        VerzuimSettings(meldplicht_uren=0)


def test_a_school_calendar_override_moves_the_thuiszitter_date() -> None:
    own = SCHOOLS["12AB"].with_holidays([], remove=[("2026-27", "herfstvakantie")])
    weekdays = (date(2026, 10, 5) + timedelta(days=n) for n in range(60))
    records = PupilRecords(PUPIL, (AT_12AB,), tuple(Absence("L-0001", day, 5, authorized=False) for day in weekdays
                                                     if day.weekday() < 5))
    detection = detect(records, calendars=replace_calendar("12AB", own), as_of=date(2026, 12, 1))
    [signal] = of_kind(detection, "thuiszitter")
    assert signal.reached_on == date(2026, 11, 2)  # no holiday: four weeks after 5 October


def replace_calendar(brin: str, calendar: SchoolCalendar) -> dict[str, SchoolCalendar]:
    return {**SCHOOLS, brin: calendar}


def test_records_of_other_kinds_of_day_are_ignored() -> None:
    saturday = Absence("L-0001", date(2026, 9, 12), 8, authorized=False)
    herfstvakantie = Absence("L-0001", date(2026, 10, 20), 8, authorized=False)
    before_leerplicht = replace(PUPIL, birth_date=date(2022, 1, 10))
    assert run(date(2026, 11, 30), (saturday, herfstvakantie, saturday)).signals == ()
    assert run(date(2026, 9, 30), lessons((date(2026, 9, 7), 8), (date(2026, 9, 8), 8)),
               pupil=before_leerplicht).signals == ()  # a 4-year-old at school: no meldplicht
