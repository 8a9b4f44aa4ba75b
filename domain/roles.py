"""The roles a definition may name (DOMAIN.md §1), plus the system's own role for timers."""

from __future__ import annotations

from typing import Final

ZORGCOORDINATOR: Final = "zorgcoordinator"
SWV_COORDINATOR: Final = "swv_coordinator"
BTO: Final = "bto"
LEERPLICHT: Final = "leerplicht"
DESKUNDIGE: Final = "deskundige"
ADMIN: Final = "admin"
SYSTEEM: Final = "systeem"
"""The engine itself, when a timer fires a command."""

ROLES: Final = frozenset(
    {ZORGCOORDINATOR, SWV_COORDINATOR, BTO, LEERPLICHT, DESKUNDIGE, ADMIN, SYSTEEM},
)
