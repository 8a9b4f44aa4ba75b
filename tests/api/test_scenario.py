"""One pupil from the first signal to a stable place, through HTTP: signalering, knooppunt, cascade,
OPP, TLV, VSO placement, herbeoordeling and the VSO→VO transfer, checking the timeline at each step.
Time moves by setting the API's clock and sweeping due timers at that instant.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from domain.durations import NL
from infra.settings import Settings
from service import Service
from tests.api.conftest import ControllableClock, RunningApi, bearer
from tests.api.test_access import import_reference_data

BTO = bearer("bto")
SWV = bearer("swv_coordinator")


COMPLETE_TLV_DOSSIER: list[tuple[str, dict[str, Any]]] = [
    ("registreer_handtekening_ouders", {"ondertekend_door": "ouders"}),
    ("registreer_toestemmingsverklaring", {"gegeven_door": "ouders"}),
    ("registreer_zienswijze_ouders", {}), ("voeg_opp_toe", {}),
    ("registreer_deskundigenadvies", {"discipline": "orthopedagoog", "deskundige": "d-1", "gezamenlijk": False,
                                      "conclusie": "positief", "samenvatting": "VSO sluit aan."}),
    ("registreer_deskundigenadvies", {"discipline": "maatschappelijk_werker", "deskundige": "d-2",
                                      "gezamenlijk": False, "conclusie": "positief",
                                      "samenvatting": "Het gezin steunt de plaatsing."}),
]
"""The commands that make a TLV request's dossier complete: signatures, consent, views, OPP, two advices (each
with its conclusion and summary)."""


class Pupil:
    """A pupil as the zorgcoördinator sees them through the API."""

    def __init__(self, api: httpx.Client, clock: ControllableClock, sweeper: Service) -> None:
        self.api, self.clock, self.sweeper = api, clock, sweeper
        self.id = f"lln-{uuid.uuid4().hex[:8]}"
        self.cases: dict[str, str] = {}

    def at(self, day: str) -> None:
        """Move the clock to 10:00 on ``day`` and fire whatever fell due."""
        now = datetime.fromisoformat(day).replace(hour=10, tzinfo=NL)
        self.clock.set(now)
        self.sweeper.fire_due_timers(now)

    def start(self, pathway: str, payload: dict[str, Any], school: str = "14PS00") -> str:
        response = self.api.post("/cases", json={"pathway": pathway, "school_brin": school, "pupil_id": self.id,
                                                 "payload": payload})
        assert response.status_code == httpx.codes.CREATED, response.text
        self.cases[pathway] = response.json()["case_id"]
        return self.cases[pathway]

    def do(self, pathway: str, command: str, payload: dict[str, Any] | None = None,
           headers: dict[str, str] | None = None) -> str:
        response = self.api.post(f"/cases/{self.cases[pathway]}/commands",
                                 json={"command": command, "payload": payload or {}}, headers=headers)
        assert response.status_code == httpx.codes.OK, f"{pathway}.{command}: {response.text}"
        stage: str = response.json()["stage"]
        return stage

    def timeline(self) -> dict[str, Any]:
        response = self.api.get(f"/pupils/{self.id}")
        assert response.status_code == httpx.codes.OK, response.text
        found: dict[str, Any] = response.json()
        return found

    def active(self) -> dict[str, str]:
        """Active trajectories: pathway -> stage."""
        return {t["pathway"]: t["stage"] for t in self.timeline()["active"]}

    def deadlines(self, pathway: str) -> dict[str, str]:
        """Open deadlines of an active trajectory: timer -> its last day (a step that day is in time)."""
        found = next(t for t in self.timeline()["active"] if t["pathway"] == pathway)
        return {d["name"]: d["last_day"] for d in found["open_timers"]}


@pytest.fixture
def pupil(api: httpx.Client, clock: ControllableClock, running_api: RunningApi) -> Iterator[Pupil]:
    sweeper = Service.from_settings(Settings(database_url=running_api.database.url))
    import_reference_data(api)  # 14PS00 and 00KX00 run on the standard profile; 14PS03 is VO 31-02's
    yield Pupil(api, clock, sweeper)
    sweeper.engine.dispose()


def test_one_pupil_from_signal_through_tlv_and_vso_back_to_regular_secondary_school(pupil: Pupil) -> None:  # noqa: PLR0915 - one story
    """The whole route; at each step the timeline shows the trajectories that are active and their stages."""
    pupil.at("2026-09-07")
    pupil.start("signalering", {"gesignaleerd_door": "mentor", "zorgdomein": "gedrag", "datum_signaal": "2026-09-07"})
    assert pupil.deadlines("signalering") == {"signaal_termijn": "2026-09-21"}
    pupil.do("signalering", "bespreek", {"ouders_geinformeerd": True})
    pupil.do("signalering", "volg_op", {"route": "knooppunt"})
    pupil.do("signalering", "sluit_af", {"reden": "route_gestart"})

    pupil.at("2026-09-08")
    pupil.start("knooppunt", {"soort": "toeleiding", "toestemming_gegeven_door": "ouders"})
    assert pupil.deadlines("knooppunt") == {"knooppunt_termijn": "2026-10-06"}
    pupil.do("knooppunt", "plan", {"datum": "2026-09-22",
                                   "deelnemers": "zorgcoordinator|School|ja|nee; ouders|Gezin|nee|nee"})
    pupil.at("2026-09-22")
    assert pupil.do("knooppunt", "houd", {"uitkomst": "tlv_aanvragen", "tlv_soort": "vso"}) == "gehouden"
    assert "knooppunt" not in pupil.active()

    pupil.start("cascade", {"niveau": "3", "reden": "Duiden & Doen gestart"})
    pupil.do("cascade", "wijzig_niveau", {"niveau": "4", "reden": "externe expertise"})
    pupil.start("opp", {"extra_ondersteuning_sinds": "2026-09-22"})
    pupil.do("opp", "leg_handelingsdeel_voor")
    pupil.do("opp", "registreer_instemming", {"gegeven_door": "ouders", "handelingsdeel_versie": 1})
    assert pupil.do("opp", "stel_in_werking") == "in_werking"

    pupil.at("2026-10-01")
    pupil.start("tlv", {"soort": "vso"})
    assert pupil.active() == {"cascade": "actief", "opp": "in_werking", "tlv": "aangevraagd"}
    for command, payload in COMPLETE_TLV_DOSSIER:
        pupil.do("tlv", command, payload)
    pupil.do("tlv", "controleer_volledigheid", headers=BTO)
    assert pupil.deadlines("tlv") == {"besluittermijn": "2026-11-12", "wettelijke_beslistermijn": "2026-11-26"}
    pupil.do("tlv", "registreer_beoordeling", {"beoordelaar": "b-1"}, headers=BTO)
    pupil.do("tlv", "registreer_beoordeling", {"beoordelaar": "b-2"}, headers=BTO)
    pupil.do("tlv", "ken_toe", {"categorie": "laag", "startdatum": "2026-11-01", "einddatum": "2028-07-31"},
             headers=BTO)

    pupil.at("2026-11-13")  # the six-week bezwaartermijn has passed without bezwaar
    assert pupil.active()["tlv"] == "definitief"
    assert pupil.do("tlv", "plaats", {"school_brin": "00KX00"}) == "geplaatst"
    moved = pupil.api.post(f"/pupils/{pupil.id}/transfer", json={"school_brin": "00KX00"})
    assert moved.status_code == httpx.codes.OK
    assert pupil.timeline()["school_brin"] == "00KX00"

    pupil.start("herbeoordeling", {"einddatum": "2028-07-31", "tlv_dossier": pupil.cases["tlv"]}, school="00KX00")
    assert pupil.deadlines("herbeoordeling") == {"herbeoordeling_start": "2028-01-31", "tlv_einde": "2028-07-31"}
    pupil.at("2028-02-01")  # the last day, 31 January, is over
    assert pupil.active()["herbeoordeling"] == "loopt"
    pupil.do("herbeoordeling", "plaats_terug", {"naar_school_brin": "14PS03", "geplande_datum": "2028-08-01"})

    pupil.at("2028-02-01")
    pupil.start("vso_vo_overstap", {"geplande_overstapdatum": "2028-08-01", "vo_school": "14PS03"}, school="00KX00")
    assert pupil.deadlines("vso_vo_overstap") == {"orientatie_start": "2028-03-01"}
    pupil.do("vso_vo_overstap", "start_orientatie", {"vo_school_betrokken": True})
    pupil.at("2028-06-01")
    pupil.do("vso_vo_overstap", "start_overdracht")
    pupil.at("2028-08-01")
    assert pupil.do("vso_vo_overstap", "registreer_plaatsing", {"vo_school": "14PS03"}) == "geplaatst"
    pupil.api.post(f"/pupils/{pupil.id}/transfer", json={"school_brin": "14PS03"})
    pupil.at("2028-11-02")  # nazorg once the three months after placement (through 1 November) are over
    assert pupil.active()["vso_vo_overstap"] == "nazorg"
    pupil.do("vso_vo_overstap", "rond_nazorg_af", {"plaatsing_succesvol": True})
    timeline = pupil.timeline()
    assert {t["pathway"] for t in timeline["closed"]} >= {"signalering", "knooppunt", "tlv", "herbeoordeling",
                                                         "vso_vo_overstap"}
    assert timeline["school_brin"] == "14PS03"
