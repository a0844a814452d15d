"""Field-level encryption of confidential text: AES-256-GCM under keys from ``NOTES_KEYS``.

- ``NOTES_KEYS`` is a comma-separated list, newest first. Each key is 32 random bytes in URL-safe
  base64 (what ``Fernet.generate_key()`` and ``flask notes new-key`` print). New text is sealed
  under the newest key; any listed key still opens what it sealed.
- Each row stores the id of its key: an HMAC of a fixed label under the key, so the id names the
  key without revealing anything about it.
- The row's identity (table, id, author) is the AES-GCM associated data: ciphertext copied onto
  another row or another author fails its integrity check instead of decrypting.
- The stored value is ``version byte || 12-byte random nonce || ciphertext and tag``.
- When ``NOTES_KEYS`` is empty and ``PUBLIC_BASE_URL`` is not https (a local or demo install), a
  demo key is generated into ``instance/notes_demo_key`` (mode 0600) with a warning. With https
  and no keys, or with a malformed key, notes answer a clear "unavailable" page and the rest of
  the app keeps working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

from facilitator.config import NOTES_KEY_BYTES, is_https, parse_keys

log = logging.getLogger(__name__)

KEY_BYTES = NOTES_KEY_BYTES
NONCE_BYTES = 12
FORMAT_V1 = b"\x01"
KEY_ID_LABEL = b"facilitator notes key id v1"
AUDIT_KEY_LABEL = b"facilitator audit chain v1"
DEMO_KEY_FILE = "notes_demo_key"
EXTENSION = "notes_keyring"


class NotesUnavailable(Exception):  # noqa: N818 - reads better at the raise sites
    """Confidential text cannot be sealed or opened. The message names no key material."""

    status = 503
    title = "Confidential notes are unavailable"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        # Set by a service that recorded the failed attempt in the audit trail, so the error
        # handler commits that row (and nothing else is pending) instead of rolling it back.
        self.keep_audit = False


class IntegrityFailed(NotesUnavailable):
    status = 500
    title = "This record could not be opened"


def new_key() -> str:
    """A fresh key in the ``NOTES_KEYS`` format."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def key_id(key: bytes) -> str:
    return hmac.new(key, KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def audit_key(key: bytes) -> bytes:
    """The key that signs the audit chain, derived from a notes key (HKDF-SHA256, its own label)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=AUDIT_KEY_LABEL).derive(key)


@dataclass(frozen=True)
class _Key:
    key_id: str
    aead: AESGCM = field(repr=False)
    audit_key: bytes = field(repr=False)


class Keyring:
    """The usable keys, newest first, or the reason there are none."""

    def __init__(self, keys: list[bytes], source: str, problem: str | None = None) -> None:
        self._keys = [_Key(key_id(k), AESGCM(k), audit_key(k)) for k in keys]
        self.source = source
        self.problem = problem if keys or problem else "No NOTES_KEYS are configured."

    def __repr__(self) -> str:
        return f"<Keyring {self.source} {self.key_ids}>"

    @property
    def key_ids(self) -> list[str]:
        return [k.key_id for k in self._keys]

    @property
    def audit_keys(self) -> list[bytes]:
        """The audit chain's keys, newest first: new rows are signed with the first."""
        self.require()
        return [k.audit_key for k in self._keys]

    @property
    def is_available(self) -> bool:
        return self.problem is None

    def require(self) -> None:
        if self.problem is not None:
            raise NotesUnavailable(
                "Confidential notes cannot be opened or saved because the encryption keys are "
                "not set up correctly. Nothing has been lost. Please tell your administrator.",
                "keys_not_configured")

    @property
    def newest_id(self) -> str:
        self.require()
        return self._keys[0].key_id

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> tuple[str, bytes]:
        self.require()
        key = self._keys[0]
        nonce = secrets.token_bytes(NONCE_BYTES)
        return key.key_id, FORMAT_V1 + nonce + key.aead.encrypt(nonce, plaintext, associated_data)

    def decrypt(self, stored_key_id: str, blob: bytes, associated_data: bytes) -> bytes:
        self.require()
        key = next((k for k in self._keys if k.key_id == stored_key_id), None)
        if key is None:
            raise NotesUnavailable(
                "This record was saved under an encryption key that is not configured "
                f"(key id {stored_key_id}). Nothing has been lost. Please tell your administrator.",
                "key_missing")
        blob = bytes(blob)
        if blob[:1] != FORMAT_V1 or len(blob) < 1 + NONCE_BYTES + 16:
            raise IntegrityFailed("This record is damaged and could not be opened. "
                                  "Please tell your administrator.", "integrity")
        try:
            return key.aead.decrypt(blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:], associated_data)
        except InvalidTag:
            raise IntegrityFailed("This record failed its integrity check and could not be opened. "
                                  "Please tell your administrator.", "integrity") from None


def load_keyring(app: Flask) -> Keyring:
    configured = app.config.get("NOTES_KEYS") or ""
    try:
        keys = parse_keys(configured)
    except ValueError as exc:
        log.error("Confidential notes are unavailable: %s", exc)
        return Keyring([], "NOTES_KEYS", problem=str(exc))
    if keys:
        return Keyring(keys, "NOTES_KEYS")
    if is_https(app):
        log.error("Confidential notes are unavailable: NOTES_KEYS is empty. Set FACILITATOR_NOTES_KEYS "
                  "(make a key with `flask --app facilitator notes new-key`).")
        return Keyring([], "none")
    path = Path(app.instance_path) / DEMO_KEY_FILE
    try:
        return Keyring([_demo_key(path)], "demo")
    except (OSError, ValueError, IndexError) as exc:
        problem = f"The demo notes key {path} cannot be used: {type(exc).__name__}"
        log.error("Confidential notes are unavailable: %s", problem)
        return Keyring([], "demo", problem=problem)


def _demo_key(path: Path) -> bytes:
    """Read the demo key, or create it atomically (owner-only) if no process has yet."""
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(new_key() + "\n")
        try:
            os.link(tmp, path)
            log.warning("NOTES_KEYS is empty: generated a demo key for confidential notes into %s. "
                        "Set FACILITATOR_NOTES_KEYS before real use.", path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    else:
        log.warning("Confidential notes are using the demo key in the instance folder. "
                    "Set FACILITATOR_NOTES_KEYS before real use.")
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        log.warning("The demo notes key %s is readable by other users: run chmod 600 on it.", path)
    return parse_keys(path.read_text())[0]


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = load_keyring(app)


def keyring() -> Keyring:
    return current_app.extensions[EXTENSION]
