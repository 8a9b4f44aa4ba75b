"""Account use cases: authenticating a token, the audit log read, searched and exported, and accounts made, revoked,
given a new second factor or an alert-mail address (admins only, each with its audit row in the same transaction).
"""


from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from domain.access import Principal
from domain.roles import ADMIN
from infra.delivery import mail_queue
from infra.identity import accounts, audit
from infra.identity.audit import AuditEntry
from service.base import ServiceBase
from service.use_case import Opener, audited, audited_in, only, unaudited

if TYPE_CHECKING:
    from infra.identity import web_accounts

log = structlog.get_logger("leerlingroute")
admins = only(ADMIN, act="beheer_accounts")
"""Who manages accounts: an admin."""


class AccountUseCases(ServiceBase):
    """Who may sign in, and what the audit log says they did."""

    def authenticate(self, token: str, now: datetime) -> Principal:
        """The user behind an API token; NotAuthenticated if it is unknown, expired or revoked."""
        return accounts.authenticate(self.engine, token, now)

    @unaudited(may=only(ADMIN, act="lees_auditlog"))
    def audit_entries(self, principal: Principal, resource: str | None, user_id: str | None, limit: int,
                      offset: int) -> list[AuditEntry]:
        """The audit log, newest first (admins only: RoleNotAllowed otherwise)."""
        return audit.entries(self.engine, resource, user_id, limit, offset)

    @unaudited(may=only(ADMIN, act="lees_auditlog"))
    def audit_search(self, principal: Principal, wanted: audit.AuditSearch, limit: int, offset: int,
                     ) -> list[AuditEntry]:
        """The audit rows ``wanted`` finds, newest first (admins only: RoleNotAllowed otherwise)."""
        return audit.search(self.engine, wanted, limit, offset)

    @audited("audit.export", lambda a: a["wanted"].described(), may=only(ADMIN, act="exporteer_auditlog"))
    def export_audit(self, principal: Principal, wanted: audit.AuditSearch, limit: int, now: datetime,
                     ) -> list[AuditEntry]:
        """The audit rows ``wanted`` finds (at most ``limit``), newest first, for a download; audited
        (admins only: RoleNotAllowed otherwise, also on record).
        """
        return audit.search(self.engine, wanted, limit, 0)

    @audited_in("account.create", "user:nieuw", may=admins)
    def create_account(self, begin: Opener, principal: Principal, role: str, scopes: Sequence[str], name: str,
                       now: datetime) -> web_accounts.NewAccount:
        """Make an account with an API token, a random first password and a TOTP secret, shown only in the
        result; the account and its audit row in one transaction (admins only; AccountError, Dutch, for a
        taken name, an unknown role or scopes that do not fit it: nothing is made).
        """
        from infra.identity import web_accounts  # noqa: PLC0415 - argon2 only where passwords are made

        user, token = accounts.new_user(role, scopes, now, self.swv_codes(), name=name)
        begin.resources = lambda: [f"user:{user.id}"]
        password = web_accounts.new_password()
        credentials = web_accounts.new_credentials(password)
        with begin() as conn:
            accounts.require_free_name(conn, user.name)
            accounts.insert_user(conn, user, token)
            enrolment = web_accounts.store_credentials(conn, user.name, credentials, now)
        log.info("account", action="created", user_id=user.id, role=role, actor_role=principal.role)
        return web_accounts.NewAccount(user, token, password, enrolment)

    @audited_in("account.mail", "user:{user_id}", may=admins)
    def set_mail_preference(self, begin: Opener, principal: Principal, user_id: str, email: str, mode: str,
                            now: datetime) -> None:
        """Set an account's alert-mail address and preference (admins only; AccountError, Dutch, for a bad address,
        choice or account: nothing is written); the change and its audit row (``account.mail``, without the
        address) in one transaction.
        """
        with begin() as conn:
            mail_queue.set_preference_in(conn, user_id, email, mode)

    @audited_in("account.revoke", "user:{user_id}", may=admins)
    def revoke_account(self, begin: Opener, principal: Principal, user_id: str, now: datetime) -> accounts.User:
        """Revoke an account: its token and web sessions stop working at once; with its audit row in one
        transaction (admins only; AccountError, Dutch, for an unknown or already revoked account or one's own).
        """
        if user_id == principal.user_id:
            raise accounts.AccountError("Uw eigen account kunt u niet intrekken; vraag dat een andere beheerder.")
        with begin() as conn:
            found = accounts.find_user(conn, user_id)
            if found is None:
                raise accounts.AccountError("Dit account bestaat niet (meer); er is niets ingetrokken.")
            if found.revoked_at is not None:
                raise accounts.AccountError(f"Het account '{found.name}' is al ingetrokken.")
            revoked = accounts.revoke_user_in(conn, user_id, now)
        log.info("account", action="revoked", user_id=user_id, actor_role=principal.role)
        return revoked

    @audited_in("account.reset_second_factor", "user:{user_id}", may=admins)
    def reset_second_factor(self, begin: Opener, principal: Principal, user_id: str, now: datetime,
                            ) -> web_accounts.Enrolment:
        """A new TOTP secret for an account (the old codes stop working, its sessions end), shown only in the
        result; with its audit row in one transaction (admins only; AccountError, Dutch, otherwise).
        """
        from infra.identity import web_accounts  # noqa: PLC0415 - argon2 only where passwords are made

        with begin() as conn:
            enrolment = web_accounts.reset_second_factor_in(conn, user_id, now)
        log.info("account", action="second-factor-reset", user_id=user_id, actor_role=principal.role)
        return enrolment
