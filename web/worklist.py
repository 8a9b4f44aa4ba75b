"""The worklist: per active case in scope the next deadline by name and the next step, most urgent first.

Urgency (see :mod:`infra.views.worklist`): deadlines passed (longest overdue first), then running deadlines
(soonest first), then cases over their stage's norm without a deadline, then the rest. Filters: school,
pathway, stage, only overdue, and the "deze week" view (the deadlines whose last day falls in the current
ISO week). One page of ``PAGE_SIZE`` rows at a time with a count and previous/next links; the query string
holds codes and a row number, never anything about a pupil.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from domain.access import Principal
from domain.definition import PathwayDefinition
from domain.errors import DomainError
from domain.registry import PathwayRegistry
from domain.roles import BTO, SWV_COORDINATOR, ZORGCOORDINATOR
from domain.terms import last_day_of
from infra.identity.web_sessions import WebSession
from infra.views.worklist import OVER_NORM, WorkCase, WorkQuery, week_bounds
from web.common import forbidden, now, page, service
from web.export import MAX_ROWS, download, spreadsheet
from web.guards import only, page_router
from web.texts import code_label, local_date

router = page_router()
READERS = frozenset({ZORGCOORDINATOR, SWV_COORDINATOR, BTO})
Reader = Annotated[WebSession, Depends(only(*READERS))]
"""The session of a role that reads the worklist; others get the 403 page."""
PAGE_SIZE = 50
MAX_OFFSET = 1_000_000
Pathways = dict[str, tuple[str, dict[str, str]]]
"""Per pathway code: its title and its stages' labels (code -> label), from the newest definitions."""


@dataclass(frozen=True)
class WorkRow:
    """One case on the worklist, in words."""

    case_id: str
    pupil_id: str
    school_brin: str
    school_name: str | None
    title: str
    stage_label: str
    stage_entered_at: datetime
    deadline_label: str | None
    last_day: date | None
    days_left: int | None
    next_step: str | None
    over_norm: bool

    @property
    def overdue(self) -> bool:
        """Whether the next deadline has passed."""
        return self.days_left is not None and self.days_left < 0


@dataclass(frozen=True)
class Filters:
    """The filters as chosen on the page (codes checked against what exists)."""

    school: str | None
    pathway: str | None
    stage: str | None
    overdue: bool
    week: bool

    def query(self, today: date, offset: int) -> WorkQuery:
        """The worklist query of these filters, from row ``offset``."""
        return WorkQuery(self.school, self.pathway, self.stage, self.overdue, today if self.week else None,
                         PAGE_SIZE, offset)

    def link(self, offset: int, path: str = "/werklijst") -> str:
        """The worklist's address (or its export's, ``path``) with these filters, from row ``offset``."""
        pairs = {"school": self.school or "", "route": self.pathway or "", "fase": self.stage or "",
                 "te_laat": "1" if self.overdue else "", "week": "1" if self.week else "",
                 "vanaf": str(offset) if offset else ""}
        query = urlencode({k: v for k, v in pairs.items() if v})
        return f"{path}?{query}" if query else path

    @property
    def any(self) -> bool:
        """Whether any filter is set."""
        return bool(self.school or self.pathway or self.stage or self.overdue or self.week)


def parse_offset(text: str) -> int:
    """A row number from the query string (0 when it is not a small whole number)."""
    return min(int(text), MAX_OFFSET) if text.isdigit() and len(text) < 10 else 0  # noqa: PLR2004


@router.get("/werklijst", response_class=HTMLResponse)
def worklist_page(request: Request, session: Reader, vanaf: str = "0", school: str = "", route: str = "",
                  fase: str = "", te_laat: str = "", week: str = "") -> Response:
    """The active cases in scope, most urgent first, a page at a time."""
    svc, at = service(request), now(request)
    today = local_date(at)
    pathways = pathway_labels(svc.registry)
    try:
        schools = svc.worklist_schools(session.principal, at)
        filters = _filters(schools, pathways, school, route, fase, te_laat, week)
        offset = parse_offset(vanaf)
        found = svc.worklist(session.principal, filters.query(today, offset), at)
    except DomainError:
        return forbidden(request, session)
    rows = [work_row(svc.registry, session.principal, c, today) for c in found.cases]
    monday = week_bounds(today)[0].date()
    return page(request, "werklijst.html", {
        "title": "Deze week" if filters.week else "Werklijst", "nav": "werklijst", "rows": rows,
        "total": found.total, "offset": offset, "page_size": PAGE_SIZE, "filters": filters, "schools": schools,
        "pathways": pathways, "week": (monday, monday + timedelta(days=6)),
        "previous": filters.link(max(offset - PAGE_SIZE, 0)) if offset else None,
        "next": filters.link(offset + PAGE_SIZE) if offset + PAGE_SIZE < found.total else None,
        "week_link": "/werklijst?week=1", "export": filters.link(0, "/werklijst.csv")}, session=session)


@router.get("/werklijst.csv")
def worklist_export(request: Request, session: Reader, school: str = "", route: str = "", fase: str = "",
                    te_laat: str = "", week: str = "") -> Response:
    """The worklist with its filters, every row (up to MAX_ROWS), most urgent first, as a spreadsheet; audited."""
    svc, at = service(request), now(request)
    today, pathways = local_date(at), pathway_labels(svc.registry)
    try:
        filters = _filters(svc.worklist_schools(session.principal, at), pathways, school, route, fase, te_laat, week)
        query = replace(filters.query(today, 0), limit=MAX_ROWS)
        found = svc.worklist(session.principal, query, at)
    except DomainError:
        return forbidden(request, session)
    rows = [work_row(svc.registry, session.principal, c, today) for c in found.cases]
    header = ("dossier", "leerling", "school", "route", "fase", "eerstvolgende termijn", "laatste dag",
              "dagen tot de laatste dag", "volgende stap", "langer dan de norm")
    return download(spreadsheet(header, [
        (r.case_id, r.pupil_id, f"{r.school_name} ({r.school_brin})" if r.school_name else r.school_brin, r.title,
         r.stage_label, r.deadline_label or "", r.last_day.isoformat() if r.last_day else "",
         r.days_left if r.days_left is not None else "", r.next_step or "", "ja" if r.over_norm else "nee")
        for r in rows]), f"werklijst-{today.isoformat()}.csv")


def _filters(schools: list[tuple[str, str | None]], pathways: Pathways, school: str, route: str, fase: str,
             te_laat: str, week: str) -> Filters:
    """The filters of the query string, each code checked against what exists in the user's scope."""
    return Filters(_code(school, {b for b, _ in schools}), _code(route, set(pathways)),
                   _code(fase, {s for _, labels in pathways.values() for s in labels}), te_laat == "1", week == "1")


def pathway_labels(registry: PathwayRegistry) -> Pathways:
    """Per pathway: its title and its stages' labels, from the newest definition of each."""
    return {d.pathway: (d.title, {n: s.label for n, s in d.stages.items()}) for d in registry.latest()}


def _code(text: str, allowed: set[str]) -> str | None:
    return text if text in allowed else None


def work_row(registry: PathwayRegistry, principal: Principal, case: WorkCase, today: date) -> WorkRow:
    """One case of the worklist in words: titles and labels for codes, its deadline and the next step."""
    definition = registry.for_profile(case.pathway, case.definition_version, case.profile)
    stage = definition.stages.get(case.stage)
    last_day = last_day_of(case.next_due_at) if case.next_due_at else None
    return WorkRow(case.case_id, case.pupil_id, case.school_brin, case.school_name, definition.title,
                   stage.label if stage else code_label(case.stage), case.stage_entered_at,
                   _timer_label(definition, case.next_timer), last_day,
                   (last_day - today).days if last_day else None, _next_step(definition, principal, case.stage),
                   case.urgency == OVER_NORM)


def _timer_label(definition: PathwayDefinition, name: str | None) -> str | None:
    if name is None:
        return None
    labels: Mapping[str, str] = {t.name: t.label for t in definition.timers}
    return labels.get(name, code_label(name))


def _next_step(definition: PathwayDefinition, principal: Principal, stage: str) -> str | None:
    """The label of the first command the user's role may take from ``stage`` (None: it waits on others)."""
    return next((t.label for t in definition.commands_from(stage) if principal.role in t.roles), None)
