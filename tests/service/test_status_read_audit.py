"""A status read over the API (SQLite, and PostgreSQL when LEERLINGROUTE_TEST_PG_URL is set): the read runs
without a transaction and its audit row commits through the group-committing writer before the answer is given,
and every read is exactly one chained row (``ok``, or ``not-found`` for an unknown or out-of-scope case, which
answer alike); on PostgreSQL it takes eight round trips, the token lookup included, and a pooled connection the
server closed is replaced unseen.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from api.app import create_app
from domain.case import Actor, Command
from domain.errors import CaseNotFound, PupilNotFound
from domain.handlers import NewCase
from infra.identity import accounts, audit
from service import Service
from tests.databases import fresh_service, pg_base_url

NOW = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
PG_ROUND_TRIPS = 8
"""Token lookup, the case, its hand-offs (case_links), each on its own (autocommit); then the group-committing
writer's transaction: BEGIN, the audit lock, the chain's last row, the insert, COMMIT."""
SQLITE_STATEMENTS = 8
"""Token lookup; the case; its hand-offs (case_links); the writer's BEGIN IMMEDIATE, the chain's last row, the insert
(and its trigger refusing a REPLACE, which SQLite's trace reports as a statement of its own), COMMIT."""
REFUSED_READ = 1
"""A case out of scope is refused before its hand-offs are read: one statement or round trip fewer."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a freshly migrated database of each kind."""
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built


class Setup:
    """A zorgcoördinator's case, their token and a token of a zorgcoördinator of another school."""

    def __init__(self, service: Service) -> None:
        codes = service.swv_codes()
        _, self.token = accounts.create_user(service.engine, "zorgcoordinator", ["14PS03"], NOW, codes)
        _, self.stranger = accounts.create_user(service.engine, "zorgcoordinator", ["20XY00"], NOW, codes)
        self.principal = accounts.authenticate(service.engine, self.token, NOW)
        command = Command("start_opp", Actor("zorgcoordinator", self.principal.user_id),
                          {"extra_ondersteuning_sinds": "2026-09-01"})
        self.case_id = service.open_case(NewCase("opp", "14PS03", "lln-1", "standaard"), command, NOW).case_id
        self.client = TestClient(create_app(service, lambda: NOW))

    def get(self, path: str, token: str | None = None) -> Any:
        return self.client.get(path, headers={"Authorization": f"Bearer {token or self.token}"})


def _rows(service: Service) -> list[tuple[str, str, str, str]]:
    return [(e.user_id, e.action, e.resource, e.outcome) for e in reversed(audit.entries(service.engine))]


def test_every_status_read_is_one_row_ok_or_not_found_and_out_of_scope_reads_like_unknown(service: Service) -> None:
    s = Setup(service)
    stranger = accounts.authenticate(service.engine, s.stranger, NOW)
    ok = s.get(f"/cases/{s.case_id}")
    unknown = s.get("/cases/no-such-case")
    hidden = s.get(f"/cases/{s.case_id}", s.stranger)

    assert ok.status_code == 200
    assert ok.json()["case_id"] == s.case_id
    assert unknown.status_code == hidden.status_code == 404
    assert (unknown.json()["detail"].replace("no-such-case", "{id}")
            == hidden.json()["detail"].replace(s.case_id, "{id}"))
    assert _rows(service) == [(s.principal.user_id, "case.read", f"case:{s.case_id}", "ok"),
                              (s.principal.user_id, "case.read", "case:no-such-case", "not-found"),
                              (stranger.user_id, "case.read", f"case:{s.case_id}", "not-found")]
    assert [e.purpose for e in audit.entries(service.engine)] == ["Dossier inzien"] * 3
    assert audit.verify(service.engine) == audit.Verification(3)


def test_history_and_timeline_reads_are_audited_in_their_own_transaction_too(service: Service) -> None:
    s = Setup(service)
    service.read_history(s.principal, s.case_id, NOW, "Overleg")
    service.read_timeline(s.principal, "lln-1", NOW, None)
    with pytest.raises(CaseNotFound):
        service.read_history(s.principal, "no-such-case", NOW, None)
    with pytest.raises(PupilNotFound):
        service.read_timeline(s.principal, "nobody", NOW, None)

    user = s.principal.user_id
    assert _rows(service) == [(user, "case.history", f"case:{s.case_id}", "ok"),
                              (user, "pupil.read", "pupil:lln-1", "ok"),
                              (user, "case.history", "case:no-such-case", "not-found"),
                              (user, "pupil.read", "pupil:nobody", "not-found")]
    assert audit.entries(service.engine)[-1].purpose == "Overleg"
    assert audit.verify(service.engine) == audit.Verification(4)


def test_concurrent_reads_each_chain_one_row(service: Service) -> None:
    """Reads from four threads at once: each one row, none chained on the same predecessor."""
    s = Setup(service)

    def read(i: int) -> None:
        if i % 3:
            service.read_status(s.principal, s.case_id, NOW, None)
        else:
            with pytest.raises(CaseNotFound):
                service.read_status(s.principal, f"missing-{i}", NOW, None)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(read, range(60)))
    outcomes = [r[3] for r in _rows(service)]
    assert (outcomes.count("ok"), outcomes.count("not-found")) == (40, 20)
    assert audit.verify(service.engine) == audit.Verification(60)


def test_a_status_read_takes_one_lookup_and_one_transaction(service: Service) -> None:
    """Counted at the driver: every statement SQLite runs; every round trip to PostgreSQL (a simple
    query or an extended-protocol Sync in the libpq trace), pool pings included.
    """
    s = Setup(service)
    for _ in range(8):  # warm: pooled connections, psycopg's prepared statements
        s.get(f"/cases/{s.case_id}")
    counted = _count(service, lambda: s.get(f"/cases/{s.case_id}"))
    refused = _count(service, lambda: s.get(f"/cases/{s.case_id}", s.stranger))
    expected = SQLITE_STATEMENTS if service.engine.dialect.name == "sqlite" else PG_ROUND_TRIPS
    assert (counted, refused) == (expected, expected - REFUSED_READ)
    assert audit.verify(service.engine).broken_seq is None


def _count(service: Service, call: Any) -> int:
    """Statements (SQLite) or round trips (PostgreSQL) on the engine's pooled connections during ``call``."""
    service.engine.dispose()  # the connections below are made with the counter attached
    if service.engine.dialect.name == "sqlite":
        seen: list[str] = []

        def on_connect(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.set_trace_callback(seen.append)
        event.listen(service.engine, "connect", on_connect)
        try:
            call()  # connect (pragmas)
            seen.clear()
            call()
        finally:
            event.remove(service.engine, "connect", on_connect)
        return len(seen)
    from psycopg import pq  # noqa: PLC0415 - only with PostgreSQL
    with tempfile.TemporaryFile("w+") as trace:
        def on_connect_pg(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.pgconn.trace(trace.fileno())
            dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        event.listen(service.engine, "connect", on_connect_pg)
        try:
            for _ in range(8):
                call()  # connect, prepare
            trace.flush()
            start = os.fstat(trace.fileno()).st_size
            call()
            trace.seek(start)
            lines = [line.split("\t") for line in trace.read().splitlines()]
        finally:
            event.remove(service.engine, "connect", on_connect_pg)
            service.engine.dispose()
    return sum(1 for p in lines if len(p) > 2 and p[0] == "F" and p[2] in ("Query", "Sync"))


@pytest.mark.postgres
def test_a_pooled_connection_the_server_closed_is_replaced_without_an_error(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every pooled connection terminated by the server (as by a restart): the next reads still answer
    200 and are audited, without a ping per checkout.
    """
    with fresh_service("postgres", tmp_path_factory) as service:
        s = Setup(service)
        with ThreadPoolExecutor(3) as pool:  # several connections in the pool
            list(pool.map(lambda _: s.get(f"/cases/{s.case_id}"), range(12)))
        database = make_url(service.engine.url).database
        admin = create_engine(pg_base_url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                           "WHERE datname = :db AND pid <> pg_backend_pid()"),
                                      {"db": database}).scalar_one()
                deadline = time.monotonic() + 10
                while conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db"),
                                   {"db": database}).scalar_one() and time.monotonic() < deadline:
                    time.sleep(0.05)
        finally:
            admin.dispose()
        assert killed >= 1
        answers = [s.get(f"/cases/{s.case_id}").status_code for _ in range(5)]
        assert answers == [200] * 5
        assert [r[3] for r in _rows(service)][-5:] == ["ok"] * 5
        assert audit.verify(service.engine).broken_seq is None
