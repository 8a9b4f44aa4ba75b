"""Alert mail, sent: the due ``mail_outbox`` rows go out over SMTP (``smtplib``), one mail per alert for accounts
that want each alert, one digest per account for the rest; a row is marked sent only after the server accepted
its mail. A failure keeps the rows pending, counts the attempt, keeps the error and retries after a backoff
(1, 2, 4 ... minutes, at most an hour); nothing is given up. A mail names no pupil, school or person: the kind,
a count and a link to the alert page, where the user signs in to read it.
"""

from __future__ import annotations

import smtplib
import ssl
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Self

from sqlalchemy import Engine, select, update

from infra.delivery.alerts import kind_label
from infra.settings import Settings
from infra.store.tables import mail_outbox, users

BATCH = 500
LEASE = timedelta(minutes=5)
"""A claimed row is not due again for this long: a second run at the same time does not send it too."""
MAX_BACKOFF_MINUTES = 60
SUBJECT = "Nieuwe melding in Leerlingroute"
FOOTER = ("Deze e-mail noemt bewust geen leerling, school of andere persoonsgegevens: log in om de melding te "
          "lezen. Uw e-mailinstelling wijzigt de beheerder van Leerlingroute.")


@dataclass(frozen=True)
class Mail:
    """One mail to send and the outbox rows it settles."""

    row_ids: tuple[int, ...]
    to: str
    subject: str
    body: str




def deliver(engine: Engine, settings: Settings, now: datetime) -> dict[str, int]:
    """Send the due mails; how many mails went out, failed, and rows were dropped (account without address)."""
    mails, dropped = _claim(engine, settings, now)
    sent = failed = 0
    with Connection(settings) as smtp:
        for mail in mails:
            error = smtp.send(mail)
            _settle(engine, mail, now, error)
            sent, failed = (sent + 1, failed) if error is None else (sent, failed + 1)
    return {"sent": sent, "failed": failed, "dropped": dropped}


def _claim(engine: Engine, settings: Settings, now: datetime) -> tuple[list[Mail], int]:
    with engine.begin() as conn:
        rows = conn.execute(
            select(mail_outbox.c.id, mail_outbox.c.alert_id, mail_outbox.c.kind, mail_outbox.c.digest,
                   mail_outbox.c.user_id, users.c.email, users.c.revoked_at)
            .join(users, users.c.id == mail_outbox.c.user_id)
            .where(mail_outbox.c.status == "pending", mail_outbox.c.due_at <= now).order_by(mail_outbox.c.id)
            .limit(BATCH).with_for_update(of=mail_outbox, skip_locked=True)).all()
        gone = {r.id for r in rows if r.email is None or r.revoked_at is not None}
        if gone:
            conn.execute(update(mail_outbox).where(mail_outbox.c.id.in_(gone)).values(status="dropped"))
        live = [r for r in rows if r.id not in gone]
        if live:
            conn.execute(update(mail_outbox).where(mail_outbox.c.id.in_([r.id for r in live]))
                         .values(due_at=now + LEASE))
    return _mails(live, settings.base_url.rstrip("/")), len(gone)


def _mails(rows: Sequence[Any], base: str) -> list[Mail]:
    direct = [Mail((r.id,), r.email, SUBJECT, alert_body(r.kind, f"{base}/meldingen/{r.alert_id}"))
              for r in rows if not r.digest]
    per_user: dict[str, list[Any]] = {}
    for r in rows:
        if r.digest:
            per_user.setdefault(r.user_id, []).append(r)
    return direct + [_digest(found, base) for found in per_user.values()]


def alert_body(kind: str, link: str) -> str:
    """The text of a mail about one new alert: its kind in the inbox's words and the link, nothing more."""
    return (f"Er staat een nieuwe melding voor u klaar in Leerlingroute.\n\nSoort: {kind_label(kind)}\nAantal: 1\n\n"
            f"Bekijk de melding: {link}\n\n{FOOTER}\n")


def _digest(rows: Sequence[Any], base: str) -> Mail:
    count = len(rows)
    per_kind = Counter(kind_label(r.kind) for r in rows)
    lines = "\n".join(f"- {kind}: {n}" for kind, n in sorted(per_kind.items()))
    noun = "nieuwe melding" if count == 1 else "nieuwe meldingen"
    body = (f"Dagelijks overzicht van Leerlingroute: {count} {noun} voor u.\n\n{lines}\n\n"
            f"Bekijk uw meldingen: {base}/meldingen\n\n{FOOTER}\n")
    return Mail(tuple(r.id for r in rows), rows[0].email, f"Dagelijks overzicht: {count} {noun} in Leerlingroute", body)


def _settle(engine: Engine, mail: Mail, now: datetime, error: str | None) -> None:
    ids = mail_outbox.c.id.in_(mail.row_ids)
    with engine.begin() as conn:
        if error is None:
            conn.execute(update(mail_outbox).where(ids).values(status="sent", sent_at=now, last_error=None))
            return
        attempts = conn.execute(select(mail_outbox.c.attempts).where(ids)).scalars().all()
        tries = max(attempts, default=0) + 1
        wait = timedelta(minutes=min(2 ** (tries - 1), MAX_BACKOFF_MINUTES))
        conn.execute(update(mail_outbox).where(ids).values(attempts=tries, last_error=error[:300],
                                                            due_at=now + wait))


class Connection:
    """One SMTP session for a run, opened at the first mail; after a failure to connect, the run's other mails
    fail with the same error at once (the server is down: no point in waiting for each).
    """

    def __init__(self, settings: Settings, factory: Callable[..., smtplib.SMTP] = smtplib.SMTP) -> None:
        self.settings, self.factory = settings, factory
        self.smtp: smtplib.SMTP | None = None
        self.down: str | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()

    def send(self, mail: Mail) -> str | None:
        """Send ``mail``; None once the server accepted it, else the error in words."""
        if self.down is not None:
            return self.down
        try:
            self._open().send_message(self._message(mail))
        except smtplib.SMTPRecipientsRefused as refused:
            return f"Geweigerd door de mailserver: {sorted(map(str, refused.recipients.values()))}"
        except smtplib.SMTPResponseException as answer:
            return f"Mailserver antwoordde {answer.smtp_code}: {answer.smtp_error!r}"
        except (smtplib.SMTPException, OSError) as broken:
            self.down, self.smtp = f"Mailserver niet bereikbaar: {type(broken).__name__}: {broken}", None
            return self.down
        return None

    def _open(self) -> smtplib.SMTP:
        if self.smtp is None:
            s = self.settings
            smtp = self.factory(s.mail_host or "", s.mail_port, timeout=s.mail_timeout_s)
            if s.mail_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.mail_username:
                smtp.login(s.mail_username, s.mail_password.get_secret_value() if s.mail_password else "")
            self.smtp = smtp
        return self.smtp

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = mail.subject, self.settings.mail_from, mail.to
        message.set_content(mail.body)
        return message

