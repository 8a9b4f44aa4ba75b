"""Meldplicht followed through and the SWV consulted (issue 15 items 4-5): the school's verzuimmelding to DUO
on a meldplicht signal, and an intended vrijstelling 5 onder a with its consultation of the SWV coordinator.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import NowDep, PrincipalDep, ServiceDep
from api.routes.verzuim import ERRORS, Pupil
from api.schemas import Day
from service import Service
from service.verzuim import Verzuim

router = APIRouter(tags=["verzuim"])


def _verzuim(service: Service) -> Verzuim:
    return Verzuim(service)


class MeldingIn(BaseModel):
    """The school's verzuimmelding to DUO on a meldplicht signal: the signal's key (in the alert's facts),
    the day it was reported and the kind (DUO's verzuimsoort).
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"signal": "lln-7f3a9c:meldplicht:14PS03:2026-10-05:1", "kind": "zestien_uur", "reported_on": "2026-10-07"}]})
    signal: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="zestien_uur", max_length=40, description=(
        "zestien_uur, langdurig_relatief, luxe, achttien_plus or overig"))
    reported_on: Day


class MeldingOut(BaseModel):
    """A meldplicht signal and its report: the last day it was due and whether it was in time."""

    signal_key: str
    pupil_id: str
    school_brin: str
    reached_on: date
    due_on: date
    reported_on: date | None
    kind: str | None
    kind_label: str | None
    status: str
    escalated_on: date | None


@router.post("/verzuim/meldingen", status_code=status.HTTP_201_CREATED, response_model=MeldingOut,
             responses=ERRORS)
def record_melding(body: MeldingIn, principal: PrincipalDep, service: ServiceDep, now: NowDep) -> MeldingOut:
    """Record the school's verzuimmelding to DUO on a meldplicht signal (the zorgcoördinator of the pupil's
    school; Leerplichtwet art. 21a). A signal not reported within 5 working days of the day it was reached
    (a profile may set another term) escalates to the zorgcoördinator and the SWV coordinator. Recording it
    again corrects the day or the kind.
    """
    found = _verzuim(service).record_melding(principal, body.signal, body.kind, body.reported_on, now)
    return MeldingOut(**asdict(found))


class VoornemenIn(BaseModel):
    """An intended vrijstelling 5 onder a, before leerplicht grants it (the SWV coordinator is asked first)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"pupil_id": "lln-7f3a9c", "first_day": "2026-08-17", "last_day": "2027-07-31"}]})
    pupil_id: Pupil
    first_day: Day
    last_day: Day | None = None


class VoornemenOut(BaseModel):
    """An intended vrijstelling and its consultation of the SWV coordinator."""

    id: int
    pupil_id: str
    kind: str
    first_day: date
    last_day: date | None
    swv_code: str | None
    voorgenomen_on: date
    raadplegen_uiterlijk: date
    geraadpleegd_on: date | None
    status: str


@router.post("/vrijstellingen/voornemens", status_code=status.HTTP_201_CREATED, response_model=VoornemenOut,
             responses=ERRORS)
def propose_vrijstelling(body: VoornemenIn, principal: PrincipalDep, service: ServiceDep,
                         now: NowDep) -> VoornemenOut:
    """Record an intended vrijstelling 5 onder a (leerplicht of the pupil's municipality; admin): the SWV
    coordinator of the pupil's school's SWV is asked to respond within the profile's term (seed 001 §4.7).
    """
    found = _verzuim(service).propose_vrijstelling(principal, body.pupil_id, body.first_day, body.last_day, now)
    return VoornemenOut(**asdict(found))


@router.post("/vrijstellingen/voornemens/{voornemen_id}/raadpleging", response_model=VoornemenOut,
             responses=ERRORS)
def consult_swv(voornemen_id: Annotated[int, Path(ge=1)], principal: PrincipalDep, service: ServiceDep,
                now: NowDep) -> VoornemenOut:
    """Record that the SWV coordinator (of the voornemen's SWV) was consulted; leerplicht hears of it. In a
    profile that requires it (VO 31-02) a vrijstelling 5 onder a is recorded only after this.
    """
    return VoornemenOut(**asdict(_verzuim(service).consult_swv(principal, voornemen_id, now)))
