"""What the commands of ``leerlingroute`` share: who acts on the command line, the peilmoment option, and the
service a command about cases, pupils or verzuim opens (on the instance's clock, checked against the database).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from domain.case import Actor
from domain.roles import ADMIN
from infra import clock as instance_clock
from infra.settings import Settings
from infra.store import migrate
from service import Service

AsOf = Annotated[datetime | None, typer.Option(help="Peilmoment (ISO 8601, met tijdzone); standaard nu")]
CLI_ACTOR = Actor(ADMIN, "cli")
"""Who acts on the command line (audit log, case events): an administrator at the server."""


def peilmoment(as_of: datetime | None, now: datetime | None = None) -> datetime:
    """``as_of`` (UTC if it has no zone), else ``now`` (default: the wall clock)."""
    if as_of is None:
        return now or datetime.now(UTC)
    return as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)


def instance_service(settings: Settings | None = None) -> Service:
    """For cases, pupils and verzuim: migrated, and refusing (exit 1) a database that ran on the other kind of clock."""
    settings = settings or Settings()
    migrate.upgrade(settings.url)
    service = Service.from_settings(settings)
    try:
        service.clock.check()
    except instance_clock.ClockMismatch as mismatch:
        typer.echo(str(mismatch), err=True)
        raise typer.Exit(1) from mismatch
    return service
