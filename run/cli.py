"""The one console script, ``leerlingroute``. Messages meant for coordinators are Dutch.

The ``users`` and ``audit`` commands are in :mod:`run.cli_identity`, the ``clock`` commands in :mod:`run.cli_clock`,
and what the commands share (the actor, the peilmoment, the service on the instance's clock) in
:mod:`run.cli_service`; all are registered here, on the one app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from domain import handlers
from domain.describe import as_data
from domain.errors import DomainError
from infra import clock as instance_clock
from infra.clock_words import describe_nl
from infra.logging import configure_logging
from infra.settings import Settings
from infra.store import migrate
from run import docs as pathway_docs
from run.cli_clock import clock_app
from run.cli_identity import audit_app, users, warn_about_checkpoint_folder
from run.cli_service import CLI_ACTOR, AsOf, instance_service, peilmoment
from run.supervisor import Supervisor, child_env, prefect_env, python_module, wait_healthy
from service import Service

app = typer.Typer(help="Leerlingroute: ondersteuningsroutes van leerlingen in passend onderwijs.",
                  no_args_is_help=True)
db = typer.Typer(help="Database.", no_args_is_help=True)
app.add_typer(db, name="db")
definitions = typer.Typer(help="Routedefinities.", invoke_without_command=True)
app.add_typer(definitions, name="definitions")
app.add_typer(users, name="users")
app.add_typer(audit_app, name="audit")

MAX_HEADER_BYTES = 16 * 1024
"""uvicorn (h11): a request line plus headers larger than this is refused with 400 before the app sees it."""
GRACEFUL_SHUTDOWN_S = 10
"""On Ctrl-C, uvicorn waits this long for open requests (event streams stay open for minutes), then stops."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Breng de database naar de nieuwste versie (Alembic-migraties)."""
    settings = Settings()
    migrate.upgrade(settings.url)
    typer.echo(f"Database bijgewerkt: {_safe(settings.url)}")


@definitions.callback()
def show_definitions(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Alles als JSON (ISO 8601-termijnen)")] = False,
    profile: Annotated[str, typer.Option(help="Profiel van het samenwerkingsverband")] = "standaard",
) -> None:
    """Toon elke route (fasen, overgangen, voorwaarden, termijnen, rollen) voor een profiel."""
    if ctx.invoked_subcommand is not None:
        return
    registry = Service.from_settings().registry
    try:
        described = [as_data(registry.for_profile(d.pathway, d.version, profile), profile)
                     for d in registry.latest()]
    except DomainError as error:
        typer.echo(error.detail_nl, err=True)
        raise typer.Exit(2) from error
    if as_json:
        typer.echo(json.dumps(described, ensure_ascii=False, indent=2))
        return
    for d in described:
        typer.echo(f"{d['pathway']} v{d['version']}: {d['title']} — {len(d['stages'])} fasen, "
                   f"{len(d['transitions'])} overgangen, {len(d['timers'])} termijnen")


@definitions.command("migrate")
def migrate_definitions(
    pathway: Annotated[str, typer.Option(help="Route, bijvoorbeeld opp")],
    to: Annotated[int, typer.Option("--to", help="Doelversie")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Alleen laten zien wat er zou veranderen")] = False,
) -> None:
    """Zet lopende dossiers over naar een nieuwere versie van een route (eerst met --dry-run)."""
    configure_logging()
    service = instance_service()
    try:
        service.registry.get(pathway, to)
        with service.unit_of_work() as uow:
            steps = handlers.migrate_cases(uow, service.registry, pathway, to, CLI_ACTOR, service.now(),
                                           dry_run=dry_run)
    except DomainError as error:
        typer.echo(error.detail_nl, err=True)
        raise typer.Exit(2) from error
    for step in steps:
        verdict = "gaat over" if step.movable else "blijft staan: " + "; ".join(step.problems)
        changes = [f"termijnen vervallen: {', '.join(step.timers_ending)}"] if step.timers_ending else []
        changes += [f"vervallen opdrachten: {', '.join(step.commands_gone)}"] if step.commands_gone else []
        changes += [f"nieuwe opdrachten: {', '.join(step.commands_new)}"] if step.commands_new else []
        typer.echo(f"{step.case_id} ({step.stage}, v{step.from_version} → v{step.to_version}): {verdict}"
                   + (f" [{'; '.join(changes)}]" if changes else ""))
    moved = sum(s.movable for s in steps)
    mode = "zouden overgaan (proefrun, niets gewijzigd)" if dry_run else "overgezet"
    typer.echo(f"{moved} van {len(steps)} dossiers {mode}.")


@app.command("docs")
def docs(
    check: Annotated[bool, typer.Option("--check", help="Alleen controleren of docs/ bij is")] = False,
) -> None:
    """Genereer docs/pathways/ (een Mermaid-diagram per route) uit de definities."""
    registry = Service.from_settings().registry
    if check:
        stale = pathway_docs.stale(registry)
        if stale:
            typer.echo(f"docs/pathways loopt achter op de definities: {', '.join(stale)}; draai `leerlingroute docs`.",
                       err=True)
            raise typer.Exit(1)
        typer.echo("docs/pathways is bij.")
        return
    typer.echo("Geschreven: " + ", ".join(pathway_docs.write(registry)))


@app.command("api")
def run_api() -> None:
    """Start alleen de API (uvicorn)."""
    import uvicorn  # noqa: PLC0415 - only this command needs it

    settings = Settings()
    uvicorn.run("api.app:create_app", factory=True, host=settings.api_host, port=settings.api_port,
                log_level="warning", limit_concurrency=settings.api_limit_concurrency,
                timeout_keep_alive=settings.api_timeout_keep_alive_s,
                h11_max_incomplete_event_size=MAX_HEADER_BYTES, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S)


@app.command("fire-timers")
def fire_timers(as_of: AsOf = None) -> None:
    """Laat alle termijnen aflopen die op het peilmoment verstreken zijn (standaard: nu, in een oefenomgeving de
    gesimuleerde klok).
    """
    configure_logging()
    service = instance_service()
    typer.echo("Verstreken termijnen worden nagelopen...")
    sys.stdout.flush()
    report = service.fire_due_timers(peilmoment(as_of, service.now()))
    typer.echo(f"Termijnen afgegaan: {report.fired}, geweigerd: {report.refused}")


@app.command("relay")
def relay() -> None:
    """Stuur wachtende gebeurtenissen uit de outbox door naar Prefect."""
    from infra.delivery.prefect_events import emit_to_prefect  # noqa: PLC0415 - importing prefect is slow

    configure_logging()
    settings = Settings()
    migrate.upgrade(settings.url)
    count = Service.from_settings(settings).relay(emit_to_prefect, datetime.now(UTC))  # Prefect lives in real time
    typer.echo(f"Gebeurtenissen doorgestuurd: {count}")


@app.command("demo")
def demo(
    pupils: Annotated[int, typer.Option(min=1, help="Aantal leerlingen met een OPP")] = 300,
    seed: Annotated[int, typer.Option(help="Startwaarde van het toeval (zelfde waarde, zelfde jaar)")] = 2026,
) -> None:
    """Maak een demo-samenwerkingsverband en laat OPP's een gesimuleerd jaar doorlopen."""
    from run.demo import load_demo_region, run_demo  # noqa: PLC0415 - only this command needs it
    from run.demo_people import WARNING, make_demo_people, write_accounts_file  # noqa: PLC0415
    from run.demo_verzuim import PUPILS as DEMO_ABSENT  # noqa: PLC0415
    from run.demo_verzuim import seed_demo_verzuim  # noqa: PLC0415

    settings = demo_settings(Settings())
    service = instance_service(settings)
    if service.clock.simulated:
        typer.echo(f"Oefenomgeving (LEERLINGROUTE_CLOCK=simulated): de demo loopt tot de gesimuleerde datum "
                   f"{describe_nl(service.now())}.")
    run_demo(service, pupils, seed, relay=bool(os.environ.get("PREFECT_API_URL")))
    alerts = seed_demo_verzuim(service, load_demo_region(), service.now())
    typer.echo(f"Verzuim: {len(DEMO_ABSENT)} leerlingen met verzuim, {alerts} meldingen (thuiszitters, dreigend, "
               "meldplicht) voor leerplicht, school en samenwerkingsverband")
    people = make_demo_people(service, datetime.now(UTC))  # accounts live on the wall clock
    if people:
        typer.echo("\nDemo-accounts voor de webpagina's (/inloggen); wachtwoord en TOTP-sleutel worden alleen nu "
                   "getoond (zet de sleutel in een authenticator-app):")
        for person in people:
            typer.echo(f"  {person.name:<22} {person.role:<16} wachtwoord {person.password}  "
                       f"TOTP-sleutel {person.totp_secret}")
        saved = write_accounts_file(settings.data_dir, people)
        typer.echo(f"Ook bewaard in {saved} (alleen voor u leesbaar).")
        typer.secho(f"\n{WARNING}\n", fg=typer.colors.RED, bold=True, err=True)


@app.command("deploy")
def deploy() -> None:
    """Registreer de flows uit prefect.yaml bij de Prefect-server van PREFECT_API_URL, in hun werkpool."""
    if not os.environ.get("PREFECT_API_URL"):
        typer.echo("PREFECT_API_URL is niet gezet: geef het adres van de Prefect-server.", err=True)
        raise typer.Exit(2)
    raise typer.Exit(subprocess.call(python_module("flows.register")))  # noqa: S603


@app.command("serve")
def serve(
    demo_data: Annotated[bool, typer.Option("--demo/--no-demo",
                                            help="Vul een lege database met de demo (alleen op verzoek)")] = False,
) -> None:
    """Start alles: Prefect-server (tenzij PREFECT_API_URL gezet is), API en de geplande flows."""
    settings = demo_settings(Settings()) if demo_data else Settings()
    extra = {} if os.environ.get("PREFECT_API_URL") else prefect_env(settings)
    os.environ.update(extra)
    supervisor = Supervisor(child_env(extra), typer.echo)
    supervisor.handle_signals()
    try:
        _start_everything(supervisor, settings, extra, demo_data=demo_data)
    except RuntimeError as error:
        typer.echo(f"Starten mislukt: {error}", err=True)
        supervisor.stop_all()
        raise typer.Exit(1) from error
    raise typer.Exit(supervisor.watch())


def _start_everything(supervisor: Supervisor, settings: Settings, extra: dict[str, str], *, demo_data: bool) -> None:
    if extra:
        log = settings.data_dir / "prefect-server.log"
        typer.echo(f"Lokale Prefect-server starten (uitvoer in {log})...")
        supervisor.start("prefect-server", python_module("prefect", "server", "start", "--host", "127.0.0.1",
                                                          "--port", str(settings.prefect_port)), log=log)
        server = supervisor.children[-1][1]
        wait_healthy(f"{extra['PREFECT_API_URL']}/health", 180, lambda: server.poll() is None)
    migrate.upgrade(settings.url)
    instance = Service.from_settings(settings)
    instance.clock.check()  # ClockMismatch (a RuntimeError): do not start
    seed_demo_if_asked(settings, demo_data=demo_data)
    warn_about_checkpoint_folder(settings)
    if instance.clock.simulated:
        typer.secho(f"Oefenomgeving: gesimuleerde klok op {describe_nl(instance.now())}; verzet hem "
                    "met `LEERLINGROUTE_CLOCK=simulated leerlingroute clock advance 7d`.", fg=typer.colors.YELLOW,
                    bold=True)
    supervisor.start("api", python_module("uvicorn", "api.app:create_app", "--factory", "--host",
                                          settings.api_host, "--port", str(settings.api_port), "--log-level",
                                          "warning", *_uvicorn_limits(settings)))
    supervisor.start("flows", python_module("flows.serve"), log=settings.data_dir / "flows.log")
    api = supervisor.children[-2][1]
    wait_healthy(f"http://{settings.api_host}:{settings.api_port}/health", 60, lambda: api.poll() is None)
    prefect_ui = os.environ["PREFECT_API_URL"].removesuffix("/api")
    typer.echo(f"\nLeerlingroute draait.\n  Webpagina's:      http://{settings.api_host}:{settings.api_port}/\n"
               f"  API-documentatie: http://{settings.api_host}:{settings.api_port}/docs\n"
               f"  Prefect UI:       {prefect_ui}\n"
               f"  Logboeken:        {settings.data_dir.resolve()} (prefect-server.log, flows.log)\n"
               f"{_accounts_line(settings)}Stoppen: Ctrl-C\n")


def _accounts_line(settings: Settings) -> str:
    """Where the demo's accounts are written down, while that file exists."""
    from run.demo_people import ACCOUNTS_FILE  # noqa: PLC0415 - only the demo writes it

    path = settings.data_dir / ACCOUNTS_FILE
    return f"  Demo-accounts:    {path.resolve()} (wachtwoorden en TOTP-sleutels)\n" if path.exists() else ""


def demo_settings(settings: Settings) -> Settings:
    """The settings of a demo: an oefenomgeving (simulated clock) unless LEERLINGROUTE_CLOCK says otherwise or the
    database already ran on the real clock (then it keeps running so, as before). The choice goes into this
    process's environment, so that the API and the flows ``serve`` starts run on the same clock.
    """
    if "clock" in settings.model_fields_set or settings.clock == instance_clock.SIMULATED:
        return settings
    migrate.upgrade(settings.url)
    engine = Service.from_settings(settings).engine
    try:
        with engine.connect() as conn:
            simulated = instance_clock.read(conn) is not None or not instance_clock.has_history(conn)
    finally:
        engine.dispose()
    if not simulated:
        return settings
    os.environ["LEERLINGROUTE_CLOCK"] = instance_clock.SIMULATED
    return settings.model_copy(update={"clock": instance_clock.SIMULATED})


def seed_demo_if_asked(settings: Settings, *, demo_data: bool) -> None:
    """Fill an empty database with the demo only when asked (``--demo``); warn loudly whenever the database
    holds the demo's accounts, also on a later start.
    """
    from run.demo_people import WARNING, has_demo_people  # noqa: PLC0415 - only the demo needs it

    if demo_data and _empty(settings):
        demo(pupils=300, seed=2026)
    elif has_demo_people(Service.from_settings(settings).engine):
        typer.secho(f"\n{WARNING}\n", fg=typer.colors.RED, bold=True, err=True)


def _uvicorn_limits(settings: Settings) -> list[str]:
    """The limits of ``run_api`` as uvicorn's command-line options."""
    return ["--limit-concurrency", str(settings.api_limit_concurrency), "--timeout-keep-alive",
            str(settings.api_timeout_keep_alive_s), "--h11-max-incomplete-event-size", str(MAX_HEADER_BYTES),
            "--timeout-graceful-shutdown", str(GRACEFUL_SHUTDOWN_S)]


def _empty(settings: Settings) -> bool:
    return not Service.from_settings(settings).stage_counts("opp")


def _safe(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    return make_url(url).render_as_string(hide_password=True)


# --- thuiszitters (issue 6) ----------------------------------------------------------------------------------------

thuiszitters = typer.Typer(help="Thuiszitters: verzuimdetectie en het kwartaalregister voor de Inspectie.",
                           no_args_is_help=True)
app.add_typer(thuiszitters, name="thuiszitters")


@thuiszitters.command("export")
def thuiszitters_export(
    quarter: Annotated[str, typer.Option(help="Kwartaal, bijvoorbeeld 2026Q4")],
    swv: Annotated[str | None, typer.Option(help="Alleen de scholen van dit samenwerkingsverband (VO3102)")] = None,
    output: Annotated[str | None, typer.Option(help="Schrijf naar dit CSV-bestand in plaats van naar het scherm")]
    = None,
) -> None:
    """Exporteer het geanonimiseerde thuiszitterregister van een kwartaal (CSV; kolommen: zie README)."""
    from pathlib import Path  # noqa: PLC0415 - only this command writes files

    from infra.verzuim.register import as_csv  # noqa: PLC0415 - only the thuiszitter commands need it
    from service.verzuim import Verzuim, today_in_nl  # noqa: PLC0415

    try:
        service = instance_service()
        rows = Verzuim(service).export(quarter, swv, today_in_nl(service.now()))
    except DomainError as error:
        typer.echo(error.detail_nl, err=True)
        raise typer.Exit(2) from error
    if output is None:
        typer.echo(as_csv(rows), nl=False)
        return
    Path(output).write_text(as_csv(rows), encoding="utf-8")
    typer.echo(f"{len(rows)} episode(s) van {quarter.upper()} geschreven naar {output}.")


@thuiszitters.command("detect")
def thuiszitters_detect(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Peildatum JJJJ-MM-DD; standaard vandaag")] = None,
) -> None:
    """Draai de verzuimdetectie (wat de dagelijkse flow doet): meldingen, register en thuiszittersdossiers."""
    from datetime import date  # noqa: PLC0415

    from service.verzuim import Verzuim, today_in_nl  # noqa: PLC0415 - only the thuiszitter commands need it

    configure_logging()
    service = instance_service()
    now = service.now()
    try:
        day = date.fromisoformat(as_of) if as_of else today_in_nl(now)
    except ValueError as error:
        typer.echo(f"'{as_of}' is geen datum in de vorm JJJJ-MM-DD.", err=True)
        raise typer.Exit(2) from error
    report = Verzuim(service).detect(day, now)
    typer.echo(f"Verzuimdetectie per {day.isoformat()}: {report.candidates} leerlingen nagelopen, "
               f"{report.alerts} meldingen, {report.episodes_new} nieuwe episodes, "
               f"{report.cases_opened} thuiszittersdossiers geopend.")


# --- the oefenomgeving's clock (issue 13): run/cli_clock.py --------------------------------------------------------

app.add_typer(clock_app, name="clock")
