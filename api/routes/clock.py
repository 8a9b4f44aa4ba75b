"""The oefenomgeving's clock (``LEERLINGROUTE_CLOCK=simulated`` only; on the real clock this router is not
mounted: 404, and absent from the OpenAPI document). Admins only.

A move answers 202 with the new simulated time at once; the work that fell due (timers, verzuim detection,
digests, alerts) runs after the answer, in the background, through the service functions the flows call.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from api.deps import PrincipalDep, ServiceDep
from api.errors import problem
from api.schemas import problem_responses
from domain.errors import RoleNotAllowed
from domain.roles import ADMIN
from infra.clock_words import ClockRefused, describe_nl, parse_instant, parse_step
from service import oefenomgeving

router = APIRouter(prefix="/admin/klok", tags=["oefenomgeving"])
ERRORS = problem_responses(401, 403, 422)
CLOCK_REFUSED = 422


class ClockOut(BaseModel):
    """Where the simulated clock stands."""

    gesimuleerd_nu: AwareDatetime = Field(description="The simulated now (it runs on between moves)")
    datum: str = Field(description="The simulated day in Dutch, as the pages' banner shows it",
                       examples=["maandag 7 december 2026"])
    vorige: AwareDatetime | None = Field(default=None, description="Where the clock stood before this move")
    achterstallig_werk: str | None = Field(default=None, description="What happens after a move")


class MoveIn(BaseModel):
    """Set the clock to an instant, or advance it; exactly one of the two."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"verzet": "P7D"},
                                                                              {"zet_op": "2026-12-07"}]})
    zet_op: str | None = Field(default=None, max_length=40, description=(
        "ISO 8601 date (the start of that Dutch day) or date and time (without a zone: Dutch time); never "
        "before the simulated now once anything is recorded, between 2000 and 2100, at most two years ahead"))
    verzet: str | None = Field(default=None, max_length=40, description=(
        "How far to advance: 7d, 2w, 3m (months), 1j, 12u, or ISO 8601 (P7D, P1M, PT12H); at most two years"))

    @model_validator(mode="after")
    def _one(self) -> MoveIn:
        if (self.zet_op is None) == (self.verzet is None):
            msg = "geef precies één van zet_op (een datum of tijdstip) en verzet (een duur, zoals P7D)"
            raise ValueError(msg)
        return self


def _out(now: datetime, before: datetime | None = None, work: str | None = None) -> ClockOut:
    return ClockOut(gesimuleerd_nu=now, datum=describe_nl(now, with_time=False), vorige=before,
                    achterstallig_werk=work)


@router.get("", response_model=ClockOut, responses=ERRORS)
def show_clock(principal: PrincipalDep, service: ServiceDep) -> ClockOut:
    """Where the simulated clock stands (admins; others 403)."""
    if principal.role != ADMIN:
        raise RoleNotAllowed("bekijk_klok", principal.role, (ADMIN,))
    return _out(service.now())


@router.post("", status_code=202, response_model=ClockOut, responses=ERRORS)
def move_clock(body: MoveIn, principal: PrincipalDep, service: ServiceDep, background: BackgroundTasks,
               ) -> ClockOut | JSONResponse:
    """Set or advance the simulated clock (admins; others 403; audited). 422 for a move backwards once anything
    is recorded, outside 2000..2100, more than two years at once, or unreadable. Answers at once (202); the timers,
    detection, digests and alerts that fell due run right after, in the background.
    """
    try:
        to = parse_instant(body.zet_op) if body.zet_op is not None else None
        step = parse_step(body.verzet) if body.verzet is not None else None
        moved = oefenomgeving.move(service, principal, to=to, step=step)
    except ClockRefused as refused:
        return problem(CLOCK_REFUSED, refused.code, refused.message, refused.detail_nl)
    background.add_task(oefenomgeving.run_due_work_logged, service)
    return _out(moved.after, moved.before, "Verlopen termijnen, verzuimdetectie, overzichten en meldingen worden "
                "nu op de achtergrond bijgewerkt.")
