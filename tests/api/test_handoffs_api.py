"""Hand-offs between pathways through HTTP (issue 14 §1): made by the system, once, and shown on both cases.

The relay flow runs ``Service.react``; here the test runs it at the instant it set, as the flow would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infra.settings import Settings
from service import Service
from tests.api.conftest import ControllableClock, RunningApi, bearer
from tests.api.test_access import import_reference_data
from tests.api.test_scenario import BTO, COMPLETE_TLV_DOSSIER, SWV, Pupil

ELSEWHERE = bearer("zc_elsewhere")


class Handing(Pupil):
    """A pupil whose hand-offs are made when the test says so."""

    def react(self) -> dict[str, int]:
        return self.sweeper.react(self.clock()).outcomes

    def case(self, pathway: str) -> dict[str, Any]:
        found: dict[str, Any] = self.api.get(f"/cases/{self.case_id(pathway)}").json()
        return found

    def case_id(self, pathway: str) -> str:
        timeline = self.timeline()
        [found] = [t["case_id"] for t in timeline["active"] + timeline["closed"] if t["pathway"] == pathway]
        return str(found)

    def count(self, pathway: str) -> int:
        timeline = self.timeline()
        return sum(1 for t in timeline["active"] + timeline["closed"] if t["pathway"] == pathway)

    def granted_tlv(self, *, with_opp: bool) -> None:
        """A VSO TLV granted on 12 November 2026 until 31 July 2028, definitief on 13 November."""
        self.at("2026-10-01")
        self.start("cascade", {"niveau": "3", "reden": "Duiden & Doen"})
        self.do("cascade", "wijzig_niveau", {"niveau": "4", "reden": "externe expertise"})
        if with_opp:
            self.start("opp", {"extra_ondersteuning_sinds": "2026-09-22"})
        self.start("tlv", {"soort": "vso"})
        for command, payload in COMPLETE_TLV_DOSSIER:
            self.do("tlv", command, {"handelingsplan": True} if command == "voeg_opp_toe" and not with_opp
                    else payload)
        self.do("tlv", "controleer_volledigheid", headers=BTO)
        self.do("tlv", "registreer_beoordeling", {"beoordelaar": "b-1"}, headers=BTO)
        self.do("tlv", "registreer_beoordeling", {"beoordelaar": "b-2"}, headers=BTO)
        self.at("2026-10-29")
        self.do("tlv", "ken_toe", {"categorie": "laag", "startdatum": "2026-11-01", "einddatum": "2028-07-31"},
                headers=BTO)
        self.at("2026-12-11")  # the bezwaartermijn's last day, 10 December, is over
        assert self.active()["tlv"] == "definitief"


@pytest.fixture
def pupil(api: httpx.Client, clock: ControllableClock, running_api: RunningApi) -> Iterator[Handing]:
    sweeper = Service.from_settings(Settings(database_url=running_api.database.url))
    import_reference_data(api)
    yield Handing(api, clock, sweeper)
    sweeper.engine.dispose()


def _alerts(api: httpx.Client, who: str, case_id: str) -> list[dict[str, Any]]:
    items = api.get("/alerts", params={"state": "all", "limit": 500}, headers=bearer(who)).json()["items"]
    return [a for a in items if a["case_id"] == case_id]


def test_a_definitive_tlv_opens_its_herbeoordeling_once_and_a_lapse_reaches_the_swv_the_day_after(
    pupil: Handing, running_api: RunningApi,
) -> None:
    """Two workers and a re-run make one herbeoordeling, with the start deadline 6 months before the end date
    and the end date itself; with no outcome, the SWV coordinator hears of it on 1 August, not on 31 July.
    """
    pupil.granted_tlv(with_opp=True)
    other = Service.from_settings(Settings(database_url=running_api.database.url))
    barrier = threading.Barrier(2)

    def worker(service: Service) -> None:
        barrier.wait()
        service.react(pupil.clock())

    threads = [threading.Thread(target=worker, args=(s,)) for s in (pupil.sweeper, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pupil.react()
    other.engine.dispose()
    assert pupil.count("herbeoordeling") == 1
    assert pupil.deadlines("herbeoordeling") == {"herbeoordeling_start": "2028-01-31", "tlv_einde": "2028-07-31"}
    tlv, herbeoordeling = pupil.case("tlv"), pupil.case("herbeoordeling")
    [opened] = tlv["opened"]
    assert (opened["case_id"], opened["pathway"], opened["outcome"]) == (herbeoordeling["case_id"],
                                                                         "herbeoordeling", "geopend")
    [opened_by] = herbeoordeling["opened_by"]
    assert (opened_by["case_id"], opened_by["pathway"], opened_by["reaction"]) == (
        tlv["case_id"], "tlv", "tlv_naar_herbeoordeling")

    pupil.at("2028-07-31")
    pupil.sweeper.raise_alerts(pupil.clock())
    assert _alerts(pupil.api, "swv_coordinator", herbeoordeling["case_id"]) == []
    pupil.at("2028-08-01")
    pupil.sweeper.raise_alerts(pupil.clock())
    found = _alerts(pupil.api, "swv_coordinator", herbeoordeling["case_id"])
    assert [a["title"].split(".")[0] for a in found] == ["Termijn verstreken: TLV verlopen zonder herbeoordeling"]


def test_a_placement_opens_the_opp_at_the_receiving_school_with_its_six_week_term(pupil: Handing) -> None:
    """Placed with a TLV and no OPP running: the system opens the OPP where the pupil now is (law: within 6 weeks)."""
    pupil.granted_tlv(with_opp=False)
    pupil.react()
    assert pupil.do("tlv", "plaats", {"school_brin": "00KX00"}) == "geplaatst"
    assert pupil.react() == {"geopend": 1}
    opp = pupil.case("opp")
    assert (opp["stage"], opp["school_brin"]) == ("concept", "00KX00")
    assert pupil.deadlines("opp") == {"opp_termijn": "2027-01-22"}


def test_a_placement_opens_no_second_opp_and_says_why(pupil: Handing) -> None:
    """An OPP is already running: nothing is opened, and the TLV's dossier says the hand-off was not needed."""
    pupil.granted_tlv(with_opp=True)
    pupil.react()
    pupil.do("tlv", "plaats", {"school_brin": "00KX00"})
    assert pupil.react() == {"overgeslagen": 1}
    assert pupil.count("opp") == 1
    skipped = [link for link in pupil.case("tlv")["opened"] if link["reaction"] == "plaatsing_naar_opp"]
    assert [(s["outcome"], s["reason"], s["case_id"]) for s in skipped] == [
        ("overgeslagen", "de leerling heeft al een lopend dossier opp", None)]


def test_a_knooppunt_that_concludes_tlv_aanvragen_opens_the_request_and_another_outcome_does_not(
    pupil: Handing,
) -> None:
    """The outcome 'TLV aanvragen' with its kind opens the TLV request, linked; an advice opens nothing."""
    pupil.at("2026-09-08")
    pupil.start("knooppunt", {"soort": "toeleiding", "toestemming_gegeven_door": "ouders"})
    pupil.do("knooppunt", "plan", {"datum": "2026-09-22", "deelnemers": "zorgcoordinator|School|ja|nee"})
    pupil.at("2026-09-22")
    pupil.do("knooppunt", "houd", {"uitkomst": "tlv_aanvragen", "tlv_soort": "so"})
    assert pupil.react() == {"geopend": 1}
    assert pupil.active() == {"tlv": "aangevraagd"}
    assert pupil.case("tlv")["opened_by"][0]["case_id"] == pupil.case_id("knooppunt")

    other = Handing(pupil.api, pupil.clock, pupil.sweeper)
    other.start("knooppunt", {"soort": "casuistiek", "toestemming_gegeven_door": "ouders"})
    other.do("knooppunt", "plan", {"datum": "2026-09-22", "deelnemers": "zorgcoordinator|School|ja|nee"})
    other.do("knooppunt", "houd", {"uitkomst": "advies"})
    assert other.react() == {}
    assert other.active() == {}


def test_a_zorgplicht_term_that_passes_goes_to_the_swv_with_a_watch_that_a_binding_decision_lifts(
    pupil: Handing,
) -> None:
    """Six weeks without a decision: the system hands the case to the SWV (doorzettingsmacht) and starts a
    thuiszitterwacht; the SWV's binding decision lifts the watch again.
    """
    pupil.at("2026-09-01")
    pupil.start("zorgplicht", {"aangemeld_op": "2026-09-01", "schriftelijk": True})
    pupil.at("2026-10-14")  # the last day, 13 October, is over
    assert pupil.react() == {"opdracht": 1, "geopend": 1}
    assert pupil.active() == {"zorgplicht": "bij_swv", "thuiszitterwacht": "waakt"}
    assert pupil.deadlines("thuiszitterwacht") == {"controle": "2026-11-11"}
    pupil.do("zorgplicht", "neem_bindend_besluit", {"besluit": "toelaten", "school_brin": "14PS00"}, headers=SWV)
    assert pupil.react() == {"opdracht": 1}
    assert pupil.active() == {}


def test_a_thuiszitter_back_in_school_gets_a_follow_up_check(pupil: Handing) -> None:
    """Back in education: a watch at the new school whose check falls due after the profile's period."""
    pupil.at("2026-09-01")
    pupil.start("thuiszitter", {"soort": "relatief", "sinds": "2026-06-01"})
    pupil.do("thuiszitter", "terug_naar_onderwijs", {"school_brin": "00KX00"})
    assert pupil.react() == {"geopend": 1}
    watch = pupil.case("thuiszitterwacht")
    assert (watch["stage"], watch["school_brin"]) == ("waakt", "00KX00")
    assert pupil.deadlines("thuiszitterwacht") == {"controle": "2026-09-29"}


def test_a_herbeoordeling_back_to_vo_plans_the_transfer_and_a_refusal_reaches_a_person(pupil: Handing) -> None:
    """Terug naar VO: the overstap is planned with the date and school decided; in PO, where a terugplaatsing goes
    through a knooppunt that was not held, the hand-off is refused and the school and SWV are told.
    """
    pupil.at("2026-09-01")
    pupil.start("herbeoordeling", {"einddatum": "2027-07-31"})
    pupil.do("herbeoordeling", "start_herbeoordeling")
    pupil.do("herbeoordeling", "plaats_terug", {"naar_school_brin": "14PS03", "geplande_datum": "2027-08-01"})
    assert pupil.react() == {"geopend": 1}
    assert pupil.deadlines("vso_vo_overstap") == {"orientatie_start": "2027-03-01"}

    po = Handing(pupil.api, pupil.clock, pupil.sweeper)
    opened = pupil.api.post("/cases", headers=ELSEWHERE, json={"pathway": "herbeoordeling", "school_brin": "20XY00",
                                                                "pupil_id": po.id,
                                                                "payload": {"einddatum": "2027-07-31"}})
    case_id = opened.json()["case_id"]
    for command, payload in (("start_herbeoordeling", {}),
                             ("plaats_terug", {"naar_school_brin": "20XY01", "geplande_datum": "2027-08-01"})):
        done = pupil.api.post(f"/cases/{case_id}/commands", headers=ELSEWHERE,
                              json={"command": command, "payload": payload})
        assert done.status_code == httpx.codes.OK, done.text
    assert po.react() == {"geweigerd": 1}
    [refused] = pupil.api.get(f"/cases/{case_id}", headers=ELSEWHERE).json()["opened"]
    assert (refused["outcome"], refused["case_id"]) == ("geweigerd", None)
    assert "knooppunt" in refused["reason"]
    for who in ("zc_elsewhere", "swv_elsewhere"):
        [alert] = _alerts(pupil.api, who, case_id)
        assert (alert["kind"], alert["title"].split(" (")[0]) == ("overdracht", "Overdracht niet gelukt")
    assert po.react() == {}
    assert [a["kind"] for a in _alerts(pupil.api, "zc_elsewhere", case_id)] == ["overdracht"]


def test_a_cascade_level_with_extra_support_opens_the_opp_and_a_level_without_does_not(pupil: Handing) -> None:
    """VO 31-02: basisondersteuning needs no OPP; extra ondersteuning in school starts the OPP's 6 weeks."""
    pupil.at("2026-09-01")
    pupil.start("cascade", {"niveau": "basis"}, school="14PS03")
    assert pupil.react() == {}
    pupil.at("2026-09-15")
    pupil.do("cascade", "wijzig_niveau", {"niveau": "extra_in_school", "reden": "extra ondersteuning"})
    assert pupil.react() == {"geopend": 1}
    assert pupil.deadlines("opp") == {"opp_termijn": "2026-10-27"}
    pupil.do("cascade", "wijzig_niveau", {"niveau": "extra_swv", "reden": "syntheseklas"})
    assert pupil.react() == {"overgeslagen": 1}
    assert pupil.count("opp") == 1
