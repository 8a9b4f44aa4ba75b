"""The demo's people: after the demo, one account per role signs in on the web pages with the demo
password and a code from its printed TOTP secret; making them again adds nobody.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from infra import web_accounts
from infra.bootstrap import Service
from infra.demo_people import PASSWORD, PEOPLE, make_demo_people
from infra.settings import Settings
from tests.databases import migrated_sqlite

NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)


def test_each_demo_person_signs_in_with_the_demo_password_and_their_totp_code(tmp_path: Path) -> None:
    """Four accounts (zorgcoördinator, coordinator, leerplicht, admin) with their roles and scopes."""
    service = Service.from_settings(Settings(database_url=migrated_sqlite(str(tmp_path))))
    try:
        people = make_demo_people(service, NOW)
        assert [(p.name, p.role, p.scopes) for p in people] == list(PEOPLE)
        for person in people:
            principal = web_accounts.sign_in(service.engine, person.name, PASSWORD,
                                             web_accounts.totp(person.totp_secret, NOW), NOW)
            assert (principal.role, principal.scopes) == (person.role, person.scopes)
        assert make_demo_people(service, NOW) == []
    finally:
        service.engine.dispose()
