"""The Prefect adapter: outbox items become Prefect events with deterministic ids.

``prefect.events.emit_event`` hands events to a background worker and swallows errors,
so a relay built on it could mark rows relayed that never arrived. We build the same
``Event`` objects and POST each batch to the server's ``/events`` endpoint, which answers only
when it accepted them and raises otherwise; the rows are marked relayed after that answer. The
server de-duplicates by event id. Events carry ids and stages only: no names, no payload content.

The weekly stalled-pathways digests are announced the same way, one event per SWV profile with
the counts only (the cases themselves are in the stored digest).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC

import httpx
from prefect.events import Event
from prefect.settings import PREFECT_API_URL

from domain.ports import OutboxItem
from domain.stalled import Digest

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
    """POST the batch to the server's events endpoint; a 2xx means the server accepted every event
    (it de-duplicates by event id, so a batch sent twice after a crash is harmless).
    """
    body = [event.model_dump(mode="json") for event in events]
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(f"{api_url.rstrip('/')}/events", json=body)
        response.raise_for_status()


def to_digest_event(digest: Digest) -> Event:
    """The event announcing a digest: ``leerlingroute.digest.stalled_pathways`` on resource
    ``leerlingroute.swv.<profile>``, payload counts only, occurring when it is sent (``as_of`` is in
    the payload). A retried run (same profile and as_of) gets the same id; a later run of the same
    week is a new event.
    """
    return Event(
        id=uuid.uuid5(EVENT_NAMESPACE, f"digest:{digest.profile}:{digest.as_of.astimezone(UTC).isoformat()}"),
        event="leerlingroute.digest.stalled_pathways",
        resource={"prefect.resource.id": f"leerlingroute.swv.{digest.profile}",
                  "prefect.resource.name": f"SWV-profiel {digest.profile}"},
        payload=digest.counts(),
    )


def emit_digest_events(digests: Sequence[Digest]) -> None:
    """Announce the digests and wait until the server confirmed them; raise if it can't."""
    api_url = PREFECT_API_URL.value()
    if not api_url:
        msg = "PREFECT_API_URL is not set: there is no Prefect server to announce the digests to"
        raise PrefectUnavailable(msg)
    if digests:
        asyncio.run(_send(api_url, [to_digest_event(d) for d in digests]))
