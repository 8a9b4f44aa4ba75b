"""The stalled-pathways digests through HTTP: the SWV coordinator, the BTO and admins read them (the
latest of a profile, or all of them latest week first, page by page); other roles get 403 in Dutch,
a profile without a digest 404.

Digests are written by the weekly flow, not through the API: the fixture writes them with the
service on the API's own database, for cases opened through HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest

from domain.durations import NL
from infra.settings import Settings
from service import Service
from tests.api.conftest import DEFAULT_NOW, ZORGCOORDINATOR, RunningApi, bearer
from tests.api.test_access import import_reference_data

SWV = bearer("swv_coordinator")
AS_OF = DEFAULT_NOW + timedelta(days=60)
"""Two months after the OPP was opened: in 'concept' longer than VO 31-02's 6-week norm (week 2026-W45)."""


@dataclass(frozen=True)
class Written:
    """What the fixture put in place: a stalled VO 31-02 OPP and digests of several weeks."""

    stalled_case: str


@pytest.fixture(scope="module")
def written(running_api: RunningApi, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Written]:
    """An OPP opened under vo-31-02; its digests of weeks 2026-W40 and W45, and three weeks of the
    standard profile's (2027-W10..W12). No digest is ever written for zuid-limburg-po here.
    """
    running_api.clock.set(DEFAULT_NOW)
    with httpx.Client(base_url=running_api.base_url, headers=ZORGCOORDINATOR, timeout=30.0) as client:
        import_reference_data(client)  # 14PS03 a school of VO3102, whatever ran before
        opened = client.post("/cases", json={
            "pathway": "opp", "school_brin": "14PS03", "pupil_id": "lln-digest-1", "profile": "vo-31-02",
            "payload": {"extra_ondersteuning_sinds": "2026-09-01"}})
    assert opened.status_code == httpx.codes.CREATED, opened.text
    service = Service.from_settings(Settings(database_url=running_api.database.url,
                                             data_dir=tmp_path_factory.mktemp("digests")))
    try:
        service.write_digest("vo-31-02", AS_OF - timedelta(weeks=5), AS_OF)
        service.write_digest("vo-31-02", AS_OF, AS_OF)
        for week in (10, 11, 12):
            service.write_digest("standaard", datetime.fromisocalendar(2027, week, 1).replace(hour=6, tzinfo=NL), AS_OF)
        yield Written(opened.json()["case_id"])
    finally:
        service.engine.dispose()


def weeks(response: httpx.Response) -> list[str]:
    assert response.status_code == httpx.codes.OK, response.text
    return [d["week"] for d in response.json()]


def test_the_swv_coordinator_reads_the_latest_digest_of_a_profile(api: httpx.Client, written: Written) -> None:
    """The latest week's digest, with the stalled OPP (days over its norm) and its passed deadline."""
    response = api.get("/digests/vo-31-02/latest", headers=SWV)
    assert response.status_code == httpx.codes.OK, response.text
    found = response.json()
    assert (found["profile"], found["week"], found["content"]["week"]) == ("vo-31-02", "2026-W45", "2026-W45")
    stalled = next(s for s in found["content"]["stalled_cases"] if s["case_id"] == written.stalled_case)
    assert (stalled["stage"], stalled["norm"], stalled["norm_days"], stalled["days_over"]) == (
        "concept", "P6W", 42, stalled["days_in_stage"] - 42)
    assert stalled["days_over"] > 0
    assert written.stalled_case in {t["case_id"] for t in found["content"]["overdue_timers"]}
    assert "lln-digest-1" not in response.text


@pytest.mark.parametrize("role", ["bto", "admin"])
def test_the_bto_and_admins_read_digests_too(api: httpx.Client, written: Written, role: str) -> None:
    """Both endpoints answer them."""
    del written
    headers = bearer(role)
    assert api.get("/digests/vo-31-02/latest", headers=headers).status_code == httpx.codes.OK
    assert api.get("/digests", headers=headers).status_code == httpx.codes.OK


@pytest.mark.parametrize("path", ["/digests", "/digests/vo-31-02/latest"])
@pytest.mark.parametrize("role", ["zorgcoordinator", "leerplicht", "deskundige"])
def test_other_roles_are_refused_with_403_in_dutch(api: httpx.Client, written: Written, role: str, path: str) -> None:
    """A school's zorgcoordinator, leerplicht and experts do not see the SWV's digest."""
    del written
    response = api.get(path, headers=bearer(role))
    assert response.status_code == httpx.codes.FORBIDDEN
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"].startswith(f"Met de rol '{role}' kunt u de overzichten van vastgelopen trajecten niet")
    assert problem["roles"] == ["admin", "bto", "swv_coordinator"]


def test_the_list_shows_the_latest_week_first_page_by_page(api: httpx.Client, written: Written) -> None:
    """Pages of ``limit`` from ``offset`` run through one profile's digests, latest week first;
    without a profile, every profile's digests are listed.
    """
    del written
    assert weeks(api.get("/digests", params={"profile": "standaard", "limit": 2}, headers=SWV)) == [
        "2027-W12", "2027-W11"]
    assert weeks(api.get("/digests", params={"profile": "standaard", "limit": 2, "offset": 2}, headers=SWV)) == [
        "2027-W10"]
    assert weeks(api.get("/digests", params={"profile": "vo-31-02"}, headers=SWV)) == ["2026-W45", "2026-W40"]
    every = weeks(api.get("/digests", params={"limit": 100}, headers=SWV))
    assert every == sorted(every, reverse=True)
    assert {"2027-W12", "2026-W45"} <= set(every)


def test_a_profile_without_a_digest_is_404_in_dutch(api: httpx.Client, written: Written) -> None:
    """Zuid-Limburg has had no weekly run here yet; neither has a profile that does not exist."""
    del written
    response = api.get("/digests/zuid-limburg-po/latest", headers=SWV)
    assert response.status_code == httpx.codes.NOT_FOUND
    assert response.json()["detail"] == (
        "Voor profiel 'zuid-limburg-po' is nog geen overzicht van vastgelopen trajecten gemaakt.")
    assert api.get("/digests/nergens/latest", headers=SWV).status_code == httpx.codes.NOT_FOUND


@pytest.mark.parametrize("params", [{"profile": "nergens"}, {"limit": 0}, {"limit": 101}, {"offset": -1}])
def test_a_bad_filter_or_page_is_422(api: httpx.Client, params: dict[str, str | int]) -> None:
    """An unknown profile (the known ones are named) or a page out of bounds."""
    response = api.get("/digests", params=params, headers=SWV)
    assert response.status_code == httpx.codes.UNPROCESSABLE_ENTITY
    assert response.headers["content-type"] == "application/problem+json"


def test_a_coordinator_reads_only_the_digests_of_their_own_swv(api: httpx.Client, written: Written) -> None:
    """A PO3104 coordinator sees the zuid-limburg-po digest, not vo-31-02's (404, as if none was written)."""
    del written
    elsewhere = bearer("swv_elsewhere")
    assert {d["profile"] for d in api.get("/digests", headers=elsewhere).json()} <= {"zuid-limburg-po"}
    assert api.get("/digests/vo-31-02/latest", headers=elsewhere).status_code == httpx.codes.NOT_FOUND
