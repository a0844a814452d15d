"""Encryption of small account secrets at rest, keyed from SECRET_KEY.

Each purpose gets its own Fernet key (AES-128-CBC with HMAC-SHA256), derived from SECRET_KEY with
HKDF-SHA256, so a value encrypted for one purpose cannot be passed off as another. Keys listed in
``SECRET_KEY_FALLBACKS`` (Flask's setting for key rotation) still decrypt, so rotating SECRET_KEY
does not switch off everyone's two-factor sign-in; values are re-encrypted with the new key the
next time they are written.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

__all__ = ["InvalidToken", "decrypt", "encrypt"]


def _key(secret: str, purpose: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=f"facilitator/{purpose}".encode()).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _fernet(purpose: str) -> MultiFernet:
    config = current_app.config
    secrets = [str(config["SECRET_KEY"]), *map(str, config.get("SECRET_KEY_FALLBACKS") or [])]
    return MultiFernet([_key(secret, purpose) for secret in secrets])


def encrypt(purpose: str, data: bytes) -> str:
    return _fernet(purpose).encrypt(data).decode("ascii")


def decrypt(purpose: str, token: str, max_age: int | None = None) -> bytes:
    """The plaintext, or ``InvalidToken`` when it was tampered with, too old or for another key."""
    if max_age is None:
        return _fernet(purpose).decrypt(token.encode("ascii"))
    return _fernet(purpose).decrypt(token.encode("ascii"), ttl=max_age)
