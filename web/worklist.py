"""The zorgcoördinator's worklist: the active cases of my schools with their stage and next deadline,
soonest deadline first (cases without an open deadline last), each linking to its case page.

The cases are read through the service's scope-checked, audited search (active cases only); the page
orders them by the next deadline across everything in scope (read in keyset pages of the search) and
shows them a page at a time. The query string holds only a row number, never anything about a pupil.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from domain.access import Principal
from domain.errors import DomainError
from domain.registry import PathwayRegistry
from domain.roles import BTO, SWV_COORDINATOR, ZORGCOORDINATOR
from domain.terms import last_day_of
from infra.bootstrap import Service
from infra.search import CaseFilter, CaseRow
from web.common import forbidden, now, page, service, signed_in, to_sign_in
from web.texts import local_date

router = APIRouter(include_in_schema=False)
READERS = frozenset({ZORGCOORDINATOR, SWV_COORDINATOR, BTO})
PAGE_SIZE = 50
BATCH = 200
MAX_ROWS = 2000
"""The worklist orders at most this many active cases (read in batches of the keyset search)."""
MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class WorkRow:
    """One case on the worklist, in words."""

    case_id: str
    pupil_id: str
    school_brin: str
    title: str
    stage_label: str
    stage_entered_at: datetime
    next_due_at: datetime | None
    days_left: int | None

    @property
    def overdue(self) -> bool:
        """Whether the next deadline has passed."""
        return self.days_left is not None and self.days_left < 0


def parse_offset(text: str) -> int:
    """A row number from the query string (0 when it is not a small whole number)."""
    return min(int(text), MAX_OFFSET) if text.isdigit() and len(text) < 10 else 0  # noqa: PLR2004


@router.get("/werklijst", response_class=HTMLResponse)
def worklist_page(request: Request, vanaf: str = "0") -> Response:
    """The active cases in scope, soonest next deadline first, a page at a time."""
    session = signed_in(request)
    if session is None:
        return to_sign_in(request)
    if session.principal.role not in READERS:
        return forbidden(request, session)
    svc, at = service(request), now(request)
    try:
        rows, complete = active_cases(svc, session.principal, at)
    except DomainError:
        return forbidden(request, session)
    ordered = sorted((_row(svc.registry, r, at) for r in rows), key=_soonest)
    offset = parse_offset(vanaf)
    shown = ordered[offset:offset + PAGE_SIZE]
    return page(request, "werklijst.html", {
        "title": "Werklijst", "nav": "werklijst", "rows": shown, "total": len(ordered), "offset": offset,
        "page_size": PAGE_SIZE, "complete": complete,
        "previous": max(offset - PAGE_SIZE, 0) if offset else None,
        "next": offset + PAGE_SIZE if offset + PAGE_SIZE < len(ordered) else None}, session=session)


def active_cases(svc: Service, principal: Principal, at: datetime) -> tuple[list[CaseRow], bool]:
    """All active cases in scope (up to MAX_ROWS) through the search's cursor; whether that was all."""
    found: list[CaseRow] = []
    cursor: str | None = None
    while True:
        batch, cursor = svc.search(principal, CaseFilter(active=True), "stage_entered_at", False,  # noqa: FBT003
                                   BATCH, cursor, at)
        found += batch
        if cursor is None:
            return found, True
        if len(found) >= MAX_ROWS:
            return found, False


def _soonest(row: WorkRow) -> tuple[bool, datetime, datetime, str]:
    due = row.next_due_at or row.stage_entered_at
    return row.next_due_at is None, due, row.stage_entered_at, row.case_id


def _row(registry: PathwayRegistry, row: CaseRow, at: datetime) -> WorkRow:
    definition = registry.for_profile(row.pathway, row.definition_version, row.profile)
    stage = definition.stages.get(row.stage)
    days_left = (last_day_of(row.next_due_at) - local_date(at)).days if row.next_due_at else None
    return WorkRow(row.case_id, row.pupil_id, row.school_brin, definition.title, stage.label if stage else row.stage,
                   row.stage_entered_at, row.next_due_at, days_left)
