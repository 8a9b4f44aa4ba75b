"""The names beside the codes: schools by BRIN, gemeenten by CBS code, samenwerkingsverbanden by code, from the
reference data (a few hundred rows at most: read whole, once per page that shows a code).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from infra.store.tables import municipalities, schools, swvs


@dataclass(frozen=True)
class ReferenceNames:
    """Code -> name for each kind of reference data."""

    schools: dict[str, str]
    municipalities: dict[str, str]
    swvs: dict[str, str]


def load(engine: Engine) -> ReferenceNames:
    """Every school, gemeente and SWV the reference data knows, by code."""
    with engine.connect() as conn:
        return ReferenceNames(
            {r.brin: r.name for r in conn.execute(select(schools.c.brin, schools.c.name))},
            {r.cbs_code: r.name for r in conn.execute(select(municipalities.c.cbs_code, municipalities.c.name))},
            {r.code: r.name for r in conn.execute(select(swvs.c.code, swvs.c.name))})


def with_code(names: dict[str, str], code: str | None) -> str:
    """'Name (code)' where the name is known, else the code; a dash for none."""
    if not code:
        return "—"
    name = names.get(code)
    return f"{name} ({code})" if name else code
