"""The flows, run by Prefect: timers fire once however often the sweep runs; the outbox reaches
Prefect as events with deterministic ids, and nothing is marked relayed that did not arrive.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from domain.case import Actor, Command
from domain.handlers import NewCase
from domain.ports import OutboxItem
from flows._service import service
from flows.fire_due_timers import fire_due_timers
from flows.relay_events import relay_events
from infra.delivery.prefect_events import PrefectUnavailable, emit_to_prefect, event_id

ZC = Actor("zorgcoordinator", "zc-1")


def open_opp(started: datetime, pupil: str = "lln-1") -> str:
    command = Command("start_opp", ZC, {"extra_ondersteuning_sinds": started.date().isoformat()})
    return service().open_case(NewCase("opp", "14PS03", pupil), command, started).case_id


def event_types(case_id: str) -> list[str]:
    return [e.type for e in service().history(case_id)]


def pending_count() -> int:
    with service().unit_of_work() as uow, uow:
        return len(uow.pending_outbox(10_000))


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_api", "flow_database")
def test_the_sweep_flow_fires_a_due_timer_once_even_when_it_runs_twice() -> None:
    """Two runs of fire_due_timers at the same instant: one 'OPP te laat' event."""
    started = datetime.now(UTC) - timedelta(weeks=8)
    case_id = open_opp(started)
    as_of = datetime.now(UTC)
    first = fire_due_timers(as_of=as_of)
    second = fire_due_timers(as_of=as_of)
    assert (first["fired"], second["fired"]) == (1, 0)
    assert event_types(case_id) == ["opp_gestart", "opp_te_laat"]


@pytest.mark.prefect
@pytest.mark.usefixtures("flow_database")
def test_the_relay_flow_delivers_every_outbox_event_to_prefect_with_deterministic_ids(prefect_api: str) -> None:
    """The events arrive with id uuid5(case:seq) and resource leerlingroute.case.<id>; the outbox empties."""
    case_id = open_opp(datetime.now(UTC))
    service().handle(case_id, Command("leg_handelingsdeel_voor", ZC), datetime.now(UTC))
    assert relay_events() == 2
    assert (pending_count(), relay_events()) == (0, 0)
    with service().unit_of_work() as uow, uow:
        expected = {(f"leerlingroute.opp.{e.type}", str(event_id(_item(case_id, e.seq)))) for e in uow.history(case_id)}
    assert _stored_in_prefect(prefect_api, case_id, len(expected)) == expected


def _stored_in_prefect(api: str, case_id: str, count: int) -> set[tuple[str, str]]:
    """The events Prefect stored for the case; it writes accepted events to its database within seconds."""
    deadline = time.monotonic() + 30
    while True:
        found = httpx.post(f"{api}/events/filter", json={
            "filter": {"resource": {"id": [f"leerlingroute.case.{case_id}"]}}, "limit": 10}, timeout=10).json()
        received = {(e["event"], e["id"]) for e in found["events"]}
        if len(received) >= count or time.monotonic() > deadline:
            return received
        time.sleep(0.5)


@pytest.mark.usefixtures("flow_database")
def test_with_prefect_unreachable_nothing_is_marked_relayed() -> None:
    """The relay raises and every event stays in the outbox, to be relayed when Prefect is back."""
    open_opp(datetime.now(UTC))
    closed_port = "http://127.0.0.1:9/api"
    with temporary_settings({PREFECT_API_URL: closed_port}), pytest.raises(httpx.ConnectError):
        service().relay(emit_to_prefect, datetime.now(UTC))
    assert pending_count() == 1


@pytest.mark.usefixtures("flow_database")
def test_without_a_prefect_api_url_the_relay_says_so() -> None:
    """No PREFECT_API_URL: a clear error instead of a silent ephemeral server."""
    open_opp(datetime.now(UTC))
    with temporary_settings({PREFECT_API_URL: ""}), pytest.raises(PrefectUnavailable, match="PREFECT_API_URL"):
        service().relay(emit_to_prefect, datetime.now(UTC))
    assert pending_count() == 1


def _item(case_id: str, seq: int) -> OutboxItem:
    """An outbox item as far as its event id goes (case and sequence number)."""
    return OutboxItem(0, case_id, seq, "", "opp", None, "", datetime.now(UTC))


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_api", "flow_database")
def test_the_relay_flow_run_makes_the_hand_off_once_and_relays_what_it_opened() -> None:
    """An impasse in the zorgplicht: the relay_events flow run starts the thuiszitterwacht, relays its event too,
    and a second run opens nothing more.
    """
    now = datetime.now(UTC)
    command = Command("registreer_aanmelding", ZC, {"aangemeld_op": now.date().isoformat(), "schriftelijk": True})
    case_id = service().open_case(NewCase("zorgplicht", "14PS03", "lln-z"), command, now).case_id
    service().handle(case_id, Command("meld_impasse", ZC, {"toelichting": "geen plek"}), now)
    assert relay_events() == 3  # the aanmelding, the impasse, and the watch the hand-off opened
    assert relay_events() == 0
    pathways = sorted(c.pathway for c in service().timeline("lln-z", datetime.now(UTC)))
    assert pathways == ["thuiszitterwacht", "zorgplicht"]
