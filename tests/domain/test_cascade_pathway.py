"""The cascade pathway (DOMAIN.md §2) on the Case aggregate: levels per region, one level up at a time,
the OPP and TLV a level needs, and the history a TLV request is checked against.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from domain.case import Actor, Case, Command, Decision
from domain.context import Context, Profile
from domain.durations import NL
from domain.errors import GuardFailed, InvalidCommand, TransitionNotAllowed
from domain.registry import PathwayRegistry

ZC = Actor("zorgcoordinator", "zc-1")
START = datetime(2026, 9, 1, 9, tzinfo=NL)
REGISTRY = PathwayRegistry.builtin()
CASCADE = REGISTRY.get("cascade")
OPP = REGISTRY.get("opp")
ZUID_LIMBURG = Profile("zuid-limburg-po", "Samenwerkingsverbanden PO Zuid-Limburg", settings={
    "cascade_levels": ["1", "2", "3", "4", "5"], "levels_requiring_opp": ["5"], "levels_requiring_tlv": ["5"]})
VO_3102 = Profile("vo-31-02", "Samenwerkingsverband VO 31-02", settings={
    "cascade_levels": ["basis", "extra_in_school", "extra_swv", "vso"],
    "levels_requiring_opp": ["extra_in_school", "extra_swv", "vso"], "levels_requiring_tlv": ["vso"]})


def opened(niveau: str = "1", context: Context | None = None) -> tuple[Case, Decision]:
    return Case.open("cas-1", CASCADE, "14PS03", "lln-1", Command("start_cascade", ZC, {"niveau": niveau}), START,
                     context)


def move(case: Case, niveau: str, reden: str = "doelen niet gehaald", context: Context | None = None,
         at: datetime = START) -> Decision:
    return case.handle(CASCADE, Command("wijzig_niveau", ZC, {"niveau": niveau, "reden": reden}), at, context)


def climb(case: Case, levels: Sequence[str], context: Context | None = None) -> None:
    for day, niveau in enumerate(levels, start=1):
        move(case, niveau, f"naar {niveau}", context, START + timedelta(days=day))


def opp_case(stage: str | None = None) -> Case:
    """The pupil's OPP trajectory, opened on the opp definition (and put in ``stage`` if given)."""
    case, _ = Case.open("opp-1", OPP, "14PS03", "lln-1",
                        Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-09-01"}), START)
    if stage is not None:
        case.stage = stage
    return case


def tlv_case(stage: str) -> Case:
    """A TLV trajectory of the pupil in ``stage`` (only its pathway and stage matter here)."""
    return Case("tlv-1", "tlv", 1, "14PS03", "lln-1", stage, START, START)


def with_siblings(profile: Profile, *siblings: Case) -> Context:
    return Context(profile, siblings=lambda: list(siblings))


def test_the_start_sets_the_initial_level_and_the_history() -> None:
    """The artifact 'niveau' holds the current level and the levels passed through (the contract)."""
    case, decision = opened("2")
    assert (case.stage, decision.event.type) == ("actief", "cascade_gestart")
    assert {k: v for k, v in case.artifacts["niveau"].items() if k != "occurred_at"} == {"huidig": "2",
                                                                                         "doorlopen": ["2"]}


def test_without_profile_levels_the_default_cascade_is_one_to_five() -> None:
    """The standard profile has no cascade_levels: 1-5 apply, and '6' is not a level."""
    with pytest.raises(GuardFailed) as refused:
        opened("6")
    assert refused.value.detail_nl == ("Niveau '6' bestaat niet in de cascade van dit samenwerkingsverband; "
                                       "kies uit: 1, 2, 3, 4, 5.")


def test_a_region_has_its_own_levels() -> None:
    """VO 31-02 names its levels; a Zuid-Limburg number is no level there."""
    case, _ = opened("basis", Context(VO_3102))
    assert case.artifacts["niveau"]["huidig"] == "basis"
    with pytest.raises(GuardFailed) as refused:
        opened("1", Context(VO_3102))
    assert refused.value.detail_nl == ("Niveau '1' bestaat niet in de cascade van dit samenwerkingsverband; "
                                       "kies uit: basis, extra_in_school, extra_swv, vso.")


def test_moving_up_one_level_is_allowed() -> None:
    """From level 2 to level 3: the next level."""
    case, _ = opened("2")
    decision = move(case, "3", "externe expertise nodig")
    assert (case.stage, decision.event.type) == ("actief", "niveau_gewijzigd")
    assert case.artifacts["niveau"]["huidig"] == "3"


def test_moving_up_two_levels_at_once_is_refused() -> None:
    """'Zo licht, zo vroeg, zo dichtbij mogelijk': level 3 cannot be skipped on the way up."""
    case, _ = opened("2")
    with pytest.raises(GuardFailed) as refused:
        move(case, "4")
    assert refused.value.detail_nl == ("Opschalen gaat één niveau tegelijk (zo licht, zo vroeg, zo dichtbij "
                                       "mogelijk): van niveau '2' kan alleen naar niveau '3', niet naar '4'.")
    assert (case.artifacts["niveau"]["huidig"], case.version) == ("2", 1)


def test_moving_down_may_skip_levels() -> None:
    """Support may become lighter by more than one level at once."""
    case, _ = opened("1")
    climb(case, ["2", "3", "4"])
    move(case, "1", "doelen bereikt", at=START + timedelta(days=10))
    assert case.artifacts["niveau"]["huidig"] == "1"


def test_moving_to_the_current_level_is_refused() -> None:
    """A move changes the level."""
    case, _ = opened("3")
    with pytest.raises(GuardFailed) as refused:
        move(case, "3")
    assert refused.value.detail_nl == "Niveau '3' is al het huidige niveau."


def test_a_move_records_its_reason_and_without_one_is_refused() -> None:
    """Each move says why; the reasons are kept with the moves."""
    case, _ = opened("1")
    with pytest.raises(InvalidCommand) as refused:
        case.handle(CASCADE, Command("wijzig_niveau", ZC, {"niveau": "2"}), START)
    assert refused.value.problems == ("Veld 'reden' (reden van de wijziging) ontbreekt.",)
    decision = move(case, "2", "extra hulp in de klas nodig")
    assert decision.event.payload["reden"] == "extra hulp in de klas nodig"
    assert case.artifacts["wijzigingen"]["lijst"] == [
        {"van": None, "naar": "1", "reden": None},
        {"van": "1", "naar": "2", "reden": "extra hulp in de klas nodig"},
    ]


def test_the_history_records_every_level_passed_through_in_order() -> None:
    """'niveau.doorlopen' is the evidence a TLV request is checked against: every level, in order."""
    case, _ = opened("1")
    climb(case, ["2", "3", "2", "3", "4"])
    assert case.artifacts["niveau"]["doorlopen"] == ["1", "2", "3", "2", "3", "4"]
    assert case.artifacts["niveau"]["huidig"] == "4"


def test_a_level_that_requires_an_opp_is_entered_without_one_the_system_opens_it() -> None:
    """VO 31-02: extra ondersteuning in school starts the OPP's 6 weeks (law: the OPP follows the start of extra
    support); the hand-off ``cascade_naar_opp`` opens it, so the step is not refused for lack of an OPP.
    """
    case, _ = opened("basis", Context(VO_3102))
    move(case, "extra_in_school", "extra ondersteuning gestart", Context(VO_3102))
    assert case.artifacts["niveau"]["huidig"] == "extra_in_school"


def test_entering_a_level_that_needs_a_tlv_is_refused_without_a_granted_tlv() -> None:
    """Zuid-Limburg level 5 (SBO/SO) needs a TLV; a TLV still being decided is not enough."""
    context = with_siblings(ZUID_LIMBURG, opp_case(), tlv_case("in_behandeling"))
    case, _ = opened("1", context)
    climb(case, ["2", "3", "4"], context)
    with pytest.raises(GuardFailed) as refused:
        move(case, "5", context=context)
    assert refused.value.detail_nl == ("Voor niveau '5' is een toelaatbaarheidsverklaring (TLV) nodig; "
                                       "de leerling heeft geen toegekende TLV.")


@pytest.mark.parametrize("stage", ["toegekend", "definitief", "geplaatst"])
def test_entering_a_level_that_needs_a_tlv_is_allowed_with_a_granted_tlv(stage: str) -> None:
    """A TLV trajectory that is granted, final or placed opens level 5."""
    context = with_siblings(ZUID_LIMBURG, opp_case(), tlv_case(stage))
    case, _ = opened("4", context)
    move(case, "5", "plaatsing SBO", context)
    assert case.artifacts["niveau"]["doorlopen"] == ["4", "5"]


def test_without_a_setting_the_last_level_needs_a_tlv() -> None:
    """The standard profile: level 5 needs a TLV (and no OPP is required by default)."""
    case, _ = opened("4")
    with pytest.raises(GuardFailed) as refused:
        move(case, "5")
    assert [m.code for m in refused.value.missing] == ["tlv-ontbreekt"]
    move(case, "5", "plaatsing SO", with_siblings(Profile("x", "x"), tlv_case("toegekend")))
    assert case.artifacts["niveau"]["huidig"] == "5"


def test_an_empty_tlv_setting_still_protects_the_last_level() -> None:
    """A profile file without 'requiring_tlv' loads as an empty list: the law's default (last level) applies."""
    vo = Profile("vo", "vo", settings={**VO_3102.settings, "levels_requiring_tlv": [], "levels_requiring_opp": []})
    case, _ = opened("extra_swv", Context(vo))
    with pytest.raises(GuardFailed) as refused:
        move(case, "vso", context=Context(vo))
    assert [m.code for m in refused.value.missing] == ["tlv-ontbreekt"]


def test_the_start_level_is_guarded_like_a_move() -> None:
    """A pupil cannot be registered directly at a level whose TLV is missing."""
    with pytest.raises(GuardFailed) as refused:
        opened("5", Context(ZUID_LIMBURG))
    assert [m.code for m in refused.value.missing] == ["tlv-ontbreekt"]
    case, _ = opened("5", with_siblings(ZUID_LIMBURG, opp_case(), tlv_case("geplaatst")))
    assert case.artifacts["niveau"]["huidig"] == "5"


def test_closing_the_cascade_ends_it() -> None:
    """After sluit_af no level can change."""
    case, _ = opened("2")
    decision = case.handle(CASCADE, Command("sluit_af", ZC, {"reden": "schoolverlater"}), START)
    assert (case.stage, decision.event.type) == ("afgesloten", "cascade_afgesloten")
    with pytest.raises(TransitionNotAllowed):
        move(case, "1")
