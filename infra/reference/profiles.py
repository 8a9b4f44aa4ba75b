"""SWV profiles: one YAML file per samenwerkingsverband, validated at the edge.

A profile sets the region's cascade levels, its TLV rules, the PO-VO dates, any timer
duration per pathway, the stage norms of the weekly stalled-pathways digest and the thresholds of
thuiszitter detection (``verzuim``). A third SWV is
added by dropping a file in the profiles folder. A bad file is refused with its name, the key and
what is wrong.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.context import STANDAARD, Profile
from domain.durations import Duration
from domain.registry import PathwayRegistry
from domain.rules import tlv as tlv_rules
from domain.rules import tlv_besluit
from domain.silence import check_no_silent_stages, with_standard_norms
from domain.stalled import STAGE_NORMS
from domain.verzuim import VerzuimSettings

SHIPPED = Path(__file__).parent / "profiles"


class ProfileError(ValueError):
    """A profile file is missing, unreadable or invalid; the message names file and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Cascade(_Strict):
    levels: list[str] = Field(min_length=2)
    requiring_opp: list[str] = []
    requiring_tlv: list[str] = []
    required_before_tlv: list[str] = []

    @model_validator(mode="after")
    def _known_levels(self) -> _Cascade:
        for key in ("requiring_opp", "requiring_tlv", "required_before_tlv"):
            unknown = [lvl for lvl in getattr(self, key) if lvl not in self.levels]
            if unknown:
                msg = f"{key} names levels not in levels: {unknown}"
                raise ValueError(msg)
        return self


class _Adviezen(_Strict):
    """The disciplines allowed for the first and the second expert advice (seed 001 §4.5.4); left out: any."""

    eerste: list[str] = []
    tweede: list[str] = []

    @model_validator(mode="after")
    def _known(self) -> _Adviezen:
        for key in ("eerste", "tweede"):
            unknown = [d for d in getattr(self, key) if d not in tlv_rules.DISCIPLINES]
            if unknown:
                msg = f"{key} names unknown disciplines {unknown}; known: {list(tlv_rules.DISCIPLINES)}"
                raise ValueError(msg)
        law = set(tlv_rules.ORTHOPEDAGOOG_OF_PSYCHOLOOG)
        if self.eerste and self.tweede and law.isdisjoint(self.eerste) and law.isdisjoint(self.tweede):
            msg = "at least one advice must be able to come from an orthopedagoog or psycholoog (law)"
            raise ValueError(msg)
        return self


class _DossierRegel(_Strict):
    """Evidence a kind of request needs (first matching rule wins); an empty soort or herkomst matches all."""

    soort: list[Literal["sbo", "so", "vso", "pro"]] = []
    herkomst: list[Literal["regulier", "po_vo_overstap", "so_vso_vervolg", "voorschool"]] = []
    bewijs: list[Literal["cascade", "rto", "pro_criteria", "voorschools_knooppunt"]]


class _Tlv(_Strict):
    min_months: int = Field(default=12, ge=1, le=120)
    rto_required: bool = False
    adviezen: _Adviezen = _Adviezen()
    bij_verschil: Literal["besluit_motiveren", "nieuw_mdo"] = "besluit_motiveren"
    """When the two advices disagree: the decision is reasoned, or a new MDO is recorded first."""
    besluit_door: Literal["bto", "commissie_adviseert_directeur", "loket"] = "bto"
    """Who decides (seed 004 §4.3): the BTO; a commissie advising the SWV's director; a central loket."""
    dossier: list[_DossierRegel] = []
    """The evidence per kind of TLV and origin, before the law's defaults
    (``domain.rules.tlv_volledigheid.benodigd_bewijs``).
    """
    looptijd: dict[Literal["vervolgonderwijs", "arbeid", "dagbesteding"], dict[str, int]] = {}
    """The default duration per uitstroomprofiel (seed 001 §4.5.2); left out: the minimum."""
    hele_schoolperiode: list[Literal["sbo", "so", "vso", "pro"]] = []
    """The kinds of TLV that may run for the whole school period (seed 003)."""

    @model_validator(mode="after")
    def _looptijd(self) -> _Tlv:
        for profiel, data in self.looptijd.items():
            try:
                duration = Duration.from_data(data)
            except ValueError as error:
                msg = f"looptijd.{profiel}: {error}"
                raise ValueError(msg) from error
            if duration.months < self.min_months or duration.weeks or duration.days or duration.school_weeks:
                msg = f"looptijd.{profiel} must be whole months, at least min_months ({self.min_months})"
                raise ValueError(msg)
        return self


class _PoVoDates(_Strict):
    voorlopig_advies: date
    doorstroomtoets: date
    definitief_advies: date
    aanmelding: date


class _ProfileFile(_Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")
    name: str = Field(min_length=3)
    sector: Literal["po", "vo"]
    swv_codes: list[str] = []
    cascade: _Cascade
    tlv: _Tlv = _Tlv()
    po_vo_dates: dict[str, _PoVoDates] = {}
    durations: dict[str, dict[str, dict[str, int]]] = {}
    norms: dict[str, dict[str, dict[str, int]]] = {}
    """How long a case may stay in a stage, per pathway, before the weekly digest lists it as stalled; a stage
    left out keeps the standard norm (``domain.silence.STANDARD_NORMS``). That the pathways and stages exist
    (and are not final), and that every stage is watched by a timer or a norm, is checked where the registry
    is built (:func:`registry_of`)."""
    atw_voor_regionale_termijnen: bool = False
    """Whether the Algemene termijnenwet moves the last day of this region's own terms (regional agreements and
    profile dates) off a weekend or holiday, as it does for statutory terms (DOMAIN.md §8)."""
    schoolkalender_regio: Literal["noord", "midden", "zuid"] = "midden"
    """The holiday region whose school calendar terms in school weeks count on."""
    verzuim: dict[str, int | bool] = {}
    """The thuiszitter detection's settings (``domain.verzuim.VerzuimSettings``: dreigend_weken,
    thuiszitter_weken, meldplicht_uren, ...); what is left out keeps the legal default."""

    @field_validator("verzuim")
    @classmethod
    def _verzuim(cls, value: dict[str, int | bool]) -> dict[str, int | bool]:
        VerzuimSettings.from_data(value)  # a ValueError names the unknown or wrong setting
        return value

    @field_validator("durations", "norms")
    @classmethod
    def _durations(cls, value: dict[str, dict[str, dict[str, int]]]) -> dict[str, dict[str, dict[str, int]]]:
        for pathway, timers in value.items():
            for timer, data in timers.items():
                try:
                    Duration.from_data(data)
                except ValueError as error:
                    msg = f"{pathway}.{timer}: {error}"
                    raise ValueError(msg) from error
        return value


def load_profile(path: Path) -> Profile:
    """Read and validate one profile file."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        msg = f"{path}: cannot be read as YAML: {error}"
        raise ProfileError(msg) from error
    try:
        parsed = _ProfileFile.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in error.errors())
        msg = f"{path}: {problems}"
        raise ProfileError(msg) from error
    if parsed.code != path.stem:
        msg = f"{path}: code {parsed.code!r} must match the file name {path.stem!r}"
        raise ProfileError(msg)
    return _to_domain(parsed)


def _to_domain(parsed: _ProfileFile) -> Profile:
    durations = {p: {t: Duration.from_data(d) for t, d in timers.items()} for p, timers in parsed.durations.items()}
    settings: dict[str, Any] = {
        "sector": parsed.sector,
        "swv_codes": list(parsed.swv_codes),
        "cascade_levels": list(parsed.cascade.levels),
        "levels_requiring_opp": list(parsed.cascade.requiring_opp),
        "levels_requiring_tlv": list(parsed.cascade.requiring_tlv),
        "cascade_required_for_tlv": list(parsed.cascade.required_before_tlv),
        "tlv_min_months": parsed.tlv.min_months,
        "rto_required_for_tlv": parsed.tlv.rto_required,
        "tlv_adviezen": parsed.tlv.adviezen.model_dump(),
        "tlv_bij_verschil": parsed.tlv.bij_verschil,
        "tlv_besluit_door": parsed.tlv.besluit_door,
        "tlv_dossier": [r.model_dump() for r in parsed.tlv.dossier],
        "tlv_looptijd": {p: Duration.from_data(d) for p, d in parsed.tlv.looptijd.items()},
        "tlv_hele_schoolperiode": list(parsed.tlv.hele_schoolperiode),
        "po_vo_dates": {year: {k: v.isoformat() for k, v in d.model_dump().items()}
                        for year, d in parsed.po_vo_dates.items()},
        STAGE_NORMS: {p: {s: Duration.from_data(d) for s, d in stages.items()} for p, stages in parsed.norms.items()},
        "verzuim": dict(parsed.verzuim),
        "atw_voor_regionale_termijnen": parsed.atw_voor_regionale_termijnen,
        "schoolkalender_regio": parsed.schoolkalender_regio,
    }
    besluit = tlv_besluit.BESLUITVORMING[parsed.tlv.besluit_door]
    roles = {"tlv": {c: frozenset(r) for c, r in besluit.items()}} if parsed.tlv.besluit_door != "bto" else {}
    return with_standard_norms(Profile(parsed.code, parsed.name, durations, settings, roles))


def load_profiles(*folders: Path, standaard: Profile = STANDAARD) -> dict[str, Profile]:
    """The standard profile (with the standard stage norms) plus every ``*.yaml`` in the shipped folder and
    ``folders``.
    """
    found = {standaard.code: with_standard_norms(standaard)}
    for folder in (SHIPPED, *folders):
        for path in sorted(folder.glob("*.yaml")):
            profile = load_profile(path)
            found[profile.code] = profile
    return found


def registry_of(durations: dict[str, dict[str, Duration]], profiles: dict[str, Profile]) -> PathwayRegistry:
    """The shipped definitions with these durations and profiles, checked: every profile's durations and norms
    name what exists, and every stage a case can rest in is watched in every profile by a timer or a stage
    norm (``domain.silence.SilentStages`` names pathway, stage and profile of each that is not).
    """
    registry = PathwayRegistry.builtin(durations, profiles)
    check_no_silent_stages(registry.definitions, registry.profiles.values())
    return registry
