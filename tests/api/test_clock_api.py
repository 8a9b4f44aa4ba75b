"""The oefenomgeving through HTTP: on an instance with LEERLINGROUTE_CLOCK=simulated an admin reads and moves the
clock (``/admin/klok``), the API's now is the simulated one, a move makes the timers that fell due fire (in the
background, after the 202), and every page shows the banner; on a real instance the endpoint does not exist.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.app import create_app
from domain.case import Actor, Command
from domain.handlers import NewCase
from infra.clock import ClockMismatch
from infra.clock_words import describe_nl
from infra.settings import Settings
from service import Service
from tests.api.conftest import RunningApi, bearer, simulated_instance
from tests.databases import migrated_sqlite

NL = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 9, 3, 9, 0, tzinfo=NL)
"""Where the simulated clock stands when the server starts (a Thursday morning)."""
ADMIN = bearer("admin")
ZORGCOORDINATOR = bearer("zorgcoordinator")
BANNER = "Oefenomgeving — gesimuleerde datum: "
PROBLEMS = "https://leerlingroute.nl/problems/"
FIRE_TIMEOUT_S = 15.0


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def simulated_api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An oefenomgeving on a database of its own (the suite's shared one runs on the real clock), its clock at
    START, served over HTTP with the app's own clock (``service.now``): its base URL.
    """
    yield from simulated_instance(request.param, tmp_path_factory, START)


@pytest.fixture
def client(simulated_api: str) -> Iterator[httpx.Client]:
    """A client of the oefenomgeving, as a zorgcoördinator by default."""
    with httpx.Client(base_url=simulated_api, headers=ZORGCOORDINATOR, timeout=30.0) as found:
        yield found


def _clock(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/admin/klok", headers=ADMIN)
    assert response.status_code == httpx.codes.OK, response.text
    found: dict[str, Any] = response.json()
    return found


def _simulated_now(client: httpx.Client) -> datetime:
    return datetime.fromisoformat(_clock(client)["gesimuleerd_nu"])


def _open_case(client: httpx.Client, since: str) -> str:
    response = client.post("/cases", json={"pathway": "opp", "school_brin": "14PS03",
                                           "pupil_id": f"lln-{uuid.uuid4().hex[:8]}",
                                           "payload": {"extra_ondersteuning_sinds": since}})
    assert response.status_code == httpx.codes.CREATED, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def _types(client: httpx.Client, case_id: str) -> list[str]:
    response = client.get(f"/cases/{case_id}/history")
    assert response.status_code == httpx.codes.OK, response.text
    return [entry["type"] for entry in response.json()]


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEMS + code
    return body


def test_the_clock_endpoint_does_not_exist_on_a_real_instance(running_api: RunningApi) -> None:
    """404 for everyone, admins too, and nothing about it in the OpenAPI document; no banner on the pages."""
    with httpx.Client(base_url=running_api.base_url, headers=ADMIN, timeout=30.0) as api:
        assert api.get("/admin/klok").status_code == httpx.codes.NOT_FOUND
        assert api.post("/admin/klok", json={"verzet": "P7D"}).status_code == httpx.codes.NOT_FOUND
        assert not [path for path in api.get("/openapi.json").json()["paths"] if "klok" in path]
        page = api.get("/inloggen", headers={"Accept": "text/html"})
        assert page.status_code == httpx.codes.OK
        assert "Oefenomgeving" not in page.text


def test_only_an_admin_reads_or_moves_the_clock(client: httpx.Client) -> None:
    """Other roles get 403 (and the attempt to move is on record), no token 401; the endpoint is documented."""
    _problem(client.get("/admin/klok"), 403, "role-not-allowed")
    _problem(client.post("/admin/klok", json={"verzet": "P1D"}), 403, "role-not-allowed")
    _problem(client.get("/admin/klok", headers={"Authorization": ""}), 401, "not-authenticated")
    before = _simulated_now(client)
    assert before.astimezone(NL).date() >= START.date()
    assert _clock(client)["datum"] == describe_nl(before, with_time=False)
    assert "/admin/klok" in client.get("/openapi.json").json()["paths"]
    audit = client.get("/audit", params={"resource": "klok"}, headers=ADMIN).json()
    assert ("zorgcoordinator", "forbidden") in [(row["role"], row["outcome"]) for row in audit]


def test_the_apis_now_is_the_simulated_one(client: httpx.Client) -> None:
    """A case opened now is opened at the simulated instant, and a fact a day after it is still in the future
    (although the wall clock may be months later).
    """
    now = _simulated_now(client)
    case_id = _open_case(client, now.astimezone(NL).date().isoformat())
    status = client.get(f"/cases/{case_id}").json()
    assert abs(datetime.fromisoformat(status["opened_at"]) - now) < timedelta(minutes=1)
    later = client.post(f"/cases/{case_id}/commands", json={
        "command": "leg_handelingsdeel_voor", "payload": {}, "occurred_at": (now + timedelta(days=1)).isoformat()})
    assert later.status_code == httpx.codes.UNPROCESSABLE_ENTITY, later.text
    assert "toekomst" in later.json()["detail"]


def test_advancing_the_clock_makes_a_due_timer_fire(client: httpx.Client) -> None:
    """The OPP's six weeks pass: the move answers 202 with the new time at once, and right after it the timer
    has fired (the case records opp_te_laat) without anyone running a sweep.
    """
    now = _simulated_now(client)
    case_id = _open_case(client, now.astimezone(NL).date().isoformat())
    timer = client.get(f"/cases/{case_id}").json()["open_timers"][0]
    assert timer["name"] == "opp_termijn"
    moved = client.post("/admin/klok", json={"verzet": "7w"}, headers=ADMIN)
    assert moved.status_code == httpx.codes.ACCEPTED, moved.text
    body = moved.json()
    assert datetime.fromisoformat(body["gesimuleerd_nu"]) > datetime.fromisoformat(timer["due_at"])
    assert datetime.fromisoformat(body["vorige"]) >= now
    assert body["datum"] == describe_nl(datetime.fromisoformat(body["gesimuleerd_nu"]), with_time=False)
    deadline = time.monotonic() + FIRE_TIMEOUT_S
    while "opp_te_laat" not in _types(client, case_id):
        assert time.monotonic() < deadline, "the timer did not fire after the clock moved"
        time.sleep(0.1)
    assert client.get(f"/cases/{case_id}").json()["open_timers"] == []


def test_setting_the_clock_to_a_day_and_never_back(client: httpx.Client) -> None:
    """zet_op a date is the start of that Dutch day; a date before the simulated now is refused in Dutch (cases are
    on record), and so are a date outside 2000..2100, a step of more than two years and what is no date or duration.
    """
    now = _simulated_now(client)
    _open_case(client, now.astimezone(NL).date().isoformat())
    day = (now + timedelta(days=10)).astimezone(NL).date()
    moved = client.post("/admin/klok", json={"zet_op": day.isoformat()}, headers=ADMIN)
    assert moved.status_code == httpx.codes.ACCEPTED, moved.text
    assert datetime.fromisoformat(moved.json()["gesimuleerd_nu"]) == datetime(day.year, day.month, day.day, tzinfo=NL)

    back = _problem(client.post("/admin/klok", json={"zet_op": now.astimezone(NL).date().isoformat()},
                                headers=ADMIN), 422, "clock-refused")
    assert back["detail"].startswith("De klok kan niet terug: ")
    for body, words in (({"zet_op": "2100-01-01"}, "tussen 1 januari 2000 en 1 januari 2100"),
                        ({"verzet": "P3Y"}, "hooguit twee jaar"), ({"verzet": "7x"}, "geen duur"),
                        ({"zet_op": "morgen"}, "geen datum of tijdstip")):
        assert words in _problem(client.post("/admin/klok", json=body, headers=ADMIN), 422, "clock-refused")["detail"]
    malformed: list[dict[str, object]] = [{}, {"zet_op": "2030-01-01", "verzet": "P1D"}, {"verzet": "P1D", "extra": 1}]
    for wrong in malformed:
        assert client.post("/admin/klok", json=wrong, headers=ADMIN).status_code == httpx.codes.UNPROCESSABLE_ENTITY
    assert _simulated_now(client) - datetime(day.year, day.month, day.day, tzinfo=NL) < timedelta(minutes=1)


def test_every_page_shows_the_simulated_date(client: httpx.Client) -> None:
    """The sign-in page and the 404 page of a browser carry the banner with the simulated day."""
    banner = BANNER + _clock(client)["datum"]
    for path, status in (("/inloggen", 200), ("/bestaat-niet", 404)):
        page = client.get(path, headers={"Accept": "text/html", "Authorization": ""})
        assert page.status_code == status
        assert banner in page.text


@pytest.mark.parametrize(("ran", "starts"), [("simulated", "real"), ("real", "simulated")])
def test_the_api_does_not_start_on_a_database_of_the_other_clock(
        ran: str, starts: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A database that ran simulated (its clock row) or on the real clock (a case, no clock row)."""
    url = migrated_sqlite(str(tmp_path_factory.mktemp("sqlite")))
    first = Service.from_settings(Settings(database_url=url, data_dir=tmp_path_factory.mktemp("data"), clock=ran))
    first.clock.check()
    first.open_case(NewCase("opp", "14PS03", "lln-klok-2", "standaard"), Command(
        "start_opp", Actor("zorgcoordinator", "zc-1"), {"extra_ondersteuning_sinds": "2026-09-01"}), first.now())
    second = Service.from_settings(Settings(database_url=url, data_dir=tmp_path_factory.mktemp("data"), clock=starts))
    try:
        with pytest.raises(ClockMismatch, match="LEERLINGROUTE_CLOCK"):
            create_app(second)
    finally:
        first.engine.dispose()
        second.engine.dispose()
