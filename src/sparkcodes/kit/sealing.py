"""Secrets sparkcodes must read back (a TikTok access token, a developer app's secret, a webhook
endpoint's signing secret), sealed at rest with Fernet under a key derived from the secret key.

Codes and API tokens are only ever compared, so they are hashed; these are sent on to TikTok, so
they are encrypted instead. The key is HKDF-SHA-256 of the secret key for one purpose. Keys used
before the current one (``previous_secret_keys``) still open old values through a MultiFernet,
and ``reseal`` moves a value under the current key.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CONNECTOR_INFO = b"sparkcodes connector"
# Webhook signing secrets: sparkcodes signs with them, so it must read them back.
WEBHOOK_INFO = b"sparkcodes webhook secrets"


class SealBroken(Exception):
    """A sealed value no configured key opens (a key was dropped too soon, or it was altered)."""


def _fernet(secret_key: str, info: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class Sealer:
    """Seal with the current key; open with the current or any previous one."""

    def __init__(self, secret_key: str, previous_keys: list[str] | None = None, *,
                 info: bytes = CONNECTOR_INFO) -> None:
        keys = [secret_key, *[k for k in (previous_keys or []) if k and k != secret_key]]
        self._current = _fernet(secret_key, info)
        self._all = MultiFernet([_fernet(k, info) for k in keys])

    def seal(self, value: str) -> str:
        return self._current.encrypt(value.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._all.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SealBroken("no configured secret key opens this value") from None

    def is_current(self, sealed: str) -> bool:
        try:
            self._current.decrypt(sealed.encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, sealed: str) -> str:
        """The same value sealed under the current key (MultiFernet.rotate)."""
        try:
            return self._all.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise SealBroken("no configured secret key opens this value") from None
