"""Event streams cannot starve the API: a waiting stream holds no worker thread, a user holds at most five
streams and the server at most 500 (one more is refused with a Dutch 429), and a stream whose client has
gone ends at once, giving its place back.

The streams are opened over raw sockets (cheap: no client library per stream) against the real server.
"""

from __future__ import annotations

import json
import socket
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from infra.identity import accounts
from infra.settings import Settings
from service import Service
from tests.api.conftest import DEFAULT_NOW, RunningApi, bearer, serving_settings
from tests.api.test_cases_api import problem

OPEN_TIMEOUT_S = 20.0
STREAMS = 200
USERS = 40
FAST_S = 1.0
SAMPLES = 15
PER_USER_DETAIL = "U hebt al 5 gebeurtenisstromen open; sluit er een voordat u een nieuwe opent."
TOTAL_DETAIL = "Er staan al te veel gebeurtenisstromen open; probeer het over een minuut opnieuw."


@pytest.fixture(scope="module")
def service(running_api: RunningApi) -> Iterator[Service]:
    """A second service on the API's database, to make accounts with."""
    made = Service.from_settings(Settings(database_url=running_api.database.url))
    yield made
    made.engine.dispose()


@pytest.fixture(scope="module")
def tokens(service: Service) -> Callable[[int], list[str]]:
    """Make ``n`` fresh zorgcoördinator accounts for school 14PS03; their tokens."""
    def make(n: int) -> list[str]:
        made = []
        for _ in range(n):
            _, token = accounts.create_user(service.engine, "zorgcoordinator", ("14PS03",),
                                            DEFAULT_NOW - timedelta(days=1), service.swv_codes(),
                                            name=f"stream-{uuid.uuid4().hex[:10]}")
            made.append(token)
        return made
    return make


def _open_stream(base_url: str, token: str, wait_s: float = 120.0) -> socket.socket:
    """An open event stream on a raw socket: its 200 and first line have come."""
    address = urlsplit(base_url)
    sock = socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=OPEN_TIMEOUT_S)
    sock.sendall(f"GET /events/stream?wait_s={wait_s} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n".encode())
    data = b""
    while b"retry: 2000" not in data:
        more = sock.recv(4096)
        if not more:
            sock.close()
            pytest.fail(f"the stream ended before it opened: {data[:300]!r}")
        data += more
    assert data.startswith(b"HTTP/1.1 200"), data[:300]
    return sock


def _read_event(sock: socket.socket, case_id: str) -> dict[str, Any]:
    """The data of the next streamed event of ``case_id`` (read until its line is complete)."""
    data = b""
    while True:
        for line in data.split(b"\n")[:-1]:
            if line.startswith(b"data: ") and case_id.encode() in line:
                found: dict[str, Any] = json.loads(line[len(b"data: "):])
                return found
        more = sock.recv(65536)
        assert more, f"the stream ended before an event of {case_id} came"
        data += more


def _open_case(api: httpx.Client) -> str:
    response = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03",
                                        "pupil_id": f"lln-{uuid.uuid4().hex[:8]}",
                                        "payload": {"extra_ondersteuning_sinds": "2026-09-01"}})
    assert response.status_code == httpx.codes.CREATED, response.text[:500]
    case_id: str = response.json()["case_id"]
    return case_id


def _open_refused(base_url: str, token: str) -> dict[str, Any]:
    with httpx.Client(base_url=base_url, timeout=OPEN_TIMEOUT_S) as client:
        response = client.get("/events/stream", params={"wait_s": 1}, headers={"Authorization": f"Bearer {token}"})
    assert response.headers["retry-after"] == "60"
    return problem(response, 429, "too-many-streams")


def test_a_user_holds_at_most_five_streams_and_a_closed_one_gives_its_place_back(
    running_api: RunningApi, tokens: Callable[[int], list[str]],
) -> None:
    """Five open streams of one user: the sixth is refused with 429 in Dutch. When the client of one of
    them goes away, its stream ends on the server, and the user can open a stream again.
    """
    token, other = tokens(2)
    with ExitStack() as held:
        socks = [held.enter_context(closing(_open_stream(running_api.base_url, token))) for _ in range(5)]
        assert _open_refused(running_api.base_url, token)["detail"] == PER_USER_DETAIL
        held.enter_context(closing(_open_stream(running_api.base_url, other)))  # another user is not held up
        socks[0].close()
        deadline = time.monotonic() + OPEN_TIMEOUT_S
        while True:
            with httpx.Client(base_url=running_api.base_url, timeout=OPEN_TIMEOUT_S) as client:
                reopened = client.get("/events/stream", params={"wait_s": 0.2},
                                      headers={"Authorization": f"Bearer {token}"})
            if reopened.status_code == httpx.codes.OK or time.monotonic() > deadline:
                break
        assert reopened.status_code == httpx.codes.OK, reopened.text[:500]


def test_the_server_holds_at_most_its_total_of_streams(running_api: RunningApi, tokens: Callable[[int], list[str]],
                                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    """A server allowed 7 streams in all: after five of one user and two of another, a third user's first
    stream is refused with 429 in Dutch.
    """
    settings = Settings(database_url=running_api.database.url, data_dir=tmp_path_factory.mktemp("streams"),
                        streams_total=7)
    first, second, third = tokens(3)
    with serving_settings(settings, running_api.clock, "stream-cap-server") as base_url, ExitStack() as held:
        for token in [first] * 5 + [second] * 2:
            held.enter_context(closing(_open_stream(base_url, token)))
        assert _open_refused(base_url, third)["detail"] == TOTAL_DETAIL


def _p50(client: httpx.Client, path: str) -> tuple[float, float]:
    took = []
    for _ in range(SAMPLES):
        started = time.monotonic()
        response = client.get(path)
        took.append(time.monotonic() - started)
        assert response.status_code == httpx.codes.OK, response.text[:500]
    return statistics.median(took), max(took)


def test_two_hundred_open_streams_leave_the_api_fast(running_api: RunningApi, api: httpx.Client,
                                                     tokens: Callable[[int], list[str]]) -> None:
    """200 streams of 40 users held open: /health and a case's status still answer within 1 s (median of
    15, and every one within 3 s), and a new event still reaches the streams.
    """
    case_id = _open_case(api)
    with ExitStack() as held:
        socks = [held.enter_context(closing(_open_stream(running_api.base_url, token)))
                 for token in tokens(USERS) for _ in range(STREAMS // USERS)]
        assert len(socks) == STREAMS
        with httpx.Client(base_url=running_api.base_url, headers=bearer("zorgcoordinator"), timeout=30.0) as client:
            health, health_max = _p50(client, "/health")
            status, status_max = _p50(client, f"/cases/{case_id}")
        assert health < FAST_S, f"/health took {health:.2f} s (median) with {STREAMS} open streams"
        assert status < FAST_S, f"GET /cases/{{id}} took {status:.2f} s (median) with {STREAMS} open streams"
        assert max(health_max, status_max) < 3 * FAST_S
        fresh = _open_case(api)
        for sock in (socks[0], socks[-1]):
            assert _read_event(sock, fresh)["case_id"] == fresh


def test_a_stream_sends_events_of_a_case_opened_while_it_waits(running_api: RunningApi, api: httpx.Client,
                                                               tokens: Callable[[int], list[str]]) -> None:
    """A stream that has been waiting (no events for it yet) gets a case's opening event once it is recorded,
    with the event's id, type and case as data.
    """
    (token,) = tokens(1)
    with closing(_open_stream(running_api.base_url, token)) as sock:
        case_id = _open_case(api)
        event = _read_event(sock, case_id)
    assert event["case_id"] == case_id
    assert event["stage_to"] == "concept"
    assert isinstance(event["id"], int)
