"""The TLV's expert-advice rule through HTTP, on SQLite and PostgreSQL (issue 14 §4): in VO 31-02 a jeugdarts
and an orthopedagoog give the two advices and the TLV is granted; two advices by one person are refused in
Dutch, and the request cannot be completed on one advice. The pupil comes from SO (herkomst so_vso_vervolg),
so the dossier needs no VO cascade or RTO (seed 001 bijlage 2).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.api.conftest import bearer
from tests.api.test_access import import_reference_data
from tests.api.test_cases_api import problem

BTO = bearer("bto")
VO3102_SCHOOL = "14PS03"
"""A school of SWV VO3102: its cases run under the vo-31-02 profile."""
STUKKEN: list[tuple[str, dict[str, Any]]] = [
    ("registreer_handtekening_ouders", {"ondertekend_door": "ouders"}),
    ("registreer_toestemmingsverklaring", {"gegeven_door": "ouders"}),
    ("registreer_zienswijze_ouders", {}), ("voeg_opp_toe", {"handelingsplan": True}),
]


def advies(discipline: str, deskundige: str) -> dict[str, Any]:
    return {"discipline": discipline, "deskundige": deskundige, "gezamenlijk": False, "conclusie": "positief",
            "samenvatting": "VSO is passend."}


def _request(api: httpx.Client) -> str:
    """A VSO TLV request at a VO 31-02 school for a pupil continuing from SO, with the standard dossier items."""
    response = api.post("/cases", json={"pathway": "tlv", "school_brin": VO3102_SCHOOL,
                                        "pupil_id": f"lln-{uuid.uuid4().hex[:8]}",
                                        "payload": {"soort": "vso", "herkomst": "so_vso_vervolg"}})
    assert response.status_code == httpx.codes.CREATED, response.text
    case_id: str = response.json()["case_id"]
    for command, payload in STUKKEN:
        _do(api, case_id, command, payload)
    return case_id


def _send(api: httpx.Client, case_id: str, command: str, payload: dict[str, Any] | None = None,
          headers: dict[str, str] | None = None) -> httpx.Response:
    return api.post(f"/cases/{case_id}/commands", json={"command": command, "payload": payload or {}},
                    headers=headers)


def _do(api: httpx.Client, case_id: str, command: str, payload: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None) -> str:
    response = _send(api, case_id, command, payload, headers)
    assert response.status_code == httpx.codes.OK, f"{command}: {response.text}"
    stage: str = response.json()["stage"]
    return stage


def test_in_vo_31_02_a_jeugdarts_and_an_orthopedagoog_complete_the_tlv(api: httpx.Client) -> None:
    """The first advice by a jeugdarts, the second by an orthopedagoog (seed 001 §4.5.4): complete, reviewed,
    granted.
    """
    import_reference_data(api)
    case_id = _request(api)
    _do(api, case_id, "registreer_deskundigenadvies", advies("jeugdarts", "d-1"))
    _do(api, case_id, "registreer_deskundigenadvies", advies("orthopedagoog", "d-2"))
    assert _do(api, case_id, "controleer_volledigheid", headers=BTO) == "compleet"
    _do(api, case_id, "registreer_beoordeling", {"beoordelaar": "b-1"}, BTO)
    _do(api, case_id, "registreer_beoordeling", {"beoordelaar": "b-2"}, BTO)
    assert _do(api, case_id, "ken_toe", {"startdatum": "2026-11-01", "einddatum": "2027-10-31"}, BTO) == "toegekend"


def test_in_vo_31_02_two_advices_by_one_person_do_not_complete_the_tlv(api: httpx.Client) -> None:
    """The same deskundige twice is refused with a Dutch reason; the request stays incomplete."""
    import_reference_data(api)
    case_id = _request(api)
    _do(api, case_id, "registreer_deskundigenadvies", advies("orthopedagoog", "d-1"))
    body = problem(_send(api, case_id, "registreer_deskundigenadvies", advies("orthopedagoog", "d-1")), 422,
                   "guard-failed")
    assert body["detail"] == ("Deskundige d-1 heeft al geadviseerd; het tweede advies moet van een andere "
                              "deskundige komen.")
    body = problem(_send(api, case_id, "controleer_volledigheid", headers=BTO), 422, "guard-failed")
    assert body["missing"] == [{"code": "advies-2-ontbreekt", "detail": (
        "Advies 2 ontbreekt: een tweede, afzonderlijk deskundigenadvies van een andere deskundige, van een "
        "orthopedagoog.")}]
