"""Cases: open one, send it commands, read its status and history."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.deps import NowDep, PrincipalDep, PurposeDep, ServiceDep, off_the_loop
from api.documents import json_response, shaped
from api.schemas import (
    CaseStatusOut,
    CommandIn,
    HistoryEntryOut,
    OpenCase,
    OutcomeOut,
    problem_responses,
)
from domain.case import Command
from domain.context import DEFAULT_PROFILE
from domain.handlers import NewCase
from domain.terms import KINDS
from domain.views import CaseStatus, TimerView
from infra.store.search import CaseFilter
from service import Service

router = APIRouter(prefix="/cases", tags=["cases"])
IdempotencyKey = Annotated[str | None, Header(
    min_length=1, max_length=200, description="Send the same key again to get the first result without a second write")]
IfMatch = Annotated[str | None, Header(
    pattern=r'^"?[0-9]{1,9}"?$', description="Apply only if the case is still at this version (its ETag)")]
ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OutcomeOut, responses=ERRORS)
def open_case(
    body: OpenCase, principal: PrincipalDep, service: ServiceDep, now: NowDep, response: Response,
    idempotency_key: IdempotencyKey = None, purpose: PurposeDep = None,
) -> OutcomeOut:
    """Open a case with the pathway's start command, for a school (zorgcoördinator) or a school of the SWV
    (SWV coordinator, BTO) your account covers; 403 otherwise. The case runs under its school's profile
    (its SWV's; 'standaard' for a school not in the reference data): another ``profile`` is 422.
    """
    start = service.registry.get(body.pathway).start.command
    command = Command(start, principal.actor, body.payload, body.occurred_at)
    profile = body.profile or _school_profile(service, body.school_brin)
    new = NewCase(body.pathway, body.school_brin, body.pupil_id, profile)
    outcome = service.open_case_as(principal, new, command, now, idempotency_key, purpose)
    response.headers["Location"] = f"/cases/{outcome.case_id}"
    return OutcomeOut(**asdict(outcome))


def _school_profile(service: Service, school_brin: str) -> str:
    school = service.school_of(school_brin)
    return school.profile if school is not None else DEFAULT_PROFILE


@router.post("/{case_id}/commands", response_model=OutcomeOut, responses=ERRORS)
def send_command(
    case_id: str, body: CommandIn, principal: PrincipalDep, service: ServiceDep, now: NowDep,
    idempotency_key: IdempotencyKey = None, if_match: IfMatch = None, purpose: PurposeDep = None,
) -> OutcomeOut:
    """Apply a command. 409 names the commands allowed now; 422 names what is missing."""
    expected = int(if_match.strip('"')) if if_match else None
    command = Command(body.command, principal.actor, body.payload, body.occurred_at)
    outcome = service.handle_as(principal, case_id, command, now, idempotency_key, expected, purpose)
    return OutcomeOut(**asdict(outcome))


class CaseRowOut(BaseModel):
    """A case in a list: where it stands and its next deadline (no payload content)."""

    case_id: str
    pathway: str
    definition_version: int
    profile: str
    school_brin: str
    pupil_id: str
    stage: str
    opened_at: AwareDatetime
    stage_entered_at: AwareDatetime
    updated_at: AwareDatetime
    next_due_at: AwareDatetime | None
    days_in_stage: int


class CasePageOut(BaseModel):
    """A page of cases; pass ``next_cursor`` as ``cursor`` for the next one (null: this is the last)."""

    items: list[CaseRowOut]
    next_cursor: str | None


@router.get("", response_model=CasePageOut, responses=ERRORS)
def search_cases(
    principal: PrincipalDep, service: ServiceDep, now: NowDep,
    pathway: Annotated[str | None, Query(max_length=40)] = None,
    stage: Annotated[str | None, Query(max_length=60)] = None,
    school: Annotated[str | None, Query(max_length=8)] = None,
    pupil: Annotated[str | None, Query(max_length=64)] = None,
    overdue: Annotated[bool | None, Query(description="with (true) or without (false) a passed deadline")] = None,
    min_days_in_stage: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    active: Annotated[bool | None, Query(description="open (true) or closed (false) cases")] = None,
    sort: Literal["stage_entered_at", "opened_at", "updated_at"] = "stage_entered_at",
    order: Literal["asc", "desc"] = "asc",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> CasePageOut:
    """The cases in your scope that match every filter given, in a stable order (the sort column, then
    the case id); out-of-scope cases are never listed or counted.
    """
    wanted = CaseFilter(pathway, stage, school, pupil, overdue, min_days_in_stage, active)
    rows, following = service.search(principal, wanted, sort, order == "desc", limit, cursor, now)
    return CasePageOut(items=[CaseRowOut(**asdict(r), days_in_stage=(now - r.stage_entered_at).days)
                              for r in rows], next_cursor=following)


class AdviceRequestIn(BaseModel):
    """Ask a deskundige (by user id) to advise on this TLV request."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"deskundige_id": "5b0e4c1e-2f8a-4d7e-9c3b-1a2b3c4d5e6f"}]})
    deskundige_id: str = Field(min_length=1, max_length=36)


@router.post("/{case_id}/advice-requests", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def request_advice(
    case_id: str, body: AdviceRequestIn, principal: PrincipalDep, service: ServiceDep, now: NowDep,
) -> Response:
    """From now on the deskundige sees this TLV request and may record their advice (asking twice is fine)."""
    service.request_advice(principal, case_id, body.deskundige_id, now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{case_id}", response_model=CaseStatusOut, responses=ERRORS)
async def case_status(
    case_id: str, principal: PrincipalDep, service: ServiceDep, now: NowDep, purpose: PurposeDep = None,
) -> Response:
    """The case's stage, open deadlines with due dates, and the commands allowed next."""
    pending = await off_the_loop(service, lambda: service.read_status_pending(principal, case_id, now, purpose))
    found = await pending.answer()
    return json_response(status_document(found), {"ETag": f'"{found.version}"'})


def status_out(found: CaseStatus) -> CaseStatusOut:
    """The schema of a case's status."""
    return CaseStatusOut.model_validate(status_document(found))


def status_document(found: CaseStatus) -> dict[str, Any]:
    """A case's status as the JSON :class:`CaseStatusOut` describes (see :mod:`api.documents`)."""
    return shaped(CaseStatusOut, found, open_timers=[timer_document(t) for t in found.open_timers])


def timer_document(timer: TimerView) -> dict[str, Any]:
    """An open deadline with its last day, basis and reckoning."""
    deadline = timer.deadline
    basis = None if deadline is None else {"soort": deadline.kind, "soort_tekst": KINDS[deadline.kind],
                                           "bron": deadline.source}
    return {"name": timer.name, "label": timer.label, "due_at": timer.due_at, "overdue": timer.overdue,
            "last_day": timer.last_day, "basis": basis, "reckoning": deadline.reckoning if deadline else None,
            "suspended_since": timer.suspended_since}


MAX_SEQ = 2_147_483_647
"""The highest event seq the store can hold (a 32-bit integer column)."""


@router.get("/{case_id}/history", response_model=list[HistoryEntryOut], responses=ERRORS)
def case_history(
    case_id: str, principal: PrincipalDep, service: ServiceDep, now: NowDep, response: Response,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ, description="only the events after this seq")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many events")] = 100,
    purpose: PurposeDep = None,
) -> list[HistoryEntryOut]:
    """The case's events in order, with when each happened and when it was recorded, a page at a time: the
    events after seq ``after``, at most ``limit`` of them. When more follow, a ``Link`` header (RFC 8288) with
    ``rel="next"`` names the next page.
    """
    entries = service.read_history(principal, case_id, now, purpose, after, limit + 1)  # one more: is there a next?
    if len(entries) > limit:
        entries = entries[:limit]
        response.headers["Link"] = f'</cases/{case_id}/history?after={entries[-1].seq}&limit={limit}>; rel="next"'
    return [HistoryEntryOut(**asdict(e)) for e in entries]
