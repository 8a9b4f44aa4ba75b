"""Hand-offs between pathways on every store: a reaction does its work once per source event, however often
it runs and however many workers run it; what it did is recorded beside the work, in the same transaction.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from domain.case import Actor, Command
from domain.durations import NL
from domain.handlers import NewCase, handle_command, open_case, react
from domain.reactions import Link, Reaction
from domain.registry import PathwayRegistry
from tests.infra.store.conftest import UowFactory

ZC = Actor("zorgcoordinator", "zc-1")
SWV = Actor("swv_coordinator", "swv-1")
NOW = datetime(2026, 9, 1, 9, tzinfo=NL)
LATER = datetime(2026, 9, 8, 9, tzinfo=NL)
REGISTRY = PathwayRegistry.builtin()
DECLARED = {r.name: r for r in REGISTRY.reactions}
TO_WACHT = DECLARED["zorgplicht_thuiszitterwacht"]


def aanmelding(new_uow: UowFactory, pupil: str = "lln-1") -> str:
    command = Command("registreer_aanmelding", ZC, {"aangemeld_op": "2026-09-01", "schriftelijk": True})
    return open_case(new_uow(), REGISTRY, NewCase("zorgplicht", "14PS03", pupil), command, NOW).case_id


def impasse(new_uow: UowFactory, pupil: str = "lln-1") -> str:
    case_id = aanmelding(new_uow, pupil)
    handle_command(new_uow(), REGISTRY, case_id, Command("meld_impasse", ZC, {"toelichting": "geen plek"}), NOW)
    return case_id


def trajectories(new_uow: UowFactory, pupil: str = "lln-1") -> dict[str, str]:
    with new_uow() as uow:
        return {c.pathway: c.stage for c in uow.trajectories_of(pupil)}


def made(new_uow: UowFactory, reaction: Reaction, case_id: str, seq: int) -> tuple[Link, bool]:
    """What ``reaction`` did for the event (it applies to it), and whether it did so now."""
    link, now = react(new_uow(), REGISTRY, reaction, case_id, seq, LATER)
    assert link is not None
    return link, now


def links(new_uow: UowFactory, case_id: str) -> list[Link]:
    with new_uow() as uow:
        return uow.links_of(case_id)


def test_an_impasse_opens_a_thuiszitterwacht_once_however_often_the_reaction_runs(new_uow: UowFactory) -> None:
    """The first run opens the watch and records the link; a second run replays that link and opens nothing."""
    case_id = impasse(new_uow)
    first, made_now = made(new_uow, TO_WACHT, case_id, 2)
    again, made_again = made(new_uow, TO_WACHT, case_id, 2)
    assert (first.outcome, made_now, made_again) == ("geopend", True, False)
    assert again == first
    assert trajectories(new_uow) == {"zorgplicht": "bij_swv", "thuiszitterwacht": "waakt"}
    assert links(new_uow, case_id) == links(new_uow, str(first.target_case_id)) == [first]


def test_eight_workers_reacting_to_one_event_open_one_case(new_uow: UowFactory) -> None:
    """The link's key is the conditional write: of eight racing workers one opens, the others replay."""
    case_id = impasse(new_uow)
    results: list[tuple[Link, bool]] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(made(new_uow, TO_WACHT, case_id, 2))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for _, made in results if made) == 1
    assert len({link.target_case_id for link, _ in results}) == 1
    with new_uow() as uow:
        assert [c.pathway for c in uow.trajectories_of("lln-1")].count("thuiszitterwacht") == 1


def test_a_reaction_that_is_not_needed_records_why_and_opens_nothing(new_uow: UowFactory) -> None:
    """A pupil who already has a running watch gets no second one: the link says so, in Dutch."""
    case_id = impasse(new_uow)
    made(new_uow, TO_WACHT, case_id, 2)
    other = impasse(new_uow)
    skipped, _ = made(new_uow, TO_WACHT, other, 2)
    assert (skipped.outcome, skipped.target_case_id) == ("overgeslagen", None)
    assert skipped.reason == "de leerling heeft al een lopend dossier thuiszitterwacht"
    with new_uow() as uow:
        assert [c.pathway for c in uow.trajectories_of("lln-1")].count("thuiszitterwacht") == 1


def test_a_refused_hand_off_is_recorded_with_the_reason_and_not_tried_again(new_uow: UowFactory) -> None:
    """A target that refuses writes nothing but the link: ``geweigerd`` with the Dutch reason, replayed after."""
    case_id = impasse(new_uow)
    without_einddatum = Reaction("proef", "Herbeoordeling zonder einddatum", "test", "zorgplicht",
                                 frozenset({"zorgplicht_impasse"}), opens="herbeoordeling")
    refused, _ = made(new_uow, without_einddatum, case_id, 2)
    again, again_now = made(new_uow, without_einddatum, case_id, 2)
    assert (refused.outcome, refused.target_case_id, again_now) == ("geweigerd", None, False)
    assert "einddatum" in refused.reason
    assert again == refused
    assert trajectories(new_uow) == {"zorgplicht": "bij_swv"}


def test_a_binding_decision_lifts_the_watch_its_impasse_opened(new_uow: UowFactory) -> None:
    """A command reaction acts on the case another reaction opened (``opened:<name>``), as the system."""
    case_id = impasse(new_uow)
    opened, _ = made(new_uow, TO_WACHT, case_id, 2)
    besluit = Command("neem_bindend_besluit", SWV, {"besluit": "toelaten", "school_brin": "14PS03"})
    handle_command(new_uow(), REGISTRY, case_id, besluit, LATER)
    lifted, _ = made(new_uow, DECLARED["zorgplicht_wacht_opgeheven"], case_id, 3)
    assert (lifted.outcome, lifted.target_case_id) == ("opdracht", opened.target_case_id)
    assert trajectories(new_uow) == {"zorgplicht": "bindend_besloten", "thuiszitterwacht": "opgeheven"}


def test_a_command_the_target_no_longer_allows_is_not_needed_rather_than_refused(new_uow: UowFactory) -> None:
    """The term passed, but before the relay ran the school admitted the pupil: handing the case to the SWV is
    not needed any more, and nobody is alarmed by a refusal.
    """
    case_id = aanmelding(new_uow)
    late = Command("meld_beslistermijn_verstreken", Actor("systeem", "termijnbewaking"))
    handle_command(new_uow(), REGISTRY, case_id, late, LATER)
    handle_command(new_uow(), REGISTRY, case_id, Command("laat_toe", ZC), LATER)
    skipped, _ = made(new_uow, DECLARED["zorgplicht_naar_swv"], case_id, 2)
    assert (skipped.outcome, skipped.reason) == ("overgeslagen", "het dossier staat inmiddels in fase 'toegelaten'")
    assert trajectories(new_uow) == {"zorgplicht": "toegelaten"}


def test_a_command_reaction_without_a_running_target_does_nothing(new_uow: UowFactory) -> None:
    """No watch was opened (or it was closed by a person): lifting it is not needed, and says so."""
    case_id = impasse(new_uow)
    besluit = Command("neem_bindend_besluit", SWV, {"besluit": "toelaten", "school_brin": "14PS03"})
    handle_command(new_uow(), REGISTRY, case_id, besluit, LATER)
    skipped, _ = made(new_uow, DECLARED["zorgplicht_wacht_opgeheven"], case_id, 3)
    assert skipped.outcome == "overgeslagen"
    assert trajectories(new_uow) == {"zorgplicht": "bindend_besloten"}


def test_a_condition_that_does_not_hold_is_no_hand_off_at_all(new_uow: UowFactory) -> None:
    """A reaction that only holds for another value of the event's field does nothing and records nothing."""
    case_id = impasse(new_uow)
    only_other = replace(TO_WACHT, name="alleen_anders", when={"event:toelichting": ("iets anders",)})
    assert react(new_uow(), REGISTRY, only_other, case_id, 2, LATER) == (None, False)
    assert trajectories(new_uow) == {"zorgplicht": "bij_swv"}
    assert links(new_uow, case_id) == []


def test_a_condition_that_holds_makes_the_hand_off(new_uow: UowFactory) -> None:
    """The same reaction for the value the event carries opens the watch."""
    case_id = impasse(new_uow)
    this_one = replace(TO_WACHT, name="alleen_deze", when={"event:toelichting": ("geen plek",)})
    opened, _ = made(new_uow, this_one, case_id, 2)
    assert opened.outcome == "geopend"


def _held_knooppunt(new_uow: UowFactory, soort: str, pupil: str) -> str:
    """A knooppunt of ``soort`` held on 22 September with the outcome 'TLV aanvragen' for an SO."""
    command = Command("vraag_knooppunt_aan", ZC, {"soort": soort, "toestemming_gegeven_door": "ouders"})
    case_id = open_case(new_uow(), REGISTRY, NewCase("knooppunt", "20XY00", pupil, "standaard"), command, NOW).case_id
    plan = Command("plan", ZC, {"datum": "2026-09-22", "deelnemers": "zorgcoordinator|School|ja|nee"})
    handle_command(new_uow(), REGISTRY, case_id, plan, NOW)
    houd = Command("houd", ZC, {"uitkomst": "tlv_aanvragen", "tlv_soort": "so"})
    handle_command(new_uow(), REGISTRY, case_id, houd, LATER)
    return case_id


def test_a_voorschools_knooppunt_opens_the_tlv_request_with_its_origin(new_uow: UowFactory) -> None:
    """From the voorschool the request carries herkomst 'voorschool' (its dossier needs no levels 3-4)."""
    case_id = _held_knooppunt(new_uow, "voorschools", "lln-v")  # its third event: knooppunt_gehouden
    assert react(new_uow(), REGISTRY, DECLARED["tlv_aanvragen_na_overleg"], case_id, 3, LATER) == (None, False)
    opened, _ = made(new_uow, DECLARED["tlv_aanvragen_na_voorschools_knooppunt"], case_id, 3)
    with new_uow() as uow:
        tlv = uow.get_case(str(opened.target_case_id))
    assert (tlv.pathway, tlv.artifacts["aanvraag"]["soort"], tlv.artifacts["aanvraag"]["herkomst"]) == (
        "tlv", "so", "voorschool")


def test_a_toeleidings_knooppunt_opens_a_regular_tlv_request(new_uow: UowFactory) -> None:
    """Any other knooppunt opens the request without a special origin."""
    case_id = _held_knooppunt(new_uow, "toeleiding", "lln-t")
    assert react(new_uow(), REGISTRY, DECLARED["tlv_aanvragen_na_voorschools_knooppunt"], case_id, 3, LATER) == (
        None, False)
    opened, _ = made(new_uow, DECLARED["tlv_aanvragen_na_overleg"], case_id, 3)
    assert opened.outcome == "geopend"


def test_a_watched_pupil_found_at_home_gets_a_thuiszitter_case(new_uow: UowFactory) -> None:
    """The school reports from the watch that the pupil sits at home: the system opens the thuiszitter case with
    the same facts, so leerplicht hears of it through the thuiszitter's own alert.
    """
    case_id = impasse(new_uow)
    opened, _ = made(new_uow, TO_WACHT, case_id, 2)
    wacht = str(opened.target_case_id)
    thuis = Command("meld_thuiszitter", SWV, {"soort": "absoluut", "sinds": "2026-09-07"})
    handle_command(new_uow(), REGISTRY, wacht, thuis, LATER)
    reported, _ = made(new_uow, DECLARED["wacht_naar_thuiszitter"], wacht, 2)
    with new_uow() as uow:
        thuiszitter = uow.get_case(str(reported.target_case_id))
    assert (thuiszitter.pathway, thuiszitter.stage) == ("thuiszitter", "gemeld")
    assert (thuiszitter.artifacts["melding"]["soort"], thuiszitter.artifacts["melding"]["sinds"]) == (
        "absoluut", "2026-09-07")
    assert trajectories(new_uow)["thuiszitterwacht"] == "thuiszitter_gemeld"
