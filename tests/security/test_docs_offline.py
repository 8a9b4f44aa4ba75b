"""The API documentation pages load nothing from another origin: Swagger UI (``/docs``) and ReDoc
(``/redoc``) come with their scripts, styles and icon from the app itself (a pinned package ships them),
so no third-party script runs on the origin of the session cookie, and the pages work offline.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.api.conftest import RunningApi

_REFERENCES = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")
_ANY_URL = re.compile(r"(?:https?:)?//[a-z0-9.-]+", re.IGNORECASE)
_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json"}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_documentation_page_uses_only_its_own_assets(running_api: RunningApi, page: str) -> None:
    """The page names no other origin anywhere (no CDN, no fonts, no validator badge), and every script,
    style sheet, icon and the OpenAPI document it references is served here with 200 and its type.
    """
    with httpx.Client(base_url=running_api.base_url, timeout=30.0) as client:
        html = client.get(page)
        assert html.status_code == httpx.codes.OK
        assert html.headers["content-type"].startswith("text/html")
        assert not _ANY_URL.findall(html.text), "the page names another origin"
        referenced = [a or b for a, b in _REFERENCES.findall(html.text)]
        assert any(r.endswith(".js") for r in referenced), referenced
        assert "/openapi.json" in referenced
        for reference in referenced:
            assert reference.startswith("/"), reference
            asset = client.get(reference)
            assert asset.status_code == httpx.codes.OK, reference
            kind = next((t for ext, t in _TYPES.items() if reference.endswith(ext)), "")
            assert kind in asset.headers["content-type"], (reference, asset.headers["content-type"])
            assert len(asset.content) > 0


def test_swagger_ui_is_a_version_that_reads_openapi_3_1(running_api: RunningApi) -> None:
    """The OpenAPI document is 3.1 (FastAPI's), so the bundled Swagger UI must be 5 or later to show it."""
    with httpx.Client(base_url=running_api.base_url, timeout=30.0) as client:
        assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
        bundle = client.get("/docs-assets/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in bundle
    assert "OpenAPI 3.1" in bundle or "openapi31" in bundle.lower()
