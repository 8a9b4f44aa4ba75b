"""Register the deployments of prefect.yaml on a Prefect server, in their work pool, for workers.

``python -m flows.register`` (what ``leerlingroute deploy`` runs). Prefect 3.8.8's ``prefect deploy``
stops with a 422 after the first deployment when used with this project's pinned FastAPI, so this
applies the same deployments through Prefect's Python API instead. Workers run the flows from this
checkout (``working_dir``), with the project installed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectNotFound

from flows.serve import PREFECT_YAML, declared_deployments, runner_deployment

ROOT = PREFECT_YAML.parent


async def ensure_work_pool(name: str) -> None:
    """Create the process work pool ``name`` unless it exists."""
    async with get_client() as client:
        try:
            await client.read_work_pool(name)
        except ObjectNotFound:
            await client.create_work_pool(WorkPoolCreate(name=name, type="process"))


def register(root: Path = ROOT) -> list[str]:
    """Apply every declared deployment to its work pool; return their names."""
    names = []
    for declared in declared_deployments():
        pool = declared["work_pool"]["name"]
        asyncio.run(ensure_work_pool(pool))
        deployment = runner_deployment(declared)
        deployment.job_variables = {**declared["work_pool"].get("job_variables", {}), "working_dir": str(root)}
        deployment.work_queue_name = declared["work_pool"].get("work_queue_name", "default")
        deployment.apply(work_pool_name=pool)
        names.append(declared["name"])
    return names


def main() -> None:
    """Register and say which."""
    print("Geregistreerd: " + ", ".join(register()))  # noqa: T201 - a CLI's answer


if __name__ == "__main__":
    main()
