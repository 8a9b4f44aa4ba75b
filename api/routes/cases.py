"""Cases: open one, send it commands, read its status and history."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from api.deps import NowDep, PrincipalDep, PurposeDep, ServiceDep
from api.schemas import CaseStatusOut, CommandIn, HistoryEntryOut, OpenCase, OutcomeOut, problem_responses
from domain.case import Command
from domain.handlers import NewCase
from domain.views import CaseStatus

router = APIRouter(prefix="/cases", tags=["cases"])
IdempotencyKey = Annotated[str | None, Header(
    min_length=1, max_length=200, description="Send the same key again to get the first result without a second write")]
IfMatch = Annotated[str | None, Header(
    pattern=r'^"?[0-9]+"?$', description="Apply only if the case is still at this version (its ETag)")]
ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OutcomeOut, responses=ERRORS)
def open_case(
    body: OpenCase, principal: PrincipalDep, service: ServiceDep, now: NowDep, response: Response,
    idempotency_key: IdempotencyKey = None, purpose: PurposeDep = None,
) -> OutcomeOut:
    """Open a case with the pathway's start command, for a school (zorgcoördinator) or under a profile
    (SWV coordinator, BTO) your account covers; 403 otherwise.
    """
    start = service.registry.get(body.pathway).start.command
    command = Command(start, principal.actor, body.payload, body.occurred_at)
    new = NewCase(body.pathway, body.school_brin, body.pupil_id, body.profile)
    outcome = service.open_case_as(principal, new, command, now, idempotency_key, purpose)
    response.headers["Location"] = f"/cases/{outcome.case_id}"
    return OutcomeOut(**asdict(outcome))


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


@router.get("/{case_id}", response_model=CaseStatusOut, responses=ERRORS)
def case_status(
    case_id: str, principal: PrincipalDep, service: ServiceDep, now: NowDep, response: Response,
    purpose: PurposeDep = None,
) -> CaseStatusOut:
    """The case's stage, open deadlines with due dates, and the commands allowed next."""
    found = service.read_status(principal, case_id, now, purpose)
    response.headers["ETag"] = f'"{found.version}"'
    return status_out(found)


def status_out(found: CaseStatus) -> CaseStatusOut:
    """The schema of a case's status."""
    data = asdict(found)
    for command in data["next_commands"]:
        command["fields"] = [{**f, "choices": list(f["choices"])} for f in command["fields"]]
    return CaseStatusOut(**data)


@router.get("/{case_id}/history", response_model=list[HistoryEntryOut], responses=ERRORS)
def case_history(
    case_id: str, principal: PrincipalDep, service: ServiceDep, now: NowDep, purpose: PurposeDep = None,
) -> list[HistoryEntryOut]:
    """Every event of the case in order, with when it happened and when it was recorded."""
    return [HistoryEntryOut(**asdict(e)) for e in service.read_history(principal, case_id, now, purpose)]
