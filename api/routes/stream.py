"""Server-sent events: the case events of your scope as they are recorded.

Resume with the ``Last-Event-ID`` header (or ``after``): the stream continues after that event. A
stream ends after ``wait_s`` seconds (clients such as EventSource reconnect by themselves, sending
``Last-Event-ID``); a comment line keeps idle connections open. A user may hold a few streams at once
(``LEERLINGROUTE_STREAMS_PER_USER``, 5) and the server a few hundred (``LEERLINGROUTE_STREAMS_TOTAL``,
500); one more is refused with 429. A waiting stream holds no worker thread (see :mod:`api.streaming`),
and a stream whose client has gone ends at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from api.deps import NowDep, PrincipalDep, ServiceDep
from api.errors import problem
from api.schemas import problem_responses
from api.streaming import Streams
from domain.access import Principal
from service import Service

router = APIRouter(prefix="/events", tags=["events"])
KEEPALIVE_S = 15.0
DISCONNECT_CHECK_S = 1.0
"""A waiting stream looks at least this often whether its client is still there."""
RETRY_AFTER_S = 60


class _SlotResponse(StreamingResponse):
    """A stream that gives its slot back however it ends (done, client gone, server stopping)."""

    def __init__(self, content: AsyncIterator[str], release: Callable[[], None]) -> None:
        super().__init__(content, media_type="text/event-stream",
                         headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


@router.get("/stream", response_class=StreamingResponse, responses={
    **problem_responses(401, 403, 422, 429),
    200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
          "description": "id: <n>, event: case_event, data: JSON of the event"}})
async def stream(
    request: Request, principal: PrincipalDep, service: ServiceDep, now: NowDep,
    last_event_id: Annotated[str | None, Header(pattern=r"^[0-9]{1,18}$")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="resume after this event id")] = None,
    wait_s: Annotated[float, Query(gt=0, le=300, description="how long the stream stays open")] = 30.0,
) -> Response:
    """The events of the cases you may see, from now on (or after ``Last-Event-ID``)."""
    streams: Streams = request.app.state.streams
    refused = streams.open(principal.user_id)
    if refused is not None:
        return problem(429, "too-many-streams", "Too many open event streams", refused,
                       {"Retry-After": str(RETRY_AFTER_S)})
    try:
        position = await run_in_threadpool(
            service.stream_start, principal, int(last_event_id) if last_event_id else after, now)
    except BaseException:
        streams.close(principal.user_id)
        raise
    return _SlotResponse(_events(request, streams, service, principal, position, wait_s),
                         lambda: streams.close(principal.user_id))


async def _events(request: Request, streams: Streams, service: Service, principal: Principal, position: int,
                  wait_s: float) -> AsyncIterator[str]:
    """The stream's lines: waits on the shared watch, reads on a worker thread only when there is news."""
    yield "retry: 2000\n\n"
    deadline = idle_since = time.monotonic()
    deadline += wait_s
    read_up_to: int | None = None  # the high-water mark the last complete read covered
    while (remaining := deadline - time.monotonic()) > 0:
        if await request.is_disconnected():
            return
        if read_up_to is None or streams.newer_than(read_up_to):
            batch = await run_in_threadpool(service.events_after, principal, position)
            for event in batch.events:
                position = event.id
                data = {**asdict(event), "occurred_at": event.occurred_at.isoformat()}
                yield f"id: {event.id}\nevent: case_event\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
                idle_since = time.monotonic()
            if not batch.complete:
                continue
            read_up_to = batch.high_water
        if time.monotonic() - idle_since >= KEEPALIVE_S:
            yield ": keepalive\n\n"
            idle_since = time.monotonic()
        await streams.wait_past(read_up_to, min(remaining, DISCONNECT_CHECK_S,
                                                KEEPALIVE_S - (time.monotonic() - idle_since)))
