"""Serve every deployment declared in prefect.yaml (same names, schedules, parameters) in this
process: the flow runner of ``leerlingroute serve``. Run as ``python -m flows.serve``.
"""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path
from typing import Any

import yaml
from prefect import Flow
from prefect.deployments.runner import RunnerDeployment
from prefect.runner import Runner
from prefect.schedules import Cron, Interval, Schedule

PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"


def declared_deployments(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    """The deployments prefect.yaml declares."""
    spec: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    deployments: list[dict[str, Any]] = spec["deployments"]
    return deployments


def flow_at(entrypoint: str) -> Flow[Any, Any]:
    """The flow object an entrypoint such as ``flows/relay_events.py:relay_events`` names."""
    file, name = entrypoint.split(":")
    module = importlib.import_module(file.removesuffix(".py").replace("/", "."))
    found: Flow[Any, Any] = getattr(module, name)
    return found


def schedules_of(declared: dict[str, Any]) -> list[Schedule]:
    """The declared schedules: ``interval`` (seconds) or ``cron``, each with an optional ``timezone``
    (a weekly report at Monday 06:00 means 06:00 in the Netherlands, summer and winter).
    """
    found = []
    for spec in declared.get("schedules", []):
        timezone = spec.get("timezone")
        found.append(Cron(spec["cron"], timezone=timezone) if "cron" in spec
                     else Interval(spec["interval"], timezone=timezone))
    return found


def runner_deployment(declared: dict[str, Any]) -> RunnerDeployment:
    """One declared deployment, ready to serve."""
    built = flow_at(declared["entrypoint"]).to_deployment(
        name=declared["name"], schedules=schedules_of(declared) or None,
        parameters=declared.get("parameters") or {}, description=declared.get("description"),
    )
    if not isinstance(built, RunnerDeployment):  # to_deployment is async only inside an event loop
        msg = "build deployments outside an event loop"
        raise TypeError(msg)
    return built


class QuietRunner(Runner):
    """Prefect's runner with a SIGTERM that stops it from inside its event loop.

    Prefect 3.8's own handler calls the sync ``stop()`` inside the running loop, where it only makes the
    ``astop()`` coroutine, never awaited (a RuntimeWarning on every stop), and then exits the process from the
    signal handler. Here the handler schedules ``astop()`` on the loop, so the runner's loops end, the
    schedules are paused (``pause_on_shutdown``) and :func:`main` returns normally: no warning, no traceback.
    """

    stopping_task: asyncio.Task[None] | None = None

    def handle_sigterm(self, *_args: Any, **_kwargs: Any) -> None:
        """Stop the runner cleanly (called in the loop's thread, between its steps)."""
        self.stopping_task = asyncio.get_running_loop().create_task(self.astop())


def main() -> None:
    """Serve until SIGTERM; schedules pause while nobody serves them."""
    runner = QuietRunner(pause_on_shutdown=True)
    for deployment in declared_deployments():
        runner.add_deployment(runner_deployment(deployment))
    asyncio.run(runner.start())


if __name__ == "__main__":
    main()
