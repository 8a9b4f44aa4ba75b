"""The search box's query (SQLite, and PostgreSQL when LEERLINGROUTE_TEST_PG_URL is set): cases in the
reader's scope by pupil name only where the role may know the pupil, by pupil id, by dossier number or its
first 8+ characters, and by school name; the query is bounded, and audited without its text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from domain.access import Principal, sees_identity, sees_name_in_case
from domain.case import Actor, Command
from domain.errors import InvalidCommand
from domain.handlers import NewCase
from infra.settings import Settings
from infra.store.tables import pupils
from infra.views.case_finder import Finder, Found, names_visible, parse_query
from service import Service
from tests.databases import fresh_pg_database, migrated_sqlite

AT = datetime(2026, 9, 14, 10, 0, tzinfo=UTC)
ADMIN = Principal("admin-1", "admin", ())
SCHOOL_A = Principal("zc-a", "zorgcoordinator", ("14PS03",))
SCHOOL_B = Principal("zc-b", "zorgcoordinator", ("20XY00",))
LEERPLICHT = Principal("lp-1", "leerplicht", ("0957",))
DESKUNDIGE = Principal("dk-1", "deskundige", ())
REFERENCE = (("gemeenten", "cbs_code,naam\n0957,Roermond\n"),
             ("swvs", "code,naam,sector\nVO3102,SWV VO,vo\n"),
             ("scholen", ("brin,naam,swv,soort,gemeente,vakantieregio\n14PS03,School Aan de Maas,VO3102,vo,0957,zuid\n"
                         "20XY00,College Zuid,VO3102,vo,0957,zuid\n")))
PUPILS = ("leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam\n"
          "lln-noor,14PS03,0957,2013-02-02,Noor,de Vries\n"
          "lln-sam,14PS03,0957,2012-05-05,Sam,Jansen\n"
          "lln-elders,20XY00,0957,2012-05-05,Mila,Vries\n")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """The service over a freshly migrated database of each kind, with two schools and three pupils."""
    if request.param == "sqlite":
        made = Service.from_settings(Settings(database_url=migrated_sqlite(str(tmp_path)), data_dir=tmp_path))
        yield _with_pupils(made)
        made.engine.dispose()
        return
    with fresh_pg_database() as url:
        made = Service.from_settings(Settings(database_url=url, data_dir=tmp_path))
        yield _with_pupils(made)
        made.engine.dispose()


def _with_pupils(service: Service) -> Service:
    for kind, content in REFERENCE:
        service.import_csv(ADMIN, kind, content, AT)
    service.import_csv(ADMIN, "leerlingen", PUPILS, AT)
    return service


def _open(service: Service, pathway: str, start: str, payload: dict[str, str], pupil: str,
          school: str = "14PS03") -> str:
    command = Command(start, Actor("zorgcoordinator", "zc-a"), payload)
    return service.open_case(NewCase(pathway, school, pupil), command, AT).case_id


def _opp(service: Service, pupil: str, school: str = "14PS03") -> str:
    return _open(service, "opp", "start_opp", {"extra_ondersteuning_sinds": "2026-09-01"}, pupil, school)


def _find(service: Service, principal: Principal, text: str) -> list[Found]:
    return Finder(service.engine, service.registry).find(principal, text, AT)


def test_the_zorgcoordinator_finds_their_pupil_by_any_part_of_the_name_in_any_case(service: Service) -> None:
    noor = _opp(service, "lln-noor")
    _opp(service, "lln-sam")
    for text in ("vries", "Noor de Vries", "NOOR", "de vr"):
        found = _find(service, SCHOOL_A, text)
        assert [(f.case_id, f.given_name, f.family_name) for f in found] == [(noor, "Noor", "de Vries")], text


def test_another_schools_zorgcoordinator_does_not_find_the_pupil_by_name(service: Service) -> None:
    _opp(service, "lln-noor")
    elders = _opp(service, "lln-elders", "20XY00")
    assert [f.case_id for f in _find(service, SCHOOL_B, "vries")] == [elders]
    assert _find(service, SCHOOL_B, "Noor") == []


def test_a_case_in_scope_of_a_pupil_registered_elsewhere_is_found_by_id_but_not_by_name(service: Service) -> None:
    """Mila is registered at 20XY00; a trajectory of hers runs at 14PS03: its zorgcoördinator sees the case,
    not who she is.
    """
    case_id = _opp(service, "lln-elders")
    assert _find(service, SCHOOL_A, "Mila") == []
    [found] = _find(service, SCHOOL_A, "lln-elders")
    assert (found.case_id, found.given_name, found.family_name) == (case_id, None, None)


def test_leerplicht_finds_a_thuiszitter_by_name_and_not_a_resident_without_a_thuiszitter_case(
        service: Service) -> None:
    thuis = _open(service, "thuiszitter", "meld_thuiszitter", {"soort": "relatief", "sinds": "2026-08-24"},
                  "lln-sam")
    _opp(service, "lln-noor")
    [found] = _find(service, LEERPLICHT, "Sam Jansen")
    assert (found.case_id, found.given_name) == (thuis, "Sam")
    assert _find(service, LEERPLICHT, "Noor") == []
    assert _find(service, LEERPLICHT, "lln-noor") == []


def test_a_role_without_cases_in_scope_finds_nothing(service: Service) -> None:
    _opp(service, "lln-noor")
    assert _find(service, DESKUNDIGE, "Noor") == []
    assert _find(service, DESKUNDIGE, "School Aan") == []


def test_a_dossier_number_is_found_from_its_first_eight_characters_not_fewer(service: Service) -> None:
    case_id = _opp(service, "lln-noor")
    assert [f.case_id for f in _find(service, SCHOOL_A, case_id[:8])] == [case_id]
    assert [f.case_id for f in _find(service, SCHOOL_A, case_id.upper())] == [case_id]
    assert case_id not in [f.case_id for f in _find(service, SCHOOL_A, case_id[:7])]


def test_the_school_name_finds_the_schools_cases_with_its_name(service: Service) -> None:
    case_id = _opp(service, "lln-noor")
    [found] = _find(service, SCHOOL_A, "aan de maas")
    assert (found.case_id, found.school_name, found.school_brin) == (case_id, "School Aan de Maas", "14PS03")
    assert _find(service, SCHOOL_B, "aan de maas") == []


def test_a_search_is_audited_with_the_number_found_and_not_the_query(service: Service) -> None:
    _opp(service, "lln-noor")
    _find(service, SCHOOL_A, "Noor")
    [entry] = [e for e in service.audit_entries(ADMIN, None, "zc-a", 50, 0) if e.action == "case.find"]
    assert (entry.resource, entry.outcome, entry.role) == ("zoeken:1", "ok", "zorgcoordinator")
    assert "noor" not in f"{entry.resource} {entry.purpose}".lower()


def test_a_query_is_trimmed_and_bounded_with_a_dutch_message() -> None:
    assert parse_query("  Noor   de  Vries ") == "Noor de Vries"
    assert parse_query("Zoë O'Brien-Smit") == "Zoë O'Brien-Smit"
    with pytest.raises(InvalidCommand, match="minstens 2 tekens"):
        parse_query(" a ")
    with pytest.raises(InvalidCommand, match="hoogstens 80 tekens"):
        parse_query("x" * 81)
    with pytest.raises(InvalidCommand, match="alleen letters, cijfers"):
        parse_query("Noor%")


@pytest.mark.parametrize("principal", [SCHOOL_A, SCHOOL_B, LEERPLICHT, DESKUNDIGE, ADMIN,
                                       Principal("lp-2", "leerplicht", ("0917",)),
                                       Principal("swv-1", "swv_coordinator", ("VO3102",))])
def test_the_name_rule_in_sql_gives_the_same_answers_as_the_domain_rule(service: Service,
                                                                        principal: Principal) -> None:
    """For every registered pupil, ``names_visible`` (SQL) holds exactly where ``sees_name_in_case`` does: the
    school's own staff and leerplicht of the gemeente for their pupils, the SWV coordinator for its cases,
    nobody else.
    """
    with service.engine.connect() as conn:
        rows = conn.execute(select(pupils.c.id, pupils.c.school_brin, pupils.c.residence_cbs,
                                   names_visible(principal).label("visible"))).all()
    assert rows
    assert {r.id: bool(r.visible) for r in rows} == {
        r.id: sees_name_in_case(principal, r.school_brin, r.residence_cbs) for r in rows}


def test_the_swv_coordinator_sees_the_name_with_a_case_and_not_in_the_pupil_register() -> None:
    """A case is about a child the coordinator acts for; the register lists pupils without a case pseudonymously."""
    coordinator = Principal("swv-1", "swv_coordinator", ("VO3102",))
    assert sees_name_in_case(coordinator, "14PS03", "0957")
    assert not sees_identity(coordinator, "14PS03", "0957")
    assert not sees_name_in_case(DESKUNDIGE, "14PS03", "0957")
