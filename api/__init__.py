"""The HTTP API (FastAPI): routers per resource, schemas at the edge, one error mapper."""
