"""Who may see which case: the principal behind an API token and the scope rules (DOMAIN.md §1, §7).

- a zorgcoördinator covers one or more schools (BRIN codes): the cases of those schools;
- an SWV coordinator or BTO member covers an SWV (its code, e.g. VO3102): every case whose profile
  lists that code in ``swv_codes``. The standard profile belongs to no SWV; its cases are covered
  by the pseudo-code ``standaard`` (a region without a profile of its own runs on it);
- leerplicht (CBS codes of municipalities), deskundige and admin see no case (yet): an admin manages
  accounts and reads the audit log.

A case out of scope is indistinguishable from an unknown one (404), so nothing leaks its existence.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from domain.case import Actor
from domain.context import DEFAULT_PROFILE, Profile
from domain.errors import OutOfScope
from domain.roles import BTO, SWV_COORDINATOR, ZORGCOORDINATOR

SCHOOL_ROLES = frozenset({ZORGCOORDINATOR})
SWV_ROLES = frozenset({SWV_COORDINATOR, BTO})
CASE_ROLES = SCHOOL_ROLES | SWV_ROLES
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


def sees_case(principal: Principal, school_brin: str, profile: Profile) -> bool:
    """Whether the case (at ``school_brin``, under ``profile``) is in the principal's scope."""
    if principal.role in SCHOOL_ROLES:
        return school_brin in principal.scopes
    if principal.role in SWV_ROLES:
        return not swv_codes_of(profile).isdisjoint(principal.scopes)
    return False


def check_may_open(principal: Principal, school_brin: str, profile: Profile) -> None:
    """Raise OutOfScope unless the principal may open a case at ``school_brin`` under ``profile``."""
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
