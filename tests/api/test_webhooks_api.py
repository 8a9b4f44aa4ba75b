"""Webhook subscriptions through HTTP: an SWV coordinator or admin registers, lists, reads and
deactivates them; the secret is shown once, on creation; anyone else is refused in Dutch.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import DEFAULT_NOW, bearer

PROBLEM_JSON = "application/problem+json"
SWV_COORDINATOR = bearer("swv_coordinator")
ADMIN = bearer("admin")
STATE_FIELDS = {"id", "url", "description", "active", "created_at", "delivered", "cursor", "attempts",
                "failing_since", "last_error", "next_attempt_at"}


def register(api: httpx.Client, url: str = "https://ontvanger.example.nl/hook", **extra: Any) -> dict[str, Any]:
    response = api.post("/webhooks", json={"url": url, **extra}, headers=SWV_COORDINATOR)
    assert response.status_code == httpx.codes.CREATED, response.text
    created: dict[str, Any] = response.json()
    return created


def test_an_swv_coordinator_registers_a_webhook_and_gets_its_secret_once(api: httpx.Client) -> None:
    """201 with the id, a generated secret and Location; reading it back never shows the secret."""
    response = api.post("/webhooks", json={"url": "https://ontvanger.example.nl/hook", "description": "Dashboard"},
                        headers=SWV_COORDINATOR)
    assert response.status_code == httpx.codes.CREATED, response.text
    created = response.json()
    assert re.fullmatch(r"[0-9a-f]{64}", created["secret"])
    assert response.headers["Location"] == f"/webhooks/{created['id']}"
    assert (created["url"], created["description"], created["active"]) == (
        "https://ontvanger.example.nl/hook", "Dashboard", True)
    again = api.get(f"/webhooks/{created['id']}", headers=SWV_COORDINATOR).json()
    assert set(again) == STATE_FIELDS
    listed = [w for w in api.get("/webhooks", headers=SWV_COORDINATOR).json() if w["id"] == created["id"]]
    assert len(listed) == 1
    assert "secret" not in listed[0]
    assert created["secret"] not in api.get("/webhooks", headers=SWV_COORDINATOR).text


def test_two_subscribers_get_different_secrets(api: httpx.Client) -> None:
    """Each subscription has its own secret, so one receiver cannot forge another's deliveries."""
    assert register(api)["secret"] != register(api)["secret"]


def test_a_new_subscriber_shows_a_clean_delivery_state(api: httpx.Client) -> None:
    """Nothing delivered, no attempts, not failing, due at once; created at the API's clock."""
    created = register(api)
    found = api.get(f"/webhooks/{created['id']}", headers=SWV_COORDINATOR).json()
    assert found["delivered"] == found["attempts"] == 0
    assert found["failing_since"] is found["last_error"] is found["next_attempt_at"] is None
    assert isinstance(found["cursor"], int)
    assert found["created_at"].startswith(DEFAULT_NOW.strftime("%Y-%m-%dT%H:%M:%S"))


def test_an_admin_may_manage_webhooks_too(api: httpx.Client) -> None:
    """The admin role registers and reads webhooks like an SWV coordinator."""
    response = api.post("/webhooks", json={"url": "http://127.0.0.1:9999/ontvang"}, headers=ADMIN)
    assert response.status_code == httpx.codes.CREATED, response.text
    assert api.get(f"/webhooks/{response.json()['id']}", headers=ADMIN).status_code == httpx.codes.OK


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/webhooks"), ("GET", "/webhooks"), ("GET", "/webhooks/{id}"), ("DELETE", "/webhooks/{id}"),
])
def test_a_zorgcoordinator_may_not_manage_webhooks(api: httpx.Client, method: str, path: str) -> None:
    """403 problem+json with a Dutch detail naming the roles that may; nothing changes."""
    created = register(api)
    body = {"url": "https://ontvanger.example.nl/hook"} if method == "POST" else None
    response = api.request(method, path.format(id=created["id"]), json=body)  # acting as zorgcoordinator
    assert response.status_code == httpx.codes.FORBIDDEN
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem = response.json()
    assert problem["detail"].startswith("Met de rol 'zorgcoordinator' mag u")
    assert problem["roles"] == ["admin", "swv_coordinator"]
    assert api.get(f"/webhooks/{created['id']}", headers=SWV_COORDINATOR).json()["active"] is True


@pytest.mark.parametrize("url", ["ftp://ontvanger.example.nl/hook", "geen adres", "", "https://", "//host/pad"])
def test_a_malformed_url_is_refused(api: httpx.Client, url: str) -> None:
    """422 problem+json naming the url; nothing is registered."""
    before = len(api.get("/webhooks", headers=SWV_COORDINATOR).json())
    response = api.post("/webhooks", json={"url": url}, headers=SWV_COORDINATOR)
    assert response.status_code == httpx.codes.UNPROCESSABLE_ENTITY, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "url" in response.json()["detail"]
    assert len(api.get("/webhooks", headers=SWV_COORDINATOR).json()) == before


def test_unknown_fields_and_a_long_description_are_refused(api: httpx.Client) -> None:
    """The body takes url and description only, the description at most 200 characters."""
    for body in ({"url": "https://a.example.nl/", "secret": "mine"}, {"url": "https://a.example.nl/",
                                                                      "description": "x" * 201}):
        response = api.post("/webhooks", json=body, headers=SWV_COORDINATOR)
        assert response.status_code == httpx.codes.UNPROCESSABLE_ENTITY, response.text


def test_deleting_deactivates_the_subscriber_and_keeps_it_listed(api: httpx.Client) -> None:
    """204 without a body; the subscriber stays readable as inactive; deleting again is harmless."""
    created = register(api)
    response = api.delete(f"/webhooks/{created['id']}", headers=SWV_COORDINATOR)
    assert (response.status_code, response.content) == (httpx.codes.NO_CONTENT, b"")
    assert api.get(f"/webhooks/{created['id']}", headers=SWV_COORDINATOR).json()["active"] is False
    listed = {w["id"]: w["active"] for w in api.get("/webhooks", headers=SWV_COORDINATOR).json()}
    assert listed[created["id"]] is False
    assert api.delete(f"/webhooks/{created['id']}", headers=SWV_COORDINATOR).status_code == httpx.codes.NO_CONTENT


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_an_unknown_webhook_is_not_found(api: httpx.Client, method: str) -> None:
    """404 problem+json, in Dutch."""
    unknown = str(uuid.uuid4())
    response = api.request(method, f"/webhooks/{unknown}", headers=SWV_COORDINATOR)
    assert response.status_code == httpx.codes.NOT_FOUND
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["detail"] == f"Webhook-abonnement {unknown} bestaat niet."
