"""Every version of every pathway definition, loaded from the JSON files beside this module.

A case runs under the version it was opened with; new cases get the latest version.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources

from domain.definition import PathwayDefinition
from domain.durations import Duration
from domain.errors import UnknownPathway
from domain.loading import load_definition
from domain.roles import ROLES
from domain.rules import EFFECTS, GUARDS


@dataclass(frozen=True)
class PathwayRegistry:
    """Definitions by (pathway, version)."""

    definitions: Mapping[tuple[str, int], PathwayDefinition] = field(default_factory=dict)

    @classmethod
    def builtin(cls, durations: Mapping[str, Mapping[str, Duration]] | None = None) -> PathwayRegistry:
        """The shipped definitions, with timer durations overridden per pathway where given."""
        found = {}
        for entry in resources.files("domain.pathways").iterdir():
            if entry.name.endswith(".json"):
                definition = parse(entry.read_text(encoding="utf-8"))
                found[(definition.pathway, definition.version)] = definition
        return cls(found).with_durations(durations or {})

    def with_durations(self, durations: Mapping[str, Mapping[str, Duration]]) -> PathwayRegistry:
        """A registry whose definitions use these timer durations (``{pathway: {timer: duration}}``)."""
        unknown = sorted(set(durations) - {p for p, _ in self.definitions})
        if unknown:
            msg = f"no pathway(s) {unknown} to set durations for"
            raise ValueError(msg)
        return PathwayRegistry({key: d.with_durations(durations.get(key[0], {}))
                                for key, d in self.definitions.items()})

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
