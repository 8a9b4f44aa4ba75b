"""Typed dependencies: the service, the clock and the acting user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request

from domain.case import Actor
from domain.errors import InvalidCommand
from domain.roles import ROLES, SYSTEEM
from infra.bootstrap import Service

Clock = Callable[[], datetime]


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock()


def _actor(
    x_actor_role: Annotated[str, Header(description="Role of the person acting, e.g. zorgcoordinator")],
    x_actor_id: Annotated[str, Header(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Pseudonymous user id")],
) -> Actor:
    """The acting user. Until accounts and tokens exist (see README), the caller states its role."""
    if x_actor_role not in ROLES - {SYSTEEM}:
        raise InvalidCommand([f"Onbekende rol '{x_actor_role}'; bekend: {', '.join(sorted(ROLES - {SYSTEEM}))}."])
    return Actor(x_actor_role, x_actor_id)


ServiceDep = Annotated[Service, Depends(_service)]
NowDep = Annotated[datetime, Depends(_now)]
ActorDep = Annotated[Actor, Depends(_actor)]
