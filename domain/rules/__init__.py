"""Named guards and effects that pathway definitions refer to, one module per pathway.

A guard returns what is missing (empty: the command may proceed). An effect returns artifacts
to record, derived from the case, the payload and the context. Both are pure. Every module in
this package that defines ``GUARDS`` and ``EFFECTS`` is picked up.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from domain.errors import Missing

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context

JSON = Any
Guard = Callable[["Case", Mapping[str, JSON], "Context"], list[Missing]]
Effect = Callable[["Case", Mapping[str, JSON], "Context"], dict[str, dict[str, JSON]]]


def _collect() -> tuple[dict[str, Guard], dict[str, Effect]]:
    guards: dict[str, Guard] = {}
    effects: dict[str, Effect] = {}
    for found in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{found.name}")
        for name, guard in getattr(module, "GUARDS", {}).items():
            if name in guards:
                msg = f"guard {name!r} is defined twice (again in {module.__name__})"
                raise ValueError(msg)
            guards[name] = guard
        for name, effect in getattr(module, "EFFECTS", {}).items():
            if name in effects:
                msg = f"effect {name!r} is defined twice (again in {module.__name__})"
                raise ValueError(msg)
            effects[name] = effect
    return guards, effects


GUARDS, EFFECTS = _collect()
