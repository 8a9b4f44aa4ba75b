"""The search box on every page: /zoeken?q= finds the cases in the user's scope by pupil name (where the
role may see it), pupil id, dossier number (or its first 8 characters or more) or school name. A full
dossier number goes straight to the case page, as the old dossier-number box did. The query is never put
in the audit log or the logs (it may be a name): only that a search happened and how many it found.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.errors import InvalidCommand
from domain.registry import PathwayRegistry
from infra.views.case_finder import MAX_LENGTH, Finder, Found, exact_case_id
from web.common import now, page, service
from web.guards import SignedIn, page_router

router = page_router()


@dataclass(frozen=True)
class ResultView:
    """One case found, in words: route, stage, school (name and BRIN) and the pupil (name or pseudonym)."""

    case_id: str
    title: str
    stage_label: str
    school: str
    pupil_name: str | None
    pupil_id: str


@router.get("/zoeken", response_class=HTMLResponse)
def search_page(request: Request, session: SignedIn, q: str = "") -> Response:
    """The results of a search; a full dossier number opens that dossier (404 page if not in scope)."""
    shown = q[:MAX_LENGTH + 20]
    if not q.strip():
        return page(request, "zoeken.html", {"title": "Zoeken", "q": "", "results": None}, session=session)
    case_id = exact_case_id(q.strip())
    if case_id is not None:
        return RedirectResponse(f"/dossiers/{case_id}", status_code=303)
    svc = service(request)
    try:
        found = Finder(svc.engine, svc.registry).find(session.principal, q, now(request))
    except InvalidCommand as error:
        return page(request, "zoeken.html", {"title": "Zoeken", "q": shown, "results": None,
                                             "error": error.detail_nl}, 400, session)
    results = [_view(svc.registry, f) for f in found]
    return page(request, "zoeken.html", {"title": "Zoekresultaten", "q": shown, "results": results}, session=session)


def _view(registry: PathwayRegistry, found: Found) -> ResultView:
    definition = registry.for_profile(found.pathway, found.definition_version, found.profile)
    stage = definition.stages.get(found.stage)
    school = f"{found.school_name} ({found.school_brin})" if found.school_name else found.school_brin
    name = f"{found.given_name} {found.family_name}" if found.given_name else None
    return ResultView(found.case_id, definition.title, stage.label if stage else found.stage, school, name,
                      found.pupil_id)
