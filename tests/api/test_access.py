"""Access control through HTTP: a bearer token says who acts; a zorgcoördinator sees the cases of
their own schools, an SWV coordinator those of their SWV; out of scope reads exactly as unknown (404),
no token or a dead one is 401, a role that may not act is 403; only an admin reads the audit log.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import RunningApi, bearer
from tests.api.test_cases_api import open_case, problem, send

OPP_PAYLOAD = {"extra_ondersteuning_sinds": "2026-09-01"}


def _pupil() -> str:
    return f"lln-{uuid.uuid4().hex[:8]}"


def _open(api: httpx.Client, pupil_id: str, **extra: Any) -> str:
    response = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03", "pupil_id": pupil_id,
                                        "payload": OPP_PAYLOAD, **extra})
    assert response.status_code == httpx.codes.CREATED, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def import_reference_data(api: httpx.Client) -> None:
    """The reference data the tests assume: 14PS03 a school of SWV VO3102 (its cases run under vo-31-02),
    20XY00 one of PO3104 (zuid-limburg-po), and 14PS00 and 00KX00 schools of VO9901, an SWV without a
    profile of its own (their cases run under the standard profile). Importing it again changes nothing.
    """
    for kind, rows in (("gemeenten", ["cbs_code,naam", "0957,Roermond", "0935,Maastricht"]),
                       ("swvs", ["code,naam,sector", "VO3102,SWV VO Zuid-Limburg,vo", "PO3104,SWV PO Heuvelland,po",
                                 "VO9901,SWV zonder eigen profiel,vo"]),
                       ("scholen", ["brin,naam,swv,soort,gemeente,vakantieregio", "14PS03,School A,VO3102,vo,0957,zuid",
                                    "20XY00,School B,PO3104,po,0935,zuid", "14PS00,School C,VO9901,vo,0957,zuid",
                                    "00KX00,School D,VO9901,vo,0957,zuid"])):
        response = api.post(f"/imports/{kind}", content="\n".join(rows) + "\n",
                            headers={**bearer("admin"), "Content-Type": "text/csv"})
        assert response.status_code == httpx.codes.OK, response.text


def _without_details(body: dict[str, Any]) -> dict[str, Any]:
    """A 404 body with the ids taken out: what an unknown and an out-of-scope case have in common."""
    return {k: v for k, v in body.items() if k not in ("title", "detail")}


def test_without_a_token_every_case_route_is_401_with_www_authenticate(api: httpx.Client) -> None:
    """No Authorization header, or another scheme: 401 problem+json in Dutch, WWW-Authenticate: Bearer."""
    case_id = open_case(api)
    for headers in ({}, {"Authorization": "Basic dXNlcjpwdw=="}):
        response = httpx.get(f"{api.base_url}/cases/{case_id}", headers=headers)
        body = problem(response, 401, "not-authenticated")
        assert response.headers["www-authenticate"] == "Bearer"
        assert body["detail"].startswith("Stuur een API-token mee")


@pytest.mark.parametrize(("key", "detail"), [
    ("revoked", "Het token is ingetrokken. Vraag een beheerder om een nieuw token."),
    ("expired", "Het token is verlopen. Vraag een beheerder om een nieuw token."),
])
def test_a_revoked_or_expired_token_is_401(api: httpx.Client, key: str, detail: str) -> None:
    """The account exists, its scope covers the school, but its token no longer works."""
    case_id = open_case(api)
    response = api.get(f"/cases/{case_id}", headers=bearer(key))
    assert problem(response, 401, "not-authenticated")["detail"] == detail
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unknown_token_is_401(api: httpx.Client) -> None:
    """A token nobody was given."""
    response = api.get("/cases/x", headers={"Authorization": "Bearer niet-uitgegeven"})
    assert problem(response, 401, "not-authenticated")["detail"].startswith("Het token is onbekend.")


def test_a_zorgcoordinator_of_another_school_gets_404_as_for_an_unknown_case(api: httpx.Client) -> None:
    """Status, history and commands of a 14PS03 case answer a 20XY00 zorgcoördinator exactly as an
    unknown case does; nothing is written.
    """
    case_id = open_case(api)
    other = bearer("zc_elsewhere")
    unknown = str(uuid.uuid4())
    for path in ("", "/history"):
        hidden = api.get(f"/cases/{case_id}{path}", headers=other)
        missing = api.get(f"/cases/{unknown}{path}", headers=other)
        assert hidden.status_code == missing.status_code == httpx.codes.NOT_FOUND
        assert _without_details(hidden.json()) == _without_details(missing.json())
        assert hidden.json()["detail"] == missing.json()["detail"].replace(unknown, case_id)
    refused = send(api, case_id, "leg_handelingsdeel_voor", headers=other)
    assert problem(refused, 404, "case-not-found")["detail"] == hidden.json()["detail"]
    assert api.get(f"/cases/{case_id}").json()["version"] == 1


def test_the_pupil_timeline_shows_only_trajectories_in_scope(api: httpx.Client) -> None:
    """A pupil with an OPP at 14PS03: another school's zorgcoördinator gets 404 for the pupil (as for an
    unknown pupil) and cannot transfer them; the own school sees the trajectory.
    """
    pupil_id = _pupil()
    case_id = _open(api, pupil_id)
    other = bearer("zc_elsewhere")
    response = api.get(f"/pupils/{pupil_id}", headers=other)
    assert problem(response, 404, "pupil-not-found")["detail"] == f"Voor leerling {pupil_id} is geen dossier bekend."
    moved = api.post(f"/pupils/{pupil_id}/transfer", json={"school_brin": "20XY00"}, headers=other)
    assert problem(moved, 404, "pupil-not-found")
    assert [t["case_id"] for t in api.get(f"/pupils/{pupil_id}").json()["active"]] == [case_id]


def test_a_zorgcoordinator_opens_cases_only_for_their_own_schools(api: httpx.Client) -> None:
    """403 in Dutch naming the school; nothing is opened."""
    pupil_id = _pupil()
    response = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03", "pupil_id": pupil_id,
                                        "payload": OPP_PAYLOAD}, headers=bearer("zc_elsewhere"))
    body = problem(response, 403, "out-of-scope")
    assert body["detail"].startswith("U kunt geen dossier openen voor school 14PS03")
    assert api.get(f"/pupils/{pupil_id}").status_code == httpx.codes.NOT_FOUND


def test_an_swv_coordinator_sees_every_case_of_their_swv_and_none_of_another(api: httpx.Client) -> None:
    """A case of 14PS03 (a VO 31-02 school) runs under vo-31-02: the VO3102 coordinator reads it; a PO3104
    coordinator gets 404, may not open one under vo-31-02 (403), nor one for 14PS03 under their own profile
    (403: the school belongs to another SWV), and nothing is opened; for their own SWV's school they may.
    """
    import_reference_data(api)
    case_id = _open(api, _pupil())
    assert api.get(f"/cases/{case_id}").json()["profile"] == "vo-31-02"
    assert api.get(f"/cases/{case_id}", headers=bearer("swv_coordinator")).status_code == httpx.codes.OK
    other = bearer("swv_elsewhere")
    assert problem(api.get(f"/cases/{case_id}", headers=other), 404, "case-not-found")
    refused = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03", "pupil_id": _pupil(),
                                       "profile": "vo-31-02", "payload": OPP_PAYLOAD}, headers=other)
    assert problem(refused, 403, "out-of-scope")["detail"].startswith("U kunt geen dossier openen onder profiel")
    pupil_id = _pupil()
    moved = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03", "pupil_id": pupil_id,
                                     "profile": "zuid-limburg-po", "payload": OPP_PAYLOAD}, headers=other)
    assert problem(moved, 403, "out-of-scope")["detail"] == (
        "U kunt geen dossier openen voor school 14PS03: die hoort bij SWV VO3102, niet bij uw "
        "samenwerkingsverband (u hebt: PO3104).")
    assert problem(api.get(f"/pupils/{pupil_id}"), 404, "pupil-not-found")
    opened = api.post("/cases", json={"pathway": "opp", "school_brin": "20XY00", "pupil_id": _pupil(),
                                      "payload": OPP_PAYLOAD}, headers=other)
    assert opened.status_code == httpx.codes.CREATED, opened.text
    assert api.get(f"/cases/{opened.json()['case_id']}", headers=other).json()["profile"] == "zuid-limburg-po"


@pytest.mark.parametrize("key", ["admin", "leerplicht", "deskundige"])
def test_roles_without_case_access_get_404_for_cases(api: httpx.Client, key: str) -> None:
    """Admin, leerplicht and deskundige see no case (yet): 404, as for an unknown one."""
    case_id = open_case(api)
    assert problem(api.get(f"/cases/{case_id}", headers=bearer(key)), 404, "case-not-found")


def test_a_role_that_may_not_issue_the_command_is_403(api: httpx.Client) -> None:
    """The case is in the BTO's scope, but the BTO does not present an OPP's handelingsdeel."""
    case_id = open_case(api)
    response = send(api, case_id, "leg_handelingsdeel_voor", headers=bearer("bto"))
    assert problem(response, 403, "role-not-allowed")["detail"].startswith("Met de rol 'bto' mag u")


def test_an_admin_reads_the_audit_log_and_nobody_else_does(api: httpx.Client, running_api: RunningApi) -> None:
    """Reads and writes are on record with who, role, action, purpose and outcome; other roles get 403."""
    case_id = open_case(api)
    api.get(f"/cases/{case_id}", headers={"X-Purpose": "Voorbereiding MDO"})
    api.get(f"/cases/{case_id}", headers=bearer("zc_elsewhere"))
    admin = bearer("admin")
    response = api.get("/audit", params={"resource": f"case:{case_id}"}, headers=admin)
    assert response.status_code == httpx.codes.OK, response.text
    rows = response.json()
    ids = running_api.user_ids
    assert [(r["action"], r["user_id"], r["role"], r["outcome"], r["purpose"]) for r in reversed(rows)] == [
        ("case.open", ids["zorgcoordinator"], "zorgcoordinator", "ok", "Dossier openen"),
        ("case.read", ids["zorgcoordinator"], "zorgcoordinator", "ok", "Voorbereiding MDO"),
        ("case.read", ids["zc_elsewhere"], "zorgcoordinator", "not-found", "Dossier inzien"),
    ]
    assert all(r["prev_hash"] != r["hash"] for r in rows)
    by_user = api.get("/audit", params={"user_id": ids["zc_elsewhere"], "limit": 1}, headers=admin).json()
    assert len(by_user) == 1
    assert by_user[0]["user_id"] == ids["zc_elsewhere"]
    for key in ("zorgcoordinator", "swv_coordinator", "bto", "leerplicht", "deskundige"):
        refused = api.get("/audit", headers=bearer(key))
        assert problem(refused, 403, "role-not-allowed")["roles"] == ["admin"]


def test_a_timeline_across_schools_shows_each_school_only_its_own_trajectory(api: httpx.Client) -> None:
    """One pupil, an OPP at 14PS03 and, after the admin registered them at 20XY00, one there: each school's
    zorgcoördinator sees only its own trajectory; moving the pupil needs every trajectory in scope (403
    otherwise, nothing moved).
    """
    pupil_id = _pupil()
    ours = _open(api, pupil_id)
    import_reference_data(api)
    registered = api.post("/imports/leerlingen", headers={**bearer("admin"), "Content-Type": "text/csv"},
                          content="leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam\n"
                                  f"{pupil_id},20XY00,0935,2013-01-01,Sam,Jansen\n")
    assert registered.status_code == httpx.codes.OK, registered.text
    other = bearer("zc_elsewhere")
    theirs = api.post("/cases", json={"pathway": "opp", "school_brin": "20XY00", "pupil_id": pupil_id,
                                      "payload": OPP_PAYLOAD}, headers=other)
    assert theirs.status_code == httpx.codes.CREATED, theirs.text
    assert [t["case_id"] for t in api.get(f"/pupils/{pupil_id}").json()["active"]] == [ours]
    assert [t["case_id"] for t in api.get(f"/pupils/{pupil_id}", headers=other).json()["active"]] == [
        theirs.json()["case_id"]]
    refused = api.post(f"/pupils/{pupil_id}/transfer", json={"school_brin": "14PS00"})
    assert problem(refused, 403, "out-of-scope")["detail"].startswith("Niet alle trajecten van deze leerling")
    assert api.get(f"/cases/{ours}").json()["school_brin"] == "14PS03"
