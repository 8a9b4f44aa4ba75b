"""Typed dependencies: the service, the clock and the authenticated user.

Who acts comes only from ``Authorization: Bearer <token>``: the token is looked up (by its
SHA-256) in the accounts table; a missing, unknown, expired or revoked token is 401.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.access import Principal
from domain.case import Actor
from domain.errors import NotAuthenticated
from service import Service

Clock = Callable[[], datetime]
T = TypeVar("T")
_bearer = HTTPBearer(auto_error=False, description="API token from `leerlingroute users create`")


async def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock()


async def _wall_now(request: Request) -> datetime:
    clock: Clock = request.app.state.wall_clock
    return clock()


ServiceDep = Annotated[Service, Depends(_service)]
NowDep = Annotated[datetime, Depends(_now)]
"""The instance's now: for cases, pupils, verzuim and alerts (simulated in an oefenomgeving)."""
WallNowDep = Annotated[datetime, Depends(_wall_now)]
"""The real now: for tokens and webhooks, which live in real time also in an oefenomgeving."""


async def _principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)], service: ServiceDep,
    now: WallNowDep,
) -> Principal:
    """The user the bearer token belongs to; NotAuthenticated (401) without a valid one. Looked up on every
    request, so a revoked token is refused at once, in every process.
    """
    if credentials is None or not credentials.credentials:
        raise NotAuthenticated("Stuur een API-token mee in de header 'Authorization: Bearer <token>'.")
    token = credentials.credentials
    return await off_the_loop(service, lambda: service.authenticate(token, now))


async def off_the_loop(service: Service, read: Callable[[], T]) -> T:
    """Run a short blocking database call: on SQLite (a local file, microseconds) right here, without the
    two thread switches a worker thread costs; on a database server (round trips over the network) in a
    worker thread, so the event loop serves other requests meanwhile.
    """
    if service.engine.dialect.name == "sqlite":
        return read()
    return await run_in_threadpool(read)


PrincipalDep = Annotated[Principal, Depends(_principal)]


def _actor(principal: PrincipalDep) -> Actor:
    """The authenticated user as the engine records who acted (role and user id)."""
    return principal.actor


ActorDep = Annotated[Actor, Depends(_actor)]
PurposeDep = Annotated[str | None, Header(
    alias="X-Purpose", min_length=1, max_length=200,
    description="Why you read or change this (recorded in the audit log); a default per action otherwise")]
