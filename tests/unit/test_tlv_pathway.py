"""The TLV pathway (DOMAIN.md §3 TLV) on the Case aggregate, with time passed in as instants."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.case import Actor, Case, Command, Decision
from domain.context import Context, Profile
from domain.durations import NL
from domain.errors import GuardFailed, InvalidCommand, RoleNotAllowed, TransitionNotAllowed
from domain.registry import PathwayRegistry

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
GRANTED_TLV_STAGES = {"toegekend", "definitief", "geplaatst"}
"""The stages in which, per the cross-pathway contract, the pupil holds a granted TLV."""

EERSTE_ADVIES = {"discipline": "orthopedagoog", "deskundige": "desk-1", "gezamenlijk": False}
TWEEDE_ADVIES = {"discipline": "kinder_jeugdpsychiater", "deskundige": "desk-2", "gezamenlijk": False}
TOEKENNING = {"startdatum": "2026-11-01", "einddatum": "2027-11-01"}


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


def complete(soort: str = "so") -> Case:
    case = requested(soort)
    fill_dossier(case)
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


# --- the request and its dossier ----------------------------------------------------------------


def test_a_request_names_the_kind_of_school_and_starts_no_deadline() -> None:
    """A TLV is requested for SBO, SO, VSO or PrO; the decision clock waits for a complete dossier."""
    case, decision = Case.open("tlv-1", TLV, "14PS03", "lln-1", Command("vraag_tlv_aan", ZC, {"soort": "vso"}),
                               START, CONTEXT)
    assert (case.stage, decision.event.type, decision.started) == ("aangevraagd", "tlv_aangevraagd", ())
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
    """First an orthopedagoog (or psycholoog), then a kinder- en jeugdpsychiater: both on record."""
    case = requested()
    send(case, "registreer_deskundigenadvies", DOSSIER, EERSTE_ADVIES, actor=DESKUNDIGE)
    send(case, "registreer_deskundigenadvies", DOSSIER, TWEEDE_ADVIES, actor=ZC)
    assert case.artifacts["adviezen"]["lijst"] == [
        {"discipline": "orthopedagoog", "deskundige": "desk-1"},
        {"discipline": "kinder_jeugdpsychiater", "deskundige": "desk-2"},
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
    assert case.artifacts["adviezen"]["lijst"] == [{"discipline": "psycholoog", "deskundige": "desk-1"}]


def test_a_first_advice_from_another_discipline_is_refused() -> None:
    """The first advice comes from an orthopedagoog or psycholoog (law)."""
    case = requested()
    with pytest.raises(GuardFailed) as refused:
        send(case, "registreer_deskundigenadvies", DOSSIER, {**EERSTE_ADVIES, "discipline": "arts"},
             actor=DESKUNDIGE)
    assert refused.value.detail_nl == ("Het eerste advies moet van een orthopedagoog of psycholoog komen, "
                                       "niet van een arts.")


def test_a_second_advice_from_the_same_discipline_is_refused() -> None:
    """The second advice comes from another discipline than the first."""
    case = requested()
    send(case, "registreer_deskundigenadvies", DOSSIER, EERSTE_ADVIES, actor=DESKUNDIGE)
    with pytest.raises(GuardFailed) as refused:
        send(case, "registreer_deskundigenadvies", DOSSIER, {**TWEEDE_ADVIES, "discipline": "orthopedagoog"},
             actor=DESKUNDIGE)
    assert refused.value.detail_nl == ("Het tweede advies moet van een andere discipline komen dan het eerste "
                                       "(orthopedagoog).")


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
        "Advies 1 ontbreekt: het eerste deskundigenadvies, van een orthopedagoog of psycholoog. "
        "Advies 2 ontbreekt: een tweede, afzonderlijk deskundigenadvies van een andere discipline.")
    assert [m.code for m in refused.value.missing] == [
        "handtekening-ontbreekt", "toestemmingsverklaring-ontbreekt", "zienswijze-ontbreekt", "opp-ontbreekt",
        "cascade-ontbreekt", "advies-1-ontbreekt", "advies-2-ontbreekt"]
    assert (case.stage, case.timers) == ("aangevraagd", {})


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
                                       "andere discipline.")


def test_a_complete_dossier_is_compleet_and_the_six_week_decision_deadline_counts_from_then() -> None:
    """The decision is due 6 weeks after completeness (seed 004), on the Dutch wall clock; the evidence
    the completeness rested on is recorded.
    """
    case = requested()
    fill_dossier(case)
    decision = send(case, "controleer_volledigheid", COMPLEET, actor=SWV)
    assert (case.stage, decision.event.type) == ("compleet", "tlv_dossier_compleet")
    assert [(t.name, t.due_at) for t in decision.started] == [("besluittermijn", datetime(2026, 10, 27, 10, tzinfo=NL))]
    assert without_times(case.artifacts["volledigheid"]) == {
        "cascade_dossier": "cascade-1", "niveaus_doorlopen": ["1", "2", "3", "4"], "rto_dossier": None}


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
    asked = send(case, "vraag_aanvulling", START + timedelta(days=7), {"wat_ontbreekt": "De zienswijze van ouders."},
                 actor=BTO)
    assert (case.stage, asked.started, case.timers) == ("aanvulling_gevraagd", (), {})
    fill_dossier(case, START + timedelta(days=20))
    assert case.timers == {}
    send(case, "lever_aanvulling", START + timedelta(days=21))
    assert (case.stage, case.timers) == ("aangevraagd", {})
    completed_at = START + timedelta(days=35)
    decision = send(case, "controleer_volledigheid", completed_at, actor=BTO)
    assert [(t.name, t.due_at) for t in decision.started] == [("besluittermijn", datetime(2026, 11, 17, 9, tzinfo=NL))]


def test_completeness_cannot_be_checked_while_the_aanvulling_is_outstanding() -> None:
    """The school first delivers the aanvulling; then the dossier is checked again."""
    case = requested()
    fill_dossier(case)
    send(case, "vraag_aanvulling", COMPLEET, {"wat_ontbreekt": "Het verslag van het RTO."}, actor=BTO)
    with pytest.raises(TransitionNotAllowed):
        send(case, "controleer_volledigheid", COMPLEET, actor=BTO)


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
    """The besluit holds outcome, category (default laag), start and end date; the decision deadline ends
    and the 6-week bezwaartermijn starts.
    """
    case = reviewed()
    decision = send(case, "ken_toe", BESLOTEN, TOEKENNING, actor=BTO)
    assert (case.stage, decision.event.type) == ("toegekend", "tlv_toegekend")
    assert without_times(case.artifacts["besluit"]) == {
        "uitkomst": "toegekend", "soort": "so", "categorie": "laag", "startdatum": "2026-11-01",
        "einddatum": "2027-11-01"}
    assert [t.name for t in decision.cancelled] == ["besluittermijn"]
    assert [(t.name, t.due_at) for t in decision.started] == [("bezwaartermijn", datetime(2026, 11, 17, 14, tzinfo=NL))]


def test_a_late_decision_raises_tlv_besluit_te_laat_and_the_bto_can_still_decide() -> None:
    """Six weeks after completeness without a decision: the overdue event; the request stays in review."""
    case = reviewed()
    late = fire(case, "besluittermijn", datetime(2026, 10, 27, 10, 5, tzinfo=NL))
    assert (late.event.type, late.event.occurred_at) == ("tlv_besluit_te_laat", datetime(2026, 10, 27, 10, tzinfo=NL))
    assert (case.stage, case.timers) == ("compleet", {})
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
    """The minimum duration of a TLV is a year (law)."""
    case = reviewed()
    with pytest.raises(GuardFailed) as refused:
        send(case, "ken_toe", BESLOTEN, {"startdatum": "2026-11-01", "einddatum": "2027-10-31"}, actor=BTO)
    assert refused.value.detail_nl == ("De einddatum 31 oktober 2027 ligt minder dan 12 maanden na de startdatum "
                                       "1 november 2026; de vroegst toegestane einddatum is 1 november 2027.")


def test_an_end_date_exactly_a_year_after_the_start_is_accepted() -> None:
    """One year to the day is the minimum, and enough."""
    case = granted({"startdatum": "2026-11-01", "einddatum": "2027-11-01"})
    assert case.artifacts["besluit"]["einddatum"] == "2027-11-01"


def test_the_minimum_duration_follows_the_profile() -> None:
    """A region whose minimum is 24 months refuses an end date after one year."""
    ctx = context(opp_case(), cascade_case("1"), tlv_min_months=24)
    case = reviewed()
    with pytest.raises(GuardFailed) as refused:
        send(case, "ken_toe", BESLOTEN, TOEKENNING, actor=BTO, ctx=ctx)
    assert refused.value.detail_nl.endswith("de vroegst toegestane einddatum is 1 november 2028.")
    send(case, "ken_toe", BESLOTEN, {**TOEKENNING, "einddatum": "2028-11-01"}, actor=BTO, ctx=ctx)
    assert case.stage == "toegekend"


def test_a_rejection_needs_a_reason_and_records_it() -> None:
    """Rejected with a reason; the besluit has the contract's keys, without category or dates."""
    case = reviewed()
    with pytest.raises(InvalidCommand) as refused:
        send(case, "wijs_af", BESLOTEN, actor=BTO)
    assert refused.value.problems == ("Veld 'reden' (reden van afwijzing) ontbreekt.",)
    decision = send(case, "wijs_af", BESLOTEN, {"reden": "Regulier onderwijs volstaat."}, actor=BTO)
    assert (case.stage, decision.event.type) == ("afgewezen", "tlv_afgewezen")
    assert without_times(case.artifacts["besluit"]) == {
        "uitkomst": "afgewezen", "soort": "so", "categorie": None, "startdatum": None, "einddatum": None,
        "reden": "Regulier onderwijs volstaat."}
    assert [(t.name, t.due_at) for t in decision.started] == [
        ("bezwaartermijn_afwijzing", datetime(2026, 11, 17, 14, tzinfo=NL))]


# --- bezwaar, definitief, plaatsing -------------------------------------------------------------


def test_without_bezwaar_a_grant_becomes_definitief_after_six_weeks_and_the_pupil_can_be_placed() -> None:
    """The bezwaartermijn ends; the grant is definitief; the receiving school places the pupil."""
    case = granted()
    final = fire(case, "bezwaartermijn", datetime(2026, 11, 17, 14, 1, tzinfo=NL))
    assert (final.event.type, final.event.occurred_at) == ("tlv_definitief", datetime(2026, 11, 17, 14, tzinfo=NL))
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
    """The LBC's advice is asked within 2 weeks of the bezwaar; the decision on bezwaar is due 12 weeks
    after the bezwaartermijn ended (Awb 7:10), however early the bezwaar came in.
    """
    case = granted()
    decision = in_bezwaar(case, "2026-10-20")
    assert (case.stage, decision.event.type) == ("bezwaar", "tlv_bezwaar_ingediend")
    assert [t.name for t in decision.cancelled] == ["bezwaartermijn"]
    assert {t.name: t.due_at for t in decision.started} == {
        "lbc_advies_aanvragen": datetime(2026, 11, 3, tzinfo=NL),
        "bezwaar_beslistermijn": datetime(2027, 2, 9, tzinfo=NL),
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
                                       "bezwaartermijn van 6 weken (die liep tot en met 17 november 2026).")


def test_a_bezwaar_dated_before_the_decision_is_refused() -> None:
    """There is nothing to object to before the decision."""
    case = granted()
    with pytest.raises(GuardFailed) as refused:
        in_bezwaar(case, "2026-10-05")
    assert refused.value.detail_nl == "Het bezwaar is ingediend op 5 oktober 2026, vóór het besluit van 6 oktober 2026."


def test_not_asking_the_lbc_within_two_weeks_raises_an_overdue_event() -> None:
    """The timer fires exactly 2 weeks after the bezwaar was lodged; the bezwaar stays open."""
    case = granted()
    in_bezwaar(case)
    late = fire(case, "lbc_advies_aanvragen", datetime(2026, 11, 3, 0, 1, tzinfo=NL))
    assert (late.event.type, late.event.occurred_at) == ("tlv_lbc_advies_niet_tijdig_gevraagd",
                                                         datetime(2026, 11, 3, tzinfo=NL))
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
    """Awb 7:10: verdagen once, by 6 weeks at most; a second extension is refused."""
    case = granted()
    in_bezwaar(case)
    send(case, "vraag_lbc_advies_aan", BEZWAAR + timedelta(days=3), actor=SWV)
    before = case.timers["bezwaar_beslistermijn"].due_at
    extended = send(case, "verleng_beslistermijn", datetime(2027, 1, 20, 9, tzinfo=NL),
                    {"reden": "Advies LBC nog niet ontvangen."}, actor=SWV)
    after = case.timers["bezwaar_beslistermijn"].due_at
    assert (before, after) == (datetime(2027, 2, 9, tzinfo=NL), datetime(2027, 3, 23, tzinfo=NL))
    assert after - before == timedelta(weeks=6)
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
    """At the (possibly extended) deadline without a decision: tlv_bezwaarbesluit_te_laat."""
    case = granted()
    in_bezwaar(case)
    send(case, "vraag_lbc_advies_aan", BEZWAAR + timedelta(days=3), actor=SWV)
    late = fire(case, "bezwaar_beslistermijn", datetime(2027, 2, 9, 8, tzinfo=NL))
    assert (late.event.type, late.event.occurred_at) == ("tlv_bezwaarbesluit_te_laat", datetime(2027, 2, 9, tzinfo=NL))
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
    assert [(t.name, t.due_at) for t in decision.started] == [("besluittermijn", revoked_at + timedelta(weeks=6))]
    new_decision = revoked_at + timedelta(days=7)
    send(case, "ken_toe", new_decision, TOEKENNING | {"startdatum": "2027-01-01", "einddatum": "2028-01-01"}, actor=BTO)
    assert case.artifacts["besluit"]["uitkomst"] == "toegekend"
    with pytest.raises(GuardFailed) as refused:
        send(case, "dien_bezwaar_in", new_decision + timedelta(days=1), {"ingediend_op": "2026-12-28"})
    assert refused.value.detail_nl == ("Op deze aanvraag is al op bezwaar beslist; tegen het nieuwe besluit staat "
                                       "geen tweede bezwaar open, wel beroep bij de rechtbank.")
    fire(case, "bezwaartermijn", new_decision + timedelta(weeks=6))
    assert case.stage == "definitief"


def test_a_request_can_be_withdrawn_which_ends_the_decision_deadline() -> None:
    """Closing a complete request cancels the besluittermijn; nothing is left running."""
    case = complete()
    decision = send(case, "sluit_af", BEOORDEELD, {"reden": "aanvraag_ingetrokken"})
    assert (case.stage, [t.name for t in decision.cancelled], case.timers) == ("afgesloten", ["besluittermijn"], {})
