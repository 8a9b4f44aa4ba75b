"""Monitoring use cases: the worklist, counts and time in stage, the stalled list and passed deadlines, the silence
check, the §5 indicators, and the weekly digests (for monitoring readers, scoped, the lists audited).
"""


from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.access import Principal, check_monitor_reader
from domain.durations import NL
from domain.indicators import Indicators
from domain.roles import ADMIN
from domain.stalled import Digest, DigestNotFound, TimeInStage, build_digest, stage_norms
from domain.terms import last_day_of
from infra.store import scope
from infra.store.search import CaseFilter, count_cases, time_in_stage
from infra.store.tables import cases
from infra.verzuim import meldingen as verzuim_meldingen
from infra.views import digests as digest_store
from infra.views import monitoring
from infra.views import silence as silence_store
from infra.views import worklist as worklist_store
from infra.views.digests import StoredDigest
from infra.views.monitoring import finals
from service.base import ServiceBase
from service.use_case import audited, unaudited


class MonitoringUseCases(ServiceBase):
    """What is stalled, late or silent, and the figures of a region."""

    @audited("worklist.read", "cases:worklist")
    def worklist(self, principal: Principal, query: worklist_store.WorkQuery, now: datetime,
                 ) -> worklist_store.WorkPage:
        """A page of the active cases in scope, most urgent first; audited (one row per page)."""
        with self.engine.connect() as conn:
            return worklist_store.worklist(conn, scope.case_scope(principal, self.registry), self.registry, now,
                                           query)

    @unaudited()
    def worklist_schools(self, principal: Principal, now: datetime) -> list[tuple[str, str | None]]:
        """(BRIN, name) of the schools with active cases in the user's scope (the worklist's school filter)."""
        with self.engine.connect() as conn:
            return worklist_store.schools_in_scope(conn, scope.case_scope(principal, self.registry), self.registry,
                                                   now)

    @unaudited(may=check_monitor_reader)
    def counts(self, principal: Principal, wanted: CaseFilter, by: tuple[str, ...], now: datetime,
               ) -> list[tuple[tuple[str, ...], int]]:
        """How many cases in scope match, per ``by`` (school_brin, pathway, stage); monitoring readers only."""
        with self.engine.connect() as conn:
            return count_cases(conn, scope.case_scope(principal, self.registry), finals(self.registry), wanted,
                               now, by)

    @unaudited(may=check_monitor_reader)
    def time_in_stage(self, principal: Principal, now: datetime) -> list[TimeInStage]:
        """The active cases in scope per (pathway, stage) by how long they have been in it; monitoring readers."""
        with self.engine.connect() as conn:
            return time_in_stage(conn, scope.case_scope(principal, self.registry), finals(self.registry), now)

    @audited("monitor.stalled", "cases:stalled", may=check_monitor_reader)
    def stalled(self, principal: Principal, query: monitoring.StalledQuery, now: datetime) -> monitoring.StalledPage:
        """A page of the stalled pathways and passed deadlines in the user's scope; monitoring readers; audited."""
        with self.engine.connect() as conn:
            return monitoring.stalled(conn, scope.case_scope(principal, self.registry), self.registry, now, query)

    @audited("monitor.silence", "cases:silence", may=check_monitor_reader)
    def silence(self, principal: Principal, query: silence_store.SilenceQuery, now: datetime,
                ) -> silence_store.SilencePage:
        """A page of the places in the user's scope where something falls silent, with the command that fixes
        each, and the totals per kind; monitoring readers, scoped and audited as the stalled list is.
        """
        reach = silence_store.Reach(scope.case_scope(principal, self.registry),
                                    silence_store.episode_scope(principal, self.registry))
        with self.engine.connect() as conn:
            return silence_store.silence(conn, reach, self.registry, now.astimezone(NL).date(), query)

    def silence_counts(self, now: datetime) -> dict[str, int]:
        """How many violations of each kind there are in all active data (the daily flow's check)."""
        with self.engine.connect() as conn:
            return silence_store.counts(conn, silence_store.EVERYTHING, self.registry, now.astimezone(NL).date())

    @unaudited(may=check_monitor_reader)
    def indicators(self, principal: Principal, start: datetime, end: datetime, now: datetime) -> Indicators:
        """The DOMAIN.md §5 indicators over [start, end) for the cases in the user's scope."""
        with self.engine.connect() as conn:
            found = monitoring.period_indicators(conn, scope.case_scope(principal, self.registry), self.registry,
                                                 start, end, now)
            reports = verzuim_meldingen.counts(conn, verzuim_meldingen.scope_of(principal),
                                               start.astimezone(NL).date(), last_day_of(end))
        return replace(found, verzuimmeldingen_op_tijd=reports.op_tijd, verzuimmeldingen_te_laat=reports.te_laat,
                       verzuimmeldingen_niet_gedaan=reports.niet_gemeld)

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
            overdue = digest_store.overdue_timers(conn, in_profile, as_of)
        digest = build_digest(profile, norms, candidates, overdue, self.registry.definitions, as_of)
        with self.engine.begin() as conn:
            digest_store.store_digest(conn, digest, now)
        return digest

    @unaudited()
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

    @unaudited()
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

