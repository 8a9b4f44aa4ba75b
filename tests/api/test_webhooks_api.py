"""Webhook subscriptions through HTTP: an SWV coordinator or admin registers, lists, reads, rotates
the secret of and deactivates them; a secret is shown once, on creation or rotation; anyone else is
refused in Dutch. Names resolve from a small table here (no network): see ``fake_dns``.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from infra.delivery import webhook_targets
from tests.api.conftest import DEFAULT_NOW, ControllableClock, bearer

PROBLEM_JSON = "application/problem+json"
SWV_COORDINATOR = bearer("swv_coordinator")
ADMIN = bearer("admin")
STATE_FIELDS = {"id", "url", "description", "active", "created_at", "delivered", "cursor", "attempts",
                "failing_since", "last_error", "next_attempt_at", "owner_id", "previous_secret_until"}
WHSEC_PATTERN = r"whsec_[A-Za-z0-9+/]{43}="
"""A Standard Webhooks secret: the prefix and the base64 of 32 random bytes."""


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every name resolves to one public address, without asking DNS (the server runs in this process)."""
    monkeypatch.setattr(webhook_targets, "resolve", lambda _host, _port: ["93.184.215.14"])


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
    assert re.fullmatch(WHSEC_PATTERN, created["secret"])
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
    response = api.post("/webhooks", json={"url": "https://beheer.example.nl/ontvang"}, headers=ADMIN)
    assert response.status_code == httpx.codes.CREATED, response.text
    assert api.get(f"/webhooks/{response.json()['id']}", headers=ADMIN).status_code == httpx.codes.OK


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/webhooks"), ("GET", "/webhooks"), ("GET", "/webhooks/{id}"), ("DELETE", "/webhooks/{id}"),
    ("POST", "/webhooks/{id}/rotate-secret"),
])
def test_a_zorgcoordinator_may_not_manage_webhooks(api: httpx.Client, method: str, path: str) -> None:
    """403 problem+json with a Dutch detail naming the roles that may; nothing changes."""
    created = register(api)
    body = {"url": "https://ontvanger.example.nl/hook"} if path == "/webhooks" and method == "POST" else None
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


def test_rotating_the_secret_returns_a_new_one_once_and_keeps_the_old_one_for_a_day(
    api: httpx.Client, clock: ControllableClock,
) -> None:
    """200 with a new secret (never shown again) and ``previous_secret_until`` 24 hours on; the delivery
    state is kept; rotating an unknown subscriber is 404.
    """
    created = register(api)
    rotated_at = clock.set(DEFAULT_NOW + timedelta(hours=2))
    response = api.post(f"/webhooks/{created['id']}/rotate-secret", headers=SWV_COORDINATOR)
    assert response.status_code == httpx.codes.OK, response.text
    rotated = response.json()
    assert re.fullmatch(WHSEC_PATTERN, rotated["secret"])
    assert rotated["secret"] != created["secret"]
    assert rotated["previous_secret_until"].startswith((rotated_at + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M"))
    assert (rotated["id"], rotated["cursor"], rotated["owner_id"]) == (created["id"], created["cursor"],
                                                                      created["owner_id"])
    read = api.get(f"/webhooks/{created['id']}", headers=SWV_COORDINATOR).text
    assert rotated["secret"] not in read
    unknown = api.post(f"/webhooks/{uuid.uuid4()}/rotate-secret", headers=SWV_COORDINATOR)
    assert unknown.status_code == httpx.codes.NOT_FOUND
