"""The inbox's alert groups through HTTP, beside the per-alert API that stays as it was: alerts of one kind about
one pupil are one group with its newest alert and counts; a group's alerts are listed; acknowledging the group
acknowledges them all (a later alert opens it again); another scope gets 404 and sees nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from infra.delivery.alerts import NewAlert, raise_alerts
from infra.settings import Settings
from service import Service
from tests.api.conftest import DEFAULT_NOW, RunningApi, bearer

ELSEWHERE = bearer("zc_elsewhere")


@pytest.fixture
def service(running_api: RunningApi) -> Iterator[Service]:
    """A second service on the API's database, to raise alerts as verzuim detection does."""
    made = Service.from_settings(Settings(database_url=running_api.database.url))
    yield made
    made.engine.dispose()


def signals(service: Service, pupil: str, first: int, count: int) -> None:
    for n in range(first, first + count):
        new = NewAlert("meldplicht", "zorgcoordinator", "14PS03", f"{pupil}:api-groep:{n}", f"Meldplicht {pupil} {n}",
                       {"signal": f"{pupil}:{n}", "pupil_id": pupil}, None, pupil)
        with service.engine.begin() as conn:
            raise_alerts(conn, [new], DEFAULT_NOW + timedelta(minutes=n))


def group_of(api: httpx.Client, pupil: str, state: str = "new", headers: dict[str, str] | None = None,
             ) -> list[dict[str, Any]]:
    found = api.get("/alerts/groups", params={"state": state, "kind": "meldplicht", "limit": 500},
                    headers=headers or {}).json()["items"]
    return [g for g in found if g["newest"]["pupil_id"] == pupil]


def test_twelve_alerts_about_one_pupil_are_one_group_and_acknowledged_at_once(
        api: httpx.Client, service: Service) -> None:
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    signals(service, pupil, 0, 12)
    [group] = group_of(api, pupil)
    assert (group["updates"], group["unacknowledged"], group["newest"]["title"]) == (12, 12, f"Meldplicht {pupil} 11")
    members = api.get(f"/alerts/{group['newest']['id']}/group").json()
    assert members["total"] == 12
    assert [a["title"] for a in members["items"]][:2] == [f"Meldplicht {pupil} 11", f"Meldplicht {pupil} 10"]
    done = api.post(f"/alerts/{group['newest']['id']}/acknowledge-group", json={"note": "Gemeld bij DUO"})
    assert done.status_code == httpx.codes.OK
    assert sorted(done.json()["acknowledged"]) == sorted(a["id"] for a in members["items"])
    assert group_of(api, pupil) == []
    [handled] = group_of(api, pupil, "acknowledged")
    assert (handled["updates"], handled["unacknowledged"], handled["newest"]["note"]) == (12, 0, "Gemeld bij DUO")
    one = api.get(f"/alerts/{members['items'][5]['id']}").json()
    assert one["note"] == "Gemeld bij DUO"

    signals(service, pupil, 12, 1)
    [again] = group_of(api, pupil)
    assert (again["updates"], again["unacknowledged"]) == (13, 1)


def test_another_scope_sees_no_group_and_gets_404_for_its_alerts(api: httpx.Client, service: Service) -> None:
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    signals(service, pupil, 0, 2)
    [group] = group_of(api, pupil)
    newest = group["newest"]["id"]
    assert group_of(api, pupil, "all", ELSEWHERE) == []
    assert api.get(f"/alerts/{newest}/group", headers=ELSEWHERE).status_code == httpx.codes.NOT_FOUND
    refused = api.post(f"/alerts/{newest}/acknowledge-group", json={}, headers=ELSEWHERE)
    assert refused.status_code == httpx.codes.NOT_FOUND
    [still] = group_of(api, pupil)
    assert still["unacknowledged"] == 2


def test_a_group_page_refuses_a_wrong_state_or_limit_in_dutch(api: httpx.Client) -> None:
    assert api.get("/alerts/groups", params={"state": "weg"}).status_code == httpx.codes.UNPROCESSABLE_ENTITY
    assert api.get("/alerts/groups", params={"limit": 0}).status_code == httpx.codes.UNPROCESSABLE_ENTITY
    assert api.post("/alerts/x/acknowledge-group", json={"note": "n" * 2001}).status_code == \
        httpx.codes.UNPROCESSABLE_ENTITY
