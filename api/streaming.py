"""The open event streams of this process: how many each user and all users together may hold, and one
shared watch on the outbox that tells waiting streams when there is something new to read.

A waiting stream holds no worker thread: it awaits the watch (an asyncio event), and reads the database
on a worker thread only when the newest event id has moved past what it last read. The watch itself is
one short query every ``poll_s`` seconds while at least one stream is open, however many are open.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import anyio
import structlog

POLL_S = 0.25
_log = structlog.get_logger(__name__)


class Streams:
    """Slots for open streams (per user and in all) and the watch on the newest event id."""

    def __init__(self, latest_position: Callable[[], int], per_user: int, total: int,
                 poll_s: float = POLL_S) -> None:
        self.per_user = per_user
        self.total = total
        self._latest_position = latest_position
        self._poll_s = poll_s
        self._open: Counter[str] = Counter()
        self._newest = -1
        self._changed: asyncio.Event | None = None
        self._watch: asyncio.Task[None] | None = None

    @property
    def open_count(self) -> int:
        """How many streams are open now."""
        return self._open.total()

    def open(self, user_id: str) -> str | None:
        """Take a slot for a stream of ``user_id``; the Dutch reason it is refused, or None when taken.

        Called on the event loop only (like :meth:`close`), so the count needs no lock.
        """
        if self._open[user_id] >= self.per_user:
            return (f"U hebt al {self.per_user} gebeurtenisstromen open; sluit er een voordat u een "
                    "nieuwe opent.")
        if self.open_count >= self.total:
            return "Er staan al te veel gebeurtenisstromen open; probeer het over een minuut opnieuw."
        self._open[user_id] += 1
        if self._watch is None:
            self._watch = asyncio.get_running_loop().create_task(self._run_watch(), name="event-stream-watch")
        return None

    def close(self, user_id: str) -> None:
        """Give the slot of a stream of ``user_id`` back (the watch stops when none is left)."""
        self._open[user_id] -= 1
        if self._open[user_id] <= 0:
            del self._open[user_id]

    def newer_than(self, position: int) -> bool:
        """Whether the watch has seen an event after ``position``."""
        return self._newest > position

    async def wait_past(self, position: int, timeout_s: float) -> None:
        """Return once the watch sees an event after ``position``, or after ``timeout_s`` seconds."""
        with anyio.move_on_after(timeout_s):
            while self._newest <= position:
                await self._changed_event().wait()

    def _changed_event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    async def _run_watch(self) -> None:
        try:
            while self.open_count > 0:
                try:
                    newest = await anyio.to_thread.run_sync(self._latest_position)
                except Exception:  # noqa: BLE001 - a failed poll is retried; the streams wait meanwhile
                    _log.warning("event_stream_watch_failed", exc_info=True)
                else:
                    if newest != self._newest:
                        self._newest = newest
                        changed, self._changed = self._changed_event(), asyncio.Event()
                        changed.set()
                await asyncio.sleep(self._poll_s)
        finally:
            self._watch = None
