"""The case page: the pupil's timeline, open deadlines, the pathway with the current stage, and a form
for each command the signed-in role may issue now. Every read and write goes through the service's
scope-checked, audited methods; a case out of scope is the same 404 page as an unknown one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.access import Principal
from domain.case import Command
from domain.definition import PathwayDefinition, Transition
from domain.errors import (
    ConcurrencyConflict,
    DomainError,
    GuardFailed,
    InvalidCommand,
    NotFound,
    OutOfScope,
    RoleNotAllowed,
    TransitionNotAllowed,
)
from domain.fields import FieldSpec
from domain.terms import KINDS
from domain.views import CaseStatus, HistoryEntry, TimerView
from infra.identity.web_sessions import WebSession
from infra.views.case_finder import Finder
from service import Service
from web import forms
from web.common import form_text, not_found, now, page, service
from web.guards import CheckedForm, SignedIn, page_router
from web.texts import code_label, local_date, role_label, sentence, value_nl

router = page_router()
_STATUS: list[tuple[type[DomainError], int]] = [
    (GuardFailed, 422), (InvalidCommand, 422), (TransitionNotAllowed, 409), (ConcurrencyConflict, 409),
    (RoleNotAllowed, 403), (OutOfScope, 403),
]


@dataclass(frozen=True)
class StageView:
    """A stage in the pathway diagram: 'huidig' (current), 'doorlopen' (passed) or 'open'."""

    name: str
    label: str
    final: bool
    state: str


@dataclass(frozen=True)
class EventView:
    """One event on the timeline, in words."""

    seq: int
    label: str
    actor: str
    occurred_at: datetime
    recorded_at: datetime
    details: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TrajectoryView:
    """One trajectory of the pupil with its events; ``current`` for the case the page is about."""

    status: CaseStatus
    title: str
    events: tuple[EventView, ...]
    stages_seen: frozenset[str]
    current: bool


@dataclass(frozen=True)
class DeadlineView:
    """An open deadline: what, its last day, how many days are left (negative: overdue), its basis and
    reckoning (when kept), and since when it is suspended (Awb art. 4:15).
    """

    label: str
    last_day: date
    overdue: bool
    days_left: int
    basis: str = ""
    reckoning: str = ""
    suspended_since: date | None = None


@dataclass(frozen=True)
class Refusal:
    """A step the engine refused: which command, the Dutch reason, and what was filled in."""

    command: str
    message: str
    values: Mapping[str, str]


@router.get("/naar-dossier", response_class=HTMLResponse)
def go_to_case(dossiernummer: str = "") -> Response:
    """The old 'go to case' address: now the search (a full case number still opens the case page)."""
    return RedirectResponse(f"/zoeken?{urlencode({'q': dossiernummer[:100]})}", status_code=303)


@router.get("/dossiers/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, session: SignedIn, case_id: str, vastgelegd: str = "") -> Response:
    """The case page (404 page for an unknown case or one out of scope)."""
    try:
        context = case_context(service(request), session.principal, case_id, now(request))
    except NotFound:
        return not_found(request, session)
    done = context["commands"].get(vastgelegd)
    return page(request, "dossier.html", {**context, "done": done.label if done else None}, session=session)


@router.post("/dossiers/{case_id}/stappen/{command}", response_class=HTMLResponse)
def take_step(request: Request, case_id: str, command: str, form: CheckedForm, session: SignedIn) -> Response:
    """Apply one command from its form; a refusal shows the form again with the engine's Dutch reason."""
    svc, at = service(request), now(request)
    values: dict[str, str] = {}
    try:
        status = svc.read_status(session.principal, case_id, at, None)
        fields = _fields_of(status, command)
        values = forms.posted_values(fields, {f.name: form_text(form, f.name) for f in fields})
        if _closes(svc, status, command) and form_text(form, forms.CONFIRM_FIELD) != "ja":
            raise InvalidCommand([forms.NOT_CONFIRMED])
        step = Command(command, session.principal.actor, forms.payload(fields, values))
        svc.handle_as(session.principal, case_id, step, at, forms.idempotency_key(form_text(form, "sleutel")),
                      forms.expected_version(form_text(form, "versie")), None)
    except NotFound:
        return not_found(request, session)
    except DomainError as error:
        return _refused(request, session, case_id, Refusal(command, error.detail_nl, values), error)
    return RedirectResponse(f"/dossiers/{case_id}?vastgelegd={command}", status_code=303)


def _closes(svc: Service, status: CaseStatus, command: str) -> bool:
    """Whether ``command`` moves the case into a final stage (then the form asks to confirm)."""
    found = next((c for c in status.next_commands if c.command == command), None)
    return found is not None and _definition(svc, status).stages[found.target].final


def _fields_of(status: CaseStatus, command: str) -> tuple[FieldSpec, ...]:
    found = next((c for c in status.next_commands if c.command == command), None)
    return found.fields if found else ()


def _refused(request: Request, session: WebSession, case_id: str, refusal: Refusal,
             error: DomainError) -> Response:
    try:
        context = case_context(service(request), session.principal, case_id, now(request), refusal)
    except NotFound:
        return not_found(request, session)
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), 400)
    return page(request, "dossier.html", {**context, "refusal": refusal}, status, session)


# --- the page's content -----------------------------------------------------------------------------


def case_context(svc: Service, principal: Principal, case_id: str, at: datetime,
                 refusal: Refusal | None = None) -> dict[str, Any]:
    """Everything the case page shows, read on behalf of ``principal`` (NotFound if out of scope)."""
    status = svc.read_status(principal, case_id, at, None)
    definition = _definition(svc, status)
    trajectories = [_trajectory(svc, principal, t, at, t.case_id == case_id)
                    for t in svc.read_timeline(principal, status.pupil_id, at, None)]
    seen = next(t.stages_seen for t in trajectories if t.current)
    finder = Finder(svc.engine, svc.registry)
    return {
        "pupil_name": finder.pupil_name(principal, status.pupil_id),
        "school_name": finder.school_names({status.school_brin}).get(status.school_brin),
        "title": f"Dossier {definition.title}", "status": status, "definition": definition,
        "stages": [_stage(s.name, s.label, s.final, status.stage, seen) for s in definition.stages.values()],
        "deadlines": [_deadline(t, at) for t in status.open_timers],
        "trajectories": trajectories, "forms": _forms(status, definition, principal, refusal),
        "links": _links(svc, status),
        "commands": _transitions(definition), "refusal": refusal,
        "notes": svc.read_case_notes(principal, case_id, at, None),
    }


def _deadline(timer: TimerView, at: datetime) -> DeadlineView:
    deadline = timer.deadline
    basis = f"{deadline.source} ({KINDS[deadline.kind]})" if deadline else ""
    return DeadlineView(timer.label, timer.last_day, timer.overdue, (timer.last_day - local_date(at)).days, basis,
                        deadline.reckoning if deadline else "", timer.suspended_since)


def _definition(svc: Service, status: CaseStatus) -> PathwayDefinition:
    return svc.registry.for_profile(status.pathway, status.definition_version, status.profile)


def _stage(name: str, label: str, final: bool, current: str, seen: frozenset[str]) -> StageView:
    state = "huidig" if name == current else "doorlopen" if name in seen else "open"
    return StageView(name, label, final, state)


def _forms(status: CaseStatus, definition: PathwayDefinition, principal: Principal,
           refusal: Refusal | None) -> list[forms.FormView]:
    """A form for each command this role may issue now; the refused one keeps its values and reason."""
    made = []
    for command in status.next_commands:
        if principal.role not in command.roles:
            continue
        target, closes = definition.stages[command.target].label, definition.stages[command.target].final
        declared = definition.transition(status.stage, command.command)
        uitleg = declared.uitleg if declared else ""
        if refusal is not None and refusal.command == command.command:
            made.append(forms.form_view(command, target, refusal.values, refusal.message, confirm=closes,
                                        uitleg=uitleg))
        else:
            made.append(forms.form_view(command, target, confirm=closes, uitleg=uitleg))
    return made


def _transitions(definition: PathwayDefinition) -> dict[str, Transition]:
    """Each command of the pathway by name (the first declaration's label where it has several)."""
    found: dict[str, Transition] = {}
    for transition in (definition.start, *definition.transitions):
        found.setdefault(transition.command, transition)
    return found


def _trajectory(svc: Service, principal: Principal, status: CaseStatus, at: datetime,
                current: bool) -> TrajectoryView:
    definition = _definition(svc, status)
    history = svc.read_history(principal, status.case_id, at, None)
    commands = _transitions(definition)
    events = tuple(_event(entry, commands.get(entry.command)) for entry in history)
    seen = frozenset({e.stage_to for e in history} | {e.stage_from for e in history if e.stage_from})
    return TrajectoryView(status, definition.title, events, seen, current)


def _event(entry: HistoryEntry, transition: Transition | None) -> EventView:
    fields = transition.fields if transition else {}
    details = tuple(
        (sentence(fields[k].label) if k in fields else sentence(code_label(k)),
         value_nl(v, fields[k].type if k in fields else ""))
        for k, v in entry.payload.items())
    label = transition.label if transition else sentence(code_label(entry.type))
    return EventView(entry.seq, label, role_label(entry.actor_role), entry.occurred_at, entry.recorded_at, details)


LINK_OUTCOMES = {"geopend": "geopend", "opdracht": "stap gezet", "overgeslagen": "niet nodig",
                 "geweigerd": "niet gelukt"}
"""How a hand-off's outcome reads on the dossier page."""


def _links(svc: Service, status: CaseStatus) -> list[dict[str, object]]:
    """The hand-offs that opened this case and those it made, as the dossier page shows them."""
    titles = {d.pathway: d.title for d in svc.registry.latest()}
    return [{"richting": richting, "label": link.label, "uitkomst": LINK_OUTCOMES[link.outcome],
             "geweigerd": link.outcome == "geweigerd", "case_id": link.case_id,
             "pathway": titles.get(link.pathway or "", ""), "reden": link.reason, "op": link.at}
            for richting, found in (("Geopend door", status.opened_by), ("Overdracht", status.opened))
            for link in found]
