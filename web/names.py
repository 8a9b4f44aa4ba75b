"""Names beside codes in every page: ``{{ brin | school }}`` shows "Het Kwadrant (14PS03)", ``{{ cbs | gemeente }}``
"Roermond (0957)", ``{{ code | swv }}`` the samenwerkingsverband and ``{{ code | profiel }}`` the region's profile by
its name. The reference data is read once per request, on the first code a page shows; an unknown code is shown as
it is (it may predate the reference data), never dropped.
"""

from __future__ import annotations

from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.requests import Request

from domain.access import Principal
from domain.registry import PathwayRegistry
from domain.roles import LEERPLICHT
from infra.reference import reference_names
from infra.reference.reference_names import ReferenceNames, with_code


def _names(context: Context) -> ReferenceNames:
    request: Request = context["request"]
    cached: ReferenceNames | None = getattr(request.state, "reference_names", None)
    if cached is None:
        cached = reference_names.load(request.app.state.service.engine)
        request.state.reference_names = cached
    return cached


@pass_context
def school(context: Context, brin: str | None) -> str:
    """The school's name with its BRIN."""
    return with_code(_names(context).schools, brin)


@pass_context
def gemeente(context: Context, cbs: str | None) -> str:
    """The gemeente's name with its CBS code."""
    return with_code(_names(context).municipalities, cbs)


@pass_context
def swv(context: Context, code: str | None) -> str:
    """The samenwerkingsverband's name with its code."""
    return with_code(_names(context).swvs, code)


@pass_context
def profiel(context: Context, code: str | None) -> str:
    """The regional profile by its name ('Samenwerkingsverband VO 31-02'); the legal standard by its own."""
    registry: PathwayRegistry = context["request"].app.state.service.registry
    found = registry.profiles.get(code) if code else None
    return found.name if found is not None else code or "—"


@pass_context
def werkgebied(context: Context, principal: Principal) -> str:
    """An account's scopes in words: the schools, SWVs or gemeenten it works for, with their codes."""
    if not principal.scopes:
        return "geen"
    names = _names(context)
    tables = (names.municipalities,) if principal.role == LEERPLICHT else (names.schools, names.swvs)
    return ", ".join(next((with_code(t, code) for t in tables if code in t), code) for code in principal.scopes)


FILTERS = {"school": school, "gemeente": gemeente, "swv": swv, "profiel": profiel, "werkgebied": werkgebied}
