"""The demo: a demo SWV with its schools and pupils, and OPP cases through a simulated year.

Time moves by passing instants: the year runs from a year ago to today, a day at a time,
and each day the due timers fire through the same handler the flows use. "Today" is the instance's
clock: in an oefenomgeving (what ``leerlingroute demo`` makes of a new database) the simulated one, which
then runs on from where the year ended. Schools act at
different paces; some stall, and the engine flags their OPPs as too late.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from domain.case import Actor, Command
from domain.durations import NL
from domain.errors import DomainError
from domain.handlers import NewCase
from infra.logging import configure_logging
from service import Service

PACES = {"vlot": 2.0, "gemiddeld": 1.0, "traag": 0.4, "stil": 0.02}
"""Chance per week that a school takes the next step on a pupil's OPP."""
DAYS = 365
DEMO_PROFILE = "vo-31-02"
"""The demo region is SWV VO 31-02: its cases run under that SWV's profile."""


@dataclass
class DemoPupil:
    """A pseudonymous pupil of a demo school, with the day extra support starts."""

    id: str
    school_brin: str
    starts_on: date
    pace: str
    case_id: str | None = None
    versie: int = 0
    closed: bool = False


@dataclass
class DemoSummary:
    """What the simulated year produced."""

    swv: str
    schools: int
    pupils: int
    commands: int = 0
    refused: int = 0
    timers_fired: int = 0
    relayed: int | None = None
    stages: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)


def load_demo_region() -> dict[str, Any]:
    """The demo SWV and its schools (``run/demo_region.json``)."""
    text = resources.files("run").joinpath("demo_region.json").read_text(encoding="utf-8")
    found: dict[str, Any] = json.loads(text)
    return found


def run_demo(service: Service, pupils: int, seed: int, *, relay: bool, console: Console | None = None) -> DemoSummary:
    """Simulate the year, print progress and a summary, and return the summary."""
    console = console or Console()
    configure_logging(logging.WARNING)
    region = load_demo_region()
    rng = random.Random(seed)
    first_day = service.now().astimezone(NL).date() - timedelta(days=DAYS)
    roster = [DemoPupil(f"demo-{seed}-{i:04d}", rng.choice(region["schools"])["brin"],
                        first_day + timedelta(days=rng.randint(-330, DAYS - 60)),
                        rng.choices(list(PACES), weights=[3, 4, 2, 1])[0]) for i in range(pupils)]
    summary = DemoSummary(region["swv"]["name"], len(region["schools"]), pupils)
    with Progress(console=console) as progress:
        task = progress.add_task("Gesimuleerd jaar", total=DAYS)
        for offset in range(DAYS + 1):
            _simulate_day(service, roster, first_day + timedelta(days=offset), rng, summary)
            progress.advance(task)
    if relay:
        from infra.delivery.prefect_events import emit_to_prefect  # noqa: PLC0415 - importing prefect is slow

        summary.relayed = service.relay(emit_to_prefect, datetime.now(UTC))  # Prefect lives in real time
    summary.stages, summary.events = service.stage_counts("opp"), service.event_counts("opp")
    _print(console, service, summary)
    return summary


def _simulate_day(service: Service, roster: list[DemoPupil], day: date, rng: random.Random,
                  summary: DemoSummary) -> None:
    now = min(datetime.combine(day, time(16), NL), service.now())
    for pupil in roster:
        if pupil.closed or pupil.starts_on > day:
            continue
        if pupil.case_id is None:
            _open(service, pupil, now, summary)
        elif rng.random() < PACES[pupil.pace] / 7:
            _next_step(service, pupil, now, rng, summary)
    summary.timers_fired += service.fire_due_timers(now).fired


def _open(service: Service, pupil: DemoPupil, now: datetime, summary: DemoSummary) -> None:
    """Open the pupil's OPP; one that began before the simulated year is recorded after the fact,
    with each step's real date as its occurred_at.
    """
    began = datetime.combine(pupil.starts_on, time(10), NL)
    backlog = began + timedelta(days=14) < now
    command = Command("start_opp", _actor(pupil), {"extra_ondersteuning_sinds": pupil.starts_on.isoformat()},
                      began if backlog else None)
    new = NewCase("opp", pupil.school_brin, pupil.id, DEMO_PROFILE)
    pupil.case_id = service.open_case(new, command, now).case_id
    summary.commands += 1
    if backlog:
        pupil.versie = 1
        steps = [("leg_handelingsdeel_voor", {}, 7),
                 ("registreer_instemming", {"gegeven_door": "ouders", "handelingsdeel_versie": 1}, 14),
                 ("stel_in_werking", {}, 14)]
        for name, payload, days in steps:
            service.handle(pupil.case_id, Command(name, _actor(pupil), payload, began + timedelta(days=days)), now)
            summary.commands += 1


def _next_step(service: Service, pupil: DemoPupil, now: datetime, rng: random.Random, summary: DemoSummary) -> None:
    assert pupil.case_id is not None  # noqa: S101 - only opened pupils take steps
    stage = service.status(pupil.case_id, now).stage
    for name, chosen in _choose(stage, rng):
        payload = dict(chosen)
        if name == "registreer_instemming":  # for the version presented last, as parents see it
            payload["handelingsdeel_versie"] = pupil.versie
        try:
            service.handle(pupil.case_id, Command(name, _actor(pupil), payload), now)
            summary.commands += 1
        except DomainError:
            summary.refused += 1
            return
        pupil.versie += name in {"leg_handelingsdeel_voor", "stel_bij"}
        pupil.closed = name == "sluit_af"


def _choose(stage: str, rng: random.Random) -> list[tuple[str, dict[str, object]]]:
    """What a school does next in ``stage`` (the zorgcoördinator's usual choices)."""
    agree: list[tuple[str, dict[str, object]]] = [("registreer_instemming", {"gegeven_door": "ouders"}),
                                                  ("stel_in_werking", {})]
    roll = rng.random()
    steps: dict[str, list[tuple[str, dict[str, object]]]] = {
        "concept": [("leg_handelingsdeel_voor", {})],
        "wacht_op_instemming": agree if roll < 0.85 else [("weiger_instemming", {})],  # noqa: PLR2004
        "in_werking": [("registreer_evaluatie", {"met_ouders_besproken": True})] if roll < 0.03 else [],  # noqa: PLR2004
        "evaluatie_verschuldigd": [("registreer_evaluatie", {"met_ouders_besproken": True})],
        "geevalueerd": [("continueer", {})] if roll < 0.6 else [("stel_bij", {})] if roll < 0.9  # noqa: PLR2004
        else [("sluit_af", {"reden": "doelen_bereikt"})],
        "bijgesteld": [("leg_handelingsdeel_voor", {}), *agree] if roll < 0.2 else agree,  # noqa: PLR2004
    }
    return steps.get(stage, [])


def _actor(pupil: DemoPupil) -> Actor:
    return Actor("zorgcoordinator", f"zc-{pupil.school_brin.lower()}")


def _print(console: Console, service: Service, summary: DemoSummary) -> None:
    definition = service.registry.get("opp")
    table = Table(title=f"OPP's in {summary.swv} na een gesimuleerd jaar")
    table.add_column("Fase")
    table.add_column("Aantal", justify="right")
    for name, stage in definition.stages.items():
        table.add_row(stage.label, str(summary.stages.get(name, 0)))
    console.print(table)
    console.print(f"Scholen: {summary.schools}, leerlingen met een OPP: {summary.pupils}, "
                  f"opdrachten verwerkt: {summary.commands}, geweigerd: {summary.refused}, "
                  f"termijnen afgegaan: {summary.timers_fired}")
    console.print(f"OPP's te laat (niet binnen de termijn in werking): {summary.events.get('opp_te_laat', 0)}; "
                  f"evaluaties nu verschuldigd: {summary.stages.get('evaluatie_verschuldigd', 0)}")
    relayed = ("niet doorgestuurd: geen Prefect-server (PREFECT_API_URL); `leerlingroute serve` doet het"
               if summary.relayed is None else str(summary.relayed))
    console.print(f"Gebeurtenissen naar Prefect: {relayed}")
