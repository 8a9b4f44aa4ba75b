"""Leerplicht's caseload: the open thuiszitter trajectories of pupils who live in the officer's municipality,
and the open absence episodes of the register, each with how long it has lasted, the school and the last action.

Read through the service's scope-checked, audited reads (the case search and the register), as the API reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from domain.access import Principal
from domain.roles import LEERPLICHT
from infra.identity.web_sessions import WebSession
from infra.store.search import CaseFilter
from infra.verzuim.plan import ACTIONS
from service import Service
from service.verzuim import Verzuim
from web.common import now, page, service
from web.guards import only, page_router
from web.texts import local_date

router = page_router()
Officer = Annotated[WebSession, Depends(only(LEERPLICHT))]
"""A leerplichtambtenaar's session; other roles get the 403 page."""
MOST = 500
"""The most trajectories one page lists (a municipality's open thuiszitters are far fewer)."""
REGISTER_DAYS = 366
"""How far back the register is read for episodes that are still open."""


@dataclass(frozen=True)
class Trajectory:
    """An open thuiszitter trajectory as the caseload shows it."""

    case_id: str
    pupil_id: str
    school_brin: str
    stage_label: str
    opened_on: date
    weeks_open: int
    last_action_on: date


@dataclass(frozen=True)
class OpenEpisode:
    """An absence episode of the register that has not ended."""

    pupil_id: str
    category: str
    school_brin: str
    first_day: date
    school_weeks: int
    case_id: str | None
    last_action: str


@router.get("/werkvoorraad", response_class=HTMLResponse)
def caseload_page(request: Request, session: Officer) -> Response:
    """Leerplicht's open thuiszitter trajectories and episodes (other roles: 403)."""
    svc, at = service(request), now(request)
    context = {"title": "Werkvoorraad", "nav": "werkvoorraad",
               "trajectories": trajectories(svc, session.principal, at),
               "episodes": open_episodes(svc, session.principal, at)}
    return page(request, "werkvoorraad.html", context, session=session)


def trajectories(svc: Service, principal: Principal, at: datetime) -> list[Trajectory]:
    """The open thuiszitter cases in scope, longest open first."""
    rows, _ = svc.search(principal, CaseFilter(pathway="thuiszitter", active=True), "opened_at", descending=False,
                         limit=MOST, cursor=None, now=at)
    labels = {s.name: s.label for s in svc.registry.get("thuiszitter").stages.values()}
    today = local_date(at)
    return [Trajectory(r.case_id, r.pupil_id, r.school_brin, labels.get(r.stage, r.stage), local_date(r.opened_at),
                       (today - local_date(r.opened_at)).days // 7, local_date(r.updated_at)) for r in rows]


def open_episodes(svc: Service, principal: Principal, at: datetime) -> list[OpenEpisode]:
    """The register's episodes in scope that have not ended, longest first."""
    today = local_date(at)
    rows = Verzuim(svc).register(principal, today - timedelta(days=REGISTER_DAYS), today, at)
    open_rows = sorted((r for r in rows if r.last_day is None), key=lambda r: r.first_day)
    return [OpenEpisode(r.pupil_id, r.category, r.school_brin or "", r.first_day, r.school_weeks, r.case_id,
                        _last_action(r.actions)) for r in open_rows]


def _last_action(actions: tuple[Mapping[str, Any], ...]) -> str:
    if not actions:
        return "nog geen"
    last = actions[-1]
    return f"{last.get('op', '')} {ACTIONS.get(str(last.get('actie')), str(last.get('actie')))}".strip()
