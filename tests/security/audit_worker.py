"""A process that opens cases and moves them a step, through the service, until it is killed.

``python -m tests.security.audit_worker URL TOKEN DATA_DIR``: prints ``ready`` once set up, then a line per
command; test_audit_atomic kills it with SIGKILL at random moments.
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime

from domain.case import Command
from domain.handlers import NewCase
from infra.settings import Settings
from service import Service

NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)


def main(url: str, token: str, data_dir: str) -> None:
    """Open a case, move it a step, again and again."""
    service = Service.from_settings(Settings(database_url=url, data_dir=data_dir))
    principal = service.authenticate(token, NOW)
    print("ready", flush=True)  # noqa: T201 - the parent waits for this line
    while True:
        new = NewCase("opp", "14PS03", f"lln-kill-{uuid.uuid4().hex[:12]}", "standaard")
        opened = service.open_case_as(principal, new, Command("start_opp", principal.actor, {
            "extra_ondersteuning_sinds": "2026-09-01"}), NOW, None, None)
        service.handle_as(principal, opened.case_id, Command("leg_handelingsdeel_voor", principal.actor, {}), NOW,
                          None, None, None)
        print(opened.case_id, flush=True)  # noqa: T201


if __name__ == "__main__":
    main(*sys.argv[1:4])
