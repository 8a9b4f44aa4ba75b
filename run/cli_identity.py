"""The commands on people and evidence: ``users`` (accounts, API tokens and the web pages' passwords) and ``audit``
(the hash chains of the audit log and of the case events, and their signed checkpoints). Both live on the wall
clock, also in an oefenomgeving: its people sign in in real time, and the evidence says when it was signed.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from infra.identity import accounts, checkpoints
from infra.settings import Settings
from infra.store import migrate
from run.cli_service import AsOf, peilmoment
from service import Service

users = typer.Typer(help="Gebruikers en hun API-tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="Het auditlog (wie las of wijzigde welk dossier).", no_args_is_help=True)


def _migrated_service() -> Service:
    """For accounts and the audit log, which live on the wall clock (an oefenomgeving's people sign in in real time)."""
    settings = Settings()
    migrate.upgrade(settings.url)
    return Service.from_settings(settings)


@users.command("create")
def users_create(
    role: Annotated[str, typer.Option(help="zorgcoordinator, swv_coordinator, bto, leerplicht, deskundige of admin")],
    scope: Annotated[list[str] | None, typer.Option(
        help="BRIN-code (zorgcoordinator), SWV-code of 'standaard' (swv_coordinator, bto), CBS-code "
             "(leerplicht); herhaalbaar")] = None,
    name: Annotated[str | None, typer.Option(help="Gebruikersnaam (geen volledige naam)")] = None,
    days: Annotated[int, typer.Option(help="Dagen dat het token geldig is")] = accounts.DEFAULT_DAYS,
) -> None:
    """Maak een gebruiker en toon zijn API-token (alleen nu)."""
    service = _migrated_service()
    try:
        user, token = accounts.create_user(service.engine, role, scope or [], datetime.now(UTC),
                                           service.swv_codes(), name=name, days=days)
    except accounts.AccountError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    scopes = ", ".join(user.scopes) or "geen"
    typer.echo(f"Gebruiker {user.name} ({user.role}; scope: {scopes}) aangemaakt met id {user.id}.")
    typer.echo(f"Geldig tot {user.expires_at:%Y-%m-%d %H:%M} UTC.")
    typer.echo(f"API-token: {token}")
    typer.echo("Bewaar dit token nu: het wordt alleen deze ene keer getoond en is niet terug te halen.")


@users.command("list")
def users_list() -> None:
    """Toon alle gebruikers (zonder tokens)."""
    service = _migrated_service()
    now = datetime.now(UTC)
    found = accounts.list_users(service.engine)
    for user in found:
        state = ("ingetrokken" if user.revoked_at else "verlopen" if user.expires_at <= now
                 else f"geldig tot {user.expires_at:%Y-%m-%d}")
        typer.echo(f"{user.id}  {user.name}  {user.role}  scope: {', '.join(user.scopes) or '-'}  {state}")
    typer.echo(f"{len(found)} gebruiker(s).")


@users.command("revoke")
def users_revoke(user_id: Annotated[str, typer.Argument(help="Id van de gebruiker")]) -> None:
    """Trek het token van een gebruiker in."""
    service = _migrated_service()
    try:
        user = accounts.revoke_user(service.engine, user_id, datetime.now(UTC))
    except accounts.AccountError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    typer.echo(f"Token van {user.name} ({user.id}) ingetrokken.")


@users.command("set-password")
def users_set_password(
    name: Annotated[str, typer.Argument(help="Gebruikersnaam")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Lees het wachtwoord van standaardinvoer in plaats van het te vragen")] = False,
) -> None:
    """Stel het wachtwoord voor de webpagina's in, met een nieuwe TOTP-sleutel (tweede factor)."""
    from infra.identity import web_accounts  # noqa: PLC0415 - only this command needs argon2

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else _ask_password_twice()
    service = _migrated_service()
    try:
        enrolment = web_accounts.set_password(service.engine, name, password, datetime.now(UTC))
    except accounts.AccountError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    typer.echo(f"Wachtwoord en nieuwe TOTP-sleutel ingesteld voor {enrolment.name} ({enrolment.user_id}); "
               "eerdere websessies zijn beëindigd.")
    typer.echo("Zet de sleutel in een authenticator-app (scan de URI als QR-code of typ de sleutel over):")
    typer.echo(enrolment.uri)
    typer.echo(f"TOTP-sleutel: {enrolment.secret}")


def _ask_password_twice() -> str:
    first: str = typer.prompt("Nieuw wachtwoord", hide_input=True)
    if typer.prompt("Herhaal het wachtwoord", hide_input=True) != first:
        typer.echo("De twee wachtwoorden zijn niet gelijk; er is niets gewijzigd.", err=True)
        raise typer.Exit(2)
    return first


@audit_app.command("verify")
def audit_verify(as_of: AsOf = None) -> None:
    """Controleer de hashketens van het auditlog en van de gebeurtenissen, en houd ze tegen de ondertekende
    checkpoints (een ingekorte of herschreven keten valt zo op, net als een ontbrekend of te oud checkpoint).
    """
    service = _migrated_service()
    warn_about_checkpoint_folder(service.settings)
    report = checkpoints.verify(service.engine, service.settings, peilmoment(as_of))
    if report.problems:
        for problem in report.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1)
    typer.echo(f"Auditlog intact: {report.audit.rows} regels")
    typer.echo(f"Gebeurtenissen van dossiers intact: {report.events.rows} regels")
    if report.latest is None:
        typer.echo("Nog geen ondertekend checkpoint: maak er een met 'leerlingroute audit checkpoint' "
                   "(de flow audit-checkpoint doet dat elk uur).")
    else:
        typer.echo(f"Klopt met {report.checkpoints} ondertekende checkpoints "
                   f"(laatste: {report.latest.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC).")
    for note in report.notes:
        typer.echo(note)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Leg een ondertekend checkpoint vast (aantal regels en laatste hash van beide ketens), buiten de database."""
    service = _migrated_service()
    warn_about_checkpoint_folder(service.settings)
    try:
        made = checkpoints.take(service.engine, service.settings, datetime.now(UTC))
    except checkpoints.CheckpointRefused as refused:
        typer.echo(f"Geen checkpoint vastgelegd: {refused}.", err=True)
        raise typer.Exit(1) from refused
    typer.echo(f"Checkpoint {made.number} vastgelegd: auditlog {made.audit.rows} regels, gebeurtenissen "
               f"{made.events.rows} ({checkpoints.folder(service.settings) / checkpoints.CHECKPOINT_FILE})")


def warn_about_checkpoint_folder(settings: Settings) -> None:
    """Say loudly when the audit evidence lies next to the SQLite database it is evidence about."""
    if warning := checkpoints.colocation_warning(settings):
        typer.secho(f"\n{warning}\n", fg=typer.colors.RED, bold=True, err=True)
