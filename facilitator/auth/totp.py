"""RFC 6238 time-based one-time passwords (what authenticator apps show), on ``cryptography``.

Plain functions of the secret, the code and the time: no Flask, no database. Which time steps are
still acceptable (a code is never accepted twice) is the caller's business.
"""

from __future__ import annotations

import base64
import hmac
import os
import re
from urllib.parse import quote

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

DIGITS = 6
STEP_SECONDS = 30
# Steps either side of now that are accepted: covers a phone clock ~30 s off and typing time.
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends

_CODE = re.compile(rf"^[0-9]{{{DIGITS}}}$")  # ASCII only: \d also matches other scripts' digits


def new_secret() -> bytes:
    return os.urandom(SECRET_BYTES)


def _totp(secret: bytes) -> TOTP:
    # SHA-1 is what RFC 6238 and every authenticator app default to; HMAC-SHA1 is not broken.
    # bandit B303 (insecure hash) does not apply: this is HMAC-SHA1 as RFC 6238 specifies.
    return TOTP(secret, DIGITS, SHA1(), STEP_SECONDS)  # noqa: S303  # nosec B303


def base32_key(secret: bytes) -> str:
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def display_key(secret: bytes) -> str:
    """The key for typing into an app by hand, in groups of four: ``ABCD EFGH …``."""
    key = base32_key(secret)
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def provisioning_uri(secret: bytes, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (from a QR code or pasted)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    return (f"otpauth://totp/{label}?secret={base32_key(secret)}&issuer={quote(issuer)}"
            f"&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}")


def time_step(now: float) -> int:
    return int(now // STEP_SECONDS)


def normalise_code(code: str) -> str:
    """Apps show ``123 456``; people paste ``123-456``: keep the digits only."""
    return re.sub(r"[\s-]", "", code or "")


def looks_like_code(code: str) -> bool:
    return bool(_CODE.match(normalise_code(code)))


def code_at(secret: bytes, step: int) -> str:
    return _totp(secret).generate(step * STEP_SECONDS).decode("ascii")


def matching_step(secret: bytes, code: str, now: float, after: int | None = None) -> int | None:
    """The time step whose code this is (within the drift allowed), only if it is after ``after``."""
    code = normalise_code(code)
    if not _CODE.match(code):
        return None
    current = time_step(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Compare every candidate, so the time taken does not tell which step matched.
        if hmac.compare_digest(code_at(secret, step), code) and (after is None or step > after):
            found = step
    return found
