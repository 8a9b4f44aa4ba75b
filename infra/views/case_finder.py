"""The search box: cases in the user's scope found by pupil name, pupil id, dossier number (or its first
8+ characters) or school name.

A name is matched, and shown, only where the role may know who the pupil is: the school's own staff for
the pupils registered at their schools, the SWV coordinator for its SWV's cases, leerplicht for the
residents whose thuiszitter cases it sees. Everyone else finds by id or school and sees the pseudonym.
The query text is never stored or logged (it may be a name): the caller audits that a search happened
and how many cases it found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Row, and_, false, func, or_, select, true

from domain.access import SCHOOL_ROLES, Principal, sees_name_in_case
from domain.errors import InvalidCommand
from domain.registry import PathwayRegistry
from domain.roles import LEERPLICHT, SWV_COORDINATOR
from infra.identity import audit
from infra.store import scope
from infra.store.tables import cases, pupil_identities, pupils, schools

PURPOSE = "Zoeken naar een leerling of dossier"
MAX_LENGTH = 80
MIN_LENGTH = 2
MAX_RESULTS = 50
_ALLOWED = re.compile(r"[\w .'\-]+")
_CASE_PREFIX = re.compile(r"[0-9a-f][0-9a-f\-]{7,35}")
_CASE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Found:
    """One case found: what a results list shows; ``given_name``/``family_name`` only where the role may
    see them (None otherwise: show the pseudonymous ``pupil_id``).
    """

    case_id: str
    pathway: str
    definition_version: int
    profile: str
    stage: str
    school_brin: str
    school_name: str | None
    pupil_id: str
    given_name: str | None
    family_name: str | None


def parse_query(text: str) -> str:
    """The query, trimmed with single spaces; InvalidCommand (a Dutch message) if it is too short, too long
    or holds characters a name, id or school name does not.
    """
    query = " ".join(text.split())
    if len(query) < MIN_LENGTH:
        raise InvalidCommand([(f"Vul minstens {MIN_LENGTH} tekens in om te zoeken: een naam, leerling-id, "
                              "dossiernummer of schoolnaam.")])
    if len(query) > MAX_LENGTH:
        raise InvalidCommand([f"Zoek met hoogstens {MAX_LENGTH} tekens (u gaf er {len(query)})."])
    if not _ALLOWED.fullmatch(query):
        raise InvalidCommand([("Gebruik bij het zoeken alleen letters, cijfers, spaties, punten, apostroffen, "
                              "streepjes en liggende streepjes.")])
    return query


def exact_case_id(query: str) -> str | None:
    """The query as a full dossier number (a UUID in lower case), if it is one."""
    lowered = query.lower()
    return lowered if _CASE_ID.fullmatch(lowered) else None


def names_visible(principal: Principal) -> ColumnElement[bool]:
    """A condition on ``pupils`` (of a case in scope) for when the principal may see the pupil's name: the rule of
    :func:`domain.access.sees_name_in_case` as SQL (a test holds the two to the same answers).
    """
    if principal.role in SCHOOL_ROLES:
        return pupils.c.school_brin.in_(principal.scopes)
    if principal.role == SWV_COORDINATOR:
        return true()
    if principal.role == LEERPLICHT:
        return pupils.c.residence_cbs.in_(principal.scopes)
    return false()


def may_see_name(principal: Principal, pupil_school: str | None, residence_cbs: str | None) -> bool:
    """For one pupil of a case in scope: :func:`domain.access.sees_name_in_case` (:func:`names_visible` is that
    rule as SQL).
    """
    return sees_name_in_case(principal, pupil_school, residence_cbs)


def find_cases(conn: Connection, principal: Principal, in_scope: ColumnElement[bool], query: str,
               limit: int = MAX_RESULTS) -> list[Found]:
    """The cases within ``in_scope`` (a condition on ``cases``) that ``query`` (parsed) finds, newest
    change first, at most ``limit``.
    """
    visible = names_visible(principal)
    rows = conn.execute(
        select(cases.c.id, cases.c.pathway, cases.c.definition_version, cases.c.profile, cases.c.stage,
               cases.c.school_brin, schools.c.name.label("school_name"), cases.c.pupil_id,
               pupils.c.school_brin.label("pupil_school"), pupils.c.residence_cbs,
               pupil_identities.c.given_name, pupil_identities.c.family_name)
        .select_from(cases.outerjoin(pupils, pupils.c.id == cases.c.pupil_id)
                     .outerjoin(pupil_identities, pupil_identities.c.pupil_id == cases.c.pupil_id)
                     .outerjoin(schools, schools.c.brin == cases.c.school_brin))
        .where(in_scope, or_(*_matches(query), and_(visible, *_name_words(query))))
        .order_by(cases.c.updated_at.desc(), cases.c.id).limit(limit)).all()
    return [_found(principal, r) for r in rows]


def _matches(query: str) -> list[ColumnElement[bool]]:
    lowered = query.lower()
    found = [cases.c.pupil_id == query, cases.c.school_brin == query.upper(),
             func.lower(schools.c.name).contains(lowered, autoescape=True)]
    if _CASE_PREFIX.fullmatch(lowered):
        found.append(cases.c.id.startswith(lowered, autoescape=True))
    return found


def _name_words(query: str) -> list[ColumnElement[bool]]:
    """Every word of the query in the given or the family name (so "Sam Jansen" and "jansen" both find)."""
    return [or_(func.lower(pupil_identities.c.given_name).contains(word, autoescape=True),
                func.lower(pupil_identities.c.family_name).contains(word, autoescape=True))
            for word in query.lower().split()]


def _found(principal: Principal, r: Row[Any]) -> Found:
    shown = r.given_name is not None and may_see_name(principal, r.pupil_school, r.residence_cbs)
    return Found(r.id, r.pathway, r.definition_version, r.profile, r.stage, r.school_brin, r.school_name,
                 r.pupil_id, r.given_name if shown else None, r.family_name if shown else None)


def visible_name(conn: Connection, principal: Principal, pupil_id: str) -> str | None:
    """The pupil's name for the header of a case page the principal already may read; None where the role
    may not see it or no identity is registered.
    """
    row = conn.execute(
        select(pupils.c.school_brin, pupils.c.residence_cbs, pupil_identities.c.given_name,
               pupil_identities.c.family_name)
        .select_from(pupils.join(pupil_identities, pupil_identities.c.pupil_id == pupils.c.id))
        .where(pupils.c.id == pupil_id)).one_or_none()
    if row is None or not may_see_name(principal, row.school_brin, row.residence_cbs):
        return None
    return f"{row.given_name} {row.family_name}"


def school_names(conn: Connection, brins: set[str]) -> dict[str, str]:
    """The names of the schools by BRIN (those the reference data knows)."""
    if not brins:
        return {}
    return {r.brin: r.name for r in conn.execute(select(schools.c.brin, schools.c.name)
                                                  .where(schools.c.brin.in_(sorted(brins))))}


@dataclass(frozen=True)
class Finder:
    """The search box and the names beside pseudonyms and codes, over the service's engine and registry."""

    engine: Engine
    registry: PathwayRegistry

    def find(self, principal: Principal, text: str, now: datetime) -> list[Found]:
        """The cases in scope that ``text`` finds (InvalidCommand for a query out of bounds, not audited:
        nothing was read). Audited without the query text: resource ``zoeken:<number found>``.
        """
        query = parse_query(text)
        with self.engine.connect() as conn:
            found = find_cases(conn, principal, scope.case_scope(principal, self.registry), query)
        audit.append(self.engine, at=now, user_id=principal.user_id, role=principal.role, action="case.find",
                     resource=f"zoeken:{len(found)}", purpose=PURPOSE, outcome="ok")
        return found

    def pupil_name(self, principal: Principal, pupil_id: str) -> str | None:
        """The pupil's name for a case page the principal has just read (that read is audited), where the
        role may see it.
        """
        with self.engine.connect() as conn:
            return visible_name(conn, principal, pupil_id)

    def school_names(self, brins: set[str]) -> dict[str, str]:
        """School names by BRIN, to show beside the codes."""
        with self.engine.connect() as conn:
            return school_names(conn, brins)
