"""This checkout beside an older commit of it, in ONE run: the same probe, run alternately in each tree.

    .venv/bin/python bench/before_after.py [--base 714003d] [--rounds 3] [--cases 2000] [--timers 20000]

The older commit is checked out with ``git worktree`` under ``bench/results/tmp`` and removed afterwards. Each
round runs ``bench/before_after_probe.py`` (from this checkout) once in each tree, in alternating order, with that
tree first on ``sys.path``, so the probe measures that tree's code on a fresh SQLite database: durable commands
through ``Service.handle`` from 32 threads and from one, the status read and a 10,000-event history over the ASGI
app in process (httpx, no network), and the timer sweep. Medians per tree and the ratio new/old are printed and
written to ``bench/results/before_after.json``. Only what both trees have is used, so the figures compare code,
not set-ups.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "bench" / "before_after_probe.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="714003d", help="the older commit (default: before issue 18)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--timers", type=int, default=20000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "before_after.json"))
    args = parser.parse_args()
    scratch = ROOT / "bench" / "results" / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="base-", dir=scratch))
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(base), args.base],
                   check=True, capture_output=True)
    try:
        trees = {"old": base, "new": ROOT}
        runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
        for r in range(args.rounds):
            for name in (("old", "new") if r % 2 == 0 else ("new", "old")):
                runs[name].append(_probe(trees[name], args.cases, args.timers))
                print(f"round {r + 1} {name}: {json.dumps(runs[name][-1])}", flush=True)
        report = _report(runs, args)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    Path(args.out).write_text(json.dumps(report, indent=2))
    for key, row in report["figures"].items():
        print(f"{key:28} old {row['old']:>10.2f}  new {row['new']:>10.2f}  new/old {row['new/old']:.2f}")


def _probe(tree: Path, cases: int, timers: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, str(PROBE), "--cases", str(cases), "--timers", str(timers)],
                          cwd=tree, env=env, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the probe failed in {tree}:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _report(runs: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> dict[str, Any]:
    figures = {}
    for key in runs["new"][0]:
        old = statistics.median(r[key] for r in runs["old"])
        new = statistics.median(r[key] for r in runs["new"])
        figures[key] = {"old": old, "new": new, "new/old": new / old if old else float("nan")}
    return {"base": args.base, "rounds": args.rounds, "cases": args.cases, "timers": args.timers,
            "loadavg": os.getloadavg(), "runs": runs, "figures": figures}


if __name__ == "__main__":
    main()
