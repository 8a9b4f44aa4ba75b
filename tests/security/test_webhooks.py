"""Webhooks as an attacker sees them: no way inside (SSRF), nothing to learn from the failures, nobody
else's subscriptions, and signatures a captured delivery cannot be replayed with.

Registration goes through the real API server; deliveries run as the relay flow runs them, through
``Service.deliver_webhooks`` on the same database, to receivers on 127.0.0.1 that count every TCP
connection they accept (so "nothing is sent" means not even a connection). Names resolve from a table
(``dns``) instead of DNS; IP literals resolve to themselves. Signatures are checked with the Standard
Webhooks reference library, whose clock is the real one: deliveries it verifies are made at the real
current instant.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import insert, update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from domain.access import Principal
from infra.delivery import webhook_targets
from infra.delivery.webhook_targets import AllowList
from infra.delivery.webhooks import Webhooks
from infra.identity import accounts
from infra.settings import Settings
from infra.store import migrate
from infra.store.tables import webhook_subscriptions
from service import Service
from tests.api.conftest import DEFAULT_NOW, ControllableClock, RunningApi, bearer

PROBLEM_JSON = "application/problem+json"
OWNER = bearer("swv_coordinator")
ADMIN = bearer("admin")
PUBLIC_IP = "93.184.215.14"
ALLOWED_NL = "Toegestaan is een https-adres van een openbaar bereikbare server"
HANG_LIMIT_S = 10.0


# --- receivers that count connections ----------------------------------------------------------------

@dataclass
class Receiver:
    """A local HTTP(S) server: ``connections`` accepted, ``requests`` read (body and lower-case headers),
    the TLS server names asked for (``sni``). ``mode``: ``ok`` (204), ``500``, ``close`` (hang up without
    an answer), ``hang`` (never answer), ``redirect`` (302 to ``location``).
    """

    port: int = 0
    mode: str = "ok"
    location: str = ""
    connections: int = 0
    requests: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}/leerlingroute"


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with receiver.lock:
                receiver.requests.append((body, {k.lower(): v for k, v in self.headers.items()}))
            if receiver.mode == "hang":
                receiver.release.wait(HANG_LIMIT_S)
            if receiver.mode == "close":
                self.close_connection = True
                return
            status = {"ok": 204, "500": 500, "redirect": 302}.get(receiver.mode, 204)
            self.send_response(status)
            if receiver.mode == "redirect":
                self.send_header("Location", receiver.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
            del format, args

    return Handler


class CountingServer(ThreadingHTTPServer):
    """Counts every connection it accepts, before reading a byte of it."""

    daemon_threads = True
    receiver: Receiver

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.receiver.lock:
            self.receiver.connections += 1
        return bool(super().verify_request(request, client_address))


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for one host name, and the client context that trusts it alone."""

    cert: Path
    key: Path
    client: ssl.SSLContext


def certificate(host: str, folder: Path) -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Certificate(cert_path, key_path, ssl.create_default_context(cafile=str(cert_path)))


@pytest.fixture
def receivers(running_api: RunningApi) -> Iterator[Callable[..., Receiver]]:
    """Start receivers (``tls=`` a Certificate for https); afterwards they stop, and every subscription
    pointing at their ports is deactivated (a later receiver may get the same port).
    """
    started: list[tuple[Receiver, CountingServer, threading.Thread]] = []

    def start(tls: Certificate | None = None) -> Receiver:
        receiver = Receiver()
        server = CountingServer(("127.0.0.1", 0), _handler(receiver))
        server.receiver = receiver
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert, tls.key)
            context.sni_callback = lambda _sock, name, _ctx: receiver.sni.append(name)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        receiver.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
        thread.start()
        started.append((receiver, server, thread))
        return receiver

    yield start
    engine = Service.from_settings(Settings(database_url=running_api.database.url)).engine
    try:
        with engine.begin() as conn:
            for receiver, _, _ in started:
                conn.execute(update(webhook_subscriptions).values(active=False)
                             .where(webhook_subscriptions.c.url.contains(f":{receiver.port}/")))
    finally:
        engine.dispose()
    for receiver, server, thread in started:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- the delivering side ---------------------------------------------------------------------------

@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The answers of the resolver that registration and delivery use; edit it to change DNS."""
    table: dict[str, list[str]] = {"ontvanger.example.nl": [PUBLIC_IP]}

    def resolve(host: str, _port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            return list(table.get(host, []))

    monkeypatch.setattr(webhook_targets, "resolve", resolve)
    return table


@pytest.fixture
def delivering(
    running_api: RunningApi, tmp_path_factory: pytest.TempPathFactory, dns: dict[str, list[str]],
) -> Iterator[Callable[[str], Service]]:
    """The service as the relay flow builds it on the API's database, with the allow-list given
    (``""``: the default, nothing allowed).
    """
    del dns  # requested so that deliveries never ask real DNS
    built: list[Service] = []

    def make(allow: str = "") -> Service:
        settings = Settings(database_url=running_api.database.url, data_dir=tmp_path_factory.mktemp("data"),
                            webhook_allow_hosts=allow)
        built.append(Service.from_settings(settings))
        return built[-1]

    yield make
    for service in built:
        service.engine.dispose()


def owner(running_api: RunningApi, key: str = "swv_coordinator") -> Principal:
    """The test account ``key`` of the API's database as a principal."""
    return {"swv_coordinator": Principal(running_api.user_ids[key], "swv_coordinator", ("standaard", "VO3102")),
            "admin": Principal(running_api.user_ids[key], "admin", ())}[key]


def new_account(service: Service, now: datetime, days: int = 30) -> tuple[Principal, dict[str, str]]:
    """A fresh SWV coordinator of the same SWV as the test account, and its Authorization header."""
    token = uuid.uuid4().hex + uuid.uuid4().hex
    user, _ = accounts.create_user(service.engine, "swv_coordinator", ("standaard", "VO3102"), now,
                                   service.swv_codes(), name=f"collega-{uuid.uuid4().hex[:8]}", days=days,
                                   token=token)
    return Principal(user.id, user.role, user.scopes), {"Authorization": f"Bearer {token}"}


def open_case(api: httpx.Client) -> str:
    """An OPP case of school 14PS03 (in the test coordinator's scope), opened by the zorgcoördinator."""
    response = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03",
                                        "pupil_id": f"lln-{uuid.uuid4().hex[:8]}",
                                        "payload": {"extra_ondersteuning_sinds": "2026-09-01"}})
    assert response.status_code == httpx.codes.CREATED, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def state(api: httpx.Client, subscription_id: str, headers: dict[str, str] = OWNER) -> dict[str, Any]:
    response = api.get(f"/webhooks/{subscription_id}", headers=headers)
    assert response.status_code == httpx.codes.OK, response.text
    found: dict[str, Any] = response.json()
    return found


# --- SSRF: nothing internal is registered, nothing internal is contacted ------------------------------

BAD_FORMS = [
    "http://127.0.0.1:{port}/hook", "https://127.0.0.1:{port}/hook", "http://localhost:{port}/hook",
    "https://localhost:{port}/hook", "https://2130706433:{port}/hook", "https://0177.0.0.1:{port}/hook",
    "https://0x7f.1:{port}/hook", "https://0x7f000001:{port}/hook", "https://127.1:{port}/hook",
    "https://0.0.0.0:{port}/hook", "https://0:{port}/hook", "https://[::1]:{port}/hook",
    "https://[::ffff:127.0.0.1]:{port}/hook", "https://[::127.0.0.1]:{port}/hook",
    "https://ontvanger.example.nl@127.0.0.1:{port}/hook", "https://ontvanger.example.nl:x@127.0.0.1:{port}/hook",
    "https://intern.example.nl:{port}/hook", "https://intern:{port}/hook", "https://api.localhost:{port}/hook",
    "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/hook", "https://172.16.0.1/hook",
    "https://192.168.1.1/hook", "https://100.64.0.1/hook", "https://[fd00::1]/hook", "https://[fe80::1]/hook",
    "https://metadata.google.internal/computeMetadata/v1/", "http://ontvanger.example.nl/hook",
]


@pytest.mark.parametrize("form", BAD_FORMS)
def test_an_internal_or_disguised_webhook_address_is_refused_and_nothing_is_sent(
    api: httpx.Client, receivers: Callable[..., Receiver], delivering: Callable[[str], Service],
    dns: dict[str, list[str]], form: str,
) -> None:
    """422 problem+json whose Dutch detail says what is wrong and what is allowed; nothing is registered,
    and after a new event and a delivery run the receiver on 127.0.0.1 has not seen a single connection.
    """
    dns["intern.example.nl"] = ["127.0.0.1"]
    receiver = receivers()
    url = form.format(port=receiver.port)
    response = api.post("/webhooks", json={"url": url}, headers=OWNER)
    assert response.status_code == httpx.codes.UNPROCESSABLE_ENTITY, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem = response.json()
    assert (problem["title"], problem["type"]) == ("Webhook URL refused",
                                                   "https://leerlingroute.nl/problems/webhook-url-refused")
    assert problem["detail"].startswith(("Het webhook-adres", "De naam"))
    assert ALLOWED_NL in problem["detail"]
    if url.startswith("https://intern.example.nl:"):  # the name is quoted, the inside address it resolved to not
        assert problem["detail"].startswith("De naam 'intern.example.nl' verwijst naar een intern")
        assert "127.0.0.1" not in problem["detail"]
    assert f":{receiver.port}/" not in api.get("/webhooks", headers=ADMIN).text
    open_case(api)
    delivering("").deliver_webhooks(datetime.now(UTC))
    assert (receiver.connections, receiver.requests) == (0, [])


@pytest.mark.parametrize("answer", [["127.0.0.1"], [PUBLIC_IP, "127.0.0.1"], ["::ffff:127.0.0.1"]])
def test_a_name_that_resolves_inside_at_delivery_is_not_contacted(
    api: httpx.Client, receivers: Callable[..., Receiver], delivering: Callable[[str], Service],
    dns: dict[str, list[str]], answer: list[str],
) -> None:
    """Public at registration, internal (or partly internal) at delivery: no connection is made and the
    subscriber reads "adres geweigerd". The same address allow-listed is contacted at once, so it was
    the check, not the network, that kept the delivery out.
    """
    receiver = receivers()
    dns["wissel.example.nl"] = [PUBLIC_IP]
    created = api.post("/webhooks", json={"url": receiver.url("wissel.example.nl", "https")}, headers=OWNER)
    assert created.status_code == httpx.codes.CREATED, created.text
    subscription_id = created.json()["id"]
    dns["wissel.example.nl"] = answer
    open_case(api)
    now = datetime.now(UTC)
    delivering("").deliver_webhooks(now)
    assert receiver.connections == 0
    refused = state(api, subscription_id)
    assert (refused["last_error"], refused["attempts"], refused["delivered"]) == ("adres geweigerd", 1, 0)
    delivering(f"wissel.example.nl:{receiver.port}").deliver_webhooks(now + timedelta(seconds=10))
    assert receiver.connections == 1  # an https client at a plain http receiver: connected, then no TLS
    assert state(api, subscription_id)["last_error"] == "geen verbinding"


def test_the_delivery_connects_to_the_checked_address_and_keeps_the_host_name_for_tls(
    api: httpx.Client, running_api: RunningApi, receivers: Callable[..., Receiver],
    dns: dict[str, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The name is looked up once, by the checking resolver; the connection goes to that address (the
    system resolver would not know the name at all), while TLS verifies the certificate for the name
    (SNI) and the ``Host`` header carries it.
    """
    tls = certificate("ontvanger.test", tmp_path)
    receiver = receivers(tls)
    lookups: list[str] = []
    dns["ontvanger.test"] = ["127.0.0.1"]
    checking = webhook_targets.resolve

    def counted(host: str, port: int) -> list[str]:
        lookups.append(host)
        return checking(host, port)

    monkeypatch.setattr(webhook_targets, "resolve", counted)
    system = socket.getaddrinfo

    def no_names(host: Any, *args: Any, **kwargs: Any) -> Any:
        ipaddress.ip_address(host)  # a ValueError for any name: only addresses reach the system resolver
        return system(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_names)
    settings = Settings(database_url=running_api.database.url)
    service = Service.from_settings(settings)
    try:
        webhooks = Webhooks(service.engine, allow=AllowList.parse("ontvanger.test"), ssl_context=tls.client)
        webhooks.register(receiver.url("ontvanger.test", "https"), "tls", DEFAULT_NOW, owner(running_api))
        open_case(api)
        report = webhooks.deliver(datetime.now(UTC))
    finally:
        service.engine.dispose()
    assert report.delivered >= 1
    assert len(receiver.requests) == 1
    [(_, headers)] = receiver.requests
    assert headers["host"] == f"ontvanger.test:{receiver.port}"
    assert receiver.sni == ["ontvanger.test"]
    assert lookups == ["ontvanger.test"]


def test_a_failing_subscriber_reads_only_a_word_from_a_fixed_vocabulary(
    api: httpx.Client, running_api: RunningApi, receivers: Callable[..., Receiver],
    delivering: Callable[[str], Service],
) -> None:
    """Refused connection, 500, hang-up, no answer in time, redirect: ``last_error`` is one of "geen
    verbinding", "HTTP 500", "geen antwoord", "time-out", "HTTP 302" — never the low-level error text;
    the redirect is not followed.
    """
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_port = closed.getsockname()[1]
    closed.close()
    modes = {"500": receivers(), "close": receivers(), "hang": receivers(), "redirect": receivers()}
    target = receivers()
    for mode, receiver in modes.items():
        receiver.mode = mode
    modes["redirect"].location = target.url()
    service = delivering("127.0.0.1")
    ids = {mode: service.register_webhook(owner(running_api), r.url(), mode, DEFAULT_NOW).subscription.id
           for mode, r in modes.items()}
    ids["dead"] = service.register_webhook(owner(running_api), f"http://127.0.0.1:{dead_port}/weg", "dood",
                                           DEFAULT_NOW).subscription.id
    open_case(api)
    Webhooks(service.engine, allow=AllowList.parse("127.0.0.1")).deliver(datetime.now(UTC), timeout_s=0.3)
    errors = {mode: state(api, subscription_id)["last_error"] for mode, subscription_id in ids.items()}
    assert errors == {"500": "HTTP 500", "close": "geen antwoord", "hang": "time-out", "redirect": "HTTP 302",
                      "dead": "geen verbinding"}
    assert (target.connections, target.requests) == (0, [])


# --- ownership: only the owner (and admins) manage a subscription; it lives as long as the owner ----

def test_another_coordinator_of_the_same_swv_cannot_list_read_rotate_or_delete_ones_webhook(
    api: httpx.Client, delivering: Callable[[str], Service],
) -> None:
    """The colleague gets 404 exactly as for an id that does not exist; the owner's subscription stays
    active with its secret unrotated; an admin lists and reads it.
    """
    _, colleague = new_account(delivering(""), DEFAULT_NOW - timedelta(days=1))
    created = api.post("/webhooks", json={"url": "https://ontvanger.example.nl/eigen"}, headers=OWNER).json()
    path = f"/webhooks/{created['id']}"
    assert created["id"] not in api.get("/webhooks", headers=colleague).text
    unknown = api.get(f"/webhooks/{uuid.uuid4()}", headers=colleague).json()
    for method, target in (("GET", path), ("DELETE", path), ("POST", path + "/rotate-secret")):
        response = api.request(method, target, headers=colleague)
        assert response.status_code == httpx.codes.NOT_FOUND, (method, target)
        same_as_unknown = {**unknown, "title": f"No webhook subscription with id {created['id']}",
                           "detail": f"Webhook-abonnement {created['id']} bestaat niet."}
        assert response.json() == same_as_unknown
    mine = state(api, created["id"])
    assert (mine["active"], mine["previous_secret_until"]) == (True, None)
    assert created["id"] in {w["id"] for w in api.get("/webhooks", headers=ADMIN).json()}
    assert state(api, created["id"], ADMIN)["owner_id"] == mine["owner_id"]


@pytest.mark.parametrize("ending", ["revoked", "expired"])
def test_a_revoked_or_expired_owners_webhooks_stop_delivering(
    api: httpx.Client, receivers: Callable[..., Receiver], delivering: Callable[[str], Service], ending: str,
) -> None:
    """While the owner's account is valid the receiver gets the events; once it is revoked (or has
    expired) the next run sends it nothing, while a valid owner's subscriber gets the same new event.
    """
    service = delivering("127.0.0.1")
    now = datetime.now(UTC)
    leaving, _ = new_account(service, now - timedelta(days=1), days=2)
    staying, _ = new_account(service, now - timedelta(days=1), days=30)
    theirs, control = receivers(), receivers()
    service.register_webhook(leaving, theirs.url(), "vertrekt", now)
    service.register_webhook(staying, control.url(), "blijft", now)
    open_case(api)
    service.deliver_webhooks(now)
    assert (len(theirs.requests), len(control.requests)) == (1, 1)
    later = now + timedelta(minutes=1)
    if ending == "revoked":
        accounts.revoke_user(service.engine, leaving.user_id, later)
    else:
        later = now + timedelta(days=2)
    open_case(api)
    service.deliver_webhooks(later)
    assert (len(theirs.requests), len(control.requests)) == (1, 2)


def test_subscriptions_from_before_owners_were_recorded_are_deactivated_and_left_to_admins(
    tmp_path: Path,
) -> None:
    """Migration 0009 cannot know who made an older subscription: it deactivates it ('geen eigenaar');
    no coordinator manages it, an admin still sees it.
    """
    url = f"sqlite:///{tmp_path}/voor-0009.db"
    migrate.upgrade(url, "0008")
    service = Service.from_settings(Settings(database_url=url, data_dir=tmp_path))
    try:
        with service.engine.begin() as conn:
            conn.execute(insert(webhook_subscriptions), {
                "id": str(uuid.uuid4()), "url": "https://oud.example.nl/hook", "secret": "ab" * 32,
                "description": "oud", "active": True, "created_at": DEFAULT_NOW, "cursor": 0,
                "owner_role": "swv_coordinator", "scopes": ["VO3102"]})
        migrate.upgrade(url)
        coordinator, _ = new_account(service, DEFAULT_NOW)
        admin = Principal("beheerder", "admin", ())
        [old] = service.webhooks(admin)
        assert (old.active, old.owner_id, old.last_error) == (False, None, "geen eigenaar")
        assert service.webhooks(coordinator) == []
    finally:
        service.engine.dispose()


# --- Standard Webhooks signatures --------------------------------------------------------------------

def deliver_one(api: httpx.Client, service: Service, receiver: Receiver, at: datetime) -> tuple[bytes, dict[str, str]]:
    """Open a case and deliver at ``at``: the one request the receiver got."""
    before = len(receiver.requests)
    open_case(api)
    service.deliver_webhooks(at)
    assert len(receiver.requests) == before + 1
    return receiver.requests[-1]


def test_a_real_delivery_verifies_with_the_standard_webhooks_reference_library(
    api: httpx.Client, running_api: RunningApi, receivers: Callable[..., Receiver],
    delivering: Callable[[str], Service],
) -> None:
    """``Webhook(secret).verify`` accepts the delivery as received and returns its body; another secret,
    a changed body or another ``webhook-id`` is rejected. The body holds ids, types, stages and instants,
    each item with its own ``delivery_id``.
    """
    service, receiver = delivering("127.0.0.1"), receivers()
    secret = service.register_webhook(owner(running_api), receiver.url(), "sw", DEFAULT_NOW).secret
    body, headers = deliver_one(api, service, receiver, datetime.now(UTC))
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    [item] = json.loads(body)["deliveries"]
    assert set(item) == {"delivery_id", "event_id", "case_id", "seq", "type", "pathway", "stage_from", "stage_to",
                         "occurred_at"}
    assert headers["webhook-id"] != item["delivery_id"]
    for wrong_secret, wrong_body, wrong_headers in (
        ("whsec_" + "A" * 44, body, headers), (secret, body.replace(b'"seq":1', b'"seq":2'), headers),
        (secret, body, {**headers, "webhook-id": "msg_ander"}),
    ):
        with pytest.raises(WebhookVerificationError):
            Webhook(wrong_secret).verify(wrong_body, wrong_headers)


def test_a_replayed_delivery_outside_the_tolerance_window_is_rejected(
    api: httpx.Client, running_api: RunningApi, receivers: Callable[..., Receiver],
    delivering: Callable[[str], Service],
) -> None:
    """A delivery captured six minutes ago and sent again now is refused by the library as too old; with
    its timestamp set to now the signature no longer matches.
    """
    service, receiver = delivering("127.0.0.1"), receivers()
    secret = service.register_webhook(owner(running_api), receiver.url(), "replay", DEFAULT_NOW).secret
    body, headers = deliver_one(api, service, receiver, datetime.now(UTC) - timedelta(minutes=6))
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(body, headers)
    restamped = {**headers, "webhook-timestamp": str(int(datetime.now(UTC).timestamp()))}
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(secret).verify(body, restamped)


def test_during_a_rotation_deliveries_verify_with_the_old_and_the_new_secret(
    api: httpx.Client, running_api: RunningApi, clock: ControllableClock, receivers: Callable[..., Receiver],
    delivering: Callable[[str], Service],
) -> None:
    """After ``rotate-secret`` a delivery carries two signatures and the library verifies it with either
    secret; once the 24-hour grace period is over only the new secret signs.
    """
    service, receiver = delivering("127.0.0.1"), receivers()
    registered = service.register_webhook(owner(running_api), receiver.url(), "rotatie", DEFAULT_NOW)
    now = clock.set(datetime.now(UTC))
    rotated = api.post(f"/webhooks/{registered.subscription.id}/rotate-secret", headers=OWNER)
    assert rotated.status_code == httpx.codes.OK, rotated.text
    old, new = registered.secret, rotated.json()["secret"]
    body, headers = deliver_one(api, service, receiver, now)
    assert len(headers["webhook-signature"].split(" ")) == 2  # the old and the new one
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) == json.loads(body)

    after_grace = now + timedelta(hours=24, seconds=1)
    body, headers = deliver_one(api, service, receiver, after_grace)
    msg_id = headers["webhook-id"]
    assert headers["webhook-signature"] == Webhook(new).sign(msg_id, after_grace, body)
    assert Webhook(old).sign(msg_id, after_grace, body) not in headers["webhook-signature"]
