"""The demo's people: after the demo, one account per role signs in on the web pages with the demo
password and a code from its printed TOTP secret; making them again adds nobody. The demo's verzuim
gives the leerplicht account thuiszitter alerts to handle.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from domain.access import Principal
from infra import web_accounts
from infra.bootstrap import Service
from infra.demo import load_demo_region
from infra.demo_people import PASSWORD, PEOPLE, make_demo_people
from infra.demo_verzuim import seed_demo_verzuim
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


def test_the_demo_verzuim_gives_roermonds_leerplicht_its_thuiszitters_and_no_one_elses(tmp_path: Path) -> None:
    """After the demo's verzuim on Monday 23 November 2026: Roermond's leerplicht has the thuiszitter
    alerts of its three residents (two relatief, one absoluut), not the Leudal pupil's; the dreigend and
    meldplicht signals go to those pupils' schools.
    """
    service = Service.from_settings(Settings(database_url=migrated_sqlite(str(tmp_path))))
    at = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    try:
        assert seed_demo_verzuim(service, load_demo_region(), at) > 0
        def inbox(role: str, scope: str) -> set[tuple[str, str | None]]:
            found, _ = service.alerts(Principal("p", role, (scope,)), "all", 100, 0, at)
            return {(a.kind, a.pupil_id) for a in found}
        assert {p for kind, p in inbox("leerplicht", "0957") if kind == "thuiszitter"} == {
            "demo-vz-01", "demo-vz-02", "demo-vz-03"}
        assert ("thuiszitter", "demo-vz-06") in inbox("leerplicht", "1640")
        assert ("dreigend_thuiszitter", "demo-vz-04") in inbox("zorgcoordinator", "21CS02")
        assert ("meldplicht", "demo-vz-05") in inbox("zorgcoordinator", "03XF00")
    finally:
        service.engine.dispose()
