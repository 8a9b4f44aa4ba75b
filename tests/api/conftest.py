"""Fixtures for the HTTP API tests: a real uvicorn server on a free local port, a clock the
tests move by hand, and a database per parameter (SQLite always; PostgreSQL when
``LEERLINGROUTE_TEST_PG_URL`` names a server).

The server and its database live for the whole session (one per database); every test
opens its own cases, so tests do not depend on each other or on their order.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from infra import migrate
from infra.bootstrap import Service
from infra.settings import Settings

PG_URL_VARIABLE = "LEERLINGROUTE_TEST_PG_URL"
DEFAULT_NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
"""Where the clock stands at the start of every test (a Thursday morning, school year 2026-27)."""
ZORGCOORDINATOR = {"X-Actor-Role": "zorgcoordinator", "X-Actor-Id": "u1"}
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
    """A uvicorn server serving the API, and the clock it reads."""

    base_url: str
    clock: ControllableClock
    database: Database


def _pg_base_url() -> str:
    url = os.environ.get(PG_URL_VARIABLE, "").strip()
    if url:
        return url
    message = (f"{PG_URL_VARIABLE} is not set, so the PostgreSQL variant of the API tests cannot run; "
               f"set it to a SQLAlchemy URL such as "
               f"postgresql+psycopg://postgres@127.0.0.1:5432/leerlingroute_test "
               f"(or run the tests through .ci/with-postgres)")
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A fresh, migrated database: a SQLite file, or a newly created PostgreSQL database that is
    dropped again at the end of the session.
    """
    kind: str = request.param
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "leerlingroute.db"
        url = f"sqlite:///{path}"
        migrate.upgrade(url)
        yield Database(kind, url)
        return

    base = make_url(_pg_base_url())
    name = f"leerlingroute_api_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
        try:
            migrate.upgrade(url)
            yield Database(kind, url)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()


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
    clock = ControllableClock(DEFAULT_NOW)
    app = create_app(service, clock)
    sock = _free_socket()
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="api-server", daemon=True)
    thread.start()
    base_url = f"http://{host}:{port}"
    try:
        _wait_until_healthy(base_url, server, thread)
        yield RunningApi(base_url, clock, database)
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_S)
        sock.close()
        service.engine.dispose()
        if thread.is_alive():
            pytest.fail("the API server did not shut down", pytrace=False)


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
