"""Demo accounts for the web pages: one person per role on the demo region, so that the pages can be tried
right after ``make run``. Never for real data: only the demo makes them (``leerlingroute demo``, or
``serve --demo`` on an empty database), and only when asked for.

No demo account has a published password: each install draws a fresh random password per person and
prints it once, beside the TOTP secret, with a warning that these accounts exist. An admin with a password
anyone can read in this repository would open every account on every demo that ever reached a network.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from infra.identity import accounts, web_accounts
from infra.store.tables import users
from service import Service

PEOPLE = (
    ("demo-zorgcoordinator", "zorgcoordinator", ("14PS03", "14PS00")),
    ("demo-coordinator", "swv_coordinator", ("VO3102",)),
    ("demo-leerplicht", "leerplicht", ("0957",)),
    ("demo-beheerder", "admin", ()),
)
WARNING = ("LET OP: deze database bevat demo-accounts en verzonnen leerlingen. Gebruik haar nooit voor echte "
           "gegevens en stel haar niet open voor een netwerk; maak voor echt gebruik een nieuwe database zonder "
           "--demo.")
"""What the demo says, loudly, whenever it made its accounts."""


@dataclass(frozen=True)
class DemoPerson:
    """A demo account, its password and its TOTP secret (both shown once)."""

    name: str
    role: str
    scopes: tuple[str, ...]
    password: str
    totp_secret: str


def new_demo_password() -> str:
    """A random password of this install (about 120 bits), never the same twice."""
    return secrets.token_urlsafe(15)


def make_demo_people(service: Service, now: datetime) -> list[DemoPerson]:
    """The demo accounts that did not exist yet, each with its own random password and a new TOTP secret."""
    made = []
    for name, role, scopes in PEOPLE:
        with service.engine.connect() as conn:
            if conn.execute(select(users.c.id).where(users.c.name == name)).first() is not None:
                continue
        accounts.create_user(service.engine, role, scopes, now, service.swv_codes(), name=name, days=365)
        password = new_demo_password()
        enrolment = web_accounts.set_password(service.engine, name, password, now)
        made.append(DemoPerson(name, role, scopes, password, enrolment.secret))
    return made


ACCOUNTS_FILE = "demo-accounts.txt"
"""Where the demo keeps its accounts' passwords and TOTP secrets, in the data folder, readable by its owner only."""


def write_accounts_file(folder: Path, people: list[DemoPerson]) -> Path:
    """Append the new demo accounts to the data folder's accounts file (mode 600), so that they are not lost in
    a scrolled-away log; the file is named on every start while it exists.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ACCOUNTS_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    path.chmod(0o600)  # also when it existed with other rights
    with os.fdopen(descriptor, "a", encoding="utf-8") as out:
        for person in people:
            out.write(f"{person.name}\t{person.role}\twachtwoord {person.password}\t"
                      f"TOTP-sleutel {person.totp_secret}\n")
    return path


def has_demo_people(engine: Engine) -> bool:
    """Whether any demo account exists in this database."""
    with engine.connect() as conn:
        return conn.execute(select(users.c.id).where(users.c.name.in_([p[0] for p in PEOPLE]))).first() is not None
