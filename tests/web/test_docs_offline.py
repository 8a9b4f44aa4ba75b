"""The API documentation in a real browser with every other origin blocked: Swagger UI (``/docs``) and ReDoc
(``/redoc``) still render the operations, because their scripts and styles come from the app itself.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.web.conftest import Site, shot

pytestmark = pytest.mark.browser


def _block_other_origins(page: Page, site: Site) -> list[str]:
    """Abort every request that does not go to the app; the aborted addresses, for the assertion."""
    own, blocked = urlsplit(site.base_url).netloc, []

    def handle(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()
    page.route("**/*", handle)
    return blocked


def test_swagger_ui_renders_the_operations_with_the_network_blocked(page: Page, site: Site) -> None:
    """The operations of the API appear, and the page asked for nothing outside the app."""
    blocked = _block_other_origins(page, site)
    page.goto(site.url("/docs"))
    expect(page.locator(".opblock-summary-path").filter(has_text="/cases/{case_id}").first).to_be_visible()
    shot(page, "docs-offline")
    assert blocked == []


def test_redoc_renders_the_operations_with_the_network_blocked(page: Page, site: Site) -> None:
    """ReDoc draws its menu of operations; nothing was fetched from another origin."""
    blocked = _block_other_origins(page, site)
    page.goto(site.url("/redoc"))
    expect(page.locator("[role=menuitem]").first).to_be_visible(timeout=20_000)
    shot(page, "redoc-offline")
    assert blocked == []


def test_a_blocked_origin_is_noticed_by_the_check(page: Page, site: Site) -> None:
    """The check itself can fail: a page that loads a script from elsewhere is caught."""
    blocked = _block_other_origins(page, site)
    page.set_content('<script src="https://cdn.example.org/x.js"></script>')
    assert blocked == ["https://cdn.example.org/x.js"]
