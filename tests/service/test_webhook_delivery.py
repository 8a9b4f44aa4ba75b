"""Webhook delivery against real HTTP receivers on 127.0.0.1: every event arrives, once, in outbox
order, however long a receiver was down; a dead receiver holds up nobody; nothing is tried before
its backoff ends; every delivery is signed with the subscriber's secret (Standard Webhooks), and a
retry of a batch is the same message. The receivers run on 127.0.0.1, which only the allow-list
setting ``LEERLINGROUTE_WEBHOOK_ALLOW_HOSTS`` (set for every test here) lets a webhook reach.

Time moves by passing instants to the delivery; nothing sleeps. SQLite always; PostgreSQL when
``LEERLINGROUTE_TEST_PG_URL`` names a server.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from standardwebhooks.webhooks import Webhook

from domain.access import Principal
from domain.case import Actor, Command
from domain.handlers import NewCase
from domain.ports import OutboxItem
from infra.delivery import webhooks
from infra.delivery.webhook_targets import AllowList
from infra.delivery.webhooks import Subscription, WebhookNotFound, Webhooks
from infra.identity import accounts
from infra.settings import Settings
from infra.store.tables import cases, outbox
from service import Service
from tests.databases import fresh_pg_database, fresh_service, migrated_sqlite

T0 = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
ZC = Actor("zorgcoordinator", "zc-1")
LOCAL = "127.0.0.1"
DELIVERY_FIELDS = {"delivery_id", "event_id", "case_id", "seq", "type", "pathway", "stage_from", "stage_to",
                   "occurred_at"}
HANG_LIMIT_S = 10.0


# --- a receiver that can be told to fail ------------------------------------------------------------

@dataclass(frozen=True)
class Received:
    """One request as the receiver read it, and how it answered."""

    body: bytes
    headers: dict[str, str]
    mode: str

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = json.loads(self.body)["deliveries"]
        return found


@dataclass
class Receiver:
    """An HTTP server in a thread. ``mode`` (or the next entry of ``script``) decides each answer:
    ``ok`` (204), ``500``, ``close`` (read the request, hang up without an answer), ``ack_lost``
    (take the deliveries, then hang up: the sender cannot know they arrived), ``hang`` (never answer).
    """

    mode: str = "ok"
    script: deque[str] = field(default_factory=deque)
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, body: bytes, headers: dict[str, str]) -> str:
        with self.lock:
            mode = self.script.popleft() if self.script else self.mode
            self.requests.append(Received(body, headers, mode))
        return mode

    def accepted(self) -> list[dict[str, Any]]:
        """The deliveries of every request the receiver acknowledged, in arrival order."""
        return [d for r in self.requests if r.mode == "ok" for d in r.deliveries]

    def taken(self) -> list[dict[str, Any]]:
        """Every delivery the receiver took (acknowledged or not), de-duplicated by delivery id, first first."""
        seen: dict[str, dict[str, Any]] = {}
        for d in (d for r in self.requests if r.mode in {"ok", "ack_lost"} for d in r.deliveries):
            seen.setdefault(d["delivery_id"], d)
        return list(seen.values())


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            mode = receiver.answer(body, {k.lower(): v for k, v in self.headers.items()})
            if mode == "hang":
                receiver.release.wait(HANG_LIMIT_S)
            if mode in {"ok", "500"}:
                self.send_response(204 if mode == "ok" else 500)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
            del format, args

    return Handler


@pytest.fixture
def receivers() -> Iterator[Callable[[], Receiver]]:
    """Start receivers on free ports; all are stopped after the test."""
    servers: list[tuple[Receiver, ThreadingHTTPServer, threading.Thread]] = []

    def start() -> Receiver:
        receiver = Receiver()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
        thread.start()
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}/leerlingroute"
        servers.append((receiver, server, thread))
        return receiver

    yield start
    for receiver, server, thread in servers:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port_url() -> str:
    """An address on 127.0.0.1 where nothing listens (connections are refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/dood"


# --- the engine ------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def local_receivers_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test receivers listen on 127.0.0.1 over plain http: allow-listed, as an operator would."""
    monkeypatch.setenv("LEERLINGROUTE_WEBHOOK_ALLOW_HOSTS", LOCAL)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a freshly migrated database of each kind."""
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built


def coordinator(service: Service, name: str = "test-swv", scopes: tuple[str, ...] = ("standaard", "VO3102"),
                at: datetime = T0) -> Principal:
    """The SWV coordinator account ``name`` (made on first use, valid for a year from ``at``)."""
    found = [u for u in accounts.list_users(service.engine) if u.name == name]
    user = found[0] if found else accounts.create_user(
        service.engine, "swv_coordinator", scopes, at - timedelta(days=1), service.swv_codes(), name=name,
        days=365)[0]
    return Principal(user.id, user.role, user.scopes)


def open_opp(service: Service, at: datetime) -> str:
    command = Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-09-01"})
    return service.open_case(NewCase("opp", "14PS03", "lln-1"), command, at).case_id


def hand_in(service: Service, case_id: str, at: datetime) -> None:
    """Another event on the case (the handelingsdeel may be handed in again)."""
    service.handle(case_id, Command("leg_handelingsdeel_voor", ZC), at)


def subscribe(service: Service, url: str, at: datetime = T0) -> tuple[Subscription, str]:
    registered = service.register_webhook(coordinator(service, at=at), url, "test", at)
    return registered.subscription, registered.secret


def state(service: Service, subscription: Subscription) -> Subscription:
    return service.webhook(coordinator(service), subscription.id)


def outbox_after(service: Service, cursor: int) -> list[OutboxItem]:
    with service.engine.connect() as conn:
        rows = conn.execute(select(outbox).where(outbox.c.id > cursor).order_by(outbox.c.id))
        return [OutboxItem(r.id, r.case_id, r.seq, r.type, r.pathway, r.stage_from, r.stage_to, r.occurred_at)
                for r in rows]


def delivery_ids(subscription: Subscription, items: list[OutboxItem]) -> list[str]:
    return [str(uuid.uuid5(uuid.UUID(subscription.id), f"{i.case_id}:{i.seq}")) for i in items]


def seconds(*values: int) -> list[timedelta]:
    return [timedelta(seconds=v) for v in values]


# --- the tests -------------------------------------------------------------------------------------

def test_a_subscriber_down_for_an_hour_then_gets_every_event_once_in_outbox_order(
    service: Service, receivers: Callable[[], Receiver], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ten failed attempts over an hour (500s, hang-ups, and hang-ups after the receiver took the
    batch) while events keep coming; then one run delivers all of them, each acknowledged once,
    in outbox id order and so in per-case order; the failure state is cleared.
    """
    monkeypatch.setattr(webhooks, "BATCH_SIZE", 4)  # several requests per run
    receiver = receivers()
    subscription, _ = subscribe(service, receiver.url)
    cases = [open_opp(service, T0) for _ in range(3)]
    failures = ["500", "close", "ack_lost"]
    at, tried = T0, list[timedelta]()
    while at <= T0 + timedelta(hours=1):
        receiver.mode = failures[len(tried) % len(failures)]
        hand_in(service, cases[len(tried) % len(cases)], at)
        report = service.deliver_webhooks(at)
        assert (report.subscribers, report.delivered, report.failed) == (1, 0, 1)
        failing = state(service, subscription)
        assert (failing.attempts, failing.failing_since, failing.cursor) == (len(tried) + 1, T0, subscription.cursor)
        assert failing.last_error
        assert failing.next_attempt_at is not None
        tried.append(failing.next_attempt_at - at)
        at = failing.next_attempt_at
    assert tried == seconds(10, 20, 40, 80, 160, 320, 640, 900, 900, 900)

    receiver.mode = "ok"
    report = service.deliver_webhooks(at)
    expected = outbox_after(service, subscription.cursor)
    assert (report.delivered, report.failed) == (len(expected), 0)
    assert [d["delivery_id"] for d in receiver.accepted()] == delivery_ids(subscription, expected)
    assert [d["delivery_id"] for d in receiver.taken()] == delivery_ids(subscription, expected)
    for case_id in cases:
        recorded = [e.seq for e in service.history(case_id)]
        assert [d["seq"] for d in receiver.accepted() if d["case_id"] == case_id] == recorded
    recovered = state(service, subscription)
    assert (recovered.cursor, recovered.delivered, recovered.attempts) == (expected[-1].id, len(expected), 0)
    assert (recovered.failing_since, recovered.last_error, recovered.next_attempt_at) == (None, None, None)


def test_a_receiver_failing_halfway_through_a_backlog_keeps_what_it_acknowledged(
    service: Service, receivers: Callable[[], Receiver], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first batch is acknowledged, the second fails: the cursor stops after the first, and the
    next attempt starts where it stopped.
    """
    monkeypatch.setattr(webhooks, "BATCH_SIZE", 2)
    receiver = receivers()
    subscription, _ = subscribe(service, receiver.url)
    for _ in range(5):
        open_opp(service, T0)
    expected = outbox_after(service, subscription.cursor)
    receiver.script.extend(["ok", "500"])
    assert service.deliver_webhooks(T0).delivered == 2
    assert (state(service, subscription).cursor, state(service, subscription).delivered) == (expected[1].id, 2)
    assert service.deliver_webhooks(T0 + timedelta(seconds=10)).delivered == 3
    assert [d["delivery_id"] for d in receiver.accepted()] == delivery_ids(subscription, expected)


def test_a_retry_sends_the_same_message_again_even_when_new_events_arrived_meanwhile(
    service: Service, receivers: Callable[[], Receiver], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failed batch is retried as the same message: same ``webhook-id``, same body, same delivery ids,
    even though a new event was recorded in between (it follows in the next message, with its own id);
    a fresh timestamp and signature each time.
    """
    monkeypatch.setattr(webhooks, "BATCH_SIZE", 4)
    receiver = receivers()
    subscribe(service, receiver.url)
    case_id = open_opp(service, T0)
    receiver.script.extend(["500", "ok", "ok"])
    service.deliver_webhooks(T0)
    hand_in(service, case_id, T0 + timedelta(seconds=5))
    service.deliver_webhooks(T0 + timedelta(seconds=10))
    failed, retried, following = receiver.requests
    assert retried.headers["webhook-id"] == failed.headers["webhook-id"]
    assert retried.body == failed.body
    assert retried.headers["webhook-timestamp"] != failed.headers["webhook-timestamp"]
    assert following.headers["webhook-id"] != retried.headers["webhook-id"]
    assert [d["seq"] for r in (retried, following) for d in r.deliveries] == [1, 2]


def test_a_dead_subscriber_blocks_neither_a_healthy_one_nor_the_outbox(
    service: Service, receivers: Callable[[], Receiver],
) -> None:
    """A subscriber on a closed port, registered first, fails; the healthy one gets every event in the
    same run and the next; the relay to Prefect still takes every outbox row.
    """
    dead, _ = subscribe(service, closed_port_url())
    receiver = receivers()
    subscribe(service, receiver.url)
    case_id = open_opp(service, T0)
    hand_in(service, case_id, T0)
    report = service.deliver_webhooks(T0)
    assert (report.subscribers, report.delivered, report.failed) == (2, 2, 1)
    hand_in(service, case_id, T0 + timedelta(seconds=1))
    assert service.deliver_webhooks(T0 + timedelta(seconds=1)).delivered == 1
    assert [d["seq"] for d in receiver.accepted()] == [1, 2, 3]
    failing = state(service, dead)
    assert (failing.cursor, failing.delivered, failing.attempts) == (dead.cursor, 0, 1)
    assert failing.last_error == "geen verbinding"
    relayed: list[OutboxItem] = []
    assert service.relay(relayed.extend, T0) == len(relayed) == 3


def test_a_receiver_that_does_not_answer_times_out_without_holding_up_the_others(
    service: Service, receivers: Callable[[], Receiver],
) -> None:
    """A receiver that never answers counts as failed once the timeout passes; the next one is served."""
    silent, healthy = receivers(), receivers()
    silent.mode = "hang"
    hanging, _ = subscribe(service, silent.url)
    subscribe(service, healthy.url)
    open_opp(service, T0)
    report = Webhooks(service.engine, allow=AllowList.parse(LOCAL)).deliver(T0, timeout_s=0.3)
    assert (report.delivered, report.failed) == (1, 1)
    assert len(healthy.accepted()) == 1
    assert state(service, hanging).last_error == "time-out"


def test_no_attempt_is_made_before_the_backoff_has_passed(
    service: Service, receivers: Callable[[], Receiver],
) -> None:
    """After a failure at T0 the receiver hears nothing until T0 + 10 s, then 20 s after that."""
    receiver = receivers()
    receiver.mode = "500"
    subscription, _ = subscribe(service, receiver.url)
    open_opp(service, T0)
    service.deliver_webhooks(T0)
    assert state(service, subscription).next_attempt_at == T0 + timedelta(seconds=10)
    early = service.deliver_webhooks(T0 + timedelta(seconds=9, microseconds=999_999))
    assert (early.subscribers, len(receiver.requests)) == (0, 1)
    service.deliver_webhooks(T0 + timedelta(seconds=10))
    assert len(receiver.requests) == 2
    assert state(service, subscription).next_attempt_at == T0 + timedelta(seconds=30)
    service.deliver_webhooks(T0 + timedelta(seconds=29))
    assert len(receiver.requests) == 2


def test_every_delivery_is_signed_with_the_subscribers_secret_and_carries_no_personal_data(
    service: Service, receivers: Callable[[], Receiver],
) -> None:
    """The Standard Webhooks headers: ``webhook-timestamp`` is the delivery's instant, and
    ``webhook-signature`` is what the reference library computes with the subscriber's ``whsec_``
    secret over id, timestamp and the exact body (another secret gives another one). Deliveries carry
    ids, types, stages and instants only, with stable ids.
    """
    receiver = receivers()
    subscription, secret = subscribe(service, receiver.url)
    case_id = open_opp(service, T0)
    service.deliver_webhooks(T0)
    [request] = receiver.requests
    assert secret.startswith("whsec_")
    assert request.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    msg_id = request.headers["webhook-id"]
    assert request.headers["webhook-signature"] == Webhook(secret).sign(msg_id, T0, request.body)
    assert request.headers["webhook-signature"] != Webhook("whsec_" + "A" * 44).sign(msg_id, T0, request.body)
    assert "x-leerlingroute-signature" not in request.headers
    assert request.headers["x-leerlingroute-subscription"] == subscription.id
    [delivery] = request.deliveries
    assert set(delivery) == DELIVERY_FIELDS
    assert delivery["delivery_id"] == delivery_ids(subscription, outbox_after(service, subscription.cursor))[0]
    assert (delivery["case_id"], delivery["seq"], delivery["type"], delivery["stage_to"]) == (
        case_id, 1, "opp_gestart", "concept")
    assert b"lln-1" not in request.body
    assert b"zc-1" not in request.body


def test_the_event_id_is_the_prefect_event_id(service: Service, receivers: Callable[[], Receiver]) -> None:
    """A receiver that also reads Prefect's events can match them: same uuid5 of case and sequence."""
    from infra.delivery.prefect_events import event_id  # noqa: PLC0415 - importing prefect is slow

    receiver = receivers()
    subscription, _ = subscribe(service, receiver.url)
    open_opp(service, T0)
    service.deliver_webhooks(T0)
    [item] = outbox_after(service, subscription.cursor)
    assert receiver.accepted()[0]["event_id"] == str(event_id(item))


def test_a_second_subscriber_gets_its_own_delivery_ids_and_a_deactivated_one_nothing(
    service: Service, receivers: Callable[[], Receiver],
) -> None:
    """Delivery ids are per subscriber; a deactivated subscriber is not called."""
    first, second, gone = receivers(), receivers(), receivers()
    subscribe(service, first.url)
    subscribe(service, second.url)
    stopped, _ = subscribe(service, gone.url)
    service.deactivate_webhook(coordinator(service), stopped.id, T0)
    open_opp(service, T0)
    assert service.deliver_webhooks(T0).subscribers == 2
    assert first.accepted()[0]["event_id"] == second.accepted()[0]["event_id"]
    assert first.accepted()[0]["delivery_id"] != second.accepted()[0]["delivery_id"]
    assert gone.requests == []


def test_a_new_subscriber_receives_the_events_from_its_registration_on(
    service: Service, receivers: Callable[[], Receiver],
) -> None:
    """Events recorded before the registration are not sent to it."""
    open_opp(service, T0)
    receiver = receivers()
    subscribe(service, receiver.url)
    later = open_opp(service, T0 + timedelta(minutes=1))
    service.deliver_webhooks(T0 + timedelta(minutes=1))
    assert [d["case_id"] for d in receiver.accepted()] == [later]


@pytest.mark.postgres
def test_on_postgresql_an_event_committed_after_a_higher_id_is_not_skipped(receivers: Callable[[], Receiver]) -> None:
    """Outbox ids come from a sequence: a transaction may commit id n after another committed n + 1.
    While the writer of n is still open nothing is sent (the run is postponed, not failed); once it
    commits both arrive, n first.
    """
    with fresh_pg_database() as url:
        service = Service.from_settings(Settings(database_url=url))
        try:
            receiver = receivers()
            subscription, _ = subscribe(service, receiver.url)
            with service.engine.connect() as slow:
                writing = slow.begin()
                slow.execute(insert(cases), {"id": "case-slow", "pathway": "opp", "definition_version": 1,
                                             "school_brin": "14PS03", "pupil_id": "lln-slow", "stage": "concept",
                                             "version": 1, "artifacts": {}, "opened_at": T0, "stage_entered_at": T0,
                                             "updated_at": T0, "profile": "standaard"})
                slow.execute(insert(outbox), {"case_id": "case-slow", "seq": 1, "type": "opp_gestart", "pathway": "opp",
                                              "stage_to": "concept", "occurred_at": T0})
                fast = open_opp(service, T0)
                report = Webhooks(service.engine, allow=AllowList.parse(LOCAL)).deliver(T0, lock_timeout_ms=200)
                assert (report.postponed, receiver.requests) == (True, [])
                assert state(service, subscription).attempts == 0
                writing.commit()
            assert service.deliver_webhooks(T0).delivered == 2
            assert [d["case_id"] for d in receiver.accepted()] == ["case-slow", fast]
        finally:
            service.engine.dispose()


def test_the_relay_flow_delivers_webhooks_even_when_prefect_is_unreachable(
    receivers: Callable[[], Receiver], tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """relay_events: Prefect refuses, the webhooks still go out, then the run fails (to be retried);
    the outbox keeps every row for Prefect.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415 - importing prefect is slow

    from flows._service import service as flow_service  # noqa: PLC0415
    from flows.relay_events import relay_events  # noqa: PLC0415

    monkeypatch.setenv("LEERLINGROUTE_DATABASE_URL", migrated_sqlite(str(tmp_path_factory.mktemp("flow"))))
    flow_service.cache_clear()
    try:
        receiver = receivers()
        subscribe(flow_service(), receiver.url, at=datetime.now(UTC))
        open_opp(flow_service(), datetime.now(UTC))
        unreachable = {PREFECT_API_URL: closed_port_url() + "/api"}
        with temporary_settings(unreachable), pytest.raises((OSError, httpx.TransportError)):
            relay_events.fn()
        assert [d["type"] for d in receiver.accepted()] == ["opp_gestart"]
        with flow_service().unit_of_work() as uow, uow:
            assert len(uow.pending_outbox(10)) == 1
    finally:
        flow_service().engine.dispose()
        flow_service.cache_clear()


def test_a_subscriber_receives_only_the_events_its_owner_may_see(
    service: Service, receivers: Callable[[], Receiver],
) -> None:
    """A webhook registered by a PO 31-04 coordinator gets nothing of a standard-profile case (yet its
    cursor moves past them); the VO coordinator's subscriber gets it; the other coordinator cannot even
    read the VO subscription (404).
    """
    elsewhere = coordinator(service, "test-swv-po", ("PO3104",))
    theirs, mine = receivers(), receivers()
    other = service.register_webhook(elsewhere, theirs.url, "PO", T0).subscription
    vo, _ = subscribe(service, mine.url)
    case_id = open_opp(service, T0)
    service.deliver_webhooks(T0)
    assert theirs.requests == []
    assert [d["case_id"] for d in mine.accepted()] == [case_id]
    assert service.webhook(elsewhere, other.id).cursor == outbox_after(service, 0)[-1].id
    with pytest.raises(WebhookNotFound):
        service.webhook(elsewhere, vo.id)
