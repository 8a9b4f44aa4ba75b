"""Reference data (municipalities, SWVs, schools), registered pupils, and CSV imports.

Reference data is no personal data: every signed-in user reads it. Pupils are read within scope,
with their names only for the roles that must know them. An import writes all rows or none.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel

from api.deps import NowDep, PrincipalDep, ServiceDep
from api.schemas import BRIN, PSEUDONYM, problem_responses
from infra.reference import resources

T = TypeVar("T")
router = APIRouter(tags=["resources"])
ERRORS = problem_responses(401, 403, 404, 422)
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


class MunicipalityOut(BaseModel):
    """A gemeente by CBS code."""

    cbs_code: str
    name: str


class SwvOut(BaseModel):
    """A samenwerkingsverband."""

    code: str
    name: str
    sector: str


class SchoolOut(BaseModel):
    """A school (location) by BRIN."""

    brin: str
    name: str
    swv_code: str
    kind: str
    municipality_cbs: str
    calendar_region: str


class PageOf(BaseModel, Generic[T]):
    """A page of a list in key order: the items, the total and where the page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int


class IdentityOut(BaseModel):
    """Who the pupil is (only for their school's zorgcoördinator and their municipality's leerplicht)."""

    given_name: str
    family_name: str
    bsn: str | None
    birth_date: str


class PupilRecordOut(BaseModel):
    """A registered pupil: pseudonymous id, school, SWV, municipality, birth year; identity if shown."""

    pupil_id: str
    school_brin: str | None
    swv_code: str | None
    residence_cbs: str
    birth_year: int
    identity: IdentityOut | None


class ImportedOut(BaseModel):
    """What an import wrote."""

    kind: str
    added: int
    updated: int


def _page(model: type[BaseModel], found: tuple[list[dict[str, Any]], int], limit: int, offset: int) -> Any:
    items, total = found
    return {"items": [model.model_validate(i) for i in items], "total": total, "limit": limit, "offset": offset}


@router.get("/municipalities", response_model=PageOf[MunicipalityOut], responses=ERRORS)
def municipalities(_: PrincipalDep, service: ServiceDep, limit: Limit = 100, offset: Offset = 0) -> Any:
    """Municipalities by CBS code."""
    return _page(MunicipalityOut, resources.reference_rows(service.engine, "gemeenten", limit, offset), limit, offset)


@router.get("/swvs", response_model=PageOf[SwvOut], responses=ERRORS)
def swvs(_: PrincipalDep, service: ServiceDep, limit: Limit = 100, offset: Offset = 0) -> Any:
    """Samenwerkingsverbanden by code."""
    return _page(SwvOut, resources.reference_rows(service.engine, "swvs", limit, offset), limit, offset)


@router.get("/schools", response_model=PageOf[SchoolOut], responses=ERRORS)
def schools(
    _: PrincipalDep, service: ServiceDep, limit: Limit = 100, offset: Offset = 0,
    swv: Annotated[str | None, Query(max_length=8, description="only the schools of this SWV")] = None,
) -> Any:
    """Schools by BRIN, optionally of one SWV."""
    where = {"swv_code": swv} if swv else None
    return _page(SchoolOut, resources.reference_rows(service.engine, "scholen", limit, offset, where), limit, offset)


@router.post("/imports/{kind}", response_model=ImportedOut, responses=ERRORS, openapi_extra={
    "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}, "example":
        "cbs_code,naam\n0917,Heerlen\n0935,Maastricht\n"}}}})
def import_csv(
    kind: Annotated[str, Path(description="gemeenten, swvs, scholen or leerlingen")], principal: PrincipalDep,
    service: ServiceDep, now: NowDep, content: Annotated[str, Body(media_type="text/csv", include_in_schema=False)],
) -> ImportedOut:
    """Import a CSV file (comma or semicolon separated, Dutch headers; see the README) all or nothing:
    422 `import-rejected` lists every error by line and column and nothing is written. A zorgcoördinator
    imports pupils of their own schools: new ones, or those registered there; a pupil id in use elsewhere
    is a row error that does not say by whom.
    """
    return ImportedOut(**asdict(service.import_csv(principal, kind, content, now)))


@router.get("/pupils", response_model=list[PupilRecordOut], responses=ERRORS)
def pupil_list(
    principal: PrincipalDep, service: ServiceDep, now: NowDep,
    school: Annotated[str | None, Query(pattern=BRIN)] = None, limit: Limit = 100, offset: Offset = 0,
) -> list[PupilRecordOut]:
    """The registered pupils you may see (optionally of one school), by id."""
    found = service.pupil_records(principal, None, school, limit, offset, now)
    return [PupilRecordOut.model_validate(asdict(r)) for r in found]


@router.get("/pupils/{pupil_id}/record", response_model=PupilRecordOut, responses=ERRORS)
def pupil_record(
    pupil_id: Annotated[str, Path(pattern=PSEUDONYM)], principal: PrincipalDep, service: ServiceDep, now: NowDep,
) -> PupilRecordOut:
    """A registered pupil, if you may see them (else 404, as for an unknown pupil)."""
    return PupilRecordOut.model_validate(asdict(service.pupil_records(principal, pupil_id, None, 1, 0, now)[0]))
