"""Digests: the weekly report of stalled pathways per SWV profile, for those who monitor the SWV.

The schemas live here rather than in api/schemas.py: they describe only these two routes.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, Field

from api.deps import PrincipalDep, ServiceDep
from api.schemas import problem_responses
from domain.access import Principal
from domain.stalled import check_digest_reader
from infra.views.digests import StoredDigest

router = APIRouter(prefix="/digests", tags=["digests"])
ERRORS = problem_responses(401, 403, 404, 422)


def _reader(principal: PrincipalDep) -> Principal:
    """The acting user, if their role may read digests (SWV coordinator, BTO, admin); else 403."""
    check_digest_reader(principal.role)
    return principal


ReaderDep = Annotated[Principal, Depends(_reader)]


class StalledCaseOut(BaseModel):
    """A case that has stayed in its stage longer than the profile's norm."""

    case_id: str
    pathway: str
    stage: str
    stage_label: str
    school_brin: str
    stage_entered_at: AwareDatetime
    days_in_stage: int
    norm: str
    norm_days: int
    days_over: int


class OverdueTimerOut(BaseModel):
    """A deadline that passed while its timer is still pending."""

    case_id: str
    pathway: str
    school_brin: str
    timer: str
    label: str
    due_at: AwareDatetime = Field(description="the instant the term passed: the start of the day after its last day")
    days_overdue: int = Field(description="days since the last day (1 on the first day the term has passed)")
    last_day: date = Field(description="the last day on which a step was in time")


class DigestContentOut(BaseModel):
    """What the digest found: counts, then the cases (most days over first) and the deadlines."""

    profile: str
    week: str
    as_of: AwareDatetime
    stalled: int
    overdue: int
    stalled_per_stage: dict[str, dict[str, int]]
    overdue_per_timer: dict[str, dict[str, int]]
    stalled_cases: list[StalledCaseOut]
    overdue_timers: list[OverdueTimerOut]


class DigestOut(BaseModel):
    """One profile's digest of one ISO week (e.g. 2026-W47); a re-run of the week replaced it."""

    id: str
    profile: str
    week: str
    as_of: AwareDatetime
    created_at: AwareDatetime
    content: DigestContentOut


@router.get("", response_model=list[DigestOut], responses=ERRORS)
def list_digests(
    reader: ReaderDep, service: ServiceDep, profile: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[DigestOut]:
    """Stored digests, the latest week first, optionally of one profile (an unknown one is 422)."""
    return [_out(d) for d in service.digests(profile, limit, offset, reader)]


@router.get("/{profile}/latest", response_model=DigestOut, responses=ERRORS)
def latest_digest(profile: str, reader: ReaderDep, service: ServiceDep) -> DigestOut:
    """The profile's digest of its latest week; 404 if none has been written."""
    return _out(service.latest_digest(profile, reader))


def _out(found: StoredDigest) -> DigestOut:
    return DigestOut(id=found.id, profile=found.profile, week=found.week, as_of=found.as_of,
                     created_at=found.created_at, content=DigestContentOut.model_validate(found.content))
