"""Every version of every pathway definition, loaded from the JSON files beside this module.

A case runs under the version it was opened with; new cases get the latest version.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources

from domain.context import DEFAULT_PROFILE, STANDAARD, Profile
from domain.definition import PathwayDefinition
from domain.durations import Duration
from domain.errors import UnknownPathway, UnknownProfile
from domain.loading import load_definition
from domain.missed_deadlines import MissedDeadlines
from domain.reactions import Reaction, check_reactions, parse_reactions
from domain.roles import ROLES, SYSTEEM
from domain.rules import EFFECTS, GUARDS
from domain.stalled import stage_norms

REACTIONS = "reactions.json"
"""The file beside the pathway definitions that declares the hand-offs between them."""


@dataclass(frozen=True)
class PathwayRegistry:
    """Definitions by (pathway, version), and the SWV profiles whose durations they run with."""

    definitions: Mapping[tuple[str, int], PathwayDefinition] = field(default_factory=dict)
    profiles: Mapping[str, Profile] = field(default_factory=lambda: {DEFAULT_PROFILE: STANDAARD})
    reactions: tuple[Reaction, ...] = ()
    """The declared hand-offs between pathways (``reactions.json``), checked against the definitions."""
    _profiled: dict[tuple[str, int, str], PathwayDefinition] = field(default_factory=dict, compare=False,
                                                                      repr=False)

    @classmethod
    def builtin(
        cls, durations: Mapping[str, Mapping[str, Duration]] | None = None,
        profiles: Mapping[str, Profile] | None = None,
    ) -> PathwayRegistry:
        """The shipped definitions, with timer durations overridden per pathway where given, and the
        profiles cases may run under (default: only the law's standard).
        """
        found, folder = {}, resources.files("domain.pathways")
        for entry in folder.iterdir():
            if entry.name.endswith(".json") and entry.name != REACTIONS:
                definition = parse(entry.read_text(encoding="utf-8"))
                found[(definition.pathway, definition.version)] = definition
        reactions = parse_reactions(folder.joinpath(REACTIONS).read_text(encoding="utf-8"))
        check_reactions(reactions, {p: found[(p, v)] for p, v in found if v == max(w for q, w in found if q == p)})
        registry = cls(found, dict(profiles or {DEFAULT_PROFILE: STANDAARD}), reactions).with_durations(
            durations or {})
        registry.check_profiles()
        return registry

    def check_profiles(self) -> None:
        """Every profile's durations name a pathway and timer that exist, and its stage norms a
        pathway and a stage that is not final; raise ValueError if not.
        """
        for profile in self.profiles.values():
            for pathway, timers in profile.durations.items():
                try:
                    self.get(pathway).with_durations(timers)
                except (ValueError, UnknownPathway) as error:
                    msg = f"profile {profile.code!r}: {error}"
                    raise ValueError(msg) from error
            self._check_norms(profile)
            self._check_roles(profile)

    def _check_norms(self, profile: Profile) -> None:
        """A norm names a stage of a shipped pathway that a case can get stuck in (not a final one)."""
        for pathway, stages in stage_norms(profile).items():
            if not any(p == pathway for p, _ in self.definitions):
                msg = f"profile {profile.code!r}: norms name pathway {pathway!r}, which does not exist"
                raise ValueError(msg)
            known = self.get(pathway).stages
            for stage in stages:
                if stage not in known:
                    msg = (f"profile {profile.code!r}: norms: pathway {pathway!r} has no stage {stage!r}; "
                           f"its stages: {', '.join(known)}")
                    raise ValueError(msg)
                if known[stage].final:
                    msg = (f"profile {profile.code!r}: norms: stage {stage!r} of pathway {pathway!r} is final; "
                           "a closed case never stalls, so it takes no norm")
                    raise ValueError(msg)

    def profile(self, code: str) -> Profile:
        """The profile named ``code``; raise UnknownProfile."""
        if code not in self.profiles:
            raise UnknownProfile(code, sorted(self.profiles))
        return self.profiles[code]

    def for_profile(self, pathway: str, version: int | None, profile: str) -> PathwayDefinition:
        """The definition as it runs in ``profile``: that SWV's timer durations and roles applied."""
        base = self.get(pathway, version)
        key = (base.pathway, base.version, profile)
        if key not in self._profiled:
            chosen = self.profile(profile)
            self._profiled[key] = base.with_durations(chosen.durations.get(pathway, {})).with_roles(
                chosen.roles.get(pathway, {}))
        return self._profiled[key]

    def _check_roles(self, profile: Profile) -> None:
        """A profile's roles name commands of a shipped pathway, and roles a person may have."""
        for pathway, commands in profile.roles.items():
            try:
                self.get(pathway).with_roles(commands)
            except (ValueError, UnknownPathway) as error:
                msg = f"profile {profile.code!r}: roles: {error}"
                raise ValueError(msg) from error
            for command, roles in commands.items():
                if not roles or not roles <= ROLES - {SYSTEEM}:
                    msg = (f"profile {profile.code!r}: roles: {pathway}.{command} names {sorted(roles)}; "
                           f"allowed: {sorted(ROLES - {SYSTEEM})}")
                    raise ValueError(msg)

    def with_durations(self, durations: Mapping[str, Mapping[str, Duration]]) -> PathwayRegistry:
        """A registry whose definitions use these timer durations (``{pathway: {timer: duration}}``)."""
        unknown = sorted(set(durations) - {p for p, _ in self.definitions})
        if unknown:
            msg = f"no pathway(s) {unknown} to set durations for"
            raise ValueError(msg)
        return PathwayRegistry({key: d.with_durations(durations.get(key[0], {}))
                                for key, d in self.definitions.items()}, self.profiles, self.reactions)

    @cached_property
    def missed_deadlines(self) -> MissedDeadlines:
        """Which commands mark a missed deadline, of every version of every pathway: what a store marks the passed
        deadlines that are not handled yet by (:mod:`domain.missed_deadlines`).
        """
        return MissedDeadlines.of(self.definitions.values())

    def get(self, pathway: str, version: int | None = None) -> PathwayDefinition:
        """The definition at ``version`` (default: the latest); raise UnknownPathway."""
        if version is None:
            versions = [v for p, v in self.definitions if p == pathway]
            if not versions:
                raise UnknownPathway(pathway)
            version = max(versions)
        try:
            return self.definitions[(pathway, version)]
        except KeyError:
            raise UnknownPathway(pathway, version) from None

    def latest(self) -> Iterator[PathwayDefinition]:
        """The latest version of each pathway."""
        for name in sorted({p for p, _ in self.definitions}):
            yield self.get(name)


def parse(text: str) -> PathwayDefinition:
    """Parse and validate one definition file's text."""
    return load_definition(json.loads(text), roles=ROLES, guards=GUARDS, effects=EFFECTS)
