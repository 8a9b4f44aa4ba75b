"""A NUL character (0x00) is refused everywhere with a Dutch 422 and nothing is written — on SQLite and on
PostgreSQL alike (PostgreSQL cannot store one, which used to surface as a 500).
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from api.edge import DETAIL
from tests.api.conftest import bearer
from tests.api.test_cases_api import problem


def _pupil_cases(api: httpx.Client, pupil: str) -> int:
    found = api.get("/cases", params={"pupil": pupil, "limit": 10})
    assert found.status_code == httpx.codes.OK, found.text
    return len(found.json()["items"])


@pytest.mark.parametrize("query", [{"pathway": "opp\x00"}, {"stage": "\x00"}, {"school": "14PS\x0003"}])
def test_a_nul_in_the_query_string_is_refused(api: httpx.Client, query: dict[str, str]) -> None:
    """GET /cases with a NUL in a filter: 422 with the Dutch reason, not a server error."""
    assert problem(api.get("/cases", params=query), 422, "invalid-request")["detail"] == DETAIL


def test_a_nul_in_a_json_body_is_refused_and_nothing_is_written(api: httpx.Client) -> None:
    """Opening a case whose payload holds an escaped NUL: 422, and the pupil has no case afterwards."""
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    body = {"pathway": "signalering", "school_brin": "14PS03", "pupil_id": pupil,
            "payload": {"gesignaleerd_door": "mentor", "organisatie": "a\x00b", "zorgdomein": "leren",
                        "datum_signaal": "2026-09-01"}}
    assert problem(api.post("/cases", json=body), 422, "invalid-request")["detail"] == DETAIL
    assert _pupil_cases(api, pupil) == 0


def test_a_nul_in_a_csv_import_is_refused_and_nothing_is_imported(api: httpx.Client) -> None:
    """A pupil file with a raw NUL byte in a name: 422, the pupil is not there."""
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    content = ("leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam,bsn\n"
               f"{pupil},14PS03,0957,2012-01-31,Sa\x00m,Jansen,\n")
    response = api.post("/imports/leerlingen", content=content.encode(),
                        headers={**bearer("admin"), "Content-Type": "text/csv"})
    assert problem(response, 422, "invalid-request")["detail"] == DETAIL
    assert api.get(f"/pupils/{pupil}/record").status_code == httpx.codes.NOT_FOUND


def test_a_nul_in_a_form_post_is_refused(api: httpx.Client) -> None:
    """The sign-in form with a percent-encoded NUL in the username: 422 before any page code runs."""
    response = api.post("/inloggen", content=b"gebruikersnaam=a%00b&wachtwoord=x&code=123456",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert problem(response, 422, "invalid-request")["detail"] == DETAIL


def test_ordinary_requests_pass_the_guard_unchanged(api: httpx.Client) -> None:
    """A body and a query string without NUL (a literal '%' and a backslash included) reach the route."""
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    body = {"pathway": "signalering", "school_brin": "14PS03", "pupil_id": pupil,
            "payload": {"gesignaleerd_door": "mentor", "organisatie": "100% \\ zorg", "zorgdomein": "leren",
                        "datum_signaal": "2026-09-01"}}
    assert api.post("/cases", json=body).status_code == httpx.codes.CREATED
    assert _pupil_cases(api, pupil) == 1
