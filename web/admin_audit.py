"""The audit log on the admin page: the search form's values (part of a case or pupil id, a user, a date range)
checked into an :class:`infra.identity.audit.AuditSearch`, the rows as Dutch words, and the found rows as a spreadsheet
download (``/beheer/auditlog.csv`` with the same filters; admins only, bounded, and itself on record).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from domain.durations import NL
from domain.errors import RoleNotAllowed
from infra.identity import accounts
from infra.identity.audit import MAX_IDENT, SEARCH_KINDS, AuditEntry, AuditSearch
from web.audit_words import action_nl, outcome_nl, resource_nl
from web.common import forbidden, service, wall_now
from web.export import download, spreadsheet
from web.guards import AdminSession, page_router
from web.texts import local_date, role_label

router = page_router()
KINDS = {"case": "Dossier", "pupil": "Leerling (met dossiers)"}
"""What the audit log can be searched by, as the form offers it."""
assert tuple(KINDS) == SEARCH_KINDS  # noqa: S101 - the form offers exactly what the search knows
MAX_OFFSET = 1_000_000
EXPORT_MAX_ROWS = 50_000
"""The most rows one export of the audit log holds."""
EARLIEST = date(2000, 1, 1)
AHEAD = timedelta(days=366)
NO_FILTER = AuditSearch()
HEADER = ("Nr.", "Tijdstip", "Gebruiker", "Gebruiker-id", "Rol", "Handeling", "Betreft", "Doel", "Uitkomst")


@dataclass(frozen=True)
class AuditForm:
    """The search form's values as typed (trimmed, bounded), what they mean, and the Dutch error if they
    cannot be searched.
    """

    kind: str = "case"
    ident: str = ""
    user_id: str = ""
    since: str = ""
    until: str = ""
    offset: int = 0
    search: AuditSearch | None = NO_FILTER
    error: str | None = None

    @property
    def searched(self) -> bool:
        """Whether any filter is set."""
        return bool(self.ident or self.user_id or self.since or self.until)

    def link(self, offset: int | None = None, path: str = "/beheer") -> str:
        """The address of this search (or its export's, ``path``) from row ``offset``."""
        values = {"soort": self.kind, "kenmerk": self.ident, "gebruiker": self.user_id, "van": self.since,
                  "tot": self.until}
        if offset:
            values["vanaf"] = str(offset)
        return f"{path}?{urlencode({k: v for k, v in values.items() if v})}"


def audit_form(kind: str, ident: str, user_id: str, since: str, until: str, offset: str, today: date) -> AuditForm:
    """The form's values checked: dates from 2000 to a year from ``today``, 'van' not after 'tot'."""
    kind = kind if kind in KINDS else "case"
    ident, user_id = ident.strip()[:MAX_IDENT], user_id.strip()[:36]
    since, until = since.strip()[:10], until.strip()[:10]
    form = AuditForm(kind, ident, user_id, since, until, _offset(offset), None)
    first, first_error = _day(since, "van", today)
    last, last_error = _day(until, "tot en met", today)
    error = first_error or last_error
    if error is None and first is not None and last is not None and first > last:
        error = "De datum bij 'van' ligt na de datum bij 'tot en met'; er is niet gezocht."
    if error is not None:
        return AuditForm(kind, ident, user_id, since, until, form.offset, None, error)
    return AuditForm(kind, ident, user_id, since, until, form.offset, AuditSearch(
        kind, ident, user_id or None, _start(first), _start(last + timedelta(days=1)) if last else None))


def _day(text: str, label: str, today: date) -> tuple[date | None, str | None]:
    if not text:
        return None, None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None, f"De datum bij '{label}' is geen datum (gebruik bijvoorbeeld 2026-09-01); er is niet gezocht."
    if day < EARLIEST or day > today + AHEAD:
        return None, (f"De datum bij '{label}' moet tussen 1 januari 2000 en een jaar na vandaag liggen; "
                      "er is niet gezocht.")
    return day, None


def _start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), tzinfo=NL)


def _offset(text: str) -> int:
    return min(int(text), MAX_OFFSET) if text.isdigit() and len(text) < 10 else 0  # noqa: PLR2004


@dataclass(frozen=True)
class AuditRow:
    """An audit row as the page and the export show it: in Dutch words."""

    seq: int
    at: datetime
    user: str
    user_id: str
    role: str
    action: str
    resource: str
    purpose: str
    outcome: str


def audit_rows(entries: list[AuditEntry], names: dict[str, str]) -> list[AuditRow]:
    """The rows in Dutch: the user's name, role, what happened, what it concerned, how it ended."""
    return [AuditRow(e.seq, e.at, _user(e.user_id, names), e.user_id, role_label(e.role) if e.role else "—",
                     action_nl(e.action), resource_nl(e.resource, names), e.purpose, outcome_nl(e.outcome))
            for e in entries]


def _user(user_id: str, names: dict[str, str]) -> str:
    if user_id in names:
        return names[user_id]
    return "onbekende gebruiker" if user_id == "onbekend" else user_id


@router.get("/beheer/auditlog.csv")
def audit_export(request: Request, session: AdminSession, soort: str = "case", kenmerk: str = "", gebruiker: str = "",
                 van: str = "", tot: str = "") -> Response:
    """The audit rows of the search (up to EXPORT_MAX_ROWS, newest first) as a spreadsheet; admins only;
    the export is on record. Dates that cannot be searched: the admin page with the Dutch error.
    """
    svc, at = service(request), wall_now(request)
    form = audit_form(soort, kenmerk, gebruiker, van, tot, "0", local_date(at))
    if form.search is None:
        from web.admin import render_admin  # noqa: PLC0415 - the page imports this module

        return render_admin(request, session, form, status=422)
    try:
        entries = svc.export_audit(session.principal, form.search, EXPORT_MAX_ROWS, at)
    except RoleNotAllowed:
        return forbidden(request, session)
    names = {u.id: u.name for u in accounts.list_users(svc.engine)}
    rows = audit_rows(entries, names)
    return download(spreadsheet(HEADER, [
        (r.seq, f"{r.at.astimezone(NL):%Y-%m-%d %H:%M:%S}", r.user, r.user_id, r.role, r.action, r.resource,
         r.purpose, r.outcome) for r in rows]), f"auditlog-{local_date(at).isoformat()}.csv")
