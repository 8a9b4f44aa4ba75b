"""Pathways: the definitions cases run on."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServiceDep
from api.schemas import BasisOut, PathwayOut, StageOut, TimerSpecOut, TransitionOut, problem_responses
from domain.definition import PathwayDefinition
from domain.terms import KINDS

router = APIRouter(prefix="/pathways", tags=["pathways"])
ERRORS = problem_responses(404, 422)


@router.get("", response_model=list[PathwayOut])
def list_pathways(service: ServiceDep) -> list[PathwayOut]:
    """The latest version of every pathway."""
    return [_out(d) for d in service.registry.latest()]


@router.get("/{pathway}", response_model=PathwayOut, responses=ERRORS)
def get_pathway(pathway: str, service: ServiceDep, version: int | None = None) -> PathwayOut:
    """One pathway at ``version`` (default: the latest)."""
    return _out(service.registry.get(pathway, version))


def _out(d: PathwayDefinition) -> PathwayOut:
    return PathwayOut(
        pathway=d.pathway, version=d.version, title=d.title, source=d.source, initial=d.initial,
        stages=[StageOut(name=s.name, label=s.label, final=s.final, requires=list(s.requires))
                for s in d.stages.values()],
        transitions=[TransitionOut(command=t.command, label=t.label, sources=list(t.sources), target=t.target,
                                   event=t.event, roles=sorted(t.roles), guards=list(t.guards))
                     for t in d.transitions],
        timers=[TimerSpecOut(name=t.name, label=t.label, starts_on=t.starts_on, cancelled_on=list(t.cancelled_on),
                             after=t.term.length.to_data() if t.term.length else None, direction=t.term.direction,
                             anchor=list(t.anchor), basis=BasisOut(soort=t.term.basis.kind,
                                                                   soort_tekst=KINDS[t.term.basis.kind],
                                                                   bron=t.term.basis.source),
                             fires=t.fires) for t in d.timers],
    )
