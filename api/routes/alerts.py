"""Alerts: each user's inbox (leerplicht's thuiszitter alerts, coordinators' escalations), with acknowledge.

Per alert, as ever; and, as the inbox page shows them, per group: the alerts of your role and scope of one kind
about one pupil (else one case), with the newest alert and how many (``GET /alerts/groups``), the alerts of one
group (``GET /alerts/{id}/group``), and acknowledging a group at once (``POST /alerts/{id}/acknowledge-group``).
"""

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


class AlertGroupOut(BaseModel):
    """The alerts of one kind about one pupil (else one case) for your role and scope: the newest, how many
    there are and how many are not acknowledged yet (0: the group is handled).
    """

    newest: AlertOut
    updates: int
    unacknowledged: int


class GroupsOut(BaseModel):
    """A page of the inbox's groups, the newest update first."""

    items: list[AlertGroupOut]
    total: int
    limit: int
    offset: int


class GroupAlertsOut(BaseModel):
    """The alerts of one group, newest first (at most ``limit``), and how many there are."""

    items: list[AlertOut]
    total: int


class AcknowledgedOut(BaseModel):
    """The ids of the alerts acknowledged now (those acknowledged before keep their acknowledgement)."""

    acknowledged: list[str]


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


@router.get("/groups", response_model=GroupsOut, responses=ERRORS)
def groups(
    principal: PrincipalDep, service: ServiceDep, now: NowDep,
    state: Literal["new", "acknowledged", "all"] = "new", kind: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> GroupsOut:
    """Your alerts grouped per kind and pupil (else case), as the inbox page shows them; ``new``: groups with an
    alert not acknowledged yet, ``acknowledged``: groups whose every alert is.
    """
    found, total = service.alert_groups(principal, state, limit, offset, now, kind)
    return GroupsOut(items=[AlertGroupOut(newest=AlertOut(**asdict(g.newest)), updates=g.updates,
                                          unacknowledged=g.unacknowledged) for g in found],
                     total=total, limit=limit, offset=offset)


@router.get("/{alert_id}/group", response_model=GroupAlertsOut, responses=ERRORS)
def group(
    alert_id: Annotated[str, Path(max_length=36)], principal: PrincipalDep, service: ServiceDep, now: NowDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> GroupAlertsOut:
    """The alerts of the group of one alert of your inbox, newest first; 404 if it is not yours."""
    found, total = service.alert_group(principal, alert_id, limit, now)
    return GroupAlertsOut(items=[AlertOut(**asdict(a)) for a in found], total=total)


@router.post("/{alert_id}/acknowledge-group", response_model=AcknowledgedOut, responses=ERRORS)
def acknowledge_group(
    alert_id: Annotated[str, Path(max_length=36)], body: AcknowledgeIn, principal: PrincipalDep,
    service: ServiceDep, now: NowDep,
) -> AcknowledgedOut:
    """Acknowledge every alert of this alert's group that arrived no later than it (name the newest you saw: a
    later one keeps the group new), each audited; 404 if it is not yours.
    """
    return AcknowledgedOut(acknowledged=service.acknowledge_alert_group(principal, alert_id, body.note, now))


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
