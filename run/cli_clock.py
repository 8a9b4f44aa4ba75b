"""The ``clock`` commands: show, set and advance the simulated clock of an oefenomgeving
(``LEERLINGROUTE_CLOCK=simulated``, issue 13), and then let the flows do the work that fell due.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from infra import clock as instance_clock
from infra.clock_words import ClockRefused, describe_nl, parse_instant, parse_step
from infra.settings import Settings
from run.cli_service import CLI_ACTOR, instance_service
from run.supervisor import python_module
from service import Service

clock_app = typer.Typer(help="De gesimuleerde klok van een oefenomgeving (LEERLINGROUTE_CLOCK=simulated).",
                        no_args_is_help=True)
DueWork = Annotated[bool, typer.Option(
    "--due-work/--no-due-work",
    help="Laat daarna de flows het werk doen dat verschuldigd werd (termijnen, verzuimdetectie, overzichten, "
         "meldingen, doorsturen)")]


def _simulated_service() -> Service:
    """The service of an oefenomgeving; on the real clock: say so and exit 2."""
    settings = Settings()
    if settings.clock != instance_clock.SIMULATED:
        typer.echo(instance_clock.NotSimulated().detail_nl, err=True)
        raise typer.Exit(2)
    return instance_service(settings)


@clock_app.command("show")
def clock_show() -> None:
    """Toon de gesimuleerde datum en tijd."""
    service = _simulated_service()
    typer.echo(f"Gesimuleerde klok: {describe_nl(service.now())} (Nederlandse tijd).")


@clock_app.command("set")
def clock_set(
    when: Annotated[str, typer.Argument(help="Datum (2026-12-07: het begin van die dag) of tijdstip "
                                             "(2026-12-07T09:00; zonder tijdzone Nederlandse tijd)")],
    due_work: DueWork = True,
) -> None:
    """Zet de klok op een datum of tijdstip (niet terug zodra er iets is vastgelegd; hooguit twee jaar vooruit)."""
    service = _simulated_service()
    _move_clock(lambda: service.clock.set_to(parse_instant(when), CLI_ACTOR), due_work)


@clock_app.command("advance")
def clock_advance(
    duration: Annotated[str, typer.Argument(help="7d, 2w, 3m (maanden), 1j, 12u of ISO 8601 (P7D, P1M, PT12H)")],
    due_work: DueWork = True,
) -> None:
    """Zet de klok vooruit (hooguit twee jaar in één keer)."""
    service = _simulated_service()
    _move_clock(lambda: service.clock.advance(parse_step(duration), CLI_ACTOR), due_work)


def _move_clock(move: Callable[[], instance_clock.Moved], due_work: bool) -> None:
    try:
        moved = move()
    except ClockRefused as refused:
        typer.echo(refused.detail_nl, err=True)
        raise typer.Exit(2) from refused
    was = describe_nl(moved.before) if moved.before else "nog niet gezet"
    typer.echo(f"De gesimuleerde klok staat nu op {describe_nl(moved.after)} (was: {was}).")
    if not due_work:
        return
    typer.echo("Het werk dat nu verschuldigd is, loopt via de flows:")
    sys.stdout.flush()
    done = subprocess.run(python_module("flows.clock_moved"), capture_output=True, text=True, check=False)  # noqa: S603
    typer.echo(done.stdout, nl=False)
    if done.returncode:
        typer.echo(done.stderr[-4000:], err=True)
        typer.echo("Het verschuldigde werk is niet helemaal gedaan; de geplande flows halen het in.", err=True)
        raise typer.Exit(done.returncode)
