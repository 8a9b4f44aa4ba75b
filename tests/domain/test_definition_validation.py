"""Loading a pathway definition validates it and names each defect."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from domain.errors import DefinitionError
from domain.loading import load_definition
from domain.registry import PathwayRegistry
from domain.roles import ROLES
from domain.rules import EFFECTS, GUARDS
from infra.delivery.alerts import deadline_events


def minimal() -> dict[str, Any]:
    """A small valid pathway: open -> bezig -> klaar, with a timer that escalates while bezig."""
    return {
        "pathway": "proef", "version": 1, "initial": "open",
        "start": {"command": "begin", "event": "begonnen", "roles": ["zorgcoordinator"]},
        "artifacts": {"besluit": {"label": "het besluit"}},
        "stages": [{"name": "open"}, {"name": "bezig"}, {"name": "klaar", "final": True}],
        "transitions": [
            {"command": "pak_op", "from": ["open"], "to": "bezig", "event": "opgepakt", "roles": ["zorgcoordinator"]},
            {"command": "rond_af", "from": ["bezig"], "to": "klaar", "event": "afgerond", "roles": ["zorgcoordinator"]},
            {"command": "escaleer", "from": ["bezig"], "to": None, "event": "geescaleerd", "roles": ["systeem"]},
        ],
        "timers": [{"name": "termijn", "starts_on": "bezig", "cancelled_on": ["klaar"], "after": {"weeks": 4},
                    "basis": {"kind": "regionaal", "source": "seed 002", "anchor": "de start"},
                    "fires": "escaleer"}],
    }


def load(data: dict[str, Any]) -> None:
    load_definition(data, roles=ROLES, guards=GUARDS, effects=EFFECTS)


def defects_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load(data)
    return list(caught.value.defects)


def test_a_valid_definition_loads() -> None:
    """The minimal pathway has no defects."""
    load(minimal())


def test_the_shipped_opp_definition_loads() -> None:
    """The OPP pathway as shipped is valid."""
    text = resources.files("domain.pathways").joinpath("opp.v1.json").read_text(encoding="utf-8")
    load(json.loads(text))


def test_an_unreachable_stage_is_named() -> None:
    """A stage no transition leads to is reported as unreachable from the initial stage."""
    data = minimal()
    data["stages"].append({"name": "vergeten", "final": True})
    assert defects_of(data) == ["stage 'vergeten' is unreachable from 'open'"]


def test_a_dead_end_that_is_not_final_is_named() -> None:
    """A non-final stage without a way out is a dead end."""
    data = minimal()
    data["stages"].append({"name": "vast"})
    data["transitions"].append({"command": "loop_vast", "from": ["open"], "to": "vast", "event": "vastgelopen",
                                "roles": ["zorgcoordinator"]})
    assert defects_of(data) == ["stage 'vast' is a dead end but not final"]


def test_a_stage_that_only_loops_to_itself_is_a_dead_end() -> None:
    """Transitions that stay in the stage do not count as a way out."""
    data = minimal()
    data["stages"].append({"name": "cirkel"})
    data["transitions"] += [
        {"command": "ga_rond", "from": ["open"], "to": "cirkel", "event": "rond", "roles": ["zorgcoordinator"]},
        {"command": "blijf", "from": ["cirkel"], "to": None, "event": "gebleven", "roles": ["zorgcoordinator"]},
    ]
    assert defects_of(data) == ["stage 'cirkel' is a dead end but not final"]


def test_a_cycle_with_no_way_to_a_final_stage_is_named() -> None:
    """Two stages that only lead to each other can never finish."""
    data = minimal()
    data["stages"] += [{"name": "heen"}, {"name": "terug"}]
    data["transitions"] += [
        {"command": "ga_heen", "from": ["open"], "to": "heen", "event": "heen", "roles": ["zorgcoordinator"]},
        {"command": "ga_terug", "from": ["heen"], "to": "terug", "event": "terug", "roles": ["zorgcoordinator"]},
        {"command": "nog_eens", "from": ["terug"], "to": "heen", "event": "nogmaals", "roles": ["zorgcoordinator"]},
    ]
    assert defects_of(data) == ["stage 'heen' can never reach a final stage",
                                "stage 'terug' can never reach a final stage"]


def test_a_timer_leading_to_no_declared_transition_is_named() -> None:
    """A timer must fire a command declared from every stage where it can be running."""
    data = minimal()
    data["timers"][0]["fires"] = "bestaat_niet"
    assert defects_of(data) == [
        ("timer 'termijn' fires 'bestaat_niet', which is not a declared transition from stage 'bezig' "
         "where the timer can be running"),
    ]


def test_a_timer_still_running_in_a_later_stage_needs_its_transition_there_too() -> None:
    """If the timer is not cancelled on entering a stage, that stage must accept its command as well."""
    data = minimal()
    data["timers"][0]["starts_on"] = "open"
    assert defects_of(data) == [
        ("timer 'termijn' fires 'escaleer', which is not a declared transition from stage 'open' "
         "where the timer can be running"),
    ]


def test_a_timer_whose_command_the_system_may_not_issue_is_named() -> None:
    """Timers fire as the system, so the system's role must be allowed."""
    data = minimal()
    data["transitions"][2]["roles"] = ["zorgcoordinator"]
    assert defects_of(data) == [
        "timer 'termijn' fires 'escaleer', which role 'systeem' may not issue from stage 'bezig'",
    ]


def test_an_unknown_role_is_named() -> None:
    """Roles must be ones the engine knows."""
    data = minimal()
    data["transitions"][0]["roles"] = ["conciërge"]
    assert defects_of(data) == ["transition 'pak_op' allows unknown role 'conciërge'"]


@pytest.mark.parametrize(("change", "defect"), [
    (lambda d: d["transitions"][0].update(to="nergens"), "transition 'pak_op' names unknown stage 'nergens'"),
    (lambda d: d["transitions"][0].update(guards=["geen_idee"]), "transition 'pak_op' uses unknown guard 'geen_idee'"),
    (lambda d: d["transitions"][0].update(effects=["toverij"]), "transition 'pak_op' uses unknown effect 'toverij'"),
    (lambda d: d["transitions"][0].update(records="dossier"), "transition 'pak_op' records unknown artifact 'dossier'"),
    (lambda d: d["stages"][1].update(requires=["dossier"]), "stage 'bezig' requires unknown artifact 'dossier'"),
    (lambda d: d.update(initial="begin"), "initial stage 'begin' is not a declared stage"),
    (lambda d: d["timers"][0].update(cancelled_on=["ooit"]), "timer 'termijn' names unknown stage 'ooit'"),
    (lambda d: d["transitions"].append(copy.deepcopy(d["transitions"][0])),
     "command 'pak_op' is declared twice from stage 'open'"),
])
def test_a_reference_to_something_undeclared_is_named(change: Any, defect: str) -> None:
    """Every name a definition uses must be declared."""
    data = minimal()
    change(data)
    assert defect in defects_of(data)


def test_a_final_stage_with_outgoing_transitions_is_named() -> None:
    """Final means final."""
    data = minimal()
    data["transitions"].append({"command": "heropen", "from": ["klaar"], "to": "open", "event": "heropend",
                                "roles": ["zorgcoordinator"]})
    assert defects_of(data) == ["final stage 'klaar' has outgoing transitions"]


@pytest.mark.parametrize(("after", "reason"), [
    ({"weken": 4}, "unknown duration unit(s) ['weken']"),
    ({"weeks": -1}, "duration values must be whole numbers >= 0"),
    ({}, "a duration is an object like"),
])
def test_a_malformed_duration_is_named(after: dict[str, int], reason: str) -> None:
    """Durations are data and are checked like the rest."""
    data = minimal()
    data["timers"][0]["after"] = after
    [defect] = defects_of(data)
    assert defect.startswith("malformed definition: ")
    assert reason in defect


def test_a_missing_key_is_named() -> None:
    """A definition without transitions says which key is missing."""
    data = minimal()
    del data["transitions"]
    assert defects_of(data) == ["malformed definition: missing key 'transitions'"]


def test_a_timer_without_a_basis_is_named() -> None:
    """Every deadline says what it rests on (law, regional agreement, profile, decision): one without is refused."""
    data = minimal()
    del data["timers"][0]["basis"]
    assert defects_of(data) == ["malformed definition: missing key 'basis'"]


def test_a_basis_of_an_unknown_kind_is_named() -> None:
    """The kind of a basis is one of the known kinds; a typo is refused with the kinds that exist."""
    data = minimal()
    data["timers"][0]["basis"]["kind"] = "wettelijk"
    [defect] = defects_of(data)
    assert "unknown basis kind 'wettelijk'" in defect
    assert "'regionaal'" in defect


def test_a_timer_with_two_directions_is_named() -> None:
    """A term runs after, before or on its anchor: exactly one."""
    data = minimal()
    data["timers"][0]["before"] = {"weeks": 1}
    assert defects_of(data) == ["malformed definition: timer 'termijn' needs exactly one of 'after', 'before' and 'on'"]


def test_a_term_on_a_date_needs_an_anchor() -> None:
    """A term that ends on a date on record must say which date."""
    data = minimal()
    del data["timers"][0]["after"]
    data["timers"][0]["on"] = True
    assert defects_of(data) == ["timer 'termijn' falls due before or on an anchor but names none"]


def test_suspending_an_unknown_timer_is_named() -> None:
    """A transition that suspends (Awb art. 4:15) or resumes a timer names one the pathway has."""
    data = minimal()
    data["transitions"][0]["suspends"] = ["bestaat_niet"]
    assert defects_of(data) == ["transition 'pak_op' suspends or resumes unknown timer 'bestaat_niet'"]


def test_only_the_systems_own_command_may_mark_a_missed_deadline() -> None:
    """A person's step is no passed deadline: marking one so is refused, naming it."""
    data = minimal()
    data["transitions"][0]["missed_deadline"] = True
    assert defects_of(data) == ["transition 'pak_op' marks a missed deadline but is not the system's own command"]


def test_a_missed_deadline_is_a_system_command_that_keeps_the_stage_or_one_declared_so() -> None:
    """Every 'te laat' event alerts people; a lapsed TLV (it moves the stage) does because it says so; the end
    of a bezwaartermijn that makes a decision final, or the start of nazorg, are no missed deadlines.
    """
    events = deadline_events(PathwayRegistry.builtin())
    assert {"opp_te_laat", "tlv_besluit_te_laat", "tlv_wettelijke_beslistermijn_verstreken",
            "tlv_verlopen_zonder_herbeoordeling", "tlv_nog_steeds_verlopen", "orientatie_te_laat"} <= set(events)
    assert not {"tlv_definitief", "tlv_afwijzing_definitief", "nazorg_gestart", "evaluatie_verschuldigd"} & set(events)


def test_leerplicht_hears_of_a_missed_deadline_only_where_the_pathway_says_the_law_makes_it_a_party() -> None:
    """An unreported schorsing of more than a day tells leerplicht; a late OPP or a lapsed TLV does not."""
    events = deadline_events(PathwayRegistry.builtin())
    assert events["schorsing_melding_te_laat"][1] is True
    assert not any(events[e][1] for e in ("opp_te_laat", "tlv_verlopen_zonder_herbeoordeling", "orientatie_te_laat"))


def test_telling_leerplicht_is_only_for_a_missed_deadline() -> None:
    """A step that is no missed deadline cannot tell leerplicht: nobody would know why."""
    data = minimal()
    data["transitions"][0]["tells_leerplicht"] = True
    assert any("tells leerplicht but marks no missed deadline" in d for d in defects_of(data))


def test_a_repeating_timer_counts_from_the_day_it_fired_so_it_names_no_anchor() -> None:
    """A reminder that runs again after it fired counts 'after' the day it fired; an anchor would be ignored."""
    data = minimal()
    data["timers"][0]["repeats"] = True
    data["timers"][0]["anchor"] = ["besluit"]
    expected = "timer 'termijn' repeats, so it counts from the day it fired: 'after' without an anchor"
    assert defects_of(data) == [expected]
