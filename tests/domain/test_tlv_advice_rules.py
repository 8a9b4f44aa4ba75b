"""The TLV as the seeds and the law have it (issue 14 §4): expert advices per position (seed 001 §4.5.4, law),
their conclusions, completeness by kind of TLV and origin (seed 001 bijlage 2, seed 002 nos. 21-23), who
decides (seed 004 §4.3) and the duration that follows the uitstroomprofiel (seed 001 §4.5.2, seed 003).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from domain.case import Actor, Case, Command
from domain.context import Context, Profile
from domain.definition import PathwayDefinition
from domain.durations import NL, Duration
from domain.errors import GuardFailed, InvalidCommand, RoleNotAllowed
from domain.registry import PathwayRegistry
from infra.reference.profiles import load_profiles

ZC = Actor("zorgcoordinator", "zc-1")
BTO = Actor("bto", "bto-1")
SWV = Actor("swv_coordinator", "swv-1")
DESKUNDIGE = Actor("deskundige", "desk-1")
PROFILES = load_profiles()
VO3102 = PROFILES["vo-31-02"]
ZUID_LIMBURG = PROFILES["zuid-limburg-po"]
REGISTRY = PathwayRegistry.builtin(profiles=PROFILES)

START = datetime(2026, 9, 1, 9, tzinfo=NL)
DOSSIER = datetime(2026, 9, 8, 9, tzinfo=NL)
COMPLEET = datetime(2026, 9, 15, 10, tzinfo=NL)
BEOORDEELD = datetime(2026, 9, 29, 10, tzinfo=NL)
BESLOTEN = datetime(2026, 10, 6, 14, tzinfo=NL)
TOEKENNING = {"startdatum": "2026-11-01", "einddatum": "2027-10-31"}


def advies(discipline: str, deskundige: str, conclusie: str = "positief", **extra: Any) -> dict[str, Any]:
    return {"discipline": discipline, "deskundige": deskundige, "gezamenlijk": False, "conclusie": conclusie,
            "samenvatting": f"Advies van {deskundige}.", **extra}


def sibling(pathway: str, stage: str, **artifacts: dict[str, Any]) -> Case:
    """Another trajectory of the pupil, with the artifacts its pathway's contract names."""
    case = Case(f"{pathway}-1", pathway, 1, "14PS03", "lln-1", stage, START, START)
    case.artifacts.update(artifacts)
    return case


def opp(uitstroomprofiel: str | None = None) -> Case:
    found = {"uitstroomprofiel": {"uitstroomprofiel": uitstroomprofiel}} if uitstroomprofiel else {}
    return sibling("opp", "in_werking", **found)


def cascade(*doorlopen: str) -> Case:
    return sibling("cascade", "actief", niveau={"huidig": doorlopen[-1], "doorlopen": list(doorlopen)})


def rto() -> Case:
    deelnemers = [{"rol": "vso_deskundige", "organisatie": "VSO", "mandaat": False, "vso_expert": True}]
    return sibling("rto", "gehouden", deelnemers={"lijst": deelnemers}, uitkomst={"uitkomst": "tlv_aanvragen"})


def knooppunt(soort: str) -> Case:
    return sibling("knooppunt", "gehouden", aanvraag={"soort": soort}, uitkomst={"uitkomst": "tlv_aanvragen"})


class Tlv:
    """A TLV request under one profile, with the pupil's other trajectories."""

    def __init__(self, profile: Profile, *siblings: Case, soort: str = "vso", herkomst: str | None = None,
                 definition: PathwayDefinition | None = None) -> None:
        self.definition = definition or REGISTRY.for_profile("tlv", None, profile.code)
        self.profile, self.siblings = profile, list(siblings)
        payload = {"soort": soort, **({"herkomst": herkomst} if herkomst else {})}
        self.case, _ = Case.open("tlv-1", self.definition, "14PS03", "lln-1",
                                 Command("vraag_tlv_aan", ZC, payload), START, self.context(START))

    def context(self, at: datetime) -> Context:
        return Context(self.profile, lambda: self.siblings, at, at)

    def send(self, name: str, at: datetime, payload: dict[str, Any] | None = None, actor: Actor = ZC) -> None:
        self.case.handle(self.definition, Command(name, actor, payload or {}), at, self.context(at))

    def refused(self, name: str, at: datetime, payload: dict[str, Any] | None = None, actor: Actor = ZC) -> str:
        with pytest.raises(GuardFailed) as refused:
            self.send(name, at, payload, actor)
        return refused.value.detail_nl

    def stukken(self) -> Tlv:
        self.send("registreer_handtekening_ouders", DOSSIER, {"ondertekend_door": "ouders"})
        self.send("registreer_toestemmingsverklaring", DOSSIER, {"gegeven_door": "ouders"})
        self.send("registreer_zienswijze_ouders", DOSSIER)
        self.send("voeg_opp_toe", DOSSIER, {"handelingsplan": True})
        return self

    def adviezen(self, *adviezen: dict[str, Any]) -> Tlv:
        for payload in adviezen:
            self.send("registreer_deskundigenadvies", DOSSIER, payload, DESKUNDIGE)
        return self

    def compleet(self, *adviezen: dict[str, Any]) -> Tlv:
        self.stukken().adviezen(*(adviezen or (advies("jeugdarts", "d-1"), advies("orthopedagoog", "d-2"))))
        self.send("controleer_volledigheid", COMPLEET, actor=BTO)
        return self

    def beoordeeld(self, *adviezen: dict[str, Any], actor: Actor = BTO, oordeel: str | None = None) -> Tlv:
        self.compleet(*adviezen)
        self.send("registreer_beoordeling", BEOORDEELD, {"beoordelaar": "b-1", "oordeel": oordeel}, actor)
        self.send("registreer_beoordeling", BEOORDEELD, {"beoordelaar": "b-2"}, actor)
        return self


def vo3102(*extra: Case, **kwargs: Any) -> Tlv:
    return Tlv(VO3102, opp(), cascade("basis", "extra_in_school"), rto(), *extra, **kwargs)


# --- expert advices per position (seed 001 §4.5.4; law) -----------------------------------------


def test_in_vo_31_02_a_jeugdarts_and_an_orthopedagoog_complete_the_advices() -> None:
    """The first expert may be a jeugdarts, the second is always an orthopedagoog (seed 001 §4.5.4)."""
    tlv = vo3102().compleet(advies("jeugdarts", "d-1"), advies("orthopedagoog", "d-2"))
    assert tlv.case.stage == "compleet"
    assert [(a["positie"], a["discipline"]) for a in tlv.case.artifacts["adviezen"]["lijst"]] == [
        ("eerste", "jeugdarts"), ("tweede", "orthopedagoog")]


def test_in_vo_31_02_two_orthopedagogen_complete_the_advices() -> None:
    """An orthopedagoog of the own school and one of a VSO school: two separate advices."""
    tlv = vo3102().compleet(advies("orthopedagoog", "d-1"), advies("orthopedagoog", "d-2"))
    assert tlv.case.stage == "compleet"


@pytest.mark.parametrize("discipline", ["maatschappelijk_werker", "psycholoog", "jeugdarts"])
def test_in_vo_31_02_the_second_advice_from_anyone_but_an_orthopedagoog_is_refused(discipline: str) -> None:
    """The second expert is always an orthopedagoog (seed 001 §4.5.4); the message names who may."""
    tlv = vo3102().adviezen(advies("orthopedagoog", "d-1"))
    message = tlv.refused("registreer_deskundigenadvies", DOSSIER, advies(discipline, "d-2"), DESKUNDIGE)
    assert message.startswith("Het tweede advies komt in dit samenwerkingsverband van een orthopedagoog, niet van "
                              "een ")


def test_in_vo_31_02_a_first_advice_from_a_kinder_en_jeugdpsychiater_is_refused_naming_the_four() -> None:
    """The first expert is an orthopedagoog/psycholoog, maatschappelijk werker or jeugdarts (seed 001 §4.5.4)."""
    tlv = vo3102()
    message = tlv.refused("registreer_deskundigenadvies", DOSSIER, advies("kinder_jeugdpsychiater", "d-1"),
                          DESKUNDIGE)
    assert message == ("Het eerste advies komt in dit samenwerkingsverband van een orthopedagoog, psycholoog, "
                       "maatschappelijk werker of jeugdarts, niet van een kinder- en jeugdpsychiater.")


def test_the_second_advice_may_be_recorded_first_when_its_position_is_named() -> None:
    """The VSO school's orthopedagoog sends in first: recorded as the second advice, the jeugdarts then is first."""
    tlv = vo3102().stukken().adviezen(advies("orthopedagoog", "d-2", positie="tweede"), advies("jeugdarts", "d-1"))
    assert [(a["positie"], a["discipline"]) for a in tlv.case.artifacts["adviezen"]["lijst"]] == [
        ("tweede", "orthopedagoog"), ("eerste", "jeugdarts")]
    tlv.send("controleer_volledigheid", COMPLEET, actor=BTO)
    assert tlv.case.stage == "compleet"


def test_a_position_already_taken_is_refused() -> None:
    """Each position holds one advice."""
    tlv = vo3102().adviezen(advies("orthopedagoog", "d-1"))
    message = tlv.refused("registreer_deskundigenadvies", DOSSIER, advies("orthopedagoog", "d-2", positie="eerste"),
                          DESKUNDIGE)
    assert message == "Het eerste advies is al vastgelegd; leg dit advies vast als het tweede advies."


def test_in_vo_31_02_two_advices_by_one_person_are_refused() -> None:
    """Two advices means two people, whatever their discipline (law)."""
    tlv = vo3102().adviezen(advies("orthopedagoog", "d-1"))
    message = tlv.refused("registreer_deskundigenadvies", DOSSIER, advies("orthopedagoog", "d-1"), DESKUNDIGE)
    assert message == "Deskundige d-1 heeft al geadviseerd; het tweede advies moet van een andere deskundige komen."


def test_a_joint_advice_stays_refused_in_vo_31_02() -> None:
    """One joint advice is legally defective, in every region."""
    tlv = vo3102()
    message = tlv.refused("registreer_deskundigenadvies", DOSSIER, advies("orthopedagoog", "d-1", gezamenlijk=True),
                          DESKUNDIGE)
    assert message.startswith("Eén gezamenlijk advies van twee deskundigen is juridisch ondeugdelijk")


def test_in_vo_31_02_the_completeness_check_names_who_may_give_each_missing_advice() -> None:
    """The missing advices are named with the disciplines the profile allows for them."""
    tlv = vo3102().stukken()
    message = tlv.refused("controleer_volledigheid", COMPLEET, actor=BTO)
    assert message == (
        "Advies 1 ontbreekt: het eerste deskundigenadvies, van een orthopedagoog, psycholoog, maatschappelijk werker "
        "of jeugdarts. Advies 2 ontbreekt: een tweede, afzonderlijk deskundigenadvies van een andere deskundige, van "
        "een orthopedagoog.")


def test_without_a_profile_the_missing_second_advice_must_be_the_laws_orthopedagoog_or_psycholoog() -> None:
    """After a maatschappelijk werker, only an orthopedagoog or psycholoog can complete the pair (law)."""
    tlv = Tlv(PROFILES["standaard"], opp(), cascade("1")).stukken().adviezen(advies("maatschappelijk_werker", "d-1"))
    assert tlv.refused("controleer_volledigheid", COMPLEET, actor=BTO) == (
        "Advies 2 ontbreekt: een tweede, afzonderlijk deskundigenadvies van een andere deskundige, van een "
        "orthopedagoog of psycholoog.")


def test_an_advice_without_its_conclusion_and_summary_is_refused() -> None:
    """Each advice records its conclusion and a summary (DOMAIN.md §3)."""
    tlv = vo3102()
    with pytest.raises(InvalidCommand) as refused:
        tlv.send("registreer_deskundigenadvies", DOSSIER, {"discipline": "jeugdarts", "deskundige": "d-1",
                                                           "gezamenlijk": False}, DESKUNDIGE)
    assert refused.value.problems == ("Veld 'conclusie' (conclusie van het advies) ontbreekt.",
                                      "Veld 'samenvatting' (samenvatting van het advies) ontbreekt.")


# --- conclusions and the decision ---------------------------------------------------------------


def test_a_grant_against_two_negative_advices_without_a_motivering_is_refused() -> None:
    """A decision that departs from both advices says why (Awb art. 3:46, 3:50)."""
    tlv = vo3102().beoordeeld(advies("jeugdarts", "d-1", "negatief"), advies("orthopedagoog", "d-2", "negatief"))
    assert tlv.refused("ken_toe", BESLOTEN, TOEKENNING, BTO) == (
        "Beide deskundigenadviezen zijn negatief. Een toekenning tegen twee negatieve adviezen moet gemotiveerd "
        "zijn: vul 'motivering' in en geef aan waarom het besluit van de adviezen afwijkt.")


def test_a_grant_against_two_negative_advices_with_a_motivering_is_granted_and_keeps_it() -> None:
    tlv = vo3102().beoordeeld(advies("jeugdarts", "d-1", "negatief"), advies("orthopedagoog", "d-2", "negatief"))
    tlv.send("ken_toe", BESLOTEN, {**TOEKENNING, "motivering": "Nieuwe feiten na de adviezen."}, BTO)
    assert (tlv.case.stage, tlv.case.artifacts["besluit"]["motivering"]) == ("toegekend",
                                                                            "Nieuwe feiten na de adviezen.")


def test_a_grant_after_two_positive_advices_needs_no_motivering() -> None:
    tlv = vo3102().beoordeeld()
    tlv.send("ken_toe", BESLOTEN, TOEKENNING, BTO)
    assert tlv.case.stage == "toegekend"


@pytest.mark.parametrize(("command", "payload"), [("ken_toe", TOEKENNING), ("wijs_af", {"reden": "Regulier."})])
def test_in_vo_31_02_advices_that_disagree_need_a_new_mdo_before_any_decision(
    command: str, payload: dict[str, Any],
) -> None:
    """VO 31-02 (bij_verschil: nieuw_mdo; seed 001 bijlage 2: "nader overleg gevoerd met de betrokkenen")."""
    tlv = vo3102().beoordeeld(advies("jeugdarts", "d-1", "positief"), advies("orthopedagoog", "d-2", "negatief"))
    assert tlv.refused(command, BESLOTEN, payload, BTO) == (
        "De deskundigenadviezen verschillen (positief en negatief). In dit samenwerkingsverband volgt dan eerst een "
        "nieuw multidisciplinair overleg (MDO): leg het vast met 'MDO vastleggen' (registreer_mdo) en besluit "
        "daarna.")


def test_in_vo_31_02_after_the_new_mdo_the_bto_decides() -> None:
    tlv = vo3102().beoordeeld(advies("jeugdarts", "d-1", "positief"),
                              advies("orthopedagoog", "d-2", "aanvullend_onderzoek"))
    tlv.send("registreer_mdo", BEOORDEELD, {"datum": "2026-09-29", "uitkomst": "VSO is passend."}, BTO)
    tlv.send("ken_toe", BESLOTEN, TOEKENNING, BTO)
    assert (tlv.case.stage, tlv.case.artifacts["mdo"]["datum"]) == ("toegekend", "2026-09-29")


def test_an_mdo_dated_before_the_advices_is_not_the_new_mdo() -> None:
    tlv = vo3102().beoordeeld(advies("jeugdarts", "d-1", "positief"), advies("orthopedagoog", "d-2", "negatief"))
    assert tlv.refused("registreer_mdo", BEOORDEELD, {"datum": "2026-09-07", "uitkomst": "Eerder overleg."},
                       BTO) == ("Het MDO van 7 september 2026 was vóór het laatste deskundigenadvies (8 september "
                                "2026); een nieuw MDO weegt beide adviezen en volgt erop.")


def test_by_default_a_grant_on_advices_that_disagree_needs_a_motivering_and_a_rejection_its_reason() -> None:
    """The law's default (bij_verschil: besluit_motiveren): the decision says why it follows one advice."""
    standaard = PROFILES["standaard"]
    tlv = Tlv(standaard, opp(), cascade("1")).beoordeeld(advies("orthopedagoog", "d-1", "positief"),
                                                          advies("arts", "d-2", "negatief"))
    assert tlv.refused("ken_toe", BESLOTEN, TOEKENNING, BTO).startswith(
        "De deskundigenadviezen verschillen (positief en negatief). Het besluit moet dan gemotiveerd zijn")
    tlv.send("ken_toe", BESLOTEN, {**TOEKENNING, "motivering": "Het eerste advies weegt zwaarder."}, BTO)
    assert tlv.case.stage == "toegekend"
    other = Tlv(standaard, opp(), cascade("1")).beoordeeld(advies("orthopedagoog", "d-1", "positief"),
                                                            advies("arts", "d-2", "negatief"))
    other.send("wijs_af", BESLOTEN, {"reden": "Het tweede advies weegt zwaarder."}, BTO)
    assert other.case.stage == "afgewezen"


# --- completeness by kind of TLV and origin (seed 001 bijlage 2; seed 002 nos. 21-23) -------------


PRO_GEHAALD = {"begrijpend_lezen_dle": 24, "inzichtelijk_rekenen_dle": 20, "spellen_dle": 35, "iq": 70}


def test_a_request_without_herkomst_is_regulier_and_needs_the_cascade_and_rto_in_vo_31_02() -> None:
    """Existing callers send no herkomst: the default is regulier, with VO 31-02's cascade and RTO."""
    tlv = Tlv(VO3102, opp()).stukken().adviezen(advies("jeugdarts", "d-1"), advies("orthopedagoog", "d-2"))
    assert tlv.refused("controleer_volledigheid", COMPLEET, actor=BTO) == (
        "Het bewijs van de doorlopen cascade ontbreekt: de leerling heeft geen cascadetraject. Het rondetafeloverleg "
        "(RTO) met een deskundige van een VSO-school ontbreekt: er is geen gehouden RTO waaraan een VSO-deskundige "
        "deelnam.")


def test_a_pro_tlv_at_the_po_vo_move_needs_the_pro_criteria_and_no_cascade_or_rto() -> None:
    """Seed 001 bijlage 2: the national PrO criteria; a pupil coming from PO has no VO cascade or RTO."""
    tlv = Tlv(VO3102, opp(), soort="pro", herkomst="po_vo_overstap").stukken().adviezen(
        advies("psycholoog", "d-1"), advies("orthopedagoog", "d-2"))
    assert tlv.refused("controleer_volledigheid", COMPLEET, actor=BTO) == (
        "Het bewijs voor de criteria van het praktijkonderwijs ontbreekt: de leerachterstanden (DLE) op de vier "
        "domeinen en het IQ. Leg ze vast met 'PrO-criteria vastleggen'.")
    tlv.send("registreer_pro_criteria", DOSSIER, PRO_GEHAALD)
    tlv.send("controleer_volledigheid", COMPLEET, actor=BTO)
    assert tlv.case.stage == "compleet"
    assert tlv.case.artifacts["volledigheid"]["bewijs"] == ["pro_criteria"]
    assert tlv.case.artifacts["pro_criteria"]["achterstand_op"] == ["begrijpend_lezen", "inzichtelijk_rekenen"]


def test_the_pro_criteria_belong_to_a_pro_tlv_only() -> None:
    assert vo3102().refused("registreer_pro_criteria", DOSSIER, PRO_GEHAALD) == (
        "De criteria van het praktijkonderwijs horen bij een TLV voor PrO, niet bij een TLV voor VSO.")


def test_a_pro_tlv_is_granted_when_the_criteria_are_met_and_refused_when_not() -> None:
    """DLE < 30 on two domains, one of them rekenen or begrijpend lezen, and an IQ from 55 to 80."""
    def pro(criteria: dict[str, int]) -> Tlv:
        tlv = Tlv(VO3102, opp(), soort="pro", herkomst="po_vo_overstap").stukken()
        tlv.send("registreer_pro_criteria", DOSSIER, criteria)
        return tlv.beoordeeld(advies("psycholoog", "d-1"), advies("orthopedagoog", "d-2"))

    met = pro(PRO_GEHAALD)
    met.send("ken_toe", BESLOTEN, TOEKENNING, BTO)
    assert met.case.stage == "toegekend"
    niet = pro({"technisch_lezen_dle": 20, "spellen_dle": 22, "begrijpend_lezen_dle": 40, "iq": 70})
    assert niet.refused("ken_toe", BESLOTEN, TOEKENNING, BTO) == (
        "De leerling voldoet niet aan de criteria voor praktijkonderwijs (seed 001 bijlage 2): een leerachterstand "
        "van minstens 3 jaar (DLE onder 30) op minstens twee domeinen, waarvan één rekenen of begrijpend lezen, en "
        "een IQ van 55 tot en met 80. Vastgelegd: achterstand op technisch lezen en spellen, IQ 70.")


def test_an_so_vso_continuation_needs_no_vo_cascade_or_rto() -> None:
    """A pupil continuing from SO to VSO never was in a regular VO school (VO 31-02 profile rule)."""
    tlv = Tlv(VO3102, opp(), herkomst="so_vso_vervolg").compleet()
    assert (tlv.case.stage, tlv.case.artifacts["volledigheid"]["bewijs"]) == ("compleet", [])


def test_an_origin_that_does_not_fit_the_kind_of_tlv_is_refused() -> None:
    """SO to VSO leads to a VSO TLV, not to an SO TLV."""
    with pytest.raises(GuardFailed) as refused:
        Tlv(VO3102, opp(), soort="so", herkomst="so_vso_vervolg")
    assert refused.value.detail_nl == ("Een TLV voor SO past niet bij het vervolg van SO naar VSO: vanuit het vervolg "
                                       "van SO naar VSO vraagt een school een TLV voor VSO aan.")


def test_in_zuid_limburg_a_voorschool_request_goes_through_a_voorschools_knooppunt_not_levels_3_and_4() -> None:
    """Seed 002 nos. 21-22: placements from the voorschool go through the knooppunt."""
    tlv = Tlv(ZUID_LIMBURG, opp(), knooppunt("casuistiek"), soort="so", herkomst="voorschool").stukken().adviezen(
        advies("orthopedagoog", "d-1"), advies("jeugdarts", "d-2"))
    assert tlv.refused("controleer_volledigheid", COMPLEET, actor=BTO) == (
        "Het voorschools knooppunt ontbreekt: een plaatsing vanuit de voorschool verloopt via een voorschools "
        "knooppunt, en de leerling heeft geen gehouden voorschools knooppunt.")
    tlv.siblings.append(knooppunt("voorschools"))
    tlv.send("controleer_volledigheid", COMPLEET, actor=BTO)
    assert (tlv.case.stage, tlv.case.artifacts["volledigheid"]["knooppunt_dossier"]) == ("compleet", "knooppunt-1")


def test_in_zuid_limburg_a_regular_request_still_needs_levels_3_and_4() -> None:
    tlv = Tlv(ZUID_LIMBURG, opp(), cascade("1", "2"), soort="so").stukken().adviezen(
        advies("orthopedagoog", "d-1"), advies("jeugdarts", "d-2"))
    assert tlv.refused("controleer_volledigheid", COMPLEET, actor=BTO) == (
        "Het bewijs van de doorlopen cascade ontbreekt: niveaus 3 en 4 zijn niet doorlopen, en dat is vereist vóór "
        "een TLV-aanvraag.")


# --- who decides (seed 004 §4.3) ----------------------------------------------------------------


def _profiles_deciding_by(tmp_path: Path, besluit_door: str) -> PathwayRegistry:
    (tmp_path / "vo-9999.yaml").write_text(
        f"code: vo-9999\nname: SWV VO 99-99\nsector: vo\ncascade:\n  levels: [a, b]\n"
        f"tlv:\n  besluit_door: {besluit_door}\n", encoding="utf-8")
    return PathwayRegistry.builtin(profiles=load_profiles(tmp_path))


def _in(registry: PathwayRegistry) -> Tlv:
    profile = registry.profile("vo-9999")
    return Tlv(profile, opp(), cascade("a"), definition=registry.for_profile("tlv", None, profile.code))


def test_by_default_the_bto_decides_and_the_swv_office_may_not() -> None:
    """Today's behaviour: the BTO decides (seed 001 bijlage 2)."""
    tlv = vo3102().beoordeeld()
    with pytest.raises(RoleNotAllowed):
        tlv.send("ken_toe", BESLOTEN, TOEKENNING, SWV)
    tlv.send("ken_toe", BESLOTEN, TOEKENNING, BTO)
    assert tlv.case.artifacts["besluit"]["besloten_door"] == "bto"


def test_where_a_loket_decides_the_swv_office_decides_and_the_bto_may_not(tmp_path: Path) -> None:
    tlv = _in(_profiles_deciding_by(tmp_path, "loket")).beoordeeld(actor=SWV)
    with pytest.raises(RoleNotAllowed):
        tlv.send("wijs_af", BESLOTEN, {"reden": "Regulier."}, BTO)
    tlv.send("wijs_af", BESLOTEN, {"reden": "Regulier."}, SWV)
    assert (tlv.case.stage, tlv.case.artifacts["besluit"]["besloten_door"]) == ("afgewezen", "loket")


def test_where_a_commissie_advises_the_director_decides_after_the_commissies_advice(tmp_path: Path) -> None:
    """The commissie (BTO role) reviews and advises; the director (as SWV office) decides, once advised."""
    registry = _profiles_deciding_by(tmp_path, "commissie_adviseert_directeur")
    unadvised = _in(registry).beoordeeld()
    assert unadvised.refused("ken_toe", BESLOTEN, TOEKENNING, SWV) == (
        "In dit samenwerkingsverband adviseert de commissie de directeur, die besluit. Het advies van de commissie "
        "ontbreekt: leg bij een beoordeling het oordeel (toekennen of afwijzen) vast.")
    advised = _in(registry).beoordeeld(oordeel="toekennen")
    with pytest.raises(RoleNotAllowed):
        advised.send("ken_toe", BESLOTEN, TOEKENNING, BTO)
    advised.send("ken_toe", BESLOTEN, TOEKENNING, SWV)
    assert advised.case.artifacts["besluit"]["besloten_door"] == "commissie_adviseert_directeur"


def test_a_profile_whose_roles_name_an_unknown_command_is_refused() -> None:
    odd = Profile("odd", "Odd", roles={"tlv": {"beslis": frozenset({"bto"})}})
    with pytest.raises(ValueError, match="profile 'odd': roles: pathway 'tlv' has no command"):
        PathwayRegistry.builtin(profiles={"odd": odd})


# --- duration by uitstroomprofiel (seed 001 §4.5.2; seed 003) -----------------------------------


@pytest.mark.parametrize(("uitstroom", "einde"), [("vervolgonderwijs", "2027-10-31"), ("arbeid", "2028-10-31"),
                                                  ("dagbesteding", "2029-10-31")])
def test_without_an_end_date_the_duration_follows_the_uitstroomprofiel(uitstroom: str, einde: str) -> None:
    """VO 31-02: vervolgonderwijs the legal minimum; arbeid and dagbesteding longer (this profile: 24, 36 months)."""
    tlv = Tlv(VO3102, opp(uitstroom), cascade("basis", "extra_in_school"), rto()).beoordeeld()
    tlv.send("ken_toe", BESLOTEN, {"startdatum": "2026-11-01"}, BTO)
    besluit = tlv.case.artifacts["besluit"]
    assert (besluit["einddatum"], besluit["looptijd"], besluit["uitstroomprofiel"]) == (
        einde, f"uitstroomprofiel_{uitstroom}", uitstroom)


def test_without_an_end_date_or_an_uitstroomprofiel_the_grant_is_refused_saying_what_to_do() -> None:
    tlv = vo3102().beoordeeld()
    assert tlv.refused("ken_toe", BESLOTEN, {"startdatum": "2026-11-01"}, BTO) == (
        "Vul 'einddatum' in, of leg het uitstroomprofiel (vervolgonderwijs, arbeid of dagbesteding) vast op het OPP "
        "van de leerling: de looptijd van de TLV volgt dan uit het uitstroomprofiel.")


def test_without_durations_in_the_profile_every_uitstroomprofiel_gets_the_minimum() -> None:
    tlv = Tlv(PROFILES["standaard"], opp("dagbesteding"), cascade("1")).beoordeeld(
        advies("orthopedagoog", "d-1"), advies("arts", "d-2"))
    tlv.send("ken_toe", BESLOTEN, {"startdatum": "2026-08-01"}, BTO)
    assert tlv.case.artifacts["besluit"]["einddatum"] == "2027-07-31"


def test_a_tlv_for_the_whole_school_period_is_refused_where_the_profile_does_not_allow_it() -> None:
    tlv = vo3102().beoordeeld()
    assert tlv.refused("ken_toe", BESLOTEN, {**TOEKENNING, "einddatum": "2031-07-31", "hele_schoolperiode": True},
                       BTO) == ("Een TLV voor de hele schoolperiode geeft dit samenwerkingsverband niet; deze aanvraag "
                                "is voor VSO. Vul een einddatum in.")


def test_a_tlv_for_the_whole_school_period_runs_to_the_periods_last_day_where_the_profile_allows_it() -> None:
    """Seed 003: TLVs for cluster 3 for the whole school period where possible."""
    profile = Profile("plein", "Plein", settings={"tlv_hele_schoolperiode": ["so"], "tlv_looptijd": {
        "arbeid": Duration(months=24)}})
    tlv = Tlv(profile, opp("arbeid"), cascade("1"), soort="so", definition=REGISTRY.get("tlv")).beoordeeld(
        advies("orthopedagoog", "d-1"), advies("arts", "d-2"))
    assert tlv.refused("ken_toe", BESLOTEN, {"startdatum": "2026-11-01", "hele_schoolperiode": True}, BTO) == (
        "Een TLV voor de hele schoolperiode loopt tot het einde van die periode: vul als 'einddatum' de laatste dag "
        "van de schoolperiode in.")
    tlv.send("ken_toe", BESLOTEN, {"startdatum": "2026-11-01", "einddatum": "2032-07-31",
                                   "hele_schoolperiode": True}, BTO)
    assert (tlv.case.artifacts["besluit"]["einddatum"], tlv.case.artifacts["besluit"]["looptijd"]) == (
        "2032-07-31", "hele_schoolperiode")
