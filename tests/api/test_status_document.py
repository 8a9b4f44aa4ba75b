"""The status read answers with JSON serialised straight from the domain's view (api/documents.py), not through
its response model: for every case of a demo year (open terms with their basis and reckoning,
hand-offs both ways, closed cases) it is the very JSON the declared schema gives, and it carries no more.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import orjson
import pytest
from pydantic import BaseModel
from rich.console import Console
from sqlalchemy import select

from api.documents import json_response, shaped
from api.routes.cases import status_document
from api.schemas import CaseStatusOut
from domain.views import CaseStatus, LinkView, with_links
from infra.settings import Settings
from infra.store.tables import cases
from run.demo import run_demo
from service import Service
from tests.databases import migrated_sqlite

START = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def statuses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[CaseStatus]]:
    settings = Settings(database_url=migrated_sqlite(str(tmp_path_factory.mktemp("db"))),
                        data_dir=tmp_path_factory.mktemp("data"))
    service = Service.from_settings(settings)
    run_demo(service, 60, 2026, relay=False, console=Console(file=io.StringIO()))
    now = service.now()
    with service.engine.connect() as conn:
        case_ids = conn.scalars(select(cases.c.id).order_by(cases.c.id)).all()
    found = []
    with service.unit_of_work() as uow, uow:
        for case_id in case_ids:
            plain = service.status(case_id, now)
            found.append(with_links(plain, uow.links_of(case_id), service.registry.reactions))
    hand_off = LinkView(None, None, "tlv_toegekend", "TLV toegekend", "overgeslagen", "al een OPP", START)
    other = LinkView("c-2", "opp", "opp_na_tlv", "OPP na TLV", "geopend", "", START)
    yield [*found, replace(found[0], opened_by=(other,), opened=(hand_off, other))]
    service.engine.dispose()


def test_the_demo_gives_the_kinds_of_status_worth_checking(statuses: list[CaseStatus]) -> None:
    assert len(statuses) > 50
    assert any(t.deadline is not None and t.deadline.reckoning for s in statuses for t in s.open_timers)
    assert any(s.opened_by for s in statuses)
    assert any(s.opened for s in statuses)
    assert any(s.final for s in statuses)
    assert any(c.fields for s in statuses for c in s.next_commands)


def test_every_status_is_the_json_its_schema_gives(statuses: list[CaseStatus]) -> None:
    for found in statuses:
        fast = orjson.loads(json_response(status_document(found)).body)
        assert fast == CaseStatusOut.model_validate(status_document(found)).model_dump(mode="json"), found.case_id


def test_a_status_carries_nothing_its_schema_does_not_declare(statuses: list[CaseStatus]) -> None:
    with_prefill = next(s for s in statuses if s.next_commands)
    document = status_document(with_prefill)
    assert set(document) == set(CaseStatusOut.model_fields)
    assert all("prefilled" not in command for command in document["next_commands"])
    assert all("deadline" not in timer for timer in document["open_timers"])


class _Inner(BaseModel):
    a: int


class _Outer(BaseModel):
    inner: _Inner | None
    inners: list[_Inner]
    at: datetime


def test_shaping_keeps_the_declared_keys_of_nested_models_and_writes_utc_as_z() -> None:
    data = {"inner": {"a": 1, "secret": "x"}, "inners": [{"a": 2, "b": 3}], "at": START, "extra": True}
    document = shaped(_Outer, data)
    assert document == {"inner": {"a": 1}, "inners": [{"a": 2}], "at": START}
    assert orjson.loads(json_response(document).body)["at"] == "2026-09-01T06:00:00Z"
    assert shaped(_Outer, {**data, "inner": None})["inner"] is None
