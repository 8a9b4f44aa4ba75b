"""What a guard may look at beyond the case itself: the SWV's profile and the pupil's other
trajectories (an OPP running while a TLV is requested).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from domain.durations import Duration

if TYPE_CHECKING:
    from domain.case import Case
    from domain.definition import PathwayDefinition
    from domain.ports import UnitOfWork
    from domain.registry import PathwayRegistry
    from domain.verzuim.calendar import SchoolCalendar

DEFAULT_PROFILE = "standaard"


@dataclass(frozen=True)
class Profile:
    """An SWV's regional choices: timer durations per pathway, named settings (cascade levels,
    which levels must precede a TLV, the TLV's minimum duration, the PO-VO dates, ...) and the roles that
    issue a command where the region differs from the definition.
    """

    code: str
    name: str
    durations: Mapping[str, Mapping[str, Duration]] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    roles: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    """Who may issue a command where the region differs from the definition: ``{pathway: {command: roles}}``
    (e.g. who decides a TLV: the BTO, the SWV's director advised by a commissie, or a loket; seed 004 §4.3)."""

    def setting(self, key: str, default: Any = None) -> Any:
        """A named setting of this profile."""
        return self.settings.get(key, default)


STANDAARD = Profile(DEFAULT_PROFILE, "Wettelijke standaard")


class Context:
    """The profile, the instant the command happened (its ``occurred_at``, else when it is handled; None
    when the caller gave none), when it is recorded (default: that instant) and, loaded only when a guard
    asks, the pupil's other trajectories.
    """

    def __init__(self, profile: Profile = STANDAARD, siblings: Callable[[], list[Case]] | None = None,
                 instant: datetime | None = None, recorded: datetime | None = None) -> None:
        self.profile = profile
        self._load = siblings or list
        self.instant = instant
        self.recorded = recorded or instant

    @cached_property
    def calendar(self) -> SchoolCalendar:
        """The school calendar terms in school weeks count on: the default of the profile's region
        (setting ``schoolkalender_regio``: noord, midden or zuid; default midden).
        """
        from domain.verzuim.calendar import default_calendar  # noqa: PLC0415 - loaded only when a term needs it

        return default_calendar(str(self.profile.setting("schoolkalender_regio", "midden")))

    @cached_property
    def siblings(self) -> list[Case]:
        """The pupil's other trajectories, oldest first."""
        return self._load()

    def trajectory(self, pathway: str, stages: set[str] | None = None) -> Case | None:
        """The pupil's most recent other trajectory on ``pathway`` (optionally: in one of ``stages``)."""
        found = [c for c in self.siblings if c.pathway == pathway and (stages is None or c.stage in stages)]
        return found[-1] if found else None


def running(uow: UnitOfWork, registry: PathwayRegistry, case: Case, instant: datetime, now: datetime,
            ) -> tuple[PathwayDefinition, Context]:
    """The definition a case runs under (its version, its profile) and what its guards may see of a
    command that happened at ``instant``: the pupil's other trajectories are read only when a guard asks.
    """
    definition = registry.for_profile(case.pathway, case.definition_version, case.profile)
    siblings = lambda: [c for c in uow.trajectories_of(case.pupil_id) if c.id != case.id]  # noqa: E731
    return definition, Context(registry.profile(case.profile), siblings, instant, now)
