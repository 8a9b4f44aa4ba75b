"""The service a flow run uses, built once per process from the environment's settings."""

from __future__ import annotations

from functools import cache

from infra.logging import configure_logging
from service import Service


@cache
def service() -> Service:
    """The process-wide service (engine pool, registry, clock); refuses (ClockMismatch) a database that ran on the
    other kind of clock than ``LEERLINGROUTE_CLOCK`` says.
    """
    configure_logging()
    built = Service.from_settings()
    built.clock.check()
    return built
