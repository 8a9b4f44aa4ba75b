"""The rule a store marks passed deadlines by (``domain.missed_deadlines``), on the shipped definitions: which
commands mark a missed deadline, in which stages one that keeps the stage stays open, and which events may change
a case's marks.
"""

from __future__ import annotations

from datetime import UTC, datetime

from domain.case import Actor, Event
from domain.missed_deadlines import MissedDeadlines
from domain.registry import PathwayRegistry

MISSED = PathwayRegistry.builtin().missed_deadlines
NOW = datetime(2026, 10, 20, tzinfo=UTC)


def event(command: str, stage_from: str | None, stage_to: str) -> Event:
    return Event("c-1", 2, "e", command, stage_from, stage_to, {}, Actor("systeem", "termijnbewaking"), "opp", 1, NOW,
                 NOW)


def test_an_opp_too_late_stays_open_in_the_stages_its_command_fires_from_and_is_handled_in_werking() -> None:
    assert MISSED.in_stage("opp", "concept").opened_by_firing("meld_opp_te_laat") is True
    assert MISSED.in_stage("opp", "wacht_op_instemming").opened_by_firing("meld_opp_te_laat") is True
    assert MISSED.in_stage("opp", "in_werking").opened_by_firing("meld_opp_te_laat") is False


def test_a_lapsed_tlv_that_moved_the_case_is_open_when_its_command_fires_wherever_the_case_went() -> None:
    assert "meld_tlv_verlopen" in MISSED.moving["herbeoordeling"]
    assert MISSED.in_stage("herbeoordeling", "verlopen").opened_by_firing("meld_tlv_verlopen") is True


def test_a_command_that_marks_no_missed_deadline_gets_no_mark() -> None:
    assert MISSED.in_stage("opp", "concept").opened_by_firing("leg_handelingsdeel_voor") is None
    assert MISSED.in_stage("opp", "concept").opened_by_firing("meld_tlv_verlopen") is None  # another pathway's


def test_an_event_that_moves_the_stage_or_is_a_missed_deadline_may_change_the_marks_and_others_do_not() -> None:
    marks = MISSED.in_stage("opp", "concept")
    assert marks.touched_by(event("leg_handelingsdeel_voor", "concept", "wacht_op_instemming"))
    assert marks.touched_by(event("meld_opp_te_laat", "concept", "concept"))
    assert not marks.touched_by(event("leg_uitstroomprofiel_vast", "concept", "concept"))
    assert not marks.touched_by(event("start_opp", None, "concept"))


def test_the_rule_of_no_definitions_marks_nothing() -> None:
    assert MissedDeadlines.of([]).in_stage("opp", "concept").commands == frozenset()
