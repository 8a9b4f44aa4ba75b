"""The same persistence suite on the fake, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text

from domain.ports import UnitOfWork
from infra.store import sign_in_tables, verzuim_tables  # noqa: F401 - registers their tables on metadata
from infra.store.db import make_engine
from infra.store.memory import MemoryStore, MemoryUnitOfWork
from infra.store.sql import SqlUnitOfWork
from infra.store.tables import metadata
from tests.databases import fresh_pg_database, migrated_sqlite

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """One migrated PostgreSQL database for the session; tables are emptied per test."""
    with fresh_pg_database() as url:
        engine = make_engine(url, pool_size=10)
        yield engine
        engine.dispose()


def _empty(engine: Engine) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        # audit_log and case_events refuse TRUNCATE (their triggers); a superuser's replica session skips them
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {names}"))


@pytest.fixture(params=["fake", "sqlite", "postgres"])
def new_uow(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UowFactory]:
    """A factory of units of work on one empty store of the parametrised kind."""
    if request.param == "fake":
        store = MemoryStore()
        yield lambda: MemoryUnitOfWork(store)
        return
    if request.param == "sqlite":
        engine = make_engine(migrated_sqlite(str(tmp_path_factory.mktemp("sqlite"))))
    else:
        engine = request.getfixturevalue("pg_engine")
        _empty(engine)
    made: list[SqlUnitOfWork] = []

    def factory() -> UnitOfWork:
        made.append(SqlUnitOfWork(engine))
        return made[-1]

    yield factory
    for uow in made:
        uow.close()
    if request.param == "sqlite":
        engine.dispose()
