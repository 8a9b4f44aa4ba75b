"""The silence check's queries (the rules: :mod:`domain.silence`): set-based, one statement per kind of
violation, on SQLite and PostgreSQL alike.

Each kind is one SELECT with NOT EXISTS subqueries on indexed columns (``ix_cases_pupil``,
``ix_cases_pathway_stage``, ``ix_cases_profile_pathway_stage_entered``, ``ix_timers_case_state``,
``ix_thuiszitter_episodes_last_day``), never a query per case: a page reads ``offset + limit`` rows at most
per kind, a count one row. Violations are recomputed on every read (nothing is stored): a fix shows at once,
and the reader's scope is the same condition on ``cases`` as every other monitor read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, exists, false, func, or_, select, true

from domain.access import SCHOOL_ROLES, STANDARD_SWV, SWV_ROLES, Principal, profile_of_swv
from domain.registry import PathwayRegistry
from domain.silence import (
    ACTIVE_TLV_STAGES,
    CASCADE_ACTIVE,
    KINDS,
    OPP_IN_FORCE_STAGES,
    OPP_ONTBREEKT,
    OPP_TERM,
    STIL_DOSSIER,
    THUISZITTER_ZONDER_DOSSIER,
    TLV_ZONDER_HERBEOORDELING,
    ActiveTlv,
    LevelNeedingOpp,
    OpenEpisode,
    RestingCase,
    Violation,
    episode_kinds_with_case,
    episode_without_case,
    final_stages,
    level_without_opp,
    levels_requiring_opp,
    resting_case,
    tlv_without_herbeoordeling,
    unnormed_stages,
)
from infra.store.tables import cases, schools, timers
from infra.store.verzuim_tables import thuiszitter_episodes

PENDING = "pending"


@dataclass(frozen=True)
class Reach:
    """What a reader sees: a condition on ``cases`` and one on the register's episodes (joined with their
    school).
    """

    cases: ColumnElement[bool]
    episodes: ColumnElement[bool]


EVERYTHING = Reach(true(), true())
"""The daily flow's reach: all active data."""


@dataclass(frozen=True)
class SilenceQuery:
    """Which violations to list (one kind or all, in the order of ``domain.silence.KINDS``) and which page."""

    kind: str | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class SilencePage:
    """A page of violations and how many there are of each kind."""

    violations: list[Violation]
    totals: dict[str, int]


def episode_scope(principal: Principal, registry: PathwayRegistry) -> ColumnElement[bool]:
    """The register's episodes a monitor reader sees: those of their schools (zorgcoördinator), of the schools of
    their SWV (coordinator, BTO; the pseudo-SWV ``standaard``: schools in no SWV with a profile, and none).
    """
    table = thuiszitter_episodes
    if principal.role in SCHOOL_ROLES:
        return table.c.school_brin.in_(principal.scopes)
    if principal.role in SWV_ROLES:
        seen: ColumnElement[bool] = schools.c.swv_code.in_(principal.scopes)
        if STANDARD_SWV in principal.scopes:
            named = {c for p in registry.profiles.values() for c in p.setting("swv_codes", ())}
            seen = seen | schools.c.swv_code.is_(None) | schools.c.swv_code.not_in(named or {""})
        return seen
    return false()


def silence(conn: Connection, reach: Reach, registry: PathwayRegistry, today: date, query: SilenceQuery,
            ) -> SilencePage:
    """The totals per kind and the page ``query`` asks for (kinds one after the other)."""
    wanted = [k for k in KINDS if query.kind in (None, k)]
    totals = {k: _count(conn, _QUERIES[k](reach, registry, today)) for k in wanted}
    found: list[Violation] = []
    skip, room = query.offset, query.limit
    for kind in wanted:
        if room <= 0:
            break
        if skip >= totals[kind]:
            skip -= totals[kind]
            continue
        rows = conn.execute(_QUERIES[kind](reach, registry, today).offset(skip).limit(room)).all()
        found += [_RULES[kind](r, registry) for r in rows]
        skip, room = 0, room - len(rows)
    return SilencePage(found, totals)


def counts(conn: Connection, reach: Reach, registry: PathwayRegistry, today: date) -> dict[str, int]:
    """How many violations of each kind there are in ``reach``."""
    return {k: _count(conn, _QUERIES[k](reach, registry, today)) for k in KINDS}


def _count(conn: Connection, query: Select[Any]) -> int:
    total: int = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    return total


def _active(table: Any, pathway: str, registry: PathwayRegistry) -> ColumnElement[bool]:
    finals = final_stages(registry.definitions, pathway)
    return and_(table.c.pathway == pathway, table.c.stage.not_in(finals) if finals else true())


def _running_timer(case_id: ColumnElement[Any], name: str | None = None) -> ColumnElement[bool]:
    named = timers.c.name == name if name else true()
    return exists().where(timers.c.case_id == case_id, timers.c.state == PENDING, named)


# --- (a) an active TLV without a running herbeoordeling ------------------------------------------


def _einddatum() -> ColumnElement[str]:
    found: ColumnElement[str] = cases.c.artifacts[("besluit", "einddatum")].as_string()
    return found


def _tlvs(reach: Reach, registry: PathwayRegistry, today: date) -> Select[Any]:
    herbeoordeling = cases.alias("herbeoordeling")
    running = and_(_active(herbeoordeling, "herbeoordeling", registry), _running_timer(herbeoordeling.c.id))
    decided = and_(herbeoordeling.c.pathway == "herbeoordeling",
                   herbeoordeling.c.stage.in_(final_stages(registry.definitions, "herbeoordeling")),
                   herbeoordeling.c.opened_at >= cases.c.opened_at)
    watched = exists().where(herbeoordeling.c.pupil_id == cases.c.pupil_id, or_(running, decided))
    return (select(cases.c.id, cases.c.pupil_id, cases.c.school_brin, cases.c.profile, _einddatum().label("einde"))
            .where(reach.cases, cases.c.pathway == "tlv", cases.c.stage.in_(ACTIVE_TLV_STAGES),
                   cases.c.artifacts[("besluit", "uitkomst")].as_string() == "toegekend",
                   _einddatum() >= today.isoformat(), ~watched)
            .order_by(cases.c.id))


def _tlv_rule(row: Any, registry: PathwayRegistry) -> Violation:
    return tlv_without_herbeoordeling(
        ActiveTlv(row.id, row.pupil_id, row.school_brin, row.profile, date.fromisoformat(row.einde)), registry)


# --- (b) a cascade level that needs an OPP, without one ------------------------------------------------


def _niveau() -> ColumnElement[str]:
    found: ColumnElement[str] = cases.c.artifacts[("niveau", "huidig")].as_string()
    return found


def _levels(reach: Reach, registry: PathwayRegistry, today: date) -> Select[Any]:
    del today
    needing = [and_(cases.c.profile == code, _niveau().in_(levels))
               for code, profile in sorted(registry.profiles.items()) if (levels := levels_requiring_opp(profile))]
    opp = cases.alias("opp")
    in_force = exists().where(opp.c.pupil_id == cases.c.pupil_id, opp.c.pathway == "opp",
                              opp.c.stage.in_(OPP_IN_FORCE_STAGES))
    term = exists().where(opp.c.pupil_id == cases.c.pupil_id, opp.c.pathway == "opp",
                          _running_timer(opp.c.id, OPP_TERM))
    return (select(cases.c.id, cases.c.pupil_id, cases.c.school_brin, cases.c.profile, _niveau().label("niveau"))
            .where(reach.cases, cases.c.pathway == "cascade", cases.c.stage == CASCADE_ACTIVE,
                   or_(false(), *needing), ~in_force, ~term)
            .order_by(cases.c.id))


def _level_rule(row: Any, registry: PathwayRegistry) -> Violation:
    return level_without_opp(LevelNeedingOpp(row.id, row.pupil_id, row.school_brin, row.profile, str(row.niveau)),
                             registry)


# --- (c) an open thuiszitter episode without a case -----------------------------------------------------


def _episodes(reach: Reach, registry: PathwayRegistry, today: date) -> Select[Any]:
    del today
    table = thuiszitter_episodes
    thuiszitter = cases.alias("thuiszitter")
    has_case = exists().where(thuiszitter.c.pupil_id == table.c.pupil_id,
                              _active(thuiszitter, "thuiszitter", registry))
    return (select(table.c.id, table.c.pupil_id, table.c.kind, table.c.first_day, table.c.school_brin,
                   schools.c.swv_code)
            .select_from(table.outerjoin(schools, schools.c.brin == table.c.school_brin))
            .where(reach.episodes, table.c.last_day.is_(None), table.c.kind.in_(episode_kinds_with_case(registry)),
                   ~has_case)
            .order_by(table.c.id))


def _episode_rule(row: Any, registry: PathwayRegistry) -> Violation:
    profile = profile_of_swv(registry.profiles, row.swv_code) if row.swv_code else "standaard"
    return episode_without_case(
        OpenEpisode(row.id, row.pupil_id, row.kind, row.first_day, row.school_brin, profile), registry)


# --- (d) an active case that no timer and no norm watches ------------------------------------------------


def _resting(reach: Reach, registry: PathwayRegistry, today: date) -> Select[Any]:
    del today
    unwatched = [and_(cases.c.profile == code, cases.c.pathway == pathway, cases.c.stage.in_(sorted(stages)))
                 for code, profile in sorted(registry.profiles.items())
                 for pathway, stages in sorted(unnormed_stages(registry.definitions, profile).items())]
    return (select(cases.c.id, cases.c.pupil_id, cases.c.school_brin, cases.c.profile, cases.c.pathway,
                   cases.c.definition_version, cases.c.stage)
            .where(reach.cases, or_(false(), *unwatched), ~_running_timer(cases.c.id))
            .order_by(cases.c.id))


def _resting_rule(row: Any, registry: PathwayRegistry) -> Violation:
    return resting_case(RestingCase(row.id, row.pupil_id, row.school_brin, row.profile, row.pathway,
                                    row.definition_version, row.stage), registry)


Query = Callable[[Reach, PathwayRegistry, date], Select[Any]]
_QUERIES: dict[str, Query] = {TLV_ZONDER_HERBEOORDELING: _tlvs, OPP_ONTBREEKT: _levels,
                              THUISZITTER_ZONDER_DOSSIER: _episodes, STIL_DOSSIER: _resting}
_RULES: dict[str, Callable[[Any, PathwayRegistry], Violation]] = {
    TLV_ZONDER_HERBEOORDELING: _tlv_rule, OPP_ONTBREEKT: _level_rule,
    THUISZITTER_ZONDER_DOSSIER: _episode_rule, STIL_DOSSIER: _resting_rule}

