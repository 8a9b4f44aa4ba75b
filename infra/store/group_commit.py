"""Group commit: one writer per database that commits the writes of many callers together.

A caller hands :meth:`GroupCommit.write` a piece of work (a function of a connection) and waits. The writer
thread takes what has queued up, at most ``max_batch`` pieces, opens ONE transaction (on SQLite with
``BEGIN IMMEDIATE``: the database's write lock from the start), runs each piece in a SAVEPOINT of its own and
COMMITs once. A piece that raises rolls back to its savepoint alone: the others keep their writes. Each caller is
answered only after the COMMIT, so an answer still means "durable", as with one transaction per write; a COMMIT
that fails answers nobody with success: each piece is then run again alone, in a transaction of its own (nothing
of the batch was written, and a piece reads what it needs inside its own savepoint).

A lone caller waits for nothing and hands nothing over: when no transaction is being written it writes its piece
itself, in its own thread, as a batch of one. Pieces that arrive while a transaction is being written queue for
the writer thread, which takes them together, so under load the batches grow by themselves and the cost of a
commit (the WAL's pages and sync on SQLite, the round trip and flush on PostgreSQL) is shared.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")

MAX_BATCH = 64
"""At most this many pieces of work share one transaction."""


@dataclass(frozen=True)
class _Piece:
    work: Callable[[Connection], Any]
    answer: Future[Any]
    context: contextvars.Context


class GroupCommit:
    """The writer of one engine's database (see the module's docstring)."""

    def __init__(self, engine: Engine, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Piece] = queue.SimpleQueue()
        self._writing = threading.Lock()
        """Held by whoever writes a transaction now: a lone caller itself, or the writer thread with a batch."""
        self._writer_ident: int | None = None
        self._taken = 0
        """1 while the writer thread holds a piece it took and waits for the writing lock."""
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._start = threading.Lock()
        self.batches = 0
        """How many transactions were committed or tried (for benchmarks and tests)."""

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in the next group transaction; its result (or its exception) once that committed."""
        return self.submit(work).result()

    def submit(self, work: Callable[[Connection], T]) -> Future[T]:
        """As :meth:`write`, without waiting: a future answered after the COMMIT (``asyncio.wrap_future`` it).

        When no transaction is being written, the caller writes its own at once, in its own thread (a lone caller
        pays no hand-over to another thread); otherwise the piece queues for the writer thread's next batch. A
        caller on an event loop always queues: a write may wait for the database's lock, the loop must not.
        """
        if self._writer_ident == threading.get_ident():  # a piece that writes again: it is inside a batch already
            msg = "a group-committed write cannot wait for another one"
            raise RuntimeError(msg)
        piece = _Piece(work, Future(), contextvars.copy_context())
        if not _on_event_loop() and self._writing.acquire(blocking=False):
            self._write_holding([piece])
        else:
            self._ensure_writer()
            self._queue.put(piece)
        return piece.answer

    def queued(self) -> int:
        """How many pieces wait for the writer thread's next batch now."""
        return self._queue.qsize() + self._taken

    def _ensure_writer(self) -> None:
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._start:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._serve, name="group-commit", daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        while True:
            batch = [self._queue.get()]
            self._taken = 1
            self._writing.acquire()
            self._taken = 0
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write_holding(batch)

    def _write_holding(self, batch: list[_Piece]) -> None:
        """Write ``batch`` while holding the writing lock, then let it go; never leave a caller waiting."""
        self._writer_ident = threading.get_ident()
        try:
            self._commit(batch)
        except BaseException as stopped:
            for piece in batch:
                if not piece.answer.done():
                    piece.answer.set_exception(stopped)
            raise
        finally:
            self._writer_ident = None
            self._writing.release()

    def _commit(self, batch: list[_Piece]) -> None:
        self.batches += 1
        try:
            outcomes = self._run_together(batch)
        except Exception as failed:  # noqa: BLE001 - the whole transaction failed: nothing of it was written
            if len(batch) == 1:
                _answer(batch[0].answer, None, failed)
                return
            for piece in batch:
                self._commit([piece])
            return
        for piece, (result, error) in zip(batch, outcomes, strict=True):
            _answer(piece.answer, result, error)

    def _run_together(self, batch: list[_Piece]) -> list[tuple[Any, BaseException | None]]:
        outcomes: list[tuple[Any, BaseException | None]] = []
        with self.engine.connect() as conn, conn.begin():
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            if len(batch) == 1:  # alone: the transaction is its savepoint (two round trips fewer)
                return [(batch[0].context.run(batch[0].work, conn), None)]
            for piece in batch:
                savepoint = Savepoint(conn)
                try:
                    result = piece.context.run(piece.work, conn)
                except Exception as refused:  # noqa: BLE001 - handed to its caller, after the commit
                    savepoint.rollback()
                    outcomes.append((None, refused))
                else:
                    savepoint.commit()
                    outcomes.append((result, None))
        return outcomes


class Savepoint:
    """A SAVEPOINT said straight to the driver, in the transaction open on ``conn``: SQLAlchemy's own
    (``begin_nested``) compiles a new statement for every savepoint, ~90 µs each, more than a command's UPDATE.
    """

    _numbers = itertools.count(1)

    def __init__(self, conn: Connection) -> None:
        self._cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self._name = f"lr_{next(self._numbers)}"
        self._cursor.execute(f"SAVEPOINT {self._name}")
        self.is_active = True

    def commit(self) -> None:
        """Keep what was written since the savepoint (in the enclosing transaction)."""
        self.is_active = False
        self._cursor.execute(f"RELEASE SAVEPOINT {self._name}")

    def rollback(self) -> None:
        """Undo what was written since the savepoint, and nothing before it."""
        self.is_active = False
        self._cursor.execute(f"ROLLBACK TO SAVEPOINT {self._name}")
        self._cursor.execute(f"RELEASE SAVEPOINT {self._name}")


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _answer(answer: Future[Any], result: Any, error: BaseException | None) -> None:
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(result)
