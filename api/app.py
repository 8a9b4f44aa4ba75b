"""The FastAPI application. No request waits for a Prefect flow run: commands are applied
in-process, in one database transaction, by the same handlers the flows call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.deps import Clock
from api.edge import BodyLimits, Edge, token_check
from api.errors import install_error_handlers
from api.json_text import JsonText
from api.routes import (
    alerts,
    audit,
    case_notes,
    cases,
    digests,
    monitor,
    pathways,
    pupils,
    resources,
    stream,
    verzuim,
    verzuim_meldingen,
    webhooks,
)
from api.routes import clock as clock_routes
from api.streaming import Streams
from infra.logging import configure_logging
from service import Service
from web import STATIC_DIR, unknown_page
from web import router as web_router

DOCS_ASSETS = Path(str(files("fastapi_offline").joinpath("static")))
"""Swagger UI and ReDoc as a pinned package ships them (fastapi-offline): the docs load nothing from elsewhere."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(service: Service | None = None, clock: Clock | None = None, wall_clock: Clock | None = None) -> FastAPI:
    """The API over ``service`` (default: built from the environment's settings). ``clock`` is the instance's
    time for cases, pupils and alerts (default: ``service.now``, simulated in an oefenomgeving); ``wall_clock``
    the time of tokens, sessions and webhooks (default: ``clock`` when a test gives one, else the real clock).
    Refuses to start (ClockMismatch) on a database that ran on the other kind of clock.
    """
    configure_logging()
    app = FastAPI(
        title="Leerlingroute API",
        version="0.1.0",
        description="Pupil support pathways in passend onderwijs: cases, commands, deadlines. "
                    "Errors are problem+json with a Dutch `detail`. Authenticate with "
                    "`Authorization: Bearer <token>` (a token from `leerlingroute users create`).",
        docs_url=None, redoc_url=None,
    )
    app.state.service = service = service or Service.from_settings()
    service.clock.check()
    app.state.clock = clock or service.now
    app.state.wall_clock = wall = wall_clock or clock or _utc_now
    settings = service.settings
    app.state.streams = Streams(service.latest_event_position, settings.streams_per_user, settings.streams_total)
    install_error_handlers(app, unknown_page)
    app.add_middleware(JsonText)  # inside Edge: it sees the body Edge has bounded
    app.add_middleware(Edge, limits=BodyLimits(settings.max_body_bytes, settings.max_import_body_bytes,
                                               settings.body_timeout_s, settings.max_large_bodies),
                       authenticate=token_check(service.authenticate, wall))
    app.include_router(cases.router)
    app.include_router(case_notes.router)
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
    app.include_router(verzuim_meldingen.router)
    if settings.clock == "simulated":  # the oefenomgeving's clock: absent (404, not in OpenAPI) on the real clock
        app.include_router(clock_routes.router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _add_docs(app)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app


def _add_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` with their scripts, styles and icon served by the app itself."""
    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return _own_origin_only(get_swagger_ui_html(openapi_url=openapi_url, title=f"{app.title} - Swagger UI",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon.png",
                                   swagger_ui_parameters={"validatorUrl": None}))  # no badge from elsewhere

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _own_origin_only(get_redoc_html(openapi_url=openapi_url, title=f"{app.title} - ReDoc",
                                               redoc_js_url="/docs-assets/redoc.standalone.js",
                                               redoc_favicon_url="/docs-assets/favicon.png",
                                               with_google_fonts=False))


DOCS_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
               "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'")
"""The documentation pages load only from the app: ReDoc's bundle fetches its maker's logo from a CDN for the
sidebar's credit line, which this policy refuses before any request leaves the browser (offline, and no
third party learns who reads the docs). Inline script and style stay allowed: both pages start that way."""


def _own_origin_only(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response
