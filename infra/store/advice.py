"""Advice requests: which deskundige is asked to advise on which TLV request (all they may see)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from domain.access import ADVICE_PATHWAYS, ADVICE_REQUESTERS, Principal
from domain.case import Case
from domain.errors import InvalidCommand, RoleNotAllowed
from domain.roles import DESKUNDIGE
from infra.store.db import Begin, dialect_insert
from infra.store.tables import advice_requests, users


def request(begin: Begin, principal: Principal, case: Case, deskundige_id: str, now: datetime) -> None:
    """Record that ``deskundige_id`` is asked to advise on ``case`` (asking twice changes nothing), in the
    transaction ``begin`` opens (the service's also appends the request's audit row before it commits).
    """
    if principal.role not in ADVICE_REQUESTERS:
        raise RoleNotAllowed("vraag_advies", principal.role, sorted(ADVICE_REQUESTERS))
    if case.pathway not in ADVICE_PATHWAYS:
        raise InvalidCommand([(f"Advies van een deskundige wordt alleen gevraagd bij een TLV-aanvraag, niet bij "
                              f"een {case.pathway}-traject.")])
    with begin() as conn:
        found = conn.execute(select(users.c.role, users.c.revoked_at).where(users.c.id == deskundige_id)).first()
        if found is None or found.role != DESKUNDIGE or found.revoked_at is not None:
            raise InvalidCommand([f"Er is geen (actieve) deskundige met id {deskundige_id}."])
        conn.execute(dialect_insert(conn, advice_requests).values(
            case_id=case.id, deskundige_id=deskundige_id, requested_by=principal.user_id, requested_at=now,
        ).on_conflict_do_nothing())
