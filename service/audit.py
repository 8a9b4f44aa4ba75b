"""The one place where use cases on behalf of a user are audited: the purposes recorded, the audit row, and the
wrappers that give a read or a write its row in the same transaction (:meth:`Audited._audited_write`,
:meth:`Audited._audited_read`, :func:`audited_write`) or, for a refusal, in one of its own.
"""


from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar, cast

from sqlalchemy import Connection, Engine

from domain.access import (
    Principal,
)
from domain.errors import DomainError, NotFound, OutOfScope, RoleNotAllowed
from domain.roles import ADMIN
from infra.identity import audit
from infra.store.db import Begin
from infra.store.sql import SqlUnitOfWork
from service.base import ServiceBase

T = TypeVar("T")


PURPOSES = {
    "case.read": "Dossier inzien",
    "case.history": "Geschiedenis van het dossier inzien",
    "worklist.read": "Werklijst inzien",
    "pupil.read": "Tijdlijn van de leerling inzien",
    "case.open": "Dossier openen",
    "case.command": "Stap in het dossier vastleggen",
    "pupil.transfer": "Leerling overplaatsen naar een andere school",
    "case.note": "Notitie bij het dossier schrijven",
    "case.notes": "Notities bij het dossier inzien",
    "webhook.register": "Ontvanger van dossiergebeurtenissen aanmelden",
    "webhook.deactivate": "Ontvanger van dossiergebeurtenissen afmelden",
    "webhook.rotate_secret": "Geheim van een ontvanger van dossiergebeurtenissen vervangen",
    "audit.export": "Auditlog exporteren",
    "account.create": "Account aanmaken",
    "account.revoke": "Account intrekken",
    "account.reset_second_factor": "Tweede factor van een account vervangen",
    "account.mail": "E-mail voor meldingen van een account instellen",
}
"""The purpose recorded in the audit log when the caller states none (``X-Purpose``)."""


@dataclass(frozen=True)
class AuditRow:
    """The audit row of one use case on behalf of a user, but for its resource and outcome."""

    principal: Principal
    action: str
    purpose: str
    at: datetime

    def append_in(self, conn: Connection, resource: str, outcome: str) -> None:
        """Within the transaction open on ``conn`` (see :func:`infra.identity.audit.append_in`)."""
        audit.append_in(conn, at=self.at, user_id=self.principal.user_id, role=self.principal.role,
                        action=self.action, resource=resource, purpose=self.purpose, outcome=outcome)

    def append(self, engine: Engine, resource: str, outcome: str) -> None:
        """In a small transaction of its own."""
        with engine.connect() as conn, conn.begin():
            self.append_in(conn, resource, outcome)




class Audited(ServiceBase):
    """Use cases on behalf of a user: each wraps its work in one of these, so that it is audited."""

    def _audited(self, principal: Principal, action: str, resource: str, purpose: str | None, now: datetime,
                 run: Callable[[], T]) -> T:
        row = AuditRow(principal, action, purpose or PURPOSES.get(action, action), now)
        try:
            result = run()
        except DomainError as error:
            row.append(self.engine, resource, outcome_of(error))
            raise
        row.append(self.engine, resource, "ok")
        return result

    def _audited_in(self, principal: Principal, action: str, resource: str, now: datetime,
                    run: Callable[[Begin], T]) -> T:
        """:meth:`_audited` for a write that ``run`` does in the one transaction the opener it is given
        opens: see :func:`audited_write` (the 'ok' row commits with the write; a refusal's row on its own).
        """
        row = AuditRow(principal, action, PURPOSES.get(action, action), now)
        return audited_write(self.engine, run, lambda conn, outcome: row.append_in(conn, resource, outcome), outcome_of)

    def _audited_write(
        self, principal: Principal, action: str, resource: str, purpose: str | None, now: datetime,
        run: Callable[[SqlUnitOfWork], T], written: Callable[[SqlUnitOfWork], str] | None = None,
        replayed: Callable[[T], str] | None = None,
    ) -> T:
        """:meth:`_audited` for a write in one unit of work, through the group-committing writer
        (:meth:`ServiceBase.write`): the ``ok`` row is appended by the unit's before-commit hook, in the
        write's own savepoint, so the write and its row commit together or not at all. The row goes last, so
        the audit chain's lock is taken only for the append. ``written`` names the resource from what the
        unit wrote (an opened case's id). A refusal (a DomainError: its savepoint rolled back, nothing
        written) gets its row instead; so does a write that wrote nothing because an idempotency key
        replayed an earlier outcome (outcome ``replayed``, resource from ``replayed``). The caller hears the
        outcome after the group committed. Any other failure writes no row.
        """
        row = AuditRow(principal, action, purpose or PURPOSES.get(action, action), now)

        def work(conn: Connection) -> T | _Refused:
            uow = SqlUnitOfWork(self.engine, within=conn)
            uow.before_commit(lambda: row.append_in(conn, written(uow) if written else resource, "ok"))
            try:
                result = run(uow)
            except DomainError as error:
                row.append_in(conn, resource, outcome_of(error))
                return _Refused(error)
            if uow.commits == 0:
                row.append_in(conn, replayed(result) if replayed else resource, "replayed")
            return result

        done = self.writer.write(work)
        if isinstance(done, _Refused):
            raise done.error
        return done

    def _audited_read(self, principal: Principal, action: str, resource: str, purpose: str | None,
                      now: datetime, run: Callable[[SqlUnitOfWork], T]) -> T:
        """:meth:`_audited` for a read in one unit of work: see :meth:`_audited_read_pending`; the answer
        once its row committed.
        """
        return self._audited_read_pending(principal, action, resource, purpose, now, run).wait()

    def _audited_read_pending(self, principal: Principal, action: str, resource: str, purpose: str | None,
                              now: datetime, run: Callable[[SqlUnitOfWork], T]) -> Pending[T]:
        """A read and its audit row (``ok`` or the refusal's outcome): the read runs now, without the audit
        chain's lock; the row goes to the group-committing writer, and the answer (or the refusal) may be given
        only once that row committed (:meth:`Pending.wait`, or ``await`` :meth:`Pending.answer` without a
        thread). A failure other than a refusal (a DomainError) writes no row; a row that fails to commit
        loses the answer with it.
        """
        row = AuditRow(principal, action, purpose or PURPOSES.get(action, action), now)
        result: T | None = None
        refusal: DomainError | None = None
        try:
            with self.unit_of_work(reading=True) as uow, uow:
                result = run(uow)
            outcome = "ok"
        except DomainError as error:
            refusal, outcome = error, outcome_of(error)
        return Pending(result, refusal, self.writer.submit(lambda conn: row.append_in(conn, resource, outcome)))


@dataclass(frozen=True)
class Pending(Generic[T]):
    """The answer of an audited read, to be given once its audit row committed."""

    result: T | None
    refusal: DomainError | None
    committed: Future[None]

    def wait(self) -> T:
        """The answer (or the refusal raised) once the row committed."""
        self.committed.result()
        return self._given()

    async def answer(self) -> T:
        """:meth:`wait` for a coroutine: it waits without holding a thread."""
        await asyncio.wrap_future(self.committed)
        return self._given()

    def _given(self) -> T:
        if self.refusal is not None:
            raise self.refusal
        return cast("T", self.result)


@dataclass(frozen=True)
class _Refused:
    """A refused write whose audit row is written: raised to the caller once the row committed."""

    error: DomainError


def audited_write(engine: Engine, run: Callable[[Begin], T], append: Callable[[Connection, str], None],
                  outcome_of: Callable[[DomainError], str]) -> T:
    """Run a write and append its audit row (``append(conn, outcome)``) so that both commit or neither.

    ``run`` gets an opener of its write's transaction, to enter once, after what it reads or checks
    beforehand: on SQLite the transaction takes the database's write lock as it opens (``BEGIN
    IMMEDIATE``: its reads never have to turn into a write after another writer committed), and when
    the block ends without an error the 'ok' row is appended last (so the audit chain's lock is held
    only for the append and the commit) and the transaction commits. A refusal (a DomainError, before
    or within the transaction, which then rolls back: nothing is written) gets its row, with outcome
    ``outcome_of(error)``, in a small transaction of its own. Any other failure writes no row. A ``run``
    that returns without opening the transaction wrote nothing: its 'ok' row gets its own transaction.
    """
    opened = committed = False

    @contextmanager
    def begin() -> Iterator[Connection]:
        nonlocal opened, committed
        if opened:
            msg = "an audited write is one transaction"
            raise RuntimeError(msg)
        opened = True
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn
            append(conn, "ok")
        committed = True

    try:
        result = run(begin)
    except DomainError as error:
        if not committed:
            with engine.begin() as conn:
                append(conn, outcome_of(error))
        raise
    if not opened:
        with engine.begin() as conn:
            append(conn, "ok")
    return result


def require_admin(principal: Principal, what: str) -> None:
    """RoleNotAllowed unless the principal is an admin (``what``: the act refused, in the refusal)."""
    if principal.role != ADMIN:
        raise RoleNotAllowed(what, principal.role, [ADMIN])


def outcome_of(error: DomainError) -> str:
    """The audit row's outcome of a refusal: not-found, forbidden, or the error's code."""
    if isinstance(error, NotFound):
        return "not-found"
    if isinstance(error, RoleNotAllowed | OutOfScope):
        return "forbidden"
    return error.code
