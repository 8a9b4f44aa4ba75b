"""TOTP (RFC 6238) as authenticator apps know it: HMAC-SHA-1, 30-second steps, 6 digits."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from urllib.parse import quote, urlencode

TOTP_STEP_S = 30
TOTP_DIGITS = 6
TOTP_DRIFT = 1
"""Accept codes this many steps before or after the current one."""
ISSUER = "Leerlingroute"


def new_totp_secret() -> str:
    """A random 160-bit TOTP secret in base32 without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def time_step(at: datetime) -> int:
    """The TOTP time step ``at`` falls in (30-second steps since the Unix epoch)."""
    return int(at.timestamp()) // TOTP_STEP_S


def totp_at_step(secret: str, step: int) -> str:
    """The 6-digit code of ``secret`` (base32) for time step ``step`` (RFC 4226 dynamic truncation)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (int.from_bytes(digest[offset:offset + 4], "big") & 0x7FFF_FFFF) % 10**TOTP_DIGITS
    return f"{code:0{TOTP_DIGITS}d}"


def totp(secret: str, at: datetime) -> str:
    """The code an authenticator app shows at ``at``."""
    return totp_at_step(secret, time_step(at))


def otpauth_uri(secret: str, name: str, issuer: str = ISSUER) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads (as text or QR code)."""
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": TOTP_DIGITS,
                       "period": TOTP_STEP_S})
    return f"otpauth://totp/{quote(issuer)}:{quote(name)}?{query}"


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step near ``now`` whose code is ``code``, if any, used or not: whether it was used is
    decided where it is marked used, in one conditional update (see ``infra.identity.web_accounts.finish_attempt``).
    """
    current = time_step(now)
    for step in range(current - TOTP_DRIFT, current + TOTP_DRIFT + 1):
        if hmac.compare_digest(totp_at_step(secret, step), code):
            return step
    return None
