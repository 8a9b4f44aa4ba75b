"""Server-sent events: the case events of your scope as they are recorded.

Resume with the ``Last-Event-ID`` header (or ``after``): the stream continues after that event. A
stream ends after ``wait_s`` seconds (clients such as EventSource reconnect by themselves, sending
``Last-Event-ID``); a comment line keeps idle connections open.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from api.deps import NowDep, PrincipalDep, ServiceDep
from api.schemas import problem_responses

router = APIRouter(prefix="/events", tags=["events"])
POLL_S = 0.25
KEEPALIVE_S = 15.0


@router.get("/stream", response_class=StreamingResponse, responses={
    **problem_responses(401, 422), 200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                                         "description": "id: <n>, event: case_event, data: JSON of the event"}})
def stream(
    principal: PrincipalDep, service: ServiceDep, now: NowDep,
    last_event_id: Annotated[str | None, Header(pattern=r"^[0-9]{1,18}$")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="resume after this event id")] = None,
    wait_s: Annotated[float, Query(gt=0, le=300, description="how long the stream stays open")] = 30.0,
) -> StreamingResponse:
    """The events of the cases you may see, from now on (or after ``Last-Event-ID``)."""
    position = service.stream_start(principal, int(last_event_id) if last_event_id else after, now)
    return StreamingResponse(_events(service, principal, position, wait_s), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _events(service: ServiceDep, principal: PrincipalDep, position: int, wait_s: float) -> Iterator[str]:
    yield "retry: 2000\n\n"
    deadline, idle_since = time.monotonic() + wait_s, time.monotonic()
    while time.monotonic() < deadline:
        for event in service.events_after(principal, position):
            position = event.id
            data = {**asdict(event), "occurred_at": event.occurred_at.isoformat()}
            yield f"id: {event.id}\nevent: case_event\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
            idle_since = time.monotonic()
        if time.monotonic() - idle_since > KEEPALIVE_S:
            yield ": keepalive\n\n"
            idle_since = time.monotonic()
        time.sleep(POLL_S)
