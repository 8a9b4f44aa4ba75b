"""Alerts: each user's inbox (leerplicht's thuiszitter alerts, coordinators' escalations), with acknowledge."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.deps import NowDep, PrincipalDep, ServiceDep
from api.schemas import problem_responses

router = APIRouter(prefix="/alerts", tags=["alerts"])
ERRORS = problem_responses(401, 404, 422)


class AlertOut(BaseModel):
    """An alert: what happened (Dutch title), the facts to act on (ids, dates — no names), and whether
    and how it was acknowledged.
    """

    id: str
    kind: str
    audience_role: str
    audience_scope: str
    case_id: str | None
    pupil_id: str | None
    title: str
    facts: dict[str, Any]
    created_at: AwareDatetime
    acknowledged_at: AwareDatetime | None
    acknowledged_by: str | None
    note: str | None


class InboxOut(BaseModel):
    """A page of the inbox, newest first."""

    items: list[AlertOut]
    total: int
    limit: int
    offset: int


class AcknowledgeIn(BaseModel):
    """Acknowledge an alert, optionally saying what you did."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"note": "Contact opgenomen met school en ouders; huisbezoek gepland."}]})
    note: str | None = Field(default=None, max_length=2000)


@router.get("", response_model=InboxOut, responses=ERRORS)
def inbox(
    principal: PrincipalDep, service: ServiceDep, now: NowDep,
    state: Literal["new", "acknowledged", "all"] = "new",
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> InboxOut:
    """Your alerts: for your role and scope (your schools, SWV or municipalities)."""
    found, total = service.alerts(principal, state, limit, offset, now)
    return InboxOut(items=[AlertOut(**asdict(a)) for a in found], total=total, limit=limit, offset=offset)


@router.get("/{alert_id}", response_model=AlertOut, responses=ERRORS)
def alert(
    alert_id: Annotated[str, Path(max_length=36)], principal: PrincipalDep, service: ServiceDep, now: NowDep,
) -> AlertOut:
    """One alert of your inbox; 404 if it is not yours (as for an unknown one)."""
    return AlertOut(**asdict(service.alert(principal, alert_id, now)))


@router.post("/{alert_id}/acknowledge", response_model=AlertOut, responses=ERRORS)
def acknowledge(
    alert_id: Annotated[str, Path(max_length=36)], body: AcknowledgeIn, principal: PrincipalDep,
    service: ServiceDep, now: NowDep,
) -> AlertOut:
    """Mark an alert of your inbox as handled (again: the first acknowledgement stays); 404 if not yours."""
    return AlertOut(**asdict(service.acknowledge_alert(principal, alert_id, body.note, now)))
