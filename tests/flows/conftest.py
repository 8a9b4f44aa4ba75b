"""A Prefect test server for the session, and a fresh SQLite database the flows' service uses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect.settings import PREFECT_API_URL
from prefect.testing.utilities import prefect_test_harness

from flows._service import service
from tests.databases import migrated_sqlite


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """A temporary Prefect server (its own SQLite database); the API URL is set while it runs."""
    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


@pytest.fixture
def flow_database(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the flows' service at a new migrated database."""
    url = migrated_sqlite(str(tmp_path_factory.mktemp("flows")))
    monkeypatch.setenv("LEERLINGROUTE_DATABASE_URL", url)
    service.cache_clear()
    yield url
    service().engine.dispose()
    service.cache_clear()
