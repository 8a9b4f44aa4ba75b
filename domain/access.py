"""Who may see which case: the principal behind an API token and the scope rules (DOMAIN.md §1, §7).

- a zorgcoördinator covers one or more schools (BRIN codes): the cases of those schools;
- an SWV coordinator or BTO member covers an SWV (its code, e.g. VO3102): every case whose profile
  lists that code in ``swv_codes``. The standard profile belongs to no SWV; its cases are covered
  by the pseudo-code ``standaard`` (a region without a profile of its own runs on it);
- leerplicht covers municipalities (CBS codes): the thuiszitter trajectories of pupils who live
  there, never their OPP, TLV or other trajectories (DOMAIN.md §7: the thuiszitter facts, not the OPP);
- a deskundige sees only the TLV requests they were asked to advise on;
- an admin sees no case: they manage accounts and read the audit log.

A case out of scope is indistinguishable from an unknown one (404), so nothing leaks its existence.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from domain.case import Actor
from domain.context import DEFAULT_PROFILE, Profile
from domain.errors import InvalidCommand, OutOfScope, RoleNotAllowed
from domain.roles import BTO, DESKUNDIGE, LEERPLICHT, SWV_COORDINATOR, ZORGCOORDINATOR

SCHOOL_ROLES = frozenset({ZORGCOORDINATOR})
SWV_ROLES = frozenset({SWV_COORDINATOR, BTO})
CASE_ROLES = SCHOOL_ROLES | SWV_ROLES
LEERPLICHT_PATHWAYS = frozenset({"thuiszitter"})
"""The trajectories leerplicht sees, of pupils living in their municipalities."""
ADVICE_PATHWAYS = frozenset({"tlv"})
"""The trajectories a deskundige can be asked to advise on."""
STANDARD_SWV = DEFAULT_PROFILE
"""The scope that covers cases under the standard profile (which names no SWV)."""


@dataclass(frozen=True)
class Principal:
    """The authenticated user: their id (pseudonymous), role and scopes."""

    user_id: str
    role: str
    scopes: tuple[str, ...]

    @property
    def actor(self) -> Actor:
        """The principal as the engine records who acted."""
        return Actor(self.role, self.user_id)


def swv_codes_of(profile: Profile) -> frozenset[str]:
    """The SWV codes whose coordinators see cases under ``profile``."""
    codes: Collection[str] = profile.setting("swv_codes", ())
    return frozenset(codes) | ({STANDARD_SWV} if profile.code == DEFAULT_PROFILE else frozenset())


@dataclass(frozen=True)
class SchoolOfRecord:
    """A school as the reference data knows it: its BRIN, its SWV and the profile that SWV runs on."""

    brin: str
    swv_code: str
    profile: str


def profile_of_swv(profiles: Mapping[str, Profile], swv_code: str) -> str:
    """The profile an SWV runs on: the one listing its code in ``swv_codes``, else the standard profile."""
    return next((code for code, profile in sorted(profiles.items()) if swv_code in swv_codes_of(profile)),
                DEFAULT_PROFILE)


@dataclass(frozen=True)
class CaseReach:
    """Where a case is, as far as scope goes: its school, profile and pathway, where its pupil lives
    (when known) and the deskundigen asked to advise on it. For a case about to be opened, ``school``
    is the school as the reference data knows it (None: not in it) and ``pupil`` what is on record about
    its pupil id (None: nothing, as for an id nobody uses yet).
    """

    school_brin: str
    profile: Profile
    pathway: str
    residence_cbs: str | None = None
    advisers: frozenset[str] = frozenset()
    school: SchoolOfRecord | None = None
    pupil: PupilOfRecord | None = None


@dataclass(frozen=True)
class PupilOfRecord:
    """What is on record about the pupil id a case is about to be opened for: whether a pupil with that id
    is registered, at which school (``school_brin``, None: at none) of which SWV (``school_swv``), and,
    for an id no registered pupil has, the reaches of the trajectories that already name it.
    """

    pupil_id: str
    registered: bool = False
    school_brin: str | None = None
    school_swv: str | None = None
    trajectories: tuple[CaseReach, ...] = ()


def needs_residence(principal: Principal) -> bool:
    """Whether deciding this principal's scope needs the pupil's municipality."""
    return principal.role == LEERPLICHT


def needs_advisers(principal: Principal) -> bool:
    """Whether deciding this principal's scope needs the case's advice requests."""
    return principal.role == DESKUNDIGE


def sees_case(principal: Principal, reach: CaseReach) -> bool:
    """Whether the case is in the principal's scope."""
    if principal.role in SCHOOL_ROLES:
        return reach.school_brin in principal.scopes
    if principal.role in SWV_ROLES:
        return not swv_codes_of(reach.profile).isdisjoint(principal.scopes)
    if principal.role == LEERPLICHT:
        return reach.pathway in LEERPLICHT_PATHWAYS and reach.residence_cbs in principal.scopes
    if principal.role == DESKUNDIGE:
        return reach.pathway in ADVICE_PATHWAYS and principal.user_id in reach.advisers
    return False


def check_may_open(principal: Principal, reach: CaseReach) -> None:
    """Raise OutOfScope unless the principal may open this case (its school, profile, pathway), and
    InvalidCommand unless the case runs under its school's profile (:func:`check_school_profile`) and
    belongs to its pupil's school (:func:`check_pupil_of_school`).
    """
    if principal.role == LEERPLICHT:
        _check_leerplicht_may_open(principal, reach)
    else:
        _check_may_open_case(principal, reach)
    check_school_profile(reach)
    check_pupil_of_school(principal, reach)


NOT_OPENABLE = ("Voor leerling-id {pupil_id} kunt u geen dossier openen: dit id is in gebruik buiten de scholen "
                "die onder uw account vallen. Gebruik het leerling-id dat uw school aan deze leerling gaf, of "
                "vraag de beheerder.")
"""The one refusal for a pupil id in use outside what the opener sees (see :func:`check_pupil_of_school`)."""


def check_pupil_of_school(principal: Principal, reach: CaseReach) -> None:
    """InvalidCommand unless the case's pupil is one of its school's (or an id nobody else uses).

    A trajectory widens who reads its pupil: the zorgcoördinator of the case's school, the coordinators
    of its profile. So a case is the business of the pupil's own school, and opening one must not reach
    into another school's pupil (the same reasoning as the import's, see
    :func:`infra.reference.resources.import_csv_in`):

    - A registered pupil's case is opened for the school they are registered at, by anyone whose role
      covers that school. This holds for everyone alike, also for an SWV coordinator and for two schools
      of one zorgcoördinator: a case at school S of a pupil registered at T would put T's pupil in front
      of S's zorgcoördinator, who has no business with them, and scatter one pupil's trajectories over
      schools. A pupil who changes schools is moved by a new registration (the import) and their
      trajectories by the transfer (``POST /pupils/{id}/transfer``), which needs every one of them in
      sight. Whoever sees the registration (the zorgcoördinator of T, the coordinator of T's SWV, the
      leerplicht where the pupil lives) is told where the pupil is registered.
    - Anyone else is refused with :data:`NOT_OPENABLE`, and so is an id no registered pupil has but a
      trajectory outside the opener's sight names: both read word for word alike, so the refusal does
      not say that a pupil with that id is registered, where, or which school's trajectory uses it.
      That *some* use exists is necessarily observable (a fresh id must stay usable); pupil ids are
      pseudonyms the schools issue, so the refusal confirms no more than that an id is taken.
    - A pupil registered at no school is only seen by the leerplicht of their municipality, who may then
      open a thuiszitter trajectory for any school; for everyone else such an id is in use elsewhere.
    """
    pupil = reach.pupil
    if pupil is None:
        return
    if not pupil.registered:
        if not all(sees_case(principal, trajectory) for trajectory in pupil.trajectories):
            raise InvalidCommand([NOT_OPENABLE.format(pupil_id=pupil.pupil_id)])
        return
    if not _sees_registration(principal, pupil, reach.residence_cbs):
        raise InvalidCommand([NOT_OPENABLE.format(pupil_id=pupil.pupil_id)])
    if pupil.school_brin not in (None, reach.school_brin):
        elsewhere = (f"Leerling {pupil.pupil_id} staat ingeschreven op school {pupil.school_brin}, niet op school "
                     f"{reach.school_brin}: open het dossier voor school {pupil.school_brin}, of laat eerst de "
                     "inschrijving van de leerling wijzigen.")
        raise InvalidCommand([elsewhere])


def _sees_registration(principal: Principal, pupil: PupilOfRecord, residence_cbs: str | None) -> bool:
    """Whether the principal reads the pupil's registration (as :func:`infra.store.scope.pupil_scope` decides)."""
    if principal.role in SCHOOL_ROLES:
        return pupil.school_brin in principal.scopes
    if principal.role in SWV_ROLES:
        return pupil.school_swv in principal.scopes
    return principal.role == LEERPLICHT and residence_cbs in principal.scopes


def check_school_profile(reach: CaseReach) -> None:
    """InvalidCommand unless the case's profile is its school's: the profile of the school's SWV in the
    reference data, or the standard profile for a school not (yet) in it. A case's profile decides which
    SWV's coordinators see it, so another profile would move the case, and its pupil, into another SWV.
    """
    school, profile = reach.school, reach.profile.code
    if school is None and profile != DEFAULT_PROFILE:
        unknown = (f"School {reach.school_brin} staat niet in de referentiegegevens en hoort dus bij geen "
                   f"samenwerkingsverband: een dossier voor deze school loopt onder profiel {DEFAULT_PROFILE}, niet "
                   f"onder profiel {profile}. Laat de beheerder de school eerst importeren (met haar SWV).")
        raise InvalidCommand([unknown])
    if school is not None and school.profile != profile:
        mismatch = (f"School {school.brin} hoort bij SWV {school.swv_code} (profiel {school.profile}), niet bij "
                    f"profiel {profile}.")
        raise InvalidCommand([mismatch])


def _check_may_open_case(principal: Principal, reach: CaseReach) -> None:
    school_brin, profile = reach.school_brin, reach.profile
    if principal.role not in CASE_ROLES:
        raise OutOfScope(f"Role {principal.role} has no access to cases",
                         f"Met de rol '{principal.role}' hebt u geen toegang tot dossiers.")
    if principal.role in SCHOOL_ROLES and school_brin not in principal.scopes:
        raise OutOfScope(f"School {school_brin} is not in the user's scope",
                         f"U kunt geen dossier openen voor school {school_brin}: die school valt niet onder uw "
                         f"account (u hebt: {', '.join(principal.scopes)}).")
    if principal.role in SWV_ROLES and swv_codes_of(profile).isdisjoint(principal.scopes):
        raise OutOfScope(f"Profile {profile.code} is not in the user's SWV",
                         f"U kunt geen dossier openen onder profiel '{profile.code}': dat hoort niet bij uw "
                         f"samenwerkingsverband (u hebt: {', '.join(principal.scopes)}).")
    school = reach.school
    if principal.role in SWV_ROLES and school is not None and school.swv_code not in principal.scopes:
        raise OutOfScope(f"School {school.brin} belongs to SWV {school.swv_code}, not the user's",
                         f"U kunt geen dossier openen voor school {school.brin}: die hoort bij SWV "
                         f"{school.swv_code}, niet bij uw samenwerkingsverband (u hebt: "
                         f"{', '.join(principal.scopes)}).")


def _check_leerplicht_may_open(principal: Principal, reach: CaseReach) -> None:
    if reach.pathway not in LEERPLICHT_PATHWAYS:
        raise OutOfScope(f"Leerplicht cannot open a {reach.pathway} case",
                         "Als leerplichtambtenaar kunt u alleen een thuiszittertraject openen.")
    if reach.residence_cbs not in principal.scopes:
        raise OutOfScope("The pupil does not live in the user's municipalities",
                         "Deze leerling woont niet in een gemeente die onder uw account valt (of de woongemeente "
                         "is niet bekend); meld de thuiszitter bij de leerplicht van de woongemeente.")


MONITOR_ROLES = SWV_ROLES | SCHOOL_ROLES
"""Who reads the monitoring (stalled pathways, indicators): over their own scope."""
ADVICE_REQUESTERS = SWV_ROLES | SCHOOL_ROLES
"""Who may ask a deskundige to advise on a TLV request in their scope."""


def check_monitor_reader(role: str) -> None:
    """RoleNotAllowed unless ``role`` reads the monitoring."""
    if role not in MONITOR_ROLES:
        raise RoleNotAllowed("lees_monitoring", role, sorted(MONITOR_ROLES))


def sees_identity(principal: Principal, school_brin: str | None, residence_cbs: str | None) -> bool:
    """Whether the principal is shown who a registered pupil is (names, BSN, birth date) in the pupil register:
    the zorgcoördinator of the pupil's school and the leerplicht of their municipality; coordinators read the
    register pseudonymously (see :func:`sees_name_in_case` for a case).
    """
    if principal.role in SCHOOL_ROLES:
        return school_brin in principal.scopes
    return principal.role == LEERPLICHT and residence_cbs in principal.scopes


def sees_name_in_case(principal: Principal, school_brin: str | None, residence_cbs: str | None) -> bool:
    """Whether the principal is shown the pupil's name with a case it may read (search results, the dossier's
    header): those of :func:`sees_identity`, and the SWV coordinator, who acts on its SWV's cases (calls the
    school about this child, puts the case to the commissie) and so needs to know whom a case is about (issue 16:
    "the SWV for its cases"). Whether the case is in the principal's scope is decided before (:func:`sees_case`).
    """
    return principal.role == SWV_COORDINATOR or sees_identity(principal, school_brin, residence_cbs)


NOTE_WRITERS = CASE_ROLES
"""Who writes notes on a case they see: the school's zorgcoördinator and the SWV's coordinators and BTO."""
SCHOOL_ASKERS = frozenset({SWV_COORDINATOR})
"""Who asks the case's school a question with a note ('vraag de school')."""


def may_note(role: str, *, ask_school: bool = False) -> bool:
    """Whether ``role`` may write a note on a case it sees (:data:`NOTE_WRITERS`) and, with ``ask_school``, put it
    to the school's zorgcoördinator as a question (:data:`SCHOOL_ASKERS`). Everyone who reads the case reads
    its notes; leerplicht and a deskundige have their own ways to act, an admin sees no case. Whether the case
    is in scope is decided first (:func:`sees_case`: out of scope reads as unknown).
    """
    return role in NOTE_WRITERS and (not ask_school or role in SCHOOL_ASKERS)


def check_may_note(role: str, *, ask_school: bool = False) -> None:
    """RoleNotAllowed unless :func:`may_note`."""
    if role not in NOTE_WRITERS:
        raise RoleNotAllowed("schrijf_notitie", role, sorted(NOTE_WRITERS))
    if not may_note(role, ask_school=ask_school):
        raise RoleNotAllowed("vraag_school", role, sorted(SCHOOL_ASKERS))


def check_stream_reader(role: str) -> None:
    """RoleNotAllowed unless ``role`` sees cases at all (an admin reads the audit log, not case events)."""
    if role not in {*CASE_ROLES, LEERPLICHT, DESKUNDIGE}:
        raise RoleNotAllowed("volg_gebeurtenissen", role, sorted({*CASE_ROLES, LEERPLICHT, DESKUNDIGE}))
