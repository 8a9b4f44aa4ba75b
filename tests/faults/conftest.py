"""Many due timers seeded in bulk, and the sweeper as its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from run.seeding import DUE_AT, seed_due_timers

AS_OF = DUE_AT
SCRIPT = str(Path(sys.executable).parent / "leerlingroute")
seed = seed_due_timers


def sweeper(url: str, batch_size: int = 500) -> subprocess.Popen[str]:
    """`leerlingroute fire-timers` as its own process, on ``url``."""
    env = {**os.environ, "LEERLINGROUTE_DATABASE_URL": url, "LEERLINGROUTE_SWEEP_BATCH_SIZE": str(batch_size)}
    return subprocess.Popen([SCRIPT, "fire-timers", "--as-of", AS_OF.isoformat()], env=env, text=True,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
