"""Forms for commands, made from the command's fields in the definition; and back from what a
browser posts to the JSON payload the engine validates (and words its Dutch messages about).

A value that does not parse is passed on as the text it is, so that the engine's own check names
the field and what it must be ("moet een geheel getal zijn"); an empty field is left out, so that
a required one is reported as missing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.fields import FieldSpec
from domain.views import CommandView
from domain.window import EARLIEST, LATEST
from web.texts import code_label, sentence

INPUT_KINDS = {"date": "date", "text": "text", "int": "number", "bool": "bool", "choice": "choice"}
YES, NO = "ja", "nee"
INTEGER = re.compile(r"^[+-]?[0-9]{1,15}$")
KEY_PREFIX = "web:"


@dataclass(frozen=True)
class FieldView:
    """One control of a command form: its id, label, kind, choices and the value to show."""

    id: str
    name: str
    label: str
    kind: str
    required: bool
    choices: tuple[tuple[str, str], ...]
    value: str
    min: str = ""
    max: str = ""
    """A date input's bounds: the window of dates the engine accepts (``domain.window``), so that the
    browser offers nothing the engine would refuse as out of range."""


@dataclass(frozen=True)
class FormView:
    """The form for one command: where it posts, its fields, the stage it leads to, a refusal if any."""

    command: str
    label: str
    target_label: str
    fields: tuple[FieldView, ...]
    key: str
    error: str | None = None
    confirm: bool = False
    """Whether the step closes the case (its target is a final stage): the form asks to confirm."""
    uitleg: str = ""
    """What the step means and which rule applies (the transition's ``uitleg``), under its heading."""


def field_view(command: str, spec: FieldSpec, value: str) -> FieldView:
    """The control for ``spec`` in the form of ``command``."""
    choices = tuple((c, code_label(c)) for c in spec.choices) if spec.type == "choice" else ()
    if spec.type == "bool":
        choices = ((YES, "Ja"), (NO, "Nee"))
    bounds = (EARLIEST.isoformat(), LATEST.isoformat()) if spec.type == "date" else ("", "")
    return FieldView(f"{command}-{spec.name}", spec.name, sentence(spec.label), INPUT_KINDS[spec.type],
                     spec.required, choices, value, *bounds)


def form_view(command: CommandView, target_label: str, values: Mapping[str, str] | None = None,
              error: str | None = None, *, confirm: bool = False, uitleg: str = "") -> FormView:
    """The form of ``command``, filled with ``values`` (after a refusal: what was posted), else with the
    values its fields prefill from the case (e.g. the version of the handelingsdeel now presented).
    """
    shown = values if values is not None else prefilled_values(command)
    fields = tuple(field_view(command.command, f, shown.get(f.name, "")) for f in command.fields)
    return FormView(command.command, command.label, target_label, fields, f"{KEY_PREFIX}{uuid.uuid4()}", error,
                    confirm, uitleg)


def prefilled_values(command: CommandView) -> dict[str, str]:
    """The text each prefilled field of ``command`` starts with, as a browser would post it back."""
    return {name: as_text(value) for name, value in command.prefilled}


def as_text(value: object) -> str:
    """A JSON value as the text of a form control (a bool as 'ja'/'nee')."""
    if isinstance(value, bool):
        return YES if value else NO
    return str(value)


CONFIRM_FIELD = "bevestigd"
NOT_CONFIRMED = ("Vink 'Ik weet het zeker' aan om het dossier af te sluiten: na deze stap is het gesloten. "
                 "Er is niets vastgelegd.")


def posted_values(fields: Iterable[FieldSpec], form: Mapping[str, str]) -> dict[str, str]:
    """The posted text of each field (trimmed; '' when absent)."""
    return {f.name: form.get(f.name, "").strip() for f in fields}


def payload(fields: Iterable[FieldSpec], values: Mapping[str, str]) -> dict[str, object]:
    """The command payload: each filled-in field in its JSON type where it parses, as text where not."""
    result: dict[str, object] = {}
    for spec in fields:
        text = values.get(spec.name, "")
        if text:
            result[spec.name] = _typed(spec.type, text)
    return result


def _typed(kind: str, text: str) -> object:
    if kind == "int" and INTEGER.match(text):
        return int(text)
    if kind == "bool" and text in (YES, NO):
        return text == YES
    return text


def idempotency_key(posted: str) -> str | None:
    """The form's one-time key (so a double click records the step once), if it is well-formed."""
    if not posted.startswith(KEY_PREFIX):
        return None
    try:
        return f"{KEY_PREFIX}{uuid.UUID(posted.removeprefix(KEY_PREFIX))}"
    except ValueError:
        return None


def expected_version(posted: str) -> int | None:
    """The case version the form was made for (a stale form is refused), if it is a number."""
    return int(posted) if posted.isdigit() and len(posted) < 10 else None  # noqa: PLR2004 - fits an int
