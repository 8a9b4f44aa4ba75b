"""Case use cases: open a case, take a step, read its status, history and timeline, move a pupil to another school,
search, ask a deskundige's advice, and the notes on a case. Every command logs one canonical line (case id, pathway,
command, outcome, duration; never personal data).
"""


from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from datetime import datetime
from functools import update_wrapper
from typing import Concatenate, ParamSpec, TypeVar

import structlog

from domain import handlers
from domain.access import (
    CaseReach,
    Principal,
    check_may_note,
    may_note,
    needs_residence,
)
from domain.access import check_may_open as _check_may_open
from domain.case import Actor, Case, Command
from domain.errors import DomainError, OutOfScope, PupilNotFound
from domain.handlers import NewCase, Outcome
from domain.views import CaseStatus, HistoryEntry, case_status, history_entry
from infra.store import advice, scope
from infra.store import case_notes as case_note_store
from infra.store.search import CaseFilter, CaseRow, search_cases
from infra.store.sql import SqlUnitOfWork
from infra.views.monitoring import finals
from service.audit import PURPOSES
from service.base import ServiceBase
from service.use_case import Binder, Opener, audited, audited_in, audited_read, audited_read_pending, audited_write

log = structlog.get_logger("leerlingroute")
P = ParamSpec("P")
S = TypeVar("S", bound=ServiceBase)


def _logged_command(use_case: Callable[Concatenate[S, P], Outcome]) -> Callable[Concatenate[S, P], Outcome]:
    """The command a use case applies logged once its answer is known (see :func:`_logged`)."""
    bind = Binder(inspect.signature(use_case))

    def logged(self: S, /, *args: P.args, **kwargs: P.kwargs) -> Outcome:
        arguments = bind(args, kwargs)
        new: NewCase | None = arguments.get("new")
        return _logged(new.pathway if new else None, arguments.get("case_id", "(nieuw)"), arguments["command"].name,
                       lambda: use_case(self, *args, **kwargs))
    update_wrapper(logged, use_case)
    return logged


class CaseUseCases(ServiceBase):
    """Cases, as the API, the pages, the flows and the CLI use them."""

    def open_case(self, new: NewCase, command: Command, now: datetime, key: str | None = None) -> Outcome:
        """Open a case (see :func:`domain.handlers.open_case`)."""
        return _logged(new.pathway, "(nieuw)", command.name, lambda: self.write(
            lambda uow: handlers.open_case(uow, self.registry, new, command, now, key)))

    def handle(
        self, case_id: str, command: Command, now: datetime, key: str | None = None,
        expected_version: int | None = None,
    ) -> Outcome:
        """Apply a command to a case (see :func:`domain.handlers.handle_command`)."""
        return _logged(None, case_id, command.name, lambda: self.write(lambda uow: handlers.handle_command(
            uow, self.registry, case_id, command, now, key, expected_version)))

    def status(self, case_id: str, now: datetime) -> CaseStatus:
        """A case's status at ``now``."""
        with self.unit_of_work() as uow, uow:
            case = uow.get_case(case_id)
        return case_status(case, self.registry.for_profile(case.pathway, case.definition_version, case.profile), now)

    def timeline(self, pupil_id: str, now: datetime) -> list[CaseStatus]:
        """Every trajectory of the pupil, oldest first; PupilNotFound if there is none."""
        with self.unit_of_work() as uow, uow:
            trajectories = uow.trajectories_of(pupil_id)
        if not trajectories:
            raise PupilNotFound(pupil_id)
        return [case_status(c, self.registry.for_profile(c.pathway, c.definition_version, c.profile), now)
                for c in trajectories]

    def transfer(self, pupil_id: str, school_brin: str, actor: Actor, now: datetime) -> list[Outcome]:
        """Move the pupil's trajectories to another school."""
        with self.unit_of_work() as uow:
            outcomes = handlers.transfer_pupil(uow, pupil_id, school_brin, actor, now)
        for outcome in outcomes:
            log.info("command", case_id=outcome.case_id, pathway=outcome.pathway, command="plaats_over",
                     outcome="applied", seq=outcome.seq)
        return outcomes

    def history(self, case_id: str) -> list[HistoryEntry]:
        """A case's events in order; CaseNotFound for an unknown case."""
        with self.unit_of_work() as uow, uow:
            uow.get_case(case_id)
            return [history_entry(e) for e in uow.history(case_id)]

    def read_status(self, principal: Principal, case_id: str, now: datetime, purpose: str | None) -> CaseStatus:
        """A case's status, if in scope (else CaseNotFound, as for an unknown case); audited."""
        return self.read_status_pending(principal, case_id, now, purpose).wait()

    @audited_read_pending("case.read", "case:{case_id}")
    def read_status_pending(self, uow: SqlUnitOfWork, principal: Principal, case_id: str, now: datetime,
                            purpose: str | None) -> CaseStatus:
        """:meth:`read_status`, to be answered once its audit row committed (``await`` it in a coroutine)."""
        case = uow.get_case(case_id)
        self._in_scope(uow, principal, case)
        return self._linked_status_for(uow, principal, case, now)

    @audited_read("case.history", "case:{case_id}")
    def read_history(self, uow: SqlUnitOfWork, principal: Principal, case_id: str, now: datetime,
                     purpose: str | None, after: int = 0, limit: int | None = None) -> list[HistoryEntry]:
        """A case's events with a seq above ``after``, at most ``limit`` of them (None: all), if the case is in
        scope (else CaseNotFound, as for an unknown case); audited, one row for each read. The scope check reads
        the case's row, not its events.
        """
        self._in_scope(uow, principal, uow.get_case(case_id))
        return [history_entry(e) for e in uow.history(case_id, after, limit)]

    @audited_read("pupil.read", "pupil:{pupil_id}")
    def read_timeline(self, uow: SqlUnitOfWork, principal: Principal, pupil_id: str, now: datetime,
                      purpose: str | None) -> list[CaseStatus]:
        """The pupil's trajectories in scope, oldest first; PupilNotFound if none is; audited."""
        visible = [c for c in uow.trajectories_of(pupil_id) if self.sees(uow, principal, c)]
        if not visible:
            raise PupilNotFound(pupil_id)
        return [self._status_for(principal, c, now) for c in visible]

    @_logged_command
    @audited_write("case.open", "pupil:{new.pupil_id}", written=lambda uow: f"case:{uow.events_written[0][0]}",
                   replayed=lambda outcome: f"case:{outcome.case_id}")
    def open_case_as(self, uow: SqlUnitOfWork, principal: Principal, new: NewCase, command: Command,
                     now: datetime, key: str | None, purpose: str | None) -> Outcome:
        """Open a case for a school / under a profile in the principal's scope (else OutOfScope); audited in
        the same transaction.
        """
        with self.engine.connect() as conn:
            residence = scope.residence_of(conn, new.pupil_id) if needs_residence(principal) else None
            pupil = scope.pupil_of_record(conn, new.pupil_id, self.registry)
            school = scope.school_of(conn, new.school_brin, self.registry)
        _check_may_open(principal, CaseReach(new.school_brin, self.registry.profile(new.profile), new.pathway,
                                             residence, school=school, pupil=pupil))
        return handlers.open_case(uow, self.registry, new, command, now, key)

    @_logged_command
    @audited_write("case.command:{command.name}", "case:{case_id}",
                   purpose=PURPOSES["case.command"] + ": {command.name}")
    def handle_as(self, uow: SqlUnitOfWork, principal: Principal, case_id: str, command: Command, now: datetime,
                  key: str | None, expected_version: int | None, purpose: str | None) -> Outcome:
        """Apply a command to a case in scope (out of scope: CaseNotFound, nothing written); audited in the
        same transaction.
        """
        return handlers.handle_command(uow, self.registry, case_id, command, now, key, expected_version,
                                       lambda case: self._in_scope(uow, principal, case))

    @audited_write("pupil.transfer", "pupil:{pupil_id}")
    def transfer_as(self, uow: SqlUnitOfWork, principal: Principal, pupil_id: str, school_brin: str, now: datetime,
                    purpose: str | None) -> list[Outcome]:
        """Move the pupil to another school if the principal sees every trajectory; audited. None in
        scope reads as an unknown pupil (404); some but not all is OutOfScope (403).
        """
        def authorize(trajectories: list[Case]) -> None:
            visible = [c for c in trajectories if self.sees(uow, principal, c)]
            if not visible:
                raise PupilNotFound(pupil_id)
            if len(visible) < len(trajectories):
                raise OutOfScope("Not every trajectory of the pupil is in the user's scope",
                                 "Niet alle trajecten van deze leerling vallen onder uw account; overplaatsen "
                                 "kan alleen wie ze allemaal mag zien.")

        outcomes = handlers.transfer_pupil(uow, pupil_id, school_brin, principal.actor, now, authorize)
        for outcome in outcomes:
            log.info("command", case_id=outcome.case_id, pathway=outcome.pathway, command="plaats_over",
                     outcome="applied", seq=outcome.seq)
        return outcomes

    @audited("case.search", lambda a: _described(a["wanted"]))
    def search(self, principal: Principal, wanted: CaseFilter, sort: str, descending: bool, limit: int,
               cursor: str | None, now: datetime) -> tuple[list[CaseRow], str | None]:
        """A page of the cases in scope matching ``wanted``; audited (one row per search)."""
        with self.engine.connect() as conn:
            return search_cases(conn, scope.case_scope(principal, self.registry), finals(self.registry),
                                wanted, now, sort, descending, limit, cursor)

    @audited_in("case.request_advice", "case:{case_id}")
    def request_advice(self, begin: Opener, principal: Principal, case_id: str, deskundige_id: str,
                       now: datetime) -> None:
        """Ask a deskundige to advise on a TLV request in the user's scope (SWV coordinator, BTO,
        zorgcoördinator); from then on the deskundige sees that case. Audited in the same transaction.
        """
        with self.unit_of_work() as uow, uow:
            case = uow.get_case(case_id)
            self._in_scope(uow, principal, case)
        advice.request(begin, principal, case, deskundige_id, now)

    @audited_in("case.note", "case:{case_id}")
    def add_case_note(self, begin: Opener, principal: Principal, case_id: str, text: str, now: datetime, *,
                      ask_school: bool = False, key: str | None = None) -> case_note_store.CaseNote:
        """Write a note on a case in scope (out of scope: CaseNotFound, as for an unknown case) as the school's
        zorgcoördinator or the SWV's coordinator or BTO (else RoleNotAllowed); with ``ask_school`` (SWV
        coordinators only) it is a question that alerts the school's zorgcoördinatoren. An empty or too long
        note is InvalidCommand. The note, its alert and the audit row (``case.note``) are one transaction. A
        ``key`` the user sent with an earlier note on this case returns that note and stores nothing new.
        """
        with self.unit_of_work() as uow, uow:
            case = uow.get_case(case_id)
            self._in_scope(uow, principal, case)
        check_may_note(principal.role, ask_school=ask_school)
        cleaned = case_note_store.cleaned(text)
        with begin() as conn:
            note = case_note_store.add(conn, case, principal.user_id, principal.role, cleaned,
                                       ask_school=ask_school, now=now, key=key)
        log.info("case_note", case_id=case_id, note_id=note.id, asks_school=ask_school, actor_role=principal.role)
        return note

    @audited_read("case.notes", "case:{case_id}")
    def read_case_notes(self, uow: SqlUnitOfWork, principal: Principal, case_id: str, now: datetime,
                        purpose: str | None) -> case_note_store.CaseNotes:
        """A case's notes, newest first, if in scope (else CaseNotFound), with what the reader may add; audited."""
        self._in_scope(uow, principal, uow.get_case(case_id))
        return case_note_store.CaseNotes(case_note_store.of_case(uow.conn, case_id),
                                         may_note(principal.role), may_note(principal.role, ask_school=True))


def _logged(pathway: str | None, case_id: str, command: str, run: Callable[[], Outcome]) -> Outcome:
    started = time.perf_counter()
    fields = {"case_id": case_id, "pathway": pathway, "command": command}
    try:
        outcome = run()
    except DomainError as error:
        log.info("command", **fields, outcome=error.code, duration_ms=_ms(started))
        raise
    fields.update(case_id=outcome.case_id, pathway=outcome.pathway)
    log.info("command", **fields, outcome="replayed" if outcome.replayed else "applied",
             seq=outcome.seq, stage=outcome.stage, duration_ms=_ms(started))
    return outcome


def _described(wanted: CaseFilter) -> str:
    """A search's filter as the audit log's resource (ids and codes only)."""
    parts = [f"{k}={v}" for k, v in vars(wanted).items() if v is not None]
    return ("cases?" + "&".join(parts))[:120]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
