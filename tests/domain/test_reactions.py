"""Declared hand-offs are checked when they load: each names a pathway, events and an action that exist, and
the system may take that action; a defect names the reaction and what is wrong.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.errors import DefinitionError
from domain.reactions import check_reactions, parse_reactions
from domain.registry import PathwayRegistry

REGISTRY = PathwayRegistry.builtin()
LATEST = {d.pathway: d for d in REGISTRY.latest()}


def reaction(**changes: Any) -> dict[str, Any]:
    return {"name": "proef", "label": "Proef", "source": "test", "on": {"pathway": "tlv", "events": ["tlv_definitief"]},
            "opens": "herbeoordeling", "values": {"einddatum": "artifact:besluit.einddatum"}, **changes}


def defects(*items: dict[str, Any]) -> list[str]:
    try:
        check_reactions(parse_reactions(json.dumps({"reactions": list(items)})), LATEST)
    except DefinitionError as error:
        return list(error.defects)
    return []


def test_the_shipped_hand_offs_load_and_each_names_its_source() -> None:
    """Every declared hand-off passes the checks and says where its rule comes from."""
    assert len(REGISTRY.reactions) >= 10
    assert all(r.source and r.label for r in REGISTRY.reactions)
    assert defects(reaction()) == []


@pytest.mark.parametrize(("changes", "expected"), [
    ({"on": {"pathway": "tlvv", "events": ["x"]}}, "unknown pathway 'tlvv'"),
    ({"on": {"pathway": "tlv", "events": ["tlv_bestaat_niet"]}}, "tlv records no event 'tlv_bestaat_niet'"),
    ({"opens": "bestaat_niet"}, "opens unknown pathway 'bestaat_niet'"),
    ({"values": {"bestaat_niet": "event:x"}}, "plan_herbeoordeling has no field 'bestaat_niet'"),
    ({"values": {"einddatum": "besluit.einddatum"}}, "value 'besluit.einddatum' does not start with one of"),
    ({"command": "ken_toe"}, "declare exactly one of 'opens' and 'command'"),
    ({"opens": None, "command": "ken_toe", "values": {}}, "the system may not issue 'ken_toe'"),
    ({"opens": None, "command": "hef_op", "target": "opened:geen", "values": {}},
     "target 'opened:geen' names no pathway"),
    ({"when": {"event:soort": "soorten"}}, "the values of 'event:soort' must be a list or a 'profile:' setting"),
    ({"unless_open": "bestaat_niet"}, "unless_open names unknown pathway 'bestaat_niet'"),
    ({"values": {"einddatum": "case:einddatum"}}, "value 'case:einddatum' names no value of the case"),
])
def test_a_defective_hand_off_is_refused_naming_what_is_wrong(changes: dict[str, Any], expected: str) -> None:
    """Each defect is named; nothing defective loads."""
    found = defects(reaction(**changes))
    assert any(expected in d for d in found), found


def test_two_hand_offs_with_one_name_are_refused() -> None:
    """The name keys what a hand-off did: it must be unique."""
    assert defects(reaction(), reaction()) == ["a name is used twice in ['proef', 'proef']"]
