"""The alert inbox: new and acknowledged alerts of the signed-in person (leerplicht first of all), an
alert's facts, and a form to acknowledge it with a note.

The inbox lists groups, not single alerts (:func:`infra.delivery.alerts.groups`): the alerts of one recipient of one
kind about one pupil (else one case) are one row with the newest alert's title and how many there are; the
detail page of any of them lists the group's updates (when, and what changed), and acknowledging there or in
the list acknowledges every alert of the group the person saw, each audited. Tabs and kinds count groups.

For a thuiszitter alert (or another signal of verzuim detection) in the inbox of someone who reads the
thuiszitter register (leerplicht of the pupil's municipality, SWV coordinator, admin), the detail also
shows the pupil's absence per week as a bar chart, holiday weeks of the pupil's school marked (they
neither count nor break the run of school weeks): the alert itself is the permission, and the read is
audited as ``verzuim.read`` on ``pupil:<id>`` (:meth:`service.verzuim.Verzuim.absence_at_alert`).
Alert ids are UUIDs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.access import Principal
from domain.errors import DomainError, InvalidCommand, NotFound
from domain.verzuim.melding import MELDING_KINDS, STATUS_LABELS
from infra.delivery.alerts import Alert
from infra.delivery.alerts import kind_label as label_of_kind
from infra.identity.web_sessions import WebSession
from infra.reference import reference_names
from infra.reference.reference_names import ReferenceNames, with_code
from infra.verzuim.weeks import AbsenceWeek
from service import Service
from service.verzuim import Verzuim
from web.common import error_page, form_text, now, page, service
from web.guards import CheckedForm, SignedIn, page_router
from web.texts import date_nl, local_date
from web.worklist import parse_offset

router = page_router()
PAGE_SIZE = 50
NOTE_MAX = 2000
"""As the API takes it."""
TABS = {"nieuw": ("new", "Nieuw"), "afgehandeld": ("acknowledged", "Afgehandeld")}
WEEKS_BEFORE = 2
MAX_WEEKS = 26
BAR_STEP, BAR_WIDTH, CHART_HEIGHT, DAY_HEIGHT = 34, 24, 150, 26
UPDATES_SHOWN = 100
"""A group's detail page lists at most this many of its updates (the newest)."""


@dataclass(frozen=True)
class Update:
    """One alert of a group on its detail page: the alert and what changed since the one before it."""

    alert: Alert
    changes: list[tuple[str, str, str]]
    """(fact, before, now) for every fact that differs from the previous update; empty for the first."""


@dataclass(frozen=True)
class Bar:
    """One week of the absence chart, placed: its bar's x and height."""

    week: AbsenceWeek
    x: int

    @property
    def height(self) -> int:
        """The bar's height: the days absent without a valid reason."""
        return self.week.unauthorized_days * DAY_HEIGHT


def updates_of(group: list[Alert], names: ReferenceNames) -> list[Update]:
    """The group's alerts (newest first) each with the facts that changed since the update before it."""
    found = []
    for index, alert in enumerate(group):
        earlier = group[index + 1] if index + 1 < len(group) else None
        changes = []
        if earlier is not None:
            before = dict(_facts(earlier, names))
            changes = [(name, before.get(name, "—"), value) for name, value in _facts(alert, names)
                       if before.get(name) != value]
        found.append(Update(alert, changes))
    return found


def kind_label(alert: Alert) -> str:
    """An alert's kind in words; 'escalatie' is a passed deadline, or from verzuim detection (its facts name
    the signal) a thuiszitter at home for 3 months.
    """
    if alert.kind == "escalatie" and alert.from_detection:
        return "Thuiszitter langer dan 3 maanden"
    return label_of_kind(alert.kind)


@router.get("/meldingen", response_class=HTMLResponse)
def inbox_page(request: Request, session: SignedIn, tab: str = "nieuw", vanaf: str = "0", soort: str = "",
               klaar: str = "") -> Response:
    """The signed-in person's alerts: new ones, or acknowledged ones; of one kind if chosen."""
    tab = tab if tab in TABS else "nieuw"
    offset = parse_offset(vanaf)
    svc, at = service(request), now(request)
    per_tab = {name: svc.alert_group_kinds(session.principal, state) for name, (state, _) in TABS.items()}
    present = per_tab[tab]
    kind = soort if soort in present else None
    items, total = svc.alert_groups(session.principal, TABS[tab][0], PAGE_SIZE, offset, at, kind)
    counts = {name: sum(found.values()) for name, found in per_tab.items()}
    return page(request, "meldingen.html", {
        "title": "Meldingen", "nav": "meldingen", "tab": tab, "tabs": TABS, "counts": counts, "items": items,
        "total": total, "offset": offset, "page_size": PAGE_SIZE, "kind_label": kind_label, "soort": kind or "",
        "kinds": {k: (label_of_kind(k), n) for k, n in sorted(present.items())},
        "klaar": int(klaar) if klaar.isdigit() and len(klaar) < 4 else None}, session=session)  # noqa: PLR2004


@router.post("/meldingen/afhandelen", response_class=HTMLResponse)
def acknowledge_many(request: Request, form: CheckedForm, session: SignedIn) -> Response:
    """Acknowledge the ticked groups at once (CSRF-checked; at most a page of them), each as the detail page's
    form does it: every alert of the group up to the newest shown, each audited, only the user's own, the first
    acknowledgement kept; the message counts the alerts.
    """
    ids = [str(v) for v in form.getlist("melding")][:PAGE_SIZE]
    note = form_text(form, "notitie").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        return error_page(request, 422, "Notitie te lang", f"De notitie is te lang: hoogstens {NOTE_MAX} tekens. "
                          "Er is niets afgehandeld.", session)
    svc, at, done = service(request), now(request), 0
    for alert_id in ids:
        try:
            done += len(svc.acknowledge_alert_group(session.principal, alert_id, note, at))
        except NotFound:
            continue
    return RedirectResponse(f"/meldingen?klaar={done}", status_code=303)


@router.get("/meldingen/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, session: SignedIn, alert_id: str, afgehandeld: str = "") -> Response:
    """One alert: its facts, the absence chart where that applies, the acknowledge form."""
    svc, at = service(request), now(request)
    found = find_alert(svc, session.principal, alert_id, at)
    if found is None:
        return _alert_not_found(request, session)
    return page(request, "melding.html", _detail(svc, session.principal, found, at, done=bool(afgehandeld)),
                session=session)


@router.post("/meldingen/{alert_id}/afhandelen", response_class=HTMLResponse)
def acknowledge(request: Request, alert_id: str, form: CheckedForm, session: SignedIn) -> Response:
    """Acknowledge the alert's group with the note (CSRF-checked): every alert of it up to this one, the
    newest the page showed; back to the alert.
    """
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
        svc.acknowledge_alert_group(session.principal, alert_id, note or None, at)
    except NotFound:
        return _alert_not_found(request, session)
    return RedirectResponse(f"/meldingen/{alert_id}?afgehandeld=1", status_code=303)


@router.post("/meldingen/{alert_id}/duo-melding", response_class=HTMLResponse)
def record_duo_melding(request: Request, alert_id: str, form: CheckedForm, session: SignedIn) -> Response:
    """The zorgcoördinator records the school's verzuimmelding to DUO on a meldplicht alert (CSRF-checked)."""
    svc, at = service(request), now(request)
    found = find_alert(svc, session.principal, alert_id, at)
    if found is None or "signal" not in found.facts:
        return _alert_not_found(request, session)
    problems = _record_duo(svc, session.principal, found, form_text(form, "soort"),
                           form_text(form, "gemeld_op").strip(), at)
    if problems:
        return _duo_refused(svc, session, request, found, at, problems)
    return RedirectResponse(f"/meldingen/{alert_id}?gemeld=1", status_code=303)


def _record_duo(svc: Service, principal: Principal, alert: Alert, kind: str, day: str, at: datetime) -> list[str]:
    """Record the report; what is wrong with it in Dutch (empty: recorded)."""
    try:
        reported_on = date.fromisoformat(day)
    except ValueError:
        return [f"Vul een geldige meldingsdatum in, bijvoorbeeld {local_date(at).isoformat()}."]
    try:
        Verzuim(svc).record_melding(principal, str(alert.facts["signal"]), kind, reported_on, at)
    except InvalidCommand as error:
        return list(error.problems)
    except DomainError as error:
        return [error.detail_nl]
    return []


@router.post("/meldingen/{alert_id}/raadpleging", response_class=HTMLResponse)
def record_consultation(request: Request, alert_id: str, form: CheckedForm, session: SignedIn) -> Response:
    """The SWV coordinator records that they were consulted on an intended vrijstelling (CSRF-checked)."""
    del form  # checked: it carries the session's token; nothing else is posted
    svc, at = service(request), now(request)
    found = find_alert(svc, session.principal, alert_id, at)
    voornemen = found.facts.get("voornemen") if found is not None else None
    if found is None or found.kind != "vrijstelling_raadpleging" or not isinstance(voornemen, int):
        return _alert_not_found(request, session)
    try:
        Verzuim(svc).consult_swv(session.principal, voornemen, at)
    except DomainError as error:
        return error_page(request, 403, "Niet toegestaan", error.detail_nl, session)
    return RedirectResponse(f"/meldingen/{alert_id}?geraadpleegd=1", status_code=303)


def _duo_refused(svc: Service, session: WebSession, request: Request, alert: Alert, at: datetime,
                 problems: list[str]) -> Response:
    context = _detail(svc, session.principal, alert, at, done=False)
    context["duo_errors"] = problems
    return page(request, "melding.html", context, 422, session)


def _alert_not_found(request: Request, session: WebSession) -> Response:
    return error_page(request, 404, "Niet gevonden", "Deze melding bestaat niet, of ze staat niet in uw meldingen.",
                      session)


def find_alert(svc: Service, principal: Principal, alert_id: str, at: datetime) -> Alert | None:
    """The alert with this id in the user's inbox (an audited read), or None."""
    try:
        return svc.alert(principal, alert_id, at)
    except NotFound:
        return None


def _detail(svc: Service, principal: Principal, alert: Alert, at: datetime, *, done: bool) -> dict[str, Any]:
    weeks = absence_bars(svc, principal, alert, at)
    group, updates = svc.alert_group(principal, alert.id, UPDATES_SHOWN, at)
    names = reference_names.load(svc.engine)
    return {"title": "Melding", "nav": "meldingen", "alert": alert, "facts": _facts(alert, names), "weeks": weeks,
            "group": updates_of(group, names), "group_total": updates, "newest": group[0] if group else alert,
            "open_in_group": sum(1 for a in group if a.acknowledged_at is None),
            "deadline_open": svc.alert_deadline_open(principal, alert.id, at),
            "chart_height": CHART_HEIGHT, "bar_width": BAR_WIDTH, "day_height": DAY_HEIGHT,
            "done": done, "note": "", "note_error": None, "kind_label": kind_label,
            "duo": Verzuim(svc).melding_at_alert(principal, alert, at), "duo_kinds": MELDING_KINDS,
            "duo_statuses": STATUS_LABELS, "duo_errors": [], "today": local_date(at),
            "voornemen": Verzuim(svc).voornemen_at_alert(principal, alert)}


def _facts(alert: Alert, names: ReferenceNames) -> list[tuple[str, str]]:
    """The facts to act on, in words (the alert itself carries codes and ids only; the school and the gemeente
    are named here from the reference data).
    """
    facts = alert.facts
    rows = [("Soort", kind_label(alert))]
    if alert.pupil_id:
        rows.append(("Leerling (pseudoniem)", alert.pupil_id))
    school = facts.get("school_brin")
    rows.append(("School", with_code(names.schools, str(school)) if school else "niet ingeschreven"))
    if facts.get("residence_cbs"):
        rows.append(("Woongemeente", with_code(names.municipalities, str(facts["residence_cbs"]))))
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


def _fact_day(alert: Alert, key: str) -> date | None:
    value = alert.facts.get(key)
    if isinstance(value, str):
        try:
            return local_date(datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value))
        except ValueError:
            return None
    return None


def _start_of(svc: Service, alert: Alert, today: date) -> date:
    """The first day out of school: a detection alert's ``since``; for a feed-raised alert the melding's
    ``sinds`` or the register episode's first day, not the day of the report; else 8 weeks back.
    """
    since = _fact_day(alert, "since")
    if since is not None:
        return since
    reported = _fact_day(alert, "occurred_at")
    found = Verzuim(svc).out_of_school_since(alert, reported or today)
    return found or reported or today - timedelta(weeks=8)


def absence_bars(svc: Service, principal: Principal, alert: Alert, at: datetime) -> list[Bar] | None:
    """The pupil's absence per week from two weeks before the alert's 'since' up to this week (at most
    26 weeks), placed as bars; None when the alert is not about a thuiszitter or this role does not read
    absence (see :meth:`service.verzuim.Verzuim.absence_at_alert`).
    """
    today = local_date(at)
    this_monday = today - timedelta(days=today.weekday())
    start = _start_of(svc, alert, today)
    first = max(start - timedelta(days=start.weekday(), weeks=WEEKS_BEFORE),
                this_monday - timedelta(weeks=MAX_WEEKS - 1))
    weeks = Verzuim(svc).absence_at_alert(principal, alert.id, first, today - timedelta(days=1), at)
    if weeks is None:
        return None
    return [Bar(week, 40 + index * BAR_STEP) for index, week in enumerate(weeks)]
