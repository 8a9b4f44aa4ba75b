"""Engines: SQLite in WAL mode by default, PostgreSQL when the URL says so."""

from __future__ import annotations

import select
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

T = TypeVar("T")
Begin: TypeAlias = Callable[[], AbstractContextManager[Connection]]
"""Opens a write's transaction and commits it when the block ends: ``engine.begin``, or the service's
opener that also appends the write's audit row before the commit (:func:`service.audit.write_with_row`)."""


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``; for SQLite the file's folder is created and WAL switched on."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, **{"pool_recycle": POOL_RECYCLE_S, **options})
        event.listen(engine, "checkout", _closed_by_server)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **options)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


SQLITE_PRAGMAS = ("page_size=1024", "journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                  "busy_timeout=30000", "wal_autocheckpoint=40000", "recursive_triggers=ON")
"""Every SQLite connection's settings. A command dirties about seven pages (case row, its stage
index, event and its key, outbox row and its index) and WAL writes each whole: 1 KiB pages
(set when the file is created; a no-op afterwards) write a quarter of what 4 KiB pages do. A
checkpoint every 40,000 pages (~40 MiB) instead of 1,000: each costs two fsyncs on the commit
that triggers it. Measured with bench/throughput.py's raw baseline: ~4,900/s -> ~9,200/s. ``recursive_triggers``:
the rows ``INSERT OR REPLACE`` deletes to make room fire DELETE triggers only with it on, so the append-only
tables' triggers refuse it (migration 0010's BEFORE INSERT triggers refuse it on any connection too)."""


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


POOL_RECYCLE_S = 1800
"""A pooled server connection is replaced once it is half an hour old (see :func:`_closed_by_server`)."""


def _closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection the server has closed, without a round trip; the pool then connects anew.

    Instead of ``pool_pre_ping``, which sent a ping (a round trip) on every checkout, three per API
    status read. A connection idle in the pool is sent nothing, unless the server closed it (restart,
    ``pg_terminate_backend``, ``idle_session_timeout``): then a FATAL message and end-of-file wait on
    its socket, which a zero-timeout poll sees. (The rare asynchronous message on a healthy connection,
    a notice or a changed server setting, costs one needless reconnect.) What a poll cannot see, a
    connection silently dropped on the way (a firewall's idle timeout), a ping could not have caught
    either (it would wait for TCP's timeouts); ``pool_recycle`` bounds how old a pooled connection
    gets, and a statement that fails on a dead connection invalidates the whole pool (SQLAlchemy's
    disconnect handling), so the next checkout connects anew: never a 500 forever.
    """
    if getattr(dbapi_connection, "closed", False):
        raise DisconnectionError
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return
    poller = select.poll()
    poller.register(fileno(), select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError


def dialect_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT on ``table`` in the connection's dialect, which knows ON CONFLICT (both backends)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert_rows(conn: Connection, table: Table, keys: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` in chunks; a row whose ``keys`` exist already updates its other columns."""
    for chunk in chunks(list(rows), UPSERT_CHUNK):
        statement = dialect_insert(conn, table).values(chunk)
        conn.execute(statement.on_conflict_do_update(
            index_elements=[table.c[k] for k in keys],
            set_={name: statement.excluded[name] for name in chunk[0] if name not in keys}))


def chunks(items: list[T], size: int = 500) -> list[list[T]]:
    """``items`` in consecutive lists of at most ``size`` (statements with bounded IN lists / VALUES)."""
    return [items[i:i + size] for i in range(0, len(items), size)]


UPSERT_CHUNK = 500
"""Rows per INSERT: well under SQLite's limit of bound parameters."""
