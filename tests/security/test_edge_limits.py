"""The edge bounds every request body before routing or authentication: one anonymous request cannot make
the server buffer more than the limit (1 MiB; 20 MiB for a CSV import, and only with a valid token and
one of the few places for such large bodies), a body that trickles in is cut off after the time limit,
and a NUL character is still found when it is split across two chunks.

The requests go over raw sockets to the real uvicorn server, so that the test controls exactly what is
sent and when (a declared length with no body yet, chunks with pauses between them). The server runs in
a thread of this test process, so the process's resident memory shows what the server buffered.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import pytest
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from api.edge import DETAIL, BodyLimits, Edge
from infra.settings import Settings
from run.cli import _uvicorn_limits
from tests.api.conftest import TOKENS, RunningApi, bearer, serving_settings
from tests.api.test_cases_api import problem

MIB = 1024 * 1024
HUGE = 300 * MIB
RSS_GROWTH_ALLOWED_KIB = 16 * 1024
"""What the test process may grow by while 300 MiB are thrown at the server (the old edge grew by 600 MiB)."""
SMALL_LIMIT = 4 * 1024
IMPORT_LIMIT = 64 * 1024
BODY_TIMEOUT_S = 1.0
ANSWER_TIMEOUT_S = 20.0
REFERENCE_DATA = {"gemeenten": "cbs_code,naam\n0957,Roermond\n0935,Maastricht\n",
                  "swvs": "code,naam,sector\nVO3102,SWV VO,vo\n",
                  "scholen": "brin,naam,swv,soort,gemeente,vakantieregio\n14PS03,School A,VO3102,vo,0957,zuid\n"}
CSV_HEADER = "leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam,bsn\n"


@dataclass(frozen=True)
class Answer:
    """A raw HTTP response, and what the client had sent of its body when it came."""

    status: int
    headers: dict[str, str]
    body: bytes
    body_bytes_sent: int

    def problem(self) -> dict[str, Any]:
        """The problem+json body."""
        assert self.headers["content-type"] == "application/problem+json"
        found: dict[str, Any] = json.loads(self.body)
        assert found["status"] == self.status
        return found


@contextmanager
def _server(running_api: RunningApi, data_dir: Path, **limits: Any) -> Iterator[str]:
    """The real app on the suite's database (its accounts and tokens), with these edge settings; its URL."""
    settings = Settings(database_url=running_api.database.url, data_dir=data_dir, **limits)
    with serving_settings(settings, running_api.clock, "edge-server") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def edge_api(running_api: RunningApi, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app on the same database, with small limits (4 KiB; 64 KiB for imports) and a 1 s body
    timeout, so that the tests need neither megabytes of CSV nor half a minute of waiting.
    """
    with _server(running_api, tmp_path_factory.mktemp("edge"), max_body_bytes=SMALL_LIMIT,
                 max_import_body_bytes=IMPORT_LIMIT, body_timeout_s=BODY_TIMEOUT_S) as base_url:
        yield base_url


@pytest.fixture
def two_large_api(running_api: RunningApi, tmp_path: Path) -> Iterator[str]:
    """Small limits as above (a 10 s body timeout), and two places for bodies over 4 KiB."""
    with _server(running_api, tmp_path, max_body_bytes=SMALL_LIMIT, max_import_body_bytes=IMPORT_LIMIT,
                 body_timeout_s=10.0, max_large_bodies=2) as base_url:
        yield base_url


@pytest.fixture
def full_size_api(running_api: RunningApi, tmp_path: Path) -> Iterator[str]:
    """The real limits (1 MiB; 20 MiB for imports; 30 s) with two places for large bodies."""
    with _server(running_api, tmp_path, max_large_bodies=2) as base_url:
        yield base_url


# --- raw HTTP ----------------------------------------------------------------------------------------

@contextmanager
def _connection(base_url: str) -> Iterator[socket.socket]:
    address = urlsplit(base_url)
    sock = socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=ANSWER_TIMEOUT_S)
    with closing(sock):
        yield sock


def _head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_answer(sock: socket.socket, sent: int) -> Answer:
    """Read one response (the server may reset the connection right after it: what came is kept)."""
    data = b""
    sock.settimeout(ANSWER_TIMEOUT_S)
    while True:
        if b"\r\n\r\n" in data:
            head, _, rest = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            if len(rest) >= int(headers.get("content-length", "0")):
                return Answer(int(lines[0].split()[1]), headers, rest, sent)
        try:
            more = sock.recv(65536)
        except ConnectionResetError:
            more = b""
        if not more:
            pytest.fail(f"the connection ended before a whole response came: {data[:200]!r}")
        data += more


def _send(sock: socket.socket, pieces: Iterator[bytes], wait_after_s: float) -> tuple[int, bool]:
    """Send ``pieces`` of body while the server has not answered, then wait up to ``wait_after_s`` for an
    answer: how many bytes were sent, and whether an answer is there to read.

    The pieces are sent as they are produced (never held together), so the client itself stays small.
    """
    sent, deadline = 0, time.monotonic() + ANSWER_TIMEOUT_S
    sock.setblocking(False)  # noqa: FBT003 - the socket API's own argument
    pending = memoryview(next(pieces, b""))  # what is left of a piece is a view, not a copy
    try:
        while pending and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 1.0)
            if readable:
                return sent, True
            if writable:
                try:
                    count = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    return sent, True
                sent += count
                pending = pending[count:] or memoryview(next(pieces, b""))
        return sent, bool(select.select([sock], [], [], wait_after_s)[0])
    finally:
        sock.setblocking(True)  # noqa: FBT003 - the socket API's own argument


def _send_until_answered(sock: socket.socket, pieces: Iterator[bytes]) -> Answer:
    """Send ``pieces`` of body while the server has not answered; the answer as soon as it comes."""
    sent, _ = _send(sock, pieces, 0.0)
    return _read_answer(sock, sent)


def _repeated(piece: bytes, total: int) -> Iterator[bytes]:
    """``total`` bytes as ``piece`` sent again and again (the same object: no memory per piece)."""
    for _ in range(total // len(piece)):
        yield piece


def _chunked(piece: bytes, total: int) -> Iterator[bytes]:
    """``total`` bytes of ``piece`` in chunked transfer coding, then the last chunk."""
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield from _repeated(frame, total // len(piece) * len(frame))
    yield b"0\r\n\r\n"


# --- memory ------------------------------------------------------------------------------------------

def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    pytest.fail("no VmRSS in /proc/self/status")


@contextmanager
def _peak_rss_growth() -> Iterator[list[int]]:
    """The largest growth of this process's resident memory (KiB) while the block runs, sampled every 5 ms."""
    start, peak, done = _rss_kib(), [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], _rss_kib() - start)
    sampler = threading.Thread(target=sample, name="rss-sampler", daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()
        peak[0] = max(peak[0], _rss_kib() - start)


# --- size --------------------------------------------------------------------------------------------

def test_a_body_declared_too_large_is_refused_before_any_of_it_is_read(running_api: RunningApi) -> None:
    """POST /health declaring 300 MiB: the 413 comes while not one byte of the body has been sent, in Dutch,
    naming the 1 MiB limit, and the server closes the connection instead of reading on.
    """
    head = _head("POST", "/health", {"Content-Type": "application/json", "Content-Length": str(HUGE)})
    with _connection(running_api.base_url) as sock:
        sock.sendall(head)
        answer = _read_answer(sock, 0)
        assert answer.status == httpx.codes.REQUEST_ENTITY_TOO_LARGE
        found = answer.problem()
        assert found["type"] == "https://leerlingroute.nl/problems/payload-too-large"
        assert found["detail"] == "De aanvraag is te groot: de inhoud mag hoogstens 1 MiB zijn."
        assert answer.headers["connection"] == "close"
        assert sock.recv(1) == b""


def test_throwing_300_mib_at_the_server_does_not_grow_it(running_api: RunningApi) -> None:
    """A client that sends its declared 300 MiB without waiting gets the 413 early (long before the 300 MiB
    are through), and the process that runs the server grows by a few MiB at most.
    """
    head = _head("POST", "/health", {"Content-Type": "application/json", "Content-Length": str(HUGE)})
    with _connection(running_api.base_url) as sock, _peak_rss_growth() as growth:
        sock.sendall(head)
        answer = _send_until_answered(sock, _repeated(b"x" * MIB, HUGE))
    assert answer.status == httpx.codes.REQUEST_ENTITY_TOO_LARGE
    assert answer.body_bytes_sent < HUGE // 2
    assert growth[0] < RSS_GROWTH_ALLOWED_KIB, f"grew by {growth[0]} KiB"


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(running_api: RunningApi) -> None:
    """A chunked POST /cases without a length: counted as it arrives, 413 once it passes 1 MiB (the client
    had sent only a few MiB by then, of the 300 it meant to), and the server process does not grow.
    """
    head = _head("POST", "/cases", {**bearer("zorgcoordinator"), "Content-Type": "application/json",
                                    "Transfer-Encoding": "chunked"})
    with _connection(running_api.base_url) as sock, _peak_rss_growth() as growth:
        sock.sendall(head)
        answer = _send_until_answered(sock, _chunked(b"[" * 65536, HUGE))
    assert answer.status == httpx.codes.REQUEST_ENTITY_TOO_LARGE
    assert answer.problem()["detail"] == "De aanvraag is te groot: de inhoud mag hoogstens 1 MiB zijn."
    assert answer.body_bytes_sent < 64 * MIB
    assert growth[0] < RSS_GROWTH_ALLOWED_KIB, f"grew by {growth[0]} KiB"


def _pupils_csv(count: int) -> tuple[str, bytes]:
    batch = uuid.uuid4().hex[:6]
    rows = "".join(f"lln-{batch}-{n:05d},14PS03,0957,2012-01-31,Sam,Jansen,\n" for n in range(count))
    return f"lln-{batch}-00000", (CSV_HEADER + rows).encode()


def test_a_csv_import_may_be_larger_than_a_json_body(edge_api: str) -> None:
    """With a 4 KiB limit for JSON and 64 KiB for imports: a 20 KiB pupil file is imported whole, while a
    20 KiB JSON body to /cases is refused with 413 naming 4 KiB.
    """
    first, content = _pupils_csv(400)
    assert SMALL_LIMIT < len(content) < IMPORT_LIMIT
    csv = {**bearer("admin"), "Content-Type": "text/csv"}
    with httpx.Client(base_url=edge_api, timeout=ANSWER_TIMEOUT_S) as client:
        for kind, rows in REFERENCE_DATA.items():  # the same rows the resources tests import: no change
            assert client.post(f"/imports/{kind}", content=rows, headers=csv).status_code == httpx.codes.OK
        imported = client.post("/imports/leerlingen", content=content, headers=csv)
        assert imported.status_code == httpx.codes.OK, imported.text[:500]
        record = client.get(f"/pupils/{first}/record", headers=bearer("zorgcoordinator"))
        assert record.status_code == httpx.codes.OK, record.text[:500]
        refused = client.post("/cases", content=b" " * len(content),
                              headers={**bearer("zorgcoordinator"), "Content-Type": "application/json"})
    assert problem(refused, 413, "payload-too-large")["detail"] == (
        "De aanvraag is te groot: de inhoud mag hoogstens 4 KiB zijn.")


def test_the_verzuim_imports_take_the_import_limit_too(edge_api: str) -> None:
    """A 20 KiB body to /verzuim/imports/... is read (and judged on its content), not refused for its size;
    one over the 64 KiB import limit is refused with 413 naming it.
    """
    with httpx.Client(base_url=edge_api, timeout=ANSWER_TIMEOUT_S, headers=bearer("admin")) as client:
        read = client.post("/verzuim/imports/verzuim", content=b"x" * 20_000, headers={"Content-Type": "text/csv"})
    assert read.status_code != httpx.codes.REQUEST_ENTITY_TOO_LARGE, read.text[:500]
    # Declared, not sent: the server answers and closes before reading a body over the limit, so a client still
    # sending it may see the connection reset before the answer (a race on a busy machine, seen in CI).
    head = _head("POST", "/verzuim/imports/verzuim", {**bearer("admin"), "Content-Type": "text/csv",
                                                      "Content-Length": str(IMPORT_LIMIT + 1)})
    with _connection(edge_api) as sock:
        sock.sendall(head)
        too_large = _read_answer(sock, 0)
    assert too_large.status == httpx.codes.REQUEST_ENTITY_TOO_LARGE
    assert too_large.problem()["detail"] == "De aanvraag is te groot: de inhoud mag hoogstens 64 KiB zijn."


def test_an_unknown_import_path_gets_the_small_limit(edge_api: str) -> None:
    """Only the import routes that exist may take more than 4 KiB: a 20 KiB body to an unknown kind, to a
    path below an import route, or with another method than POST is refused with 413 naming 4 KiB.
    """
    body = b"x" * 20_000
    with httpx.Client(base_url=edge_api, timeout=ANSWER_TIMEOUT_S, headers=bearer("admin")) as client:
        answers = [client.request(method, path, content=body, headers={"Content-Type": "text/csv"})
                   for method, path in [("POST", "/imports/nope"), ("POST", "/verzuim/imports/nope"),
                                        ("POST", "/imports/leerlingen/meer"), ("PUT", "/imports/leerlingen")]]
    for answer in answers:
        assert problem(answer, 413, "payload-too-large")["detail"] == (
            "De aanvraag is te groot: de inhoud mag hoogstens 4 KiB zijn.")


NO_BEARER = "Een aanvraag groter dan 4 KiB vraagt een API-token in de header 'Authorization: Bearer <token>'."


@pytest.mark.parametrize(("authorization", "detail"), [
    (None, NO_BEARER),
    ("Bearer geen-geldig-token", "Het token is onbekend. Vraag een beheerder om een nieuw token."),
    ("Basic YWRtaW46YWRtaW4=", NO_BEARER),
])
def test_a_large_import_body_needs_a_token_that_authenticates_before_any_of_it_is_read(
    edge_api: str, authorization: str | None, detail: str,
) -> None:
    """A POST to /imports/leerlingen declaring 20 KiB (over the 4 KiB for everyone) without a valid bearer
    token: 401 with WWW-Authenticate, in Dutch, while not one byte of the body has been sent, and the
    connection is closed. A chunked one (of 300 MiB) is refused alike once it passes 4 KiB.
    """
    headers = {"Content-Type": "text/csv"} | ({"Authorization": authorization} if authorization else {})
    with _connection(edge_api) as sock:
        sock.sendall(_head("POST", "/imports/leerlingen", {**headers, "Content-Length": "20000"}))
        answer = _read_answer(sock, 0)
        assert sock.recv(1) == b""
    with _connection(edge_api) as sock:
        sock.sendall(_head("POST", "/imports/leerlingen", {**headers, "Transfer-Encoding": "chunked"}))
        chunked = _send_until_answered(sock, _chunked(b"x" * 65536, HUGE))
    for refused in (answer, chunked):
        assert refused.status == httpx.codes.UNAUTHORIZED
        assert refused.problem()["detail"] == detail
        assert (refused.headers["www-authenticate"], refused.headers["connection"]) == ("Bearer", "close")
    assert chunked.body_bytes_sent < 64 * MIB


def _import_head(length: int) -> bytes:
    return _head("POST", "/imports/leerlingen", {**bearer("admin"), "Content-Type": "text/csv",
                                                 "Content-Length": str(length)})


def test_only_so_many_large_bodies_are_taken_at_once_and_one_more_is_refused_at_once(two_large_api: str) -> None:
    """With two places for bodies over 4 KiB: two admins send part of a 20 KiB pupil file each and wait;
    a third is refused with 503 and Retry-After before it sends a byte, while a small import still goes
    through. Once the first has sent the rest (and been answered), a large import is taken again.
    """
    with httpx.Client(base_url=two_large_api, timeout=ANSWER_TIMEOUT_S) as client:
        for kind, rows in REFERENCE_DATA.items():
            client.post(f"/imports/{kind}", content=rows, headers={**bearer("admin"), "Content-Type": "text/csv"})
    (_, first), (_, second), (_, third) = (_pupils_csv(400) for _ in range(3))
    assert SMALL_LIMIT < len(first) < IMPORT_LIMIT
    with _connection(two_large_api) as one, _connection(two_large_api) as two, _connection(two_large_api) as three:
        for sock, content in ((one, first), (two, second)):
            sock.sendall(_import_head(len(content)) + content[:1024])
            assert not select.select([sock], [], [], 0.3)[0], "the server answered a body it should wait for"
        three.sendall(_import_head(len(third)))
        busy = _read_answer(three, 0)
        _, small = _pupils_csv(10)
        with httpx.Client(base_url=two_large_api, timeout=ANSWER_TIMEOUT_S) as client:
            assert client.post("/imports/leerlingen", content=small,
                               headers={**bearer("admin"), "Content-Type": "text/csv"}).status_code == httpx.codes.OK
        one.sendall(first[1024:])
        assert _read_answer(one, len(first)).status == httpx.codes.OK
        again = _import_until_taken(two_large_api, third)
    assert busy.status == httpx.codes.SERVICE_UNAVAILABLE
    assert busy.problem()["detail"] == ("De server ontvangt nu al 2 grote aanvragen (meer dan 4 KiB) tegelijk; "
                                        "probeer het over 10 seconden opnieuw.")
    assert (busy.headers["retry-after"], busy.headers["connection"]) == ("10", "close")
    assert again.status_code == httpx.codes.OK, again.text[:500]


def _import_until_taken(base_url: str, content: bytes) -> httpx.Response:
    """POST a large import, again while the answer is 503 (the place the last answer gave back may be
    returned a moment after its answer was sent), for at most a few seconds.
    """
    deadline = time.monotonic() + 5.0
    with httpx.Client(base_url=base_url, timeout=ANSWER_TIMEOUT_S) as client:
        while True:
            answer = client.post("/imports/leerlingen", content=content,
                                 headers={**bearer("admin"), "Content-Type": "text/csv"})
            if answer.status_code != httpx.codes.SERVICE_UNAVAILABLE or time.monotonic() > deadline:
                return answer


NEAR_20_MIB = 20 * MIB
HANGING = 12
EARLY_ANSWER_S = 1.0
"""How long a client waits for an answer to its head before it sends the body (as with ``Expect: 100-continue``):
an answer that comes while a body is still being sent can be lost when the server closes the connection."""


def _left_hanging(base_url: str, headers: dict[str, str]) -> tuple[list[Answer | None], int]:
    """Twelve clients at once each declare a 20 MiB import and, unless answered within a second, send all of
    it but the last byte (or until they are answered), then wait there. What each was answered (None:
    nothing, the server holds its body), and the largest growth of this process (which runs the server)
    while they all wait, in KiB.

    The same twelve clients first post to /health (413 before any body is read) and ask for /schools at
    once with the same headers, so that what the process sets aside once for new threads and database
    connections (and keeps for the next ones: pools of a fixed size) is not counted as held bodies.
    """
    _hang_twelve(base_url, "/health", headers)
    with ThreadPoolExecutor(max_workers=HANGING) as pool:
        list(pool.map(lambda _: httpx.get(f"{base_url}/schools", headers=headers, timeout=ANSWER_TIMEOUT_S),
                      range(HANGING)))
    with _peak_rss_growth() as growth:
        answers = _hang_twelve(base_url, "/imports/leerlingen", headers)
    return answers, growth[0]


def _hang_twelve(base_url: str, path: str, headers: dict[str, str]) -> list[Answer | None]:
    answers: list[Answer | None] = [None] * HANGING
    ready, release = threading.Barrier(HANGING + 1, timeout=ANSWER_TIMEOUT_S * 3), threading.Event()
    head = _head("POST", path, {**headers, "Content-Type": "text/csv", "Content-Length": str(NEAR_20_MIB)})
    piece = b"x" * MIB  # one for all twelve: the clients themselves stay small

    def hang(index: int) -> None:
        try:
            with _connection(base_url) as sock:
                sock.sendall(head)
                if select.select([sock], [], [], EARLY_ANSWER_S)[0]:
                    answers[index] = _read_answer(sock, 0)
                else:
                    sent, answered = _send(sock, chain(_repeated(piece, NEAR_20_MIB - MIB), [piece[:-1]]), 0.5)
                    answers[index] = _read_answer(sock, sent) if answered else None
                ready.wait()
                release.wait(ANSWER_TIMEOUT_S * 3)
        except BaseException:
            ready.abort()  # the test fails at once instead of waiting for this client
            raise

    clients = [threading.Thread(target=hang, args=(i,), name=f"hanging-{i}") for i in range(HANGING)]
    for one in clients:
        one.start()
    ready.wait()
    time.sleep(0.2)  # a few more samples of the memory while all of them wait (no clock is moved)
    release.set()
    for one in clients:
        one.join()
    return answers


def test_twelve_anonymous_20_mib_imports_left_hanging_hold_nothing(full_size_api: str) -> None:
    """Twelve clients without a token declare 20 MiB imports and would hold their bodies one byte short:
    each gets 401 before its body is read, and the server process does not grow (the old edge held
    them all: 240 MiB).
    """
    answers, growth = _left_hanging(full_size_api, {})
    assert growth < RSS_GROWTH_ALLOWED_KIB, f"grew by {growth} KiB"
    assert [a.status if a else None for a in answers] == [httpx.codes.UNAUTHORIZED] * HANGING
    assert all(a.body_bytes_sent < NEAR_20_MIB // 2 for a in answers if a)


def test_twelve_20_mib_imports_left_hanging_hold_at_most_two_bodies(full_size_api: str) -> None:
    """Twelve admins at once, with two places for large bodies: two bodies are taken and held (no answer
    yet), the other ten get 503 at once, and the process grows by two bodies, not twelve (240 MiB). A body
    may cost up to twice its size while its buffer grows (the allocator's copies), so 2 x 2 x 20 MiB.
    """
    answers, growth = _left_hanging(full_size_api, bearer("admin"))
    assert growth < 2 * 2 * NEAR_20_MIB // 1024 + RSS_GROWTH_ALLOWED_KIB, f"grew by {growth} KiB"
    assert sorted(a.status if a else 0 for a in answers) == [0] * 2 + [httpx.codes.SERVICE_UNAVAILABLE] * 10
    assert all(a.body_bytes_sent < NEAR_20_MIB // 2 for a in answers if a)


# --- time --------------------------------------------------------------------------------------------

CLOCK_SLACK_S = 0.05
"""The event loop may fire a deadline a few milliseconds before the test's own clock says it passed (CI saw
0.997 s for a 1 s limit); a cut much earlier than the limit still fails."""


def test_a_body_that_trickles_in_is_cut_off_after_the_time_limit(edge_api: str) -> None:
    """A client that declares 1000 bytes and sends one every 50 ms (it would need 50 s) gets 408 in Dutch
    once the 1 s body limit has passed, not later than a second after it, and the connection is closed.
    """
    head = _head("POST", "/cases", {**bearer("zorgcoordinator"), "Content-Type": "application/json",
                                    "Content-Length": "1000"})
    with _connection(edge_api) as sock:
        sock.sendall(head)
        started, sent = time.monotonic(), 0
        while not select.select([sock], [], [], 0.05)[0] and time.monotonic() - started < ANSWER_TIMEOUT_S:
            sock.sendall(b" ")
            sent += 1
        answer = _read_answer(sock, sent)
        took = time.monotonic() - started
    assert answer.status == httpx.codes.REQUEST_TIMEOUT
    assert answer.problem()["detail"] == ("De inhoud van de aanvraag is niet binnen 1 seconde volledig ontvangen; "
                                          "verstuur de aanvraag opnieuw.")
    assert answer.headers["connection"] == "close"
    assert BODY_TIMEOUT_S - CLOCK_SLACK_S <= took < BODY_TIMEOUT_S + 1.0, took
    assert answer.body_bytes_sent < 1000


def test_the_default_limits_are_the_documented_ones() -> None:
    """1 MiB for JSON and forms; 20 MiB only for a POST to one of the CSV import routes that exist (not an
    unknown kind, another method or a longer path); 30 s for a body to arrive; four large bodies at once.
    """
    fields = Settings.model_fields
    edge = BodyLimits(fields["max_body_bytes"].default, fields["max_import_body_bytes"].default,
                      fields["body_timeout_s"].default, fields["max_large_bodies"].default)
    assert edge == BodyLimits(MIB, 20 * MIB, 30.0, 4)
    imports = [f"/imports/{kind}" for kind in ("gemeenten", "swvs", "scholen", "leerlingen")] + [
        f"/verzuim/imports/{kind}" for kind in ("inschrijvingen", "verzuim", "vrijstellingen")]
    assert {edge.for_request("POST", path) for path in imports} == {20 * MIB}
    assert {edge.for_request(method, path) for method, path in [
        ("POST", "/cases"), ("POST", "/inloggen"), ("POST", "/health/imports/x"), ("POST", "/imports/nope"),
        ("POST", "/verzuim/imports/nope"), ("POST", "/imports/leerlingen/x"), ("POST", "/imports/"),
        ("PUT", "/imports/leerlingen"), ("PATCH", "/verzuim/imports/verzuim")]} == {MIB}


def test_serve_and_api_start_uvicorn_with_its_own_limits() -> None:
    """The options `serve` passes to uvicorn are ones uvicorn knows, with the documented values: at most
    1000 connections, idle keep-alive closed after 5 s, headers up to 16 KiB, 10 s to shut down.
    """
    options = _uvicorn_limits(Settings(database_url="sqlite://", api_limit_concurrency=1000,
                                       api_timeout_keep_alive_s=5))
    parsed = uvicorn.main.make_context("uvicorn", ["api.app:create_app", *options]).params
    assert (parsed["limit_concurrency"], parsed["timeout_keep_alive"], parsed["h11_max_incomplete_event_size"],
            parsed["timeout_graceful_shutdown"]) == (1000, 5, 16 * 1024, 10)


# --- NUL across chunks -------------------------------------------------------------------------------

SPLIT_NULS = [
    pytest.param("application/json", b'{"pathway": "signalering", "organisatie": "a\\u00', b'00b"}', id="json"),
    pytest.param("application/json", b'{"pathway": "signalering", "organisatie": "a\\', b'u0000b"}', id="json-2"),
    pytest.param("application/x-www-form-urlencoded", b"gebruikersnaam=a%0", b"0b&wachtwoord=x", id="form"),
]


@pytest.mark.parametrize(("content_type", "first", "second"), SPLIT_NULS)
def test_a_nul_split_across_two_chunks_is_still_refused(running_api: RunningApi, content_type: str, first: bytes,
                                                        second: bytes) -> None:
    """A chunked body whose escaped NUL is cut in two, the halves sent 200 ms apart (so that the server
    reads them as two pieces): 422 with the Dutch reason, as for a NUL in one piece.
    """
    path = "/cases" if "json" in content_type else "/inloggen"
    head = _head("POST", path, {"Authorization": f"Bearer {TOKENS['zorgcoordinator']}",
                                "Content-Type": content_type, "Transfer-Encoding": "chunked"})
    with _connection(running_api.base_url) as sock:
        sock.sendall(head + f"{len(first):x}\r\n".encode() + first + b"\r\n")
        assert not select.select([sock], [], [], 0.2)[0], "the server answered before the second half came"
        sock.sendall(f"{len(second):x}\r\n".encode() + second + b"\r\n0\r\n\r\n")
        answer = _read_answer(sock, len(first) + len(second))
    assert answer.status == httpx.codes.UNPROCESSABLE_ENTITY
    assert answer.problem()["detail"] == DETAIL


@pytest.mark.parametrize(("content_type", "marker"), [
    ("application/json", b"\\u0000"), ("application/json", b"\\U0000"),
    ("application/x-www-form-urlencoded", b"%00"), ("text/csv", b"\x00")])
def test_the_nul_check_finds_a_marker_cut_anywhere(content_type: str, marker: bytes) -> None:
    """The edge itself (as ASGI), fed a body in three messages cut at every pair of places in and around
    the marker: it refuses each with 422 and the app behind it never runs. The HTTP test above cannot
    choose where the server's reads fall; this one can.
    """
    body = b'{"a": "' + b"x" * 100 + marker + b"y" * 100 + b'"}'
    at, end = body.index(marker), body.index(marker) + len(marker)
    for first in range(at, end + 1):
        for second in range(first, end + 1):
            pieces = [body[:first], body[first:second], body[second:]]
            assert _run_edge(content_type, pieces) == httpx.codes.UNPROCESSABLE_ENTITY, pieces


def _run_edge(content_type: str, pieces: list[bytes]) -> int:
    messages: list[Message] = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
                               for i, p in enumerate(pieces)]
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        del scope, receive, send
        pytest.fail("the app ran although the body holds a NUL")

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "path": "/cases", "query_string": b"",
                    "headers": [(b"content-type", content_type.encode())]}
    anyio.run(Edge(app), scope, receive, send)
    status: int = sent[0]["status"]
    return status
