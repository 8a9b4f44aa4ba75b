"""The webhook message: what one delivery request carries, as the Standard Webhooks specification says
(https://www.standardwebhooks.com).

A subscriber's ``whsec_`` secret, the ``webhook-id`` of a batch (the same for a retry of the same batch),
each event's ``delivery_id`` and ``event_id``, the JSON body and the ``webhook-signature`` made with every
secret that signs at the moment of sending. Only ids, types, stages and instants are in it: no payload
content, no names. Who gets which batch, and when, is :mod:`infra.delivery.webhooks`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from domain.ports import OutboxItem

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix the specification gives secrets, not a secret
SECRET_BYTES = 32
"""Standard Webhooks: secrets of 24 to 64 random bytes, shown as ``whsec_`` and their base64."""
SUBSCRIPTION_HEADER = "X-Leerlingroute-Subscription"
EVENT_NAMESPACE = uuid.UUID("6f1c2d4e-8a57-4b0e-9a51-3c1f0e2b7d90")
"""The namespace of infra.delivery.prefect_events.event_id, so ``event_id`` here is the Prefect event's id.
Not imported from there: that module imports prefect, and the API (which imports this) must not."""


def new_secret() -> str:
    """A fresh Standard Webhooks secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One Standard Webhooks signature: ``v1,`` and the base64 HMAC-SHA256, keyed with the secret's
    bytes, of ``{message_id}.{timestamp}.{body}``.
    """
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def message_id(subscription_id: str, items: Sequence[OutboxItem]) -> str:
    """The ``webhook-id`` of a batch: the same events to the same subscriber give the same id, so a
    retry of a batch (which is pinned to the same outbox rows) is the same message.
    """
    events = ",".join(f"{i.case_id}:{i.seq}" for i in items)
    return f"msg_{uuid.uuid5(uuid.UUID(subscription_id), 'batch:' + events).hex}"


def delivery_id(subscription_id: str, case_id: str, seq: int) -> uuid.UUID:
    """The same event to the same subscriber always has the same id (receivers de-duplicate on it)."""
    return uuid.uuid5(uuid.UUID(subscription_id), f"{case_id}:{seq}")


def signed_message(subscription_id: str, signing_secrets: Sequence[str], items: Sequence[OutboxItem],
                   now: datetime) -> tuple[bytes, list[tuple[str, str]]]:
    """The body and headers of one batch to one subscriber sent at ``now``, signed with each of
    ``signing_secrets`` (the current one, and the previous one in its grace period).
    """
    body = _body(subscription_id, items)
    msg_id, timestamp = message_id(subscription_id, items), int(now.timestamp())
    signatures = " ".join(signature(s, msg_id, timestamp, body) for s in signing_secrets)
    headers = [("Content-Type", "application/json"), (ID_HEADER, msg_id), (TIMESTAMP_HEADER, str(timestamp)),
               (SIGNATURE_HEADER, signatures), (SUBSCRIPTION_HEADER, subscription_id),
               ("User-Agent", "leerlingroute-webhooks/2")]
    return body, headers


def _body(subscription_id: str, items: Sequence[OutboxItem]) -> bytes:
    deliveries = [{
        "delivery_id": str(delivery_id(subscription_id, i.case_id, i.seq)),
        "event_id": str(uuid.uuid5(EVENT_NAMESPACE, f"{i.case_id}:{i.seq}")),
        "case_id": i.case_id, "seq": i.seq, "type": i.type, "pathway": i.pathway,
        "stage_from": i.stage_from, "stage_to": i.stage_to, "occurred_at": i.occurred_at.isoformat(),
    } for i in items]
    return json.dumps({"deliveries": deliveries}, separators=(",", ":")).encode()
