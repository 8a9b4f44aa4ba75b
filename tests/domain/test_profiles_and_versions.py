"""SWV profiles, ISO durations, definition migration and the generated documentation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.case import Actor, Case, Command
from domain.context import Context, Profile
from domain.describe import as_data, mermaid
from domain.durations import Duration
from domain.handlers import NewCase, migrate_cases, open_case
from domain.registry import PathwayRegistry
from domain.verzuim import VerzuimSettings
from infra.reference.profiles import ProfileError, load_profile, load_profiles
from infra.store.memory import MemoryStore, MemoryUnitOfWork
from run import docs

NOW = datetime(2026, 9, 1, 9, tzinfo=UTC)
ZC = Actor("zorgcoordinator", "zc-1")


def test_the_two_shipped_profiles_load() -> None:
    """zuid-limburg-po (levels 1-5) and vo-31-02 (basis ... vso) are there, beside the law's standard."""
    profiles = load_profiles()
    assert set(profiles) == {"standaard", "zuid-limburg-po", "vo-31-02"}
    assert profiles["zuid-limburg-po"].setting("cascade_levels") == ["1", "2", "3", "4", "5"]
    assert profiles["vo-31-02"].setting("cascade_levels") == ["basis", "extra_in_school", "extra_swv", "vso"]
    assert profiles["vo-31-02"].setting("rto_required_for_tlv") is True


def test_a_profile_sets_the_thresholds_of_thuiszitter_detection(tmp_path: Path) -> None:
    """'Dreigend' after 3 school weeks instead of 2 in this SWV; what it leaves out keeps the legal default."""
    (tmp_path / "po-2802.yaml").write_text(
        "code: po-2802\nname: SWV PO 28-02\nsector: po\ncascade:\n  levels: [a, b]\n"
        "verzuim:\n  dreigend_weken: 3\n", encoding="utf-8")
    settings = VerzuimSettings.from_data(load_profiles(tmp_path)["po-2802"].setting("verzuim"))
    assert (settings.dreigend_weken, settings.thuiszitter_weken, settings.meldplicht_uren) == (3, 4, 16)


def test_a_third_swv_is_added_by_a_file_alone(tmp_path: Path) -> None:
    """A profile file in the configured folder is picked up as it is."""
    (tmp_path / "po-2801.yaml").write_text(
        "code: po-2801\nname: SWV PO 28-01\nsector: po\ncascade:\n  levels: [a, b, c]\n"
        "durations:\n  opp:\n    evaluatie: {months: 6}\n", encoding="utf-8")
    profiles = load_profiles(tmp_path)
    registry = PathwayRegistry.builtin(profiles=profiles)
    assert registry.for_profile("opp", None, "po-2801").timer("evaluatie").term.length == Duration(months=6)
    assert registry.for_profile("opp", None, "standaard").timer("evaluatie").term.length == Duration(months=12)


@pytest.mark.parametrize(("content", "message"), [
    ("code: x-1\nname: SWV X\nsector: mbo\ncascade: {levels: [a, b]}\n",
     "x-1.yaml: sector: Input should be 'po' or 'vo'"),
    ("code: x-1\nname: SWV X\nsector: po\ncascade: {levels: [a, b], requiring_opp: [z]}\n",
     "x-1.yaml: cascade: Value error, requiring_opp names levels not in levels: ['z']"),
    ("code: x-1\nname: SWV X\nsector: po\ncascade: {levels: [a, b]}\ndurations: {opp: {evaluatie: {jaren: 1}}}\n",
     "x-1.yaml: durations: Value error, opp.evaluatie: unknown duration unit(s) ['jaren']"),
    ("code: x-1\nname: SWV X\nsector: po\ncascade: {levels: [a, b]}\nkleur: rood\n",
     "x-1.yaml: kleur: Extra inputs are not permitted"),
    ("code: y-2\nname: SWV X\nsector: po\ncascade: {levels: [a, b]}\n",
     "x-1.yaml: code 'y-2' must match the file name 'x-1'"),
    ("code: x-1\nname: SWV X\nsector: po\ncascade: {levels: [a, b]}\nverzuim: {dreigend_dagen: 10}\n",
     "x-1.yaml: verzuim: Value error, unknown verzuim setting(s) ['dreigend_dagen']"),
    ("code: x-1\nname: SWV X\nsector: po\ncascade: {levels: [a, b]}\nverzuim: {meldplicht_uren: 0}\n",
     "x-1.yaml: verzuim: Value error, setting meldplicht_uren must be a whole number >= 1, got 0"),
])
def test_a_bad_profile_file_is_refused_naming_the_file_and_the_key(tmp_path: Path, content: str, message: str) -> None:
    """The error says which file, which key and what is wrong."""
    path = tmp_path / "x-1.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError) as refused:
        load_profile(path)
    assert message in str(refused.value)


def test_a_profile_file_says_whether_the_atw_applies_to_its_own_terms_and_which_school_calendar_counts(
        tmp_path: Path) -> None:
    """Both default to the law's reading (regional terms are not moved) and the midden calendar; a file may
    opt in and name its region; a region that does not exist is refused.
    """
    path = tmp_path / "x-1.yaml"
    path.write_text("code: x-1\nname: SWV X\nsector: po\ncascade: {levels: [a, b]}\n", encoding="utf-8")
    plain = load_profile(path)
    assert (plain.setting("atw_voor_regionale_termijnen"), plain.setting("schoolkalender_regio")) == (False, "midden")
    path.write_text("code: x-1\nname: SWV X\nsector: po\ncascade: {levels: [a, b]}\n"
                    "atw_voor_regionale_termijnen: true\nschoolkalender_regio: zuid\n"
                    "durations: {knooppunt: {knooppunt_termijn: {school_weeks: 4}}}\n", encoding="utf-8")
    opted = load_profile(path)
    assert (opted.setting("atw_voor_regionale_termijnen"), opted.setting("schoolkalender_regio")) == (True, "zuid")
    assert opted.durations["knooppunt"]["knooppunt_termijn"] == Duration(school_weeks=4)
    path.write_text("code: x-1\nname: SWV X\nsector: po\ncascade: {levels: [a, b]}\nschoolkalender_regio: oost\n",
                    encoding="utf-8")
    with pytest.raises(ProfileError, match="schoolkalender_regio"):
        load_profile(path)


def test_a_profile_naming_a_timer_that_does_not_exist_is_refused() -> None:
    """Durations must name real timers of real pathways."""
    wrong = Profile("fout", "Fout", {"opp": {"bestaat_niet": Duration(weeks=1)}})
    with pytest.raises(ValueError, match="profile 'fout': pathway 'opp' has no timer"):
        PathwayRegistry.builtin(profiles={"fout": wrong})


@pytest.mark.parametrize(("duration", "iso"), [
    (Duration(months=12), "P12M"), (Duration(weeks=6), "P6W"), (Duration(months=1, weeks=2), "P1M14D"),
    (Duration(days=3), "P3D"),
])
def test_durations_are_written_in_iso_8601(duration: Duration, iso: str) -> None:
    """Weeks stand alone or become days."""
    assert duration.iso() == iso


def test_the_json_dump_has_stages_transitions_guards_timers_and_roles() -> None:
    """What `leerlingroute definitions --json` prints, for one pathway."""
    data = as_data(PathwayRegistry.builtin().get("opp"), "standaard")
    json.dumps(data)
    assert [t["duration"] for t in data["timers"]] == ["P6W", "P12M"]
    stel = next(t for t in data["transitions"] if t["command"] == "stel_in_werking")
    assert stel["guards"] == ["instemming_voor_huidig_handelingsdeel"]
    assert stel["roles"] == ["zorgcoordinator"]


def test_the_mermaid_diagram_has_every_stage_and_transition() -> None:
    """The generated diagram is a state diagram of the definition itself."""
    diagram = mermaid(PathwayRegistry.builtin().get("opp"))
    assert diagram.startswith("stateDiagram-v2\n    [*] --> concept: start_opp\n")
    assert "    wacht_op_instemming --> in_werking: stel_in_werking\n" in diagram
    assert "    afgesloten --> [*]\n" in diagram


def test_the_checked_in_docs_match_the_definitions() -> None:
    """docs/pathways never drifts: regenerate with `leerlingroute docs`."""
    assert docs.stale(PathwayRegistry.builtin()) == []


def _with_version_2(drop_stage: str | None = None) -> PathwayRegistry:
    """The shipped registry plus an OPP v2 that renames nothing but drops one stage (optionally)."""
    registry = PathwayRegistry.builtin()
    v1 = registry.get("opp")
    stages = {k: v for k, v in v1.stages.items() if k != drop_stage}
    v2 = v1.__class__(**{**{f: getattr(v1, f) for f in v1.__dataclass_fields__}, "version": 2, "stages": stages})
    return PathwayRegistry({**registry.definitions, ("opp", 2): v2}, registry.profiles)


def _open(store: MemoryStore, registry: PathwayRegistry) -> str:
    command = Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-09-01"})
    return open_case(MemoryUnitOfWork(store), registry, NewCase("opp", "14PS03", "lln-1"), command, NOW).case_id


def test_a_dry_run_reports_what_would_change_and_moves_nothing() -> None:
    """The plan names each case; the cases keep their version."""
    store, registry = MemoryStore(), _with_version_2()
    case_id = _open(store, PathwayRegistry.builtin())
    [step] = migrate_cases(MemoryUnitOfWork(store), registry, "opp", 2, Actor("admin", "a"), NOW, dry_run=True)
    assert (step.case_id, step.movable, step.from_version, step.to_version) == (case_id, True, 1, 2)
    with MemoryUnitOfWork(store) as uow:
        assert uow.get_case(case_id).definition_version == 1


def test_a_case_moves_to_the_new_version_with_an_event_saying_so() -> None:
    """After the migration the case runs under v2 and its history records the move."""
    store, registry = MemoryStore(), _with_version_2()
    case_id = _open(store, PathwayRegistry.builtin())
    migrate_cases(MemoryUnitOfWork(store), registry, "opp", 2, Actor("admin", "a"), NOW, dry_run=False)
    with MemoryUnitOfWork(store) as uow:
        case = uow.get_case(case_id)
        assert (case.definition_version, uow.history(case_id)[-1].type) == (2, "definitie_gemigreerd")


def test_a_case_whose_stage_the_new_version_lacks_stays_where_it_is() -> None:
    """Nothing moves silently: the step says why it cannot move."""
    store, registry = MemoryStore(), _with_version_2(drop_stage="concept")
    case_id = _open(store, PathwayRegistry.builtin())
    [step] = migrate_cases(MemoryUnitOfWork(store), registry, "opp", 2, Actor("admin", "a"), NOW, dry_run=False)
    assert (step.movable, step.problems) == (False, ("stage 'concept' does not exist in version 2",))
    with MemoryUnitOfWork(store) as uow:
        assert uow.get_case(case_id).definition_version == 1


def test_a_case_records_the_profile_it_runs_under_and_uses_its_durations() -> None:
    """Opened under a profile whose evaluation is half-yearly, the case keeps that profile."""
    half = Profile("half", "Halfjaarlijks", {"opp": {"evaluatie": Duration(months=6)}})
    registry = PathwayRegistry.builtin(profiles={"standaard": load_profiles()["standaard"], "half": half})
    case, _ = Case.open("c", registry.for_profile("opp", None, "half"), "14PS03", "lln-1",
                        Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-09-01"}), NOW, Context(half))
    assert case.profile == "half"


# --- the TLV's regional rules (issue 14 §4) -----------------------------------------------------


def _roles(registry: PathwayRegistry, profile: str, command: str) -> frozenset[str]:
    """Who may issue the TLV's ``command`` from 'compleet' in ``profile``."""
    transition = registry.for_profile("tlv", None, profile).transition("compleet", command)
    assert transition is not None
    return transition.roles


def test_vo_31_02_sets_the_advice_disciplines_per_position_the_new_mdo_and_the_durations_per_uitstroomprofiel() -> None:
    """Seed 001 §4.5.4 (first: orthopedagoog/psycholoog, maatschappelijk werker or jeugdarts; second: always an
    orthopedagoog), bijlage 2 (nader overleg), §4.5.2 (vervolgonderwijs the minimum, arbeid/dagbesteding longer).
    """
    vo = load_profiles()["vo-31-02"]
    assert vo.setting("tlv_adviezen") == {
        "eerste": ["orthopedagoog", "psycholoog", "maatschappelijk_werker", "jeugdarts"], "tweede": ["orthopedagoog"]}
    assert (vo.setting("tlv_bij_verschil"), vo.setting("tlv_besluit_door")) == ("nieuw_mdo", "bto")
    assert vo.setting("tlv_looptijd") == {"vervolgonderwijs": Duration(months=12), "arbeid": Duration(months=24),
                                          "dagbesteding": Duration(months=36)}
    assert {"herkomst": ["voorschool"], "soort": [], "bewijs": ["voorschools_knooppunt"]} in (
        load_profiles()["zuid-limburg-po"].setting("tlv_dossier"))


def test_a_profile_without_tlv_rules_keeps_the_law_and_the_bto_deciding() -> None:
    """Any discipline per position (the law's orthopedagoog or psycholoog checked on the pair), a reasoned
    decision when advices differ, the BTO deciding, the minimum duration for every uitstroomprofiel.
    """
    registry = PathwayRegistry.builtin(profiles=load_profiles())
    zl = registry.profile("zuid-limburg-po")
    assert zl.setting("tlv_adviezen") == {"eerste": [], "tweede": []}
    assert (zl.setting("tlv_bij_verschil"), zl.setting("tlv_looptijd"), zl.roles) == ("besluit_motiveren", {}, {})
    assert _roles(registry, "zuid-limburg-po", "ken_toe") == {"bto"}


def test_a_profile_where_a_loket_decides_gives_the_decision_to_the_swv_office(tmp_path: Path) -> None:
    """Seed 004 §4.3: some SWVs decide through a central loket; the roles of ken_toe and wijs_af follow."""
    (tmp_path / "vo-2801.yaml").write_text(
        "code: vo-2801\nname: SWV VO 28-01\nsector: vo\ncascade:\n  levels: [a, b]\ntlv:\n  besluit_door: loket\n",
        encoding="utf-8")
    registry = PathwayRegistry.builtin(profiles=load_profiles(tmp_path))
    assert {c: _roles(registry, "vo-2801", c) for c in ("ken_toe", "wijs_af")} == {
        "ken_toe": {"swv_coordinator"}, "wijs_af": {"swv_coordinator"}}
    assert _roles(registry, "standaard", "ken_toe") == {"bto"}


@pytest.mark.parametrize(("tlv", "message"), [
    ("{adviezen: {eerste: [tandarts]}}", "tlv.adviezen: Value error, eerste names unknown disciplines ['tandarts']"),
    ("{adviezen: {eerste: [arts], tweede: [maatschappelijk_werker]}}",
     "tlv.adviezen: Value error, at least one advice must be able to come from an orthopedagoog or psycholoog"),
    ("{bij_verschil: stemmen}", "tlv.bij_verschil: Input should be 'besluit_motiveren' or 'nieuw_mdo'"),
    ("{besluit_door: wethouder}", "tlv.besluit_door: Input should be 'bto', 'commissie_adviseert_directeur' or"),
    ("{looptijd: {arbeid: {months: 6}}}", "tlv: Value error, looptijd.arbeid must be whole months, at least min_"),
    ("{dossier: [{herkomst: [voorschool], bewijs: [foto]}]}", "tlv.dossier.0.bewijs.0: Input should be"),
    ("{hele_schoolperiode: [mbo]}", "tlv.hele_schoolperiode.0: Input should be"),
])
def test_a_profile_with_a_wrong_tlv_rule_is_refused_naming_the_key(tmp_path: Path, tlv: str, message: str) -> None:
    path = tmp_path / "x-1.yaml"
    path.write_text(f"code: x-1\nname: SWV X\nsector: vo\ncascade: {{levels: [a, b]}}\ntlv: {tlv}\n", encoding="utf-8")
    with pytest.raises(ProfileError) as refused:
        load_profile(path)
    assert message in str(refused.value)
