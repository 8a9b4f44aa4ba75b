"""Webhooks: register, list, read and deactivate the receivers of case events.

Only an SWV coordinator or an admin manages them, each coordinator only their own (another's is
404, as if it did not exist). A secret is returned once, on creation or rotation; deliveries are
signed as Standard Webhooks says (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``).
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Response, status

from api.deps import PrincipalDep, ServiceDep, WallNowDep
from api.schemas import WebhookCreatedOut, WebhookIn, WebhookOut, problem_responses
from infra.delivery.webhooks import Subscription

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
ERRORS = problem_responses(401, 403, 404, 422)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreatedOut, responses=ERRORS)
def register_webhook(
    body: WebhookIn, principal: PrincipalDep, service: ServiceDep, now: WallNowDep, response: Response,
) -> WebhookCreatedOut:
    """Register a receiver; it gets the events recorded from now on. Keep the secret: it is not shown again."""
    registered = service.register_webhook(principal, str(body.url), body.description, now)
    response.headers["Location"] = f"/webhooks/{registered.subscription.id}"
    return WebhookCreatedOut(**asdict(registered.subscription), secret=registered.secret)


@router.get("", response_model=list[WebhookOut], responses=ERRORS)
def list_webhooks(principal: PrincipalDep, service: ServiceDep) -> list[WebhookOut]:
    """Your subscribers (an admin: all), oldest first, with their delivery state (never a secret)."""
    return [_out(s) for s in service.webhooks(principal)]


@router.get("/{subscription_id}", response_model=WebhookOut, responses=ERRORS)
def get_webhook(subscription_id: str, principal: PrincipalDep, service: ServiceDep) -> WebhookOut:
    """One subscriber with its delivery state."""
    return _out(service.webhook(principal, subscription_id))


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses=ERRORS)
def deactivate_webhook(subscription_id: str, principal: PrincipalDep, service: ServiceDep, now: WallNowDep) -> Response:
    """Stop delivering to the subscriber; it stays listed as inactive."""
    service.deactivate_webhook(principal, subscription_id, now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{subscription_id}/rotate-secret", response_model=WebhookCreatedOut, responses=ERRORS)
def rotate_webhook_secret(
    subscription_id: str, principal: PrincipalDep, service: ServiceDep, now: WallNowDep,
) -> WebhookCreatedOut:
    """A new secret, shown this once; deliveries are signed with the old one too until its grace period
    (``previous_secret_until``, 24 hours by default) ends, so the receiver can switch without a gap.
    """
    rotated = service.rotate_webhook_secret(principal, subscription_id, now)
    return WebhookCreatedOut(**asdict(rotated.subscription), secret=rotated.secret)


def _out(subscription: Subscription) -> WebhookOut:
    return WebhookOut(**asdict(subscription))
