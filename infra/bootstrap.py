"""Wiring: settings -> engine -> registry -> the service the API, flows, demo and CLI share.

Every command goes through :class:`Service`, which logs one canonical line per command
(case id, pathway, command, outcome, duration; never personal data).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

import structlog
from sqlalchemy import Connection, Engine

from domain import handlers
from domain.access import (
    CaseReach,
    Principal,
    SchoolOfRecord,
    check_may_note,
    check_monitor_reader,
    check_stream_reader,
    may_note,
    needs_residence,
    sees_case,
    sees_identity,
)
from domain.access import check_may_open as _check_may_open
from domain.case import Actor, Case, Command
from domain.durations import NL
from domain.errors import CaseNotFound, DomainError, NotFound, OutOfScope, PupilNotFound, RoleNotAllowed
from domain.handlers import NewCase, Outcome, SweepReport
from domain.indicators import Indicators
from domain.ports import OutboxItem
from domain.registry import PathwayRegistry
from domain.roles import ADMIN, ZORGCOORDINATOR
from domain.stalled import Digest, DigestNotFound, TimeInStage, build_digest, stage_norms
from domain.terms import last_day_of
from domain.views import CaseStatus, HistoryEntry, case_status, history_entry, with_links
from infra import accounts, advice, audit, mail_queue, monitoring, resources, scope, stream, verzuim_meldingen
from infra import alerts as alert_store
from infra import case_notes as case_note_store
from infra import digests as digest_store
from infra import silence as silence_store
from infra import worklist as worklist_store
from infra.audit import AuditEntry
from infra.clock import InstanceClock
from infra.db import Begin, make_engine
from infra.digests import StoredDigest
from infra.monitoring import finals
from infra.profiles import load_profiles, registry_of
from infra.reactions import ReactionReport, run_reactions
from infra.search import CaseFilter, CaseRow, count_cases, search_cases, time_in_stage
from infra.settings import Settings
from infra.sql import SqlUnitOfWork
from infra.tables import cases, pupils
from infra.webhook_targets import AllowList
from infra.webhooks import (
    DeliveryReport,
    Registered,
    Subscription,
    WebhookNotFound,
    Webhooks,
    outbox_high_water,
    require_manager,
)

if TYPE_CHECKING:
    from infra import web_accounts

log = structlog.get_logger("leerlingroute")
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
class _AuditRow:
    """The audit row of one use case on behalf of a user, but for its resource and outcome."""

    principal: Principal
    action: str
    purpose: str
    at: datetime

    def append_in(self, conn: Connection, resource: str, outcome: str) -> None:
        """Within the transaction open on ``conn`` (see :func:`infra.audit.append_in`)."""
        audit.append_in(conn, at=self.at, user_id=self.principal.user_id, role=self.principal.role,
                        action=self.action, resource=resource, purpose=self.purpose, outcome=outcome)

    def append(self, engine: Engine, resource: str, outcome: str) -> None:
        """In a small transaction of its own."""
        with engine.connect() as conn, conn.begin():
            self.append_in(conn, resource, outcome)


@dataclass
class Service:
    """The engine as the outside world uses it."""

    engine: Engine
    registry: PathwayRegistry
    settings: Settings
    clock: InstanceClock = field(init=False, repr=False)
    """The instance's clock: the wall clock, or an oefenomgeving's simulated clock (``settings.clock``)."""

    def __post_init__(self) -> None:
        self.clock = InstanceClock(self.engine, self.settings.clock)

    def now(self) -> datetime:
        """The instance's now (UTC): the wall clock, or the simulated clock of an oefenomgeving. Everything about
        cases, pupils, verzuim, alerts and digests reads it; accounts, sessions and webhook deliveries keep the
        wall clock (see :mod:`infra.clock`).
        """
        return self.clock.now()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Service:
        """Build the service from settings (default: the environment)."""
        settings = settings or Settings()
        profiles = load_profiles(*([settings.profiles_dir] if settings.profiles_dir else []))
        return cls(make_engine(settings.url), registry_of(settings.durations(), profiles), settings)

    @contextmanager
    def unit_of_work(self) -> Iterator[SqlUnitOfWork]:
        """A unit of work whose connection is returned to the pool afterwards."""
        uow = SqlUnitOfWork(self.engine)
        try:
            yield uow
        finally:
            uow.close()

    def open_case(self, new: NewCase, command: Command, now: datetime, key: str | None = None) -> Outcome:
        """Open a case (see :func:`domain.handlers.open_case`)."""
        with self.unit_of_work() as uow:
            return _logged(new.pathway, "(nieuw)", command.name,
                           lambda: handlers.open_case(uow, self.registry, new, command, now, key))

    def handle(
        self, case_id: str, command: Command, now: datetime, key: str | None = None,
        expected_version: int | None = None,
    ) -> Outcome:
        """Apply a command to a case (see :func:`domain.handlers.handle_command`)."""
        with self.unit_of_work() as uow:
            return _logged(None, case_id, command.name, lambda: handlers.handle_command(
                uow, self.registry, case_id, command, now, key, expected_version))

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

    # --- on behalf of a user: scope-checked and audited ------------------------------------------

    def authenticate(self, token: str, now: datetime) -> Principal:
        """The user behind an API token; NotAuthenticated if it is unknown, expired or revoked."""
        return accounts.authenticate(self.engine, token, now)

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

    def read_status(self, principal: Principal, case_id: str, now: datetime, purpose: str | None) -> CaseStatus:
        """A case's status, if in scope (else CaseNotFound, as for an unknown case); audited."""
        def run(uow: SqlUnitOfWork) -> CaseStatus:
            case = uow.get_case(case_id)
            self._in_scope(uow, principal, case)
            return self._linked_status_for(uow, principal, case, now)
        return self._audited_read(principal, "case.read", f"case:{case_id}", purpose, now, run)

    def read_history(self, principal: Principal, case_id: str, now: datetime, purpose: str | None,
                     ) -> list[HistoryEntry]:
        """A case's events, if in scope; audited."""
        def run(uow: SqlUnitOfWork) -> list[HistoryEntry]:
            self._in_scope(uow, principal, uow.get_case(case_id))
            return [history_entry(e) for e in uow.history(case_id)]
        return self._audited_read(principal, "case.history", f"case:{case_id}", purpose, now, run)

    def read_timeline(self, principal: Principal, pupil_id: str, now: datetime, purpose: str | None,
                      ) -> list[CaseStatus]:
        """The pupil's trajectories in scope, oldest first; PupilNotFound if none is; audited."""
        def run(uow: SqlUnitOfWork) -> list[CaseStatus]:
            visible = [c for c in uow.trajectories_of(pupil_id) if self.sees(uow, principal, c)]
            if not visible:
                raise PupilNotFound(pupil_id)
            return [self._status_for(principal, c, now) for c in visible]
        return self._audited_read(principal, "pupil.read", f"pupil:{pupil_id}", purpose, now, run)

    def open_case_as(self, principal: Principal, new: NewCase, command: Command, now: datetime,
                     key: str | None, purpose: str | None) -> Outcome:
        """Open a case for a school / under a profile in the principal's scope (else OutOfScope); audited in
        the same transaction.
        """
        def run(uow: SqlUnitOfWork) -> Outcome:
            with self.engine.connect() as conn:
                residence = scope.residence_of(conn, new.pupil_id) if needs_residence(principal) else None
                pupil = scope.pupil_of_record(conn, new.pupil_id, self.registry)
                school = scope.school_of(conn, new.school_brin, self.registry)
            _check_may_open(principal, CaseReach(new.school_brin, self.registry.profile(new.profile), new.pathway,
                                                 residence, school=school, pupil=pupil))
            return _logged(new.pathway, "(nieuw)", command.name,
                           lambda: handlers.open_case(uow, self.registry, new, command, now, key))
        return self._audited_write(principal, "case.open", f"pupil:{new.pupil_id}", purpose, now, run,
                                   lambda uow: f"case:{uow.events_written[0][0]}", lambda o: f"case:{o.case_id}")

    def handle_as(self, principal: Principal, case_id: str, command: Command, now: datetime, key: str | None,
                  expected_version: int | None, purpose: str | None) -> Outcome:
        """Apply a command to a case in scope (out of scope: CaseNotFound, nothing written); audited in the
        same transaction.
        """
        def run(uow: SqlUnitOfWork) -> Outcome:
            return _logged(None, case_id, command.name, lambda: handlers.handle_command(
                uow, self.registry, case_id, command, now, key, expected_version,
                lambda case: self._in_scope(uow, principal, case)))
        return self._audited_write(principal, f"case.command:{command.name}", f"case:{case_id}",
                                   purpose or f"{PURPOSES['case.command']}: {command.name}", now, run)

    def transfer_as(self, principal: Principal, pupil_id: str, school_brin: str, now: datetime,
                    purpose: str | None) -> list[Outcome]:
        """Move the pupil to another school if the principal sees every trajectory; audited. None in
        scope reads as an unknown pupil (404); some but not all is OutOfScope (403).
        """
        def authorize(uow: SqlUnitOfWork, trajectories: list[Case]) -> None:
            visible = [c for c in trajectories if self.sees(uow, principal, c)]
            if not visible:
                raise PupilNotFound(pupil_id)
            if len(visible) < len(trajectories):
                raise OutOfScope("Not every trajectory of the pupil is in the user's scope",
                                 "Niet alle trajecten van deze leerling vallen onder uw account; overplaatsen "
                                 "kan alleen wie ze allemaal mag zien.")

        def run(uow: SqlUnitOfWork) -> list[Outcome]:
            outcomes = handlers.transfer_pupil(uow, pupil_id, school_brin, principal.actor, now,
                                               lambda found: authorize(uow, found))
            for outcome in outcomes:
                log.info("command", case_id=outcome.case_id, pathway=outcome.pathway, command="plaats_over",
                         outcome="applied", seq=outcome.seq)
            return outcomes
        return self._audited_write(principal, "pupil.transfer", f"pupil:{pupil_id}", purpose, now, run)

    # --- resources, search, monitoring, alerts ---------------------------------------------------

    def import_csv(self, principal: Principal, kind: str, content: str, now: datetime) -> resources.Imported:
        """Import a CSV file all or nothing: reference data by an admin, pupils by an admin or a
        zorgcoördinator (for their own schools); RoleNotAllowed (403) for anyone else.
        """
        allowed = (ADMIN, ZORGCOORDINATOR) if kind == "leerlingen" else (ADMIN,)
        if principal.role not in allowed:
            raise RoleNotAllowed(f"importeer_{kind}", principal.role, allowed)
        schools = principal.scopes if principal.role == ZORGCOORDINATOR else None
        imported = self._audited_in(principal, f"import:{kind}", f"import:{kind}", now,
                                    lambda begin: resources.import_csv_in(begin, kind, content, now, schools))
        log.info("import", kind=kind, added=imported.added, updated=imported.updated, actor_role=principal.role)
        return imported

    def pupil_records(self, principal: Principal, pupil_id: str | None, school_brin: str | None, limit: int,
                      offset: int, now: datetime) -> list[resources.PupilRecord]:
        """Registered pupils the user may see (one by id, or a school's), identities only where the role
        must know them; audited.
        """
        condition = scope.pupil_scope(principal, self.registry)
        if pupil_id is not None:
            condition = condition & (pupils.c.id == pupil_id)
        if school_brin is not None:
            condition = condition & (pupils.c.school_brin == school_brin)

        def run() -> list[resources.PupilRecord]:
            with self.engine.connect() as conn:
                found = resources.pupil_records(conn, condition, lambda r: sees_identity(principal, r.school_brin,
                                                                                          r.residence_cbs),
                                                limit, offset)
            if pupil_id is not None and not found:
                raise PupilNotFound(pupil_id)
            return found
        resource = f"pupil:{pupil_id}" if pupil_id else f"pupils:{school_brin or '*'}"
        return self._audited(principal, "pupil.record", resource, None, now, run)

    def search(self, principal: Principal, wanted: CaseFilter, sort: str, descending: bool, limit: int,
               cursor: str | None, now: datetime) -> tuple[list[CaseRow], str | None]:
        """A page of the cases in scope matching ``wanted``; audited (one row per search)."""
        def run() -> tuple[list[CaseRow], str | None]:
            with self.engine.connect() as conn:
                return search_cases(conn, scope.case_scope(principal, self.registry), finals(self.registry),
                                    wanted, now, sort, descending, limit, cursor)
        return self._audited(principal, "case.search", _described(wanted), None, now, run)

    def worklist(self, principal: Principal, query: worklist_store.WorkQuery, now: datetime,
                 ) -> worklist_store.WorkPage:
        """A page of the active cases in scope, most urgent first; audited (one row per page)."""
        def run() -> worklist_store.WorkPage:
            with self.engine.connect() as conn:
                return worklist_store.worklist(conn, scope.case_scope(principal, self.registry), self.registry,
                                               now, query)
        return self._audited(principal, "worklist.read", "cases:worklist", None, now, run)

    def worklist_schools(self, principal: Principal, now: datetime) -> list[tuple[str, str | None]]:
        """(BRIN, name) of the schools with active cases in the user's scope (the worklist's school filter)."""
        with self.engine.connect() as conn:
            return worklist_store.schools_in_scope(conn, scope.case_scope(principal, self.registry), self.registry,
                                                   now)

    def counts(self, principal: Principal, wanted: CaseFilter, by: tuple[str, ...], now: datetime,
               ) -> list[tuple[tuple[str, ...], int]]:
        """How many cases in scope match, per ``by`` (school_brin, pathway, stage); monitoring readers only."""
        check_monitor_reader(principal.role)
        with self.engine.connect() as conn:
            return count_cases(conn, scope.case_scope(principal, self.registry), finals(self.registry), wanted,
                               now, by)

    def time_in_stage(self, principal: Principal, now: datetime) -> list[TimeInStage]:
        """The active cases in scope per (pathway, stage) by how long they have been in it; monitoring readers."""
        check_monitor_reader(principal.role)
        with self.engine.connect() as conn:
            return time_in_stage(conn, scope.case_scope(principal, self.registry), finals(self.registry), now)

    def stalled(self, principal: Principal, query: monitoring.StalledQuery, now: datetime) -> monitoring.StalledPage:
        """A page of the stalled pathways and passed deadlines in the user's scope; audited."""
        check_monitor_reader(principal.role)

        def run() -> monitoring.StalledPage:
            with self.engine.connect() as conn:
                return monitoring.stalled(conn, scope.case_scope(principal, self.registry), self.registry, now,
                                          query)
        return self._audited(principal, "monitor.stalled", "cases:stalled", None, now, run)

    # --- the silence check (issue 14 §3): invariants over all active data, rules in domain.silence ------------

    def silence(self, principal: Principal, query: silence_store.SilenceQuery, now: datetime,
                ) -> silence_store.SilencePage:
        """A page of the places in the user's scope where something falls silent, with the command that fixes
        each, and the totals per kind; monitoring readers, scoped and audited as the stalled list is.
        """
        check_monitor_reader(principal.role)
        reach = silence_store.Reach(scope.case_scope(principal, self.registry),
                                    silence_store.episode_scope(principal, self.registry))

        def run() -> silence_store.SilencePage:
            with self.engine.connect() as conn:
                return silence_store.silence(conn, reach, self.registry, now.astimezone(NL).date(), query)
        return self._audited(principal, "monitor.silence", "cases:silence", None, now, run)

    def silence_counts(self, now: datetime) -> dict[str, int]:
        """How many violations of each kind there are in all active data (the daily flow's check)."""
        with self.engine.connect() as conn:
            return silence_store.counts(conn, silence_store.EVERYTHING, self.registry, now.astimezone(NL).date())

    def indicators(self, principal: Principal, start: datetime, end: datetime, now: datetime) -> Indicators:
        """The DOMAIN.md §5 indicators over [start, end) for the cases in the user's scope."""
        check_monitor_reader(principal.role)
        with self.engine.connect() as conn:
            found = monitoring.period_indicators(conn, scope.case_scope(principal, self.registry), self.registry,
                                                 start, end, now)
            reports = verzuim_meldingen.counts(conn, verzuim_meldingen.scope_of(principal),
                                               start.astimezone(NL).date(), last_day_of(end))
        return replace(found, verzuimmeldingen_op_tijd=reports.op_tijd, verzuimmeldingen_te_laat=reports.te_laat,
                       verzuimmeldingen_niet_gedaan=reports.niet_gemeld)

    def alerts(self, principal: Principal, state: str, limit: int, offset: int, now: datetime,
               kind: str | None = None) -> tuple[list[alert_store.Alert], int]:
        """The user's alert inbox (of one kind, if given); audited."""
        return self._audited(principal, "alerts.read", f"alerts:{state}", None, now,
                             lambda: alert_store.inbox(self.engine, principal, state, limit, offset, kind))

    def alert(self, principal: Principal, alert_id: str, now: datetime) -> alert_store.Alert:
        """One alert of the user's inbox (AlertNotFound, a 404, for anyone else's); audited."""
        return self._audited(principal, "alert.read", f"alert:{alert_id}", None, now,
                             lambda: alert_store.find(self.engine, principal, alert_id))

    def acknowledge_alert(self, principal: Principal, alert_id: str, note: str | None, now: datetime,
                          ) -> alert_store.Alert:
        """Acknowledge an alert in the user's inbox; audited in the same transaction."""
        return self._audited_in(principal, "alert.acknowledge", f"alert:{alert_id}", now,
                                lambda begin: alert_store.acknowledge(begin, principal, alert_id, note, now))

    def alert_groups(self, principal: Principal, state: str, limit: int, offset: int, now: datetime,
                     kind: str | None = None) -> tuple[list[alert_store.AlertGroup], int]:
        """A page of the user's alerts grouped per recipient, kind and pupil (else case), as the inbox shows
        them (of one kind, if given), and how many groups; audited as the inbox's read.
        """
        return self._audited(principal, "alerts.read", f"alerts:{state}", None, now,
                             lambda: alert_store.groups(self.engine, principal, state, limit, offset, kind))

    def alert_group_kinds(self, principal: Principal, state: str) -> dict[str, int]:
        """How many of the user's alert groups in ``state`` there are per kind (counts only, for the tabs and the
        filter).
        """
        return alert_store.group_kinds(self.engine, principal, state)

    def alert_group(self, principal: Principal, alert_id: str, limit: int, now: datetime,
                    ) -> tuple[list[alert_store.Alert], int]:
        """The alerts of the group of one alert of the user's inbox, newest first (at most ``limit``), and how
        many; AlertNotFound (a 404) for anyone else's; audited.
        """
        return self._audited(principal, "alert.read", f"alert-group:{alert_id}", None, now,
                             lambda: alert_store.group_of(self.engine, principal, alert_id, limit))

    def alert_deadline_open(self, principal: Principal, alert_id: str, now: datetime) -> bool | None:
        """For a 'deadline passed' alert of the user's inbox: whether that deadline is still not handled, as the
        monitor counts it (:func:`infra.digests.passed_unhandled`); None for any other alert. AlertNotFound
        (a 404) for anyone else's; audited (the alert is the permission to read this of its case).
        """
        def run() -> bool | None:
            found = alert_store.find(self.engine, principal, alert_id)
            event = found.facts.get("event")
            if found.kind != "escalatie" or found.case_id is None or not isinstance(event, str):
                return None
            with self.engine.connect() as conn:
                return digest_store.still_open(conn, self.registry, found.case_id, event, now)
        return self._audited(principal, "alert.read", f"alert-deadline:{alert_id}", None, now, run)

    def acknowledge_alert_group(self, principal: Principal, alert_id: str, note: str | None, now: datetime,
                                ) -> list[str]:
        """Acknowledge every alert of the group of one alert of the user's inbox that arrived no later than it
        (see :func:`infra.alerts.acknowledge_group`), in one transaction with an ``alert.acknowledge`` audit row
        for each alert acknowledged (one on the alert itself when none was left); the ids acknowledged.
        """
        row = _AuditRow(principal, "alert.acknowledge", PURPOSES.get("alert.acknowledge", "alert.acknowledge"), now)
        done: list[str] = []

        def append(conn: Connection, outcome: str) -> None:
            for resource in [f"alert:{i}" for i in done] if outcome == "ok" and done else [f"alert:{alert_id}"]:
                row.append_in(conn, resource, outcome)

        return audited_write(self.engine, lambda begin: alert_store.acknowledge_group(
            begin, principal, alert_id, note, now, done), append, _outcome)

    def react(self, now: datetime, rounds: int = 5) -> ReactionReport:
        """Make the hand-offs between pathways for the events recorded since the feed last ran (each once),
        and for the events those hand-offs record, up to ``rounds`` rounds deep.
        """
        report = ReactionReport({})
        for _ in range(rounds):
            done = run_reactions(self.engine, self.unit_of_work, self.registry, outbox_high_water(self.engine), now)
            report += done
            if not done.outcomes:
                return report
        return report

    def raise_alerts(self, now: datetime) -> int:
        """Raise the alerts for the events recorded since the feed last ran; how many were new."""
        return alert_store.run_feed(self.engine, self.registry, outbox_high_water(self.engine), now)

    def request_advice(self, principal: Principal, case_id: str, deskundige_id: str, now: datetime) -> None:
        """Ask a deskundige to advise on a TLV request in the user's scope (SWV coordinator, BTO,
        zorgcoördinator); from then on the deskundige sees that case. Audited in the same transaction.
        """
        def run(begin: Begin) -> None:
            with self.unit_of_work() as uow, uow:
                case = uow.get_case(case_id)
                self._in_scope(uow, principal, case)
            advice.request(begin, principal, case, deskundige_id, now)
        self._audited_in(principal, "case.request_advice", f"case:{case_id}", now, run)

    def add_case_note(self, principal: Principal, case_id: str, text: str, now: datetime, *,
                      ask_school: bool = False, key: str | None = None) -> case_note_store.CaseNote:
        """Write a note on a case in scope (out of scope: CaseNotFound, as for an unknown case) as the school's
        zorgcoördinator or the SWV's coordinator or BTO (else RoleNotAllowed); with ``ask_school`` (SWV
        coordinators only) it is a question that alerts the school's zorgcoördinatoren. An empty or too long
        note is InvalidCommand. The note, its alert and the audit row (``case.note``) are one transaction. A
        ``key`` the user sent with an earlier note on this case returns that note and stores nothing new.
        """
        def run(begin: Begin) -> case_note_store.CaseNote:
            with self.unit_of_work() as uow, uow:
                case = uow.get_case(case_id)
                self._in_scope(uow, principal, case)
            check_may_note(principal.role, ask_school=ask_school)
            cleaned = case_note_store.cleaned(text)
            with begin() as conn:
                return case_note_store.add(conn, case, principal.user_id, principal.role, cleaned,
                                           ask_school=ask_school, now=now, key=key)
        note = self._audited_in(principal, "case.note", f"case:{case_id}", now, run)
        log.info("case_note", case_id=case_id, note_id=note.id, asks_school=ask_school, actor_role=principal.role)
        return note

    def read_case_notes(self, principal: Principal, case_id: str, now: datetime, purpose: str | None,
                        ) -> case_note_store.CaseNotes:
        """A case's notes, newest first, if in scope (else CaseNotFound), with what the reader may add; audited."""
        def run(uow: SqlUnitOfWork) -> case_note_store.CaseNotes:
            self._in_scope(uow, principal, uow.get_case(case_id))
            return case_note_store.CaseNotes(case_note_store.of_case(uow.conn, case_id),
                                             may_note(principal.role), may_note(principal.role, ask_school=True))
        return self._audited_read(principal, "case.notes", f"case:{case_id}", purpose, now, run)

    def stream_start(self, principal: Principal, after: int | None, now: datetime) -> int:
        """Where a user's event stream starts (after ``after``, else after the newest event); audited."""
        check_stream_reader(principal.role)
        return self._audited(principal, "events.stream", f"events:{after if after is not None else 'new'}", None,
                             now, lambda: after if after is not None else stream.latest_position(self.engine))

    def events_after(self, principal: Principal, position: int) -> stream.Batch:
        """The next events of the cases in the user's scope after ``position`` (one short read)."""
        return stream.events_after(self.engine, scope.case_scope(principal, self.registry), position)

    def latest_event_position(self) -> int:
        """The id of the newest recorded event (what event streams watch to know when to read)."""
        return stream.latest_position(self.engine)

    def audit_entries(self, principal: Principal, resource: str | None, user_id: str | None, limit: int,
                      offset: int) -> list[AuditEntry]:
        """The audit log, newest first (admins only: RoleNotAllowed otherwise)."""
        if principal.role != ADMIN:
            raise RoleNotAllowed("lees_auditlog", principal.role, [ADMIN])
        return audit.entries(self.engine, resource, user_id, limit, offset)

    def audit_search(self, principal: Principal, wanted: audit.AuditSearch, limit: int, offset: int,
                     ) -> list[AuditEntry]:
        """The audit rows ``wanted`` finds, newest first (admins only: RoleNotAllowed otherwise)."""
        if principal.role != ADMIN:
            raise RoleNotAllowed("lees_auditlog", principal.role, [ADMIN])
        return audit.search(self.engine, wanted, limit, offset)

    def export_audit(self, principal: Principal, wanted: audit.AuditSearch, limit: int, now: datetime,
                     ) -> list[AuditEntry]:
        """The audit rows ``wanted`` finds (at most ``limit``), newest first, for a download; audited
        (admins only: RoleNotAllowed otherwise, also on record).
        """
        def run() -> list[AuditEntry]:
            if principal.role != ADMIN:
                raise RoleNotAllowed("exporteer_auditlog", principal.role, [ADMIN])
            return audit.search(self.engine, wanted, limit, 0)
        return self._audited(principal, "audit.export", wanted.described(), None, now, run)

    def create_account(self, principal: Principal, role: str, scopes: Sequence[str], name: str, now: datetime,
                       ) -> web_accounts.NewAccount:
        """Make an account with an API token, a random first password and a TOTP secret, shown only in the
        result; the account and its audit row in one transaction (admins only; AccountError, Dutch, for a
        taken name, an unknown role or scopes that do not fit it: nothing is made).
        """
        from infra import web_accounts  # noqa: PLC0415 - argon2 only where passwords are made

        _require_admin(principal, "beheer_accounts")
        user, token = accounts.new_user(role, scopes, now, self.swv_codes(), name=name)
        password = web_accounts.new_password()
        credentials = web_accounts.new_credentials(password)

        def run(begin: Begin) -> web_accounts.NewAccount:
            with begin() as conn:
                accounts.require_free_name(conn, user.name)
                accounts.insert_user(conn, user, token)
                enrolment = web_accounts.store_credentials(conn, user.name, credentials, now)
            return web_accounts.NewAccount(user, token, password, enrolment)
        made = self._audited_in(principal, "account.create", f"user:{user.id}", now, run)
        log.info("account", action="created", user_id=user.id, role=role, actor_role=principal.role)
        return made

    def set_mail_preference(self, principal: Principal, user_id: str, email: str, mode: str, now: datetime) -> None:
        """Set an account's alert-mail address and preference (admins only; AccountError, Dutch, for a bad address,
        choice or account: nothing is written); the change and its audit row (``account.mail``, without the
        address) in one transaction.
        """
        _require_admin(principal, "beheer_accounts")

        def run(begin: Begin) -> None:
            with begin() as conn:
                mail_queue.set_preference_in(conn, user_id, email, mode)
        self._audited_in(principal, "account.mail", f"user:{user_id}", now, run)

    def revoke_account(self, principal: Principal, user_id: str, now: datetime) -> accounts.User:
        """Revoke an account: its token and web sessions stop working at once; with its audit row in one
        transaction (admins only; AccountError, Dutch, for an unknown or already revoked account or one's own).
        """
        _require_admin(principal, "beheer_accounts")
        if user_id == principal.user_id:
            raise accounts.AccountError("Uw eigen account kunt u niet intrekken; vraag dat een andere beheerder.")

        def run(begin: Begin) -> accounts.User:
            with begin() as conn:
                found = accounts.find_user(conn, user_id)
                if found is None:
                    raise accounts.AccountError("Dit account bestaat niet (meer); er is niets ingetrokken.")
                if found.revoked_at is not None:
                    raise accounts.AccountError(f"Het account '{found.name}' is al ingetrokken.")
                return accounts.revoke_user_in(conn, user_id, now)
        revoked = self._audited_in(principal, "account.revoke", f"user:{user_id}", now, run)
        log.info("account", action="revoked", user_id=user_id, actor_role=principal.role)
        return revoked

    def reset_second_factor(self, principal: Principal, user_id: str, now: datetime) -> web_accounts.Enrolment:
        """A new TOTP secret for an account (the old codes stop working, its sessions end), shown only in the
        result; with its audit row in one transaction (admins only; AccountError, Dutch, otherwise).
        """
        from infra import web_accounts  # noqa: PLC0415 - argon2 only where passwords are made

        _require_admin(principal, "beheer_accounts")

        def run(begin: Begin) -> web_accounts.Enrolment:
            with begin() as conn:
                return web_accounts.reset_second_factor_in(conn, user_id, now)
        enrolment = self._audited_in(principal, "account.reset_second_factor", f"user:{user_id}", now, run)
        log.info("account", action="second-factor-reset", user_id=user_id, actor_role=principal.role)
        return enrolment

    def _audited(self, principal: Principal, action: str, resource: str, purpose: str | None, now: datetime,
                 run: Callable[[], T]) -> T:
        row = _AuditRow(principal, action, purpose or PURPOSES.get(action, action), now)
        try:
            result = run()
        except DomainError as error:
            row.append(self.engine, resource, _outcome(error))
            raise
        row.append(self.engine, resource, "ok")
        return result

    def _audited_in(self, principal: Principal, action: str, resource: str, now: datetime,
                    run: Callable[[Begin], T]) -> T:
        """:meth:`_audited` for a write that ``run`` does in the one transaction the opener it is given
        opens: see :func:`audited_write` (the 'ok' row commits with the write; a refusal's row on its own).
        """
        row = _AuditRow(principal, action, PURPOSES.get(action, action), now)
        return audited_write(self.engine, run, lambda conn, outcome: row.append_in(conn, resource, outcome), _outcome)

    def _audited_write(
        self, principal: Principal, action: str, resource: str, purpose: str | None, now: datetime,
        run: Callable[[SqlUnitOfWork], T], written: Callable[[SqlUnitOfWork], str] | None = None,
        replayed: Callable[[T], str] | None = None,
    ) -> T:
        """:meth:`_audited` for a write in one unit of work: the ``ok`` row is appended by the unit's
        before-commit hook, in the write's own transaction, so the write and its row commit together or
        not at all (a crash between two commits can no longer leave a write without its row). The row
        goes last, so the audit chain's lock is held only for the append and the commit. ``written``
        names the resource from what the unit wrote (an opened case's id). A refusal (a DomainError,
        nothing written) gets its row in a small transaction of its own; so does a write that committed
        nothing because an idempotency key replayed an earlier outcome (outcome ``replayed``, resource
        from ``replayed``). Any other failure writes no row.
        """
        row = _AuditRow(principal, action, purpose or PURPOSES.get(action, action), now)
        with self.unit_of_work() as uow:
            uow.before_commit(lambda: row.append_in(uow.conn, written(uow) if written else resource, "ok"))
            try:
                result = run(uow)
            except DomainError as error:
                row.append(self.engine, resource, _outcome(error))
                raise
            if uow.commits == 0:
                row.append(self.engine, replayed(result) if replayed else resource, "replayed")
        return result

    def _audited_read(self, principal: Principal, action: str, resource: str, purpose: str | None,
                      now: datetime, run: Callable[[SqlUnitOfWork], T]) -> T:
        """:meth:`_audited` for a read in one unit of work: the read and its audit row (the same row,
        ``ok`` or the refusal's outcome) share one connection and one commit instead of two of each.
        The read comes first, without the audit chain's lock; the row is appended last, so the lock is
        held only for the append and the commit. A failure other than a refusal (a DomainError) rolls
        back and writes no row, as :meth:`_audited` writes none then; a commit that fails loses the row
        and the answer together.
        """
        row = _AuditRow(principal, action, purpose or PURPOSES.get(action, action), now)
        refusal: DomainError | None = None
        with self.unit_of_work() as uow, uow:
            try:
                result = run(uow)
                outcome = "ok"
            except DomainError as error:
                refusal, outcome = error, _outcome(error)
            row.append_in(uow.conn, resource, outcome)
            uow.commit()
        if refusal is not None:
            raise refusal
        return result

    def fire_due_timers(self, as_of: datetime) -> SweepReport:
        """Fire every timer due at ``as_of``."""
        with self.unit_of_work() as uow:
            return handlers.fire_due_timers(uow, self.registry, as_of, self.settings.sweep_batch_size)

    def relay(self, emit: Callable[[Sequence[OutboxItem]], None], now: datetime) -> int:
        """Relay the outbox through ``emit``."""
        with self.unit_of_work() as uow:
            return handlers.relay_outbox(uow, emit, now, self.settings.relay_batch_size)

    def _webhooks(self) -> Webhooks:
        return Webhooks(self.engine, lambda role, scopes: scope.case_scope(Principal("", role, scopes), self.registry),
                        allow=AllowList.parse(self.settings.webhook_allow_hosts),
                        grace=timedelta(hours=self.settings.webhook_secret_grace_hours))

    def register_webhook(self, principal: Principal, url: str, description: str, now: datetime) -> Registered:
        """Register a webhook subscriber (SWV coordinator or admin) owned by the user, that receives the
        events of the cases its owner may see; its secret is returned only here. Audited with the write:
        a lasting channel that sends case events out is an access of its own.
        """
        require_manager(principal.actor)
        subscription_id = str(uuid.uuid4())
        registered = self._audited_in(principal, "webhook.register", f"webhook:{subscription_id}", now,
                                      lambda begin: self._webhooks().register(url, description, now, principal,
                                                                              subscription_id, begin))
        log.info("webhook", action="registered", subscription_id=subscription_id, actor_role=principal.role)
        return registered

    def webhooks(self, principal: Principal) -> list[Subscription]:
        """The webhook subscriptions the user manages (their own; an admin's: all), without secrets."""
        require_manager(principal.actor)
        return self._webhooks().all(None if principal.role == ADMIN else principal.user_id)

    def webhook(self, principal: Principal, subscription_id: str) -> Subscription:
        """One webhook subscription the user manages; WebhookNotFound otherwise (also another's)."""
        require_manager(principal.actor)
        found = self._webhooks().get(subscription_id)
        if not _manages(principal, found):
            raise WebhookNotFound(subscription_id)
        return found

    def deactivate_webhook(self, principal: Principal, subscription_id: str, now: datetime) -> None:
        """Stop delivering to a webhook subscriber the user manages; audited with the write."""
        def run(begin: Begin) -> None:
            self.webhook(principal, subscription_id)
            self._webhooks().deactivate(subscription_id, begin)
        self._audited_in(principal, "webhook.deactivate", f"webhook:{subscription_id}", now, run)
        log.info("webhook", action="deactivated", subscription_id=subscription_id, actor_role=principal.role)

    def rotate_webhook_secret(self, principal: Principal, subscription_id: str, now: datetime) -> Registered:
        """A new secret for a subscriber the user manages, returned only here; the old one signs too
        until the grace period (``webhook_secret_grace_hours``) ends.
        """
        def run(begin: Begin) -> Registered:
            self.webhook(principal, subscription_id)
            return self._webhooks().rotate(subscription_id, now, begin)
        rotated = self._audited_in(principal, "webhook.rotate_secret", f"webhook:{subscription_id}", now, run)
        log.info("webhook", action="secret-rotated", subscription_id=subscription_id, actor_role=principal.role)
        return rotated

    def deliver_webhooks(self, now: datetime) -> DeliveryReport:
        """Deliver new outbox events to every webhook subscriber due at ``now`` whose owner is valid."""
        return self._webhooks().deliver(now)

    def stage_counts(self, pathway: str) -> dict[str, int]:
        """Cases per stage of ``pathway``."""
        with self.unit_of_work() as uow, uow:
            return uow.stage_counts(pathway)

    def event_counts(self, pathway: str) -> dict[str, int]:
        """Events per type of ``pathway``."""
        with self.unit_of_work() as uow, uow:
            return uow.event_counts(pathway)

    def write_digest(self, profile: str, as_of: datetime, now: datetime) -> Digest:
        """Build the stalled-pathways digest of ``profile`` at ``as_of`` and store it as that
        week's (replacing an earlier one); UnknownProfile for an unknown code. Read and write are
        separate transactions: on SQLite a read that turns into a write fails at once if a command
        committed in between, and the digest needs no lock on the cases.
        """
        norms = stage_norms(self.registry.profile(profile))
        with self.engine.connect() as conn:
            in_profile = cases.c.profile == profile
            candidates = digest_store.stalled_candidates(conn, in_profile, norms, as_of)
            overdue = digest_store.overdue_timers(conn, in_profile, self.registry, as_of)
        digest = build_digest(profile, norms, candidates, overdue, self.registry.definitions, as_of)
        with self.engine.begin() as conn:
            digest_store.store_digest(conn, digest, now)
        return digest

    def digests(self, profile: str | None, limit: int, offset: int, principal: Principal | None = None,
                ) -> list[StoredDigest]:
        """Stored digests of the profiles the user covers (no user, an admin: all), the latest week first; of one
        profile: UnknownProfile if it is unknown, and none if it is not the user's.
        """
        if profile is not None:
            self.registry.profile(profile)
        covered = self._digest_profiles(principal)
        with self.engine.connect() as conn:
            return digest_store.list_digests(conn, profile, limit, offset, covered)

    def latest_digest(self, profile: str, principal: Principal | None = None) -> StoredDigest:
        """The profile's digest of its latest week; DigestNotFound if none was written or it is not the user's."""
        with self.engine.connect() as conn:
            found = digest_store.latest_digest(conn, profile, self._digest_profiles(principal))
        if found is None:
            raise DigestNotFound(profile)
        return found

    def _digest_profiles(self, principal: Principal | None) -> list[str] | None:
        if principal is None or principal.role == ADMIN:
            return None
        return scope.profiles_of(principal, self.registry)


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


def _manages(principal: Principal, subscription: Subscription) -> bool:
    """An admin manages every subscription; anyone else only those they registered themselves."""
    return principal.role == ADMIN or (subscription.owner_id is not None and subscription.owner_id == principal.user_id)


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


def _require_admin(principal: Principal, what: str) -> None:
    if principal.role != ADMIN:
        raise RoleNotAllowed(what, principal.role, [ADMIN])


def _outcome(error: DomainError) -> str:
    if isinstance(error, NotFound):
        return "not-found"
    if isinstance(error, RoleNotAllowed | OutOfScope):
        return "forbidden"
    return error.code


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
