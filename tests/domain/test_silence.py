"""The silence check's rules (issue 14 §3): statically, every stage a case can rest in is watched in every profile
by a timer that starts on it or by a stage norm; at run time, each violation names what is wrong in Dutch and
the command that fixes it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from domain.context import STANDAARD, Profile
from domain.durations import Duration
from domain.registry import PathwayRegistry
from domain.silence import (
    STANDARD_NORMS,
    STIL_DOSSIER,
    TLV_ZONDER_HERBEOORDELING,
    ActiveTlv,
    OpenEpisode,
    RestingCase,
    SilentStages,
    check_no_silent_stages,
    episode_kinds_with_case,
    episode_without_case,
    resting_case,
    silent_stages,
    tlv_runs_on,
    tlv_without_herbeoordeling,
    with_standard_norms,
)
from domain.stalled import STAGE_NORMS, stage_norms
from infra.reference.profiles import load_profile, load_profiles, registry_of
from infra.settings import Settings

REGISTRY = PathwayRegistry.builtin()
SIGNALERING = {key: d for key, d in REGISTRY.definitions.items() if key[0] == "signalering"}
TLV = {key: d for key, d in REGISTRY.definitions.items() if key[0] == "tlv"}


def _profile(norms: dict[str, dict[str, Duration]] | None = None) -> Profile:
    return Profile("regio-x", "Regio X", settings={STAGE_NORMS: norms or {}})


def test_a_stage_without_a_timer_and_without_a_norm_fails_loading_naming_pathway_stage_and_profile() -> None:
    """Signalering's 'besproken' and 'opgevolgd' start no timer; a profile without norms leaves them unwatched."""
    with pytest.raises(SilentStages) as raised:
        check_no_silent_stages(SIGNALERING, [_profile()])
    message = str(raised.value)
    assert "pathway 'signalering' (v1) stage 'besproken' in profile 'regio-x'" in message
    assert "stage 'opgevolgd' in profile 'regio-x'" in message
    assert "gesignaleerd" not in message  # signaal_termijn starts on it


def test_a_stage_with_a_norm_in_the_profile_passes() -> None:
    """The same stages with a norm each are watched."""
    norms = {"signalering": {"besproken": Duration(weeks=4), "opgevolgd": Duration(weeks=6)}}
    check_no_silent_stages(SIGNALERING, [_profile(norms)])


def test_every_profile_is_checked_so_one_covered_profile_does_not_cover_another() -> None:
    """A norm in one region says nothing of another region's cases."""
    norms = {"signalering": {"besproken": Duration(weeks=4), "opgevolgd": Duration(weeks=6)}}
    found = silent_stages(SIGNALERING, [_profile(norms), Profile("regio-y", "Regio Y")])
    assert {(s.stage, s.profile) for s in found} == {("besproken", "regio-y"), ("opgevolgd", "regio-y")}


def test_a_timer_started_once_does_not_watch_its_stage() -> None:
    """The TLV's statutory term starts once per case: a request back in 'aangevraagd' needs the norm."""
    found = silent_stages(TLV, [_profile()])
    assert "aangevraagd" in {s.stage for s in found}
    assert "compleet" not in {s.stage for s in found}  # besluittermijn starts on every entry


def test_todays_definitions_load_with_the_shipped_profiles_and_the_standard_profile() -> None:
    """The service's registry: every stage of every pathway watched in standaard, VO 31-02 and Zuid-Limburg PO."""
    registry = registry_of(Settings().durations(), load_profiles())
    assert set(registry.profiles) >= {"standaard", "vo-31-02", "zuid-limburg-po"}
    assert silent_stages(registry.definitions, registry.profiles.values()) == []


def test_the_standard_profile_alone_without_its_norms_would_leave_stages_unwatched() -> None:
    """Without STANDARD_NORMS the law's standard profile fails the check; with them it passes."""
    assert silent_stages(REGISTRY.definitions, [STANDAARD]) != []
    assert silent_stages(REGISTRY.definitions, [with_standard_norms(STANDAARD)]) == []


def test_the_standard_norms_name_only_stages_no_timer_watches() -> None:
    """A stage with its own deadline keeps it: the standard profile adds no norm there (no double watching)."""
    for pathway, stages in STANDARD_NORMS.items():
        definition = REGISTRY.get(pathway)
        for stage in stages:
            assert not definition.stages[stage].final, (pathway, stage)
            assert all(t.starts_on != stage or t.once for t in definition.timers), (pathway, stage)


def test_a_profiles_own_norm_wins_and_a_stage_it_leaves_out_keeps_the_standard_norm() -> None:
    """VO 31-02 sets 'wacht_op_instemming' itself; 'geevalueerd' comes from the standard."""
    merged = stage_norms(with_standard_norms(_profile({"opp": {"wacht_op_instemming": Duration(weeks=2)}})))
    assert merged["opp"]["wacht_op_instemming"] == Duration(weeks=2)
    assert merged["opp"]["geevalueerd"] == STANDARD_NORMS["opp"]["geevalueerd"]


def test_a_profile_file_without_norms_loads_with_the_standard_norms(tmp_path: Path) -> None:
    """A third SWV dropped in the profiles folder is watched from the start."""
    path = tmp_path / "po-2899.yaml"
    path.write_text("code: po-2899\nname: SWV PO 28-99\nsector: po\ncascade: {levels: [a, b]}\n", encoding="utf-8")
    assert stage_norms(load_profile(path))["thuiszitter"]["plan"] == STANDARD_NORMS["thuiszitter"]["plan"]


TLV_ROW = ActiveTlv("tlv-1", "lln-1", "14PS03", "vo-31-02", date(2027, 7, 31))


def test_a_tlv_runs_through_its_einddatum_and_not_after() -> None:
    """The einddatum is the TLV's last day."""
    assert tlv_runs_on(date(2027, 7, 31), date(2027, 7, 31))
    assert not tlv_runs_on(date(2027, 7, 31), date(2027, 8, 1))


def test_a_tlv_without_herbeoordeling_is_fixed_by_planning_one_with_the_tlvs_einddatum() -> None:
    """The fix opens a herbeoordeling for the TLV dossier, with its einddatum; the description is Dutch."""
    found = tlv_without_herbeoordeling(TLV_ROW, REGISTRY)
    assert (found.kind, found.case_id, found.pupil_id, found.school_brin, found.profile) == (
        TLV_ZONDER_HERBEOORDELING, "tlv-1", "lln-1", "14PS03", "vo-31-02")
    assert [(f.command, f.pathway, dict(f.values)) for f in found.fixes] == [
        ("plan_herbeoordeling", "herbeoordeling", {"einddatum": "2027-07-31", "tlv_dossier": "tlv-1"})]
    assert "31 juli 2027" in found.description
    assert found.kind_label == "TLV zonder lopende herbeoordeling"


def test_an_episode_without_a_case_is_fixed_by_reporting_the_thuiszitter_with_kind_and_first_day() -> None:
    """meld_thuiszitter with soort and sinds, as the detection would have opened it."""
    found = episode_without_case(OpenEpisode(7, "lln-2", "relatief", date(2026, 10, 5), "14PS03", "vo-31-02"),
                                 REGISTRY)
    assert [(f.command, dict(f.values)) for f in found.fixes] == [
        ("meld_thuiszitter", {"soort": "relatief", "sinds": "2026-10-05"})]
    assert "5 oktober 2026" in found.description


def test_a_resting_case_is_fixed_by_the_stages_next_steps_and_never_by_a_system_command() -> None:
    """An OPP in 'concept' after its term fired: present the handelingsdeel or close; not 'meld_opp_te_laat'."""
    found = resting_case(RestingCase("opp-1", "lln-3", "14PS03", "standaard", "opp", 1, "concept"), REGISTRY)
    commands = [f.command for f in found.fixes]
    assert found.kind == STIL_DOSSIER
    assert "leg_handelingsdeel_voor" in commands
    assert "meld_opp_te_laat" not in commands
    assert all(f.case_id == "opp-1" for f in found.fixes)


def test_only_the_episode_kinds_the_thuiszitter_case_takes_need_a_case() -> None:
    """Relatief and absoluut verzuim open a thuiszitter case; an exempted pupil is in the register without one."""
    kinds = episode_kinds_with_case(REGISTRY)
    assert set(kinds) == {"relatief", "absoluut"}
    assert "vrijstelling" not in kinds


def test_the_service_registry_refuses_a_profile_that_leaves_a_stage_unwatched() -> None:
    """A profile built without the standard norms (not through the profile files) fails where the service builds
    its registry, naming pathway, stage and profile.
    """
    with pytest.raises(SilentStages, match="pathway 'opp' \\(v1\\) stage 'geevalueerd' in profile 'regio-x'"):
        registry_of({}, {"standaard": with_standard_norms(STANDAARD), "regio-x": _profile()})
