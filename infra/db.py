"""Engines: SQLite in WAL mode by default, PostgreSQL when the URL says so."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

T = TypeVar("T")


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``; for SQLite the file's folder is created and WAL switched on."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **options)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


SQLITE_PRAGMAS = ("page_size=1024", "journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                  "busy_timeout=30000", "wal_autocheckpoint=40000")
"""Every SQLite connection's settings. A command dirties about seven pages (case row, its stage
index, event and its key, outbox row and its index) and WAL writes each whole: 1 KiB pages
(set when the file is created; a no-op afterwards) write a quarter of what 4 KiB pages do. A
checkpoint every 40,000 pages (~40 MiB) instead of 1,000: each costs two fsyncs on the commit
that triggers it. Measured with bench/throughput.py's raw baseline: ~4,900/s -> ~9,200/s."""


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


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
