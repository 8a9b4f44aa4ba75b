"""One pupil, one timeline, through HTTP: every trajectory with its stage and deadlines; a change of
school moves them all and keeps what is on record; profiles set which rules a case runs under.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.api.conftest import bearer
from tests.api.test_access import import_reference_data
from tests.api.test_cases_api import INSTEMMING, applied, problem, status


def pupil() -> str:
    return f"lln-{uuid.uuid4().hex[:8]}"


def open_for(api: httpx.Client, pupil_id: str, pathway: str, payload: dict[str, Any], **extra: Any) -> str:
    response = api.post("/cases", json={"pathway": pathway, "school_brin": "14PS03", "pupil_id": pupil_id,
                                        "payload": payload, **extra})
    assert response.status_code == httpx.codes.CREATED, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def test_the_timeline_shows_every_trajectory_of_the_pupil(api: httpx.Client) -> None:
    """Two OPP trajectories, one closed: the active one with its deadline and next commands, then the closed."""
    pupil_id = pupil()
    first = open_for(api, pupil_id, "opp", {"extra_ondersteuning_sinds": "2026-09-01"})
    applied(api, first, "sluit_af", {"reden": "verhuisd"})
    second = open_for(api, pupil_id, "opp", {"extra_ondersteuning_sinds": "2026-09-02"})
    response = api.get(f"/pupils/{pupil_id}")
    assert response.status_code == httpx.codes.OK
    timeline = response.json()
    assert [t["case_id"] for t in timeline["active"]] == [second]
    assert [t["case_id"] for t in timeline["closed"]] == [first]
    assert [d["name"] for d in timeline["active"][0]["open_timers"]] == ["opp_termijn"]
    assert "leg_handelingsdeel_voor" in [c["command"] for c in timeline["active"][0]["next_commands"]]


def test_a_pupil_without_any_case_is_not_found(api: httpx.Client) -> None:
    """404 problem+json, in Dutch."""
    response = api.get(f"/pupils/{pupil()}")
    assert response.status_code == httpx.codes.NOT_FOUND
    assert response.json()["detail"].startswith("Voor leerling ")


def test_a_change_of_school_moves_every_trajectory_and_keeps_the_instemming(api: httpx.Client) -> None:
    """The OPP goes to the new school with its recorded instemming; the history says so."""
    import_reference_data(api)
    pupil_id = pupil()
    case_id = open_for(api, pupil_id, "opp", {"extra_ondersteuning_sinds": "2026-09-01"})
    applied(api, case_id, "leg_handelingsdeel_voor")
    applied(api, case_id, "registreer_instemming", INSTEMMING)
    response = api.post(f"/pupils/{pupil_id}/transfer", json={"school_brin": "14PS00"})
    assert response.status_code == httpx.codes.OK, response.text
    assert [o["event"] for o in response.json()] == ["leerling_overgeplaatst"]
    moved = status(api, case_id)
    assert (moved["school_brin"], moved["stage"]) == ("14PS00", "wacht_op_instemming")
    assert "instemming" in moved["on_record"]
    applied(api, case_id, "stel_in_werking")


def test_moving_to_the_school_the_pupil_is_already_at_is_refused(api: httpx.Client) -> None:
    """422 in Dutch; nothing is written."""
    pupil_id = pupil()
    case_id = open_for(api, pupil_id, "opp", {"extra_ondersteuning_sinds": "2026-09-01"})
    response = api.post(f"/pupils/{pupil_id}/transfer", json={"school_brin": "14PS03"})
    assert response.status_code == httpx.codes.UNPROCESSABLE_ENTITY
    assert response.json()["detail"] == "De leerling staat al ingeschreven op school 14PS03."
    assert status(api, case_id)["version"] == 1


def test_a_case_opened_under_an_swv_profile_says_so(api: httpx.Client) -> None:
    """The profile is part of the status; an unknown profile is 422 naming the known ones."""
    import_reference_data(api)
    case_id = open_for(api, pupil(), "opp", {"extra_ondersteuning_sinds": "2026-09-01"}, profile="vo-31-02")
    assert status(api, case_id)["profile"] == "vo-31-02"
    response = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03", "pupil_id": pupil(),
                                        "profile": "nergens", "payload": {"extra_ondersteuning_sinds": "2026-09-01"}})
    assert response.status_code == httpx.codes.UNPROCESSABLE_ENTITY
    assert response.json()["detail"] == ("Profiel 'nergens' bestaat niet; bekend zijn: standaard, vo-31-02, "
                                         "zuid-limburg-po.")


def test_a_case_runs_under_its_schools_profile_and_no_other(api: httpx.Client) -> None:
    """Without a profile the case takes its school's (14PS03: SWV VO3102, vo-31-02); another SWV's profile is
    422 naming the school's SWV and profile, and a school not in the reference data runs only under
    'standaard'. Nothing is opened on a refusal.
    """
    import_reference_data(api)
    assert status(api, open_for(api, pupil(), "opp", {"extra_ondersteuning_sinds": "2026-09-01"}))["profile"] == (
        "vo-31-02")
    refused = pupil()
    response = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03", "pupil_id": refused,
                                        "profile": "zuid-limburg-po",
                                        "payload": {"extra_ondersteuning_sinds": "2026-09-01"}})
    assert problem(response, 422, "invalid-command")["detail"] == (
        "School 14PS03 hoort bij SWV VO3102 (profiel vo-31-02), niet bij profiel zuid-limburg-po.")
    unknown = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS01", "pupil_id": refused,
                                       "profile": "vo-31-02", "payload": {"extra_ondersteuning_sinds": "2026-09-01"}},
                       headers=bearer("swv_coordinator"))  # may open for any school of VO3102
    assert problem(unknown, 422, "invalid-command")["detail"].startswith(
        "School 14PS01 staat niet in de referentiegegevens")
    assert problem(api.get(f"/pupils/{refused}"), 404, "pupil-not-found")


def test_a_transfer_to_a_school_unknown_to_the_reference_data_is_refused(api: httpx.Client) -> None:
    """422 'Onbekende school' in Dutch: the trajectories stay where they were (nobody's scope would cover
    them at a school nobody imported); nothing is written.
    """
    pupil_id = pupil()
    case_id = open_for(api, pupil_id, "opp", {"extra_ondersteuning_sinds": "2026-09-01"})
    response = api.post(f"/pupils/{pupil_id}/transfer", json={"school_brin": "99ZZ99"})
    assert problem(response, 422, "invalid-command")["detail"].startswith("Onbekende school 99ZZ99:")
    assert (status(api, case_id)["school_brin"], status(api, case_id)["version"]) == ("14PS03", 1)


def test_a_transfer_moves_the_pupils_registration_so_the_receiving_school_reads_the_record_and_opens_cases(
    api: httpx.Client,
) -> None:
    """After a change of school the receiving school's zorgcoördinator reads the pupil's record (at their
    school) and opens a new case for the pupil there; the old school no longer reads the record.
    """
    import_reference_data(api)
    pupil_id = pupil()
    rows = f"leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam\n{pupil_id},14PS03,0957,2013-05-01,S,J\n"
    registered = api.post("/imports/leerlingen", content=rows, headers={**bearer("admin"), "Content-Type": "text/csv"})
    assert registered.status_code == httpx.codes.OK, registered.text
    open_for(api, pupil_id, "opp", {"extra_ondersteuning_sinds": "2026-09-01"})
    moved = api.post(f"/pupils/{pupil_id}/transfer", json={"school_brin": "20XY00"})
    assert moved.status_code == httpx.codes.OK, moved.text
    receiving = {**bearer("zc_elsewhere")}
    record = api.get(f"/pupils/{pupil_id}/record", headers=receiving)
    assert (record.status_code, record.json().get("school_brin")) == (200, "20XY00")
    assert api.get(f"/pupils/{pupil_id}/record").status_code == httpx.codes.NOT_FOUND
    opened = api.post("/cases", headers=receiving, json={
        "pathway": "opp", "school_brin": "20XY00", "pupil_id": pupil_id,
        "payload": {"extra_ondersteuning_sinds": "2026-09-02"}})
    assert opened.status_code == httpx.codes.CREATED, opened.text
