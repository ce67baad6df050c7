"""The audit chain's keyed hash: a frozen canonical form of an audit row and HMAC-SHA-256 over it
and the previous link's hash.

The key is HKDF-SHA-256 of the secret key for this one purpose (as ``kit.sealing`` derives its
Fernet key), so the chain's key is never the key of anything else. Every link records the id of
the key it was made with (``key_id``, a keyed fingerprint that reveals nothing of the key): after
the secret key rotates, new links use the new key and old links verify under the key they name,
as long as it stays listed in ``previous_secret_keys``.

The canonical form is version 1 and must never change (rows chained under it are immutable): a
compact JSON array of a version tag, the previous hash, then every column of the audit row in a
fixed order, the instant as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, the details object with
sorted keys, no NaN, UTF-8.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "sparkcodes.audit/1"
GENESIS = "0" * 64  # the "previous hash" of the first link
AUDIT_INFO = b"sparkcodes audit chain"
# The audit row's columns the hash covers, in canonical order.
FIELDS = ("id", "occurred_at", "actor_id", "action", "target_type", "target_id", "creator_id",
          "business_id", "details", "request_id")


def _instant(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("the audit chain only hashes aware UTC instants")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(row: Mapping[str, Any], prev_hash: str) -> bytes:
    """The bytes the link's hash covers: the row's content and the previous link's hash."""
    values: list[Any] = [VERSION, prev_hash]
    for name in FIELDS:
        value = row[name]
        if name == "occurred_at":
            value = _instant(value)
        elif name == "details":
            value = value if value is not None else {}
        values.append(value)
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


@dataclass(frozen=True)
class ChainKey:
    key_id: str
    secret: bytes = b""

    def digest(self, row: Mapping[str, Any], prev_hash: str) -> str:
        return hmac.new(self.secret, canonical(row, prev_hash), hashlib.sha256).hexdigest()


def derive(secret_key: str) -> ChainKey:
    secret = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=AUDIT_INFO).derive(
        secret_key.encode())
    key_id = hmac.new(secret, b"key-id", hashlib.sha256).hexdigest()[:16]
    return ChainKey(key_id=key_id, secret=secret)


class Keyring:
    """The current key (new links) and every previous one (old links name theirs by id)."""

    def __init__(self, secret_key: str, previous_keys: list[str] | None = None) -> None:
        self.current = derive(secret_key)
        self._by_id = {self.current.key_id: self.current}
        for old in previous_keys or []:
            if old and old != secret_key:
                key = derive(old)
                self._by_id.setdefault(key.key_id, key)

    def get(self, key_id: str) -> ChainKey | None:
        return self._by_id.get(key_id)

    def __len__(self) -> int:
        return len(self._by_id)
