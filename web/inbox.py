"""The alert inbox: new and acknowledged alerts of the signed-in person (leerplicht first of all), an
alert's facts, and a form to acknowledge it with a note.

For a thuiszitter alert in the inbox of someone who reads the thuiszitter register (leerplicht of the
pupil's municipality, SWV coordinator, admin), the detail also shows the pupil's absence per week as a
bar chart: the alert itself is the permission (it reached this inbox because the pupil is in its scope),
and the read is written to the audit log as ``verzuim.read`` on ``pupil:<id>``. Alert ids are UUIDs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from domain.access import Principal
from domain.errors import NotFound
from domain.roles import ADMIN, LEERPLICHT, SWV_COORDINATOR
from infra import audit
from infra.alerts import Alert
from infra.bootstrap import Service
from infra.tables import absences
from infra.web_accounts import WebSession
from web.common import FormDep, csrf_ok, error_page, form_refused, form_text, now, page, service, signed_in, to_sign_in
from web.texts import date_nl, local_date
from web.worklist import parse_offset

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
SCAN = 200
MAX_SCAN = 5000
NOTE_MAX = 1000
TABS = {"nieuw": ("new", "Nieuw"), "afgehandeld": ("acknowledged", "Afgehandeld")}
ABSENCE_READERS = frozenset({LEERPLICHT, SWV_COORDINATOR, ADMIN})
WEEKS_BEFORE = 2
MAX_WEEKS = 26
KINDS = {"thuiszitter": "Thuiszitter", "dreigend_thuiszitter": "Dreigend thuiszitter",
         "escalatie": "Termijn verstreken", "meldplicht": "Meldplicht verzuim"}
BAR_STEP, BAR_WIDTH, CHART_HEIGHT, DAY_HEIGHT = 34, 24, 150, 26


@dataclass(frozen=True)
class Week:
    """One week of the absence chart: its Monday and the days absent (ongeoorloofd, geoorloofd)."""

    monday: date
    unauthorized: int
    authorized: int
    hours: float
    x: int

    @property
    def days(self) -> int:
        """Days with any absence."""
        return self.unauthorized + self.authorized

    @property
    def height(self) -> int:
        """The bar's height in the chart."""
        return self.unauthorized * DAY_HEIGHT

    @property
    def week_number(self) -> int:
        """The ISO week number."""
        return self.monday.isocalendar().week


def kind_label(kind: str) -> str:
    """An alert's kind in words."""
    return KINDS.get(kind, kind.replace("_", " ").capitalize())


@router.get("/meldingen", response_class=HTMLResponse)
def inbox_page(request: Request, tab: str = "nieuw", vanaf: str = "0") -> Response:
    """The signed-in person's alerts: new ones, or acknowledged ones."""
    session = signed_in(request)
    if session is None:
        return to_sign_in(request)
    tab = tab if tab in TABS else "nieuw"
    offset = parse_offset(vanaf)
    svc, at = service(request), now(request)
    items, total = svc.alerts(session.principal, TABS[tab][0], PAGE_SIZE, offset, at)
    counts = {name: svc.alerts(session.principal, state, 1, 0, at)[1] for name, (state, _) in TABS.items()}
    return page(request, "meldingen.html", {
        "title": "Meldingen", "nav": "meldingen", "tab": tab, "tabs": TABS, "counts": counts, "items": items,
        "total": total, "offset": offset, "page_size": PAGE_SIZE, "kind_label": kind_label}, session=session)


@router.get("/meldingen/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: str, afgehandeld: str = "") -> Response:
    """One alert: its facts, the absence chart where that applies, the acknowledge form."""
    session = signed_in(request)
    if session is None:
        return to_sign_in(request)
    svc, at = service(request), now(request)
    found = find_alert(svc, session.principal, alert_id, at)
    if found is None:
        return _alert_not_found(request, session)
    return page(request, "melding.html", _detail(svc, session.principal, found, at, done=bool(afgehandeld)),
                session=session)


@router.post("/meldingen/{alert_id}/afhandelen", response_class=HTMLResponse)
def acknowledge(request: Request, alert_id: str, form: FormDep) -> Response:
    """Acknowledge the alert with the note (CSRF-checked); back to the alert."""
    session = signed_in(request)
    if session is None:
        return to_sign_in(request)
    if not csrf_ok(session, form):
        return form_refused(request, session)
    note = form_text(form, "notitie").strip()
    svc, at = service(request), now(request)
    if len(note) > NOTE_MAX:
        found = find_alert(svc, session.principal, alert_id, at)
        if found is None:
            return _alert_not_found(request, session)
        context = _detail(svc, session.principal, found, at, done=False)
        context.update(note=note, note_error=f"De notitie is te lang: hoogstens {NOTE_MAX} tekens.")
        return page(request, "melding.html", context, 422, session)
    try:
        svc.acknowledge_alert(session.principal, alert_id, note or None, at)
    except NotFound:
        return _alert_not_found(request, session)
    return RedirectResponse(f"/meldingen/{alert_id}?afgehandeld=1", status_code=303)


def _alert_not_found(request: Request, session: WebSession) -> Response:
    return error_page(request, 404, "Niet gevonden", "Deze melding bestaat niet, of ze staat niet in uw meldingen.",
                      session)


def find_alert(svc: Service, principal: Principal, alert_id: str, at: datetime) -> Alert | None:
    """The alert with this id in the user's inbox (read through the audited inbox), or None."""
    offset = 0
    while offset < MAX_SCAN:
        items, total = svc.alerts(principal, "all", SCAN, offset, at)
        match = next((a for a in items if a.id == alert_id), None)
        if match is not None:
            return match
        offset += SCAN
        if offset >= total or not items:
            return None
    return None


def _detail(svc: Service, principal: Principal, alert: Alert, at: datetime, *, done: bool) -> dict[str, Any]:
    weeks = absence_weeks(svc, principal, alert, at)
    return {"title": "Melding", "nav": "meldingen", "alert": alert, "facts": _facts(alert), "weeks": weeks,
            "chart_height": CHART_HEIGHT, "bar_width": BAR_WIDTH, "day_height": DAY_HEIGHT,
            "done": done, "note": "", "note_error": None, "kind_label": kind_label}


def _facts(alert: Alert) -> list[tuple[str, str]]:
    """The facts to act on, in words (codes and ids only; alerts carry no names)."""
    facts = alert.facts
    rows = [("Soort", kind_label(alert.kind))]
    if alert.pupil_id:
        rows.append(("Leerling (pseudoniem)", alert.pupil_id))
    school = facts.get("school_brin")
    rows.append(("School", str(school) if school else "niet ingeschreven"))
    if facts.get("residence_cbs"):
        rows.append(("Woongemeente (CBS-code)", str(facts["residence_cbs"])))
    if isinstance(facts.get("since"), str):
        rows.append(("Sinds", _day_nl(facts["since"])))
    elif isinstance(facts.get("occurred_at"), str):
        rows.append(("Gemeld op", _day_nl(facts["occurred_at"])))
    if facts.get("reached_on"):
        rows.append(("Bereikt op", _day_nl(str(facts["reached_on"]))))
    if facts.get("school_weeks") is not None:
        rows.append(("Schoolweken geteld", str(facts["school_weeks"])))
    if facts.get("hours") is not None:
        rows.append(("Uren verzuim", f"{facts['hours']:g} {facts.get('hour_unit') or ''}".strip()
                     if isinstance(facts["hours"], int | float) else str(facts["hours"])))
    return rows


def _day_nl(text: str) -> str:
    try:
        return date_nl(datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text))
    except ValueError:
        return text


def _start_of(alert: Alert, today: date) -> date:
    for key in ("since", "occurred_at"):
        value = alert.facts.get(key)
        if isinstance(value, str):
            try:
                return local_date(datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value))
            except ValueError:
                continue
    return today - timedelta(weeks=8)


def absence_weeks(svc: Service, principal: Principal, alert: Alert, at: datetime) -> list[Week] | None:
    """The pupil's absence per week from two weeks before the alert's 'since' up to this week; None when the
    alert is not about a thuiszitter or this role does not read absence. Audited as a read of the pupil.
    """
    if alert.kind != "thuiszitter" or not alert.pupil_id or principal.role not in ABSENCE_READERS:
        return None
    today = local_date(at)
    this_monday = today - timedelta(days=today.weekday())
    start = _start_of(alert, today)
    first = max(start - timedelta(days=start.weekday(), weeks=WEEKS_BEFORE),
                this_monday - timedelta(weeks=MAX_WEEKS - 1))
    with svc.engine.connect() as conn:
        rows = conn.execute(select(absences.c.day, absences.c.hours, absences.c.authorized)
                            .where(absences.c.pupil_id == alert.pupil_id, absences.c.day >= first,
                                   absences.c.day <= today, absences.c.hours > 0)).all()
    audit.append(svc.engine, at=at, user_id=principal.user_id, role=principal.role, action="verzuim.read",
                 resource=f"pupil:{alert.pupil_id}", purpose="Verzuim bij melding bekijken", outcome="ok")
    unauthorized: dict[date, set[date]] = {}
    authorized: dict[date, set[date]] = {}
    hours: dict[date, float] = {}
    for day, spent, allowed in rows:
        monday = day - timedelta(days=day.weekday())
        (authorized if allowed else unauthorized).setdefault(monday, set()).add(day)
        hours[monday] = hours.get(monday, 0.0) + float(spent)
    weeks: list[Week] = []
    monday = first - timedelta(days=first.weekday())
    while monday <= this_monday:
        late = unauthorized.get(monday, set())
        weeks.append(Week(monday, len(late), len(authorized.get(monday, set()) - late), hours.get(monday, 0.0),
                          40 + len(weeks) * BAR_STEP))
        monday += timedelta(weeks=1)
    return weeks
