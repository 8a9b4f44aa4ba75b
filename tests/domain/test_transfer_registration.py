"""A transfer moves the pupil's registration with the trajectories, in the same unit of work (the fake)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.case import Actor, Command
from domain.handlers import NewCase, open_case, transfer_pupil
from domain.registry import PathwayRegistry
from infra.store.memory import MemoryStore, MemoryUnitOfWork

NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
ZC = Actor("zorgcoordinator", "zc-1")


def _opened(store: MemoryStore, pupil_id: str) -> None:
    command = Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-09-01"})
    open_case(MemoryUnitOfWork(store), PathwayRegistry.builtin(), NewCase("opp", "14PS03", pupil_id, "standaard"),
              command, NOW)


def test_a_registered_pupil_is_registered_at_the_receiving_school_after_the_transfer() -> None:
    store = MemoryStore(schools={"14PS03", "20XY00"}, registrations={"lln-1": "14PS03"})
    _opened(store, "lln-1")
    transfer_pupil(MemoryUnitOfWork(store), "lln-1", "20XY00", ZC, NOW)
    assert store.registrations == {"lln-1": "20XY00"}


def test_a_pupil_the_reference_data_does_not_know_stays_unregistered() -> None:
    store = MemoryStore(schools={"14PS03", "20XY00"})
    _opened(store, "lln-2")
    transfer_pupil(MemoryUnitOfWork(store), "lln-2", "20XY00", ZC, NOW)
    assert store.registrations == {}


def test_a_registration_at_a_school_the_trajectories_do_not_leave_is_not_moved() -> None:
    """A case opened at 14PS03 for a pupil registered at 20XY00 (before the open-case rule): transferring it
    to 30AB00 moves the case, never the other school's registration.
    """
    store = MemoryStore(schools={"14PS03", "20XY00", "30AB00"}, registrations={"lln-3": "20XY00"})
    _opened(store, "lln-3")
    transfer_pupil(MemoryUnitOfWork(store), "lln-3", "30AB00", ZC, NOW)
    assert store.registrations == {"lln-3": "20XY00"}
