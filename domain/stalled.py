"""The weekly digest of stalled pathways: cases that stay in a stage longer than their SWV's norm,
and deadlines that passed and are not handled yet (the case has not moved on since; which ones is decided in
``infra.views.digests.passed_unhandled``).

DOMAIN.md §3 asks the engine to "make the waiting visible and escalate" (knooppunten that are not
held on time, OPPs not in force within 6 weeks, TLV dossiers that wait); §5 lists knooppunt
timeliness as a monitored indicator. A norm is a regional agreement, so it comes from the profile
(``settings["stage_norms"]``); a final stage never counts as stalled.

Time is counted on the Dutch wall clock in whole days, as the timers count it: a case entered a
stage ``days_in_stage`` days ago and is stalled when that exceeds the norm's days (exactly at the
norm it is not; one day later it is one day over). The digest holds case ids and school BRINs
only: never pupil ids, names or payload content.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from domain.context import Profile
from domain.definition import PathwayDefinition
from domain.durations import NL, Duration
from domain.errors import DomainError, NotFound, RoleNotAllowed
from domain.roles import ADMIN, BTO, SWV_COORDINATOR
from domain.terms import last_day_of

STAGE_NORMS = "stage_norms"
"""The profile setting that holds ``{pathway: {stage: Duration}}``."""

DIGEST_READERS = frozenset({SWV_COORDINATOR, BTO, ADMIN})
"""Who may read the digests: the people who monitor every pathway of the SWV (DOMAIN.md §1)."""

DAYS_IN_STAGE_BANDS = (7, 28, 91, 182)
"""The monitor's time-in-stage bands, as whole days: under a week, 1-4 weeks, 4-13 weeks, 13-26 weeks
(a quarter to half a year), and longer."""

Norms = Mapping[str, Mapping[str, Duration]]
Definitions = Mapping[tuple[str, int], PathwayDefinition]


@dataclass(frozen=True)
class CaseSummary:
    """What the digest needs of a case: where it stands and since when (no pupil id)."""

    case_id: str
    pathway: str
    definition_version: int
    stage: str
    stage_entered_at: datetime
    school_brin: str
    profile: str


@dataclass(frozen=True)
class PendingTimer:
    """A timer still pending on a case, with the case's pathway and school."""

    case_id: str
    pathway: str
    definition_version: int
    school_brin: str
    profile: str
    timer: str
    due_at: datetime


@dataclass(frozen=True)
class StalledCase:
    """A case that has stayed in its stage longer than the profile's norm for that stage."""

    case_id: str
    pathway: str
    stage: str
    stage_label: str
    school_brin: str
    stage_entered_at: datetime
    days_in_stage: int
    norm: str
    norm_days: int
    days_over: int


@dataclass(frozen=True)
class OverdueTimer:
    """A deadline that has passed and is not handled yet: its timer is still pending, or it fired as a missed
    deadline and the case has not moved on since.
    """

    case_id: str
    pathway: str
    school_brin: str
    timer: str
    label: str
    due_at: datetime
    days_overdue: int
    """Days since the last day: 1 on the first day the term has passed."""
    last_day: date


@dataclass(frozen=True)
class TimeInStage:
    """How long the active cases of one stage have been in it: a count per band of whole days.

    ``counts[i]`` holds the cases in the stage for at least ``bounds[i - 1]`` (0 for the first) and fewer
    than ``bounds[i]`` days; the last count holds the cases in it for ``bounds[-1]`` days or more.
    """

    pathway: str
    stage: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        """All active cases in the stage."""
        return sum(self.counts)


def band_cutoffs(as_of: datetime, bounds: Sequence[int] = DAYS_IN_STAGE_BANDS) -> list[datetime]:
    """Per bound, the instant after which a case that entered its stage has been in it fewer whole days.

    Whole days on the Dutch wall clock, as ``days_in_stage`` counts them: a stage entered on Monday
    09:00 has lasted 7 days from the next Monday 09:00, summer time or not.
    """
    local = as_of.astimezone(NL)
    return [local - timedelta(days=days) for days in bounds]


def bands(pathway: str, stage: str, total: int, fewer_than: Sequence[int]) -> TimeInStage:
    """The counts per band from the total and, per bound, how many cases stayed fewer days than it."""
    edges = [0, *fewer_than, total]
    return TimeInStage(pathway, stage, tuple(high - low for low, high in pairwise(edges)))


@dataclass(frozen=True)
class Digest:
    """One profile's stalled cases and overdue deadlines at ``as_of``, most overdue first."""

    profile: str
    week: str
    as_of: datetime
    stalled: tuple[StalledCase, ...] = ()
    overdue: tuple[OverdueTimer, ...] = ()
    stalled_per_stage: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    overdue_per_timer: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        """The numbers only (no case ids): what an event or a log line may carry."""
        return {"profile": self.profile, "week": self.week, "as_of": self.as_of.isoformat(),
                "stalled": len(self.stalled), "overdue": len(self.overdue),
                "stalled_per_stage": _plain(self.stalled_per_stage),
                "overdue_per_timer": _plain(self.overdue_per_timer)}

    def to_data(self) -> dict[str, Any]:
        """The digest as JSON-ready data: the counts and both lists."""
        return {**self.counts(),
                "stalled_cases": [{**asdict(s), "stage_entered_at": s.stage_entered_at.isoformat()}
                                  for s in self.stalled],
                "overdue_timers": [{**asdict(t), "due_at": t.due_at.isoformat(), "last_day": t.last_day.isoformat()}
                                   for t in self.overdue]}


class DigestNotFound(NotFound):
    """No digest has been written for this profile (yet)."""

    code = "digest-not-found"

    def __init__(self, profile: str) -> None:
        super().__init__(f"No stalled-pathways digest for profile {profile!r}",
                         f"Voor profiel '{profile}' is nog geen overzicht van vastgelopen trajecten gemaakt.")


class DigestNotAllowed(RoleNotAllowed):
    """The actor's role may not read the digests."""

    def __init__(self, role: str) -> None:
        roles = sorted(DIGEST_READERS)
        listed = ", ".join(roles)
        # RoleNotAllowed's own sentence is about issuing a command; reading a digest reads differently.
        DomainError.__init__(
            self, f"Role {role} may not read the stalled-pathways digests; roles allowed: {listed}",
            f"Met de rol '{role}' kunt u de overzichten van vastgelopen trajecten niet inzien; dat kunnen: {listed}.")
        self.roles = tuple(roles)


def check_digest_reader(role: str) -> None:
    """Raise DigestNotAllowed unless ``role`` may read the digests."""
    if role not in DIGEST_READERS:
        raise DigestNotAllowed(role)


def stage_norms(profile: Profile) -> Norms:
    """The profile's norms, ``{pathway: {stage: Duration}}`` (none: nothing counts as stalled)."""
    norms: Norms = profile.setting(STAGE_NORMS, {})
    return norms


def iso_week(instant: datetime) -> str:
    """The ISO week of ``instant`` in the Netherlands, e.g. ``2026-W47``."""
    year, week, _ = instant.astimezone(NL).isocalendar()
    return f"{year}-W{week:02d}"


def build_digest(
    profile: str, norms: Norms, cases: Iterable[CaseSummary], timers: Iterable[PendingTimer],
    definitions: Definitions, as_of: datetime,
) -> Digest:
    """The digest of ``profile`` at ``as_of``: its cases over their stage's norm (final stages
    never) and its passed deadlines (timers due before ``as_of``, as the store selected them); other profiles'
    rows are ignored.
    """
    if as_of.tzinfo is None:
        msg = "as_of must be timezone-aware"
        raise ValueError(msg)
    stalled = sorted((s for c in cases if c.profile == profile
                      if (s := _stalled(c, norms, definitions, as_of)) is not None),
                     key=lambda s: (-s.days_over, s.pathway, s.case_id))
    overdue = sorted((_overdue(t, definitions, as_of) for t in timers if t.profile == profile and t.due_at <= as_of),
                     key=lambda t: (t.due_at, t.case_id, t.timer))
    return Digest(profile, iso_week(as_of), as_of, tuple(stalled), tuple(overdue),
                  _per((s.pathway, s.stage) for s in stalled), _per((t.pathway, t.timer) for t in overdue))


def _stalled(case: CaseSummary, norms: Norms, definitions: Definitions, as_of: datetime) -> StalledCase | None:
    norm = norms.get(case.pathway, {}).get(case.stage)
    definition = definitions.get((case.pathway, case.definition_version))
    stage = definition.stages.get(case.stage) if definition else None
    if norm is None or (stage is not None and stage.final):
        return None
    entered = case.stage_entered_at
    days, norm_days = _days(entered, as_of), _days(entered, norm.after(entered))
    if days <= norm_days:
        return None
    return StalledCase(case.case_id, case.pathway, case.stage, stage.label if stage else case.stage, case.school_brin,
                       entered, days, norm.iso(), norm_days, days - norm_days)


def _overdue(timer: PendingTimer, definitions: Definitions, as_of: datetime) -> OverdueTimer:
    definition = definitions.get((timer.pathway, timer.definition_version))
    specs = definition.timers if definition else ()
    label = next((t.label for t in specs if t.name == timer.timer), timer.timer)
    last_day = last_day_of(timer.due_at)
    return OverdueTimer(timer.case_id, timer.pathway, timer.school_brin, timer.timer, label, timer.due_at,
                        (as_of.astimezone(NL).date() - last_day).days, last_day)


def _days(start: datetime, end: datetime) -> int:
    """Whole days from ``start`` to ``end`` on the Dutch wall clock (summer time shifts no day)."""
    return (end.astimezone(NL).replace(tzinfo=None) - start.astimezone(NL).replace(tzinfo=None)).days


def _per(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    counted: dict[str, dict[str, int]] = {}
    for (pathway, name), n in sorted(Counter(pairs).items()):
        counted.setdefault(pathway, {})[name] = n
    return counted


def _plain(nested: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    return {k: dict(v) for k, v in nested.items()}
