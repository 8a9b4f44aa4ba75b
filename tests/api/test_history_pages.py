"""A case's history over HTTP, a page at a time: the events after ``after``, at most ``limit`` of them, and a
``Link: <...>; rel="next"`` header while more follow; every page read audited, bad paging refused as malformed.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from infra.store.db import make_engine
from infra.store.sql import SqlUnitOfWork
from infra.store.tables import cases
from tests.api.conftest import RunningApi, bearer
from tests.api.test_cases_api import open_case, problem

EVENTS = 250
NEXT = re.compile(r'^<(?P<url>/cases/[^>]+)>; rel="next"$')


@pytest.fixture(scope="module")
def long_case(running_api: RunningApi) -> str:
    """An OPP case with EVENTS events: opened over HTTP, the rest appended to its history in one transaction as
    the store appends events (the same hash chain), as a case that has lived for years would have them.
    """
    with httpx.Client(base_url=running_api.base_url, headers=bearer("zorgcoordinator"), timeout=30.0) as api:
        case_id = open_case(api)
    engine = make_engine(running_api.database.url)
    try:
        uow = SqlUnitOfWork(engine)
        with uow:
            first = uow.history(case_id)[0]
            uow._insert_events([replace(first, seq=seq, type="notitie_test", stage_from=first.stage_to,
                                        payload={"n": seq}) for seq in range(2, EVENTS + 1)])
            # a case's version is its last event's seq (the next event is version + 1): keep the row true to that
            uow.conn.execute(update(cases).where(cases.c.id == case_id).values(version=EVENTS))
            uow.commit()
        uow.close()
    finally:
        engine.dispose()
    return case_id


def _page(api: httpx.Client, url: str, **params: Any) -> tuple[list[dict[str, Any]], str | None]:
    response = api.get(url, params=params or None)  # httpx drops the url's own query for an empty params
    assert response.status_code == httpx.codes.OK, response.text
    link = response.headers.get("Link")
    following = None
    if link is not None:
        matched = NEXT.match(link)
        assert matched, link
        following = matched["url"]
    return response.json(), following


def _history_reads(api: httpx.Client, case_id: str) -> list[tuple[str, str]]:
    response = api.get("/audit", params={"resource": f"case:{case_id}", "limit": 1000}, headers=bearer("admin"))
    assert response.status_code == httpx.codes.OK, response.text
    return [(r["action"], r["outcome"]) for r in response.json() if r["action"] == "case.history"]


def test_a_history_of_250_events_read_in_pages_of_100_comes_as_100_100_and_50_linked_to_the_next_page(
    api: httpx.Client, long_case: str,
) -> None:
    """The first two pages name the next one in a Link header, the last names none; together they are the
    same entries in the same order as one read of 1000, and each page read is one audit row.
    """
    before = len(_history_reads(api, long_case))
    pages: list[list[dict[str, Any]]] = []
    links: list[str | None] = []
    url: str | None = f"/cases/{long_case}/history?limit=100"
    while url is not None:
        entries, url = _page(api, url)
        pages.append(entries)
        links.append(url)
    assert [len(p) for p in pages] == [100, 100, 50]
    assert links == [f"/cases/{long_case}/history?after=100&limit=100",
                     f"/cases/{long_case}/history?after=200&limit=100", None]
    whole, following = _page(api, f"/cases/{long_case}/history", limit=1000)
    assert following is None
    assert [e for p in pages for e in p] == whole
    assert [e["seq"] for e in whole] == list(range(1, EVENTS + 1))
    assert _history_reads(api, long_case)[:4] == [("case.history", "ok")] * 4
    assert len(_history_reads(api, long_case)) == before + 4


def test_a_history_read_without_paging_gives_the_first_100_events_and_a_link_to_the_rest(
    api: httpx.Client, long_case: str,
) -> None:
    entries, following = _page(api, f"/cases/{long_case}/history")
    assert [e["seq"] for e in entries] == list(range(1, 101))
    assert following == f"/cases/{long_case}/history?after=100&limit=100"


def test_a_page_that_ends_exactly_at_the_last_event_names_no_next_page(api: httpx.Client, long_case: str) -> None:
    entries, following = _page(api, f"/cases/{long_case}/history", after=150, limit=100)
    assert [e["seq"] for e in entries] == list(range(151, 251))
    assert following is None


def test_a_page_after_the_last_event_is_empty_and_names_no_next_page(api: httpx.Client, long_case: str) -> None:
    assert _page(api, f"/cases/{long_case}/history", after=EVENTS) == ([], None)


def test_a_short_history_comes_whole_in_one_page_without_a_link(api: httpx.Client) -> None:
    case_id = open_case(api)
    entries, following = _page(api, f"/cases/{case_id}/history")
    assert [e["seq"] for e in entries] == [1]
    assert following is None


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"limit": "veel"}, {"after": -1},
                                    {"after": 2_147_483_648}, {"after": "begin"}])
def test_a_history_page_out_of_range_is_malformed_and_reads_nothing(
    api: httpx.Client, long_case: str, params: dict[str, Any],
) -> None:
    """422 in the API's Dutch, and no audit row of a read (nothing was read)."""
    before = _history_reads(api, long_case)
    body = problem(api.get(f"/cases/{long_case}/history", params=params), 422, "invalid-request")
    assert body["detail"].startswith("De aanvraag is onvolledig of onjuist: query.")
    assert _history_reads(api, long_case) == before


@pytest.mark.parametrize("params", [{"limit": 1}, {"limit": 1000}, {"after": 2_147_483_647}])
def test_a_history_page_at_the_edges_of_its_range_is_read(
    api: httpx.Client, long_case: str, params: dict[str, Any],
) -> None:
    assert api.get(f"/cases/{long_case}/history", params=params).status_code == httpx.codes.OK


def test_a_history_page_of_a_case_out_of_scope_is_not_found_as_an_unknown_case_and_audited_so(
    api: httpx.Client, long_case: str,
) -> None:
    other = bearer("zc_elsewhere")
    refused = problem(api.get(f"/cases/{long_case}/history", params={"after": 100, "limit": 10}, headers=other),
                      404, "case-not-found")
    unknown = problem(api.get("/cases/no-such-case/history", params={"after": 100, "limit": 10}, headers=other),
                      404, "case-not-found")
    assert "Link" not in api.get(f"/cases/{long_case}/history", headers=other).headers
    assert refused["detail"] == unknown["detail"].replace("no-such-case", long_case)
    assert _history_reads(api, long_case)[0] == ("case.history", "not-found")
