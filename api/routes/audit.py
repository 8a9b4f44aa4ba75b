"""The audit log: who read or changed which case or pupil, when and why. Admins only.

The schema lives here: it describes only this route.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from api.deps import PrincipalDep, ServiceDep
from api.schemas import problem_responses

router = APIRouter(prefix="/audit", tags=["audit"])
ERRORS = problem_responses(401, 403, 422)


class AuditEntryOut(BaseModel):
    """One row of the hash-chained audit log (verify the chain with `leerlingroute audit verify`)."""

    seq: int
    at: AwareDatetime
    user_id: str
    role: str
    action: str
    resource: str
    purpose: str
    outcome: str
    prev_hash: str
    hash: str


@router.get("", response_model=list[AuditEntryOut], responses=ERRORS)
def audit_log(
    principal: PrincipalDep, service: ServiceDep,
    resource: Annotated[str | None, Query(max_length=120, description="e.g. case:<id> or pupil:<id>")] = None,
    user_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[AuditEntryOut]:
    """Audit rows, newest first, optionally of one resource and/or one user; 403 for every role but admin."""
    return [AuditEntryOut(**asdict(e)) for e in service.audit_entries(principal, resource, user_id, limit, offset)]
