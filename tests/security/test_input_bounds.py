"""Input at the edges of the calendar, and facts that cannot be true, are refused with a Dutch 422 (or 403)
and write nothing; none of them is a 500 or silently accepted.

- every date and instant the API takes lies in the window of ``domain.window`` (1990-01-01 .. 2100-12-31):
  a payload's date field, ``occurred_at``, own holidays, the period of the indicators and of the register;
- an ``If-Match`` of 5,000 digits is a malformed request, not a crash;
- a bezwaar cannot have been lodged after the day it is recorded; detection cannot run as of a day that has
  not come yet (it writes the thuiszitter register for good);
- a pupil cannot be transferred to a school the reference data does not know (the trajectories would be
  nobody's); a case runs under its school's profile, so it cannot be opened into another SWV's scope, and an
  SWV coordinator cannot open one for another SWV's school.

The reference data of ``tests/api/test_access.py``: 14PS03 is a school of VO3102 (profile vo-31-02), 20XY00 of
PO3104 (zuid-limburg-po), 14PS00 and 00KX00 of VO9901 (no profile of its own: the standard profile).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import ControllableClock, bearer
from tests.api.test_access import import_reference_data
from tests.api.test_cases_api import problem
from tests.api.test_scenario import COMPLETE_TLV_DOSSIER

OPP = {"extra_ondersteuning_sinds": "2026-09-01"}
ADMIN = bearer("admin")
SWV = bearer("swv_coordinator")
BTO = bearer("bto")
OUTSIDE = "ligt niet tussen 1990-01-01 en 2100-12-31"


def _pupil() -> str:
    return f"lln-{uuid.uuid4().hex[:10]}"


def _open(api: httpx.Client, pupil_id: str, pathway: str = "opp", payload: dict[str, Any] | None = None,
          school: str = "14PS00", headers: dict[str, str] | None = None, **extra: Any) -> httpx.Response:
    return api.post("/cases", json={"pathway": pathway, "school_brin": school, "pupil_id": pupil_id,
                                    "payload": OPP if payload is None else payload, **extra}, headers=headers)


def _opened(api: httpx.Client, pupil_id: str, pathway: str = "opp", payload: dict[str, Any] | None = None,
            **extra: Any) -> str:
    response = _open(api, pupil_id, pathway, payload, **extra)
    assert response.status_code == httpx.codes.CREATED, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def _send(api: httpx.Client, case_id: str, command: str, payload: dict[str, Any] | None = None,
          headers: dict[str, str] | None = None) -> str:
    response = api.post(f"/cases/{case_id}/commands", json={"command": command, "payload": payload or {}},
                        headers=headers)
    assert response.status_code == httpx.codes.OK, f"{command}: {response.text}"
    stage: str = response.json()["stage"]
    return stage


def _version(api: httpx.Client, case_id: str) -> int:
    version: int = api.get(f"/cases/{case_id}").json()["version"]
    return version


def _nothing_for(api: httpx.Client, pupil_id: str) -> None:
    """No trajectory was opened for the pupil (as the zorgcoördinator and as the SWV coordinator see it)."""
    problem(api.get(f"/pupils/{pupil_id}"), 404, "pupil-not-found")
    problem(api.get(f"/pupils/{pupil_id}", headers=SWV), 404, "pupil-not-found")


@pytest.fixture(autouse=True)
def _reference(api: httpx.Client) -> None:
    import_reference_data(api)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2101-01-01", "1989-12-31"])
def test_a_payload_date_outside_the_window_is_422_and_opens_nothing(api: httpx.Client, day: str) -> None:
    """extra_ondersteuning_sinds 9999-12-31 (its deadline would lie past year 9999) or 0001-01-01: 422 naming the
    field and the window; no case is opened.
    """
    pupil_id = _pupil()
    response = _open(api, pupil_id, payload={"extra_ondersteuning_sinds": day})
    body = problem(response, 422, "invalid-command")
    assert body["detail"] == f"Veld 'extra_ondersteuning_sinds' (extra ondersteuning gestart op): {OUTSIDE}."
    _nothing_for(api, pupil_id)


def test_a_command_date_outside_the_window_is_422_and_changes_nothing(api: httpx.Client) -> None:
    """A date field of a later command (a knooppunt planned on 9999-12-31): 422, the case stays as it was."""
    case_id = _opened(api, _pupil(), "knooppunt", {"soort": "toeleiding", "toestemming_gegeven_door": "ouders"})
    response = api.post(f"/cases/{case_id}/commands", json={"command": "plan", "payload": {
        "datum": "9999-12-31", "deelnemers": "zorgcoordinator|School|ja|nee; ouders|Gezin|nee|nee"}})
    assert OUTSIDE in problem(response, 422, "invalid-command")["detail"]
    assert _version(api, case_id) == 1


@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00",
                                         "1989-12-31T23:59+00:00"])
def test_an_occurred_at_outside_the_window_is_422_and_writes_nothing(api: httpx.Client, occurred_at: str) -> None:
    """On opening and on a command: 422 problem+json (not a 500 from converting year 1 to UTC); nothing opened,
    the case unchanged.
    """
    pupil_id = _pupil()
    body = problem(_open(api, pupil_id, occurred_at=occurred_at), 422, "invalid-request")
    assert OUTSIDE in body["detail"]
    _nothing_for(api, pupil_id)
    case_id = _opened(api, _pupil())
    response = api.post(f"/cases/{case_id}/commands", json={"command": "leg_handelingsdeel_voor",
                                                            "occurred_at": occurred_at})
    assert OUTSIDE in problem(response, 422, "invalid-request")["detail"]
    assert _version(api, case_id) == 1


def test_dates_inside_the_window_still_work(api: httpx.Client, clock: ControllableClock) -> None:
    """The window's first and last day are in it: extra support since 1990-01-01, a knooppunt planned on
    2100-12-31, a register and indicators over the whole window.
    """
    case_id = _opened(api, _pupil(), payload={"extra_ondersteuning_sinds": "1990-01-01"})
    assert api.get(f"/cases/{case_id}").json()["stage"] == "concept"
    knooppunt = _opened(api, _pupil(), "knooppunt", {"soort": "toeleiding", "toestemming_gegeven_door": "ouders"})
    assert _send(api, knooppunt, "plan", {"datum": "2100-12-31",
                                          "deelnemers": "zorgcoordinator|School|ja|nee; ouders|Gezin|nee|nee"})
    indicators = api.get("/monitor/indicators", params={"start": "1990-01-01T00:00:00+01:00",
                                                        "end": "2100-12-31T23:59:00+01:00"}, headers=SWV)
    assert indicators.status_code == httpx.codes.OK, indicators.text
    register = api.get("/thuiszitters/register", params={"from": "1990-01-01", "to": "2100-12-31"}, headers=ADMIN)
    assert register.status_code == httpx.codes.OK, register.text
    detected = api.post("/verzuim/detect", json={"as_of": clock().date().isoformat(), "pupil_ids": [_pupil()]},
                        headers=ADMIN)
    assert detected.status_code == httpx.codes.OK, detected.text


@pytest.mark.parametrize(("first", "last"), [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31")])
def test_own_holidays_in_year_1_or_9999_are_422_and_leave_the_holidays_as_they_were(
    api: httpx.Client, first: str, last: str,
) -> None:
    """PUT a school's and an SWV's holidays with a holiday in year 1 or 9999: 422, the stored holidays unchanged."""
    for path in ("/schools/14PS03/holidays", "/swvs/VO3102/holidays"):
        before = api.get(path).json()
        response = api.put(path, json=[{"name": "studiedag", "first_day": first, "last_day": last}], headers=ADMIN)
        assert OUTSIDE in problem(response, 422, "invalid-request")["detail"]
        assert api.get(path).json() == before


@pytest.mark.parametrize("params", [
    {"start": "0001-01-01T00:00:00+14:00", "end": "9999-12-31T23:59:00-14:00"},
    {"start": "2026-01-01T00:00:00+01:00", "end": "9999-12-31T00:00:00+00:00"},
])
def test_indicators_over_year_1_to_9999_are_422(api: httpx.Client, params: dict[str, str]) -> None:
    """The period of /monitor/indicators lies in the window; outside it: 422 in Dutch, not a 500."""
    response = api.get("/monitor/indicators", params=params, headers=SWV)
    assert OUTSIDE in problem(response, 422, "invalid-request")["detail"]


def test_a_register_period_outside_the_window_is_422(api: httpx.Client) -> None:
    """The thuiszitter register from year 1: 422 naming the window."""
    response = api.get("/thuiszitters/register", params={"from": "0001-01-01", "to": "2026-09-01"}, headers=ADMIN)
    assert OUTSIDE in problem(response, 422, "invalid-request")["detail"]


def test_an_if_match_of_5000_digits_is_422_and_writes_nothing(api: httpx.Client) -> None:
    """Python refuses to read an integer of more than 4,300 digits: the header is refused as malformed first."""
    case_id = _opened(api, _pupil())
    response = api.post(f"/cases/{case_id}/commands", json={"command": "leg_handelingsdeel_voor"},
                        headers={"If-Match": '"' + "9" * 5000 + '"'})
    assert problem(response, 422, "invalid-request")["problems"][0]["loc"] == ["header", "if-match"]
    assert _version(api, case_id) == 1
    applied = api.post(f"/cases/{case_id}/commands", json={"command": "leg_handelingsdeel_voor"},
                       headers={"If-Match": '"1"'})
    assert applied.status_code == httpx.codes.OK, applied.text


def _granted_tlv(api: httpx.Client) -> str:
    """A TLV granted by the BTO today (2026-09-03), its bezwaartermijn running."""
    pupil_id = _pupil()
    cascade = _opened(api, pupil_id, "cascade", {"niveau": "3", "reden": "Duiden & Doen gestart"})
    _send(api, cascade, "wijzig_niveau", {"niveau": "4", "reden": "externe expertise"})
    opp = _opened(api, pupil_id)
    _send(api, opp, "leg_handelingsdeel_voor")
    _send(api, opp, "registreer_instemming", {"gegeven_door": "ouders", "handelingsdeel_versie": 1})
    _send(api, opp, "stel_in_werking")
    tlv = _opened(api, pupil_id, "tlv", {"soort": "vso"})
    for command, payload in COMPLETE_TLV_DOSSIER:
        _send(api, tlv, command, payload)
    _send(api, tlv, "controleer_volledigheid", headers=BTO)
    _send(api, tlv, "registreer_beoordeling", {"beoordelaar": "b-1"}, headers=BTO)
    _send(api, tlv, "registreer_beoordeling", {"beoordelaar": "b-2"}, headers=BTO)
    assert _send(api, tlv, "ken_toe", {"categorie": "laag", "startdatum": "2026-09-03", "einddatum": "2028-07-31"},
                 headers=BTO) == "toegekend"
    return tlv


def test_a_bezwaar_lodged_in_the_future_is_422_and_a_lodged_one_is_recorded(api: httpx.Client) -> None:
    """Recorded today (3 September), a bezwaar 'lodged' on 10 September is refused (still within the six weeks,
    so only its date in the future is wrong); one lodged today is recorded.
    """
    tlv = _granted_tlv(api)
    version = _version(api, tlv)
    response = api.post(f"/cases/{tlv}/commands", json={"command": "dien_bezwaar_in",
                                                        "payload": {"ingediend_op": "2026-09-10"}})
    body = problem(response, 422, "guard-failed")
    assert body["detail"] == ("Het bezwaar is ingediend op 10 september 2026: die dag ligt na 3 september 2026, de "
                              "dag waarop u het vastlegt. Een bezwaar kan niet in de toekomst zijn ingediend.")
    assert _version(api, tlv) == version
    assert _send(api, tlv, "dien_bezwaar_in", {"ingediend_op": "2026-09-03"}) == "bezwaar"


def _register(api: httpx.Client) -> list[dict[str, Any]]:
    response = api.get("/thuiszitters/register", params={"from": "1990-01-01", "to": "2100-12-31"}, headers=ADMIN)
    assert response.status_code == httpx.codes.OK, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.mark.parametrize("as_of", ["2026-09-04", "2099-01-01"])
def test_detection_as_of_a_day_after_today_is_422_and_writes_no_register_rows(
    api: httpx.Client, as_of: str,
) -> None:
    """The API's clock says 3 September 2026: detection as of the 4th (or 2099) would write permanent register
    rows about days that have not come yet. 422 in Dutch; the register and the alerts are as they were.
    """
    before, alerts = _register(api), api.get("/alerts", params={"state": "all"}, headers=ADMIN).json()
    response = api.post("/verzuim/detect", json={"as_of": as_of}, headers=ADMIN)
    assert problem(response, 422, "invalid-command")["detail"].startswith(
        f"Detectie kan niet per {as_of}: die dag ligt na vandaag (2026-09-03)")
    assert _register(api) == before
    assert api.get("/alerts", params={"state": "all"}, headers=ADMIN).json() == alerts


def test_a_transfer_to_an_unknown_school_is_422_and_moves_nothing(api: httpx.Client) -> None:
    """99ZZ99 is in no reference data: 422 'Onbekende school', every trajectory stays at its school."""
    pupil_id = _pupil()
    opp = _opened(api, pupil_id)
    knooppunt = _opened(api, pupil_id, "knooppunt", {"soort": "toeleiding", "toestemming_gegeven_door": "ouders"})
    response = api.post(f"/pupils/{pupil_id}/transfer", json={"school_brin": "99ZZ99"})
    assert problem(response, 422, "invalid-command")["detail"] == (
        "Onbekende school 99ZZ99: die staat niet in de referentiegegevens. Overplaatsen kan alleen naar een "
        "school die de beheerder heeft geïmporteerd.")
    for case_id in (opp, knooppunt):
        assert (api.get(f"/cases/{case_id}").json()["school_brin"], _version(api, case_id)) == ("14PS00", 1)
    moved = api.post(f"/pupils/{pupil_id}/transfer", json={"school_brin": "00KX00"})
    assert moved.status_code == httpx.codes.OK, moved.text


def test_a_case_cannot_be_opened_under_another_swvs_profile(api: httpx.Client) -> None:
    """14PS03 belongs to VO3102: its zorgcoördinator opening under zuid-limburg-po (or the standard profile) gets
    422 naming the school's SWV and profile; nothing is opened, so neither PO3104 nor anyone else sees the pupil.
    """
    for profile in ("zuid-limburg-po", "standaard"):
        pupil_id = _pupil()
        response = _open(api, pupil_id, school="14PS03", profile=profile)
        assert problem(response, 422, "invalid-command")["detail"] == (
            f"School 14PS03 hoort bij SWV VO3102 (profiel vo-31-02), niet bij profiel {profile}.")
        _nothing_for(api, pupil_id)
        problem(api.get(f"/pupils/{pupil_id}", headers=bearer("swv_elsewhere")), 404, "pupil-not-found")


@pytest.mark.parametrize(("who", "school", "profile", "swv"), [
    ("swv_coordinator", "20XY00", "vo-31-02", "PO3104"),
    ("swv_elsewhere", "14PS03", "zuid-limburg-po", "VO3102"),
])
def test_an_swv_coordinator_cannot_open_a_case_for_another_swvs_school(
    api: httpx.Client, who: str, school: str, profile: str, swv: str,
) -> None:
    """Under their own profile, for a school of another SWV: 403 naming the school's SWV; nothing is opened."""
    pupil_id = _pupil()
    response = _open(api, pupil_id, school=school, profile=profile, headers=bearer(who))
    assert problem(response, 403, "out-of-scope")["detail"].startswith(
        f"U kunt geen dossier openen voor school {school}: die hoort bij SWV {swv}, niet bij uw samenwerkingsverband")
    _nothing_for(api, pupil_id)
    problem(api.get(f"/pupils/{pupil_id}", headers=bearer(who)), 404, "pupil-not-found")
