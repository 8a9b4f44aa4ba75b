"""The weekly report flow, run by Prefect: every profile's digest is stored and announced as a
``leerlingroute.digest.stalled_pathways`` event with counts only.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from domain.case import Actor, Command
from domain.handlers import NewCase
from flows._service import service
from flows.report_stalled_pathways import report_stalled_pathways
from infra.delivery.prefect_events import PrefectUnavailable, emit_digest_events

ZC = Actor("zorgcoordinator", "zc-1")
PERSIST_TIMEOUT_S = 30.0


def open_opp(started: datetime, profile: str) -> str:
    command = Command("start_opp", ZC, {"extra_ondersteuning_sinds": started.date().isoformat()})
    return service().open_case(NewCase("opp", "14PS03", "lln-1", profile), command, started).case_id


def persisted_events(prefect_api: str, resource: str) -> list[dict[str, Any]]:
    """The events on ``resource``, once the server has stored them: it confirms an event when it
    receives it and writes it to its database in batches a few seconds later, so this polls.
    """
    deadline = time.monotonic() + PERSIST_TIMEOUT_S
    while True:
        found: list[dict[str, Any]] = httpx.post(f"{prefect_api}/events/filter", json={
            "filter": {"resource": {"id": [resource]}}, "limit": 10}, timeout=10).json()["events"]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.mark.prefect
@pytest.mark.usefixtures("flow_database")
def test_the_report_flow_stores_a_digest_per_profile_and_announces_the_counts(prefect_api: str) -> None:
    """An OPP 8 weeks in concept under VO 31-02 is stalled and its deadline overdue: the flow returns the
    totals, stores each profile's digest of the week, and Prefect receives the counts (no case ids).
    """
    as_of = datetime.now(UTC)
    case_id = open_opp(as_of - timedelta(weeks=8), "vo-31-02")
    assert report_stalled_pathways(as_of=as_of) == {"profiles": 3, "stalled": 1, "overdue": 1}
    stored = service().latest_digest("vo-31-02")
    assert [s["case_id"] for s in stored.content["stalled_cases"]] == [case_id]
    assert service().latest_digest("zuid-limburg-po").content["stalled"] == 0
    found = persisted_events(prefect_api, "leerlingroute.swv.vo-31-02")
    assert [(e["event"], e["payload"]["stalled"], e["payload"]["overdue"], e["payload"]["stalled_per_stage"])
            for e in found] == [("leerlingroute.digest.stalled_pathways", 1, 1, {"opp": {"concept": 1}})]
    assert case_id not in str(found)


@pytest.mark.usefixtures("flow_database")
def test_without_a_prefect_api_url_the_digests_are_not_announced_and_it_says_so() -> None:
    """No PREFECT_API_URL: a clear error instead of a silent ephemeral server (the digest itself is stored)."""
    digest = service().write_digest("vo-31-02", datetime.now(UTC), datetime.now(UTC))
    with temporary_settings({PREFECT_API_URL: ""}), pytest.raises(PrefectUnavailable, match="PREFECT_API_URL"):
        emit_digest_events([digest])
    assert service().latest_digest("vo-31-02").week == digest.week
