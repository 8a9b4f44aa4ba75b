"""Pupils: one pupil, one timeline of trajectories; a change of school moves them all."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from api.deps import NowDep, PrincipalDep, PurposeDep, ServiceDep
from api.routes.cases import ERRORS, status_out
from api.schemas import OutcomeOut, TimelineOut, TransferIn

router = APIRouter(prefix="/pupils", tags=["pupils"])


@router.get("/{pupil_id}", response_model=TimelineOut, responses=ERRORS)
def timeline(
    pupil_id: str, principal: PrincipalDep, service: ServiceDep, now: NowDep, purpose: PurposeDep = None,
) -> TimelineOut:
    """Every trajectory of the pupil you may see (knooppunt, OPP, TLV, transfer...): stage, open deadlines
    and the commands allowed next for the active ones; the closed ones after them. 404 if none.
    """
    found = [status_out(s) for s in service.read_timeline(principal, pupil_id, now, purpose)]
    return TimelineOut(pupil_id=pupil_id, school_brin=found[-1].school_brin,
                       active=[s for s in found if not s.final], closed=[s for s in found if s.final])


@router.post("/{pupil_id}/transfer", response_model=list[OutcomeOut], responses=ERRORS)
def transfer(
    pupil_id: str, body: TransferIn, principal: PrincipalDep, service: ServiceDep, now: NowDep,
    purpose: PurposeDep = None,
) -> list[OutcomeOut]:
    """The pupil changes school: every trajectory goes along; consents and instemming stay on record.
    Only a user who sees every trajectory of the pupil may move them.
    """
    return [OutcomeOut(**asdict(o)) for o in service.transfer_as(principal, pupil_id, body.school_brin, now, purpose)]
