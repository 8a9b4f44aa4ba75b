"""The stalled-pathways digest as a pure function: cases over their stage's norm (in whole days on the
Dutch wall clock), overdue deadlines, counts; and the profile norms it reads, validated when loaded.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.context import Profile
from domain.durations import Duration
from domain.registry import PathwayRegistry
from domain.stalled import (
    STAGE_NORMS,
    CaseSummary,
    DigestNotAllowed,
    PendingTimer,
    build_digest,
    check_digest_reader,
    iso_week,
    stage_norms,
)
from infra.reference.profiles import ProfileError, load_profile, load_profiles

NL = ZoneInfo("Europe/Amsterdam")
DEFINITIONS = PathwayRegistry.builtin().definitions
NORMS = {"knooppunt": {"aangevraagd": Duration(weeks=4), "gepland": Duration(weeks=4)},
         "opp": {"concept": Duration(weeks=6)}}
ENTERED = datetime(2026, 10, 5, 10, 0, tzinfo=NL)
"""A Monday morning in October (summer time)."""
PROFILE = "zuid-limburg-po"


def case(case_id: str = "c1", pathway: str = "knooppunt", stage: str = "aangevraagd",
         entered: datetime = ENTERED, profile: str = PROFILE) -> CaseSummary:
    return CaseSummary(case_id, pathway, 1, stage, entered, "14PS03", profile)


def timer(due_at: datetime, case_id: str = "c9", pathway: str = "opp", name: str = "opp_termijn",
          profile: str = PROFILE) -> PendingTimer:
    return PendingTimer(case_id, pathway, 1, "14PS03", profile, name, due_at)


def digest_at(as_of: datetime, cases: list[CaseSummary], timers: list[PendingTimer] | None = None,
              norms: dict[str, dict[str, Duration]] | None = None) -> dict[str, Any]:
    return build_digest(PROFILE, NORMS if norms is None else norms, cases, timers or [], DEFINITIONS,
                        as_of).to_data()


def test_a_case_over_its_stage_norm_is_listed_with_the_days_over() -> None:
    """A knooppunt requested 34 days ago, norm 4 weeks: 28 norm days, 6 days over, with the stage's label."""
    found = digest_at(ENTERED + timedelta(days=34), [case()])
    assert found["stalled_cases"] == [{
        "case_id": "c1", "pathway": "knooppunt", "stage": "aangevraagd", "stage_label": "Aangevraagd",
        "school_brin": "14PS03", "stage_entered_at": ENTERED.isoformat(), "days_in_stage": 34,
        "norm": "P4W", "norm_days": 28, "days_over": 6}]


def test_exactly_at_the_norm_a_case_is_not_stalled_and_one_day_later_it_is() -> None:
    """28 days (even 28 days and 23 hours) in a 4-week stage is within the norm; 29 days is one day over."""
    assert digest_at(ENTERED + timedelta(days=28), [case()])["stalled"] == 0
    assert digest_at(ENTERED + timedelta(days=28, hours=23), [case()])["stalled"] == 0
    assert [s["days_over"] for s in digest_at(ENTERED + timedelta(days=29), [case()])["stalled_cases"]] == [1]


def test_days_are_counted_on_the_dutch_wall_clock_across_the_end_of_summer_time() -> None:
    """From 10:00 summer time to 09:30 winter time 29 days later is 28 days and 23.5 hours on the
    clock on the wall (within a 4-week norm), although 29 days and half an hour have passed.
    """
    as_of = datetime(2026, 11, 3, 8, 30, tzinfo=UTC)
    assert as_of - ENTERED.astimezone(UTC) == timedelta(days=29, minutes=30)
    assert digest_at(as_of, [case()])["stalled"] == 0
    assert digest_at(as_of + timedelta(minutes=30), [case()])["stalled"] == 1


def test_a_case_in_a_final_stage_is_never_stalled_even_with_a_norm_for_it() -> None:
    """A held knooppunt is done, however long ago, and whatever a norm says."""
    norms = {"knooppunt": {"gehouden": Duration(days=1)}}
    assert digest_at(ENTERED + timedelta(days=400), [case(stage="gehouden")], norms=norms)["stalled"] == 0


def test_a_stage_without_a_norm_is_never_stalled() -> None:
    """An OPP in force has no norm (its yearly evaluation is a timer), so it is not listed."""
    assert digest_at(ENTERED + timedelta(days=400), [case(pathway="opp", stage="in_werking")])["stalled"] == 0


def test_a_profile_without_norms_lists_no_stalled_cases() -> None:
    """The law's standard profile sets no norms: its digest lists only overdue deadlines."""
    assert stage_norms(Profile("standaard", "Wettelijke standaard")) == {}
    assert digest_at(ENTERED + timedelta(days=400), [case()], norms={})["stalled"] == 0


def test_overdue_timers_are_listed_with_label_last_day_and_days_past_it_once_the_last_day_is_over() -> None:
    """On Monday 9 November: a term whose last day was Thursday 5 November is 4 days over; one whose last day
    was Sunday 8 November is 1 day over (it passed at midnight); one whose last day is today is not listed.
    """
    as_of = datetime(2026, 11, 9, 9, 0, tzinfo=NL)
    midnight = datetime(2026, 11, 9, tzinfo=NL)
    timers = [timer(midnight - timedelta(days=3)), timer(midnight, case_id="c8"),
              timer(midnight + timedelta(days=1), "c7")]
    found = digest_at(as_of, [], timers)
    assert found["overdue_timers"] == [
        {"case_id": "c9", "pathway": "opp", "school_brin": "14PS03", "timer": "opp_termijn",
         "label": "OPP binnen 6 weken na start extra ondersteuning in werking",
         "due_at": (midnight - timedelta(days=3)).isoformat(), "days_overdue": 4, "last_day": "2026-11-05"},
        {"case_id": "c8", "pathway": "opp", "school_brin": "14PS03", "timer": "opp_termijn",
         "label": "OPP binnen 6 weken na start extra ondersteuning in werking",
         "due_at": midnight.isoformat(), "days_overdue": 1, "last_day": "2026-11-08"}]


def test_the_counts_are_per_pathway_and_stage_and_per_pathway_and_timer() -> None:
    """Two stalled knooppunten requested, one planned, one OPP concept; two overdue timers of one kind."""
    as_of = ENTERED + timedelta(days=60)
    cases = [case("c1"), case("c2"), case("c3", stage="gepland"), case("c4", pathway="opp", stage="concept")]
    found = digest_at(as_of, cases, [timer(as_of - timedelta(days=1), "c4"), timer(as_of - timedelta(days=2), "c5")])
    assert (found["stalled"], found["overdue"]) == (4, 2)
    assert found["stalled_per_stage"] == {"knooppunt": {"aangevraagd": 2, "gepland": 1}, "opp": {"concept": 1}}
    assert found["overdue_per_timer"] == {"opp": {"opp_termijn": 2}}


def test_the_most_days_over_come_first() -> None:
    """The case waiting longest heads the list; the overdue deadlines run oldest first."""
    as_of = ENTERED + timedelta(days=60)
    cases = [case("recent", entered=ENTERED + timedelta(days=20)), case("oldest", entered=ENTERED - timedelta(days=9))]
    timers = [timer(as_of - timedelta(days=1), "later"), timer(as_of - timedelta(days=5), "first")]
    found = digest_at(as_of, cases, timers)
    assert [s["case_id"] for s in found["stalled_cases"]] == ["oldest", "recent"]
    assert [t["case_id"] for t in found["overdue_timers"]] == ["first", "later"]


def test_cases_and_timers_of_another_profile_are_left_out() -> None:
    """A digest is one SWV's: rows of another profile do not count."""
    as_of = ENTERED + timedelta(days=60)
    found = digest_at(as_of, [case(profile="vo-31-02")], [timer(as_of - timedelta(days=1), profile="vo-31-02")])
    assert (found["stalled"], found["overdue"]) == (0, 0)


def test_the_digest_names_cases_and_schools_only_and_its_counts_no_case_at_all() -> None:
    """No pupil id anywhere; the counts (what the event carries) hold no case id; all of it is JSON."""
    as_of = ENTERED + timedelta(days=60)
    built = build_digest(PROFILE, NORMS, [case("c1")], [timer(as_of - timedelta(days=1), "c2")], DEFINITIONS, as_of)
    text = json.dumps(built.to_data())
    assert "pupil" not in text
    assert "c1" not in json.dumps(built.counts())
    assert "c2" not in json.dumps(built.counts())
    assert built.counts()["stalled"] == built.counts()["overdue"] == 1


@pytest.mark.parametrize(("instant", "week"), [
    (datetime(2026, 11, 16, 6, 0, tzinfo=NL), "2026-W47"),
    (datetime(2026, 11, 22, 23, 30, tzinfo=UTC), "2026-W48"),  # Sunday in UTC, Monday 00:30 in the Netherlands
    (datetime(2027, 1, 1, 12, 0, tzinfo=NL), "2026-W53"),      # ISO weeks cross the new year
])
def test_the_week_is_the_iso_week_in_the_netherlands(instant: datetime, week: str) -> None:
    """The digest's week is the ISO week of as_of on the Dutch calendar."""
    assert iso_week(instant) == week


def test_a_naive_as_of_is_refused() -> None:
    """An instant without a timezone is ambiguous: the digest refuses it."""
    with pytest.raises(ValueError, match="timezone-aware"):
        build_digest(PROFILE, NORMS, [], [], DEFINITIONS, datetime(2026, 11, 9, 9, 0))  # noqa: DTZ001


@pytest.mark.parametrize("role", ["swv_coordinator", "bto", "admin"])
def test_the_swv_coordinator_the_bto_and_admins_may_read_digests(role: str) -> None:
    """Those who monitor every pathway of the SWV."""
    check_digest_reader(role)


@pytest.mark.parametrize("role", ["zorgcoordinator", "leerplicht", "deskundige"])
def test_other_roles_may_not_read_digests_and_are_told_so_in_dutch(role: str) -> None:
    """A school's zorgcoordinator sees their own cases, not the SWV's digest."""
    with pytest.raises(DigestNotAllowed) as refused:
        check_digest_reader(role)
    assert refused.value.detail_nl.startswith(f"Met de rol '{role}' kunt u de overzichten")
    assert refused.value.roles == ("admin", "bto", "swv_coordinator")


def test_the_shipped_profiles_carry_stage_norms_that_the_registry_accepts() -> None:
    """Both SWVs have norms (knooppunt in Zuid-Limburg, RTO in VO 31-02), as durations, on real stages."""
    profiles = load_profiles()
    PathwayRegistry.builtin(profiles=profiles)
    assert stage_norms(profiles["zuid-limburg-po"])["knooppunt"]["aangevraagd"] == Duration(weeks=4)
    assert stage_norms(profiles["vo-31-02"])["rto"]["aangevraagd"] == Duration(weeks=4)
    assert stage_norms(profiles["vo-31-02"])["tlv"]["compleet"] == Duration(weeks=6)


def test_a_norm_with_a_bad_duration_is_refused_naming_the_file_and_the_key(tmp_path: Path) -> None:
    """The duration format is checked when the file is read."""
    path = tmp_path / "x-1.yaml"
    path.write_text("code: x-1\nname: SWV X\nsector: po\ncascade: {levels: [a, b]}\n"
                    "norms: {opp: {concept: {weken: 6}}}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"x-1.yaml: norms: Value error, opp.concept: unknown duration unit"):
        load_profile(path)


@pytest.mark.parametrize(("norms", "message"), [
    ({"nergens": {"a": Duration(weeks=1)}}, "profile 'x': norms name pathway 'nergens', which does not exist"),
    ({"opp": {"klaar": Duration(weeks=1)}}, "profile 'x': norms: pathway 'opp' has no stage 'klaar'; its stages: "),
    ({"opp": {"afgesloten": Duration(weeks=1)}},
     "profile 'x': norms: stage 'afgesloten' of pathway 'opp' is final; a closed case never stalls"),
])
def test_a_norm_must_name_a_pathway_and_a_stage_that_can_stall(norms: dict[str, object], message: str) -> None:
    """Checked where the registry is built, against the shipped definitions."""
    wrong = Profile("x", "SWV X", settings={STAGE_NORMS: norms})
    with pytest.raises(ValueError, match=message):
        PathwayRegistry.builtin(profiles={"x": wrong})
