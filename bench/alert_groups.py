"""How long the inbox's alert groups take with many alerts in one inbox (issue 16: "alerts that can be handled").

Usage: ``.venv/bin/python bench/alert_groups.py [DATABASE_URL]`` (default: a new SQLite file in a temporary
folder; a PostgreSQL URL must name an empty database, which is migrated first). Inserts 50,000 alerts, 18,000 of
them to one school's zorgcoördinator (1,500 pupils, three kinds, a quarter acknowledged), then times a page of
groups with its total, the counts per kind, one group's alerts and acknowledging one group, as that
zorgcoördinator. Prints milliseconds (best of seven); asserts nothing.
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.access import Principal
from infra.delivery import alerts as store
from infra.settings import Settings
from infra.store import migrate
from infra.store.tables import alerts
from service import Service

ALERTS = 50_000
MINE = 10_000
"""The first MINE alerts go to SCHOOL; of the rest, one in five too."""
SCHOOL = "14PS03"
SCHOOLS = (SCHOOL, "20XY00", "30AB00", "40CD00", "50EF00")
T0 = datetime(2026, 9, 7, tzinfo=UTC)


def fill(service: Service) -> None:
    rows = [{"id": str(uuid.uuid4()), "kind": ("meldplicht", "escalatie", "thuiszitter")[n % 3],
             "audience_role": "zorgcoordinator", "audience_scope": SCHOOL if n < MINE else SCHOOLS[n % 5],
             "dedupe_key": f"bench:{n}", "case_id": None, "pupil_id": f"lln-{n % 1500}", "title": f"Melding {n}",
             "facts": {"hours": n % 40, "school_brin": SCHOOL}, "created_at": T0 + timedelta(minutes=n),
             "acknowledged_at": T0 if n % 4 == 0 else None} for n in range(ALERTS)]
    with service.engine.begin() as conn:
        for start in range(0, ALERTS, 5000):
            conn.execute(alerts.insert(), rows[start:start + 5000])


def best(run: Callable[[], object]) -> float:
    times = []
    for _ in range(7):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def main() -> None:
    """Fill, then time each read and print the best of seven."""
    folder = Path(tempfile.mkdtemp(prefix="alert-groups-bench-"))
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{folder}/bench.db"
    migrate.upgrade(url)
    service = Service.from_settings(Settings(database_url=url, data_dir=folder))
    fill(service)
    zc = Principal(str(uuid.uuid4()), "zorgcoordinator", (SCHOOL,))
    page, total = store.groups(service.engine, zc, "new", 50, 0)
    print(f"{ALERTS} alerts, {MINE + (ALERTS - MINE) // 5} in the inbox, {total} new groups "
          f"({url.split(':')[0]})")
    print(f"  page of groups + total: {best(lambda: store.groups(service.engine, zc, 'new', 50, 0)):6.1f} ms")
    print(f"  last page:              {best(lambda: store.groups(service.engine, zc, 'new', 50, total - 1)):6.1f} ms")
    print(f"  counts per kind:        {best(lambda: store.group_kinds(service.engine, zc, 'new')):6.1f} ms")
    print(f"  one group's alerts:     {best(lambda: store.group_of(service.engine, zc, page[0].id, 100)):6.1f} ms")
    started = time.perf_counter()
    done = service.acknowledge_alert_group(zc, page[1].id, None, T0 + timedelta(days=100))
    print(f"  acknowledge a group:    {(time.perf_counter() - started) * 1000:6.1f} ms ({len(done)} alerts)")


if __name__ == "__main__":
    main()
