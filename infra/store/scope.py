"""The scope rules of :mod:`domain.access` in SQL: which rows of ``cases`` a principal sees.

Lists, counts, searches, monitoring and the event stream filter with :func:`case_scope`; a single
case is checked with :func:`domain.access.sees_case` on its :func:`reach` — the two say the same
(the access matrix in tests/api/test_access_matrix.py holds them to it).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, false, select

from domain.access import (
    ADVICE_PATHWAYS,
    LEERPLICHT_PATHWAYS,
    SCHOOL_ROLES,
    SWV_ROLES,
    CaseReach,
    Principal,
    PupilOfRecord,
    SchoolOfRecord,
    needs_advisers,
    needs_residence,
    profile_of_swv,
    swv_codes_of,
)
from domain.case import Case
from domain.registry import PathwayRegistry
from domain.roles import DESKUNDIGE, LEERPLICHT
from infra.store.tables import advice_requests, cases, pupils, schools


def profiles_of(principal: Principal, registry: PathwayRegistry) -> list[str]:
    """The profiles whose cases an SWV coordinator or BTO member sees (their SWV codes)."""
    return sorted(code for code, profile in registry.profiles.items()
                  if not swv_codes_of(profile).isdisjoint(principal.scopes))


def case_scope(principal: Principal, registry: PathwayRegistry) -> ColumnElement[bool]:
    """A condition on ``cases`` that holds exactly for the cases in the principal's scope."""
    if principal.role in SCHOOL_ROLES:
        return cases.c.school_brin.in_(principal.scopes)
    if principal.role in SWV_ROLES:
        return cases.c.profile.in_(profiles_of(principal, registry))
    if principal.role == LEERPLICHT:
        residents = select(pupils.c.id).where(pupils.c.residence_cbs.in_(principal.scopes))
        return cases.c.pathway.in_(LEERPLICHT_PATHWAYS) & cases.c.pupil_id.in_(residents)
    if principal.role == DESKUNDIGE:
        advised = select(advice_requests.c.case_id).where(advice_requests.c.deskundige_id == principal.user_id)
        return cases.c.pathway.in_(ADVICE_PATHWAYS) & cases.c.id.in_(advised)
    return false()


def pupil_scope(principal: Principal, registry: PathwayRegistry) -> ColumnElement[bool]:
    """A condition on ``pupils`` for the registered pupils the principal sees: those of their schools
    (zorgcoördinator), of the schools in their SWV (coordinator, BTO), living in their municipalities
    (leerplicht), and a pupil registered at no school with a trajectory in their scope.

    A trajectory in scope does not open the registration of a pupil registered at a school outside it:
    a case is opened only for its pupil's own school (:func:`domain.access.check_pupil_of_school`), but a
    case may still run elsewhere than the registration — opened before that rule, moved by a transfer
    (which moves trajectories, not the registration), racing a registration, or after an admin moved the
    pupil — and it must not show that school's pupil (school, municipality, birth year) to its reader.
    """
    with_case = pupils.c.school_brin.is_(None) & pupils.c.id.in_(
        select(cases.c.pupil_id).where(case_scope(principal, registry)))
    if principal.role in SCHOOL_ROLES:
        return pupils.c.school_brin.in_(principal.scopes) | with_case
    if principal.role in SWV_ROLES:
        in_swv = select(schools.c.brin).where(schools.c.swv_code.in_(principal.scopes))
        return pupils.c.school_brin.in_(in_swv) | with_case
    if principal.role == LEERPLICHT:
        return pupils.c.residence_cbs.in_(principal.scopes)
    return false()


def reach(conn: Connection, principal: Principal, case: Case, registry: PathwayRegistry) -> CaseReach:
    """What decides whether ``principal`` sees ``case``; reads the pupil's residence or the case's
    advisers only for the roles whose scope depends on them.
    """
    residence = advisers = None
    if needs_residence(principal):
        residence = residence_of(conn, case.pupil_id)
    if needs_advisers(principal):
        advisers = frozenset(conn.execute(
            select(advice_requests.c.deskundige_id).where(advice_requests.c.case_id == case.id)).scalars())
    return CaseReach(case.school_brin, registry.profile(case.profile), case.pathway, residence,
                     advisers or frozenset())


def residence_of(conn: Connection, pupil_id: str) -> str | None:
    """The CBS code of the municipality the pupil lives in, if the pupil is registered."""
    found: str | None = conn.execute(
        select(pupils.c.residence_cbs).where(pupils.c.id == pupil_id)).scalar_one_or_none()
    return found


def pupil_of_record(conn: Connection, pupil_id: str, registry: PathwayRegistry) -> PupilOfRecord:
    """What is on record about ``pupil_id`` when a case is opened for it: the registered pupil's school and
    its SWV, or, for an id no registered pupil has, where the trajectories naming it run.
    """
    registered = conn.execute(
        select(pupils.c.school_brin, schools.c.swv_code)
        .select_from(pupils.outerjoin(schools, schools.c.brin == pupils.c.school_brin))
        .where(pupils.c.id == pupil_id)).one_or_none()
    if registered is not None:
        return PupilOfRecord(pupil_id, registered=True, school_brin=registered.school_brin,
                             school_swv=registered.swv_code)
    named = conn.execute(select(cases.c.school_brin, cases.c.profile, cases.c.pathway)
                         .where(cases.c.pupil_id == pupil_id).distinct()).all()
    return PupilOfRecord(pupil_id, trajectories=tuple(
        CaseReach(r.school_brin, registry.profile(r.profile), r.pathway) for r in named))


def school_of(conn: Connection, school_brin: str, registry: PathwayRegistry) -> SchoolOfRecord | None:
    """The school as the reference data knows it (its SWV and that SWV's profile); None if it is not in it."""
    swv: str | None = conn.execute(
        select(schools.c.swv_code).where(schools.c.brin == school_brin)).scalar_one_or_none()
    if swv is None:
        return None
    return SchoolOfRecord(school_brin, swv, profile_of_swv(registry.profiles, swv))
