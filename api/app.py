"""The FastAPI application. No request waits for a Prefect flow run: commands are applied
in-process, in one database transaction, by the same handlers the flows call.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.deps import Clock
from api.errors import install_error_handlers
from api.nul_guard import RejectNul
from api.routes import alerts, audit, cases, digests, monitor, pathways, pupils, resources, stream, verzuim, webhooks
from infra.bootstrap import Service
from infra.logging import configure_logging
from web import STATIC_DIR, unknown_page
from web import router as web_router


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(service: Service | None = None, clock: Clock = _utc_now) -> FastAPI:
    """The API over ``service`` (default: built from the environment's settings)."""
    configure_logging()
    app = FastAPI(
        title="Leerlingroute API",
        version="0.1.0",
        description="Pupil support pathways in passend onderwijs: cases, commands, deadlines. "
                    "Errors are problem+json with a Dutch `detail`. Authenticate with "
                    "`Authorization: Bearer <token>` (a token from `leerlingroute users create`).",
    )
    app.state.service = service or Service.from_settings()
    app.state.clock = clock
    install_error_handlers(app, unknown_page)
    app.add_middleware(RejectNul)
    app.include_router(cases.router)
    app.include_router(pathways.router)
    app.include_router(pupils.router)
    app.include_router(webhooks.router)
    app.include_router(digests.router)
    app.include_router(audit.router)
    app.include_router(resources.router)
    app.include_router(monitor.router)
    app.include_router(alerts.router)
    app.include_router(stream.router)
    app.include_router(verzuim.router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app
