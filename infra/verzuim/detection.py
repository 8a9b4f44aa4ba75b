"""Thuiszitter and verzuim detection over the database: the daily run and the one-pupil run after a new
record (the incremental path). Both go through :class:`DetectionRun` and so give the same keys.

**Candidates** (daily, in SQL): pupils with unauthorised absence (or authorised absence with a hidden-thuiszitter
reason) in the ``lookback_days`` before the as-of
date, pupils with an open register episode, pupils whose enrollment ended lately (a new absoluut
thuiszitter), and pupils with a 5-onder-a vrijstelling running or just ended. Other pupils cannot reach
a new threshold: every signal needs an absent day, a day without enrollment, an open episode or a 5a.

**Records** (per chunk of candidates, a few queries): the pupils, all their enrollments and
vrijstellingen, their register rows, and their unauthorised and hidden-reason absences from 1 August of the
previous school year -- or from the first day of their open episode, when that is earlier, so an episode keeps its first
day and so its key. A pupil's records count from the later of ``records_from`` (when the data became
complete) and their first enrollment or vrijstelling: a pupil is followed from their first record on.

**Writes** (one transaction per chunk): the alerts (idempotent on their dedupe key), new register rows,
changed ones; before that, for every open thuiszitter episode without a case, the pupil's thuiszitter
case is opened by the system (``meld_thuiszitter``, idempotency key ``verzuim:<episode key>``: once).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final, cast

import structlog
from sqlalchemy import ColumnElement, Connection, Engine, bindparam, or_, select, union, update

from domain.access import swv_codes_of
from domain.case import Actor, Command
from domain.context import DEFAULT_PROFILE
from domain.durations import NL
from domain.errors import DomainError
from domain.handlers import NewCase, Outcome
from domain.registry import PathwayRegistry
from domain.roles import SYSTEEM
from domain.verzuim import (
    Absence,
    Detection,
    Enrollment,
    Pupil,
    PupilRecords,
    Signal,
    VerzuimSettings,
    Vrijstelling,
    detect,
)
from domain.verzuim.leerplicht import school_year_start
from domain.verzuim.model import HIDDEN_REASONS, SCHOOL_KINDS, SchoolKind, VrijstellingKind
from infra.delivery.alerts import DETECTION_ACTOR_ID, NewAlert, raise_alerts
from infra.store.db import chunks, dialect_insert
from infra.store.tables import alerts, pupils
from infra.store.verzuim_tables import absences, enrollments, thuiszitter_episodes, vrijstellingen
from infra.verzuim.calendars import SchoolBook
from infra.verzuim.plan import (
    Plan,
    StoredEpisode,
    action,
    alert_actions,
    alerts_for,
    due,
    episode_writes,
    return_alerts,
)

log = structlog.get_logger("leerlingroute.verzuim")
DETECTION: Final = Actor(SYSTEEM, DETECTION_ACTOR_ID)
LEFT_MARGIN_DAYS: Final = 60
"""How far back a finished enrollment makes a pupil a candidate (the absoluut threshold plus slack)."""
OpenCase = Callable[[NewCase, Command, datetime, str], Outcome]
NO_CASE: Final = frozenset({"vrijstelling", "verborgen"})
"""Episode kinds without a thuiszitter case: an exempted pupil, and a hidden thuiszitter (absent with
permission: the pathway's melding is for relatief and absoluut verzuim; the SWV coordinator acts)."""


@dataclass(frozen=True)
class DetectionConfig:
    """How detection reads the data (see the module docstring)."""

    records_from: date = date(2025, 8, 1)
    lookback_days: int = 7
    signal_days: int = 56
    chunk_size: int = 1000


@dataclass(frozen=True)
class Raised:
    """An alert raised by a run: its kind, for whom, and its dedupe key."""

    kind: str
    audience_role: str
    key: str


@dataclass
class DetectionReport:
    """What a run did."""

    as_of: date
    candidates: int = 0
    signals: int = 0
    alerts: int = 0
    episodes_new: int = 0
    episodes_closed: int = 0
    cases_opened: int = 0
    duration_s: float = 0.0
    raised: list[Raised] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        """The figures without the raised alerts (what the flow logs and returns)."""
        return {"as_of": self.as_of.isoformat(), "candidates": self.candidates, "signals": self.signals,
                "alerts": self.alerts, "episodes_new": self.episodes_new, "episodes_closed": self.episodes_closed,
                "cases_opened": self.cases_opened, "duration_s": round(self.duration_s, 3)}


@dataclass
class Chunk:
    """The records of a chunk of pupils as read."""

    pupils: dict[str, tuple[Pupil, str | None]] = field(default_factory=dict)
    enrollments: dict[str, list[tuple[str, date, date | None]]] = field(default_factory=dict)
    vrijstellingen: dict[str, list[Vrijstelling]] = field(default_factory=dict)
    episodes: dict[str, list[StoredEpisode]] = field(default_factory=dict)
    absences: dict[str, list[Absence]] = field(default_factory=dict)


def candidates(conn: Connection, as_of: date, config: DetectionConfig) -> list[str]:
    """The pupils whose detection can change as of ``as_of`` (see the module docstring), sorted."""
    since = as_of - timedelta(days=config.lookback_days)
    absent = select(absences.c.pupil_id).where(absences.c.day >= since, absences.c.day < as_of,
                                               _counted(), absences.c.hours > 0)
    open_episodes = select(thuiszitter_episodes.c.pupil_id).where(thuiszitter_episodes.c.last_day.is_(None))
    left = select(enrollments.c.pupil_id).where(
        enrollments.c.last_day >= since - timedelta(days=LEFT_MARGIN_DAYS), enrollments.c.last_day < as_of)
    exempt = select(vrijstellingen.c.pupil_id).where(
        vrijstellingen.c.kind == "5a", vrijstellingen.c.first_day < as_of,
        or_(vrijstellingen.c.last_day.is_(None), vrijstellingen.c.last_day >= since))
    return sorted(set(conn.execute(union(absent, open_episodes, left, exempt)).scalars()))


def _counted() -> ColumnElement[bool]:
    """The absences detection reads: unauthorised ones, and authorised ones with a hidden-thuiszitter reason."""
    return or_(absences.c.authorized.is_(False), absences.c.reason_kind.in_(sorted(HIDDEN_REASONS)))


def window_start(as_of: date) -> date:
    """1 August of the school year before that of ``as_of``: the absences every run reads at least."""
    start = school_year_start(as_of)
    return start.replace(year=start.year - 1)


def read_chunk(conn: Connection, ids: Sequence[str], as_of: date) -> Chunk:
    """The records of ``ids`` (see the module docstring), in five queries."""
    chunk = Chunk()
    for r in conn.execute(select(pupils.c.id, pupils.c.birth_date, pupils.c.residence_cbs, pupils.c.school_brin,
                                 pupils.c.startkwalificatie_on).where(pupils.c.id.in_(ids))):
        chunk.pupils[r.id] = (Pupil(r.id, date.fromisoformat(r.birth_date), r.residence_cbs, r.startkwalificatie_on),
                              r.school_brin)
    for r in conn.execute(select(enrollments.c.pupil_id, enrollments.c.school_brin, enrollments.c.first_day,
                                 enrollments.c.last_day).where(enrollments.c.pupil_id.in_(ids))):
        chunk.enrollments.setdefault(r.pupil_id, []).append((r.school_brin, r.first_day, r.last_day))
    for r in conn.execute(select(vrijstellingen.c.pupil_id, vrijstellingen.c.kind, vrijstellingen.c.first_day,
                                 vrijstellingen.c.last_day).where(vrijstellingen.c.pupil_id.in_(ids))):
        kind: VrijstellingKind = r.kind
        chunk.vrijstellingen.setdefault(r.pupil_id, []).append(Vrijstelling(r.pupil_id, kind, r.first_day,
                                                                            r.last_day))
    for r in conn.execute(select(thuiszitter_episodes).where(thuiszitter_episodes.c.pupil_id.in_(ids))):
        chunk.episodes.setdefault(r.pupil_id, []).append(StoredEpisode(
            r.key, r.pupil_id, r.kind, r.first_day, r.last_day, r.school_weeks, r.case_id, tuple(r.actions)))
    lower = min([window_start(as_of), *(open_since(rows) or as_of for rows in chunk.episodes.values())])
    for r in conn.execute(select(absences.c.pupil_id, absences.c.day, absences.c.hours, absences.c.authorized,
                                 absences.c.reason_kind, absences.c.scheduled_hours).where(
            absences.c.pupil_id.in_(ids), absences.c.day >= lower, absences.c.day < as_of, _counted(),
            absences.c.hours > 0)):
        chunk.absences.setdefault(r.pupil_id, []).append(Absence(
            r.pupil_id, r.day, r.hours, authorized=r.authorized, reason_kind=r.reason_kind,
            scheduled_hours=r.scheduled_hours))
    return chunk


def open_since(rows: Iterable[StoredEpisode]) -> date | None:
    """The first day of the earliest open thuiszitter episode among ``rows``."""
    return min((r.first_day for r in rows if r.last_day is None and r.kind != "vrijstelling"), default=None)


class DetectionRun:
    """One detection run at ``as_of``; ``now`` dates what it writes."""

    def __init__(self, engine: Engine, registry: PathwayRegistry, open_case: OpenCase, as_of: date, now: datetime,
                 config: DetectionConfig) -> None:
        self.engine, self.registry, self.open_case = engine, registry, open_case
        self.as_of, self.now, self.config = as_of, now, config
        self.book = SchoolBook()
        self.report = DetectionReport(as_of)
        self._profiles = {swv: code for code, p in registry.profiles.items() for swv in swv_codes_of(p)}
        self._settings: dict[str, VerzuimSettings] = {}

    def run(self, pupil_ids: Sequence[str] | None = None, *, keep_raised: bool = False) -> DetectionReport:
        """Detect for ``pupil_ids`` (None: the candidates) chunk by chunk; the report of what was done."""
        started = time.perf_counter()
        if pupil_ids is None:
            with self.engine.connect() as conn:
                ids = candidates(conn, self.as_of, self.config)
        else:
            ids = sorted(set(pupil_ids))
        self.report.candidates = len(ids)
        for chunk in chunks(ids, self.config.chunk_size):
            self._chunk(chunk, keep_raised=keep_raised)
        self.report.duration_s = time.perf_counter() - started
        return self.report

    def _chunk(self, ids: Sequence[str], *, keep_raised: bool) -> None:
        with self.engine.connect() as conn:
            chunk = read_chunk(conn, ids, self.as_of)
            self.book.load(conn, {e[0] for rows in chunk.enrollments.values() for e in rows}
                           | {brin for _, brin in chunk.pupils.values() if brin})
        detections = {pupil_id: self._detect(chunk, pupil_id) for pupil_id in chunk.pupils}
        signal_from = self.as_of - timedelta(days=self.config.signal_days)
        case_ids, extra = self._open_cases(chunk, detections)
        plan = Plan()
        for detection in detections.values():
            open_keys = {e.key for e in detection.episodes if e.last_day is None}
            signals = [s for s in detection.signals if due(s, open_keys, signal_from)]
            plan.signals += len(signals)
            registered = chunk.pupils[detection.pupil_id][1]
            plan.alerts += [a for s in signals
                            for a in alerts_for(s, self._swv_of, _case_of(s, case_ids, chunk), registered)]
            plan.alerts += return_alerts(detection, chunk.episodes.get(detection.pupil_id, []), self._swv_of,
                                         current=self.as_of >= self.now.astimezone(NL).date())
        plan.alerts = self._new_only(plan.alerts)
        for key, actions in alert_actions(plan.alerts, self.now.astimezone(NL).date()).items():
            extra.setdefault(key, []).extend(actions)
        for pupil_id, detection in detections.items():
            episode_writes(detection, chunk.episodes.get(pupil_id, []), extra, case_ids, self.as_of, self.now, plan)
        self._write(plan)
        self._count(plan, keep_raised=keep_raised)

    def _detect(self, chunk: Chunk, pupil_id: str) -> Detection:
        pupil, _ = chunk.pupils[pupil_id]
        rows = chunk.enrollments.get(pupil_id, [])
        enrolled = tuple(Enrollment(pupil_id, brin, self._kind(brin), first, last) for brin, first, last in rows)
        exempt = tuple(chunk.vrijstellingen.get(pupil_id, []))
        start = min(window_start(self.as_of), open_since(chunk.episodes.get(pupil_id, [])) or self.as_of)
        absent = tuple(a for a in chunk.absences.get(pupil_id, []) if a.day >= start)
        first_known = min([e.first_day for e in enrolled] + [v.first_day for v in exempt], default=None)
        records_from = max(self.config.records_from, first_known or self.config.records_from)
        latest = max(rows, key=lambda row: row[1])[0] if rows else None
        return detect(PupilRecords(pupil, enrolled, absent, exempt), calendars=self.book.calendar,
                       as_of=self.as_of, settings=self._settings_of(latest), records_from=records_from)

    def _kind(self, brin: str) -> SchoolKind:
        school = self.book.schools.get(brin)
        return cast("SchoolKind", school.kind) if school and school.kind in SCHOOL_KINDS else "po"

    def _swv_of(self, brin: str) -> str | None:
        school = self.book.schools.get(brin)
        return school.swv_code if school else None

    def _profile_of(self, brin: str | None) -> str:
        swv = self._swv_of(brin) if brin else None
        return self._profiles.get(swv, DEFAULT_PROFILE) if swv else DEFAULT_PROFILE

    def _settings_of(self, brin: str | None) -> VerzuimSettings:
        code = self._profile_of(brin)
        if code not in self._settings:
            data = self.registry.profile(code).setting("verzuim") or {}
            try:
                self._settings[code] = VerzuimSettings.from_data(data)
            except (TypeError, ValueError) as error:
                log.warning("verzuim_settings_invalid", profile=code, error=str(error))
                self._settings[code] = VerzuimSettings()
        return self._settings[code]

    def _open_cases(self, chunk: Chunk, detections: Mapping[str, Detection],
                    ) -> tuple[dict[str, str], dict[str, list[dict[str, Any]]]]:
        """Open the thuiszitter case of every open episode that has none; case ids and actions by key."""
        case_ids: dict[str, str] = {}
        extra: dict[str, list[dict[str, Any]]] = {}
        day = self.now.astimezone(NL).date()
        for pupil_id, detection in detections.items():
            stored = {row.key: row for row in chunk.episodes.get(pupil_id, [])}
            for episode in detection.episodes:
                row = stored.get(episode.key)
                if episode.kind in NO_CASE or episode.last_day is not None or (row and row.case_id):
                    continue
                brin = episode.school_brin or chunk.pupils[pupil_id][1]
                opened, reason = self._open_one(episode.key, pupil_id, brin, episode.kind, episode.first_day)
                if opened is not None:
                    case_ids[episode.key] = opened
                    extra.setdefault(episode.key, []).append(action(day, "dossier_geopend"))
                elif not any(a.get("actie") == "dossier_niet_geopend" for a in (row.actions if row else ())):
                    extra.setdefault(episode.key, []).append(action(day, "dossier_niet_geopend", reason))
        return case_ids, extra

    def _open_one(self, key: str, pupil_id: str, brin: str | None, soort: str, since: date,
                  ) -> tuple[str | None, str | None]:
        if brin is None:
            return None, "geen school bekend"
        command = Command("meld_thuiszitter", DETECTION, {"soort": soort, "sinds": since.isoformat()})
        try:
            outcome = self.open_case(NewCase("thuiszitter", brin, pupil_id, self._profile_of(brin)), command,
                                     self.now, f"verzuim:{key}")
        except DomainError as error:
            log.warning("thuiszitter_case_not_opened", pupil_id=pupil_id, reason=error.code)
            return None, error.code
        self.report.cases_opened += int(not outcome.replayed)
        return outcome.case_id, None

    def _new_only(self, planned: list[NewAlert]) -> list[NewAlert]:
        """The planned alerts not raised before (read outside the write transaction)."""
        keys = [a.dedupe_key for a in planned]
        existing: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in chunks(keys):
                existing.update(conn.execute(select(alerts.c.dedupe_key).where(alerts.c.dedupe_key.in_(chunk)))
                                .scalars())
        return [a for a in planned if a.dedupe_key not in existing]

    def _write(self, plan: Plan) -> None:
        """The chunk's alerts and register rows, in one transaction."""
        if not (plan.alerts or plan.inserts or plan.updates):
            return
        table = thuiszitter_episodes
        with self.engine.begin() as conn:
            raise_alerts(conn, plan.alerts, self.now)
            if plan.inserts:
                conn.execute(dialect_insert(conn, table).on_conflict_do_nothing(index_elements=[table.c.key]),
                             plan.inserts)
            if plan.updates:
                conn.execute(update(table).where(table.c.key == bindparam("b_key")).values(
                    last_day=bindparam("b_last_day"), school_weeks=bindparam("b_school_weeks"),
                    case_id=bindparam("b_case_id"), actions=bindparam("b_actions", type_=table.c.actions.type),
                    updated_at=bindparam("b_updated_at", type_=table.c.updated_at.type)), plan.updates)

    def _count(self, plan: Plan, *, keep_raised: bool) -> None:
        report = self.report
        report.signals += plan.signals
        report.alerts += len(plan.alerts)
        report.episodes_new += len(plan.inserts)
        report.episodes_closed += plan.closed
        if keep_raised:
            report.raised += [Raised(a.kind, a.audience_role, a.dedupe_key) for a in plan.alerts]


def _case_of(signal: Signal, case_ids: Mapping[str, str], chunk: Chunk) -> str | None:
    """The case id of the episode a thuiszitter or escalation signal belongs to (just opened or stored)."""
    key = signal.key.removesuffix(":escalatie")
    if key in case_ids:
        return case_ids[key]
    stored = next((row for row in chunk.episodes.get(signal.pupil_id, []) if row.key == key), None)
    return stored.case_id if stored else None
