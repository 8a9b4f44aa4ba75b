"""The one place where a use case on behalf of a user gets its role check and its audit row.

Every method of the service that takes a ``principal`` is declared with one of these decorators (a test holds
every one of them to it, :mod:`tests.service.test_use_cases_declared`):

- :func:`audited_read`: a read in one reading unit of work (the body gets it first); its row goes through the
  group-committing writer and the answer is given once the row committed. :func:`audited_read_pending` gives
  the :class:`service.audit.Pending` answer itself, for a coroutine to await;
- :func:`audited_write`: a write in one unit of work of the writer's group transaction, its row in the same
  savepoint;
- :func:`audited_in`: a write the body does in the one transaction it opens with the :class:`Opener` it gets
  first, its row appended last in that transaction;
- :func:`audited`: anything else (a read over its own connections, detection's many transactions): the row
  is appended after it, in a transaction of its own;
- :func:`unaudited`: reads no case's or pupil's data (counts, the lists of one's own webhooks): the role check
  only.

The declaration names the audit row: its ``action`` and ``resource`` are format strings over the method's
arguments (``"case:{case_id}"``, ``"case.command:{command.name}"``) or functions of them; its purpose is the
caller's stated one (a ``purpose`` argument), else the declared one, else :data:`service.audit.PURPOSES`' of the
action. ``may`` is the role check: it runs inside the audit, so a refused role is on record (``forbidden``) as
a refused case is. A refusal (a :class:`domain.errors.DomainError`) gets its row with the refusal's outcome
(:func:`service.audit.outcome_of`); any other failure gets none. Checks that need the case or the data (the
scope of a case, :meth:`service.base.ServiceBase.sees`) are the body's first step, inside the audit too.
"""


from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy import Connection, Engine

from domain.access import Principal
from domain.errors import DomainError, RoleNotAllowed
from infra.store.db import Begin
from infra.store.sql import SqlUnitOfWork
from service.audit import AuditRow, Pending, Refused, outcome_of, purpose_of, write_with_row

if TYPE_CHECKING:
    from service.base import ServiceBase


class Host(Protocol):
    """What audits a use case that writes its own rows: its database."""

    @property
    def engine(self) -> Engine: ...


P = ParamSpec("P")
T = TypeVar("T")
S = TypeVar("S", bound="ServiceBase")
"""A use case that reads or writes through the service's units of work and its group-committing writer."""
H = TypeVar("H", bound=Host)
C = TypeVar("C", bound=Callable[..., Any])
Named = str | Callable[[Mapping[str, Any]], str]
"""A format string over the method's arguments by name, or a function of them."""
Check = Callable[[str], None]
"""A role check: raises :class:`domain.errors.RoleNotAllowed` for a role that may not (``check_monitor_reader``,
:func:`only`)."""


@dataclass(frozen=True)
class Declared:
    """How a use case is wrapped: what :mod:`tests.service.test_use_cases_declared` reads."""

    kind: str
    action: Named | None = None
    resource: Named | None = None
    may: Check | None = None
    purpose: Named | None = None

    def row(self, arguments: Mapping[str, Any]) -> tuple[AuditRow, str]:
        """The audit row of a call with these arguments, and its resource."""
        principal: Principal = arguments["principal"]
        now: datetime = arguments["now"]
        action = _named(self.action, arguments)
        stated = arguments.get("purpose")
        purpose = stated or (_named(self.purpose, arguments) if self.purpose else purpose_of(action))
        return AuditRow(principal, action, purpose, now), _named(self.resource, arguments)

    def check(self, arguments: Mapping[str, Any]) -> None:
        """The declared role check of the call's principal."""
        if self.may is not None:
            self.may(arguments["principal"].role)


@dataclass
class Opener:
    """The opener of an audited write's one transaction (enter it once, after what is read or checked
    beforehand; see :func:`service.audit.write_with_row`). A write about something it names itself (a new
    account's id) or about several things (each alert of a group) sets ``resources``: its rows then name those,
    one row each, instead of the declared resource.
    """

    begin: Begin
    resources: Callable[[], list[str]] = field(default=list)

    def __call__(self) -> AbstractContextManager[Connection]:
        return self.begin()


def audited_read(action: Named, resource: Named, *, may: Check | None = None,
                 ) -> Callable[[Callable[Concatenate[S, SqlUnitOfWork, P], T]], Callable[Concatenate[S, P], T]]:
    """A read in one reading unit of work, answered once its audit row committed (see the module)."""
    pending = audited_read_pending(action, resource, may=may)

    def declare(body: Callable[Concatenate[S, SqlUnitOfWork, P], T]) -> Callable[Concatenate[S, P], T]:
        read = pending(body)

        def use_case(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
            return read(self, *args, **kwargs).wait()
        return _declared(use_case, body, read.__use_case__, inspect.signature(read))  # type: ignore[attr-defined]
    return declare


def audited_read_pending(action: Named, resource: Named, *, may: Check | None = None) -> Callable[
        [Callable[Concatenate[S, SqlUnitOfWork, P], T]], Callable[Concatenate[S, P], Pending[T]]]:
    """:func:`audited_read`, giving the :class:`service.audit.Pending` answer (``await`` it in a coroutine)."""
    declared = Declared("read", action, resource, may)

    def declare(body: Callable[Concatenate[S, SqlUnitOfWork, P], T]) -> Callable[Concatenate[S, P], Pending[T]]:
        signature = _public(body, injected=1)
        bind = Binder(signature)

        def use_case(self: S, /, *args: P.args, **kwargs: P.kwargs) -> Pending[T]:
            arguments = bind(args, kwargs)
            row, named = declared.row(arguments)
            result: T | None = None
            refusal: DomainError | None = None
            try:
                declared.check(arguments)
                with self.unit_of_work(reading=True) as uow, uow:
                    result = body(self, uow, *args, **kwargs)
                outcome = "ok"
            except DomainError as error:
                refusal, outcome = error, outcome_of(error)
            return Pending(result, refusal, self.writer.submit(lambda conn: row.append_in(conn, named, outcome)))
        return _declared(use_case, body, declared, signature)
    return declare


def audited_write(action: Named, resource: Named, *, may: Check | None = None, purpose: Named | None = None,
                  written: Callable[[SqlUnitOfWork], str] | None = None,
                  replayed: Callable[[Any], str] | None = None,
                  ) -> Callable[[Callable[Concatenate[S, SqlUnitOfWork, P], T]], Callable[Concatenate[S, P], T]]:
    """A write in one unit of work of the group-committing writer (:meth:`service.base.ServiceBase.write`): the
    ``ok`` row is appended by the unit's before-commit hook, in the write's own savepoint, so the write and its
    row commit together or not at all; the row goes last, so the audit chain's lock is taken only for the append.
    ``written`` names the resource from what the unit wrote (an opened case's id). A refusal (its savepoint
    rolled back, nothing written) gets its row instead; so does a write that wrote nothing because an
    idempotency key replayed an earlier outcome (outcome ``replayed``, resource from ``replayed``). The caller
    hears the outcome after the group committed.
    """
    declared = Declared("write", action, resource, may, purpose)

    def declare(body: Callable[Concatenate[S, SqlUnitOfWork, P], T]) -> Callable[Concatenate[S, P], T]:
        signature = _public(body, injected=1)
        bind = Binder(signature)

        def use_case(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
            arguments = bind(args, kwargs)
            row, named = declared.row(arguments)

            def work(conn: Connection) -> T | Refused:
                uow = SqlUnitOfWork(self.engine, within=conn)
                uow.before_commit(lambda: row.append_in(conn, written(uow) if written else named, "ok"))
                try:
                    declared.check(arguments)
                    result = body(self, uow, *args, **kwargs)
                except DomainError as error:
                    row.append_in(conn, named, outcome_of(error))
                    return Refused(error)
                if uow.commits == 0:
                    row.append_in(conn, replayed(result) if replayed else named, "replayed")
                return result
            done = self.writer.write(work)
            if isinstance(done, Refused):
                raise done.error
            return done
        return _declared(use_case, body, declared, signature)
    return declare


def audited_in(action: Named, resource: Named, *, may: Check | None = None,
               ) -> Callable[[Callable[Concatenate[H, Opener, P], T]], Callable[Concatenate[H, P], T]]:
    """A write the body does in the one transaction the :class:`Opener` it is given opens: the ``ok`` row commits
    with the write; a refusal's row gets a transaction of its own (see :func:`service.audit.write_with_row`).
    """
    declared = Declared("in", action, resource, may)

    def declare(body: Callable[Concatenate[H, Opener, P], T]) -> Callable[Concatenate[H, P], T]:
        signature = _public(body, injected=1)
        bind = Binder(signature)

        def use_case(self: H, /, *args: P.args, **kwargs: P.kwargs) -> T:
            arguments = bind(args, kwargs)
            row, named = declared.row(arguments)
            opener: Opener | None = None

            def run(begin: Begin) -> T:
                nonlocal opener
                opener = Opener(begin)
                declared.check(arguments)
                return body(self, opener, *args, **kwargs)

            def append(conn: Connection, outcome: str) -> None:
                for each in (opener.resources() if opener else []) or [named]:
                    row.append_in(conn, each, outcome)
            return write_with_row(self.engine, run, append)
        return _declared(use_case, body, declared, signature)
    return declare


def audited(action: Named, resource: Named, *, may: Check | None = None,
            ) -> Callable[[Callable[Concatenate[H, P], T]], Callable[Concatenate[H, P], T]]:
    """Anything else: the row (``ok`` or the refusal's outcome) is appended after the body, on its own."""
    declared = Declared("after", action, resource, may)

    def declare(body: Callable[Concatenate[H, P], T]) -> Callable[Concatenate[H, P], T]:
        signature = _public(body, injected=0)
        bind = Binder(signature)

        def use_case(self: H, /, *args: P.args, **kwargs: P.kwargs) -> T:
            arguments = bind(args, kwargs)
            row, named = declared.row(arguments)
            try:
                declared.check(arguments)
                result = body(self, *args, **kwargs)
            except DomainError as error:
                row.append(self.engine, named, outcome_of(error))
                raise
            row.append(self.engine, named, "ok")
            return result
        return _declared(use_case, body, declared, signature)
    return declare


def unaudited(*, may: Check | None = None,
              ) -> Callable[[Callable[Concatenate[H, P], T]], Callable[Concatenate[H, P], T]]:
    """A use case that reads no case's or pupil's data: the role check only, no audit row."""
    declared = Declared("unaudited", may=may)

    def declare(body: Callable[Concatenate[H, P], T]) -> Callable[Concatenate[H, P], T]:
        signature = _public(body, injected=0, audited=False)
        bind = Binder(signature)

        def use_case(self: H, /, *args: P.args, **kwargs: P.kwargs) -> T:
            declared.check(bind(args, kwargs))
            return body(self, *args, **kwargs)
        return _declared(use_case, body, declared, signature)
    return declare


def only(*roles: str, act: str) -> Check:
    """The role check that lets only ``roles`` do ``act`` (the refusal names the act and who may)."""
    allowed = tuple(roles)

    def check(role: str) -> None:
        if role not in allowed:
            raise RoleNotAllowed(act, role, allowed)
    return check


def declaration(method: object) -> Declared | None:
    """How a method is declared (None: not a declared use case)."""
    found = getattr(method, "__use_case__", None)
    return found if isinstance(found, Declared) else None


def _declared(use_case: C, body: Callable[..., Any], declared: Declared, signature: inspect.Signature) -> C:
    """The use case as the body's, with its declaration and the signature its callers see."""
    update_wrapper(use_case, body)
    use_case.__use_case__ = declared  # type: ignore[attr-defined]
    use_case.__signature__ = signature  # type: ignore[attr-defined]
    return use_case


def _public(body: Callable[..., Any], injected: int, *, audited: bool = True) -> inspect.Signature:
    """The use case's signature as its callers see it: the body's without what the wrapper gives it."""
    signature = inspect.signature(body)
    parameters = list(signature.parameters.values())
    needed = ("principal", "now") if audited else ("principal",)
    if missing := [name for name in needed if name not in signature.parameters]:
        msg = f"{body.__qualname__}: a use case on behalf of a user takes {' and '.join(missing)}"
        raise TypeError(msg)
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters):
        msg = f"{body.__qualname__}: a use case names each of its arguments (no *args or **kwargs: see Binder)"
        raise TypeError(msg)
    return signature.replace(parameters=[parameters[0], *parameters[1 + injected:]])


class Binder:
    """A use case's arguments by name, from a call's positional and keyword ones (its defaults filled in): what
    its declaration reads. A plain zip, not :meth:`inspect.Signature.bind` (about 9 µs, a command's 2 %); a call
    that does not fit the signature fails in the body's own call.
    """

    def __init__(self, signature: inspect.Signature) -> None:
        parameters = list(signature.parameters.values())[1:]
        self.names = tuple(p.name for p in parameters)
        self.defaults = {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}

    def __call__(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments of one call by name."""
        arguments = dict(self.defaults)
        arguments.update(zip(self.names, args, strict=False))
        arguments.update(kwargs)
        return arguments


def _named(name: Named | None, arguments: Mapping[str, Any]) -> str:
    if name is None:
        return ""
    return name(arguments) if callable(name) else name.format_map(arguments)

