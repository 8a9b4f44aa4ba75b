"""The TLV pathway (DOMAIN.md §3 TLV) on the Case aggregate, with time passed in as instants."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain.case import Actor, Case, Command, Decision, Timer
from domain.context import Context, Profile
from domain.durations import NL
from domain.errors import GuardFailed, InvalidCommand, RoleNotAllowed, TransitionNotAllowed
from domain.registry import PathwayRegistry
from domain.terms import Deadline
from domain.views import case_status

ZC = Actor("zorgcoordinator", "zc-1")
BTO = Actor("bto", "bto-1")
SWV = Actor("swv_coordinator", "swv-1")
DESKUNDIGE = Actor("deskundige", "desk-1")
SYSTEM = Actor("systeem", "termijnbewaking")
REGISTRY = PathwayRegistry.builtin()
TLV = REGISTRY.get("tlv")
OPP = REGISTRY.get("opp")

START = datetime(2026, 9, 1, 9, tzinfo=NL)
DOSSIER = datetime(2026, 9, 8, 9, tzinfo=NL)
COMPLEET = datetime(2026, 9, 15, 10, tzinfo=NL)
BEOORDEELD = datetime(2026, 9, 29, 10, tzinfo=NL)
BESLOTEN = datetime(2026, 10, 6, 14, tzinfo=NL)
BEZWAAR = datetime(2026, 10, 21, 9, tzinfo=NL)
WETTELIJK_LAATSTE_DAG = date(2026, 10, 27)
"""The statutory term's last day: 8 weeks after the request of Tuesday 1 September 2026, a Tuesday and a working
day (Awb art. 4:13 lid 2)."""
WETTELIJK_VERSTREKEN = datetime(2026, 10, 28, tzinfo=NL)
"""The statutory term has passed at the start of the day after its last day."""
GRANTED_TLV_STAGES = {"toegekend", "definitief", "geplaatst"}
"""The stages in which, per the cross-pathway contract, the pupil holds a granted TLV."""

EERSTE_ADVIES = {"discipline": "orthopedagoog", "deskundige": "desk-1", "gezamenlijk": False, "conclusie": "positief",
                 "samenvatting": "Het VSO sluit aan bij de ondersteuningsbehoefte."}
TWEEDE_ADVIES = {"discipline": "kinder_jeugdpsychiater", "deskundige": "desk-2", "gezamenlijk": False,
                 "conclusie": "positief", "samenvatting": "Plaatsing in het SO is nodig."}
TOEKENNING = {"startdatum": "2026-11-01", "einddatum": "2027-11-01"}


def deadline_of(timer: Timer) -> Deadline:
    """The term a timer guards (every timer started since deadlines are kept has one)."""
    assert timer.deadline is not None
    return timer.deadline


def opp_case() -> Case:
    """The pupil's OPP, opened on the opp definition."""
    case, _ = Case.open("opp-1", OPP, "14PS03", "lln-1",
                        Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-03-02"}), START)
    return case


def cascade_case(*doorlopen: str) -> Case:
    """The pupil's cascade trajectory per the contract: artifact niveau = {huidig, doorlopen}."""
    case = Case("cascade-1", "cascade", 1, "14PS03", "lln-1", "actief", START, START)
    case.artifacts["niveau"] = {"huidig": doorlopen[-1], "doorlopen": list(doorlopen)}
    return case


def rto_case(*, vso_expert: bool, stage: str = "gehouden") -> Case:
    """An RTO of the pupil per the contract: artifact deelnemers = {lijst: [...]}."""
    case = Case("rto-1", "rto", 1, "14PS03", "lln-1", stage, START, START)
    case.artifacts["deelnemers"] = {"lijst": [
        {"rol": "zorgcoordinator", "organisatie": "Gulperberg College", "mandaat": True, "vso_expert": False},
        {"rol": "vso_deskundige", "organisatie": "VSO De Wingerd", "mandaat": False, "vso_expert": vso_expert},
    ]}
    case.artifacts["uitkomst"] = {"uitkomst": "tlv_aanvragen"}
    return case


def context(*siblings: Case, **settings: Any) -> Context:
    return Context(Profile("test", "Testregio", settings=settings), lambda: list(siblings))


CONTEXT = context(opp_case(), cascade_case("1", "2", "3", "4"))


def requested(soort: str = "so", at: datetime = START, ctx: Context = CONTEXT) -> Case:
    case, _ = Case.open("tlv-1", TLV, "14PS03", "lln-1", Command("vraag_tlv_aan", ZC, {"soort": soort}), at, ctx)
    return case


def send(case: Case, name: str, at: datetime, payload: dict[str, Any] | None = None, actor: Actor = ZC,
         ctx: Context = CONTEXT, occurred_at: datetime | None = None) -> Decision:
    return case.handle(TLV, Command(name, actor, payload or {}, occurred_at), at, ctx)


def fire(case: Case, timer_name: str, at: datetime) -> Decision:
    timer = case.timers[timer_name]
    return case.handle(TLV, Command(timer.fires, SYSTEM, occurred_at=timer.due_at, timer_id=timer.id), at, CONTEXT)


def fill_dossier(case: Case, at: datetime = DOSSIER, ctx: Context = CONTEXT) -> None:
    send(case, "registreer_handtekening_ouders", at, {"ondertekend_door": "ouders"}, ctx=ctx)
    send(case, "registreer_toestemmingsverklaring", at, {"gegeven_door": "ouders"}, ctx=ctx)
    send(case, "registreer_zienswijze_ouders", at, {"samenvatting": "Ouders steunen de aanvraag."}, ctx=ctx)
    send(case, "voeg_opp_toe", at, ctx=ctx)
    send(case, "registreer_deskundigenadvies", at, EERSTE_ADVIES, actor=DESKUNDIGE, ctx=ctx)
    send(case, "registreer_deskundigenadvies", at, TWEEDE_ADVIES, actor=DESKUNDIGE, ctx=ctx)


PRO_CRITERIA = {"begrijpend_lezen_dle": 24, "inzichtelijk_rekenen_dle": 22, "iq": 72}
"""Evidence that meets the PrO criteria (seed 001 bijlage 2): DLE < 30 on two domains, one of them rekenen, IQ 72."""


def complete(soort: str = "so") -> Case:
    case = requested(soort)
    fill_dossier(case)
    if soort == "pro":
        send(case, "registreer_pro_criteria", DOSSIER, PRO_CRITERIA)
    send(case, "controleer_volledigheid", COMPLEET, actor=BTO)
    return case


def reviewed(soort: str = "so") -> Case:
    case = complete(soort)
    send(case, "registreer_beoordeling", BEOORDEELD, {"beoordelaar": "bto-1", "oordeel": "toekennen"}, actor=BTO)
    send(case, "registreer_beoordeling", BEOORDEELD, {"beoordelaar": "bto-2"}, actor=BTO)
    return case


def granted(payload: dict[str, Any] | None = None, soort: str = "so") -> Case:
    case = reviewed(soort)
    send(case, "ken_toe", BESLOTEN, payload or TOEKENNING, actor=BTO)
    return case


def rejected() -> Case:
    case = reviewed()
    send(case, "wijs_af", BESLOTEN, {"reden": "De ondersteuning past binnen het regulier onderwijs."}, actor=BTO)
    return case


def in_bezwaar(case: Case, ingediend_op: str = "2026-10-20") -> Decision:
    return send(case, "dien_bezwaar_in", BEZWAAR, {"ingediend_op": ingediend_op})


def lbc_advice(case: Case, strekking: str = "ongegrond") -> None:
    send(case, "vraag_lbc_advies_aan", BEZWAAR + timedelta(days=3), actor=SWV)
    send(case, "registreer_lbc_advies", BEZWAAR + timedelta(days=50), {"strekking": strekking}, actor=SWV)


def without_times(artifact: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in artifact.items() if k != "occurred_at"}


def at(instant: datetime, recorded: datetime | None = None, ctx: Context = CONTEXT) -> Context:
    """``ctx`` as the service hands it to the domain: with the instant the command happened and when it is
    recorded (what the guards on dates in the future and the default bekendmaking look at).
    """
    return Context(ctx.profile, lambda: ctx.siblings, instant, recorded or instant)


# --- the request and its dossier ----------------------------------------------------------------


def test_a_request_names_the_kind_of_school_and_starts_only_the_statutory_decision_term() -> None:
    """A TLV is requested for SBO, SO, VSO or PrO; the statutory term (Awb 4:13) runs from the request, the
    regional decision clock (6 weeks) waits for a complete dossier.
    """
    case, decision = Case.open("tlv-1", TLV, "14PS03", "lln-1", Command("vraag_tlv_aan", ZC, {"soort": "vso"}),
                               START, CONTEXT)
    assert (case.stage, decision.event.type) == ("aangevraagd", "tlv_aangevraagd")
    assert [(t.name, t.due_at) for t in decision.started] == [("wettelijke_beslistermijn", WETTELIJK_VERSTREKEN)]
    assert "besluittermijn" not in case.timers
    assert without_times(case.artifacts["aanvraag"]) == {"soort": "vso"}


def test_a_request_for_another_kind_of_school_is_refused() -> None:
    """Only SBO, SO, VSO and PrO need a TLV."""
    with pytest.raises(InvalidCommand) as refused:
        Case.open("tlv-1", TLV, "14PS03", "lln-1", Command("vraag_tlv_aan", ZC, {"soort": "havo"}), START)
    assert refused.value.problems == ("Veld 'soort' (soort onderwijs): moet een van sbo, so, vso, pro zijn.",)


def test_dossier_items_are_recorded_in_the_stage_with_when_they_happened() -> None:
    """Recording the signature keeps the request where it is and stores who signed and when."""
    case = requested()
    signed = START + timedelta(days=2)
    decision = send(case, "registreer_handtekening_ouders", DOSSIER, {"ondertekend_door": "voogd"},
                    occurred_at=signed)
    assert (case.stage, decision.event.type) == ("aangevraagd", "handtekening_ouders_geregistreerd")
    assert case.artifacts["handtekening_ouders"] == {"ondertekend_door": "voogd", "occurred_at": signed.isoformat()}


def test_the_opp_added_is_the_pupils_opp_trajectory() -> None:
    """With an OPP trajectory, the request refers to that OPP by dossier and stage."""
    case = requested()
    send(case, "voeg_opp_toe", DOSSIER)
    assert without_times(case.artifacts["opp"]) == {"soort": "opp", "opp_dossier": "opp-1", "opp_fase": "concept"}


def test_without_an_opp_trajectory_a_handelingsplan_may_be_added() -> None:
    """The dossier holds the OPP or, instead, a handelingsplan (seed 001 bijlage 2)."""
    ctx = context(cascade_case("1"))
    case = requested(ctx=ctx)
    send(case, "voeg_opp_toe", DOSSIER, {"handelingsplan": True}, ctx=ctx)
    assert without_times(case.artifacts["opp"]) == {"soort": "handelingsplan"}


def test_without_an_opp_trajectory_or_handelingsplan_adding_the_opp_is_refused() -> None:
    """There is nothing to add: the message says what to do."""
    ctx = context(cascade_case("1"))
    case = requested(ctx=ctx)
    with pytest.raises(GuardFailed) as refused:
        send(case, "voeg_opp_toe", DOSSIER, ctx=ctx)
    assert refused.value.detail_nl == ("De leerling heeft geen OPP in dit systeem. Start eerst het OPP, "
                                       "of geef aan dat de aanvraag een handelingsplan bevat (handelingsplan: ja).")
    assert "opp" not in case.artifacts


# --- the two expert advices ---------------------------------------------------------------------


def test_two_separate_advices_by_an_orthopedagoog_and_another_discipline_are_kept_in_order() -> None:
    """First an orthopedagoog (or psycholoog), then a kinder- en jeugdpsychiater: both on record, each with its
    position, conclusion and summary.
    """
    case = requested()
    send(case, "registreer_deskundigenadvies", DOSSIER, EERSTE_ADVIES, actor=DESKUNDIGE)
    send(case, "registreer_deskundigenadvies", DOSSIER, TWEEDE_ADVIES, actor=ZC)
    assert case.artifacts["adviezen"]["lijst"] == [
        {"positie": "eerste", "discipline": "orthopedagoog", "deskundige": "desk-1", "conclusie": "positief",
         "samenvatting": "Het VSO sluit aan bij de ondersteuningsbehoefte."},
        {"positie": "tweede", "discipline": "kinder_jeugdpsychiater", "deskundige": "desk-2", "conclusie": "positief",
         "samenvatting": "Plaatsing in het SO is nodig."},
    ]


def test_a_joint_advice_by_two_experts_is_refused_because_the_law_asks_for_two_separate_advices() -> None:
    """One joint advice is legally defective (law, Geschillencommissie); the message says why."""
    case = requested()
    with pytest.raises(GuardFailed) as refused:
        send(case, "registreer_deskundigenadvies", DOSSIER, {**EERSTE_ADVIES, "gezamenlijk": True}, actor=DESKUNDIGE)
    assert refused.value.detail_nl == (
        "Eén gezamenlijk advies van twee deskundigen is juridisch ondeugdelijk: de wet vraagt twee afzonderlijke "
        "schriftelijke adviezen. Leg elk advies apart vast, met de discipline van de deskundige die het schreef.")
    assert "adviezen" not in case.artifacts


def test_the_first_advice_from_a_psycholoog_is_accepted() -> None:
    """A psycholoog may give the first advice as well as an orthopedagoog."""
    case = requested()
    send(case, "registreer_deskundigenadvies", DOSSIER, {**EERSTE_ADVIES, "discipline": "psycholoog"},
         actor=DESKUNDIGE)
    assert [(a["positie"], a["discipline"]) for a in case.artifacts["adviezen"]["lijst"]] == [
        ("eerste", "psycholoog")]


def test_without_a_profile_setting_an_arts_may_give_the_first_advice_if_the_second_is_an_orthopedagoog() -> None:
    """The law asks at least one orthopedagoog or psycholoog among the two, not in the first place (DOMAIN.md §3,
    corrected; an earlier version of this test refused an arts as first expert).
    """
    case = requested()
    send(case, "registreer_deskundigenadvies", DOSSIER, {**EERSTE_ADVIES, "discipline": "arts"}, actor=DESKUNDIGE)
    send(case, "registreer_deskundigenadvies", DOSSIER, {**TWEEDE_ADVIES, "discipline": "orthopedagoog"},
         actor=DESKUNDIGE)
    assert [a["discipline"] for a in case.artifacts["adviezen"]["lijst"]] == ["arts", "orthopedagoog"]


def test_two_advices_without_an_orthopedagoog_or_psycholoog_are_refused() -> None:
    """After an arts, a maatschappelijk werker cannot give the second advice: the law's orthopedagoog or
    psycholoog would be missing.
    """
    case = requested()
    send(case, "registreer_deskundigenadvies", DOSSIER, {**EERSTE_ADVIES, "discipline": "arts"}, actor=DESKUNDIGE)
    with pytest.raises(GuardFailed) as refused:
        send(case, "registreer_deskundigenadvies", DOSSIER, {**TWEEDE_ADVIES, "discipline": "maatschappelijk_werker"},
             actor=DESKUNDIGE)
    assert refused.value.detail_nl == (
        "Ten minste één van de twee adviezen komt van een orthopedagoog of psycholoog (wet). Het andere advies is "
        "van een arts, dus dit advies moet van een orthopedagoog of psycholoog komen, niet van een maatschappelijk "
        "werker.")


def test_two_orthopedagogen_give_two_separate_advices() -> None:
    """Two different orthopedagogen are two advices (law; VO 31-02's second expert is always one); an earlier
    version of this test wrongly refused the same discipline twice.
    """
    case = requested()
    send(case, "registreer_deskundigenadvies", DOSSIER, EERSTE_ADVIES, actor=DESKUNDIGE)
    send(case, "registreer_deskundigenadvies", DOSSIER, {**TWEEDE_ADVIES, "discipline": "orthopedagoog"},
         actor=DESKUNDIGE)
    assert [a["discipline"] for a in case.artifacts["adviezen"]["lijst"]] == ["orthopedagoog", "orthopedagoog"]


def test_the_same_expert_cannot_give_both_advices() -> None:
    """Two advices means two experts: the same (pseudonymous) expert twice is refused."""
    case = requested()
    send(case, "registreer_deskundigenadvies", DOSSIER, EERSTE_ADVIES, actor=DESKUNDIGE)
    with pytest.raises(GuardFailed) as refused:
        send(case, "registreer_deskundigenadvies", DOSSIER, {**TWEEDE_ADVIES, "deskundige": "desk-1"},
             actor=DESKUNDIGE)
    assert refused.value.detail_nl == ("Deskundige desk-1 heeft al geadviseerd; het tweede advies moet van een "
                                       "andere deskundige komen.")


def test_a_third_advice_is_refused() -> None:
    """Two separate advices complete this part of the dossier."""
    case = requested()
    fill_dossier(case)
    with pytest.raises(GuardFailed) as refused:
        send(case, "registreer_deskundigenadvies", DOSSIER, {**TWEEDE_ADVIES, "deskundige": "desk-3"},
             actor=DESKUNDIGE)
    assert refused.value.detail_nl == "Er zijn al twee afzonderlijke deskundigenadviezen vastgelegd."


def test_the_bto_does_not_record_an_expert_advice() -> None:
    """Advices come from the experts (or the school's zorgcoordinator sending them in)."""
    case = requested()
    with pytest.raises(RoleNotAllowed):
        send(case, "registreer_deskundigenadvies", DOSSIER, EERSTE_ADVIES, actor=BTO)


# --- completeness -------------------------------------------------------------------------------


def test_an_empty_dossier_is_refused_naming_every_missing_item() -> None:
    """The completeness check names the signature, consent, zienswijze, OPP, cascade and both advices."""
    ctx = context()
    case = requested(ctx=ctx)
    with pytest.raises(GuardFailed) as refused:
        send(case, "controleer_volledigheid", COMPLEET, actor=BTO, ctx=ctx)
    assert refused.value.detail_nl == (
        "De handtekening van de ouders ontbreekt. "
        "De toestemmingsverklaring ontbreekt. "
        "De zienswijze van de ouders ontbreekt. "
        "Het OPP (of handelingsplan) ontbreekt. "
        "Het bewijs van de doorlopen cascade ontbreekt: de leerling heeft geen cascadetraject. "
        "Advies 1 ontbreekt: het eerste deskundigenadvies. "
        "Advies 2 ontbreekt: een tweede, afzonderlijk deskundigenadvies van een andere deskundige.")
    assert [m.code for m in refused.value.missing] == [
        "handtekening-ontbreekt", "toestemmingsverklaring-ontbreekt", "zienswijze-ontbreekt", "opp-ontbreekt",
        "cascade-ontbreekt", "advies-1-ontbreekt", "advies-2-ontbreekt"]
    assert (case.stage, list(case.timers)) == ("aangevraagd", ["wettelijke_beslistermijn"])


def test_a_dossier_with_one_advice_is_refused_naming_only_the_second_advice() -> None:
    """Only what is actually missing is named."""
    case = requested()
    send(case, "registreer_handtekening_ouders", DOSSIER, {"ondertekend_door": "ouders"})
    send(case, "registreer_toestemmingsverklaring", DOSSIER, {"gegeven_door": "ouders"})
    send(case, "registreer_zienswijze_ouders", DOSSIER)
    send(case, "voeg_opp_toe", DOSSIER)
    send(case, "registreer_deskundigenadvies", DOSSIER, EERSTE_ADVIES, actor=DESKUNDIGE)
    with pytest.raises(GuardFailed) as refused:
        send(case, "controleer_volledigheid", COMPLEET, actor=BTO)
    assert refused.value.detail_nl == ("Advies 2 ontbreekt: een tweede, afzonderlijk deskundigenadvies van een "
                                       "andere deskundige.")


def test_a_complete_dossier_is_compleet_and_the_six_week_decision_deadline_counts_from_then() -> None:
    """The decision's last day is 6 weeks after the day of completeness (seed 004): complete on Tuesday
    15 September 2026, the last day is Tuesday 27 October and the term has passed at midnight into the 28th;
    the evidence the completeness rested on is recorded.
    """
    case = requested()
    fill_dossier(case)
    decision = send(case, "controleer_volledigheid", COMPLEET, actor=SWV)
    assert (case.stage, decision.event.type) == ("compleet", "tlv_dossier_compleet")
    assert [(t.name, t.due_at) for t in decision.started] == [("besluittermijn", datetime(2026, 10, 28, tzinfo=NL))]
    assert deadline_of(case.timers["besluittermijn"]).last_day == date(2026, 10, 27)
    assert deadline_of(case.timers["besluittermijn"]).kind == "regionaal"
    assert without_times(case.artifacts["volledigheid"]) == {
        "cascade_dossier": "cascade-1", "niveaus_doorlopen": ["1", "2", "3", "4"], "rto_dossier": None,
        "herkomst": "regulier", "bewijs": ["cascade"]}


def test_the_cascade_must_show_every_level_the_profile_requires_before_a_tlv() -> None:
    """With cascade_required_for_tlv = 3, 4 and only levels 1-2 passed, both levels are named."""
    ctx = context(opp_case(), cascade_case("1", "2"), cascade_required_for_tlv=["3", "4"])
    case = requested(ctx=ctx)
    fill_dossier(case, ctx=ctx)
    with pytest.raises(GuardFailed) as refused:
        send(case, "controleer_volledigheid", COMPLEET, actor=BTO, ctx=ctx)
    assert refused.value.detail_nl == ("Het bewijs van de doorlopen cascade ontbreekt: niveaus 3 en 4 zijn niet "
                                       "doorlopen, en dat is vereist vóór een TLV-aanvraag.")


def test_a_cascade_with_every_required_level_is_evidence_enough() -> None:
    """Levels 1-4 passed, 3 and 4 required: the dossier is complete."""
    ctx = context(opp_case(), cascade_case("1", "2", "3", "4"), cascade_required_for_tlv=["3", "4"])
    case = requested(ctx=ctx)
    fill_dossier(case, ctx=ctx)
    send(case, "controleer_volledigheid", COMPLEET, actor=BTO, ctx=ctx)
    assert case.stage == "compleet"


def test_when_the_profile_requires_an_rto_one_without_a_vso_expert_does_not_count() -> None:
    """VO 31-02: a TLV request is prepared in an RTO with an expert of a VSO school."""
    ctx = context(opp_case(), cascade_case("1"), rto_case(vso_expert=False), rto_required_for_tlv=True)
    case = requested(ctx=ctx)
    fill_dossier(case, ctx=ctx)
    with pytest.raises(GuardFailed) as refused:
        send(case, "controleer_volledigheid", COMPLEET, actor=BTO, ctx=ctx)
    assert refused.value.detail_nl == ("Het rondetafeloverleg (RTO) met een deskundige van een VSO-school "
                                       "ontbreekt: er is geen gehouden RTO waaraan een VSO-deskundige deelnam.")


def test_when_the_profile_requires_an_rto_a_held_one_with_a_vso_expert_completes_the_dossier() -> None:
    """The RTO that counted is recorded with the completeness."""
    ctx = context(opp_case(), cascade_case("1"), rto_case(vso_expert=True), rto_required_for_tlv=True)
    case = requested(ctx=ctx)
    fill_dossier(case, ctx=ctx)
    send(case, "controleer_volledigheid", COMPLEET, actor=BTO, ctx=ctx)
    assert (case.stage, case.artifacts["volledigheid"]["rto_dossier"]) == ("compleet", "rto-1")


def test_the_decision_deadline_does_not_run_while_an_aanvulling_is_asked() -> None:
    """No besluittermijn while the school completes the dossier; it counts from completeness, not from
    the request or the request for more information.
    """
    case = requested()
    asked = send(case, "vraag_aanvulling", START + timedelta(days=7),
                 {"wat_ontbreekt": "De zienswijze van ouders.", "aanvullen_uiterlijk": "2026-09-29"}, actor=BTO)
    assert (case.stage, [t.name for t in asked.started]) == ("aanvulling_gevraagd", ["aanvullingstermijn"])
    assert list(case.timers) == ["aanvullingstermijn"]
    fill_dossier(case, START + timedelta(days=20))
    assert "besluittermijn" not in case.timers
    send(case, "lever_aanvulling", START + timedelta(days=21))
    assert (case.stage, list(case.timers)) == ("aangevraagd", ["wettelijke_beslistermijn"])
    completed_at = START + timedelta(days=35)
    decision = send(case, "controleer_volledigheid", completed_at, actor=BTO)
    # complete on Tuesday 6 October 2026 + 6 weeks → last day Tuesday 17 November; due at midnight into the 18th
    assert [(t.name, t.due_at) for t in decision.started] == [("besluittermijn", datetime(2026, 11, 18, tzinfo=NL))]


def test_completeness_cannot_be_checked_while_the_aanvulling_is_outstanding() -> None:
    """The school first delivers the aanvulling; then the dossier is checked again."""
    case = requested()
    fill_dossier(case)
    send(case, "vraag_aanvulling", COMPLEET, {"wat_ontbreekt": "Het verslag van het RTO.",
                                              "aanvullen_uiterlijk": "2026-09-29"}, actor=BTO)
    with pytest.raises(TransitionNotAllowed):
        send(case, "controleer_volledigheid", COMPLEET, actor=BTO)


# --- the statutory decision term (Awb art. 4:13, 4:15) -------------------------------------------

ASKED = START + timedelta(days=7)
"""An aanvulling asked on Tuesday 8 September 2026."""


def ask_aanvulling(case: Case, uiterlijk: str = "2026-09-29", when: datetime = ASKED) -> Decision:
    return send(case, "vraag_aanvulling", when, {"wat_ontbreekt": "De zienswijze van ouders.",
                                                "aanvullen_uiterlijk": uiterlijk}, actor=BTO, ctx=at(when))


def test_the_statutory_eight_week_term_starts_at_the_request_with_its_basis() -> None:
    """Awb art. 4:13 lid 2: 8 weeks after receipt of the request of Tuesday 1 September 2026, last day
    Tuesday 27 October 2026; it has passed at midnight into the 28th.
    """
    case = requested()
    timer = case.timers["wettelijke_beslistermijn"]
    assert (deadline_of(timer).kind, deadline_of(timer).source) == ("wet", "Awb art. 4:13 lid 2, 4:15 lid 1")
    assert (deadline_of(timer).last_day, timer.due_at) == (WETTELIJK_LAATSTE_DAG, WETTELIJK_VERSTREKEN)
    assert deadline_of(timer).reckoning == ("8 weken na ontvangst van de aanvraag op 1 september 2026 "
                                        "(Awb art. 4:13 lid 2, 4:15 lid 1) → 27 oktober 2026")


def test_the_statutory_term_is_not_over_before_the_end_of_its_last_day() -> None:
    """At 23:59 on 27 October the term still runs (the engine cannot report it passed); at midnight the
    system reports it, and the request stays where it is.
    """
    case = requested()
    timer = case.timers["wettelijke_beslistermijn"]
    assert timer.due_at > datetime(2026, 10, 27, 23, 59, 59, tzinfo=NL)
    with pytest.raises(InvalidCommand):
        case.handle(TLV, Command(timer.fires, SYSTEM, occurred_at=timer.due_at, timer_id=timer.id),
                    datetime(2026, 10, 27, 23, 59, tzinfo=NL), CONTEXT)
    passed = fire(case, "wettelijke_beslistermijn", datetime(2026, 10, 28, 0, 1, tzinfo=NL))
    assert (passed.event.type, passed.event.occurred_at) == ("tlv_wettelijke_beslistermijn_verstreken",
                                                             WETTELIJK_VERSTREKEN)
    assert (case.stage, case.timers) == ("aangevraagd", {})


def test_a_statutory_term_ending_on_christmas_runs_to_the_next_working_day() -> None:
    """Received on Friday 30 October 2026: 8 weeks → Friday 25 December 2026, eerste kerstdag; the 26th is
    tweede kerstdag and the 27th a Sunday → Monday 28 December 2026 (Algemene termijnenwet art. 1).
    """
    case = requested(at=datetime(2026, 10, 30, 9, tzinfo=NL))
    timer = case.timers["wettelijke_beslistermijn"]
    assert (deadline_of(timer).last_day, timer.due_at) == (date(2026, 12, 28), datetime(2026, 12, 29, tzinfo=NL))
    assert "Algemene termijnenwet" in deadline_of(timer).reckoning


def test_asking_an_aanvulling_suspends_the_statutory_term_and_the_status_shows_it() -> None:
    """From the request for an aanvulling its clock stops (Awb art. 4:15 lid 1): the timer leaves the running
    ones, and the status lists it as suspended since the day it was asked, with its last day as it stood.
    """
    case = requested()
    asked = ask_aanvulling(case)
    assert [t.name for t in asked.cancelled] == ["wettelijke_beslistermijn"]
    assert "wettelijke_beslistermijn" not in case.timers
    aanvulling = case.timers["aanvullingstermijn"]
    assert (deadline_of(aanvulling).kind, deadline_of(aanvulling).last_day) == ("verzoek", date(2026, 9, 29))
    status = case_status(case, TLV, ASKED + timedelta(days=1))
    [suspended] = [t for t in status.open_timers if t.name == "wettelijke_beslistermijn"]
    assert (suspended.suspended_since, suspended.overdue, suspended.last_day) == (
        date(2026, 9, 8), False, WETTELIJK_LAATSTE_DAG)
    assert [t.suspended_since for t in status.open_timers if t.name == "aanvullingstermijn"] == [None]


def test_delivering_the_aanvulling_resumes_the_statutory_term_later_by_the_days_it_was_suspended() -> None:
    """Asked on 8 September, delivered on 22 September 2026: suspended from 9 up to (not including)
    22 September, 13 days (22 - 8 - 1); the last day moves from 27 October to Monday 9 November 2026.
    """
    case = requested()
    ask_aanvulling(case)
    delivered = send(case, "lever_aanvulling", datetime(2026, 9, 22, 11, tzinfo=NL))
    assert [t.name for t in delivered.started] == ["wettelijke_beslistermijn"]
    assert [t.name for t in delivered.cancelled] == ["aanvullingstermijn"]
    timer = case.timers["wettelijke_beslistermijn"]
    assert (deadline_of(timer).last_day, timer.due_at) == (date(2026, 11, 9), datetime(2026, 11, 10, tzinfo=NL))
    assert "Awb art. 4:15" in deadline_of(timer).reckoning
    assert all(t.suspended_since is None for t in case_status(case, TLV, WETTELIJK_VERSTREKEN).open_timers)


def test_an_aanvulling_delivered_the_day_after_it_was_asked_moves_nothing() -> None:
    """The suspension begins the day after the request for an aanvulling: delivered on 9 September, no day
    was suspended (9 - 8 - 1 = 0) and the last day stays 27 October.
    """
    case = requested()
    ask_aanvulling(case)
    send(case, "lever_aanvulling", datetime(2026, 9, 9, 11, tzinfo=NL))
    timer = case.timers["wettelijke_beslistermijn"]
    assert (deadline_of(timer).last_day, timer.due_at) == (WETTELIJK_LAATSTE_DAG, WETTELIJK_VERSTREKEN)
    assert "Awb art. 4:15" in deadline_of(timer).reckoning


def test_the_aanvullingstermijn_passing_unused_resumes_the_statutory_term() -> None:
    """Asked on 8 September to deliver by 22 September 2026, nothing came: at midnight into the 23rd the
    aanvullingstermijn has passed and the clock runs again, 14 days later (9 up to and including
    22 September): last day Tuesday 10 November 2026. The request waits for the aanvulling still.
    """
    case = requested()
    ask_aanvulling(case, "2026-09-22")
    assert case.timers["aanvullingstermijn"].due_at == datetime(2026, 9, 23, tzinfo=NL)
    passed = fire(case, "aanvullingstermijn", datetime(2026, 9, 23, 0, 1, tzinfo=NL))
    assert (passed.event.type, passed.event.occurred_at) == ("tlv_aanvullingstermijn_verstreken",
                                                             datetime(2026, 9, 23, tzinfo=NL))
    assert (case.stage, list(case.timers)) == ("aanvulling_gevraagd", ["wettelijke_beslistermijn"])
    timer = case.timers["wettelijke_beslistermijn"]
    assert (deadline_of(timer).last_day, timer.due_at) == (date(2026, 11, 10), datetime(2026, 11, 11, tzinfo=NL))
    assert "Awb art. 4:15" in deadline_of(timer).reckoning


def test_a_statutory_term_that_has_passed_does_not_start_again_when_the_request_is_back_in_aangevraagd() -> None:
    """The 8 weeks run from the request once: after they passed (27 October), an aanvulling asked and delivered
    brings the case back to 'aangevraagd' without a second statutory term (it would report the same lapse twice).
    """
    case = requested()
    fire(case, "wettelijke_beslistermijn", datetime(2026, 10, 28, 0, 1, tzinfo=NL))
    send(case, "vraag_aanvulling", datetime(2026, 10, 29, 10, tzinfo=NL),
         {"wat_ontbreekt": "zienswijze", "aanvullen_uiterlijk": "2026-11-12"}, actor=BTO)
    delivered = send(case, "lever_aanvulling", datetime(2026, 11, 2, 10, tzinfo=NL))
    assert (case.stage, delivered.started, list(case.timers)) == ("aangevraagd", (), [])


def test_the_statutory_term_starts_anew_on_a_new_request() -> None:
    """Once per case, not once ever: another TLV request of the same pupil has its own 8 weeks."""
    case = requested()
    fire(case, "wettelijke_beslistermijn", datetime(2026, 10, 28, 0, 1, tzinfo=NL))
    again = requested(at=datetime(2026, 11, 2, 9, tzinfo=NL))
    assert deadline_of(again.timers["wettelijke_beslistermijn"]).last_day == date(2026, 12, 28)


def test_an_aanvulling_asked_without_its_term_is_refused() -> None:
    """The request for an aanvulling carries its own term (Awb art. 4:5): 'aanvullen_uiterlijk'."""
    case = requested()
    with pytest.raises(InvalidCommand) as refused:
        send(case, "vraag_aanvulling", ASKED, {"wat_ontbreekt": "Het OPP."}, actor=BTO, ctx=at(ASKED))
    assert any("aanvullen_uiterlijk" in p for p in refused.value.problems)
    assert (case.stage, list(case.timers)) == ("aangevraagd", ["wettelijke_beslistermijn"])


@pytest.mark.parametrize(("uiterlijk", "code"), [
    ("2026-09-07", "aanvullingstermijn-voorbij"),
    ("2026-09-08", "aanvullingstermijn-voorbij"),  # the day of the request itself
    ("2026-12-09", "aanvullingstermijn-te-lang"),  # 8 September + 3 months = 8 December; a day more
])
def test_an_aanvullingstermijn_not_after_the_request_or_longer_than_three_months_is_refused(
    uiterlijk: str, code: str,
) -> None:
    """The term for the aanvulling ends after the day of the request, within three months of it."""
    case = requested()
    with pytest.raises(GuardFailed) as refused:
        ask_aanvulling(case, uiterlijk)
    assert [m.code for m in refused.value.missing] == [code]
    assert (case.stage, list(case.timers)) == ("aangevraagd", ["wettelijke_beslistermijn"])


@pytest.mark.parametrize("uiterlijk", [
    "2026-09-09",  # the day after the request
    "2026-12-08",  # 8 September 2026 + 3 months: the last day that is within three months
])
def test_an_aanvullingstermijn_from_the_day_after_the_request_up_to_three_months_is_accepted(uiterlijk: str) -> None:
    """The shortest and the longest term for the aanvulling are accepted."""
    case = requested()
    ask_aanvulling(case, uiterlijk)
    assert deadline_of(case.timers["aanvullingstermijn"]).last_day == date.fromisoformat(uiterlijk)


# --- reviews and the decision -------------------------------------------------------------------


def test_the_same_reviewer_twice_is_refused() -> None:
    """Two people study the request independently of each other (seed 001)."""
    case = complete()
    send(case, "registreer_beoordeling", BEOORDEELD, {"beoordelaar": "bto-1"}, actor=BTO)
    with pytest.raises(GuardFailed) as refused:
        send(case, "registreer_beoordeling", BEOORDEELD, {"beoordelaar": "bto-1"}, actor=BTO)
    assert refused.value.detail_nl == ("Beoordelaar bto-1 heeft deze aanvraag al beoordeeld; een volgende "
                                       "beoordeling moet van iemand anders komen, onafhankelijk van de eerste.")
    assert len(case.artifacts["beoordelingen"]["lijst"]) == 1


def test_a_decision_with_only_one_review_is_refused() -> None:
    """At least two independent reviews before the BTO decides."""
    case = complete()
    send(case, "registreer_beoordeling", BEOORDEELD, {"beoordelaar": "bto-1"}, actor=BTO)
    with pytest.raises(GuardFailed) as refused:
        send(case, "ken_toe", BESLOTEN, TOEKENNING, actor=BTO)
    assert refused.value.detail_nl == ("Een besluit vraagt ten minste twee onafhankelijke beoordelingen van de "
                                       "aanvraag; er is er nu 1.")
    with pytest.raises(GuardFailed):
        send(case, "wijs_af", BESLOTEN, {"reden": "Onvoldoende onderbouwd."}, actor=BTO)


def test_a_grant_after_two_reviews_records_the_decision_per_the_contract() -> None:
    """The besluit holds outcome, category (default laag), start and end date and the day it was made known
    (default: the day of the decision); both decision deadlines end and the 6-week bezwaartermijn starts.
    """
    case = reviewed()
    decision = send(case, "ken_toe", BESLOTEN, TOEKENNING, actor=BTO, ctx=at(BESLOTEN))
    assert (case.stage, decision.event.type) == ("toegekend", "tlv_toegekend")
    assert without_times(case.artifacts["besluit"]) == {
        "uitkomst": "toegekend", "soort": "so", "categorie": "laag", "startdatum": "2026-11-01",
        "einddatum": "2027-11-01", "looptijd": "opgegeven", "uitstroomprofiel": None, "besloten_door": "bto",
        "bekendgemaakt_op": "2026-10-06"}
    assert sorted(t.name for t in decision.cancelled) == ["besluittermijn", "wettelijke_beslistermijn"]
    # made known Tuesday 6 October 2026 + 6 weeks → last day Tuesday 17 November; due at midnight into the 18th
    assert [(t.name, t.due_at) for t in decision.started] == [("bezwaartermijn", datetime(2026, 11, 18, tzinfo=NL))]
    assert deadline_of(case.timers["bezwaartermijn"]).last_day == date(2026, 11, 17)


def test_a_late_decision_raises_tlv_besluit_te_laat_and_the_bto_can_still_decide() -> None:
    """The last day, six weeks after completeness, over without a decision: the overdue event; the request
    stays in review.
    """
    case = reviewed()
    late = fire(case, "besluittermijn", datetime(2026, 10, 28, 0, 5, tzinfo=NL))
    assert (late.event.type, late.event.occurred_at) == ("tlv_besluit_te_laat", datetime(2026, 10, 28, tzinfo=NL))
    assert (case.stage, list(case.timers)) == ("compleet", ["wettelijke_beslistermijn"])
    send(case, "ken_toe", datetime(2026, 10, 28, 10, tzinfo=NL), TOEKENNING, actor=BTO)
    assert case.stage == "toegekend"


@pytest.mark.parametrize("categorie", ["midden", "hoog"])
def test_category_midden_or_hoog_without_a_motivering_is_refused(categorie: str) -> None:
    """Laag is the default; the school justifies why midden or hoog is needed (seed 001)."""
    case = reviewed()
    with pytest.raises(GuardFailed) as refused:
        send(case, "ken_toe", BESLOTEN, {**TOEKENNING, "categorie": categorie}, actor=BTO)
    assert refused.value.detail_nl == (f"Bekostigingscategorie {categorie} moet gemotiveerd worden: waarom volstaat "
                                       f"laag niet? Vul 'motivering' in.")
    assert case.stage == "compleet"


def test_category_hoog_with_a_motivering_is_granted_and_the_motivering_kept() -> None:
    """A justified higher category is recorded with its justification."""
    case = granted({**TOEKENNING, "categorie": "hoog", "motivering": "Intensieve begeleiding, 1-op-1."})
    assert case.artifacts["besluit"]["categorie"] == "hoog"
    assert case.artifacts["besluit"]["motivering"] == "Intensieve begeleiding, 1-op-1."


def test_a_tlv_for_sbo_has_no_category() -> None:
    """Only SO and VSO have a bekostigingscategorie; an SBO grant records none."""
    case = granted(soort="sbo")
    assert case.artifacts["besluit"]["categorie"] is None


def test_a_category_on_a_tlv_for_pro_is_refused() -> None:
    """A PrO TLV is not laag, midden or hoog; the message says so."""
    case = reviewed(soort="pro")
    with pytest.raises(GuardFailed) as refused:
        send(case, "ken_toe", BESLOTEN, {**TOEKENNING, "categorie": "laag"}, actor=BTO)
    assert refused.value.detail_nl == ("Een TLV voor PrO kent geen bekostigingscategorie; laat 'categorie' leeg. "
                                       "Alleen een TLV voor SO of VSO is laag, midden of hoog.")


def test_an_end_date_a_day_short_of_a_year_is_refused_naming_the_earliest_allowed_end_date() -> None:
    """The minimum duration of a TLV is a year (law), both dates included: from 1 November 2026 the
    earliest end date is 31 October 2027, so 30 October is a day short.
    """
    case = reviewed()
    with pytest.raises(GuardFailed) as refused:
        send(case, "ken_toe", BESLOTEN, {"startdatum": "2026-11-01", "einddatum": "2027-10-30"}, actor=BTO)
    assert refused.value.detail_nl == ("Een TLV van 1 november 2026 tot en met 30 oktober 2027 duurt korter dan "
                                       "12 maanden; de vroegst toegestane einddatum is 31 oktober 2027.")


def test_a_tlv_of_exactly_a_year_both_dates_included_is_accepted() -> None:
    """One year, its first and last day included (1 November 2026 up to and including 31 October 2027), is
    the minimum, and enough.
    """
    case = granted({"startdatum": "2026-11-01", "einddatum": "2027-10-31"})
    assert case.artifacts["besluit"]["einddatum"] == "2027-10-31"


def test_a_tlv_from_1_august_to_31_july_lasts_a_year_and_is_accepted() -> None:
    """Most TLVs end on 31 July: 1 August 2026 up to and including 31 July 2027 is a full year."""
    case = granted({"startdatum": "2026-08-01", "einddatum": "2027-07-31"})
    assert (case.stage, case.artifacts["besluit"]["einddatum"]) == ("toegekend", "2027-07-31")


def test_a_tlv_from_1_august_to_30_july_is_a_day_short_and_refused_naming_31_july() -> None:
    """1 August 2026 up to and including 30 July 2027 is a day short of a year."""
    case = reviewed()
    with pytest.raises(GuardFailed) as refused:
        send(case, "ken_toe", BESLOTEN, {"startdatum": "2026-08-01", "einddatum": "2027-07-30"}, actor=BTO)
    assert refused.value.detail_nl == ("Een TLV van 1 augustus 2026 tot en met 30 juli 2027 duurt korter dan "
                                       "12 maanden; de vroegst toegestane einddatum is 31 juli 2027.")
    assert case.stage == "compleet"


def test_the_minimum_duration_follows_the_profile() -> None:
    """A region whose minimum is 24 months refuses an end date after one year; from 1 November 2026 two
    years end on 31 October 2028 (both dates included).
    """
    ctx = context(opp_case(), cascade_case("1"), tlv_min_months=24)
    case = reviewed()
    with pytest.raises(GuardFailed) as refused:
        send(case, "ken_toe", BESLOTEN, TOEKENNING, actor=BTO, ctx=ctx)
    assert refused.value.detail_nl.endswith("de vroegst toegestane einddatum is 31 oktober 2028.")
    send(case, "ken_toe", BESLOTEN, {**TOEKENNING, "einddatum": "2028-10-31"}, actor=BTO, ctx=ctx)
    assert case.stage == "toegekend"


def test_a_rejection_needs_a_reason_and_records_it() -> None:
    """Rejected with a reason; the besluit has the contract's keys, without category or dates."""
    case = reviewed()
    with pytest.raises(InvalidCommand) as refused:
        send(case, "wijs_af", BESLOTEN, actor=BTO)
    assert refused.value.problems == ("Veld 'reden' (reden van afwijzing) ontbreekt.",)
    decision = send(case, "wijs_af", BESLOTEN, {"reden": "Regulier onderwijs volstaat."}, actor=BTO,
                    ctx=at(BESLOTEN))
    assert (case.stage, decision.event.type) == ("afgewezen", "tlv_afgewezen")
    assert without_times(case.artifacts["besluit"]) == {
        "uitkomst": "afgewezen", "soort": "so", "categorie": None, "startdatum": None, "einddatum": None,
        "reden": "Regulier onderwijs volstaat.", "besloten_door": "bto", "bekendgemaakt_op": "2026-10-06"}
    # made known Tuesday 6 October 2026 + 6 weeks → last day Tuesday 17 November; due at midnight into the 18th
    assert [(t.name, t.due_at) for t in decision.started] == [
        ("bezwaartermijn_afwijzing", datetime(2026, 11, 18, tzinfo=NL))]


@pytest.mark.parametrize(("command", "payload"), [
    ("ken_toe", TOEKENNING), ("wijs_af", {"reden": "Regulier onderwijs volstaat."}),
])
def test_a_decision_made_known_before_it_was_taken_is_refused(command: str, payload: dict[str, Any]) -> None:
    """The bezwaartermijn counts from the bekendmaking, which cannot precede the decision."""
    case = reviewed()
    with pytest.raises(GuardFailed) as refused:
        send(case, command, BESLOTEN, {**payload, "bekendgemaakt_op": "2026-10-05"}, actor=BTO, ctx=at(BESLOTEN))
    assert [m.code for m in refused.value.missing] == ["bekendmaking-voor-besluit"]
    assert refused.value.detail_nl == ("Het besluit kan niet op 5 oktober 2026 zijn bekendgemaakt: het is genomen "
                                       "op 6 oktober 2026.")
    assert case.stage == "compleet"


@pytest.mark.parametrize(("command", "payload"), [
    ("ken_toe", TOEKENNING), ("wijs_af", {"reden": "Regulier onderwijs volstaat."}),
])
def test_a_decision_made_known_in_the_future_is_refused(command: str, payload: dict[str, Any]) -> None:
    """Recorded on 6 October, a decision cannot have been made known on 7 October."""
    case = reviewed()
    with pytest.raises(GuardFailed) as refused:
        send(case, command, BESLOTEN, {**payload, "bekendgemaakt_op": "2026-10-07"}, actor=BTO, ctx=at(BESLOTEN))
    assert [m.code for m in refused.value.missing] == ["bekendmaking-in-toekomst"]
    assert refused.value.detail_nl.startswith("De bekendmaking op 7 oktober 2026 ligt in de toekomst.")
    assert case.stage == "compleet"


# --- bezwaar, definitief, plaatsing -------------------------------------------------------------

MADE_KNOWN = datetime(2026, 11, 20, 10, tzinfo=NL)
"""Decided on 6 October 2026 and recorded on Friday 20 November 2026, the day it was made known."""


def granted_made_known_20_november() -> Case:
    case = reviewed()
    send(case, "ken_toe", MADE_KNOWN, {**TOEKENNING, "bekendgemaakt_op": "2026-11-20"}, actor=BTO,
         ctx=at(BESLOTEN, MADE_KNOWN), occurred_at=BESLOTEN)
    return case


def test_the_bezwaartermijn_counts_from_the_day_after_the_bekendmaking_and_skips_nieuwjaarsdag() -> None:
    """Made known Friday 20 November 2026: 6 weeks → Friday 1 January 2027, Nieuwjaarsdag, then a weekend →
    Monday 4 January 2027 (Awb art. 6:7, 6:8; Algemene termijnenwet art. 1).
    """
    case = granted_made_known_20_november()
    deadline = deadline_of(case.timers["bezwaartermijn"])
    assert (deadline.last_day, case.timers["bezwaartermijn"].due_at) == (
        date(2027, 1, 4), datetime(2027, 1, 5, tzinfo=NL))
    assert deadline.reckoning == ("6 weken na bekendmaking op 20 november 2026 (Awb art. 6:7, 6:8) → 1 januari "
                                  "2027, Nieuwjaarsdag → maandag 4 januari 2027 (Algemene termijnenwet art. 1)")


def test_a_bezwaar_lodged_on_4_january_2027_against_a_decision_made_known_20_november_2026_is_accepted() -> None:
    """The last day of the bezwaartermijn is Monday 4 January 2027: a bezwaar lodged that day is in time."""
    case = granted_made_known_20_november()
    lodged = datetime(2027, 1, 4, 16, tzinfo=NL)
    send(case, "dien_bezwaar_in", lodged, {"ingediend_op": "2027-01-04"}, ctx=at(lodged))
    assert case.stage == "bezwaar"
    assert without_times(case.artifacts["bezwaar_termijn"]) == {"bezwaartermijn_einde": "2027-01-04"}


def test_a_bezwaar_lodged_on_5_january_2027_against_a_decision_made_known_20_november_2026_is_refused() -> None:
    """A day after the last day is too late, and the message names the bekendmaking and the last day."""
    case = granted_made_known_20_november()
    lodged = datetime(2027, 1, 5, 9, tzinfo=NL)
    with pytest.raises(GuardFailed) as refused:
        send(case, "dien_bezwaar_in", lodged, {"ingediend_op": "2027-01-05"}, ctx=at(lodged))
    assert refused.value.detail_nl == ("Het bezwaar is ingediend op 5 januari 2027, na afloop van de bezwaartermijn "
                                       "van 6 weken na de bekendmaking op 20 november 2026 (die liep tot en met "
                                       "4 januari 2027).")
    assert case.stage == "toegekend"




def test_without_bezwaar_a_grant_becomes_definitief_after_six_weeks_and_the_pupil_can_be_placed() -> None:
    """The bezwaartermijn ends with its last day (17 November 2026); the grant is definitief at midnight;
    the receiving school places the pupil.
    """
    case = granted()
    final = fire(case, "bezwaartermijn", datetime(2026, 11, 18, 0, 1, tzinfo=NL))
    assert (final.event.type, final.event.occurred_at) == ("tlv_definitief", datetime(2026, 11, 18, tzinfo=NL))
    assert case.stage == "definitief"
    placed = send(case, "plaats", datetime(2026, 11, 20, 9, tzinfo=NL), {"school_brin": "00KX00"})
    assert (case.stage, placed.event.type, TLV.stages["geplaatst"].final) == (
        "geplaatst", "tlv_leerling_geplaatst", True)


def test_a_rejection_becomes_definitief_without_ever_entering_a_granted_stage() -> None:
    """After 6 weeks the rejection is final; placing is impossible; no granted-TLV stage was passed."""
    case = rejected()
    stages = {case.stage}
    fire(case, "bezwaartermijn_afwijzing", datetime(2026, 11, 18, 9, tzinfo=NL))
    stages.add(case.stage)
    assert case.stage == "afgewezen_definitief"
    assert not stages & GRANTED_TLV_STAGES
    with pytest.raises(TransitionNotAllowed):
        send(case, "plaats", datetime(2026, 11, 20, 9, tzinfo=NL), {"school_brin": "00KX00"})


def test_people_cannot_make_a_decision_definitief_before_the_bezwaartermijn_ends() -> None:
    """Only the engine does that, when the 6 weeks have passed."""
    case = granted()
    with pytest.raises(RoleNotAllowed):
        send(case, "maak_definitief", BESLOTEN + timedelta(days=1), actor=BTO)


def test_a_bezwaar_within_six_weeks_starts_the_lbc_and_decision_deadlines() -> None:
    """The LBC's advice is asked within 2 weeks of the bezwaar (lodged Tuesday 20 October 2026: last day
    Tuesday 3 November); the decision on bezwaar is due 12 weeks after the bezwaartermijn ended on
    17 November 2026 (Awb 7:10: last day Tuesday 9 February 2027), however early the bezwaar came in.
    """
    case = granted()
    decision = in_bezwaar(case, "2026-10-20")
    assert (case.stage, decision.event.type) == ("bezwaar", "tlv_bezwaar_ingediend")
    assert [t.name for t in decision.cancelled] == ["bezwaartermijn"]
    assert {t.name: deadline_of(t).last_day for t in decision.started} == {
        "lbc_advies_aanvragen": date(2026, 11, 3), "bezwaar_beslistermijn": date(2027, 2, 9)}
    assert {t.name: t.due_at for t in decision.started} == {
        "lbc_advies_aanvragen": datetime(2026, 11, 4, tzinfo=NL),
        "bezwaar_beslistermijn": datetime(2027, 2, 10, tzinfo=NL),
    }
    assert without_times(case.artifacts["bezwaar_termijn"]) == {"bezwaartermijn_einde": "2026-11-17"}


def test_a_bezwaar_on_the_last_day_of_the_term_is_accepted() -> None:
    """Six weeks after the decision of 6 October is 17 November, inclusive."""
    case = granted()
    send(case, "dien_bezwaar_in", datetime(2026, 11, 17, 13, tzinfo=NL), {"ingediend_op": "2026-11-17"})
    assert case.stage == "bezwaar"


def test_a_bezwaar_after_the_six_weeks_is_refused() -> None:
    """A day late is too late (Awb 6:7)."""
    case = granted()
    with pytest.raises(GuardFailed) as refused:
        send(case, "dien_bezwaar_in", datetime(2026, 11, 17, 13, tzinfo=NL), {"ingediend_op": "2026-11-18"})
    assert refused.value.detail_nl == ("Het bezwaar is ingediend op 18 november 2026, na afloop van de "
                                       "bezwaartermijn van 6 weken na de bekendmaking op 6 oktober 2026 (die liep "
                                       "tot en met 17 november 2026).")


def test_a_bezwaar_dated_before_the_decision_is_refused() -> None:
    """There is nothing to object to before the decision."""
    case = granted()
    with pytest.raises(GuardFailed) as refused:
        in_bezwaar(case, "2026-10-05")
    assert refused.value.detail_nl == "Het bezwaar is ingediend op 5 oktober 2026, vóór het besluit van 6 oktober 2026."


def test_not_asking_the_lbc_within_two_weeks_raises_an_overdue_event() -> None:
    """The timer fires when the last day, 2 weeks after the bezwaar was lodged (3 November 2026), is over;
    the bezwaar stays open.
    """
    case = granted()
    in_bezwaar(case)
    late = fire(case, "lbc_advies_aanvragen", datetime(2026, 11, 4, 0, 1, tzinfo=NL))
    assert (late.event.type, late.event.occurred_at) == ("tlv_lbc_advies_niet_tijdig_gevraagd",
                                                         datetime(2026, 11, 4, tzinfo=NL))
    assert case.stage == "bezwaar"
    assert list(case.timers) == ["bezwaar_beslistermijn"]


def test_asking_the_lbc_in_time_cancels_the_two_week_timer_but_not_the_decision_deadline() -> None:
    """The advice request ends the 2-week timer; the 12-week deadline runs on."""
    case = granted()
    in_bezwaar(case)
    decision = send(case, "vraag_lbc_advies_aan", BEZWAAR + timedelta(days=3), actor=SWV)
    assert (case.stage, [t.name for t in decision.cancelled]) == ("lbc_advies_gevraagd", ["lbc_advies_aanvragen"])
    assert list(case.timers) == ["bezwaar_beslistermijn"]


def test_the_bezwaar_decision_deadline_can_be_extended_once_by_exactly_six_weeks() -> None:
    """Awb 7:10: verdagen once, by 6 weeks at most (last day Tuesday 9 February 2027 → Tuesday 23 March
    2027); a second extension is refused.
    """
    case = granted()
    in_bezwaar(case)
    send(case, "vraag_lbc_advies_aan", BEZWAAR + timedelta(days=3), actor=SWV)
    before = case.timers["bezwaar_beslistermijn"].due_at
    extended = send(case, "verleng_beslistermijn", datetime(2027, 1, 20, 9, tzinfo=NL),
                    {"reden": "Advies LBC nog niet ontvangen."}, actor=SWV)
    after = case.timers["bezwaar_beslistermijn"].due_at
    assert (before, after) == (datetime(2027, 2, 10, tzinfo=NL), datetime(2027, 3, 24, tzinfo=NL))
    assert after - before == timedelta(weeks=6)
    assert deadline_of(case.timers["bezwaar_beslistermijn"]).last_day == date(2027, 3, 23)
    assert [t.due_at for t in extended.started] == [after]
    with pytest.raises(GuardFailed) as refused:
        send(case, "verleng_beslistermijn", datetime(2027, 3, 1, 9, tzinfo=NL), {"reden": "Nog steeds geen advies."},
             actor=SWV)
    assert refused.value.detail_nl == ("'Beslissing op bezwaar eenmaal 6 weken verdagen' kan maar één keer; "
                                       "dat is al gebeurd.")
    assert case.timers["bezwaar_beslistermijn"].due_at == after


def test_an_extension_without_a_reason_is_refused() -> None:
    """Parents are told why the decision is postponed."""
    case = granted()
    in_bezwaar(case)
    with pytest.raises(InvalidCommand):
        send(case, "verleng_beslistermijn", BEZWAAR, actor=SWV)


def test_a_late_decision_on_bezwaar_raises_an_overdue_event() -> None:
    """When the last day of the (possibly extended) term is over without a decision:
    tlv_bezwaarbesluit_te_laat.
    """
    case = granted()
    in_bezwaar(case)
    send(case, "vraag_lbc_advies_aan", BEZWAAR + timedelta(days=3), actor=SWV)
    late = fire(case, "bezwaar_beslistermijn", datetime(2027, 2, 10, 8, tzinfo=NL))
    assert (late.event.type, late.event.occurred_at) == ("tlv_bezwaarbesluit_te_laat",
                                                         datetime(2027, 2, 10, tzinfo=NL))
    assert (case.stage, case.timers) == ("lbc_advies_gevraagd", {})


def test_a_decision_on_bezwaar_without_the_lbc_advice_is_refused() -> None:
    """The SWV decides after the Landelijke Bezwaaradviescommissie advised (Awb 7:13)."""
    case = granted()
    in_bezwaar(case)
    send(case, "vraag_lbc_advies_aan", BEZWAAR + timedelta(days=3), actor=SWV)
    with pytest.raises(GuardFailed) as refused:
        send(case, "handhaaf_toekenning", BEZWAAR + timedelta(days=40), {"grond": "ongegrond",
             "motivering": "Categorie laag volstaat."}, actor=BTO)
    assert refused.value.detail_nl == ("Het advies van de Landelijke Bezwaaradviescommissie ontbreekt; op het "
                                       "bezwaar wordt beslist nadat dat advies is ontvangen.")


def test_an_unfounded_bezwaar_needs_a_motivering_and_then_makes_the_grant_definitief() -> None:
    """Awb 7:12: reasoned; the grant stands and the deadlines end."""
    case = granted()
    in_bezwaar(case)
    lbc_advice(case)
    at = BEZWAAR + timedelta(days=60)
    with pytest.raises(GuardFailed) as refused:
        send(case, "handhaaf_toekenning", at, {"grond": "ongegrond"}, actor=BTO)
    assert refused.value.detail_nl == "Een beslissing op bezwaar moet deugdelijk gemotiveerd zijn: vul 'motivering' in."
    decision = send(case, "handhaaf_toekenning", at, {"grond": "ongegrond", "motivering": "Laag volstaat."},
                    actor=BTO)
    assert (case.stage, case.timers) == ("definitief", {})
    assert [t.name for t in decision.cancelled] == ["bezwaar_beslistermijn"]
    assert without_times(case.artifacts["bezwaarbesluit"]) == {"uitkomst": "ongegrond", "motivering": "Laag volstaat."}


def test_an_unfounded_bezwaar_against_a_rejection_keeps_the_rejection() -> None:
    """'The grant stands' is refused for a rejection; 'the rejection stands' ends it."""
    case = rejected()
    in_bezwaar(case)
    lbc_advice(case)
    payload = {"grond": "ongegrond", "motivering": "Het regulier onderwijs kan de ondersteuning bieden."}
    with pytest.raises(GuardFailed) as refused:
        send(case, "handhaaf_toekenning", BEZWAAR + timedelta(days=60), payload, actor=BTO)
    assert refused.value.detail_nl == ("Het bestreden besluit is een afwijzing; leg met 'handhaaf_afwijzing' vast dat "
                                       "die blijft staan.")
    send(case, "handhaaf_afwijzing", BEZWAAR + timedelta(days=60), payload, actor=BTO)
    assert case.stage == "afgewezen_definitief"


def test_a_withdrawn_bezwaar_needs_no_lbc_advice() -> None:
    """Parents withdraw the bezwaar before the LBC was asked: the grant stands."""
    case = granted()
    in_bezwaar(case)
    send(case, "handhaaf_toekenning", BEZWAAR + timedelta(days=5), {"grond": "ingetrokken"}, actor=SWV)
    assert (case.stage, case.timers) == ("definitief", {})


def test_a_founded_bezwaar_revokes_the_decision_and_the_bto_decides_anew_without_a_second_bezwaar() -> None:
    """Gegrond: back to compleet with a new 6-week decision deadline; the new decision is open to beroep,
    not to a second bezwaar; it becomes definitief after 6 weeks.
    """
    case = rejected()
    in_bezwaar(case)
    lbc_advice(case, "gegrond")
    revoked_at = BEZWAAR + timedelta(days=60)
    decision = send(case, "verklaar_bezwaar_gegrond", revoked_at,
                    {"motivering": "De cascade is zorgvuldig doorlopen."}, actor=BTO)
    assert case.stage == "compleet"
    # revoked on Sunday 20 December 2026 + 6 weeks → Sunday 31 January 2027: a regional term, not moved
    assert [(t.name, t.due_at) for t in decision.started] == [("besluittermijn", datetime(2027, 2, 1, tzinfo=NL))]
    new_decision = revoked_at + timedelta(days=7)
    send(case, "ken_toe", new_decision, TOEKENNING | {"startdatum": "2027-01-01", "einddatum": "2028-01-01"}, actor=BTO)
    assert case.artifacts["besluit"]["uitkomst"] == "toegekend"
    with pytest.raises(GuardFailed) as refused:
        send(case, "dien_bezwaar_in", new_decision + timedelta(days=1), {"ingediend_op": "2026-12-28"})
    assert refused.value.detail_nl == ("Op deze aanvraag is al op bezwaar beslist; tegen het nieuwe besluit staat "
                                       "geen tweede bezwaar open, wel beroep bij de rechtbank.")
    # decided Sunday 27 December 2026 + 6 weeks → Sunday 7 February 2027 → Monday 8 February (Atw art. 1)
    assert deadline_of(case.timers["bezwaartermijn"]).last_day == date(2027, 2, 8)
    fire(case, "bezwaartermijn", datetime(2027, 2, 9, 0, 1, tzinfo=NL))
    assert case.stage == "definitief"


def test_a_request_can_be_withdrawn_which_ends_the_decision_deadlines() -> None:
    """Closing a complete request cancels the besluittermijn and the statutory term; nothing is left running."""
    case = complete()
    decision = send(case, "sluit_af", BEOORDEELD, {"reden": "aanvraag_ingetrokken"})
    assert (case.stage, sorted(t.name for t in decision.cancelled), case.timers) == (
        "afgesloten", ["besluittermijn", "wettelijke_beslistermijn"], {})
