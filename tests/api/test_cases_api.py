"""The HTTP API of leerlingroute, exercised over a real socket.

Each test opens its own case(s) and moves the API's clock by setting instants; nothing sleeps.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import httpx
import pytest

from domain.registry import PathwayRegistry
from tests.api.conftest import bearer

NL = ZoneInfo("Europe/Amsterdam")
PROBLEM_JSON = "application/problem+json"
PROBLEMS = "https://leerlingroute.nl/problems/"
SWV_COORDINATOR = bearer("swv_coordinator")
INSTEMMING = {"gegeven_door": "ouders", "handelingsdeel_versie": 1}
OPP_STAGES = ["concept", "wacht_op_instemming", "in_werking", "evaluatie_verschuldigd", "geevalueerd",
              "bijgesteld", "afgesloten"]
INSTEMMING_ONTBREEKT = ("De instemming van ouders met het handelingsdeel ontbreekt "
                        "(wie die gaf, wanneer, en voor welke versie).")
IN_DE_TOEKOMST = "Het tijdstip 'occurred_at' ligt in de toekomst."


class ControllableClock(Protocol):
    """The API's clock as the ``clock`` fixture hands it out: read it, or set it to an instant."""

    def __call__(self) -> datetime: ...

    def set(self, instant: datetime) -> datetime: ...


# --- helpers ---------------------------------------------------------------------------------------

def instant(value: str) -> datetime:
    """An instant as the API writes it."""
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"{value!r} has no timezone"
    return parsed


def open_case(api: httpx.Client, sinds: str = "2026-09-01", **extra: Any) -> str:
    """Open an OPP case for a fresh pupil; return its id."""
    response = api.post("/cases", json={
        "pathway": "opp", "school_brin": "14PS03", "pupil_id": f"lln-{uuid.uuid4().hex[:8]}",
        "payload": {"extra_ondersteuning_sinds": sinds}, **extra})
    assert response.status_code == httpx.codes.CREATED, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def send(
    api: httpx.Client, case_id: str, command: str, payload: dict[str, Any] | None = None, *,
    occurred_at: datetime | None = None, headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a command to a case."""
    body: dict[str, Any] = {"command": command, "payload": payload or {}}
    if occurred_at is not None:
        body["occurred_at"] = occurred_at.isoformat()
    return api.post(f"/cases/{case_id}/commands", json=body, headers=headers)


def applied(api: httpx.Client, case_id: str, command: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """Send a command that must succeed; return the outcome."""
    response = send(api, case_id, command, payload)
    assert response.status_code == httpx.codes.OK, response.text
    outcome: dict[str, Any] = response.json()
    assert outcome["replayed"] is False
    return outcome


def status(api: httpx.Client, case_id: str) -> dict[str, Any]:
    """GET a case's status."""
    response = api.get(f"/cases/{case_id}")
    assert response.status_code == httpx.codes.OK, response.text
    found: dict[str, Any] = response.json()
    return found


def history(api: httpx.Client, case_id: str) -> list[dict[str, Any]]:
    """GET a case's history."""
    response = api.get(f"/cases/{case_id}/history")
    assert response.status_code == httpx.codes.OK, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


def waiting_for_instemming(api: httpx.Client) -> str:
    """A case whose handelingsdeel (version 1) has been presented to the parents."""
    case_id = open_case(api)
    applied(api, case_id, "leg_handelingsdeel_voor")
    return case_id


def problem(response: httpx.Response, status_code: int, code: str) -> dict[str, Any]:
    """Assert ``response`` is a problem+json of this status and code; return its body."""
    assert response.status_code == status_code, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEMS + code
    assert body["status"] == status_code
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


# --- opening a case --------------------------------------------------------------------------------

def test_opening_a_case_returns_201_with_its_location_and_the_outcome(api: httpx.Client) -> None:
    """POST /cases answers 201 Created, a Location header pointing at the new case, and the
    start event in the initial stage.
    """
    response = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03", "pupil_id": "lln-7f3a9c",
                                        "payload": {"extra_ondersteuning_sinds": "2026-09-01"}})

    assert response.status_code == httpx.codes.CREATED
    body = response.json()
    case_id = body["case_id"]
    uuid.UUID(case_id)
    assert body == {"case_id": case_id, "pathway": "opp", "seq": 1, "event": "opp_gestart",
                    "stage": "concept", "replayed": False}
    assert response.headers["location"] == f"/cases/{case_id}"
    assert api.get(response.headers["location"]).status_code == httpx.codes.OK


def test_a_new_case_is_in_concept_with_the_opp_deadline_six_weeks_after_extra_ondersteuning_began(
    api: httpx.Client, clock: ControllableClock,
) -> None:
    """The status of a new OPP case shows stage concept and the opp_termijn deadline: six weeks after
    the (Dutch) date the extra ondersteuning began, not six weeks after the case was opened.
    """
    case_id = open_case(api, sinds="2026-09-01")

    response = api.get(f"/cases/{case_id}")

    assert response.status_code == httpx.codes.OK
    assert response.headers["etag"] == '"1"'
    found = response.json()
    assert found["case_id"] == case_id
    assert found["pathway"] == "opp"
    assert found["definition_version"] == 1
    assert found["school_brin"] == "14PS03"
    assert found["stage"] == "concept"
    assert found["stage_label"] == "Concept"
    assert found["final"] is False
    assert found["version"] == 1
    assert instant(found["opened_at"]) == clock()
    assert instant(found["stage_entered_at"]) == clock()
    assert found["on_record"] == ["extra_ondersteuning"]
    assert len(found["open_timers"]) == 1
    timer = found["open_timers"][0]
    assert timer["name"] == "opp_termijn"
    assert timer["label"] == "OPP binnen 6 weken na start extra ondersteuning in werking"
    assert timer["last_day"] == "2026-10-13"  # 6 weeks after 1 September, the last day included
    assert instant(timer["due_at"]) == datetime(2026, 10, 14, 0, 0, tzinfo=NL)  # overdue from the next day
    assert timer["overdue"] is False
    assert timer["basis"] == {"soort": "wet", "soort_tekst": "wettelijke termijn",
                              "bron": "WPO art. 40a, WVO 2020 art. 2.43"}
    assert timer["reckoning"] == ("6 weken na de start van de extra ondersteuning op 1 september 2026 "
                                  "(WPO art. 40a, WVO 2020 art. 2.43) → 13 oktober 2026")


def test_the_status_offers_the_commands_people_may_issue_next_but_not_the_systems_own(
    api: httpx.Client,
) -> None:
    """next_commands of a concept case names what a person can do, with roles, fields and target;
    the timer's command meld_opp_te_laat is left out.
    """
    case_id = open_case(api)

    commands = status(api, case_id)["next_commands"]

    assert [c["command"] for c in commands] == ["leg_handelingsdeel_voor", "leg_uitstroomprofiel_vast", "sluit_af"]
    assert commands[0] == {"command": "leg_handelingsdeel_voor", "label": "Handelingsdeel aan ouders voorleggen",
                           "roles": ["zorgcoordinator"], "fields": [], "target": "wacht_op_instemming"}
    sluit_af = commands[2]
    assert sluit_af["roles"] == ["swv_coordinator", "zorgcoordinator"]
    assert sluit_af["target"] == "afgesloten"
    assert sluit_af["fields"] == [{"name": "reden", "type": "choice", "label": "reden", "required": True,
                                   "choices": ["doelen_bereikt", "geen_extra_ondersteuning_meer", "verhuisd",
                                               "andere_school", "schoolverlater"]}]


def test_a_deadline_shows_as_overdue_once_the_clock_has_passed_it(
    api: httpx.Client, clock: ControllableClock,
) -> None:
    """The overdue flag follows the API's clock: false until the end of the last day (13 October), true from
    the first instant of the next day.
    """
    case_id = open_case(api, sinds="2026-09-01")
    due = datetime(2026, 10, 14, tzinfo=NL)

    clock.set(due - timedelta(seconds=1))
    assert [t["overdue"] for t in status(api, case_id)["open_timers"]] == [False]
    clock.set(due)
    assert [t["overdue"] for t in status(api, case_id)["open_timers"]] == [True]


def test_opening_a_case_on_an_unknown_pathway_is_not_found(api: httpx.Client) -> None:
    """A pathway that does not exist is named in a 404 problem."""
    response = api.post("/cases", json={"pathway": "rugzak", "school_brin": "14PS03", "pupil_id": "lln-1",
                                        "payload": {}})

    body = problem(response, 404, "unknown-pathway")
    assert body["detail"] == "Route rugzak bestaat niet."


def test_opening_a_case_without_the_start_date_of_extra_ondersteuning_is_refused(api: httpx.Client) -> None:
    """The start command's required field must be given: 422 naming the field."""
    response = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03", "pupil_id": "lln-1",
                                        "payload": {}})

    body = problem(response, 422, "invalid-command")
    assert body["problems"] == ["Veld 'extra_ondersteuning_sinds' (extra ondersteuning gestart op) ontbreekt."]


# --- the OPP pathway -------------------------------------------------------------------------------

def test_an_opp_goes_from_concept_to_in_werking_with_the_parents_instemming(
    api: httpx.Client, clock: ControllableClock,
) -> None:
    """The happy path over HTTP: present the handelingsdeel, record the parents' instemming, put the OPP
    in force. The six-week deadline is cancelled and the yearly evaluation deadline starts.
    """
    opened = clock()
    case_id = open_case(api, sinds="2026-09-01")

    presented = clock.set(datetime(2026, 9, 10, 10, 0, tzinfo=UTC))
    assert applied(api, case_id, "leg_handelingsdeel_voor") == {
        "case_id": case_id, "pathway": "opp", "seq": 2, "event": "handelingsdeel_voorgelegd",
        "stage": "wacht_op_instemming", "replayed": False}
    consented = clock.set(datetime(2026, 9, 24, 14, 0, tzinfo=UTC))
    assert applied(api, case_id, "registreer_instemming", INSTEMMING) == {
        "case_id": case_id, "pathway": "opp", "seq": 3, "event": "instemming_geregistreerd",
        "stage": "wacht_op_instemming", "replayed": False}
    in_force = clock.set(datetime(2026, 9, 25, 8, 0, tzinfo=UTC))
    assert applied(api, case_id, "stel_in_werking") == {
        "case_id": case_id, "pathway": "opp", "seq": 4, "event": "opp_in_werking",
        "stage": "in_werking", "replayed": False}

    found = status(api, case_id)
    assert found["stage"] == "in_werking"
    assert found["stage_label"] == "In werking"
    assert found["version"] == 4
    assert instant(found["stage_entered_at"]) == in_force
    assert found["on_record"] == ["extra_ondersteuning", "handelingsdeel", "instemming"]
    assert [(t["name"], instant(t["due_at"]), t["overdue"]) for t in found["open_timers"]] == [
        ("evaluatie", datetime(2027, 9, 25, tzinfo=NL), False)]  # a year after 24 September 2026: last day included
    assert [c["command"] for c in found["next_commands"]] == ["registreer_evaluatie", "leg_uitstroomprofiel_vast",
                                                              "sluit_af"]

    events = history(api, case_id)
    assert [(e["seq"], e["type"], e["command"], e["stage_from"], e["stage_to"], e["actor_role"])
            for e in events] == [
        (1, "opp_gestart", "start_opp", None, "concept", "zorgcoordinator"),
        (2, "handelingsdeel_voorgelegd", "leg_handelingsdeel_voor", "concept", "wacht_op_instemming",
         "zorgcoordinator"),
        (3, "instemming_geregistreerd", "registreer_instemming", "wacht_op_instemming", "wacht_op_instemming",
         "zorgcoordinator"),
        (4, "opp_in_werking", "stel_in_werking", "wacht_op_instemming", "in_werking", "zorgcoordinator"),
    ]
    assert [instant(e["recorded_at"]) for e in events] == [opened, presented, consented, in_force]
    assert [instant(e["occurred_at"]) for e in events] == [opened, presented, consented, in_force]
    assert [e["payload"] for e in events] == [
        {"extra_ondersteuning_sinds": "2026-09-01"}, {"handelingsdeel_versie": 1}, INSTEMMING, {}]
    assert {e["definition_version"] for e in events} == {1}


def test_refused_instemming_sends_the_opp_back_to_concept_while_the_six_week_deadline_keeps_running(
    api: httpx.Client,
) -> None:
    """weiger_instemming returns the case to concept; the original opp_termijn deadline stays as it was."""
    case_id = waiting_for_instemming(api)

    outcome = applied(api, case_id, "weiger_instemming", {"toelichting": "ouders willen eerst een gesprek"})

    assert outcome["stage"] == "concept"
    assert outcome["event"] == "instemming_geweigerd"
    assert [(t["name"], instant(t["due_at"])) for t in status(api, case_id)["open_timers"]] == [
        ("opp_termijn", datetime(2026, 10, 14, tzinfo=NL))]


def test_closing_a_case_ends_it_and_cancels_its_deadlines(api: httpx.Client) -> None:
    """sluit_af reaches the final stage: no open deadlines, nothing more to do, and any further command
    is refused with an empty list of allowed commands.
    """
    case_id = open_case(api)

    outcome = applied(api, case_id, "sluit_af", {"reden": "verhuisd"})

    assert outcome["stage"] == "afgesloten"
    found = status(api, case_id)
    assert (found["stage"], found["final"], found["open_timers"], found["next_commands"]) == (
        "afgesloten", True, [], [])
    body = problem(send(api, case_id, "leg_handelingsdeel_voor"), 409, "transition-not-allowed")
    assert (body["stage"], body["allowed"]) == ("afgesloten", [])


# --- refusals --------------------------------------------------------------------------------------

def test_putting_an_opp_in_force_without_instemming_is_refused_and_nothing_is_written(
    api: httpx.Client,
) -> None:
    """stel_in_werking before the parents consented: 422 whose Dutch detail names the missing
    instemming; the case and its history are unchanged.
    """
    case_id = waiting_for_instemming(api)
    before = history(api, case_id)

    response = send(api, case_id, "stel_in_werking")

    body = problem(response, 422, "guard-failed")
    assert "instemming" in body["detail"]
    assert body["detail"] == INSTEMMING_ONTBREEKT
    assert body["missing"] == [{"code": "instemming-ontbreekt", "detail": INSTEMMING_ONTBREEKT}]
    assert history(api, case_id) == before
    assert len(before) == 2
    found = status(api, case_id)
    assert (found["stage"], found["version"]) == ("wacht_op_instemming", 2)


def test_instemming_with_a_version_other_than_the_one_presented_is_refused(api: httpx.Client) -> None:
    """Parents consent to the version now presented; instemming for version 2 when 1 is presented is 422."""
    case_id = waiting_for_instemming(api)
    before = history(api, case_id)

    response = send(api, case_id, "registreer_instemming", {"gegeven_door": "ouders", "handelingsdeel_versie": 2})

    body = problem(response, 422, "guard-failed")
    assert body["missing"] == [{
        "code": "instemming-verkeerde-versie",
        "detail": "De instemming noemt versie 2 van het handelingsdeel, maar de voorgelegde versie is 1."}]
    assert history(api, case_id) == before


def test_a_command_the_stage_does_not_allow_is_a_conflict_naming_the_allowed_commands(api: httpx.Client) -> None:
    """stel_in_werking on a concept case: 409 naming the stage and the commands allowed there, without
    the system's own command meld_opp_te_laat.
    """
    case_id = open_case(api)
    before = history(api, case_id)

    response = send(api, case_id, "stel_in_werking")

    body = problem(response, 409, "transition-not-allowed")
    assert body["stage"] == "concept"
    assert body["allowed"] == ["leg_handelingsdeel_voor", "leg_uitstroomprofiel_vast", "sluit_af"]
    assert "meld_opp_te_laat" not in body["allowed"]
    assert body["detail"] == ("'stel_in_werking' kan niet in fase 'concept'; "
                              "wel mogelijk: leg_handelingsdeel_voor, leg_uitstroomprofiel_vast, sluit_af.")
    assert history(api, case_id) == before


def test_an_illegal_command_while_waiting_for_instemming_names_every_allowed_command_but_the_systems(
    api: httpx.Client,
) -> None:
    """Sending continueer while waiting for instemming: 409 listing the five commands people may issue there."""
    case_id = waiting_for_instemming(api)

    body = problem(send(api, case_id, "continueer"), 409, "transition-not-allowed")

    assert body["stage"] == "wacht_op_instemming"
    assert body["allowed"] == ["leg_handelingsdeel_voor", "registreer_instemming", "weiger_instemming",
                               "stel_in_werking", "leg_uitstroomprofiel_vast", "sluit_af"]
    assert "meld_opp_te_laat" not in body["allowed"]


def test_a_person_cannot_send_the_command_only_the_system_sends(api: httpx.Client) -> None:
    """meld_opp_te_laat is the timer's command: a zorgcoordinator sending it gets 403 and nothing is written."""
    case_id = open_case(api)
    before = history(api, case_id)

    body = problem(send(api, case_id, "meld_opp_te_laat"), 403, "role-not-allowed")

    assert body["roles"] == ["systeem"]
    assert history(api, case_id) == before


@pytest.mark.parametrize("method_and_path", [
    ("GET", "/cases/{id}"),
    ("GET", "/cases/{id}/history"),
    ("POST", "/cases/{id}/commands"),
])
def test_an_unknown_case_is_not_found(api: httpx.Client, method_and_path: tuple[str, str]) -> None:
    """Reading or commanding a case that does not exist is a 404 problem naming the case."""
    method, path = method_and_path
    unknown = str(uuid.uuid4())

    response = api.request(method, path.format(id=unknown),
                           json={"command": "leg_handelingsdeel_voor", "payload": {}} if method == "POST" else None)

    body = problem(response, 404, "case-not-found")
    assert body["detail"] == f"Dossier {unknown} bestaat niet."


def test_an_unknown_route_is_a_problem_too(api: httpx.Client) -> None:
    """Even the framework's own 404 comes as problem+json."""
    problem(api.get("/dossiers"), 404, "http-error")


# --- malformed input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "code", "problems"), [
    pytest.param({"payload": INSTEMMING}, "invalid-request",
                 [{"loc": ["body", "command"], "msg": "Field required"}], id="command-missing"),
    pytest.param({"command": "registreer_instemming", "payload": INSTEMMING, "notitie": "x"}, "invalid-request",
                 [{"loc": ["body", "notitie"], "msg": "Extra inputs are not permitted"}], id="unknown-field"),
    pytest.param({"command": "registreer_instemming", "payload": [INSTEMMING]}, "invalid-request",
                 [{"loc": ["body", "payload"], "msg": "Input should be a valid dictionary"}], id="payload-a-list"),
    pytest.param({"command": "registreer_instemming", "payload": INSTEMMING, "occurred_at": "2026-09-02T10:00:00"},
                 "invalid-request", [{"loc": ["body", "occurred_at"], "msg": "Input should have timezone info"}],
                 id="occurred-at-without-timezone"),
    pytest.param({"command": "registreer_instemming", "payload": {"gegeven_door": "ouders",
                                                                  "handelingsdeel_versie": "een"}},
                 "invalid-command",
                 ["Veld 'handelingsdeel_versie' (versie van het handelingsdeel): moet een geheel getal zijn."],
                 id="versie-not-a-number"),
    pytest.param({"command": "registreer_instemming", "payload": {"gegeven_door": "ouders",
                                                                  "handelingsdeel_versie": True}},
                 "invalid-command",
                 ["Veld 'handelingsdeel_versie' (versie van het handelingsdeel): moet een geheel getal zijn."],
                 id="versie-a-boolean"),
    pytest.param({"command": "registreer_instemming", "payload": {**INSTEMMING, "handtekening": "ja"}},
                 "invalid-command", ["Onbekend veld 'handtekening'."], id="unknown-payload-field"),
    pytest.param({"command": "registreer_instemming", "payload": {"gegeven_door": "buurman",
                                                                  "handelingsdeel_versie": 1}},
                 "invalid-command",
                 [("Veld 'gegeven_door' (instemming gegeven door): moet een van ouders, ouder, voogd, "
                   "leerling_18_plus zijn.")], id="choice-not-offered"),
    pytest.param({"command": "registreer_instemming", "payload": {"handelingsdeel_versie": 1}},
                 "invalid-command", ["Veld 'gegeven_door' (instemming gegeven door) ontbreekt."],
                 id="required-field-missing"),
])
def test_a_malformed_command_is_refused_with_422_and_nothing_is_written(
    api: httpx.Client, body: dict[str, Any], code: str, problems: list[Any],
) -> None:
    """A body the schema or the command's fields reject: 422 listing each problem; the case is unchanged."""
    case_id = waiting_for_instemming(api)
    before = history(api, case_id)

    response = api.post(f"/cases/{case_id}/commands", json=body)

    assert problem(response, 422, code)["problems"] == problems
    assert history(api, case_id) == before
    assert status(api, case_id)["version"] == 2


@pytest.mark.parametrize("content", [
    pytest.param(b'{"command": "stel_in_werking",', id="broken-json"),
    pytest.param(b"\xff\xfe{\x0f", id="not-utf-8"),
])
def test_a_body_that_is_not_json_is_refused_with_422_and_nothing_is_written(
    api: httpx.Client, content: bytes,
) -> None:
    """Broken JSON, or bytes that are not even text, is a malformed request, not a server error."""
    case_id = waiting_for_instemming(api)
    before = history(api, case_id)

    response = api.post(f"/cases/{case_id}/commands", content=content,
                        headers={"content-type": "application/json"})

    body = problem(response, 422, "invalid-request")
    assert [p["loc"][0] for p in body["problems"]] == ["body"]
    assert history(api, case_id) == before


def test_an_if_match_that_is_not_a_version_is_malformed(api: httpx.Client) -> None:
    """If-Match carries the case's ETag (a version number); anything else is 422 and nothing is written."""
    case_id = open_case(api)
    before = history(api, case_id)

    response = api.post(f"/cases/{case_id}/commands", json={"command": "leg_handelingsdeel_voor"},
                        headers={"If-Match": "gisteren"})

    body = problem(response, 422, "invalid-request")
    assert [p["loc"] for p in body["problems"]] == [["header", "if-match"]]
    assert history(api, case_id) == before


# --- who acts --------------------------------------------------------------------------------------

def test_x_actor_headers_are_ignored_the_token_says_who_acts(api: httpx.Client) -> None:
    """Claiming another role in the old X-Actor headers changes nothing: the zorgcoordinator's token
    decides, and the history records that role.
    """
    case_id = open_case(api)

    response = send(api, case_id, "sluit_af", {"reden": "andere_school"},
                    headers={"X-Actor-Role": "swv_coordinator", "X-Actor-Id": "u2"})

    assert response.status_code == httpx.codes.OK, response.text
    assert history(api, case_id)[-1]["actor_role"] == "zorgcoordinator"


def test_a_request_without_a_token_is_unauthenticated(api: httpx.Client) -> None:
    """Reading a case needs a bearer token; without one the API answers 401 naming the header."""
    case_id = open_case(api)

    response = httpx.get(f"{api.base_url}/cases/{case_id}")

    body = problem(response, 401, "not-authenticated")
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in body["detail"]


def test_a_role_that_may_not_issue_the_command_is_forbidden_and_nothing_is_written(api: httpx.Client) -> None:
    """Only the zorgcoordinator records the parents' instemming: a swv_coordinator gets 403 naming the
    roles that may, and the case is unchanged.
    """
    case_id = waiting_for_instemming(api)
    before = history(api, case_id)

    response = send(api, case_id, "registreer_instemming", INSTEMMING, headers=SWV_COORDINATOR)

    body = problem(response, 403, "role-not-allowed")
    assert body["roles"] == ["zorgcoordinator"]
    assert body["detail"] == ("Met de rol 'swv_coordinator' mag u 'registreer_instemming' niet uitvoeren; "
                              "dat mogen: zorgcoordinator.")
    assert history(api, case_id) == before
    assert status(api, case_id)["version"] == 2


def test_a_role_that_may_issue_the_command_is_recorded_in_the_history(api: httpx.Client) -> None:
    """The swv_coordinator may close an OPP; the history names the role, not the person."""
    case_id = open_case(api)

    response = send(api, case_id, "sluit_af", {"reden": "andere_school"}, headers=SWV_COORDINATOR)

    assert response.status_code == httpx.codes.OK
    last = history(api, case_id)[-1]
    assert (last["command"], last["actor_role"]) == ("sluit_af", "swv_coordinator")
    assert "actor_id" not in last


# --- idempotency and concurrency -------------------------------------------------------------------

def test_a_command_sent_twice_with_the_same_idempotency_key_is_applied_once(api: httpx.Client) -> None:
    """The second request with the same key and body gets the first outcome, marked replayed, and the
    history holds one event for it.
    """
    case_id = open_case(api)
    key = {"Idempotency-Key": f"presenteer-{uuid.uuid4()}"}

    first = send(api, case_id, "leg_handelingsdeel_voor", headers=key)
    second = send(api, case_id, "leg_handelingsdeel_voor", headers=key)

    assert first.status_code == httpx.codes.OK
    assert second.status_code == httpx.codes.OK
    expected = {"case_id": case_id, "pathway": "opp", "seq": 2, "event": "handelingsdeel_voorgelegd",
                "stage": "wacht_op_instemming"}
    assert first.json() == {**expected, "replayed": False}
    assert second.json() == {**expected, "replayed": True}
    assert [e["command"] for e in history(api, case_id)] == ["start_opp", "leg_handelingsdeel_voor"]
    assert status(api, case_id)["version"] == 2


def test_an_idempotency_key_reused_for_a_different_command_is_refused_and_nothing_is_written(
    api: httpx.Client,
) -> None:
    """The same key with another body is a client error (422), not a replay and not a second write."""
    case_id = waiting_for_instemming(api)
    key = {"Idempotency-Key": f"instemming-{uuid.uuid4()}"}
    assert send(api, case_id, "weiger_instemming", headers=key).status_code == httpx.codes.OK
    before = history(api, case_id)

    response = send(api, case_id, "leg_handelingsdeel_voor", headers=key)

    body = problem(response, 422, "idempotency-key-reused")
    assert body["detail"] == "Deze idempotentiesleutel is al gebruikt voor een ander verzoek."
    assert history(api, case_id) == before


def test_opening_a_case_twice_with_the_same_idempotency_key_opens_one_case(api: httpx.Client) -> None:
    """A retried POST /cases with the same key returns the first case, marked replayed."""
    key = {"Idempotency-Key": f"open-{uuid.uuid4()}"}
    body = {"pathway": "opp", "school_brin": "14PS03", "pupil_id": f"lln-{uuid.uuid4().hex[:8]}",
            "payload": {"extra_ondersteuning_sinds": "2026-09-01"}}

    first = api.post("/cases", json=body, headers=key)
    second = api.post("/cases", json=body, headers=key)

    assert (first.status_code, second.status_code) == (httpx.codes.CREATED, httpx.codes.CREATED)
    assert first.json()["replayed"] is False
    assert second.json() == {**first.json(), "replayed": True}
    assert second.headers["location"] == first.headers["location"]
    assert len(history(api, first.json()["case_id"])) == 1


def test_a_command_with_the_current_etag_in_if_match_is_applied(api: httpx.Client) -> None:
    """If-Match with the ETag just read lets the command through."""
    case_id = open_case(api)
    etag = api.get(f"/cases/{case_id}").headers["etag"]

    response = send(api, case_id, "leg_handelingsdeel_voor", headers={"If-Match": etag})

    assert response.status_code == httpx.codes.OK
    assert response.json()["seq"] == 2
    assert api.get(f"/cases/{case_id}").headers["etag"] == '"2"'


def test_a_command_with_a_stale_if_match_is_a_conflict_and_nothing_is_written(api: httpx.Client) -> None:
    """Someone changed the case after we read it: If-Match with the old version gets 409 and writes nothing."""
    case_id = open_case(api)
    stale = api.get(f"/cases/{case_id}").headers["etag"]
    assert stale == '"1"'
    applied(api, case_id, "leg_handelingsdeel_voor")
    before = history(api, case_id)

    response = send(api, case_id, "weiger_instemming", headers={"If-Match": stale})

    body = problem(response, 409, "conflict")
    assert "allowed" not in body
    assert history(api, case_id) == before
    found = status(api, case_id)
    assert (found["stage"], found["version"]) == ("wacht_op_instemming", 2)


# --- time ------------------------------------------------------------------------------------------

def test_a_command_that_says_it_happened_in_the_future_is_refused_and_nothing_is_written(
    api: httpx.Client, clock: ControllableClock,
) -> None:
    """occurred_at after the API's now is 422; one second is enough."""
    case_id = waiting_for_instemming(api)
    before = history(api, case_id)

    response = send(api, case_id, "registreer_instemming", INSTEMMING, occurred_at=clock() + timedelta(seconds=1))

    assert problem(response, 422, "invalid-command")["problems"] == [IN_DE_TOEKOMST]
    assert history(api, case_id) == before


def test_a_case_cannot_be_opened_as_of_a_future_instant(api: httpx.Client, clock: ControllableClock) -> None:
    """Opening with occurred_at tomorrow is 422."""
    response = api.post("/cases", json={
        "pathway": "opp", "school_brin": "14PS03", "pupil_id": "lln-1",
        "payload": {"extra_ondersteuning_sinds": "2026-09-01"},
        "occurred_at": (clock() + timedelta(days=1)).isoformat()})

    assert problem(response, 422, "invalid-command")["problems"] == [IN_DE_TOEKOMST]


def test_a_meeting_recorded_the_next_day_keeps_when_it_happened_and_when_it_was_recorded(
    api: httpx.Client, clock: ControllableClock,
) -> None:
    """The parents consented at yesterday afternoon's meeting; it is recorded this morning. History shows
    occurred_at as the meeting and recorded_at as the API's now, and the yearly evaluation is due a
    year after the meeting.
    """
    case_id = waiting_for_instemming(api)
    meeting = datetime(2026, 9, 14, 15, 30, tzinfo=NL)
    now = clock.set(datetime(2026, 9, 15, 7, 45, tzinfo=UTC))

    response = send(api, case_id, "registreer_instemming", INSTEMMING, occurred_at=meeting)

    assert response.status_code == httpx.codes.OK
    last = history(api, case_id)[-1]
    assert last["command"] == "registreer_instemming"
    assert instant(last["occurred_at"]) == meeting
    assert instant(last["recorded_at"]) == now
    applied(api, case_id, "stel_in_werking")
    assert [(t["name"], instant(t["due_at"])) for t in status(api, case_id)["open_timers"]] == [
        ("evaluatie", datetime(2027, 9, 15, tzinfo=NL))]  # counted from the meeting's day, 14 September


# --- pathways and the service ----------------------------------------------------------------------

def test_the_opp_pathway_lists_its_stages_in_order(api: httpx.Client) -> None:
    """GET /pathways/opp describes the pathway: its stages (in_werking requires instemming; afgesloten is
    final), the start stage and the two deadlines.
    """
    response = api.get("/pathways/opp")

    assert response.status_code == httpx.codes.OK
    opp = response.json()
    assert (opp["pathway"], opp["version"], opp["initial"]) == ("opp", 1, "concept")
    assert [s["name"] for s in opp["stages"]] == OPP_STAGES
    stages = {s["name"]: s for s in opp["stages"]}
    assert stages["in_werking"] == {"name": "in_werking", "label": "In werking", "final": False,
                                    "requires": ["instemming"]}
    assert [s["name"] for s in opp["stages"] if s["final"]] == ["afgesloten"]
    assert [(t["name"], t["after"], t["fires"]) for t in opp["timers"]] == [
        ("opp_termijn", {"weeks": 6}, "meld_opp_te_laat"),
        ("evaluatie", {"months": 12}, "markeer_evaluatie_verschuldigd"),
    ]


def test_the_pathway_list_names_every_pathway_at_its_latest_version(api: httpx.Client) -> None:
    """GET /pathways returns every shipped pathway once, at its latest version, in name order."""
    response = api.get("/pathways")

    assert response.status_code == httpx.codes.OK
    expected = sorted((d.pathway, d.version) for d in PathwayRegistry.builtin().latest())
    assert [(p["pathway"], p["version"]) for p in response.json()] == expected
    assert ("opp", 1) in expected


def test_an_unknown_pathway_is_not_found(api: httpx.Client) -> None:
    """GET /pathways/<unknown> is a 404 problem."""
    problem(api.get("/pathways/rugzak"), 404, "unknown-pathway")


def test_the_openapi_document_describes_the_case_endpoints(api: httpx.Client) -> None:
    """/openapi.json loads and has the /cases paths with their methods."""
    response = api.get("/openapi.json")

    assert response.status_code == httpx.codes.OK
    document = response.json()
    assert document["info"]["title"] == "Leerlingroute API"
    paths = document["paths"]
    assert set(paths["/cases"]) == {"get", "post"}
    assert set(paths["/cases/{case_id}"]) == {"get"}
    assert set(paths["/cases/{case_id}/commands"]) == {"post"}
    assert set(paths["/cases/{case_id}/history"]) == {"get"}
    assert "201" in paths["/cases"]["post"]["responses"]
    assert {"403", "404", "409", "422"} <= set(paths["/cases/{case_id}/commands"]["post"]["responses"])


def test_the_health_endpoint_answers(api: httpx.Client) -> None:
    """GET /health is the liveness probe."""
    response = api.get("/health")

    assert response.status_code == httpx.codes.OK
    assert response.json() == {"status": "ok"}


def test_an_empty_idempotency_key_is_refused_as_malformed(api: httpx.Client) -> None:
    """An empty key would be shared by every request that sends one; it is 422 and nothing is written."""
    case_id = open_case(api)
    before = history(api, case_id)
    response = send(api, case_id, "leg_handelingsdeel_voor", headers={"Idempotency-Key": ""})
    assert response.status_code == 422
    assert history(api, case_id) == before


def test_a_method_the_resource_does_not_allow_says_which_it_does(api: httpx.Client) -> None:
    """405 as problem+json, with the Allow header."""
    case_id = open_case(api)
    response = api.delete(f"/cases/{case_id}")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "GET"
