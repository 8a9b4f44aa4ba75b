"""Account use cases: authenticating a token, the audit log read, searched and exported, and accounts made, revoked,
given a new second factor or an alert-mail address (admins only, each with its audit row in the same transaction).
"""


from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from domain.access import (
    Principal,
)
from domain.errors import RoleNotAllowed
from domain.roles import ADMIN
from infra.delivery import mail_queue
from infra.identity import accounts, audit
from infra.identity.audit import AuditEntry
from infra.store.db import Begin
from service.audit import Audited, require_admin

if TYPE_CHECKING:
    from infra.identity import web_accounts

log = structlog.get_logger("leerlingroute")


class AccountUseCases(Audited):
    """Who may sign in, and what the audit log says they did."""

    def authenticate(self, token: str, now: datetime) -> Principal:
        """The user behind an API token; NotAuthenticated if it is unknown, expired or revoked."""
        return accounts.authenticate(self.engine, token, now)

    def audit_entries(self, principal: Principal, resource: str | None, user_id: str | None, limit: int,
                      offset: int) -> list[AuditEntry]:
        """The audit log, newest first (admins only: RoleNotAllowed otherwise)."""
        if principal.role != ADMIN:
            raise RoleNotAllowed("lees_auditlog", principal.role, [ADMIN])
        return audit.entries(self.engine, resource, user_id, limit, offset)

    def audit_search(self, principal: Principal, wanted: audit.AuditSearch, limit: int, offset: int,
                     ) -> list[AuditEntry]:
        """The audit rows ``wanted`` finds, newest first (admins only: RoleNotAllowed otherwise)."""
        if principal.role != ADMIN:
            raise RoleNotAllowed("lees_auditlog", principal.role, [ADMIN])
        return audit.search(self.engine, wanted, limit, offset)

    def export_audit(self, principal: Principal, wanted: audit.AuditSearch, limit: int, now: datetime,
                     ) -> list[AuditEntry]:
        """The audit rows ``wanted`` finds (at most ``limit``), newest first, for a download; audited
        (admins only: RoleNotAllowed otherwise, also on record).
        """
        def run() -> list[AuditEntry]:
            if principal.role != ADMIN:
                raise RoleNotAllowed("exporteer_auditlog", principal.role, [ADMIN])
            return audit.search(self.engine, wanted, limit, 0)
        return self._audited(principal, "audit.export", wanted.described(), None, now, run)

    def create_account(self, principal: Principal, role: str, scopes: Sequence[str], name: str, now: datetime,
                       ) -> web_accounts.NewAccount:
        """Make an account with an API token, a random first password and a TOTP secret, shown only in the
        result; the account and its audit row in one transaction (admins only; AccountError, Dutch, for a
        taken name, an unknown role or scopes that do not fit it: nothing is made).
        """
        from infra.identity import web_accounts  # noqa: PLC0415 - argon2 only where passwords are made

        require_admin(principal, "beheer_accounts")
        user, token = accounts.new_user(role, scopes, now, self.swv_codes(), name=name)
        password = web_accounts.new_password()
        credentials = web_accounts.new_credentials(password)

        def run(begin: Begin) -> web_accounts.NewAccount:
            with begin() as conn:
                accounts.require_free_name(conn, user.name)
                accounts.insert_user(conn, user, token)
                enrolment = web_accounts.store_credentials(conn, user.name, credentials, now)
            return web_accounts.NewAccount(user, token, password, enrolment)
        made = self._audited_in(principal, "account.create", f"user:{user.id}", now, run)
        log.info("account", action="created", user_id=user.id, role=role, actor_role=principal.role)
        return made

    def set_mail_preference(self, principal: Principal, user_id: str, email: str, mode: str, now: datetime) -> None:
        """Set an account's alert-mail address and preference (admins only; AccountError, Dutch, for a bad address,
        choice or account: nothing is written); the change and its audit row (``account.mail``, without the
        address) in one transaction.
        """
        require_admin(principal, "beheer_accounts")

        def run(begin: Begin) -> None:
            with begin() as conn:
                mail_queue.set_preference_in(conn, user_id, email, mode)
        self._audited_in(principal, "account.mail", f"user:{user_id}", now, run)

    def revoke_account(self, principal: Principal, user_id: str, now: datetime) -> accounts.User:
        """Revoke an account: its token and web sessions stop working at once; with its audit row in one
        transaction (admins only; AccountError, Dutch, for an unknown or already revoked account or one's own).
        """
        require_admin(principal, "beheer_accounts")
        if user_id == principal.user_id:
            raise accounts.AccountError("Uw eigen account kunt u niet intrekken; vraag dat een andere beheerder.")

        def run(begin: Begin) -> accounts.User:
            with begin() as conn:
                found = accounts.find_user(conn, user_id)
                if found is None:
                    raise accounts.AccountError("Dit account bestaat niet (meer); er is niets ingetrokken.")
                if found.revoked_at is not None:
                    raise accounts.AccountError(f"Het account '{found.name}' is al ingetrokken.")
                return accounts.revoke_user_in(conn, user_id, now)
        revoked = self._audited_in(principal, "account.revoke", f"user:{user_id}", now, run)
        log.info("account", action="revoked", user_id=user_id, actor_role=principal.role)
        return revoked

    def reset_second_factor(self, principal: Principal, user_id: str, now: datetime) -> web_accounts.Enrolment:
        """A new TOTP secret for an account (the old codes stop working, its sessions end), shown only in the
        result; with its audit row in one transaction (admins only; AccountError, Dutch, otherwise).
        """
        from infra.identity import web_accounts  # noqa: PLC0415 - argon2 only where passwords are made

        require_admin(principal, "beheer_accounts")

        def run(begin: Begin) -> web_accounts.Enrolment:
            with begin() as conn:
                return web_accounts.reset_second_factor_in(conn, user_id, now)
        enrolment = self._audited_in(principal, "account.reset_second_factor", f"user:{user_id}", now, run)
        log.info("account", action="second-factor-reset", user_id=user_id, actor_role=principal.role)
        return enrolment

