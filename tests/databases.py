"""Test databases: SQLite files always; PostgreSQL when LEERLINGROUTE_TEST_PG_URL names a server.

On CI (CI=true) a missing PostgreSQL is a failure, never a silent skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from infra.settings import Settings
from infra.store import migrate
from service import Service

PG_URL_VARIABLE = "LEERLINGROUTE_TEST_PG_URL"
BACKENDS = ["sqlite", "postgres"]


def pg_base_url() -> str:
    """The PostgreSQL server to create test databases on; skip (or fail on CI) without one."""
    url = os.environ.get(PG_URL_VARIABLE, "").strip()
    if url:
        return url
    message = f"{PG_URL_VARIABLE} is not set: no PostgreSQL to test against (run tests via .ci/with-postgres)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, migrated PostgreSQL database for this test session; dropped afterwards."""
    base = make_url(pg_base_url())
    name = f"lr_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrated_sqlite(folder: str) -> str:
    """A new, migrated SQLite database file in ``folder``."""
    url = f"sqlite:///{folder}/leerlingroute-{uuid.uuid4().hex[:8]}.db"
    migrate.upgrade(url)
    return url


@contextmanager
def fresh_service(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a freshly migrated database of ``kind`` (sqlite or postgres)."""
    def made(url: str) -> Service:
        return Service.from_settings(Settings(database_url=url, data_dir=tmp_path_factory.mktemp("data")))

    if kind == "sqlite":
        built = made(migrated_sqlite(str(tmp_path_factory.mktemp("sqlite"))))
        yield built
        built.engine.dispose()
        return
    with fresh_pg_database() as url:
        built = made(url)
        yield built
        built.engine.dispose()


@contextmanager
def fresh_engine(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine on a freshly migrated database of ``kind`` (sqlite or postgres)."""
    with fresh_service(kind, tmp_path_factory) as service:
        yield service.engine
