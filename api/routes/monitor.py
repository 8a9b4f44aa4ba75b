"""Monitoring for coordinators (and zorgcoördinatoren over their own schools): stalled pathways and
passed deadlines, counts, and the DOMAIN.md §5 indicators for a period — all within the reader's scope.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from api.deps import NowDep, PrincipalDep, ServiceDep
from api.routes.digests import OverdueTimerOut, StalledCaseOut
from api.schemas import WINDOW, Instant, problem_responses
from domain.errors import InvalidCommand
from domain.silence import KINDS
from domain.stalled import DAYS_IN_STAGE_BANDS
from infra.store.search import CaseFilter
from infra.views.monitoring import StalledQuery
from infra.views.silence import SilenceQuery

router = APIRouter(prefix="/monitor", tags=["monitoring"])
ERRORS = problem_responses(401, 403, 422)
GROUPS = {"school": ("school_brin",), "pathway": ("pathway",), "stage": ("pathway", "stage")}


class StalledOut(BaseModel):
    """Stalled cases (most days over their stage's norm first) and passed deadlines (longest overdue first)."""

    as_of: AwareDatetime
    stalled_total: int
    overdue_total: int
    stalled: list[StalledCaseOut]
    overdue: list[OverdueTimerOut]


class CountOut(BaseModel):
    """How many cases share these values."""

    school_brin: str | None = None
    pathway: str | None = None
    stage: str | None = None
    count: int


class BandOut(BaseModel):
    """The cases that have been in the stage at least ``from_days`` and fewer than ``to_days`` whole days."""

    from_days: int
    to_days: int | None
    count: int


class TimeInStageOut(BaseModel):
    """How long the active cases of one stage have been in it."""

    pathway: str
    stage: str
    total: int
    bands: list[BandOut]


class IndicatorsOut(BaseModel):
    """The figures of one period [start, end): see DOMAIN.md §5."""

    start: AwareDatetime
    end: AwareDatetime
    verwijzingen: int
    tlvs_per_categorie: dict[str, int]
    tlvs_afgewezen: int
    bezwaren: int
    terugplaatsingen: int
    knooppunten_gehouden: int
    knooppunten_op_tijd: int
    knooppunten_te_laat: int
    thuiszitters_gemeld: int
    thuiszitters_langer_dan_3_maanden: int
    thuiszitters_nu: int
    schorsingen: int
    schorsingen_langer_dan_een_dag: int
    verwijderingen: int
    verwijderingen_zonder_nieuwe_school: int
    verzuimmeldingen_op_tijd: int
    verzuimmeldingen_te_laat: int
    verzuimmeldingen_niet_gedaan: int


@router.get("/stalled", response_model=StalledOut, responses=ERRORS)
def stalled(
    principal: PrincipalDep, service: ServiceDep, now: NowDep,
    school: Annotated[str | None, Query(max_length=8)] = None,
    pathway: Annotated[str | None, Query(max_length=40)] = None,
    stage: Annotated[str | None, Query(max_length=60)] = None,
    min_days_over: Annotated[int, Query(ge=0, le=10_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> StalledOut:
    """Cases in your scope that stayed in their stage beyond the profile's norm (most days over first), and
    deadlines that passed (longest overdue first): one page of each, with their totals.
    """
    query = StalledQuery(school, pathway, stage, min_days_over, limit, offset)
    page = service.stalled(principal, query, now)
    return StalledOut(as_of=now, stalled_total=page.stalled_total, overdue_total=page.overdue_total,
                      stalled=[StalledCaseOut(**asdict(c)) for c in page.stalled],
                      overdue=[OverdueTimerOut(**asdict(t)) for t in page.overdue])


@router.get("/counts", response_model=list[CountOut], responses=ERRORS)
def counts(
    principal: PrincipalDep, service: ServiceDep, now: NowDep,
    by: Literal["school", "pathway", "stage"] = "stage",
    active: Annotated[bool | None, Query(description="only open (true) or closed (false) cases")] = True,
    pathway: Annotated[str | None, Query(max_length=40)] = None,
) -> list[CountOut]:
    """How many cases in your scope per school, pathway or stage (largest first)."""
    found = service.counts(principal, CaseFilter(pathway=pathway, active=active), GROUPS[by], now)
    return [CountOut(**dict(zip(GROUPS[by], values, strict=True)), count=n) for values, n in found]


@router.get("/time-in-stage", response_model=list[TimeInStageOut], responses=ERRORS)
def time_in_stage(principal: PrincipalDep, service: ServiceDep, now: NowDep) -> list[TimeInStageOut]:
    """The active cases in your scope per pathway and stage, counted by how long they have been in the
    stage: under a week, 1-4 weeks, 4-13 weeks, 13-26 weeks and longer (whole days, Dutch wall clock).
    """
    edges = [0, *DAYS_IN_STAGE_BANDS, None]
    return [TimeInStageOut(pathway=t.pathway, stage=t.stage, total=t.total,
                           bands=[BandOut(from_days=low or 0, to_days=high, count=n)
                                  for low, high, n in zip(edges, edges[1:], t.counts, strict=False)])
            for t in service.time_in_stage(principal, now)]


@router.get("/indicators", response_model=IndicatorsOut, responses=ERRORS)
def indicators(
    principal: PrincipalDep, service: ServiceDep, now: NowDep,
    start: Annotated[Instant, Query(description=f"start of the period (inclusive), {WINDOW}")],
    end: Annotated[Instant, Query(description=f"end of the period (exclusive), {WINDOW}")],
) -> IndicatorsOut:
    """Verwijzingen, TLVs by category, terugplaatsingen, knooppunten on time, thuiszitters and bezwaren
    for the cases in your scope, over [start, end).
    """
    _check_period(start, end)
    return IndicatorsOut(start=start, end=end, **asdict(service.indicators(principal, start, end, now)))


class FixOut(BaseModel):
    """A command that ends the violation: on ``case_id``, or opening a case on ``pathway`` (case_id null), with
    the values to give it where they are known.
    """

    command: str
    label: str
    pathway: str
    case_id: str | None
    values: dict[str, str]


class ViolationOut(BaseModel):
    """A place where something falls silent (issue 14 §3), with the command(s) that fix it."""

    kind: str
    kind_label: str
    description: str
    case_id: str | None
    pupil_id: str
    school_brin: str | None
    profile: str
    fixes: list[FixOut]


class SilenceOut(BaseModel):
    """The violations in your scope (one page, kinds in a fixed order) and how many there are of each kind."""

    as_of: AwareDatetime
    totals: dict[str, int]
    violations: list[ViolationOut]


KIND_PATTERN = "^(" + "|".join(KINDS) + ")$"


@router.get("/silence", response_model=SilenceOut, responses=ERRORS)
def silence(
    principal: PrincipalDep, service: ServiceDep, now: NowDep,
    kind: Annotated[str | None, Query(pattern=KIND_PATTERN, description=f"only this kind: {', '.join(KINDS)}")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> SilenceOut:
    """What falls silent in your scope: active TLVs without a running herbeoordeling, cascade levels that need
    an OPP without one, open thuiszitter episodes without a case, and active cases that no timer and no stage
    norm watch. Each with the command that fixes it; recomputed on every read (a fix shows at once).
    """
    page = service.silence(principal, SilenceQuery(kind, limit, offset), now)
    return SilenceOut(as_of=now, totals=page.totals, violations=[
        ViolationOut(kind=v.kind, kind_label=v.kind_label, description=v.description, case_id=v.case_id,
                     pupil_id=v.pupil_id, school_brin=v.school_brin, profile=v.profile,
                     fixes=[FixOut(command=f.command, label=f.label, pathway=f.pathway, case_id=f.case_id,
                                   values=dict(f.values)) for f in v.fixes])
        for v in page.violations])


def _check_period(start: datetime, end: datetime) -> None:
    if end <= start:
        raise InvalidCommand(["Het einde van de periode moet na het begin liggen."])
