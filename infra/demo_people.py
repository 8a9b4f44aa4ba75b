"""Demo accounts for the web pages: one person per role on the demo region, with a known password and a
TOTP secret printed once — so that the pages can be tried right after ``make run``. Never for real data:
only ``leerlingroute demo`` (and ``serve`` on an empty database) makes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from infra import accounts, web_accounts
from infra.bootstrap import Service
from infra.tables import users

PASSWORD = "demo-wachtwoord-2026"  # noqa: S105 - demo accounts only, printed on purpose
"""The demo accounts' password (at least 12 characters, as the sign-in rules require)."""
PEOPLE = (
    ("demo-zorgcoordinator", "zorgcoordinator", ("14PS03", "14PS00")),
    ("demo-coordinator", "swv_coordinator", ("VO3102",)),
    ("demo-leerplicht", "leerplicht", ("0957",)),
    ("demo-beheerder", "admin", ()),
)


@dataclass(frozen=True)
class DemoPerson:
    """A demo account and its TOTP secret."""

    name: str
    role: str
    scopes: tuple[str, ...]
    totp_secret: str


def make_demo_people(service: Service, now: datetime) -> list[DemoPerson]:
    """The demo accounts that did not exist yet, each with the demo password and a new TOTP secret."""
    made = []
    for name, role, scopes in PEOPLE:
        with service.engine.connect() as conn:
            if conn.execute(select(users.c.id).where(users.c.name == name)).first() is not None:
                continue
        accounts.create_user(service.engine, role, scopes, now, service.swv_codes(), name=name, days=365)
        enrolment = web_accounts.set_password(service.engine, name, PASSWORD, now)
        made.append(DemoPerson(name, role, scopes, enrolment.secret))
    return made
