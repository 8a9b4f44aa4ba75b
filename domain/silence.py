"""The silence check (issue 14 §3): nothing falls between pathways without someone hearing of it.

Statically, when the definitions are loaded with the profiles: every stage a case can rest in (not final)
is watched, by a timer that starts on entering it or by a stage norm in the profile (the weekly digest and
the monitor list a case over its norm as stalled). A stage watched by neither fails loading, naming
pathway, stage and profile. A timer marked ``once`` does not watch its stage: a case that re-enters the
stage does not start it again.

At run time, over all active data, four invariants (DOMAIN.md §3, seed 003: "a TLV must never silently
lapse"):

- every pupil with an active TLV (definitief or geplaatst, its einddatum not passed) has a herbeoordeling
  that is not closed and has a running timer (a deadline), or one opened since the TLV request that reached its
  outcome (extend, back to regular education, lighter support, or closed for a stated reason);
- every pupil at a cascade level that needs an OPP (the profile's ``levels_requiring_opp``) has an OPP in
  force (in werking or a later stage that is not final) or a running OPP term;
- every open thuiszitter episode of the register has a thuiszitter case that is not closed;
- every active case sits in a stage with a running timer or a norm in its profile.

Each violation names the case or episode, the pupil (pseudonymous id), the school, the profile, a Dutch
description and the command(s) that fix it. The rules here are pure; ``infra.views.silence`` finds the rows.

A profile that sets no norm for a stage gets the standard norm (``STANDARD_NORMS``), as a profile that sets
no verzuim threshold keeps the legal one: a region sets what it agreed and is never silently unwatched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from domain.context import Profile
from domain.definition import PathwayDefinition
from domain.durations import Duration
from domain.roles import SYSTEEM
from domain.stalled import STAGE_NORMS, stage_norms
from domain.terms import datum

if TYPE_CHECKING:
    from domain.registry import PathwayRegistry

TLV_ZONDER_HERBEOORDELING = "tlv_zonder_herbeoordeling"
OPP_ONTBREEKT = "opp_ontbreekt"
THUISZITTER_ZONDER_DOSSIER = "thuiszitter_zonder_dossier"
STIL_DOSSIER = "stil_dossier"
KINDS: Mapping[str, str] = {
    TLV_ZONDER_HERBEOORDELING: "TLV zonder lopende herbeoordeling",
    OPP_ONTBREEKT: "Ondersteuningsniveau met OPP, maar geen OPP",
    THUISZITTER_ZONDER_DOSSIER: "Thuiszitter zonder dossier",
    STIL_DOSSIER: "Dossier zonder termijn of norm",
}
"""The kinds of violation, in the order they are listed, with their Dutch names."""

ACTIVE_TLV_STAGES = ("definitief", "geplaatst")
"""The TLV stages in which a granted TLV runs until its einddatum."""
OPP_IN_FORCE_STAGES = ("in_werking", "evaluatie_verschuldigd", "geevalueerd", "bijgesteld")
"""The OPP stages from 'in werking' on that are not final: the pupil has an OPP in force."""
OPP_TERM = "opp_termijn"
"""The OPP's timer: set within 6 weeks of the start of extra support (law)."""
CASCADE_ACTIVE = "actief"

STANDARD_NORMS: Mapping[str, Mapping[str, Duration]] = {
    # a pupil's support level is looked at again with the OPP's yearly evaluation (law: at least yearly)
    "cascade": {"actief": Duration(months=12)},
    # the herbeoordeling starts 6 months before the TLV's einddatum; its outcome is due by then (seed 001 §4.5.3)
    "herbeoordeling": {"loopt": Duration(months=6)},
    # a knooppunt held on time: within the 4 weeks of knooppunt_termijn (seeds 000, 002)
    "knooppunt": {"gepland": Duration(weeks=4)},
    # the OPP in force within 6 weeks (law); the parents' instemming within 4 weeks (the regions' norm);
    # an evaluation that is due held within 6 weeks; after it, continue or adjust within 4 weeks
    "opp": {"wacht_op_instemming": Duration(weeks=4), "evaluatie_verschuldigd": Duration(weeks=6),
            "geevalueerd": Duration(weeks=4), "bijgesteld": Duration(weeks=6)},
    # the national PO-VO timeline (OCW; DOMAIN.md §3): voorlopig advies end of January, definitief advies by
    # 24 March (8 weeks), aanmelding within a week after it (2 weeks); placement in the summer after the
    # warme overdracht (3 months); the bestendiging checked within 6 weeks of the start of the check
    "po_vo_overstap": {"voorlopig_advies": Duration(weeks=8), "toets_gemaakt": Duration(weeks=8),
                       "definitief_advies": Duration(weeks=2), "overgedragen": Duration(months=3),
                       "bestendigingscheck": Duration(weeks=6)},
    # an RTO held within the 4 weeks of rto_termijn (seed 001 §4.5.2)
    "rto": {"gepland": Duration(weeks=4)},
    # a signal discussed within 2 weeks (signaal_termijn); followed up within 4 weeks, closed within 6
    "signalering": {"besproken": Duration(weeks=4), "opgevolgd": Duration(weeks=6)},
    # a terugplaatsing is reconsidered in the next knooppunt (seeds 000, 002): within 3 months
    "terugplaatsing": {"voorbereid": Duration(months=3)},
    # the actietafel discusses every thuiszitter 5 times a year (seed 001 §4.7): a plan is looked at within
    # 8 weeks, a discussed thuiszitter within 4 (the regions' norm)
    "thuiszitter": {"besproken": Duration(weeks=4), "plan": Duration(weeks=8)},
    # a TLV request decided within 8 weeks of receipt (Awb 4:13); the LBC's advice before the bezwaar decision
    # (12 weeks, Awb 7:10); a TLV that is final placed within 6 weeks (seed 004: advice within 6 weeks)
    "tlv": {"aangevraagd": Duration(weeks=8), "lbc_advies_gevraagd": Duration(weeks=12),
            "definitief": Duration(weeks=6)},
    # VSO -> VO: an orientation phase of 5 months (seed 001 §4.5.3), then a transfer before the placement
    # (2 months), and the follow-up of success within half a year
    "vso_vo_overstap": {"orientatie": Duration(months=5), "overdracht": Duration(months=2),
                        "nazorg": Duration(months=6)},
    # the SWV's binding conclusion ("doorzettingsmacht", seed 001 §9.3) within the 6 weeks of zorgplicht (law)
    "zorgplicht": {"bij_swv": Duration(weeks=6)},
}
"""The standard profile's stage norms, and every profile's norm for a stage it sets none for: only the stages
no timer watches (a stage with a timer keeps its deadline; the standard profile adds no norm there)."""


def with_standard_norms(profile: Profile, standard: Mapping[str, Mapping[str, Duration]] = STANDARD_NORMS,
                        ) -> Profile:
    """``profile`` with the standard norm for every stage it sets none for."""
    own = stage_norms(profile)
    merged = {p: {**standard.get(p, {}), **own.get(p, {})} for p in {*standard, *own}}
    return replace(profile, settings={**profile.settings, STAGE_NORMS: merged})


# --- the static check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SilentStage:
    """A stage that nothing watches in a profile: no timer starts on entering it and the profile sets no norm."""

    pathway: str
    version: int
    stage: str
    profile: str


class SilentStages(ValueError):
    """Loading the definitions with the profiles found stages nothing watches; the message names each."""

    def __init__(self, found: Iterable[SilentStage]) -> None:
        self.found = tuple(found)
        listed = "; ".join(f"pathway {s.pathway!r} (v{s.version}) stage {s.stage!r} in profile {s.profile!r}"
                           for s in self.found)
        super().__init__(f"a case could rest unwatched (no timer starts on the stage and the profile sets no stage "
                         f"norm): {listed}. Add a timer to the stage or a norm under norms.<pathway>.<stage> in "
                         f"the profile (the standard profile's: domain.silence.STANDARD_NORMS)")


def watching_timers(definition: PathwayDefinition, stage: str) -> list[str]:
    """The timers that start on entering ``stage`` each time a case enters it (not ``once``)."""
    return [t.name for t in definition.timers if t.starts_on == stage and not t.once]


def unwatched_by_timers(definition: PathwayDefinition) -> list[str]:
    """The stages of ``definition`` that are not final and on which no timer starts."""
    return [name for name, stage in definition.stages.items()
            if not stage.final and not watching_timers(definition, name)]


def silent_stages(definitions: Mapping[tuple[str, int], PathwayDefinition], profiles: Iterable[Profile],
                  ) -> list[SilentStage]:
    """Per profile, every stage (of every version) watched by neither a timer nor the profile's norm."""
    found = []
    for profile in profiles:
        norms = stage_norms(profile)
        for (pathway, version), definition in sorted(definitions.items()):
            found += [SilentStage(pathway, version, stage, profile.code) for stage in unwatched_by_timers(definition)
                      if stage not in norms.get(pathway, {})]
    return found


def check_no_silent_stages(definitions: Mapping[tuple[str, int], PathwayDefinition],
                           profiles: Iterable[Profile]) -> None:
    """Raise SilentStages naming pathway, stage and profile of every stage nothing watches."""
    found = silent_stages(definitions, profiles)
    if found:
        raise SilentStages(found)


def unnormed_stages(definitions: Mapping[tuple[str, int], PathwayDefinition], profile: Profile,
                    ) -> dict[str, set[str]]:
    """Per pathway, the stages (not final, any version) without a norm in ``profile``: a case there is watched
    only while one of its timers runs.
    """
    norms = stage_norms(profile)
    found: dict[str, set[str]] = {}
    for (pathway, _), definition in definitions.items():
        stages = {n for n, s in definition.stages.items() if not s.final and n not in norms.get(pathway, {})}
        if stages:
            found.setdefault(pathway, set()).update(stages)
    return found


def final_stages(definitions: Mapping[tuple[str, int], PathwayDefinition], pathway: str) -> set[str]:
    """The final stages of ``pathway`` in any version."""
    return {n for (p, _), d in definitions.items() if p == pathway for n, s in d.stages.items() if s.final}


def episode_kinds_with_case(registry: PathwayRegistry) -> tuple[str, ...]:
    """The register's episode kinds a thuiszitter case is opened for: the kinds its start command takes
    (relatief and absoluut verzuim; an exempted pupil, or a hidden thuiszitter at home with permission, is in
    the register without one).
    """
    soort = registry.get("thuiszitter").start.fields.get("soort")
    return soort.choices if soort is not None else ()


def levels_requiring_opp(profile: Profile) -> list[str]:
    """The cascade levels at which the profile requires an OPP (``levels_requiring_opp``)."""
    return [str(level) for level in profile.setting("levels_requiring_opp") or ()]


# --- the invariants at run time --------------------------------------------------------------------


@dataclass(frozen=True)
class Fix:
    """A command that ends a violation: on ``case_id``, or opening a case on ``pathway`` (case_id None)."""

    command: str
    label: str
    pathway: str
    case_id: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Violation:
    """One place where something falls silent."""

    kind: str
    description: str
    pupil_id: str
    profile: str
    school_brin: str | None
    case_id: str | None
    fixes: tuple[Fix, ...]

    @property
    def kind_label(self) -> str:
        """The kind's Dutch name."""
        return KINDS[self.kind]


@dataclass(frozen=True)
class ActiveTlv:
    """A granted TLV that runs (definitief or geplaatst) up to and including ``einddatum``."""

    case_id: str
    pupil_id: str
    school_brin: str
    profile: str
    einddatum: date


@dataclass(frozen=True)
class LevelNeedingOpp:
    """A pupil's cascade case at a level that needs an OPP in its profile."""

    case_id: str
    pupil_id: str
    school_brin: str
    profile: str
    niveau: str


@dataclass(frozen=True)
class OpenEpisode:
    """An open episode of the thuiszitter register (relatief or absoluut verzuim)."""

    episode_id: int
    pupil_id: str
    kind: str
    first_day: date
    school_brin: str | None
    profile: str


@dataclass(frozen=True)
class RestingCase:
    """An active case without a running timer in a stage its profile sets no norm for."""

    case_id: str
    pupil_id: str
    school_brin: str
    profile: str
    pathway: str
    version: int
    stage: str


def tlv_runs_on(einddatum: date, today: date) -> bool:
    """A TLV runs through its einddatum (the last day of the TLV)."""
    return einddatum >= today


def tlv_without_herbeoordeling(tlv: ActiveTlv, registry: PathwayRegistry) -> Violation:
    """An active TLV whose herbeoordeling is not running: plan it with the TLV's einddatum."""
    start = registry.get("herbeoordeling").start
    fix = Fix(start.command, start.label, "herbeoordeling", None,
              {"einddatum": tlv.einddatum.isoformat(), "tlv_dossier": tlv.case_id})
    return Violation(TLV_ZONDER_HERBEOORDELING,
                     f"De TLV loopt tot en met {datum(tlv.einddatum)}, maar er loopt geen herbeoordeling met een "
                     f"termijn: zonder herbeoordeling verloopt de TLV stil.",
                     tlv.pupil_id, tlv.profile, tlv.school_brin, tlv.case_id, (fix,))


def level_without_opp(level: LevelNeedingOpp, registry: PathwayRegistry) -> Violation:
    """A cascade level that needs an OPP while the pupil has none in force and no OPP term runs: start one."""
    start = registry.get("opp").start
    return Violation(OPP_ONTBREEKT,
                     f"De leerling heeft ondersteuningsniveau {level.niveau}; daarbij hoort een OPP, maar er is geen "
                     f"OPP in werking en er loopt geen OPP-termijn.",
                     level.pupil_id, level.profile, level.school_brin, level.case_id,
                     (Fix(start.command, start.label, "opp"),))


def episode_without_case(episode: OpenEpisode, registry: PathwayRegistry) -> Violation:
    """An open thuiszitter episode without an open thuiszitter case: report the thuiszitter."""
    start = registry.get("thuiszitter").start
    fix = Fix(start.command, start.label, "thuiszitter", None,
              {"soort": episode.kind, "sinds": episode.first_day.isoformat()})
    return Violation(THUISZITTER_ZONDER_DOSSIER,
                     f"De leerling staat sinds {datum(episode.first_day)} in het thuiszitterregister "
                     f"({episode.kind} verzuim), maar heeft geen lopend thuiszitterdossier.",
                     episode.pupil_id, episode.profile, episode.school_brin, None, (fix,))


def resting_case(case: RestingCase, registry: PathwayRegistry) -> Violation:
    """An active case that no timer and no norm watches: one of the stage's next steps ends it."""
    definition = registry.get(case.pathway, case.version)
    stage = definition.stages[case.stage].label if case.stage in definition.stages else case.stage
    fixes = tuple(Fix(t.command, t.label, case.pathway, case.case_id) for t in definition.commands_from(case.stage)
                  if t.roles - {SYSTEEM})
    return Violation(STIL_DOSSIER,
                     f"Het dossier staat in de fase '{stage}' zonder lopende termijn, en het profiel heeft voor "
                     f"die fase geen norm: niemand hoort ervan als er niets gebeurt.",
                     case.pupil_id, case.profile, case.school_brin, case.case_id, fixes)
