"""Meldplicht followed through and the SWV consulted before a 5a (issue 15 items 4-5): the report's term in
working days (Leerplichtwet art. 21a 'onverwijld'; Inspectie: within 5 working days), its status and
escalation, the report's checks, and the consultation rule (seed 001 §4.7).
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.verzuim import VerzuimSettings
from domain.verzuim.melding import (
    MELDING_KINDS,
    consult_problem,
    escalates,
    meld_uiterlijk,
    melding_problems,
    melding_status,
    niet_gemeld_text,
    raadplegen_uiterlijk,
)

MONDAY = date(2026, 10, 5)


def test_a_signal_reached_on_a_monday_must_be_reported_by_the_next_monday() -> None:
    """Tuesday to Friday are four working days, the weekend none: the fifth is Monday 12 October."""
    assert meld_uiterlijk(MONDAY) == date(2026, 10, 12)


def test_a_report_on_the_last_working_day_is_in_time_and_the_day_after_is_late() -> None:
    assert melding_status(MONDAY, date(2026, 10, 12), date(2026, 10, 20)) == "op_tijd"
    assert melding_status(MONDAY, date(2026, 10, 13), date(2026, 10, 20)) == "te_laat"


def test_a_report_on_the_day_the_signal_was_reached_is_in_time() -> None:
    assert melding_status(MONDAY, MONDAY, MONDAY) == "op_tijd"


def test_a_weekend_does_not_count_as_working_days() -> None:
    """Reached on Friday 9 October: Monday 12 to Friday 16 October."""
    assert meld_uiterlijk(date(2026, 10, 9)) == date(2026, 10, 16)


def test_holidays_of_the_algemene_termijnenwet_do_not_count() -> None:
    """Reached on Monday 3 May 2027: 5 mei, Hemelvaartsdag (6 May) and the Friday after it (7 May) do not
    count, so Tuesday 4, Monday 10, Tuesday 11, Wednesday 12 and Thursday 13 May: the fifth is 13 May.
    """
    assert meld_uiterlijk(date(2027, 5, 3)) == date(2027, 5, 13)
    assert meld_uiterlijk(date(2027, 4, 22)) == date(2027, 4, 30)  # Koningsdag, Tuesday 27 April, skipped


def test_a_school_holiday_week_still_counts_working_days() -> None:
    """Reached Friday 16 October 2026, before the herfstvakantie: the school is closed but DUO is not."""
    assert meld_uiterlijk(date(2026, 10, 16)) == date(2026, 10, 23)


def test_a_profile_may_set_another_number_of_working_days() -> None:
    assert meld_uiterlijk(MONDAY, 2) == date(2026, 10, 7)
    assert VerzuimSettings().meldplicht_termijn_werkdagen == 5
    assert VerzuimSettings.from_data({"meldplicht_termijn_werkdagen": 3}).meldplicht_termijn_werkdagen == 3


def test_an_unreported_signal_escalates_only_after_its_last_day() -> None:
    """A run as of the last day (06:00, the day not yet over) does not escalate; the run the next day does."""
    assert not escalates(MONDAY, None, date(2026, 10, 12))
    assert escalates(MONDAY, None, date(2026, 10, 13))
    assert melding_status(MONDAY, None, date(2026, 10, 12)) == "open"
    assert melding_status(MONDAY, None, date(2026, 10, 13)) == "niet_gemeld"


def test_a_reported_signal_never_escalates_even_when_reported_late() -> None:
    assert not escalates(MONDAY, date(2026, 10, 12), date(2026, 11, 30))
    assert not escalates(MONDAY, date(2026, 10, 20), date(2026, 11, 30))


def test_a_valid_report_has_no_problems() -> None:
    assert melding_problems("zestien_uur", date(2026, 10, 7), MONDAY, date(2026, 10, 8)) == []
    assert set(MELDING_KINDS) >= {"zestien_uur", "langdurig_relatief", "luxe", "achttien_plus", "overig"}


def test_an_unknown_kind_is_refused_naming_the_kinds_allowed() -> None:
    problems = melding_problems("zestien", date(2026, 10, 7), MONDAY, date(2026, 10, 8))
    assert problems == [("Soort melding 'zestien' kan niet; kies uit zestien_uur, langdurig_relatief, luxe, "
                        "achttien_plus, overig.")]


def test_a_report_before_the_signal_or_in_the_future_is_refused() -> None:
    assert "vóór de dag waarop de meldplicht ontstond" in melding_problems(
        "zestien_uur", date(2026, 10, 4), MONDAY, date(2026, 10, 8))[0]
    assert "in de toekomst" in melding_problems("zestien_uur", date(2026, 10, 9), MONDAY, date(2026, 10, 8))[0]


def test_the_escalation_text_names_ids_dates_and_the_law_but_no_name() -> None:
    text = niet_gemeld_text("lln-1", "14PS03", MONDAY, date(2026, 10, 12), 5)
    assert text == ("Verzuimmelding niet gedaan: de meldplicht voor leerling lln-1 op school 14PS03 ontstond op "
                    "5 oktober 2026; de school had uiterlijk 12 oktober 2026 (5 werkdagen) bij DUO moeten melden "
                    "(Leerplichtwet art. 21a) en heeft geen melding vastgelegd.")


def test_the_swv_is_asked_to_respond_within_the_profiles_days() -> None:
    assert raadplegen_uiterlijk(date(2026, 9, 1)) == date(2026, 9, 15)
    assert raadplegen_uiterlijk(date(2026, 9, 1), 7) == date(2026, 9, 8)


def test_a_5a_without_consultation_is_refused_where_the_profile_requires_it() -> None:
    problem = consult_problem("5a", date(2026, 9, 1), required=True, consulted=False)
    assert problem is not None
    assert "SWV-coördinator is geraadpleegd" in problem


@pytest.mark.parametrize(("kind", "required", "consulted"), [
    ("5a", True, True), ("5a", False, False), ("5b", True, False)])
def test_a_5a_with_consultation_another_kind_or_another_profile_is_accepted(kind: str, required: bool,
                                                                            consulted: bool) -> None:
    assert consult_problem(kind, date(2026, 9, 1), required=required, consulted=consulted) is None


def test_consultation_is_required_only_where_the_profile_says_so() -> None:
    assert not VerzuimSettings().vrijstelling_raadpleging_swv
    assert VerzuimSettings.from_data({"vrijstelling_raadpleging_swv": True}).vrijstelling_raadpleging_swv
