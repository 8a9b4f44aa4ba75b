"""Verzuim and thuiszitters: record enrollments, absences and vrijstellingen (one at a time or as CSV),
schools' and SWVs' own holidays, detection on request, and the thuiszitter register with its export.

Recording runs detection for the pupil at once: an alert it causes exists when the response returns, and
the response lists the alerts raised.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, Body, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.deps import NowDep, PrincipalDep, ServiceDep
from api.schemas import BRIN, PSEUDONYM, WINDOW, Day, problem_responses
from domain.errors import InvalidCommand
from domain.verzuim import Holiday
from infra.verzuim.calendars import SCHOOL, SWV
from infra.verzuim.detection import DetectionReport
from infra.verzuim.inputs import AbsenceRecord, EnrollmentRecord, Record, VrijstellingRecord
from service import Service
from service.verzuim import Recorded, Verzuim, today_in_nl

router = APIRouter(tags=["verzuim"])
ERRORS = problem_responses(401, 403, 404, 422)
SWV_CODE = r"^(PO|VO)[0-9]{2}[0-9A-Z]{2}$"
Pupil = Annotated[str, Field(pattern=PSEUDONYM, description="Pseudonymous pupil id (never a name or BSN)")]


class EnrollmentIn(BaseModel):
    """An inschrijving; send it again with ``last_day`` for the uitschrijving."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"pupil_id": "lln-7f3a9c", "school_brin": "14PS03", "first_day": "2026-08-17", "last_day": None}]})
    pupil_id: Pupil
    school_brin: str = Field(pattern=BRIN)
    first_day: Day
    last_day: Day | None = None


ReasonKind = Literal["ziek", "medisch", "verlof", "spijbelen", "te_laat", "thuis_in_overleg", "thuis_knooppunt",
                     "wacht_op_plek", "schorsing", "overig", ""]


class AbsenceIn(BaseModel):
    """Absence on one day: clock hours (PO) or lesson hours (VO), geoorloofd or not, the reason as free text and
    its category from a closed list (``thuis_in_overleg``, ``thuis_knooppunt``, ``wacht_op_plek`` and
    ``schorsing`` with permission count towards a hidden thuiszitter), and the hours on the pupil's timetable
    that day (only whole days out of school count for thuiszitters).
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"pupil_id": "lln-7f3a9c", "day": "2026-09-07", "hours": 5.5, "authorized": False, "reason": "spijbelen",
         "reason_kind": "spijbelen", "scheduled_hours": 5.5}]})
    pupil_id: Pupil
    day: Day
    hours: float = Field(gt=0, le=24)
    authorized: bool
    reason: str = Field(default="", max_length=60)
    reason_kind: ReasonKind = Field(default="", description="the category; empty: not classified")
    scheduled_hours: float | None = Field(default=None, gt=0, le=24,
                                          description="hours on the pupil's timetable that day, when known")


class VrijstellingIn(BaseModel):
    """A vrijstelling (Leerplichtwet art. 5 onder a/b/c, 15, 11); ``last_day`` None: open-ended."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"pupil_id": "lln-7f3a9c", "kind": "5a", "first_day": "2026-08-17", "last_day": "2027-07-31"}]})
    pupil_id: Pupil
    kind: Literal["5a", "5b", "5c", "15", "11"]
    first_day: Day
    last_day: Day | None = None


class RaisedOut(BaseModel):
    """An alert detection raised: its kind, for which role, and its dedupe key (no names)."""

    kind: str
    audience_role: str
    key: str


class RecordedOut(BaseModel):
    """What recording did: added or updated, and the alerts the pupil's detection raised."""

    kind: str
    pupil_id: str
    added: int
    updated: int
    raised: list[RaisedOut]


class ImportedOut(BaseModel):
    """What an import wrote, and how many alerts detection raised for its pupils."""

    kind: str
    added: int
    updated: int
    pupils: int
    alerts: int


class HolidayIn(BaseModel):
    """A holiday, first and last day inclusive; a default one of the same school year and name is replaced."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=60)
    first_day: Day
    last_day: Day

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.last_day < self.first_day:
            msg = "de laatste dag ligt vóór de eerste"
            raise ValueError(msg)
        return self


class HolidaysOut(BaseModel):
    """The own holidays of a school or SWV, in date order."""

    scope: str
    code: str
    holidays: list[HolidayIn]


HolidaysBody = Annotated[list[HolidayIn], Body(max_length=60, examples=[[
    {"name": "herfstvakantie", "first_day": "2026-10-24", "last_day": "2026-11-01"},
    {"name": "studiedag", "first_day": "2026-11-20", "last_day": "2026-11-20"}]])]


class DetectIn(BaseModel):
    """Run detection as of a day (default today; never a later day), for some pupils or (none given) every
    candidate.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"as_of": "2026-10-06"}]})
    as_of: Day | None = None
    pupil_ids: list[Pupil] | None = Field(default=None, max_length=1000)


class DetectionOut(BaseModel):
    """What a detection run did."""

    as_of: date
    candidates: int
    signals: int
    alerts: int
    episodes_new: int
    episodes_closed: int
    cases_opened: int
    duration_s: float
    raised: list[RaisedOut]


class RegisterRowOut(BaseModel):
    """An episode of the thuiszitter register: no names, the pseudonymous pupil id."""

    key: str
    pupil_id: str
    kind: str
    category: str
    first_day: date
    last_day: date | None
    school_brin: str | None
    swv_code: str | None
    residence_cbs: str
    school_weeks: int
    case_id: str | None
    actions: list[dict[str, Any]]
    duty: str = Field(description="leerplicht or kwalificatieplicht (Leerplichtwet art. 4a): the duty that applied")


class MeldplichtCountsOut(BaseModel):
    """The meldplicht signals reached in the period, followed through: reported to DUO (in time, late) and
    not reported within the term (escalated).
    """

    gemeld: int
    op_tijd: int
    te_laat: int
    niet_gemeld: int


class RegisterOut(BaseModel):
    """The episodes open at any time from ``first`` to ``last``, and the meldplicht reports of the period."""

    first: date
    last: date
    items: list[RegisterRowOut]
    meldplicht: MeldplichtCountsOut | None = None


def _verzuim(service: Service) -> Verzuim:
    return Verzuim(service)


def _recorded(recorded: Recorded) -> RecordedOut:
    written = recorded.written
    return RecordedOut(kind=written.kind, pupil_id=written.pupils[0], added=written.added, updated=written.updated,
                       raised=[RaisedOut(**asdict(r)) for r in recorded.detection.raised])


def _record(record: Record, principal: PrincipalDep, service: ServiceDep, now: NowDep) -> RecordedOut:
    return _recorded(_verzuim(service).record(principal, record, now))


@router.post("/enrollments", status_code=status.HTTP_201_CREATED, response_model=RecordedOut, responses=ERRORS)
def record_enrollment(body: EnrollmentIn, principal: PrincipalDep, service: ServiceDep, now: NowDep) -> RecordedOut:
    """Record an enrollment (admin; a zorgcoördinator for their own school), then detect for the pupil."""
    return _record(EnrollmentRecord(body.pupil_id, body.school_brin, body.first_day, body.last_day), principal,
                   service, now)


@router.post("/absences", status_code=status.HTTP_201_CREATED, response_model=RecordedOut, responses=ERRORS)
def record_absence(body: AbsenceIn, principal: PrincipalDep, service: ServiceDep, now: NowDep) -> RecordedOut:
    """Record absence on a day the pupil is enrolled (admin; a zorgcoördinator of that school), then detect
    for the pupil: the alerts raised (meldplicht, thuiszitter, ...) are listed.
    """
    record = AbsenceRecord(body.pupil_id, body.day, body.hours, body.authorized, body.reason, body.reason_kind,
                           body.scheduled_hours)
    return _record(record, principal, service, now)


@router.post("/vrijstellingen", status_code=status.HTTP_201_CREATED, response_model=RecordedOut, responses=ERRORS)
def record_vrijstelling(body: VrijstellingIn, principal: PrincipalDep, service: ServiceDep,
                        now: NowDep) -> RecordedOut:
    """Record a vrijstelling (admin; a zorgcoördinator for a pupil of their school; leerplicht for a resident)."""
    return _record(VrijstellingRecord(body.pupil_id, body.kind, body.first_day, body.last_day), principal,
                   service, now)


@router.post("/verzuim/imports/{kind}", response_model=ImportedOut, responses=ERRORS, openapi_extra={
    "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}, "example":
        "leerling_id,datum,uren,geoorloofd,reden\nlln-7f3a9c,2026-09-07,5,nee,spijbelen\n"}}}})
def import_csv(
    kind: Annotated[str, Path(description="inschrijvingen, verzuim or vrijstellingen")], principal: PrincipalDep,
    service: ServiceDep, now: NowDep, content: Annotated[str, Body(media_type="text/csv", include_in_schema=False)],
) -> ImportedOut:
    """Import a CSV file (Dutch headers; see the README) all or nothing: 422 `import-rejected` lists every
    error by line and column and nothing is written. Then detection runs for the pupils in the file.
    """
    recorded = _verzuim(service).import_csv(principal, kind, content, now)
    written = recorded.written
    return ImportedOut(kind=written.kind, added=written.added, updated=written.updated, pupils=len(written.pupils),
                       alerts=recorded.detection.alerts)


def _holidays_out(scope: str, code: str, found: list[Holiday]) -> HolidaysOut:
    return HolidaysOut(scope=scope, code=code, holidays=[
        HolidayIn(name=h.name, first_day=h.first_day, last_day=h.last_day) for h in found])


def _holidays(body: list[HolidayIn]) -> list[Holiday]:
    return [Holiday(h.name, h.first_day, h.last_day) for h in body]


@router.get("/schools/{brin}/holidays", response_model=HolidaysOut, responses=ERRORS)
def school_holidays(brin: Annotated[str, Path(pattern=BRIN)], _: PrincipalDep, service: ServiceDep) -> HolidaysOut:
    """A school's own holidays (on top of its region's and its SWV's)."""
    return _holidays_out(SCHOOL, brin, _verzuim(service).holidays(SCHOOL, brin))


@router.put("/schools/{brin}/holidays", response_model=HolidaysOut, responses=ERRORS)
def set_school_holidays(brin: Annotated[str, Path(pattern=BRIN)], body: HolidaysBody, principal: PrincipalDep,
                        service: ServiceDep, now: NowDep) -> HolidaysOut:
    """Replace a school's own holidays (admin; the SWV coordinator of its SWV)."""
    return _holidays_out(SCHOOL, brin, _verzuim(service).set_holidays(principal, SCHOOL, brin, _holidays(body), now))


@router.get("/swvs/{code}/holidays", response_model=HolidaysOut, responses=ERRORS)
def swv_holidays(code: Annotated[str, Path(pattern=SWV_CODE)], _: PrincipalDep, service: ServiceDep) -> HolidaysOut:
    """An SWV's own holidays (for all its schools, on top of their region's)."""
    return _holidays_out(SWV, code, _verzuim(service).holidays(SWV, code))


@router.put("/swvs/{code}/holidays", response_model=HolidaysOut, responses=ERRORS)
def set_swv_holidays(code: Annotated[str, Path(pattern=SWV_CODE)], body: HolidaysBody, principal: PrincipalDep,
                     service: ServiceDep, now: NowDep) -> HolidaysOut:
    """Replace an SWV's own holidays (admin; the SWV's coordinator)."""
    return _holidays_out(SWV, code, _verzuim(service).set_holidays(principal, SWV, code, _holidays(body), now))


def _not_after_today(as_of: date | None, now: datetime) -> None:
    """Detection writes the register for good: never as of a day that has not come yet."""
    today = today_in_nl(now)
    if as_of is not None and as_of > today:
        later = (f"Detectie kan niet per {as_of.isoformat()}: die dag ligt na vandaag ({today.isoformat()}); het "
                 "thuiszittersregister legt alleen vast wat al gebeurd is.")
        raise InvalidCommand([later])


def _detection_out(report: DetectionReport) -> DetectionOut:
    return DetectionOut(**report.counts(), raised=[RaisedOut(**asdict(r)) for r in report.raised])


@router.post("/verzuim/detect", response_model=DetectionOut, responses=ERRORS)
def detect(body: DetectIn, principal: PrincipalDep, service: ServiceDep, now: NowDep) -> DetectionOut:
    """Run detection now (admins; the daily flow does this at 06:00): alerts, register, thuiszitter cases."""
    _not_after_today(body.as_of, now)
    return _detection_out(_verzuim(service).detect_as(principal, body.as_of, body.pupil_ids, now))


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@router.get("/thuiszitters/register", response_model=RegisterOut, responses=ERRORS)
def register(
    principal: PrincipalDep, service: ServiceDep, now: NowDep,
    first: Annotated[Day | None, Query(alias="from",
                                       description=f"first day (default: this quarter's), {WINDOW}")] = None,
    last: Annotated[Day | None, Query(alias="to", description=f"last day (default: today), {WINDOW}")] = None,
) -> RegisterOut:
    """The thuiszitter register: every episode open at any time in the period (SWV coordinator: the schools
    of your SWV; leerplicht: pupils living in your municipality; admin: all).
    """
    today = today_in_nl(now)
    start, end = first or _quarter_start(today), last or today
    rows = _verzuim(service).register(principal, start, end, now)
    counts = _verzuim(service).meldingen_counts(principal, start, end)
    return RegisterOut(first=start, last=end, items=[RegisterRowOut.model_validate(
        {**asdict(r), "actions": [dict(a) for a in r.actions]}) for r in rows],
        meldplicht=MeldplichtCountsOut(**asdict(counts)))


class HiddenOut(BaseModel):
    """The hidden thuiszitters still at home in the reader's scope, longest at home first."""

    total: int
    items: list[RegisterRowOut]


@router.get("/monitor/hidden-thuiszitters", response_model=HiddenOut, responses=ERRORS, tags=["monitoring"])
def hidden_thuiszitters(principal: PrincipalDep, service: ServiceDep, now: NowDep,
                        limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> HiddenOut:
    """Hidden thuiszitters (issue 15; seed 002): pupils at home with permission but without education -- thuis in
    overleg, by a knooppunt agreement, waiting for an S(B)O/SO place, a schorsing -- for more than 4 school
    weeks, still at home (monitor readers: a zorgcoördinator their schools, an SWV coordinator or BTO member
    the schools of their SWV). Shown apart from the stalled cases and the thuiszitter register's other rows.
    """
    total, rows = _verzuim(service).hidden_thuiszitters(principal, now, limit)
    return HiddenOut(total=total, items=[RegisterRowOut.model_validate(
        {**asdict(r), "actions": [dict(a) for a in r.actions]}) for r in rows])


@router.get("/thuiszitters/export", response_class=Response, responses={
    **ERRORS, 200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                    "description": "The anonymised quarterly register (columns: see the README)"}})
def export(
    principal: PrincipalDep, service: ServiceDep, now: NowDep,
    quarter: Annotated[str, Query(pattern=r"^20[0-9]{2}[Qq][1-4]$", description="e.g. 2026Q4")],
    swv: Annotated[str | None, Query(pattern=SWV_CODE, description="only this SWV's schools")] = None,
) -> Response:
    """The quarterly thuiszitter register for the Inspectie, anonymised (admin; an SWV coordinator for their
    SWV): no names, BSN, birth dates or ids.
    """
    content = _verzuim(service).export_as(principal, quarter, swv, now)
    return Response(content, media_type="text/csv; charset=utf-8")
