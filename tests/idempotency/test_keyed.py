"""The idempotency table keeps a keyed hash (HMAC under the secret key) of each request, never
the plain SHA-256 of a body that holds raw codes; rows stored before under the plain hash still
answer their retry, and are re-keyed on the way."""

from __future__ import annotations

import hashlib
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from sparkcodes.idempotency import service
from sparkcodes.kit import crypto
from sparkcodes.models import IdempotencyKey
from tests import factories as f

KEY = "test-secret-key"  # tests/conftest.py's secret key


def _row(client: TestClient) -> IdempotencyKey:
    with client.app.state.db.unit_of_work(write=False) as session:  # type: ignore[attr-defined]
        (row,) = session.scalars(select(IdempotencyKey)).all()
        return row


def _plain_sha256(payload: dict) -> str:  # type: ignore[type-arg]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def test_a_fingerprint_depends_on_the_secret_key() -> None:
    payload = {"codes": ["SPARK-ABCD-EFGH"], "original_post_codes": []}
    keyed = service.fingerprint(payload, secret_key=KEY)
    assert keyed != service.fingerprint(payload, secret_key="another key")
    assert keyed != _plain_sha256(payload)
    assert keyed == crypto.keyed_hash(KEY, json.dumps(payload, sort_keys=True),
                                      purpose=service.PURPOSE)


def test_the_stored_hash_of_a_bind_is_keyed(client: TestClient) -> None:
    w = f.World(client)
    headers = w.brand_h | {"Idempotency-Key": "bind-1"}
    first = f.bind(client, headers, w.account["id"], [w.code["code"]])
    assert first.status_code == 200, first.text
    payload = {"codes": [w.code["code"]], "original_post_codes": []}
    row = _row(client)
    assert row.request_hash != _plain_sha256(payload)
    assert row.request_hash == service.fingerprint(payload, secret_key=KEY)
    again = f.bind(client, headers, w.account["id"], [w.code["code"]])
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()


def test_a_row_stored_under_the_plain_hash_still_answers_and_is_rekeyed(
        client: TestClient) -> None:
    w = f.World(client)
    headers = w.brand_h | {"Idempotency-Key": "bind-legacy"}
    first = f.bind(client, headers, w.account["id"], [w.code["code"]])
    assert first.status_code == 200, first.text
    payload = {"codes": [w.code["code"]], "original_post_codes": []}
    with client.app.state.db.unit_of_work() as session:  # type: ignore[attr-defined]
        row = session.scalars(select(IdempotencyKey)).one()
        row.request_hash = _plain_sha256(payload)  # as written before hashes were keyed
    again = f.bind(client, headers, w.account["id"], [w.code["code"]])
    assert again.status_code == 200, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert _row(client).request_hash == service.fingerprint(payload, secret_key=KEY)
    other = f.bind(client, headers, w.account["id"], ["SPARK-0000-0000"])
    assert other.status_code == 409, other.text
    assert other.json()["error"] == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was used for a different request; use a new key."}
