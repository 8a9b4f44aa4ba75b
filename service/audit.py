"""What an audited use case records: the purposes, the audit row, a refusal's outcome, and the answer of a read
given once its row committed. The use cases declare their audit with :mod:`service.use_case`.
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

from domain.access import Principal
from domain.errors import DomainError, NotFound, OutOfScope, RoleNotAllowed
from infra.identity import audit
from infra.store.db import Begin

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
    "case.search": "Dossiers zoeken",
    "case.request_advice": "Advies van een deskundige vragen",
    "pupil.record": "Leerlinggegevens inzien",
    "alerts.read": "Meldingen inzien",
    "alert.read": "Melding inzien",
    "alert.acknowledge": "Melding afhandelen",
    "monitor.stalled": "Vastgelopen trajecten en verlopen termijnen bekijken",
    "monitor.silence": "Plekken waar het stil valt bekijken",
    "events.stream": "Dossiergebeurtenissen volgen",
    "verzuim.inschrijvingen": "Inschrijving vastleggen",
    "verzuim.verzuim": "Verzuim vastleggen",
    "verzuim.vrijstellingen": "Vrijstelling vastleggen",
    "verzuim.holidays": "Eigen vakanties instellen",
    "verzuim.detect": "Verzuimdetectie starten",
    "thuiszitters.register": "Thuiszitterregister inzien",
    "thuiszitters.export": "Thuiszitterregister exporteren",
    "verzuim.read": "Verzuim bij melding bekijken",
    "verzuim.melding": "Verzuimmelding aan DUO vastleggen",
    "verzuim.voornemen": "Voornemen vrijstelling vastleggen",
    "verzuim.raadpleging": "Raadpleging SWV vastleggen",
    "monitor.verborgen": "Verborgen thuiszitters bekijken",
}
"""The purpose recorded in the audit log when the caller states none (``X-Purpose``)."""
RESOURCE_MAX = 120
"""An audit row's resource is cut to this many characters (a search's filter, an import's name)."""


def purpose_of(action: str) -> str:
    """The purpose recorded for ``action`` when neither the caller nor the use case states one: a file import's
    is 'Bestand importeren'; an action without one records its own name.
    """
    return PURPOSES.get(action) or ("Bestand importeren" if action.startswith("import:") else action)


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
                        action=self.action, resource=resource[:RESOURCE_MAX], purpose=self.purpose, outcome=outcome)

    def append(self, engine: Engine, resource: str, outcome: str) -> None:
        """In a small transaction of its own."""
        with engine.connect() as conn, conn.begin():
            self.append_in(conn, resource, outcome)




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
class Refused:
    """A refused write whose audit row is written: raised to the caller once the row committed."""

    error: DomainError


def write_with_row(engine: Engine, run: Callable[[Begin], T], append: Callable[[Connection, str], None]) -> T:
    """Run a write and append its audit row (``append(conn, outcome)``) so that both commit or neither.

    ``run`` gets an opener of its write's transaction, to enter once, after what it reads or checks
    beforehand: on SQLite the transaction takes the database's write lock as it opens (``BEGIN
    IMMEDIATE``: its reads never have to turn into a write after another writer committed), and when
    the block ends without an error the 'ok' row is appended last (so the audit chain's lock is held
    only for the append and the commit) and the transaction commits. A refusal (a DomainError, before
    or within the transaction, which then rolls back: nothing is written) gets its row, with outcome
    :func:`outcome_of` the error, in a small transaction of its own. Any other failure writes no row. A ``run``
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


def outcome_of(error: DomainError) -> str:
    """The audit row's outcome of a refusal: not-found, forbidden, or the error's code."""
    if isinstance(error, NotFound):
        return "not-found"
    if isinstance(error, RoleNotAllowed | OutOfScope):
        return "forbidden"
    return error.code
