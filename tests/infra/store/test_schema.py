"""The schema as Alembic creates it: it matches the tables the code uses, case events cannot be
changed or deleted, and the migrations run down and up again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, delete, insert, inspect, update
from sqlalchemy.exc import DatabaseError

from infra.store import event_chain, migrate, sign_in_tables, verzuim_tables  # noqa: F401 - registers their tables on metadata
from infra.store.db import make_engine
from infra.store.tables import case_events, cases, metadata
from tests.databases import fresh_pg_database, migrated_sqlite

NOW = datetime(2026, 9, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database of each kind."""
    if request.param == "sqlite":
        yield migrated_sqlite(str(tmp_path_factory.mktemp("schema")))
        return
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the migrated database."""
    made = make_engine(database_url)
    yield made
    made.dispose()


def _one_event(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(cases), {"id": "c1", "pathway": "opp", "definition_version": 1, "school_brin": "14PS03",
                                     "pupil_id": "lln-1", "stage": "concept", "version": 1, "artifacts": {},
                                     "opened_at": NOW, "stage_entered_at": NOW, "updated_at": NOW})
        event = {"case_id": "c1", "seq": 1, "type": "opp_gestart", "command": "start_opp", "stage_from": None,
                 "stage_to": "concept", "payload": {}, "actor_role": "zorgcoordinator", "actor_id": "zc-1",
                 "pathway": "opp", "definition_version": 1, "occurred_at": NOW, "recorded_at": NOW}
        event_chain.link([event], None)
        conn.execute(insert(case_events), event)


EXPRESSION_INDEXES = {"ix_timers_pending_due"}
"""Alembic cannot compare expression indexes; the next test checks they exist."""


def _comparable(_: object, name: str | None, kind: str, *__: object) -> bool:
    return not (kind == "index" and name in EXPRESSION_INDEXES)


def test_the_migrations_create_exactly_the_tables_the_code_uses(engine: Engine) -> None:
    """Alembic finds no difference between the migrated database and the code's schema."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _comparable})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_expression_indexes_exist(engine: Engine) -> None:
    """The index on pending timers' due dates is there (Alembic cannot compare it)."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            found = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
        else:
            found = set(conn.exec_driver_sql("SELECT indexname FROM pg_indexes").scalars())
    assert found >= EXPRESSION_INDEXES


def test_case_events_cannot_be_changed(engine: Engine) -> None:
    """The history is append-only: an UPDATE is refused by the database itself."""
    _one_event(engine)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(update(case_events).values(type="iets_anders"))


def test_case_events_cannot_be_deleted(engine: Engine) -> None:
    """A DELETE is refused as well."""
    _one_event(engine)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(delete(case_events))


def test_the_migrations_run_down_and_up_again(database_url: str, engine: Engine) -> None:
    """Downgrading to nothing drops every table; upgrading again recreates them."""
    migrate.downgrade(database_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(database_url)
    assert {t.name for t in metadata.sorted_tables} <= set(inspect(engine).get_table_names())
