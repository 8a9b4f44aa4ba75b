"""The coordinator's monitor: stalled pathways and passed deadlines first (filterable by school, pathway,
stage and days over, sortable), the active cases per stage as bars, the DOMAIN.md §5 indicators for a
period, and the latest weekly digest. Everything is read through the service's scope-checked (and, for
the lists, audited) methods; the query string holds codes, numbers and dates only.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from domain.access import Principal
from domain.durations import NL
from domain.errors import DomainError, RoleNotAllowed
from domain.indicators import Indicators
from domain.registry import PathwayRegistry
from domain.roles import SWV_COORDINATOR
from domain.stalled import DigestNotFound, StalledCase
from domain.window import EARLIEST, LATEST, in_window
from infra.store import scope
from infra.store.search import CaseFilter
from infra.views.digests import StoredDigest
from infra.views.monitoring import StalledQuery
from infra.views.silence import SilenceQuery
from service import Service
from service.verzuim import Verzuim
from web.common import forbidden, now, page, service
from web.export import MAX_ROWS, download, spreadsheet
from web.guards import SignedIn, page_router
from web.texts import code_label, local_date
from web.worklist import parse_offset

router = page_router()
T = TypeVar("T")
Pathways = dict[str, tuple[str, dict[str, str]]]
"""Pathway code -> (title, stage code -> label)."""
PAGE_SIZE = 50
QUARTER = re.compile(r"20[0-9]{2}Q[1-4]")
SWV = re.compile(r"(PO|VO)[0-9]{2}[0-9A-Z]{2}")
MAX_DAYS = 3650
SORTS = {"dagen_over": "Dagen over de norm", "dagen_in_fase": "Dagen in de fase", "school": "School"}
CHART_WIDTH = 400
ROW_HEIGHT = 28
BANDS = ("korter dan 1 week", "1 tot 4 weken", "4 tot 13 weken", "13 tot 26 weken", "26 weken of langer")
"""The time-in-stage bands of ``domain.stalled.DAYS_IN_STAGE_BANDS`` (7, 28, 91, 182 days) in words."""


@dataclass(frozen=True)
class Filters:
    """The monitor's filter form: codes and numbers only."""

    school: str
    pathway: str
    stage: str
    min_days_over: int
    sort: str
    offset: int

    def query(self) -> StalledQuery:
        """The service's query for these filters."""
        return StalledQuery(self.school or None, self.pathway or None, self.stage or None, self.min_days_over,
                            PAGE_SIZE, self.offset)


@dataclass(frozen=True)
class Bar:
    """One bar of the chart: a stage of a pathway and how many active cases are in it."""

    pathway: str
    label: str
    count: int
    width: int
    y: int


@dataclass(frozen=True)
class Segment:
    """One band of a stage's time-in-stage bar: its share of the stage's cases, placed on the bar."""

    band: int
    count: int
    x: int
    width: int


@dataclass(frozen=True)
class DurationBar:
    """One stage's active cases split by how long they have been in it (the whole bar is 100%)."""

    pathway: str
    label: str
    counts: tuple[int, ...]
    segments: tuple[Segment, ...]
    y: int


@dataclass(frozen=True)
class Period:
    """The indicators' period: first and last day (inclusive)."""

    first: date
    last: date
    error: str | None = None


def current_quarter(today: date) -> tuple[date, date]:
    """The first and last day of the quarter ``today`` is in."""
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    following = date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)  # noqa: PLR2004
    return first, following - timedelta(days=1)


def period_of(van: str, tot: str, today: date) -> Period:
    """The period from the form, or the current quarter (with a Dutch message for a wrong one)."""
    first, last = current_quarter(today)
    if not van and not tot:
        return Period(first, last)
    try:
        chosen = Period(date.fromisoformat(van) if van else first, date.fromisoformat(tot) if tot else last)
    except ValueError:
        return Period(first, last, "Vul de datums in als jjjj-mm-dd. Getoond wordt het huidige kwartaal.")
    if chosen.last < chosen.first:
        return Period(first, last, "De einddatum ligt vóór de begindatum. Getoond wordt het huidige kwartaal.")
    if not (in_window(chosen.first) and in_window(chosen.last)):
        return Period(first, last, f"De datums moeten tussen {EARLIEST:%d-%m-%Y} en {LATEST:%d-%m-%Y} liggen. "
                                   "Getoond wordt het huidige kwartaal.")
    return chosen


def _days(text: str) -> int:
    return min(int(text), MAX_DAYS) if text.isdigit() and len(text) < 6 else 0  # noqa: PLR2004


def _code(text: str, allowed: set[str]) -> str:
    return text if text in allowed else ""


@router.get("/monitor", response_class=HTMLResponse)
def monitor_page(request: Request, session: SignedIn, school: str = "", route: str = "", fase: str = "",
                 dagen_over: str = "", sorteer: str = "dagen_over", vanaf: str = "0", van: str = "",
                 tot: str = "") -> Response:
    """The monitor for SWV coordinators, BTO members and zorgcoördinatoren (over their own scope)."""
    principal, svc, at = session.principal, service(request), now(request)
    try:
        context = _context(svc, principal, at, school, route, fase, dagen_over, sorteer, vanaf, van, tot)
    except RoleNotAllowed:
        return forbidden(request, session)
    return page(request, "monitor.html", context, session=session)


@router.get("/monitor/vastgelopen.csv")
def stalled_export(request: Request, session: SignedIn, school: str = "", route: str = "", fase: str = "",
                   dagen_over: str = "", sorteer: str = "dagen_over") -> Response:
    """The stalled list with the monitor's filters, every row (up to MAX_ROWS), as a spreadsheet; audited."""
    principal, svc, at = session.principal, service(request), now(request)
    pathways = _pathways(svc.registry)
    stages = {s for _, labels in pathways.values() for s in labels}
    try:
        schools = {k[0] for k, _ in svc.counts(principal, CaseFilter(), ("school_brin",), at)}
        filters = Filters(_code(school, schools), _code(route, set(pathways)), _code(fase, stages),
                          _days(dagen_over), sorteer if sorteer in SORTS else "dagen_over", 0)
        found = _sorted(svc.stalled(principal, replace(filters.query(), limit=MAX_ROWS), at).stalled, filters.sort)
    except RoleNotAllowed:
        return forbidden(request, session)
    header = ("dossier", "school", "route", "fase", "in fase sinds", "dagen in fase", "norm (dagen)", "dagen over")
    rows = [(s.case_id, s.school_brin, pathways.get(s.pathway, (s.pathway, {}))[0], s.stage_label,
             local_date(s.stage_entered_at).isoformat(), s.days_in_stage, s.norm_days, s.days_over) for s in found]
    return download(spreadsheet(header, rows), f"vastgelopen-routes-{local_date(at).isoformat()}.csv")


@router.get("/monitor/thuiszitterregister.csv")
def register_export(request: Request, session: SignedIn, swv: str = "", kwartaal: str = "") -> Response:
    """The SWV's anonymised quarterly thuiszitter register (the Inspectie's export) as a spreadsheet; an SWV
    coordinator for an SWV of their scope; audited by the service as the API's export is.
    """
    principal, svc, at = session.principal, service(request), now(request)
    quarter = kwartaal if QUARTER.fullmatch(kwartaal) else quarter_of(local_date(at))
    if not SWV.fullmatch(swv):
        return forbidden(request, session)
    try:
        text = Verzuim(svc).export_as(principal, quarter, swv, at)
    except RoleNotAllowed:
        return forbidden(request, session)
    rows = list(csv.reader(io.StringIO(text)))
    return download(spreadsheet(rows[0], rows[1:]), f"thuiszitterregister-{swv}-{quarter}.csv")


def quarter_of(day: date) -> str:
    """The quarter ``day`` falls in, as the register names it (2026Q4)."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _context(svc: Service, principal: Principal, at: datetime, school: str, route: str, fase: str,
             dagen_over: str, sorteer: str, vanaf: str, van: str, tot: str) -> dict[str, Any]:
    pathways = _pathways(svc.registry)
    schools = sorted(k[0] for k, _ in svc.counts(principal, CaseFilter(), ("school_brin",), at))
    stages = {s for _, labels in pathways.values() for s in labels}
    filters = Filters(_code(school, set(schools)), _code(route, set(pathways)), _code(fase, stages),
                      _days(dagen_over), sorteer if sorteer in SORTS else "dagen_over", parse_offset(vanaf))
    found = svc.stalled(principal, filters.query(), at)
    period = period_of(van.strip(), tot.strip(), local_date(at))
    return {
        "title": "Monitor", "nav": "monitor", "filters": filters, "schools": schools, "pathways": pathways,
        "sorts": SORTS, "stalled": _sorted(found.stalled, filters.sort), "stalled_total": found.stalled_total,
        "overdue": found.overdue, "overdue_total": found.overdue_total, "page_size": PAGE_SIZE,
        "titles": {p: t for p, (t, _) in pathways.items()},
        "bars": _bars(svc, principal, at, pathways), "chart_width": CHART_WIDTH, "row_height": ROW_HEIGHT,
        "durations": _durations(svc, principal, at, pathways), "bands": BANDS,
        "period": period, "indicators": _indicators(svc, principal, period, at),
        "silence": svc.silence(principal, SilenceQuery(limit=PAGE_SIZE), at),
        "hidden": Verzuim(svc).hidden_thuiszitters(principal, at, PAGE_SIZE),
        "register_swvs": [s for s in principal.scopes if SWV.fullmatch(s)] if principal.role == SWV_COORDINATOR else [],
        "quarter": quarter_of(local_date(at)),
        "digests": _digests(svc, principal), "filtered": bool(filters.school or filters.pathway or filters.stage
                                                             or filters.min_days_over),
    }


def _pathways(registry: PathwayRegistry) -> Pathways:
    """Pathway code -> (title, stage code -> label), from each pathway's latest definition."""
    return {d.pathway: (d.title, {n: s.label for n, s in d.stages.items()}) for d in registry.latest()}


def _sorted(stalled: list[StalledCase], sort: str) -> list[StalledCase]:
    if sort == "dagen_in_fase":
        return sorted(stalled, key=lambda s: (-s.days_in_stage, s.case_id))
    if sort == "school":
        return sorted(stalled, key=lambda s: (s.school_brin, -s.days_over, s.case_id))
    return stalled


def _bars(svc: Service, principal: Principal, at: datetime, pathways: Pathways) -> list[Bar]:
    counted = _in_stage_order(svc.counts(principal, CaseFilter(active=True), ("pathway", "stage"), at),
                              lambda item: (item[0][0], item[0][1]), pathways)
    most = max((n for _, n in counted), default=1)
    return [Bar(pathway, _stage_label(pathways, pathway, stage), count,
                max(2, round(CHART_WIDTH * count / most)), index * ROW_HEIGHT)
            for index, ((pathway, stage), count) in enumerate(counted)]


def _durations(svc: Service, principal: Principal, at: datetime, pathways: Pathways) -> list[DurationBar]:
    found = _in_stage_order(svc.time_in_stage(principal, at), lambda t: (t.pathway, t.stage), pathways)
    return [DurationBar(t.pathway, _stage_label(pathways, t.pathway, t.stage), t.counts, _segments(t.counts),
                        index * ROW_HEIGHT) for index, t in enumerate(found)]


def _segments(counts: tuple[int, ...]) -> tuple[Segment, ...]:
    """The bands with cases, side by side over the chart's width (edges rounded, so no gap or overlap)."""
    total, before, placed = sum(counts), 0, []
    for band, count in enumerate(counts):
        x, before = round(CHART_WIDTH * before / total), before + count
        if count:
            placed.append(Segment(band, count, x, round(CHART_WIDTH * before / total) - x))
    return tuple(placed)


def _in_stage_order(items: Iterable[T], key: Callable[[T], tuple[str, str]], pathways: Pathways) -> list[T]:
    """``items`` in the order of the pathways and their stages (unknown ones last)."""
    order = {(p, s): (i, j) for i, (p, (_, labels)) in enumerate(pathways.items()) for j, s in enumerate(labels)}
    return sorted(items, key=lambda item: order.get(key(item), (len(order), 0)))


def _stage_label(pathways: Pathways, pathway: str, stage: str) -> str:
    return pathways.get(pathway, ("", {}))[1].get(stage, code_label(stage))


def _indicators(svc: Service, principal: Principal, period: Period, at: datetime) -> Indicators:
    start = datetime(period.first.year, period.first.month, period.first.day, tzinfo=NL)
    following = period.last + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=NL)
    return svc.indicators(principal, start, end, at)


def _digests(svc: Service, principal: Principal) -> list[StoredDigest]:
    found = []
    for profile in scope.profiles_of(principal, svc.registry):
        try:
            found.append(svc.latest_digest(profile, principal))
        except (DigestNotFound, DomainError):
            continue
    return found
