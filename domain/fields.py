"""Command fields as data, and the validation that turns a raw payload into a clean one.

Payloads stay JSON-native: dates are ISO strings, so events store and replay as they came.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.window import outside_window

JSON = Any
FIELD_TYPES = frozenset({"text", "int", "date", "bool", "choice"})
MAX_TEXT = 2000
PREFILL = re.compile(r"^(artifact|next):([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")
"""A field's prefill: ``artifact:<artifact>.<key>`` (the value on record) or ``next:<artifact>.<key>``
(the number after it, 1 when none is on record, for an int field)."""


@dataclass(frozen=True)
class FieldSpec:
    """One field a command takes: its type, whether it is required, its Dutch label."""

    name: str
    type: str
    label: str
    required: bool = True
    choices: tuple[str, ...] = ()
    prefill: str | None = None
    """Where a form takes this field's starting value from the case (see ``PREFILL``); a form only
    suggests it, the value posted is checked like any other."""

    @property
    def prefill_artifact(self) -> str | None:
        """The artifact the prefill reads, if any."""
        found = PREFILL.match(self.prefill or "")
        return found.group(2) if found else None

    def prefilled(self, artifacts: Mapping[str, Mapping[str, JSON]]) -> JSON:
        """The starting value of this field for a case with ``artifacts`` on record (None: nothing to offer)."""
        found = PREFILL.match(self.prefill or "")
        if found is None:
            return None
        kind, artifact, key = found.groups()
        value = (artifacts.get(artifact) or {}).get(key)
        if kind == "next":
            current = value if isinstance(value, int) and not isinstance(value, bool) else 0
            return current + 1
        return value

    def clean(self, value: JSON) -> tuple[JSON, str | None]:
        """Return the normalised value, or an error sentence naming the field."""
        checker = _CHECKERS[self.type]
        result = checker(self, value)
        if isinstance(result, _Problem):
            return None, f"Veld '{self.name}' ({self.label}): {result.text}."
        return result, None


@dataclass(frozen=True)
class _Problem:
    text: str


def _text(_: FieldSpec, value: JSON) -> JSON:
    if not isinstance(value, str) or not value.strip():
        return _Problem("moet een niet-lege tekst zijn")
    if len(value) > MAX_TEXT:
        return _Problem(f"is langer dan {MAX_TEXT} tekens")
    return value.strip()


def _int(_: FieldSpec, value: JSON) -> JSON:
    if not isinstance(value, int) or isinstance(value, bool):
        return _Problem("moet een geheel getal zijn")
    return value


def _date(_: FieldSpec, value: JSON) -> JSON:
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            problem = outside_window(day)
            return _Problem(problem) if problem else day.isoformat()
    return _Problem("moet een datum zijn als JJJJ-MM-DD")


def _bool(_: FieldSpec, value: JSON) -> JSON:
    if not isinstance(value, bool):
        return _Problem("moet ja (true) of nee (false) zijn")
    return value


def _choice(spec: FieldSpec, value: JSON) -> JSON:
    if value not in spec.choices:
        return _Problem("moet een van " + ", ".join(spec.choices) + " zijn")
    return value


_CHECKERS = {"text": _text, "int": _int, "date": _date, "bool": _bool, "choice": _choice}


def clean_payload(specs: Mapping[str, FieldSpec], payload: Mapping[str, JSON]) -> tuple[dict[str, JSON], list[str]]:
    """Validate ``payload`` against ``specs``; return the clean payload and every problem found."""
    problems = [f"Onbekend veld '{name}'." for name in sorted(set(payload) - set(specs))]
    clean: dict[str, JSON] = {}
    for name, spec in specs.items():
        if payload.get(name) is None:
            if spec.required:
                problems.append(f"Veld '{name}' ({spec.label}) ontbreekt.")
            continue
        value, problem = spec.clean(payload[name])
        if problem:
            problems.append(problem)
        else:
            clean[name] = value
    return clean, problems


def field_from_data(name: str, data: Mapping[str, JSON]) -> FieldSpec:
    """Read one field spec; raise ValueError naming the problem."""
    kind = data.get("type")
    if kind not in FIELD_TYPES:
        msg = f"field {name!r} has unknown type {kind!r}; use one of {sorted(FIELD_TYPES)}"
        raise ValueError(msg)
    choices = tuple(data.get("choices", ()))
    if kind == "choice" and not choices:
        msg = f"choice field {name!r} lists no choices"
        raise ValueError(msg)
    prefill = data.get("prefill")
    if prefill is not None:
        found = PREFILL.match(prefill) if isinstance(prefill, str) else None
        if found is None:
            msg = f"field {name!r} has prefill {prefill!r}; use 'artifact:<artifact>.<key>' or 'next:<artifact>.<key>'"
            raise ValueError(msg)
        if found.group(1) == "next" and kind != "int":
            msg = f"field {name!r} prefills the next number ({prefill!r}) but is of type {kind!r}, not 'int'"
            raise ValueError(msg)
    return FieldSpec(name, kind, str(data.get("label", name)), bool(data.get("required", True)), choices, prefill)
