"""The demo's people: only the demo makes them, each with a password of this install that is printed once
(never a published one, never the same twice), and with their TOTP secret they sign in on the web pages;
making them again adds nobody. The demo's verzuim gives the leerplicht account thuiszitter alerts to handle.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.access import Principal
from infra.identity import web_accounts
from infra.settings import Settings
from run.demo import load_demo_region
from run.demo_people import PEOPLE, WARNING, has_demo_people, make_demo_people, write_accounts_file
from run.demo_verzuim import seed_demo_verzuim
from service import Service
from tests.databases import migrated_sqlite

NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)


def test_each_demo_person_signs_in_with_their_own_printed_password_and_totp_code(tmp_path: Path) -> None:
    """Four accounts (zorgcoördinator, coordinator, leerplicht, admin) with their roles and scopes."""
    service = Service.from_settings(Settings(database_url=migrated_sqlite(str(tmp_path))))
    try:
        people = make_demo_people(service, NOW)
        assert [(p.name, p.role, p.scopes) for p in people] == list(PEOPLE)
        for person in people:
            principal = web_accounts.sign_in(service.engine, person.name, person.password,
                                             web_accounts.totp(person.totp_secret, NOW), NOW)
            assert (principal.role, principal.scopes) == (person.role, person.scopes)
        assert make_demo_people(service, NOW) == []
    finally:
        service.engine.dispose()


def test_no_two_installs_share_a_demo_password_so_the_demo_admin_has_no_known_password(tmp_path: Path) -> None:
    """The admin's password of one install does not open the admin of another, nor any other account."""
    first = Service.from_settings(Settings(database_url=migrated_sqlite(str(tmp_path))))
    second = Service.from_settings(Settings(database_url=migrated_sqlite(str(tmp_path))))
    try:
        made = make_demo_people(first, NOW) + make_demo_people(second, NOW)
        passwords = [p.password for p in made]
        assert len(set(passwords)) == len(passwords)
        admin_of_first = next(p for p in made if p.role == "admin")
        admin_of_second = [p for p in made if p.role == "admin"][1]
        with pytest.raises(web_accounts.SignInRefused):
            web_accounts.sign_in(second.engine, admin_of_second.name, admin_of_first.password,
                                 web_accounts.totp(admin_of_second.totp_secret, NOW), NOW)
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_serve_without_demo_makes_no_account_and_with_demo_warns_loudly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``serve`` fills an empty database only when ``--demo`` is given; a database with demo accounts is
    announced as such on every start.
    """
    from run import cli  # noqa: PLC0415 - the CLI module is heavy; only this test needs it

    settings = Settings(database_url=migrated_sqlite(str(tmp_path)))
    cli.seed_demo_if_asked(settings, demo_data=False)
    service = Service.from_settings(settings)
    try:
        assert not has_demo_people(service.engine)
        assert WARNING not in capsys.readouterr().err
        monkeypatch.setattr(cli, "demo", lambda **_: make_demo_people(service, NOW))
        cli.seed_demo_if_asked(settings, demo_data=True)
        assert has_demo_people(service.engine)
        cli.seed_demo_if_asked(settings, demo_data=False)
        assert WARNING in capsys.readouterr().err.replace("\n", " ")
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


def test_the_demo_accounts_are_written_to_a_file_only_their_owner_can_read(tmp_path: Path) -> None:
    """The passwords and TOTP secrets are not lost in a scrolled-away log: the data folder keeps them, mode 600,
    and a second demo run adds only the accounts it made.
    """
    service = Service.from_settings(Settings(database_url=migrated_sqlite(str(tmp_path))))
    try:
        people = make_demo_people(service, NOW)
        saved = write_accounts_file(tmp_path / "data", people)
        assert saved.stat().st_mode & 0o777 == 0o600
        lines = saved.read_text(encoding="utf-8").splitlines()
        assert [line.split("\t")[0] for line in lines] == [p.name for p in people]
        assert all(f"TOTP-sleutel {p.totp_secret}" in line for p, line in zip(people, lines, strict=True))
        write_accounts_file(tmp_path / "data", make_demo_people(service, NOW))
        assert saved.read_text(encoding="utf-8").splitlines() == lines
    finally:
        service.engine.dispose()
