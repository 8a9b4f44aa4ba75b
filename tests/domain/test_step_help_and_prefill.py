"""Step forms from the definitions: every step a person takes explains itself (``uitleg``), a field can
start with a value from the case (``prefill``), and a date field offers the dates the engine accepts.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pytest

from domain.case import Actor, Case, Command
from domain.context import Context, Profile
from domain.definition import PathwayDefinition
from domain.durations import NL
from domain.errors import GuardFailed
from domain.fields import FieldSpec, field_from_data
from domain.loading import load_definition
from domain.registry import PathwayRegistry
from domain.roles import ROLES, SYSTEEM
from domain.rules import EFFECTS, GUARDS
from domain.views import CommandView, case_status
from domain.window import EARLIEST, LATEST
from tests.domain.test_definition_validation import defects_of, minimal
from web import forms

REGISTRY = PathwayRegistry.builtin()
OPP = REGISTRY.get("opp")
ZC = Actor("zorgcoordinator", "zc-1")
START = datetime(2026, 9, 1, 9, tzinfo=NL)
MAX_UITLEG = 400
"""A help text under a step's heading is a sentence or two, not a page."""


def without_uitleg(definition: PathwayDefinition) -> list[str]:
    """The steps a person takes (any role besides the system) that have no help text."""
    return [f"{definition.pathway}.{t.command} ({', '.join(t.sources) or 'begin'})"
            for t in (definition.start, *definition.transitions) if t.roles != {SYSTEEM} and not t.uitleg.strip()]


def load(data: dict[str, Any]) -> PathwayDefinition:
    return load_definition(data, roles=ROLES, guards=GUARDS, effects=EFFECTS)


def explained(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with a help text on each step a person takes."""
    data = copy.deepcopy(data)
    for step in (data["start"], *data["transitions"]):
        if step["roles"] != [SYSTEEM]:
            step["uitleg"] = f"Uitleg bij {step['command']} (seed 002)."
    return data


# --- uitleg -------------------------------------------------------------------------------------------


def test_every_step_a_person_takes_in_every_shipped_pathway_explains_what_it_means_and_its_rule() -> None:
    """No shipped step a person can take lacks its Dutch help text, and each is short: a sentence or two."""
    missing = [name for definition in REGISTRY.definitions.values() for name in without_uitleg(definition)]
    assert missing == []
    for definition in REGISTRY.definitions.values():
        for t in (definition.start, *definition.transitions):
            if t.roles != {SYSTEEM}:
                assert t.uitleg[0].isupper(), t.uitleg
                assert t.uitleg.endswith("."), t.uitleg
                assert len(t.uitleg) <= MAX_UITLEG, f"{definition.pathway}.{t.command}: {len(t.uitleg)} tekens"


def test_a_new_step_without_uitleg_is_caught_and_a_system_step_needs_none() -> None:
    """The check above finds a person's step without help text; the system's own steps need none."""
    data = explained(minimal())
    assert without_uitleg(load(data)) == []
    del data["transitions"][0]["uitleg"]
    assert without_uitleg(load(data)) == ["proef.pak_op (open)"]
    assert load(data).transitions[2].uitleg == ""  # 'escaleer' is the system's: no text, no complaint


def test_the_uitleg_is_read_as_one_line_of_text_and_anything_else_is_refused_at_load() -> None:
    """Whitespace in the JSON text is folded; a number or a list is a malformed definition."""
    data = explained(minimal())
    data["transitions"][0]["uitleg"] = "Pakt het op.\n   Regel: seed 002."
    assert load(data).transitions[0].uitleg == "Pakt het op. Regel: seed 002."
    data["transitions"][0]["uitleg"] = ["Pakt het op."]
    assert defects_of(data) == ["malformed definition: uitleg must be text, not list"]


def test_the_uitleg_is_text_only_so_a_definition_with_it_runs_a_case_exactly_as_without() -> None:
    """Adding or editing help texts changes no stage, event or timer: cases stored under the same version
    are not affected (definitions are identified by pathway and version only, never by a hash).
    """
    plain, helped = load(minimal()), load(explained(minimal()))
    for definition in (plain, helped):
        case, _ = Case.open("c-1", definition, "14PS03", "lln-1", Command("begin", ZC, {}), START)
        decision = case.handle(definition, Command("pak_op", ZC, {}), START)
        assert (case.stage, sorted(case.timers), decision.event.type) == ("bezig", ["termijn"], "opgepakt")
    assert [t.command for t in plain.transitions] == [t.command for t in helped.transitions]


# --- dates where a refusal asks 'wanneer' -----------------------------------------------------------


def test_a_refusal_asking_when_the_swv_was_consulted_names_the_date_field_the_step_offers() -> None:
    """VO 31-02: a vrijstelling 5 onder a without the day the SWV coordinator was consulted is refused with a
    sentence naming that field, which the step declares as a date; with the date it is granted.
    """
    thuiszitter = REGISTRY.get("thuiszitter")
    profile = Context(Profile("vo-31-02", "VO 31-02", settings={"verzuim": {"vrijstelling_raadpleging_swv": True}}))
    leerplicht, at = Actor("leerplicht", "lp-1"), datetime(2026, 11, 20, 9, tzinfo=NL)
    case, _ = Case.open("c-1", thuiszitter, "14PS03", "lln-1",
                        Command("meld_thuiszitter", leerplicht, {"soort": "relatief", "sinds": "2026-08-03"}), START)
    case.handle(thuiszitter, Command("bespreek", leerplicht, {"afspraken": "medische verklaring"}), START)
    with pytest.raises(GuardFailed) as refused:
        case.handle(thuiszitter, Command("vrijstelling", leerplicht, {"kind": "5a"}), at, profile)
    step = thuiszitter.transition("besproken", "vrijstelling")
    assert step is not None
    assert step.fields["swv_geraadpleegd_op"].type == "date"
    assert "vul bij 'swv_geraadpleegd_op' (de dag waarop de SWV-coördinator is geraadpleegd) in wanneer" in (
        refused.value.missing[0].detail_nl)
    case.handle(thuiszitter, Command("vrijstelling", leerplicht, {"kind": "5a", "swv_geraadpleegd_op": "2026-11-16"}),
                at, Context(profile.profile, instant=at))
    assert case.stage == "vrijgesteld"


def test_the_missing_instemming_asks_when_and_the_step_that_records_it_takes_that_day_as_an_optional_date() -> None:
    """'wie die gaf, wanneer, en voor welke versie': the instemming step has all three, the day as a date that
    an API caller may still leave out (as before).
    """
    step = OPP.transition("wacht_op_instemming", "registreer_instemming")
    assert step is not None
    day = step.fields["ingestemd_op"]
    assert (day.type, day.required) == ("date", False)
    assert set(step.fields) == {"gegeven_door", "ingestemd_op", "handelingsdeel_versie"}
    case, _ = Case.open("c-1", OPP, "14PS03", "lln-1",
                        Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-09-01"}), START)
    case.handle(OPP, Command("leg_handelingsdeel_voor", ZC, {}), START)
    without_day = {"gegeven_door": "ouders", "handelingsdeel_versie": 1}
    case.handle(OPP, Command("registreer_instemming", ZC, without_day), START)
    assert "ingestemd_op" not in case.artifacts["instemming"]
    with pytest.raises(GuardFailed):
        case.handle(OPP, Command("registreer_instemming", ZC, {"gegeven_door": "ouders", "handelingsdeel_versie": 9,
                                                              "ingestemd_op": "2026-09-02"}), START)


# --- prefill ------------------------------------------------------------------------------------------


def test_a_field_reads_its_prefill_and_a_malformed_one_is_refused_naming_the_field() -> None:
    """'artifact:<a>.<k>' and 'next:<a>.<k>' are read; another form, or 'next' on a non-number, is refused."""
    spec = field_from_data("versie", {"type": "int", "label": "versie", "prefill": "artifact:handelingsdeel.versie"})
    assert (spec.prefill, spec.prefill_artifact) == ("artifact:handelingsdeel.versie", "handelingsdeel")
    with pytest.raises(ValueError, match="field 'versie' has prefill 'handelingsdeel'"):
        field_from_data("versie", {"type": "int", "prefill": "handelingsdeel"})
    with pytest.raises(ValueError, match="prefills the next number"):
        field_from_data("datum", {"type": "date", "prefill": "next:besluit.datum"})


def test_a_prefill_from_an_artifact_the_pathway_does_not_declare_is_a_defect_at_load() -> None:
    """The prefill's artifact must be one of the pathway's artifacts, like every artifact a definition names."""
    data = minimal()
    data["transitions"][0]["fields"] = {"n": {"type": "int", "label": "n", "prefill": "artifact:besluit.n"}}
    load(data)
    data["transitions"][0]["fields"]["n"]["prefill"] = "artifact:onbekend.n"
    assert defects_of(data) == ["transition 'pak_op' field 'n' prefills from unknown artifact 'onbekend'"]


def test_the_prefilled_value_is_the_one_on_record_or_the_next_number_and_nothing_when_absent() -> None:
    """'artifact' gives the value on record (none when there is none); 'next' the number after it, or 1."""
    current = FieldSpec("v", "int", "versie", prefill="artifact:handelingsdeel.versie")
    following = FieldSpec("v", "int", "versie", prefill="next:handelingsdeel.versie")
    on_record = {"handelingsdeel": {"versie": 3, "occurred_at": "2026-09-01T09:00:00+02:00"}}
    assert (current.prefilled(on_record), following.prefilled(on_record)) == (3, 4)
    assert (current.prefilled({}), following.prefilled({})) == (None, 1)
    assert FieldSpec("v", "int", "versie").prefilled(on_record) is None


def test_the_instemming_form_starts_with_the_version_of_the_handelingsdeel_now_presented() -> None:
    """After presenting the handelingsdeel (version 1) and again (version 2), the instemming step offers the
    version the guard requires; a step without a prefill offers nothing.
    """
    case, _ = Case.open("c-1", OPP, "14PS03", "lln-1",
                        Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-09-01"}), START)
    case.handle(OPP, Command("leg_handelingsdeel_voor", ZC, {}), START)

    def offered() -> dict[str, tuple[tuple[str, Any], ...]]:
        return {c.command: c.prefilled for c in case_status(case, OPP, START).next_commands}

    assert offered()["registreer_instemming"] == (("handelingsdeel_versie", 1),)
    assert offered()["weiger_instemming"] == ()
    case.handle(OPP, Command("leg_handelingsdeel_voor", ZC, {}), START)
    assert offered()["registreer_instemming"] == (("handelingsdeel_versie", 2),)


# --- the form -----------------------------------------------------------------------------------------


def command(*fields: FieldSpec, prefilled: tuple[tuple[str, Any], ...] = ()) -> CommandView:
    return CommandView("registreer_instemming", "Instemming van ouders vastleggen", ("zorgcoordinator",),
                       fields, "wacht_op_instemming", prefilled)


VERSIE = FieldSpec("handelingsdeel_versie", "int", "versie", prefill="artifact:handelingsdeel.versie")
DATUM = FieldSpec("ingestemd_op", "date", "datum waarop de ouders instemden", required=False)


def test_a_new_form_shows_the_prefilled_value_and_after_a_refusal_what_was_posted() -> None:
    """A fresh form starts with the prefill; a form shown again after a refusal keeps the person's input,
    even when they emptied the field.
    """
    fresh = forms.form_view(command(VERSIE, DATUM, prefilled=(("handelingsdeel_versie", 2),)), "Wacht")
    assert [(f.name, f.value) for f in fresh.fields] == [("handelingsdeel_versie", "2"), ("ingestemd_op", "")]
    again = forms.form_view(command(VERSIE, DATUM, prefilled=(("handelingsdeel_versie", 2),)), "Wacht",
                            {"handelingsdeel_versie": "", "ingestemd_op": "2026-09-03"}, "Geweigerd.")
    assert [(f.name, f.value) for f in again.fields] == [("handelingsdeel_versie", ""), ("ingestemd_op", "2026-09-03")]


def test_a_date_field_offers_exactly_the_window_of_dates_the_engine_accepts_and_other_fields_no_bounds() -> None:
    """The date input's min and max are the engine's own window (domain.window), so that the browser never
    blocks a date the engine would accept nor offers one it refuses.
    """
    form = forms.form_view(command(VERSIE, DATUM), "Wacht", uitleg="Legt vast wie instemde (WPO art. 40a).")
    versie, datum = form.fields
    assert (datum.kind, datum.min, datum.max) == ("date", EARLIEST.isoformat(), LATEST.isoformat())
    assert (versie.kind, versie.min, versie.max) == ("number", "", "")
    assert form.uitleg == "Legt vast wie instemde (WPO art. 40a)."
    assert DATUM.clean(EARLIEST.isoformat())[1] is None
    assert DATUM.clean("1989-12-31")[1] is not None


def test_a_bool_prefill_shows_as_the_ja_or_nee_a_browser_posts() -> None:
    """A prefilled yes/no field is shown checked the way the form posts it back."""
    vinkje = FieldSpec("besproken", "bool", "besproken")
    form = forms.form_view(command(vinkje, prefilled=(("besproken", True),)), "Wacht")
    assert form.fields[0].value == forms.YES
