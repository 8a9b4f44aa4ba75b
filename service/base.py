"""The service's foundation: the engine, the registry, the settings and the instance's clock, units of work,
and the one scope check every use case on behalf of a user goes through (:meth:`ServiceBase.sees`).
"""


from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Self, TypeVar

from sqlalchemy import Engine

from domain.access import (
    Principal,
    SchoolOfRecord,
    sees_case,
)
from domain.case import Case
from domain.errors import CaseNotFound
from domain.registry import PathwayRegistry
from domain.views import CaseStatus, case_status, with_links
from infra.clock import InstanceClock
from infra.settings import Settings
from infra.store import scope
from infra.store.group_commit import GroupCommit
from infra.store.sql import SqlUnitOfWork
from service import wiring

T = TypeVar("T")


@dataclass
class ServiceBase:
    """What every area of use cases shares."""

    engine: Engine
    registry: PathwayRegistry
    settings: Settings
    clock: InstanceClock = field(init=False, repr=False)
    """The instance's clock: the wall clock, or an oefenomgeving's simulated clock (``settings.clock``)."""
    writer: GroupCommit = field(init=False, repr=False)
    """The database's group-committing writer: commands and their audit rows commit through it."""

    def __post_init__(self) -> None:
        self.clock = InstanceClock(self.engine, self.settings.clock)
        self.writer = GroupCommit(self.engine)

    def now(self) -> datetime:
        """The instance's now (UTC): the wall clock, or the simulated clock of an oefenomgeving. Everything about
        cases, pupils, verzuim, alerts and digests reads it; accounts, sessions and webhook deliveries keep the
        wall clock (see :mod:`infra.clock`).
        """
        return self.clock.now()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Self:
        """Build the service from settings (default: the environment; see :mod:`service.wiring`)."""
        return cls(*wiring.parts(settings))

    def write(self, work: Callable[[SqlUnitOfWork], T]) -> T:
        """Run ``work`` on a unit of work in the writer's next group transaction (see
        :mod:`infra.store.group_commit`): each ``with`` of the unit is a savepoint of it, and the result comes
        back once the group committed, so it is durable as with a transaction of its own.
        """
        return self.writer.write(lambda conn: work(SqlUnitOfWork(self.engine, within=conn)))

    @contextmanager
    def unit_of_work(self, *, reading: bool = False) -> Iterator[SqlUnitOfWork]:
        """A unit of work whose connection is returned to the pool afterwards (see :class:`SqlUnitOfWork` for
        ``reading``).
        """
        uow = SqlUnitOfWork(self.engine, reading=reading)
        try:
            yield uow
        finally:
            uow.close()

    def swv_codes(self) -> set[str]:
        """Every SWV code some profile names (what an SWV coordinator's or BTO's scope may be)."""
        return {code for p in self.registry.profiles.values() for code in p.setting("swv_codes", ())}

    def school_of(self, school_brin: str) -> SchoolOfRecord | None:
        """The school as the reference data knows it (its SWV and that SWV's profile); None if unknown."""
        with self.engine.connect() as conn:
            return scope.school_of(conn, school_brin, self.registry)

    def sees(self, uow: SqlUnitOfWork, principal: Principal, case: Case) -> bool:
        """Whether ``case`` is in the principal's scope (read in ``uow``'s transaction)."""
        return sees_case(principal, scope.reach(uow.conn, principal, case, self.registry))

    def _in_scope(self, uow: SqlUnitOfWork, principal: Principal, case: Case) -> None:
        if not self.sees(uow, principal, case):
            raise CaseNotFound(case.id)

    def _status_for(self, principal: Principal, case: Case, now: datetime) -> CaseStatus:
        definition = self.registry.for_profile(case.pathway, case.definition_version, case.profile)
        return case_status(case, definition, now, principal.role)

    def _linked_status_for(self, uow: SqlUnitOfWork, principal: Principal, case: Case, now: datetime) -> CaseStatus:
        """The status with the hand-offs that opened the case and those it made."""
        return with_links(self._status_for(principal, case, now), uow.links_of(case.id), self.registry.reactions)

