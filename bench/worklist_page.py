"""How long one worklist page takes with 2,000 active cases in scope (issue 16: "pages stay usable").

Usage: ``.venv/bin/python bench/worklist_page.py [DATABASE_URL]`` (default: a new SQLite file in a temporary
folder; a PostgreSQL URL must name an empty database, which is migrated first). Opens 2,000 cases at one
school through the service (OPPs with passed and running terms, cascades over and under their norm), then
times the worklist query plus the page's rows in words for the first page, the last page, the overdue filter
and the "deze week" view, as the school's zorgcoördinator. Prints milliseconds; asserts nothing.
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.access import Principal
from domain.case import Actor, Command
from domain.handlers import NewCase
from infra.settings import Settings
from infra.store import migrate
from infra.views.worklist import WorkQuery
from service import Service
from web.worklist import work_row

CASES = 2000
SCHOOL = "14PS03"
PROFILE = "vo-31-02"
NOW = datetime(2026, 10, 14, 9, 0, tzinfo=UTC)


def fill(service: Service, user: str) -> None:
    """CASES cases at SCHOOL: half OPPs (terms from long passed to running), half cascades (some over the norm)."""
    actor = Actor("zorgcoordinator", user)
    for n in range(CASES):
        new = NewCase("opp" if n % 2 else "cascade", SCHOOL, f"lln-{uuid.uuid4().hex[:10]}", PROFILE)
        if n % 2:
            since = date(2026, 6, 1) + timedelta(days=n % 120)
            command = Command("start_opp", actor, {"extra_ondersteuning_sinds": since.isoformat()})
            service.open_case(new, command, NOW - timedelta(days=1))
        else:
            service.open_case(new, Command("start_cascade", actor, {"niveau": "basis"}), NOW - timedelta(days=n % 500))


def timed(service: Service, principal: Principal, query: WorkQuery) -> tuple[float, int]:
    """Milliseconds for one page (query and rows in words) and the number of matching cases."""
    started = time.perf_counter()
    found = service.worklist(principal, query, NOW)
    rows = [work_row(service.registry, principal, c, NOW.date()) for c in found.cases]
    del rows
    return (time.perf_counter() - started) * 1000, found.total


def main() -> None:
    """Fill, then time each kind of page three times and print the best."""
    folder = Path(tempfile.mkdtemp(prefix="worklist-bench-"))
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{folder}/bench.db"
    migrate.upgrade(url)
    service = Service.from_settings(Settings(database_url=url, data_dir=folder))
    user = str(uuid.uuid4())
    started = time.perf_counter()
    fill(service, user)
    print(f"{CASES} cases opened in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
    principal = Principal(user, "zorgcoordinator", (SCHOOL,))
    last = (CASES - 1) // 50 * 50
    for name, query in (("first page", WorkQuery()), ("last page", WorkQuery(offset=last)),
                        ("overdue only", WorkQuery(overdue=True)), ("deze week", WorkQuery(week_of=NOW.date()))):
        best, total = min(timed(service, principal, query) for _ in range(3))
        print(f"{name:>13}: {best:6.1f} ms ({total} cases match)")


if __name__ == "__main__":
    main()
