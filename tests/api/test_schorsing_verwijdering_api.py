"""Schorsing and verwijdering through HTTP (issue 14 §5), on SQLite and PostgreSQL: the week's limit and the
8 weeks refused in Dutch, an unreported schorsing of more than a day reaching the SWV coordinator and the school,
and the indicators counting both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infra.settings import Settings
from service import Service
from tests.api.conftest import ControllableClock, RunningApi, bearer
from tests.api.test_access import import_reference_data
from tests.api.test_cases_api import problem
from tests.api.test_scenario import Pupil

PERIOD = {"start": "2026-09-01T00:00:00+02:00", "end": "2026-12-01T00:00:00+01:00"}
SCHORSING = {"reden": "ernstig incident", "schriftelijk": True, "ouders_geinformeerd": True}


@pytest.fixture
def pupil(api: httpx.Client, clock: ControllableClock, running_api: RunningApi) -> Iterator[Pupil]:
    sweeper = Service.from_settings(Settings(database_url=running_api.database.url))
    import_reference_data(api)  # 14PS00 runs on the standard profile, seen by the SWV coordinator's 'standaard'
    yield Pupil(api, clock, sweeper)
    sweeper.engine.dispose()


def _indicators(api: httpx.Client) -> dict[str, Any]:
    response = api.get("/monitor/indicators", params=PERIOD, headers=bearer("swv_coordinator"))
    assert response.status_code == httpx.codes.OK, response.text
    found: dict[str, Any] = response.json()
    return found


def _alerts(api: httpx.Client, who: str, case_id: str) -> list[dict[str, Any]]:
    items = api.get("/alerts", params={"state": "all", "limit": 500}, headers=bearer(who)).json()["items"]
    return [a for a in items if a["case_id"] == case_id]


def test_a_schorsing_longer_than_a_week_is_refused_and_an_unreported_one_reaches_the_swv_and_the_school(
    pupil: Pupil,
) -> None:
    """Wednesday to Wednesday is refused; Wednesday to Friday must be reported by Thursday: on Friday the SWV
    coordinator, the zorgcoördinator and the leerplicht of the pupil's municipality are alerted, and the schorsing
    ends only after its report.
    """
    before = _indicators(pupil.api)
    pupil.at("2026-10-06")
    refused = pupil.api.post("/cases", json={
        "pathway": "schorsing", "school_brin": "14PS00", "pupil_id": pupil.id,
        "payload": {**SCHORSING, "eerste_dag": "2026-10-07", "laatste_dag": "2026-10-14"}})
    assert "ten hoogste een week" in problem(refused, 422, "guard-failed")["detail"]
    registered = pupil.api.post("/imports/leerlingen", headers={**bearer("admin"), "Content-Type": "text/csv"},
                                content="leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam\n"
                                        f"{pupil.id},14PS00,0957,2013-01-01,Sam,Jansen\n")
    assert registered.status_code == httpx.codes.OK, registered.text
    case_id = pupil.start("schorsing", {**SCHORSING, "eerste_dag": "2026-10-07", "laatste_dag": "2026-10-09"})
    assert pupil.deadlines("schorsing")["inspectiemelding"] == "2026-10-08"

    pupil.at("2026-10-08")
    pupil.sweeper.raise_alerts(pupil.clock())
    assert _alerts(pupil.api, "swv_coordinator", case_id) == []
    pupil.at("2026-10-09")
    pupil.sweeper.raise_alerts(pupil.clock())
    assert len(_alerts(pupil.api, "swv_coordinator", case_id)) == 1
    assert len(_alerts(pupil.api, "zorgcoordinator", case_id)) == 1
    assert len(_alerts(pupil.api, "leerplicht", case_id)) == 1  # the law makes leerplicht a party to the report
    assert _alerts(pupil.api, "leerplicht_elsewhere", case_id) == []
    pupil.at("2026-10-12")
    assert pupil.active()["schorsing"] == "geschorst"

    assert pupil.do("schorsing", "meld_schorsing", {"inspectie_gemeld_op": "2026-10-12",
                                                    "leerplicht_gemeld_op": "2026-10-12"}) == "gemeld"
    pupil.at("2026-10-13")
    assert "schorsing" not in pupil.active()
    after = _indicators(pupil.api)
    assert after["schorsingen"] == before["schorsingen"] + 1
    assert after["schorsingen_langer_dan_een_dag"] == before["schorsingen_langer_dan_een_dag"] + 1


def test_a_verwijdering_without_a_new_school_waits_for_the_eight_weeks_and_is_counted(pupil: Pupil) -> None:
    """A voornemen on Thursday 3 September: removal without a new school is refused on Thursday 29 October, the
    last day of the 8 weeks, and allowed on the 30th; the system then starts a thuiszitterwacht.
    """
    before = _indicators(pupil.api)
    pupil.at("2026-09-03")
    case_id = pupil.start("verwijdering", {"reden": "veiligheid", "ouders_geinformeerd": True})
    assert pupil.deadlines("verwijdering") == {"zoektermijn": "2026-10-29"}
    pupil.at("2026-09-10")
    pupil.do("verwijdering", "leg_horen_vast", {"gehoord_op": "2026-09-10", "ouders": True, "leerling": True,
                                                 "leraar": True})
    pupil.do("verwijdering", "leg_zoekactie_vast", {"school_brin": "00KX00", "uitkomst": "afgewezen"},
             headers=bearer("swv_coordinator"))
    refused = pupil.api.post(f"/cases/{case_id}/commands", json={
        "command": "verwijder_zonder_nieuwe_school", "payload": {"toelichting": "geen plek"}})
    assert problem(refused, 422, "guard-failed")["detail"].startswith(
        "De Inspectie is nog niet over de verwijdering geïnformeerd.")
    pupil.do("verwijdering", "informeer_inspectie", {"gemeld_op": "2026-09-10"})
    pupil.do("verwijdering", "informeer_leerplicht", {"gemeld_op": "2026-09-10"})

    pupil.clock.set(pupil.clock().replace(month=10, day=29, hour=23, minute=59))
    early = pupil.api.post(f"/cases/{case_id}/commands", json={
        "command": "verwijder_zonder_nieuwe_school", "payload": {"toelichting": "geen plek"}})
    assert "tot en met 29 oktober 2026" in problem(early, 422, "guard-failed")["detail"]
    pupil.at("2026-10-30")
    assert pupil.do("verwijdering", "verwijder_zonder_nieuwe_school",
                    {"toelichting": "vijf scholen benaderd"}) == "verwijderd_zonder_nieuwe_school"
    types = [e["type"] for e in pupil.api.get(f"/cases/{case_id}/history").json()]
    assert types[-2:] == ["verwijdering_zoektermijn_verstreken", "verwijderd_zonder_nieuwe_school"]
    after = _indicators(pupil.api)
    assert after["verwijderingen"] == before["verwijderingen"] + 1
    assert after["verwijderingen_zonder_nieuwe_school"] == before["verwijderingen_zonder_nieuwe_school"] + 1
    pupil.sweeper.react(pupil.clock())  # the hand-off: a pupil without a school is watched until one is found
    assert pupil.active() == {"thuiszitterwacht": "waakt"}
