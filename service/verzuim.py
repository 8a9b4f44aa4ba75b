"""Verzuim and thuiszitters (issue 6) as the API, the flow and the CLI use them: :class:`Verzuim` over the
service (its engine, registry and ``open_case``).

Every write is one transaction; after a record is written, detection runs for that pupil at once (the
incremental path: only that pupil's records, as of today in the Netherlands), so an alert it causes is
there when the request returns. The daily flow runs detection for every candidate pupil.

Settings (environment, prefix ``LEERLINGROUTE_VERZUIM_``): ``RECORDS_FROM`` (the first day the enrollment
and absence data is complete; default 2025-08-01, the first school year with calendars),
``LOOKBACK_DAYS`` (how many days back the daily run looks for new absence; default 7), ``SIGNAL_DAYS``
(meldplicht and dreigend signals older than this are not raised; default 56).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import structlog
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

from domain.access import Principal, check_monitor_reader
from domain.durations import NL
from domain.errors import DomainError, RoleNotAllowed
from domain.roles import ADMIN, LEERPLICHT, SWV_COORDINATOR, ZORGCOORDINATOR
from domain.verzuim import Holiday
from infra.delivery import alerts as alert_store
from infra.reference.csv_import import read_csv
from infra.store.db import Begin
from infra.store.tables import schools
from infra.verzuim import calendars as verzuim_calendars
from infra.verzuim import input_files
from infra.verzuim import inputs as verzuim_inputs
from infra.verzuim import meldingen as verzuim_meldingen
from infra.verzuim import register as verzuim_register
from infra.verzuim import vrijstelling_raadpleging as raadpleging
from infra.verzuim.calendars import SCHOOL, SWV
from infra.verzuim.detection import DetectionConfig, DetectionReport, DetectionRun, Raised
from infra.verzuim.input_files import IMPORTS
from infra.verzuim.inputs import Record, VrijstellingRecord, Written
from infra.verzuim.meldingen import Counts, Melding
from infra.verzuim.register import RegisterRow
from infra.verzuim.vrijstelling_raadpleging import Line, VoornemenRow
from infra.verzuim.weeks import AbsenceWeek, absence_weeks, out_of_school_since
from infra.views.silence import episode_scope
from service import Service
from service.use_case import Opener, audited, audited_in, only, unaudited

log = structlog.get_logger("leerlingroute.verzuim")
ABSENCE_READERS = frozenset({LEERPLICHT, SWV_COORDINATOR, ADMIN})
"""Who sees the absence behind a thuiszitter alert in their inbox (not the zorgcoördinator's alerts)."""


class VerzuimEnv(BaseSettings):
    """Detection settings from the environment (see the module docstring)."""

    model_config = SettingsConfigDict(env_prefix="LEERLINGROUTE_VERZUIM_", env_file=".env", extra="ignore")

    records_from: date = date(2025, 8, 1)
    lookback_days: int = Field(default=7, ge=1, le=366)
    signal_days: int = Field(default=56, ge=1, le=366)
    chunk_size: int = Field(default=1000, ge=1, le=10_000)

    def detection(self) -> DetectionConfig:
        """As the detection takes them."""
        return DetectionConfig(self.records_from, self.lookback_days, self.signal_days, self.chunk_size)


@dataclass(frozen=True)
class Recorded:
    """What recording did: the rows written and the report of the pupils' detection."""

    written: Written
    detection: DetectionReport


def today_in_nl(now: datetime) -> date:
    """The Dutch calendar day of an instant."""
    return now.astimezone(NL).date()


@dataclass
class Verzuim:
    """Enrollments, absences, vrijstellingen, own holidays, detection and the register."""

    service: Service
    config: DetectionConfig | None = None

    def _config(self) -> DetectionConfig:
        if self.config is None:
            self.config = VerzuimEnv().detection()
        return self.config

    # --- inputs ---------------------------------------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The service's database (where the use cases below are audited)."""
        return self.service.engine

    @audited_in(lambda a: f"verzuim.{verzuim_inputs.kind_of(a['record'])}", "pupil:{record.pupil_id}")
    def record(self, begin: Opener, principal: Principal, record: Record, now: datetime) -> Recorded:
        """Write one record (one transaction, with its audit row), then detect for its pupil."""
        lines = ([Line(0, record.pupil_id, record.kind, record.first_day)]
                 if isinstance(record, VrijstellingRecord) else [])
        written = verzuim_inputs.record_one(self._guarded(begin, lines, csv=False), principal, record, now,
                                            today_in_nl(now))
        return Recorded(written, self.detect(today_in_nl(now), now, written.pupils, keep_raised=True))

    @audited_in("import:{kind}", "import:{kind}")
    def import_csv(self, begin: Opener, principal: Principal, kind: str, content: str, now: datetime) -> Recorded:
        """Import a CSV file all or nothing (one transaction, with its audit row), then detect for the pupils
        in it.
        """
        lines = _vrijstelling_lines(content) if kind == "vrijstellingen" else []
        written = input_files.import_csv(self._guarded(begin, lines, csv=True), principal, kind, content, now,
                                         today_in_nl(now))
        log.info("import", kind=kind, added=written.added, updated=written.updated, actor_role=principal.role)
        return Recorded(written, self.detect(today_in_nl(now), now, written.pupils))

    def _guarded(self, begin: Begin, lines: Sequence[Line], *, csv: bool) -> Begin:
        """The write's opener, checking the SWV's consultation of every 5a written (see
        :mod:`infra.verzuim.vrijstelling_raadpleging`).
        """
        return raadpleging.guarded(begin, self.service.registry, lines, csv=csv) if lines else begin

    # --- meldplicht followed through, the SWV consulted (issue 15 items 4-5) ------------------------------------

    @audited_in("verzuim.melding", "signal:{signal_key}")
    def record_melding(self, begin: Opener, principal: Principal, signal_key: str, kind: str, reported_on: date,
                       now: datetime) -> Melding:
        """The zorgcoördinator records the school's verzuimmelding to DUO on a meldplicht signal; audited."""
        with begin() as conn:
            return verzuim_meldingen.record(conn, principal, self.service.registry, signal_key, kind,
                                            reported_on, today_in_nl(now), now)

    @unaudited()
    def melding_at_alert(self, principal: Principal, alert: alert_store.Alert, now: datetime) -> Melding | None:
        """For a meldplicht alert in a zorgcoördinator's inbox: where the school's report stands."""
        if alert.kind != verzuim_meldingen.MELDPLICHT or principal.role != ZORGCOORDINATOR or not alert.from_detection:
            return None
        with self.service.engine.connect() as conn:
            return verzuim_meldingen.state_of(conn, self.service.registry, alert.facts, alert.audience_scope,
                                              today_in_nl(now))

    @unaudited()
    def voornemen_at_alert(self, principal: Principal, alert: alert_store.Alert) -> VoornemenRow | None:
        """For a consultation alert in an SWV coordinator's inbox: the intended vrijstelling it asks about."""
        voornemen = alert.facts.get("voornemen")
        if alert.kind != raadpleging.ASKED or principal.role != SWV_COORDINATOR or not isinstance(voornemen, int):
            return None
        with self.service.engine.connect() as conn:
            return raadpleging.find(conn, voornemen)

    @unaudited()
    def meldingen_counts(self, principal: Principal, first: date, last: date) -> Counts:
        """Reported, late and unreported meldplicht signals in the user's scope (reached in ``first..last``)."""
        condition = verzuim_meldingen.scope_of(principal)
        with self.service.engine.connect() as conn:
            return verzuim_meldingen.counts(conn, condition, first, last)

    @audited_in("verzuim.voornemen", "pupil:{pupil_id}")
    def propose_vrijstelling(self, begin: Opener, principal: Principal, pupil_id: str, first_day: date,
                             last_day: date | None, now: datetime) -> VoornemenRow:
        """Leerplicht records an intended vrijstelling 5 onder a; the SWV coordinator is asked; audited."""
        with begin() as conn:
            return raadpleging.propose(conn, principal, self.service.registry, pupil_id, first_day, last_day,
                                       today_in_nl(now), now)

    @audited_in("verzuim.raadpleging", "voornemen:{voornemen_id}")
    def consult_swv(self, begin: Opener, principal: Principal, voornemen_id: int, now: datetime) -> VoornemenRow:
        """The SWV coordinator records that they were consulted on an intended vrijstelling; audited."""
        with begin() as conn:
            return raadpleging.consult(conn, principal, voornemen_id, today_in_nl(now), now)

    @audited_in("verzuim.holidays", "{scope}:{code}")
    def set_holidays(self, begin: Opener, principal: Principal, scope: str, code: str, holidays: Sequence[Holiday],
                     now: datetime) -> list[Holiday]:
        """Replace a school's or SWV's own holidays (admin; an SWV coordinator for their SWV and its schools);
        audited in the same transaction.
        """
        self._check_holiday_setter(principal, scope, code)
        with begin() as conn:
            verzuim_calendars.set_holidays(conn, scope, code, holidays, now)
            return verzuim_calendars.holidays_of(conn, scope, code)

    def _check_holiday_setter(self, principal: Principal, scope: str, code: str) -> None:
        if principal.role == ADMIN:
            return
        if principal.role == SWV_COORDINATOR:
            swv = code if scope == SWV else self._swv_of_school(code)
            if swv is None or swv in principal.scopes:
                return
        raise RoleNotAllowed("stel_vakanties_in", principal.role, (ADMIN, SWV_COORDINATOR))

    def _swv_of_school(self, brin: str) -> str | None:
        with self.service.engine.connect() as conn:
            found: str | None = conn.execute(schools.select().with_only_columns(schools.c.swv_code)
                                             .where(schools.c.brin == brin)).scalar_one_or_none()
        return found

    def holidays(self, scope: str, code: str) -> list[Holiday]:
        """A school's or SWV's own holidays (ScopeNotFound for an unknown one)."""
        with self.service.engine.connect() as conn:
            return verzuim_calendars.holidays_of(conn, scope, code)

    # --- detection ------------------------------------------------------------------------------------------------

    def detect(self, as_of: date, now: datetime, pupil_ids: Sequence[str] | None = None, *,
               keep_raised: bool = False) -> DetectionReport:
        """Detect as of ``as_of`` for ``pupil_ids`` (None: every candidate); write alerts, register, cases."""
        run = DetectionRun(self.service.engine, self.service.registry, self.service.open_case, as_of, now,
                           self._config())
        report = run.run(pupil_ids, keep_raised=keep_raised)
        escalated = verzuim_meldingen.escalate(self.service.engine, self.service.registry, as_of, now, pupil_ids)
        report.alerts += len(escalated)
        if keep_raised:
            report.raised += [Raised(a.kind, a.audience_role, a.dedupe_key) for a in escalated]
        log.info("verzuim_detection", **report.counts(), pupils="candidates" if pupil_ids is None else len(pupil_ids))
        return report

    @audited("verzuim.detect", lambda a: f"verzuim:{(a['as_of'] or today_in_nl(a['now'])).isoformat()}",
             may=only(ADMIN, act="start_verzuimdetectie"))
    def detect_as(self, principal: Principal, as_of: date | None, pupil_ids: Sequence[str] | None,
                  now: datetime) -> DetectionReport:
        """Run detection on request (admins only); audited."""
        return self.detect(as_of or today_in_nl(now), now, pupil_ids, keep_raised=pupil_ids is not None)

    # --- absence behind an alert ------------------------------------------------------------------------------------

    @unaudited()
    def absence_at_alert(self, principal: Principal, alert_id: str, first: date, last: date, now: datetime,
                         ) -> list[AbsenceWeek] | None:
        """The absence per week (``first..last``) of the pupil of a verzuim alert in the user's inbox: a
        thuiszitter report, or any signal of verzuim detection (dreigend, escalation, back at school).

        The alert is the permission: it reached this inbox because the pupil is in its scope. None for
        another alert or when the role does not read absence (only leerplicht, the SWV coordinator and
        admin do); AlertNotFound for an alert not in the inbox. The absence is audited as a read of the pupil
        (:meth:`_absence_of`).
        """
        alert = alert_store.find(self.service.engine, principal, alert_id)
        pupil_id = alert.pupil_id
        about_verzuim = alert.kind == "thuiszitter" or alert.from_detection
        if not about_verzuim or not pupil_id or principal.role not in ABSENCE_READERS:
            return None
        school = alert.facts.get("school_brin")
        return self._absence_of(principal, pupil_id, school if isinstance(school, str) else None, first, last, now)

    @audited("verzuim.read", "pupil:{pupil_id}")
    def _absence_of(self, principal: Principal, pupil_id: str, school: str | None, first: date, last: date,
                    now: datetime) -> list[AbsenceWeek]:
        with self.service.engine.connect() as conn:
            return absence_weeks(conn, pupil_id, school, first, last)

    def out_of_school_since(self, alert: alert_store.Alert, on: date) -> date | None:
        """Where the absence chart of an alert the case-event feed raised starts (see
        :func:`infra.verzuim.weeks.out_of_school_since`); the alert was read in the user's scope.
        """
        if not alert.pupil_id:
            return None
        with self.service.engine.connect() as conn:
            return out_of_school_since(conn, alert.pupil_id, alert.case_id, on)

    # --- register -------------------------------------------------------------------------------------------------

    @audited("monitor.verborgen", "register:verborgen", may=check_monitor_reader)
    def hidden_thuiszitters(self, principal: Principal, now: datetime, limit: int = 100,
                            ) -> tuple[int, list[RegisterRow]]:
        """The hidden thuiszitters still at home in the monitor reader's scope (their schools; the schools of
        their SWV), longest at home first, and how many there are; audited.
        """
        condition = episode_scope(principal, self.service.registry)
        with self.service.engine.connect() as conn:
            return verzuim_register.hidden_open(conn, condition, today_in_nl(now), limit)

    @audited("thuiszitters.register", "register:{first}..{last}")
    def register(self, principal: Principal, first: date, last: date, now: datetime) -> list[RegisterRow]:
        """The register rows in the user's scope open at any time in ``first..last``; audited."""
        condition = verzuim_register.register_scope(principal)
        with self.service.engine.connect() as conn:
            return verzuim_register.register_rows(conn, condition, first, last, today_in_nl(now))

    def export(self, quarter: str, swv: str | None, today: date) -> list[dict[str, str]]:
        """The anonymised quarterly register (see :mod:`infra.verzuim.register`)."""
        with self.service.engine.connect() as conn:
            return verzuim_register.export_rows(conn, quarter, swv, today)

    @audited("thuiszitters.export", lambda a: f"export:{a['quarter']}:{a['swv'] or '*'}")
    def export_as(self, principal: Principal, quarter: str, swv: str | None, now: datetime) -> str:
        """The export as CSV for an admin (any or every SWV) or an SWV coordinator (their SWV); audited."""
        if principal.role == SWV_COORDINATOR and (swv is None or swv not in principal.scopes):
            raise RoleNotAllowed("exporteer_thuiszitterregister", principal.role, (ADMIN, SWV_COORDINATOR))
        if principal.role not in (ADMIN, SWV_COORDINATOR):
            raise RoleNotAllowed("exporteer_thuiszitterregister", principal.role, (ADMIN, SWV_COORDINATOR))
        return verzuim_register.as_csv(self.export(quarter, swv, today_in_nl(now)))


def _vrijstelling_lines(content: str) -> list[Line]:
    """The lines of a vrijstellingen file as far as they read (the import itself reports any defect)."""
    try:
        rows = read_csv(IMPORTS["vrijstellingen"], content)
    except DomainError:
        return []
    found = []
    for line, row in rows:
        try:
            found.append(Line(line, row["pupil_id"], row["kind"], date.fromisoformat(row["first_day"])))
        except (KeyError, ValueError):
            continue
    return found


__all__ = ["SCHOOL", "SWV", "Recorded", "Verzuim", "VerzuimEnv"]
