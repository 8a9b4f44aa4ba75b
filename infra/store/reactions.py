"""The reactions feed: the hand-offs between pathways (``domain/pathways/reactions.json``) carried out from the
outbox, each exactly once per source event.

Why from the outbox and not in the command's own transaction: a hand-off must never make the step that
triggered it fail (a TLV placement is not refused because the OPP could not be opened), it runs with the
system's rights rather than the user's, and a target that refuses is a fact a person must hear of, not an
error for the user who placed the pupil. So the relay flow runs this feed: per event of a declared type, per
reaction, one transaction that writes the opened or moved case together with its link; the link's key makes a
re-run, a crash between two reactions or a second worker replay instead of doubling
(``domain.handlers.react``). A refused hand-off raises an alert to the school's zorgcoördinator and the SWV
coordinators (ids only). Events a reaction creates are picked up by the next round.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from domain.access import swv_codes_of
from domain.handlers import react
from domain.ports import UnitOfWork
from domain.reactions import Link
from domain.registry import PathwayRegistry
from domain.roles import SWV_COORDINATOR, ZORGCOORDINATOR
from infra.delivery.alerts import NewAlert, raise_alerts
from infra.store import feeds
from infra.store.tables import cases, outbox

FEED = "reactions"
BATCH = 500


@dataclass(frozen=True)
class ReactionReport:
    """What one run of the feed did: links per outcome (``geopend``, ``opdracht``, ``overgeslagen``,
    ``geweigerd``) made now, and how many had been made before (replayed).
    """

    outcomes: dict[str, int]
    replayed: int = 0

    def __add__(self, other: ReactionReport) -> ReactionReport:
        return ReactionReport(dict(Counter(self.outcomes) + Counter(other.outcomes)), self.replayed + other.replayed)


def run_reactions(engine: Engine, unit_of_work: Callable[[], AbstractContextManager[UnitOfWork]],
                  registry: PathwayRegistry, high_water: int, now: datetime) -> ReactionReport:
    """Carry out the reactions to the outbox events after the feed's cursor up to ``high_water``."""
    report, types = ReactionReport({}), sorted({e for r in registry.reactions for e in r.events})
    while True:
        with engine.begin() as conn:
            cursor = feeds.position(conn, FEED)
            rows = conn.execute(
                select(outbox.c.id, outbox.c.case_id, outbox.c.seq, outbox.c.type, outbox.c.pathway)
                .where(outbox.c.id > cursor, outbox.c.id <= high_water, outbox.c.type.in_(types))
                .order_by(outbox.c.id).limit(BATCH)).all()
        with unit_of_work() as uow:
            reacted = [react(uow, registry, reaction, row.case_id, row.seq, now) for row in rows
                       for reaction in registry.reactions if reaction.reacts_to(row.pathway, row.type)]
        done = [(link, new) for link, new in reacted if link is not None]
        _tell_refusals(engine, registry, [link for link, _ in done if link.outcome == "geweigerd"], now)
        report += ReactionReport(dict(Counter(link.outcome for link, new in done if new)),
                                 sum(1 for _, new in done if not new))
        full = len(rows) == BATCH
        with engine.begin() as conn:
            feeds.advance(conn, FEED, cursor, rows[-1].id if full else high_water)
        if not full:
            return report


def _tell_refusals(engine: Engine, registry: PathwayRegistry, refused: list[Link], now: datetime) -> None:
    """An alert per refused hand-off to the source case's school and SWV (raised once: keyed on the link)."""
    if not refused:
        return
    labels = {r.name: r.label for r in registry.reactions}
    with engine.begin() as conn:
        found = {row.id: row for row in conn.execute(
            select(cases.c.id, cases.c.school_brin, cases.c.profile, cases.c.pupil_id, cases.c.pathway)
            .where(cases.c.id.in_({link.source_case_id for link in refused})))}
        new = []
        for link in refused:
            case = found[link.source_case_id]
            title = (f"Overdracht niet gelukt ({labels[link.reaction].lower()}): dossier van leerling "
                     f"{case.pupil_id}, school {case.school_brin}. Reden: {link.reason}")
            facts = {"case_id": case.id, "pupil_id": case.pupil_id, "pathway": case.pathway,
                     "school_brin": case.school_brin, "reaction": link.reaction, "seq": link.source_seq}
            key = f"reactie:{link.reaction}:{case.id}:{link.source_seq}"
            audience = [(ZORGCOORDINATOR, case.school_brin),
                        *((SWV_COORDINATOR, s) for s in sorted(swv_codes_of(registry.profile(case.profile))))]
            new += [NewAlert("overdracht", role, scope, f"{key}:{role}:{scope}", title, facts, case.id, case.pupil_id)
                    for role, scope in audience]
        raise_alerts(conn, new, now)
