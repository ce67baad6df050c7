"""The audit chain's canonical form and keyed hash: frozen by a known vector (rows chained under
version 1 can never be re-hashed), the key derived by RFC 5869 HKDF, keys told apart by id."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from sparkcodes.kit import chain

ROW: dict[str, Any] = {
    "id": "0" * 31 + "1", "occurred_at": datetime(2026, 12, 6, 1, 2, 3, 456789, tzinfo=UTC),
    "actor_id": None, "action": "authorization.extended", "target_type": "authorization",
    "target_id": "a1", "creator_id": "c1", "business_id": "b1",
    "details": {"b": 1, "a": {"z": "é", "y": [1, 2.5]}}, "request_id": "req-1"}


def test_the_canonical_form_is_frozen() -> None:
    assert chain.canonical(ROW, chain.GENESIS).decode() == (
        '["sparkcodes.audit/1","' + "0" * 64 + '","00000000000000000000000000000001",'
        '"2026-12-06T01:02:03.456789Z",null,"authorization.extended","authorization","a1",'
        '"c1","b1",{"a":{"y":[1,2.5],"z":"é"},"b":1},"req-1"]')


def _hkdf_sha256(ikm: bytes, info: bytes) -> bytes:
    """RFC 5869 with no salt, written out: the chain must not depend on one library's reading."""
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def test_the_hash_is_hmac_sha256_under_an_hkdf_key() -> None:
    key = chain.derive("golden-secret")
    secret = _hkdf_sha256(b"golden-secret", b"sparkcodes audit chain")
    expected = hmac.new(secret, chain.canonical(ROW, chain.GENESIS), hashlib.sha256).hexdigest()
    assert key.digest(ROW, chain.GENESIS) == expected == (
        "859b126ad2d5ea68aab0651f2d8ead625bb6ba54cacbc3a0140035c83a122ef7")
    assert key.key_id == "393d05118962c718"


@pytest.mark.parametrize(("field", "value"), [
    ("id", "0" * 31 + "2"), ("occurred_at", ROW["occurred_at"] - timedelta(microseconds=1)),
    ("actor_id", "u1"), ("action", "authorization.deleted"), ("target_type", "post"),
    ("target_id", "a2"), ("creator_id", None), ("business_id", "b2"),
    ("details", {"b": 1, "a": {"z": "e", "y": [1, 2.5]}}), ("request_id", None)])
def test_every_field_changes_the_hash(field: str, value: Any) -> None:
    key = chain.derive("k")
    assert key.digest({**ROW, field: value}, chain.GENESIS) != key.digest(ROW, chain.GENESIS)


def test_the_previous_hash_changes_the_hash() -> None:
    key = chain.derive("k")
    assert key.digest(ROW, "1" * 64) != key.digest(ROW, chain.GENESIS)


def test_the_same_instant_in_another_zone_hashes_alike_and_key_order_does_not_matter() -> None:
    key = chain.derive("k")
    elsewhere = ROW["occurred_at"].astimezone(timezone(timedelta(hours=5)))
    shuffled = {"a": {"y": [1, 2.5], "z": "é"}, "b": 1}
    assert key.digest({**ROW, "occurred_at": elsewhere, "details": shuffled},
                      chain.GENESIS) == key.digest(ROW, chain.GENESIS)


def test_missing_details_hash_as_an_empty_object() -> None:
    key = chain.derive("k")
    assert key.digest({**ROW, "details": None}, "x") == key.digest({**ROW, "details": {}}, "x")


@pytest.mark.parametrize(("field", "value", "error"), [
    ("occurred_at", datetime(2026, 1, 1), ValueError),  # noqa: DTZ001  (naive on purpose)
    ("details", {"n": float("nan")}, ValueError),
    ("details", {"when": datetime(2026, 1, 1, tzinfo=UTC)}, TypeError),
])
def test_values_no_stored_row_holds_are_refused(field: str, value: Any,
                                                error: type[Exception]) -> None:
    with pytest.raises(error):
        chain.canonical({**ROW, field: value}, chain.GENESIS)


def test_a_keyring_finds_each_key_by_id_and_ignores_repeats() -> None:
    ring = chain.Keyring("new", ["old", "", "new", "older", "old"])
    assert len(ring) == 3
    assert ring.current == chain.derive("new")
    for secret in ("new", "old", "older"):
        assert ring.get(chain.derive(secret).key_id) == chain.derive(secret)
    assert ring.get(chain.derive("never").key_id) is None
    assert len({chain.derive(s).key_id for s in ("new", "old", "older")}) == 3
