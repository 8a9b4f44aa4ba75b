"""Escalating unreported meldplicht signals reads the meldplicht alerts of the last weeks: an alert of that kind
whose facts lack what a detection signal has (raised by hand, by an older version or by a test) is passed over,
and does not stop the escalation of the others. SQLite always; PostgreSQL when configured.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from infra.delivery.alerts import NewAlert, raise_alerts
from infra.verzuim import meldingen as verzuim_meldingen
from service import Service
from tests.databases import fresh_service

NOW = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a freshly migrated database of each kind."""
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built


def test_a_meldplicht_alert_without_a_signals_facts_is_passed_over(service: Service) -> None:
    incomplete = [NewAlert("meldplicht", "zorgcoordinator", "14PS03", f"lln-x:{n}:zorgcoordinator", "Meldplicht",
                           facts, None, "lln-x")
                  for n, facts in enumerate([{"pupil_id": "lln-x"}, {"pupil_id": "lln-x", "residence_cbs": "0957",
                                                                     "reached_on": "niet-een-datum"}])]
    with service.engine.begin() as conn:
        raise_alerts(conn, incomplete, NOW)
    assert verzuim_meldingen.escalate(service.engine, service.registry, date(2026, 11, 2), NOW) == []
