"""The Prefect adapter: outbox items become Prefect events with deterministic ids.

``prefect.events.emit_event`` hands events to a background worker and swallows errors,
so a relay built on it could mark rows relayed that never arrived. We build the same
``Event`` objects and send them with Prefect's events client, which raises when the
server cannot be reached; the batch is confirmed by a websocket ping before the rows
are marked relayed. Events carry ids and stages only: no names, no payload content.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from prefect.events import Event
from prefect.events.clients import PrefectEventsClient
from prefect.settings import PREFECT_API_URL

from domain.ports import OutboxItem

EVENT_NAMESPACE = uuid.UUID("6f1c2d4e-8a57-4b0e-9a51-3c1f0e2b7d90")


class PrefectUnavailable(RuntimeError):
    """No Prefect API to relay to."""


def event_id(item: OutboxItem) -> uuid.UUID:
    """The same outbox item always becomes the same event id (receivers can de-duplicate)."""
    return uuid.uuid5(EVENT_NAMESPACE, f"{item.case_id}:{item.seq}")


def to_prefect_event(item: OutboxItem) -> Event:
    """The Prefect event for one outbox item; resource ``leerlingroute.case.<id>``."""
    return Event(
        id=event_id(item),
        occurred=item.occurred_at,
        event=f"leerlingroute.{item.pathway}.{item.type}",
        resource={"prefect.resource.id": f"leerlingroute.case.{item.case_id}",
                  "prefect.resource.name": f"case {item.case_id}"},
        related=[{"prefect.resource.id": f"leerlingroute.pathway.{item.pathway}",
                  "prefect.resource.role": "pathway"}],
        payload={"seq": item.seq, "stage_from": item.stage_from, "stage_to": item.stage_to},
    )


def emit_to_prefect(items: Sequence[OutboxItem]) -> None:
    """Send the items as events and wait until the server confirmed them; raise if it can't."""
    api_url = PREFECT_API_URL.value()
    if not api_url:
        msg = "PREFECT_API_URL is not set: there is no Prefect server to relay events to"
        raise PrefectUnavailable(msg)
    asyncio.run(_send(api_url, [to_prefect_event(i) for i in items]))


async def _send(api_url: str, events: list[Event]) -> None:
    client = PrefectEventsClient(api_url=api_url, reconnection_attempts=2, checkpoint_every=len(events))
    async with client:
        for event in events:
            await client.emit(event)
