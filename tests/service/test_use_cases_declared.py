# ruff: noqa: ARG002, ARG005 - the probe's use cases take what a declaration reads, as the service's do
"""Every use case on behalf of a user is declared in one place (:mod:`service.use_case`): its role check and its
audit row wrap it there, not in each method. The declarations are read off the classes, so a new use case that
takes a principal cannot escape them; and what a declaration does is shown on a small host over a real database
(SQLite, and PostgreSQL under ``.ci/with-postgres``).
"""

from __future__ import annotations

import inspect
import string
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from domain.access import Principal, check_monitor_reader
from domain.errors import InvalidCommand, RoleNotAllowed
from infra.identity import audit
from infra.store.tables import municipalities
from infra.verzuim.inputs import AbsenceRecord
from infra.views.monitoring import StalledQuery
from infra.views.silence import SilenceQuery
from service import Service
from service.audit import purpose_of
from service.base import ServiceBase
from service.use_case import Binder, Opener, audited, audited_in, audited_read, declaration, only, unaudited
from service.verzuim import Verzuim
from tests.databases import fresh_service

NOW = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
DELEGATES = {"read_status": "read_status_pending"}
"""Use cases that only wait for the answer of another, declared one."""
COORDINATOR = Principal("u-swv", "swv_coordinator", ("SWV-1",))
LEERPLICHT = Principal("u-lp", "leerplicht", ("0917",))


def _principal_taking(cls: type) -> dict[str, Callable[..., Any]]:
    """The use cases of ``cls`` that take a principal: its public methods (the scope helpers of ServiceBase aside)
    and any private one declared.
    """
    helpers = set(vars(ServiceBase))
    return {name: member for name, member in inspect.getmembers(cls, inspect.isfunction)
            if "principal" in inspect.signature(member).parameters
            and (declaration(member) is not None or not (name.startswith("_") or name in helpers))}


@pytest.mark.parametrize("cls", [Service, Verzuim])
def test_every_use_case_that_takes_a_principal_is_declared_with_its_role_check_and_audit(cls: type) -> None:
    methods = _principal_taking(cls)
    assert len(methods) > 5
    undeclared = sorted(n for n, m in methods.items() if declaration(m) is None and n not in DELEGATES)
    assert undeclared == []
    for name, delegate in DELEGATES.items():
        if name in methods:
            assert declaration(getattr(cls, delegate)) is not None
            assert delegate in inspect.getsource(methods[name])


@pytest.mark.parametrize("cls", [Service, Verzuim])
def test_every_audited_action_records_a_purpose_of_its_own_in_dutch(cls: type) -> None:
    for name, method in _principal_taking(cls).items():
        declared = declaration(method)
        if declared is None or declared.kind == "unaudited" or not isinstance(declared.action, str):
            continue
        fields = [f for _, f, _, _ in string.Formatter().parse(declared.action) if f]
        if fields or declared.purpose:
            continue
        assert purpose_of(declared.action) != declared.action, name


def test_a_use_case_without_a_principal_or_an_instant_cannot_be_declared() -> None:
    with pytest.raises(TypeError, match="principal"):
        audited("x.read", "x")(lambda self, now: None)
    with pytest.raises(TypeError, match="now"):
        audited("x.read", "x")(lambda self, principal: None)
    with pytest.raises(TypeError, match="names each of its arguments"):
        audited("x.read", "x")(lambda self, principal, now, *more: None)
    with pytest.raises(TypeError, match="names each of its arguments"):
        unaudited()(lambda self, principal, **more: None)


class Probe(ServiceBase):
    """A host with use cases declared as the service's are."""

    ran: int = 0

    @audited("monitor.stalled", "school:{brin}", may=check_monitor_reader)
    def read_school(self, principal: Principal, brin: str, now: datetime, purpose: str | None = None) -> str:
        self.ran += 1
        if brin == "kapot":
            raise RuntimeError(brin)
        if brin == "fout":
            raise InvalidCommand(["Deze school bestaat niet."])
        return brin

    @audited_read("case.read", "school:{brin}")
    def read_in_unit(self, uow: object, principal: Principal, brin: str, now: datetime) -> str:
        return brin

    @audited_in("account.mail", "schools", may=only("swv_coordinator", act="hernoem_scholen"))
    def rename(self, begin: Opener, principal: Principal, brins: list[str], name: str, now: datetime) -> int:
        begin.resources = lambda: [f"school:{b}" for b in brins]
        with begin() as conn:
            for brin in brins:
                conn.execute(municipalities.insert().values(cbs_code=brin, name=name))
            if name == "":
                raise InvalidCommand(["Geef een naam."])
        return len(brins)

    @unaudited(may=check_monitor_reader)
    def count(self, principal: Principal) -> int:
        self.ran += 1
        return 1


@pytest.fixture(params=["sqlite", "postgres"])
def probe(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Probe]:
    with fresh_service(request.param, tmp_path_factory) as service:
        yield Probe(service.engine, service.registry, service.settings)


def _rows(probe: ServiceBase) -> list[tuple[str, str, str, str, str]]:
    return [(e.user_id, e.action, e.resource, e.purpose, e.outcome)
            for e in reversed(audit.entries(probe.engine, limit=50))]


def _places(probe: Probe) -> int:
    with probe.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(municipalities)).scalar_one())


def test_a_use_case_that_succeeds_has_one_ok_row_naming_its_resource_from_its_arguments(probe: Probe) -> None:
    assert probe.read_school(COORDINATOR, "0917", NOW) == "0917"
    assert probe.read_in_unit(COORDINATOR, "0918", NOW) == "0918"
    assert _rows(probe) == [("u-swv", "monitor.stalled", "school:0917", purpose_of("monitor.stalled"), "ok"),
                            ("u-swv", "case.read", "school:0918", "Dossier inzien", "ok")]
    assert audit.verify(probe.engine).broken_seq is None


def test_a_stated_purpose_is_recorded_instead_of_the_declared_one(probe: Probe) -> None:
    probe.read_school(COORDINATOR, "0917", NOW, purpose="Casusoverleg")
    assert [r[3] for r in _rows(probe)] == ["Casusoverleg"]


def test_a_refused_role_runs_nothing_and_is_on_record_as_forbidden(probe: Probe) -> None:
    with pytest.raises(RoleNotAllowed):
        probe.read_school(LEERPLICHT, "0917", NOW)
    with pytest.raises(RoleNotAllowed):
        probe.rename(LEERPLICHT, ["0917"], "De Wilg", NOW)
    assert probe.ran == 0
    assert _places(probe) == 0
    assert [(r[0], r[1], r[2], r[4]) for r in _rows(probe)] == [
        ("u-lp", "monitor.stalled", "school:0917", "forbidden"), ("u-lp", "account.mail", "schools", "forbidden")]


def test_a_refusal_in_the_use_case_is_on_record_with_its_code_and_a_failure_that_is_none_writes_no_row(
        probe: Probe) -> None:
    with pytest.raises(InvalidCommand):
        probe.read_school(COORDINATOR, "fout", NOW)
    with pytest.raises(RuntimeError):
        probe.read_school(COORDINATOR, "kapot", NOW)
    assert [(r[2], r[4]) for r in _rows(probe)] == [("school:fout", "invalid-command")]


def test_a_write_about_several_things_has_a_row_for_each_in_its_own_transaction(probe: Probe) -> None:
    assert probe.rename(COORDINATOR, ["0917", "0918"], "De Wilg", NOW) == 2
    assert _places(probe) == 2
    assert [(r[2], r[4]) for r in _rows(probe)] == [("school:0917", "ok"), ("school:0918", "ok")]


def test_a_refused_write_writes_nothing_and_its_rows_say_so(probe: Probe) -> None:
    with pytest.raises(InvalidCommand):
        probe.rename(COORDINATOR, ["0919"], "", NOW)
    assert _places(probe) == 0
    assert [(r[2], r[4]) for r in _rows(probe)] == [("school:0919", "invalid-command")]


def test_an_unaudited_use_case_checks_the_role_and_writes_no_row(probe: Probe) -> None:
    assert probe.count(COORDINATOR) == 1
    with pytest.raises(RoleNotAllowed):
        probe.count(LEERPLICHT)
    assert probe.ran == 1
    assert _rows(probe) == []


def _calls(signature: inspect.Signature) -> Iterator[tuple[tuple[object, ...], dict[str, object]]]:
    """Three calls that fit ``signature`` (its first parameter, self, left out): every argument by position where it
    may be, every argument by keyword, and only the required ones (the defaults filled in).
    """
    parameters = list(signature.parameters.values())[1:]
    keyword_only = inspect.Parameter.KEYWORD_ONLY
    yield (tuple(object() for p in parameters if p.kind != keyword_only),
           {p.name: object() for p in parameters if p.kind == keyword_only})
    yield (), {p.name: object() for p in parameters}
    yield (), {p.name: object() for p in parameters if p.default is inspect.Parameter.empty}


@pytest.mark.parametrize("cls", [Service, Verzuim])
def test_every_declared_use_case_reads_its_arguments_by_name_as_python_binds_them_by_position_keyword_or_default(
        cls: type) -> None:
    """The declaration reads the action's and resource's fields and the principal by name (:class:`Binder`, a plain
    zip for speed): for every use case and every way of calling it, the same names and values as
    :meth:`inspect.Signature.bind` with the defaults applied.
    """
    checked = 0
    for name, method in _principal_taking(cls).items():
        if declaration(method) is None:
            continue
        signature = inspect.signature(method)
        for args, kwargs in _calls(signature):
            bound = signature.bind(None, *args, **kwargs)
            bound.apply_defaults()
            expected = dict(list(bound.arguments.items())[1:])
            assert Binder(signature)(args, kwargs) == expected, name
            checked += 1
    assert checked > 3 * 5


def test_a_call_that_does_not_fit_the_use_case_runs_nothing_and_writes_no_row(probe: Probe) -> None:
    with pytest.raises(TypeError):
        probe.read_school(COORDINATOR, "0917", NOW, school="0918")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        probe.read_school(COORDINATOR, "0917", NOW, None, "te veel")  # type: ignore[call-arg]
    assert probe.ran == 0
    assert _rows(probe) == []


@pytest.fixture(params=["sqlite", "postgres"])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built


def test_the_services_role_checks_put_a_refused_role_on_record_as_forbidden_and_an_allowed_one_as_ok(
        service: Service) -> None:
    """The role checks that ran before the audit until they were declared (the monitoring lists, the event stream,
    webhooks, imports, verzuim's detection, register and export): a refused role now has its ``forbidden`` row on
    the resource the allowed call names, with the action's purpose; verzuim's refusals read as everyone's.
    """
    verzuim, desk = Verzuim(service), Principal("u-desk", "deskundige", ())
    admin, zc = Principal("u-admin", "admin", ()), Principal("u-zc", "zorgcoordinator", ("14PS03",))
    refusals: list[tuple[Principal, str, str, Callable[[], object]]] = [
        (desk, "monitor.stalled", "cases:stalled", lambda: service.stalled(desk, StalledQuery(), NOW)),
        (desk, "monitor.silence", "cases:silence", lambda: service.silence(desk, SilenceQuery(), NOW)),
        (admin, "events.stream", "events:new", lambda: service.stream_start(admin, None, NOW)),
        (zc, "webhook.register", "webhook:nieuw",
         lambda: service.register_webhook(zc, "https://example.org/hook", "", NOW)),
        (zc, "webhook.deactivate", "webhook:w-1", lambda: service.deactivate_webhook(zc, "w-1", NOW)),
        (zc, "import:scholen", "import:scholen", lambda: service.import_csv(zc, "scholen", "brin\n", NOW)),
        (desk, "monitor.verborgen", "register:verborgen", lambda: verzuim.hidden_thuiszitters(desk, NOW)),
        (zc, "verzuim.detect", "verzuim:2026-09-07", lambda: verzuim.detect_as(zc, None, None, NOW)),
        (zc, "thuiszitters.register", "register:2026-08-01..2026-09-06",
         lambda: verzuim.register(zc, date(2026, 8, 1), date(2026, 9, 6), NOW)),
        (COORDINATOR, "thuiszitters.export", "export:2026Q3:PO3104",
         lambda: verzuim.export_as(COORDINATOR, "2026Q3", "PO3104", NOW)),
        (desk, "verzuim.verzuim", "pupil:lln-1",
         lambda: verzuim.record(desk, AbsenceRecord("lln-1", date(2026, 9, 4), 5.0, authorized=False), NOW)),
    ]
    for principal, action, resource, call in refusals:
        with pytest.raises(RoleNotAllowed):
            call()
        assert _rows(service)[-1] == (principal.user_id, action, resource, purpose_of(action), "forbidden"), action

    lp = Principal("u-lp", "leerplicht", ("0957",))
    service.stalled(COORDINATOR, StalledQuery(), NOW)
    service.stream_start(LEERPLICHT, None, NOW)
    verzuim.register(lp, date(2026, 8, 1), date(2026, 9, 6), NOW)
    verzuim.export_as(admin, "2026Q3", None, NOW)
    assert _rows(service)[-4:] == [
        ("u-swv", "monitor.stalled", "cases:stalled", purpose_of("monitor.stalled"), "ok"),
        ("u-lp", "events.stream", "events:new", purpose_of("events.stream"), "ok"),
        ("u-lp", "thuiszitters.register", "register:2026-08-01..2026-09-06", purpose_of("thuiszitters.register"),
         "ok"),
        ("u-admin", "thuiszitters.export", "export:2026Q3:*", purpose_of("thuiszitters.export"), "ok")]
    assert audit.verify(service.engine).broken_seq is None
