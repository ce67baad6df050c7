"""Idempotency-Key on the real database: a retried request gets the first answer, a key reused
for another request is refused, and a twin that lost the insert is told to retry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sparkcodes import errors
from sparkcodes.idempotency import service
from sparkcodes.models import IdempotencyKey, User
from sparkcodes.user import repository as user_repository
from tests import factories as f

KEY = "test-secret-key"
ANSWER = {"bound": 1, "failed": 0, "results": [{"index": 0, "ok": True}]}


def _user(app: FastAPI, client: TestClient, email: str) -> str:
    f.user(client, email=email)
    with app.state.db.unit_of_work(write=False) as session:
        found = user_repository.by_email(session, email)
        assert isinstance(found, User)
        return found.id


def _remember(app: FastAPI, user_id: str, *, scope: str = "bind:a1", key: str = "k1",
              request_hash: str = "h1", status_code: int = 200,
              response: dict[str, Any] | None = None) -> None:
    with app.state.db.unit_of_work() as session:
        service.remember(session, user_id=user_id, scope=scope, key=key,
                         request_hash=request_hash, status_code=status_code,
                         response=ANSWER if response is None else response)


def _replay(app: FastAPI, user_id: str, *, scope: str = "bind:a1", key: str = "k1",
            request_hash: str = "h1") -> IdempotencyKey | None:
    with app.state.db.unit_of_work(write=False) as session:
        return service.replay(session, user_id=user_id, scope=scope, key=key,
                              request_hash=request_hash)


def _rows(app: FastAPI) -> int:
    with app.state.db.unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(IdempotencyKey)) or 0


# --- fingerprints ------------------------------------------------------------------------------

def _fp(payload: dict[str, Any]) -> str:
    return service.fingerprint(payload, secret_key=KEY)


def test_a_fingerprint_ignores_key_order() -> None:
    assert _fp({"codes": ["A"], "original_post_codes": None}) == \
        _fp({"original_post_codes": None, "codes": ["A"]})


@pytest.mark.parametrize(("one", "other"), [
    ({"codes": ["A"]}, {"codes": ["B"]}),
    ({"codes": ["A", "B"]}, {"codes": ["B", "A"]}),  # the order of a batch is its answer's order
    ({"codes": ["A"]}, {"codes": ["A"], "original_post_codes": ["C"]}),
    ({"days": 30}, {"days": "30"}),
])
def test_different_requests_have_different_fingerprints(one: dict[str, Any],
                                                        other: dict[str, Any]) -> None:
    assert _fp(one) != _fp(other)


def test_dates_in_a_payload_are_fingerprinted_by_value() -> None:
    at = datetime(2025, 3, 1, 12, tzinfo=UTC)
    assert _fp({"at": at}) == _fp({"at": datetime(2025, 3, 1, 12, tzinfo=UTC)})
    assert _fp({"at": at}) != _fp({"at": date(2025, 3, 1)})
    assert len(_fp({"at": at})) == 64


# --- replay and remember -----------------------------------------------------------------------

@pytest.mark.parametrize("key", ["", "x" * 201, "x" * 1000])
def test_a_key_outside_1_to_200_characters_is_refused(app: FastAPI, client: TestClient,
                                                      key: str) -> None:
    user_id = _user(app, client, "keys@example.com")
    with pytest.raises(errors.InvalidInput) as exc:
        _replay(app, user_id, key=key)
    assert exc.value.code == "invalid_idempotency_key"
    assert exc.value.status == 422
    assert exc.value.message == "An Idempotency-Key has 1 to 200 characters."


@pytest.mark.parametrize("key", ["k", "x" * 200, "bind 2025-03-01 #1 ü"])
def test_a_new_key_of_1_to_200_characters_has_no_earlier_answer(app: FastAPI, client: TestClient,
                                                      key: str) -> None:
    user_id = _user(app, client, "fresh@example.com")
    assert _replay(app, user_id, key=key) is None


def test_the_same_request_again_gets_the_first_answer(app: FastAPI, client: TestClient) -> None:
    user_id = _user(app, client, "retry@example.com")
    answer = {"bound": 0, "failed": 1, "results": [{"index": 0, "ok": False}]}
    _remember(app, user_id, status_code=200, response=answer)
    row = _replay(app, user_id)
    assert row is not None
    assert (row.status_code, row.response) == (200, answer)
    assert _rows(app) == 1


def test_the_same_key_for_another_request_is_refused(app: FastAPI, client: TestClient) -> None:
    user_id = _user(app, client, "reuse@example.com")
    _remember(app, user_id, request_hash="h1")
    with pytest.raises(errors.Conflict) as exc:
        _replay(app, user_id, request_hash="h2")
    assert exc.value.code == "idempotency_key_reused"
    assert exc.value.status == 409
    assert exc.value.message == \
        "This Idempotency-Key was used for a different request; use a new key."


def test_keys_belong_to_one_user_and_one_scope(app: FastAPI, client: TestClient) -> None:
    alice = _user(app, client, "alice@example.com")
    bob = _user(app, client, "bob@example.com")
    _remember(app, alice, scope="bind:a1", key="k1", request_hash="h1")
    assert _replay(app, bob, scope="bind:a1", key="k1", request_hash="other") is None
    assert _replay(app, alice, scope="bind:a2", key="k1", request_hash="other") is None
    # Each of them may then use the same key for its own request.
    _remember(app, bob, scope="bind:a1", key="k1", request_hash="other")
    _remember(app, alice, scope="bind:a2", key="k1", request_hash="other")
    assert _rows(app) == 3


def test_a_twin_that_loses_the_insert_is_told_to_retry_and_the_first_answer_stays(
        app: FastAPI, client: TestClient) -> None:
    """Two requests with one key both found no earlier answer; the first to store its answer
    wins, the other is refused, and its session stays usable for the rest of its work."""
    user_id = _user(app, client, "twins@example.com")
    _remember(app, user_id, request_hash="h1", response={"first": True})
    with app.state.db.unit_of_work() as session:
        with pytest.raises(errors.Conflict) as exc:
            service.remember(session, user_id=user_id, scope="bind:a1", key="k1",
                             request_hash="h1", status_code=200, response={"second": True})
        service.remember(session, user_id=user_id, scope="bind:a1", key="k2",
                         request_hash="h1", status_code=200, response={"other": True})
    assert exc.value.code == "idempotency_key_in_use"
    assert exc.value.status == 409
    assert exc.value.message == \
        "A request with this Idempotency-Key is being processed; retry in a moment."
    row = _replay(app, user_id)
    assert row is not None and row.response == {"first": True}
    assert _rows(app) == 2
