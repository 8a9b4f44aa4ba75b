"""The signalering pathway (DOMAIN.md §3 Signalering) on the Case aggregate, with time passed in as instants."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain.case import Actor, Case, Command, Decision, Timer
from domain.context import Context, Profile
from domain.definition import PathwayDefinition
from domain.durations import NL, Duration
from domain.errors import GuardFailed, InvalidCommand, RoleNotAllowed, TransitionNotAllowed
from domain.registry import PathwayRegistry
from domain.terms import Deadline

ZC = Actor("zorgcoordinator", "zc-1")
SYSTEM = Actor("systeem", "termijnbewaking")
RECORDED = datetime(2026, 9, 3, 9, tzinfo=NL)
REGISTRY = PathwayRegistry.builtin()
SIGNALERING = REGISTRY.get("signalering")
SIGNAL = {"gesignaleerd_door": "leerkracht", "organisatie": "Basisschool De Horizon", "zorgdomein": "gedrag",
          "datum_signaal": "2026-09-01"}


def deadline_of(timer: Timer) -> Deadline:
    """The term a timer guards (every timer started since deadlines are kept has one)."""
    assert timer.deadline is not None
    return timer.deadline


def opened(payload: dict[str, Any] | None = None, at: datetime = RECORDED,
           definition: PathwayDefinition = SIGNALERING) -> tuple[Case, Decision]:
    command = Command("registreer_signaal", ZC, payload or SIGNAL)
    return Case.open("sig-1", definition, "14PS03", "lln-1", command, at)


def send(case: Case, name: str, at: datetime, payload: dict[str, Any] | None = None,
         actor: Actor = ZC) -> Decision:
    return case.handle(SIGNALERING, Command(name, actor, payload or {}), at)


def fire(case: Case, timer_name: str, at: datetime) -> Decision:
    timer = case.timers[timer_name]
    return case.handle(SIGNALERING, Command(timer.fires, SYSTEM, occurred_at=timer.due_at, timer_id=timer.id), at)


def test_a_signal_records_who_signalled_their_organisation_the_concern_and_the_date() -> None:
    """The case opens in 'gesignaleerd' with the signal on record: role, organisation, domain, date."""
    case, decision = opened()
    assert (case.stage, decision.event.type) == ("gesignaleerd", "signaal_geregistreerd")
    assert case.artifacts["signaal"] == {**SIGNAL, "occurred_at": RECORDED.isoformat()}


def test_the_organisation_may_be_left_out_when_parents_signal() -> None:
    """Parents signal for themselves; the organisation is optional, the rest is not."""
    case, _ = opened({"gesignaleerd_door": "ouders", "zorgdomein": "thuissituatie", "datum_signaal": "2026-09-02"})
    assert case.artifacts["signaal"]["gesignaleerd_door"] == "ouders"
    with pytest.raises(InvalidCommand) as refused:
        opened({"gesignaleerd_door": "ouders", "datum_signaal": "2026-09-02"})
    assert refused.value.problems == ("Veld 'zorgdomein' (domein van de zorg) ontbreekt.",)


def test_an_unknown_role_or_concern_domain_is_refused_naming_the_choices() -> None:
    """Who signalled and the concern domain are fixed lists, so they can be counted."""
    with pytest.raises(InvalidCommand) as refused:
        opened({**SIGNAL, "gesignaleerd_door": "buurman", "zorgdomein": "honger"})
    assert refused.value.problems == (
        ("Veld 'gesignaleerd_door' (gesignaleerd door (rol)): moet een van leerkracht, mentor, ib_er, "
         "zorgcoordinator, voorschool, jeugdhulp, jgz, leerplicht, ouders, leerling, anders zijn."),
        ("Veld 'zorgdomein' (domein van de zorg): moet een van leren, gedrag, sociaal_emotioneel, fysiek_medisch, "
         "thuissituatie, verzuim zijn."),
    )


def test_a_signal_dated_after_the_day_it_is_recorded_is_refused() -> None:
    """A signal cannot be dated in the future: its date is what the two weeks count from."""
    with pytest.raises(GuardFailed) as refused:
        opened({**SIGNAL, "datum_signaal": "2026-09-04"})
    assert refused.value.detail_nl == ("De datum van het signaal (2026-09-04) ligt na de dag waarop het wordt "
                                       "vastgelegd (2026-09-03).")


def test_a_signal_dated_the_day_it_is_recorded_is_accepted() -> None:
    """Recording a signal on the day it came in is the normal case."""
    case, _ = opened({**SIGNAL, "datum_signaal": "2026-09-03"})
    assert case.stage == "gesignaleerd"


def test_a_signal_must_be_discussed_within_two_weeks_of_its_date() -> None:
    """The deadline counts from the date of the signal, not from recording: signalled on Tuesday 1 September
    2026, the last day is Tuesday 15 September and the term has passed at midnight into the 16th.
    """
    case, decision = opened()
    assert [(t.name, t.due_at) for t in decision.started] == [("signaal_termijn", datetime(2026, 9, 16, tzinfo=NL))]
    assert deadline_of(case.timers["signaal_termijn"]).last_day == date(2026, 9, 15)


def test_a_signal_not_discussed_in_time_raises_signaal_niet_opgevolgd_and_stays() -> None:
    """The escalation fires when the last day, two weeks after the signal's date, is over (not at 23:59 on
    it); the case still waits for discussion.
    """
    case, _ = opened()
    assert case.timers["signaal_termijn"].due_at > datetime(2026, 9, 15, 23, 59, tzinfo=NL)
    decision = fire(case, "signaal_termijn", datetime(2026, 9, 16, 1, tzinfo=NL))
    assert decision.event.type == "signaal_niet_opgevolgd"
    assert decision.event.occurred_at == datetime(2026, 9, 16, tzinfo=NL)
    assert (case.stage, case.timers) == ("gesignaleerd", {})


def test_discussing_the_signal_cancels_the_escalation() -> None:
    """Once discussed, 'signaal niet opgevolgd' can no longer fire."""
    case, _ = opened()
    timer = case.timers["signaal_termijn"]
    decision = send(case, "bespreek", RECORDED + timedelta(days=5), {"ouders_geinformeerd": True})
    assert [t.name for t in decision.cancelled] == ["signaal_termijn"]
    assert (case.stage, case.timers) == ("besproken", {})
    with pytest.raises(TransitionNotAllowed):
        case.handle(SIGNALERING, Command(timer.fires, SYSTEM, timer_id=timer.id), timer.due_at)


def test_the_escalation_period_is_overridable_per_profile() -> None:
    """A region may give itself one week instead of two."""
    strict = Profile("streng", "Strenge regio", {"signalering": {"signaal_termijn": Duration(weeks=1)}})
    definition = PathwayRegistry.builtin(profiles={"streng": strict}).for_profile("signalering", None, "streng")
    case, decision = Case.open("sig-2", definition, "14PS03", "lln-2", Command("registreer_signaal", ZC, SIGNAL),
                               RECORDED, Context(strict))
    # 1 September + 1 week → last day Tuesday 8 September; due at midnight into the 9th
    assert deadline_of(decision.started[0]).last_day == date(2026, 9, 8)
    assert decision.started[0].due_at == datetime(2026, 9, 9, tzinfo=NL)
    assert case.profile == "streng"


def test_a_signal_runs_from_discussion_via_a_chosen_route_to_closed() -> None:
    """Besproken -> opgevolgd (route chosen) -> afgesloten, each step on record."""
    case, _ = opened()
    send(case, "bespreek", RECORDED + timedelta(days=5), {"ouders_geinformeerd": True})
    decision = send(case, "volg_op", RECORDED + timedelta(days=6), {"route": "knooppunt"})
    assert (case.stage, decision.event.type) == ("opgevolgd", "signaal_opgevolgd")
    assert case.artifacts["opvolging"]["route"] == "knooppunt"
    send(case, "sluit_af", RECORDED + timedelta(days=7), {"reden": "route_gestart"})
    assert case.stage == "afgesloten"


def test_a_route_outside_the_list_is_refused() -> None:
    """The route is one of basisondersteuning, knooppunt, opp, geen_zorg."""
    case, _ = opened()
    send(case, "bespreek", RECORDED, {"ouders_geinformeerd": False})
    with pytest.raises(InvalidCommand) as refused:
        send(case, "volg_op", RECORDED, {"route": "wachten"})
    assert refused.value.problems == (
        "Veld 'route' (gekozen route): moet een van basisondersteuning, knooppunt, opp, geen_zorg zijn.",)


def test_a_signal_cannot_be_closed_before_a_route_is_chosen() -> None:
    """Every signal is discussed and followed up before it is closed."""
    case, _ = opened()
    with pytest.raises(TransitionNotAllowed) as refused:
        send(case, "sluit_af", RECORDED, {"reden": "zorg_weggenomen"})
    assert refused.value.allowed == ("bespreek",)


def test_only_the_engine_raises_signaal_niet_opgevolgd() -> None:
    """People cannot issue the timer's command; leerplicht does not open a signal here."""
    case, _ = opened()
    with pytest.raises(RoleNotAllowed):
        send(case, "meld_signaal_niet_opgevolgd", RECORDED)
    with pytest.raises(RoleNotAllowed):
        Case.open("sig-3", SIGNALERING, "14PS03", "lln-3",
                  Command("registreer_signaal", Actor("leerplicht", "lp-1"), SIGNAL), RECORDED)
