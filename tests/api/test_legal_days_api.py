"""Terms as the law counts them, through HTTP on an oefenomgeving whose clock an admin moves (issue 13).

What it shows:
- a TLV decision due on 14 December is not late at 23:59 that day, and late from the 15th;
- a bezwaar against a decision made known on 20 November 2026 is accepted on Monday 4 January 2027 (six weeks
  end on Nieuwjaarsdag, the Algemene termijnenwet moves them past the weekend) and refused on the 5th;
- a VSO→VO orientation started on 1 March 2027, the last day of the five months before a transfer on
  1 August 2027, never raises the alert that it started too late.

The clock only moves forward once anything is on record, so the tests run in the order of the story and share
one instance (module scope); every move makes the due work run in the background, as on a real oefenomgeving.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from domain.durations import NL
from tests.api.conftest import bearer, simulated_instance
from tests.api.test_access import import_reference_data
from tests.api.test_scenario import COMPLETE_TLV_DOSSIER

ADMIN, BTO = bearer("admin"), bearer("bto")
START = datetime(2026, 10, 19, 9, 0, tzinfo=NL)
"""Monday 19 October 2026: the TLV requests come in; 8 weeks (Awb art. 4:13) end on Monday 14 December."""
WAIT_S = 15.0
REJECTION = {"reden": "De ondersteuning past binnen het regulier onderwijs.", "bekendgemaakt_op": "2026-11-20"}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def instance(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from simulated_instance(request.param, tmp_path_factory, START)


@pytest.fixture(scope="module")
def api(instance: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=instance, headers=bearer("zorgcoordinator"), timeout=30.0) as client:
        import_reference_data(client)
        yield client


@pytest.fixture(scope="module")
def story(api: httpx.Client) -> dict[str, str]:
    """On 19 October: a TLV request (its statutory term runs), two complete and reviewed TLV requests of two
    other pupils (to be rejected on 20 November), and a VSO→VO transfer planned for 1 August 2027.
    """
    return {"tlv": _open(api, "tlv", {"soort": "so"}), "bezwaar_op_tijd": _reviewed(api),
            "bezwaar_te_laat": _reviewed(api),
            "overstap": _open(api, "vso_vo_overstap", {"geplande_overstapdatum": "2027-08-01", "vo_school": "14PS03"})}


def _open(api: httpx.Client, pathway: str, payload: dict[str, Any], pupil: str | None = None) -> str:
    response = api.post("/cases", json={"pathway": pathway, "school_brin": "14PS00",
                                        "pupil_id": pupil or f"lln-{uuid.uuid4().hex[:8]}", "payload": payload})
    assert response.status_code == httpx.codes.CREATED, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def _send(api: httpx.Client, case_id: str, command: str, payload: dict[str, Any] | None = None,
          headers: dict[str, str] | None = None) -> httpx.Response:
    return api.post(f"/cases/{case_id}/commands", json={"command": command, "payload": payload or {}},
                    headers=headers)


def _done(api: httpx.Client, case_id: str, command: str, payload: dict[str, Any] | None = None,
          headers: dict[str, str] | None = None) -> str:
    response = _send(api, case_id, command, payload, headers)
    assert response.status_code == httpx.codes.OK, f"{command}: {response.text}"
    stage: str = response.json()["stage"]
    return stage


def _reviewed(api: httpx.Client) -> str:
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    _open(api, "cascade", {"niveau": "3", "reden": "Duiden & Doen gestart"}, pupil)
    case_id = _open(api, "tlv", {"soort": "so"}, pupil)
    for command, payload in COMPLETE_TLV_DOSSIER:
        _done(api, case_id, command, {"handelingsplan": True} if command == "voeg_opp_toe" else payload)
    _done(api, case_id, "controleer_volledigheid", headers=BTO)
    for reviewer in ("b-1", "b-2"):
        _done(api, case_id, "registreer_beoordeling", {"beoordelaar": reviewer}, headers=BTO)
    return case_id


def _set_clock(api: httpx.Client, when: str) -> None:
    response = api.post("/admin/klok", json={"zet_op": when}, headers=ADMIN)
    assert response.status_code == httpx.codes.ACCEPTED, response.text


def _status(api: httpx.Client, case_id: str) -> dict[str, Any]:
    response = api.get(f"/cases/{case_id}")
    assert response.status_code == httpx.codes.OK, response.text
    found: dict[str, Any] = response.json()
    return found


def _timer(api: httpx.Client, case_id: str, name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [t for t in _status(api, case_id)["open_timers"] if t["name"] == name]
    assert len(found) == 1, found
    return found[0]


def _history(api: httpx.Client, case_id: str) -> list[str]:
    response = api.get(f"/cases/{case_id}/history")
    assert response.status_code == httpx.codes.OK, response.text
    return [entry["type"] for entry in response.json()]


def _eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_1_the_statutory_decision_term_shows_its_last_day_basis_and_reckoning(
        api: httpx.Client, story: dict[str, str]) -> None:
    """The status names the last day (14 December), the law it rests on and how it was counted."""
    timer = _timer(api, story["tlv"], "wettelijke_beslistermijn")
    assert timer["last_day"] == "2026-12-14"
    assert timer["basis"] == {"soort": "wet", "soort_tekst": "wettelijke termijn",
                              "bron": "Awb art. 4:13 lid 2, 4:15 lid 1"}
    assert timer["reckoning"] == ("8 weken na ontvangst van de aanvraag op 19 oktober 2026 "
                                  "(Awb art. 4:13 lid 2, 4:15 lid 1) → 14 december 2026")


def test_2_a_decision_made_known_on_20_november_runs_its_bezwaartermijn_to_monday_4_january(
        api: httpx.Client, story: dict[str, str]) -> None:
    """Rejected on 20 November and made known that day: six weeks from the 21st end on Nieuwjaarsdag; the
    Algemene termijnenwet moves the last day past the weekend to Monday 4 January 2027.
    """
    _set_clock(api, "2026-11-20T10:00")
    for case in ("bezwaar_op_tijd", "bezwaar_te_laat"):
        assert _done(api, story[case], "wijs_af", REJECTION, headers=BTO) == "afgewezen"
    timer = _timer(api, story["bezwaar_op_tijd"], "bezwaartermijn_afwijzing")
    assert timer["last_day"] == "2027-01-04"
    assert timer["reckoning"] == ("6 weken na bekendmaking op 20 november 2026 (Awb art. 6:7, 6:8) → "
                                  "1 januari 2027, Nieuwjaarsdag → maandag 4 januari 2027 "
                                  "(Algemene termijnenwet art. 1)")


def test_3_a_decision_due_on_14_december_is_not_late_at_23_59_that_day(
        api: httpx.Client, story: dict[str, str]) -> None:
    """At 23:59 on the last day the term still runs: not overdue, and nothing reported."""
    _set_clock(api, "2026-12-14T23:59")
    assert _timer(api, story["tlv"], "wettelijke_beslistermijn")["overdue"] is False
    time.sleep(0.5)  # the background work after the move had its chance
    assert "tlv_wettelijke_beslistermijn_verstreken" not in _history(api, story["tlv"])


def test_4_the_decision_is_late_from_the_first_moment_of_15_december(
        api: httpx.Client, story: dict[str, str]) -> None:
    """At midnight into the 15th the term has passed: the status says overdue until the system reports it,
    and the move's due work reports it.
    """
    _set_clock(api, "2026-12-15T00:00")
    _eventually(lambda: "tlv_wettelijke_beslistermijn_verstreken" in _history(api, story["tlv"]),
                "the passed statutory term was not reported after the clock moved past 14 December")
    assert all(t["name"] != "wettelijke_beslistermijn" for t in _status(api, story["tlv"])["open_timers"])


def test_5_a_bezwaar_on_4_january_2027_is_in_time(api: httpx.Client, story: dict[str, str]) -> None:
    _set_clock(api, "2027-01-04T16:00")
    assert _done(api, story["bezwaar_op_tijd"], "dien_bezwaar_in", {"ingediend_op": "2027-01-04"}) == "bezwaar"


def test_6_a_bezwaar_on_5_january_2027_is_refused(api: httpx.Client, story: dict[str, str]) -> None:
    """From the 5th the term has passed: whether the sweep already made the rejection final (then the step is
    no longer offered) or not yet (then the guard names the last day), the bezwaar is refused.
    """
    _set_clock(api, "2027-01-05T09:00")
    refused = _send(api, story["bezwaar_te_laat"], "dien_bezwaar_in", {"ingediend_op": "2027-01-05"})
    assert refused.status_code in (httpx.codes.CONFLICT, httpx.codes.UNPROCESSABLE_ENTITY), refused.text
    assert "tlv_bezwaar_ingediend" not in _history(api, story["bezwaar_te_laat"])
    _eventually(lambda: _status(api, story["bezwaar_te_laat"])["stage"] == "afgewezen_definitief",
                "the rejection did not become final once its bezwaartermijn had passed")


def test_7_an_orientation_started_on_its_last_day_never_raises_the_late_alert(
        api: httpx.Client, story: dict[str, str]) -> None:
    """Five months before 1 August 2027 is 1 March 2027 (a regional guideline, seed 001 §4.5.3): started that
    afternoon, the orientation is in time, and two days on nothing says it was late.
    """
    assert _timer(api, story["overstap"], "orientatie_start")["last_day"] == "2027-03-01"
    _set_clock(api, "2027-03-01T16:00")
    assert _done(api, story["overstap"], "start_orientatie", {"vo_school_betrokken": True}) == "orientatie"
    _set_clock(api, "2027-03-03T10:00")
    time.sleep(0.5)
    assert [t for t in _history(api, story["overstap"]) if "te_laat" in t] == []
    alerts = api.get("/alerts", headers=bearer("swv_coordinator"))
    assert alerts.status_code == httpx.codes.OK, alerts.text
    assert story["overstap"] not in alerts.text
