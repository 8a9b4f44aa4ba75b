"""Fixtures for the HTTP API tests: a real uvicorn server on a free local port, a clock the
tests move by hand, and a database per parameter (SQLite always; PostgreSQL when
``LEERLINGROUTE_TEST_PG_URL`` names a server).

The server and its database live for the whole session (one per database); every test
opens its own cases, so tests do not depend on each other or on their order.

Who acts is an account with an API token, made through ``infra.identity.accounts`` on the test database
when the server starts: ``bearer(key)`` gives the ``Authorization`` header of one of ``USERS``.
The tokens are random per test session (the same on both databases).
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from infra.identity import accounts
from infra.settings import Settings
from infra.store.tables import simulated_clock
from service import Service
from tests.databases import fresh_pg_database, migrated_sqlite

DEFAULT_NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
"""Where the clock stands at the start of every test (a Thursday morning, school year 2026-27)."""
USERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "zorgcoordinator": ("zorgcoordinator", ("14PS03", "14PS00", "00KX00")),
    "swv_coordinator": ("swv_coordinator", ("standaard", "VO3102")),
    "bto": ("bto", ("standaard", "VO3102")),
    "admin": ("admin", ()),
    "leerplicht": ("leerplicht", ("0957",)),
    "leerplicht_elsewhere": ("leerplicht", ("0935",)),
    "deskundige": ("deskundige", ()),
    "zc_elsewhere": ("zorgcoordinator", ("20XY00",)),
    "swv_elsewhere": ("swv_coordinator", ("PO3104",)),
    "revoked": ("zorgcoordinator", ("14PS03", "14PS00")),
    "expired": ("zorgcoordinator", ("14PS03", "14PS00")),
}
"""Test accounts by key: role and scopes. The standard profile's cases belong to the pseudo-SWV
``standaard``; 'revoked' is revoked and 'expired' expired before DEFAULT_NOW."""
TOKENS = {key: secrets.token_urlsafe(24) for key in USERS}


def bearer(key: str) -> dict[str, str]:
    """The Authorization header of the test account ``key``."""
    return {"Authorization": f"Bearer {TOKENS[key]}"}


ZORGCOORDINATOR = bearer("zorgcoordinator")
STARTUP_TIMEOUT_S = 20.0
SHUTDOWN_TIMEOUT_S = 20.0


class ControllableClock:
    """The API's clock: it reads the instant the test last set, and never moves by itself."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> datetime:
        """Move the clock to ``instant`` (timezone-aware) and return it."""
        if instant.tzinfo is None:
            msg = "the clock takes timezone-aware instants only"
            raise ValueError(msg)
        with self._lock:
            self._now = instant
        return instant


@dataclass(frozen=True)
class Database:
    """A migrated database the API under test runs on."""

    kind: str
    url: str


@dataclass(frozen=True)
class RunningApi:
    """A uvicorn server serving the API, the clock it reads, and the test accounts' user ids."""

    base_url: str
    clock: ControllableClock
    database: Database
    user_ids: dict[str, str]


def make_test_users(service: Service) -> dict[str, str]:
    """Every account of USERS, with its token of TOKENS; their user ids by key."""
    ids = {}
    for key, (role, scopes) in USERS.items():
        created = DEFAULT_NOW - timedelta(days=100) if key == "expired" else DEFAULT_NOW - timedelta(days=1)
        days = 90 if key == "expired" else 3000
        user, _ = accounts.create_user(service.engine, role, scopes, created, service.swv_codes(),
                                       name=f"test-{key}".replace("_", "-"), days=days, token=TOKENS[key])
        if key == "revoked":
            accounts.revoke_user(service.engine, user.id, DEFAULT_NOW - timedelta(hours=1))
        ids[key] = user.id
    return ids


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A fresh, migrated database: a SQLite file, or a newly created PostgreSQL database that is
    dropped again at the end of the session.
    """
    kind: str = request.param
    if kind == "sqlite":
        yield Database(kind, migrated_sqlite(str(tmp_path_factory.mktemp("sqlite"))))
        return
    with fresh_pg_database() as url:
        yield Database(kind, url)


def _free_socket() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1 (the OS picks the port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _wait_until_healthy(base_url: str, server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error: Exception | None = None
    with httpx.Client(base_url=base_url, timeout=2.0) as probe:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                pytest.fail("the API server thread stopped during startup", pytrace=False)
            if server.started:
                try:
                    if probe.get("/health").status_code == httpx.codes.OK:
                        return
                except httpx.TransportError as error:
                    last_error = error
            time.sleep(0.02)
    pytest.fail(f"the API did not answer /health within {STARTUP_TIMEOUT_S} s: {last_error!r}", pytrace=False)


@pytest.fixture(scope="session")
def running_api(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    """The API over a real HTTP socket, served by uvicorn in a background thread."""
    settings = Settings(database_url=database.url, data_dir=tmp_path_factory.mktemp("data"),
                        opp_termijn_weken=6, opp_evaluatie_maanden=12)
    service = Service.from_settings(settings)
    user_ids = make_test_users(service)
    clock = ControllableClock(DEFAULT_NOW)
    try:
        with serving(create_app(service, clock), "api-server") as base_url:
            yield RunningApi(base_url, clock, database, user_ids)
    finally:
        service.engine.dispose()


@contextmanager
def serving_settings(settings: Settings, clock: ControllableClock, name: str) -> Iterator[str]:
    """The app over a service built from ``settings`` (another server on a suite's database, with other
    limits, say), served as :func:`serving` serves it; its base URL. The service's engine is disposed after.
    """
    service = Service.from_settings(settings)
    try:
        with serving(create_app(service, clock), name) as base_url:
            yield base_url
    finally:
        service.engine.dispose()


@contextmanager
def serving(app: FastAPI, name: str) -> Iterator[str]:
    """``app`` served by uvicorn in a background thread on a free local port; its base URL."""
    sock = _free_socket()
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    base_url = f"http://{host}:{port}"
    try:
        _wait_until_healthy(base_url, server, thread)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_S)
        sock.close()
        if thread.is_alive():
            pytest.fail(f"the server thread {name} did not shut down", pytrace=False)


@pytest.fixture
def clock(running_api: RunningApi) -> ControllableClock:
    """The API's clock, set back to DEFAULT_NOW for this test."""
    running_api.clock.set(DEFAULT_NOW)
    return running_api.clock


@pytest.fixture
def api(running_api: RunningApi, clock: ControllableClock) -> Iterator[httpx.Client]:
    """An HTTP client for the running API, acting as a zorgcoordinator by default."""
    del clock  # requested so that every test starts at DEFAULT_NOW
    with httpx.Client(base_url=running_api.base_url, headers=ZORGCOORDINATOR, timeout=30.0) as client:
        yield client


def simulated_instance(database: str, tmp_path_factory: pytest.TempPathFactory, start: datetime) -> Iterator[str]:
    """An oefenomgeving (``LEERLINGROUTE_CLOCK=simulated``) on a database of its own, ``database`` "sqlite" or
    "postgresql" (the suite's shared one runs on the real clock), its clock at ``start``, served over HTTP with
    the app's own clock (``service.now``) and the test users: its base URL.
    """
    def served(url: str) -> Iterator[str]:
        settings = Settings(database_url=url, data_dir=tmp_path_factory.mktemp("data"), clock="simulated")
        service = Service.from_settings(settings)
        make_test_users(service)
        with service.engine.begin() as conn:
            conn.execute(simulated_clock.insert().values(id=1, simulated_at=start, set_at=datetime.now(UTC)))
        try:
            with serving(create_app(service), "simulated-api") as base_url:
                yield base_url
        finally:
            service.engine.dispose()

    if database == "sqlite":
        yield from served(migrated_sqlite(str(tmp_path_factory.mktemp("sqlite"))))
        return
    with fresh_pg_database() as url:
        yield from served(url)
