"""Fixtures for the security suite: the same real uvicorn server, clock, databases and test accounts as the
HTTP API tests (``tests/api/conftest.py``), so every attack runs through real HTTP against a real server,
on SQLite and on PostgreSQL where the database matters; and, for the attacks on storage, the service on a
fresh database of each kind.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service import Service
from tests.api.conftest import api, clock, database, running_api
from tests.databases import fresh_service

__all__ = ["api", "clock", "database", "running_api", "service"]


@pytest.fixture(params=["sqlite", "postgres"])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a freshly migrated database of each kind, with its own data folder (key, checkpoints)."""
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built
