"""The access matrix: every role against every endpoint that reads or changes cases, pupils, monitoring,
alerts and the event stream, for a world with cases in and out of each role's scope.

The world (made once per database, with fresh ids): pupil P lives in 0957 and goes to 14PS03 (SWV VO3102
under the standard profile's pseudo-SWV ``standaard``); P has an OPP, a thuiszitter and a TLV case, and a
deskundige is asked to advise on the TLV. Pupil Q goes to 20XY00 under the zuid-limburg-po profile (SWV
PO3104) with an OPP case. What each role must see is written out in ``SEES``; everything else must be
404 to it (never 403, so nothing leaks that a case exists), and must not appear in any list, count,
stream or error text.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.conftest import RunningApi, bearer

ROLES = ["zorgcoordinator", "swv_coordinator", "bto", "leerplicht", "deskundige", "admin", "zc_elsewhere",
         "swv_elsewhere"]
SEES: dict[str, set[str]] = {
    "zorgcoordinator": {"opp", "thuiszitter", "tlv"},
    "swv_coordinator": {"opp", "thuiszitter", "tlv"},
    "bto": {"opp", "thuiszitter", "tlv"},
    "leerplicht": {"thuiszitter"},
    "deskundige": {"tlv"},
    "admin": set(),
    "zc_elsewhere": {"other"},
    "swv_elsewhere": {"other"},
}
"""Which of the world's cases each role sees (by name)."""
MONITOR_READERS = {"zorgcoordinator", "swv_coordinator", "bto", "zc_elsewhere", "swv_elsewhere"}
IDENTITY_READERS = {"zorgcoordinator", "leerplicht"}


@dataclass(frozen=True)
class World:
    """The ids of the world's pupils and cases, and the outbox position before it was made."""

    p: str
    q: str
    cases: dict[str, str]
    stream_from: int


def _csv(rows: list[str]) -> str:
    return "\n".join(rows) + "\n"


def _post(client: httpx.Client, path: str, body: Any, who: str) -> dict[str, Any]:
    response = client.post(path, json=body, headers=bearer(who))
    assert response.status_code in (200, 201, 204), response.text
    return response.json() if response.content else {}


def _import(client: httpx.Client, kind: str, rows: list[str]) -> None:
    response = client.post(f"/imports/{kind}", content=_csv(rows), headers={**bearer("admin"),
                                                                           "Content-Type": "text/csv"})
    assert response.status_code == httpx.codes.OK, response.text


def _latest_event_id(client: httpx.Client) -> int:
    """The id of the newest event (read from a stream that is resumed from 0 and ends quickly)."""
    ids = [e["id"] for e in _stream(client, "swv_coordinator", 0)]
    return max(ids, default=0)


def _stream(client: httpx.Client, who: str, after: int) -> list[dict[str, Any]]:
    response = client.get("/events/stream", params={"after": after, "wait_s": 0.5}, headers=bearer(who))
    assert response.status_code == httpx.codes.OK, response.text
    return [json.loads(line[len("data: "):]) for line in response.text.splitlines() if line.startswith("data: ")]


@pytest.fixture(scope="module")
def world(running_api: RunningApi) -> World:
    """Reference data, two pupils and four cases, made through the API as the roles that may."""
    with httpx.Client(base_url=running_api.base_url, timeout=30.0) as client:
        _import(client, "gemeenten", ["cbs_code,naam", "0957,Roermond", "0935,Maastricht"])
        _import(client, "swvs", ["code,naam,sector", "VO3102,SWV VO Zuid-Limburg,vo", "PO3104,SWV PO Heuvelland,po"])
        _import(client, "scholen", ["brin,naam,swv,soort,gemeente,vakantieregio",
                                    "14PS03,School A,VO3102,vo,0957,zuid", "20XY00,School B,PO3104,po,0935,zuid"])
        p, q = f"lln-p{uuid.uuid4().hex[:8]}", f"lln-q{uuid.uuid4().hex[:8]}"
        _import(client, "leerlingen", ["leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam,bsn",
                                       f"{p},14PS03,0957,2012-03-04,Sam,Jansen,111222333",
                                       f"{q},20XY00,0935,2016-05-06,Noor,Peters,"])
        start = _latest_event_id(client)
        made = {
            "opp": _post(client, "/cases", {"pathway": "opp", "school_brin": "14PS03", "pupil_id": p,
                                            "payload": {"extra_ondersteuning_sinds": "2026-09-01"}}, "zorgcoordinator"),
            "thuiszitter": _post(client, "/cases", {"pathway": "thuiszitter", "school_brin": "14PS03", "pupil_id": p,
                                                    "payload": {"soort": "relatief", "sinds": "2026-08-20"}},
                                 "leerplicht"),
            "tlv": _post(client, "/cases", {"pathway": "tlv", "school_brin": "14PS03", "pupil_id": p,
                                            "payload": {"soort": "vso"}}, "zorgcoordinator"),
            "other": _post(client, "/cases", {"pathway": "opp", "school_brin": "20XY00", "pupil_id": q,
                                              "profile": "zuid-limburg-po",
                                              "payload": {"extra_ondersteuning_sinds": "2026-09-01"}}, "zc_elsewhere"),
        }
        cases = {name: outcome["case_id"] for name, outcome in made.items()}
        _post(client, f"/cases/{cases['tlv']}/advice-requests",
              {"deskundige_id": running_api.user_ids["deskundige"]}, "swv_coordinator")
    return World(p, q, cases, start)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_exactly_the_cases_in_its_scope_and_404_for_the_rest(
    api: httpx.Client, world: World, role: str,
) -> None:
    """Status and history: 200 in scope, 404 out of scope, with the same detail as for an unknown case."""
    for name, case_id in world.cases.items():
        for path in (f"/cases/{case_id}", f"/cases/{case_id}/history"):
            response = api.get(path, headers=bearer(role))
            expected = 200 if name in SEES[role] else 404
            assert response.status_code == expected, (role, name, path, response.text)
            if expected == 404:
                assert response.json()["detail"] == f"Dossier {case_id} bestaat niet."


@pytest.mark.parametrize("role", ROLES)
def test_each_role_can_only_send_commands_to_cases_in_its_scope(api: httpx.Client, world: World, role: str) -> None:
    """An unknown command on a case in scope is 409 (naming what is allowed); out of scope it is 404."""
    for name, case_id in world.cases.items():
        response = api.post(f"/cases/{case_id}/commands", json={"command": "bestaat_niet"}, headers=bearer(role))
        assert response.status_code == (409 if name in SEES[role] else 404), (role, name, response.text)


@pytest.mark.parametrize("role", ROLES)
def test_a_status_offers_only_the_commands_of_the_readers_role(api: httpx.Client, world: World, role: str) -> None:
    """Next commands are those this role may issue: leerplicht sees 'bespreek' on the thuiszitter case."""
    for name in SEES[role] & {"opp", "thuiszitter", "tlv"}:
        status = api.get(f"/cases/{world.cases[name]}", headers=bearer(role)).json()
        assert all(role.replace("_elsewhere", "") in c["roles"] or role in c["roles"]
                   for c in status["next_commands"]), (role, name, status["next_commands"])


@pytest.mark.parametrize("role", ROLES)
def test_search_lists_exactly_the_pupils_cases_in_scope(api: httpx.Client, world: World, role: str) -> None:
    """GET /cases?pupil= lists the visible ones and nothing else, for both pupils."""
    for pupil, names in ((world.p, {"opp", "thuiszitter", "tlv"}), (world.q, {"other"})):
        response = api.get("/cases", params={"pupil": pupil}, headers=bearer(role))
        assert response.status_code == httpx.codes.OK, response.text
        listed = {row["case_id"] for row in response.json()["items"]}
        assert listed == {world.cases[n] for n in names & SEES[role]}, role


@pytest.mark.parametrize("role", ROLES)
def test_a_pupils_timeline_shows_only_the_trajectories_in_scope(api: httpx.Client, world: World, role: str) -> None:
    """GET /pupils/{id}: the visible trajectories, or 404 when none is."""
    response = api.get(f"/pupils/{world.p}", headers=bearer(role))
    visible = {world.cases[n] for n in SEES[role] & {"opp", "thuiszitter", "tlv"}}
    if not visible:
        assert response.status_code == httpx.codes.NOT_FOUND
        assert world.cases["opp"] not in response.text
        return
    body = response.json()
    assert {c["case_id"] for c in body["active"] + body["closed"]} == visible


@pytest.mark.parametrize("role", ROLES)
def test_a_pupil_record_shows_names_only_to_their_school_and_their_leerplicht(
    api: httpx.Client, world: World, role: str,
) -> None:
    """Names and BSN for the zorgcoördinator of 14PS03 and leerplicht of 0957; pseudonymous for the SWV;
    404 for everyone else.
    """
    response = api.get(f"/pupils/{world.p}/record", headers=bearer(role))
    if role in {"deskundige", "admin", "zc_elsewhere", "swv_elsewhere"}:
        assert response.status_code == httpx.codes.NOT_FOUND, response.text
        assert "Jansen" not in response.text
        return
    assert response.status_code == httpx.codes.OK, response.text
    record = response.json()
    assert (record["identity"] is not None) == (role in IDENTITY_READERS)
    assert record["residence_cbs"] == "0957"
    assert ("Jansen" in response.text) == (role in IDENTITY_READERS)


@pytest.mark.parametrize("role", ROLES)
def test_monitoring_is_for_coordinators_and_zorgcoordinatoren_and_counts_only_their_scope(
    api: httpx.Client, world: World, role: str,
) -> None:
    """Counts per school name only schools in scope, and time in stage adds up to the counts per stage;
    others get 403 (their role does not monitor).
    """
    del world
    response = api.get("/monitor/counts", params={"by": "school"}, headers=bearer(role))
    durations = api.get("/monitor/time-in-stage", headers=bearer(role))
    if role not in MONITOR_READERS:
        assert response.status_code == durations.status_code == httpx.codes.FORBIDDEN
        return
    per_stage = api.get("/monitor/counts", params={"by": "stage"}, headers=bearer(role)).json()
    assert {(t["pathway"], t["stage"]): sum(b["count"] for b in t["bands"]) for t in durations.json()} == {
        (c["pathway"], c["stage"]): c["count"] for c in per_stage}
    schools = {row["school_brin"] for row in response.json()}
    if role == "zorgcoordinator":
        assert schools <= {"14PS03", "14PS00", "00KX00"}
    if role == "zc_elsewhere":
        assert schools == {"20XY00"}
    if role == "swv_elsewhere":  # every school with cases under the zuid-limburg-po profile
        assert "20XY00" in schools
    assert api.get("/monitor/stalled", headers=bearer(role)).status_code == httpx.codes.OK
    period = {"start": "2026-08-01T00:00:00Z", "end": "2027-08-01T00:00:00Z"}
    assert api.get("/monitor/indicators", params=period, headers=bearer(role)).status_code == httpx.codes.OK


@pytest.mark.parametrize("role", ROLES)
def test_the_event_stream_carries_only_events_of_cases_in_scope(api: httpx.Client, world: World, role: str) -> None:
    """The stream from before the world was made: exactly the visible cases' events (admin: 403)."""
    response = api.get("/events/stream", params={"after": world.stream_from, "wait_s": 0.5}, headers=bearer(role))
    if role == "admin":
        assert response.status_code == httpx.codes.FORBIDDEN
        return
    mine = {world.cases[n] for n in SEES[role]}
    streamed = {e["case_id"] for e in _stream(api, role, world.stream_from)} & set(world.cases.values())
    assert streamed == mine, role


@pytest.mark.parametrize("role", ROLES)
def test_only_an_admin_reads_the_audit_log(api: httpx.Client, role: str) -> None:
    """GET /audit: 200 for admin, 403 for every other role."""
    assert api.get("/audit", headers=bearer(role)).status_code == (200 if role == "admin" else 403)


@pytest.mark.parametrize("role", ROLES)
def test_reference_data_is_readable_by_every_signed_in_user(api: httpx.Client, world: World, role: str) -> None:
    """Schools, SWVs and municipalities are no personal data."""
    del world
    for path in ("/schools", "/swvs", "/municipalities"):
        assert api.get(path, headers=bearer(role)).status_code == httpx.codes.OK
    assert httpx.get(f"{api.base_url}/schools").status_code == httpx.codes.UNAUTHORIZED


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("zorgcoordinator", 200), ("swv_coordinator", 403),
                                              ("leerplicht", 403), ("deskundige", 403)])
def test_pupils_are_imported_by_an_admin_or_for_their_own_school(api: httpx.Client, role: str, status: int) -> None:
    """A zorgcoördinator imports pupils of their own schools only; other roles may not import."""
    pupil = f"lln-i{uuid.uuid4().hex[:8]}"
    content = _csv(["leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam",
                    f"{pupil},14PS03,0957,2013-01-01,Lot,Smit"])
    response = api.post("/imports/leerlingen", content=content, headers={**bearer(role), "Content-Type": "text/csv"})
    assert response.status_code == status, response.text
