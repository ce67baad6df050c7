"""The audit log on the real database: what a row holds (never a secret), the request id it
carries, and the two histories read from it (one target's, oldest first; one scope's, newest
first)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from sparkcodes.audit import repository, service
from sparkcodes.kit import clock
from sparkcodes.kit.context import request_id_var

SECRETS = ["code", "code_hash", "token", "token_hash", "password", "password_hash"]


def _record(app: FastAPI, **fields: Any) -> str:
    values: dict[str, Any] = {"actor_id": None, "action": "thing.changed",
                              "target_type": "thing", "target_id": "t1", **fields}
    with app.state.db.unit_of_work() as session:
        return service.record(session, **values).id


def _stored(app: FastAPI, target_type: str = "thing",
            target_id: str = "t1") -> list[dict[str, Any]]:
    with app.state.db.unit_of_work(write=False) as session:
        return [{"id": e.id, "action": e.action, "details": e.details,
                 "request_id": e.request_id, "creator_id": e.creator_id,
                 "business_id": e.business_id, "occurred_at": e.occurred_at}
                for e in repository.for_target(session, target_type, target_id, limit=100,
                                               offset=0)]


@pytest.mark.parametrize("secret", SECRETS)
def test_a_secret_never_reaches_the_log_wherever_it_is_given(app: FastAPI, secret: str) -> None:
    _record(app, before={secret: "raw-before", "status": "unused"},
            after={secret: "raw-after", "status": "bound"}, **{secret: "raw-extra"},
            note="kept")
    (row,) = _stored(app)
    assert row["details"] == {"before": {"status": "unused"}, "after": {"status": "bound"},
                              "note": "kept"}
    assert "raw-" not in repr(row)


@pytest.mark.parametrize(("before", "after", "details"), [
    (None, None, {}),
    ({"name": "A"}, None, {"before": {"name": "A"}}),
    (None, {"name": "B"}, {"after": {"name": "B"}}),
    ({}, {}, {"before": {}, "after": {}}),
])
def test_before_and_after_are_kept_only_when_given(app: FastAPI, before: dict[str, Any] | None,
                                                   after: dict[str, Any] | None,
                                                   details: dict[str, Any]) -> None:
    _record(app, before=before, after=after)
    assert _stored(app)[0]["details"] == details


def test_instants_are_stored_as_iso_text_and_other_values_as_given(app: FastAPI) -> None:
    ends = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    _record(app, after={"ends_at": ends, "days": 30, "post_id": None, "codes": ["…K7"]},
            window_end=ends)
    assert _stored(app)[0]["details"] == {
        "after": {"ends_at": "2025-03-01T12:30:00+00:00", "days": 30, "post_id": None,
                  "codes": ["…K7"]},
        "window_end": "2025-03-01T12:30:00+00:00",
    }


def test_a_row_carries_the_request_id_of_its_request(app: FastAPI) -> None:
    token = request_id_var.set("req-123")
    try:
        _record(app, target_id="t1")
    finally:
        request_id_var.reset(token)
    _record(app, target_id="t2")
    assert _stored(app, target_id="t1")[0]["request_id"] == "req-123"
    assert _stored(app, target_id="t2")[0]["request_id"] is None  # a job or a CLI command


def test_a_row_is_stamped_by_the_one_clock(app: FastAPI) -> None:
    clock.set_offset(timedelta(days=40))
    _record(app)
    at = _stored(app)[0]["occurred_at"]
    assert at.tzinfo is not None
    assert abs(at - clock.utc_now()) < timedelta(minutes=1)
    assert at - clock.real_now() > timedelta(days=39)


def test_nothing_is_logged_when_the_change_rolls_back(app: FastAPI) -> None:
    with pytest.raises(RuntimeError), app.state.db.unit_of_work() as session:
        service.record(session, actor_id=None, action="thing.changed", target_type="thing",
                       target_id="t1")
        raise RuntimeError("the change failed")
    assert _stored(app) == []


def test_one_targets_history_is_oldest_first_and_pages(app: FastAPI) -> None:
    for days, action in [(2, "thing.second"), (1, "thing.first"), (3, "thing.third")]:
        clock.set_offset(timedelta(days=days))
        _record(app, action=action)
    _record(app, action="other.changed", target_id="t2")
    _record(app, action="other.changed", target_type="other")
    assert [r["action"] for r in _stored(app)] == ["thing.first", "thing.second", "thing.third"]
    with app.state.db.unit_of_work(write=False) as session:
        page = repository.for_target(session, "thing", "t1", limit=2, offset=1)
        assert [e.action for e in page] == ["thing.second", "thing.third"]
        assert list(repository.for_target(session, "thing", "t1", limit=2, offset=3)) == []


def test_a_scopes_history_is_newest_first_and_filtered(app: FastAPI) -> None:
    rows = [(1, "c1", "b1"), (2, "c1", None), (3, None, "b1"), (4, "c2", "b1"), (5, "c1", "b2")]
    for days, creator_id, business_id in rows:
        clock.set_offset(timedelta(days=days))
        _record(app, action=f"thing.day{days}", creator_id=creator_id, business_id=business_id)
    with app.state.db.unit_of_work(write=False) as session:
        def actions(**scope: Any) -> list[str]:
            return [e.action for e in repository.for_scope(session, limit=10, offset=0, **scope)]

        assert actions(creator_id="c1") == ["thing.day5", "thing.day2", "thing.day1"]
        assert actions(business_id="b1") == ["thing.day4", "thing.day3", "thing.day1"]
        assert actions(creator_id="c1", business_id="b1") == ["thing.day1"]
        assert actions(creator_id="c3") == []
        assert [e.action for e in repository.for_scope(session, business_id="b1", limit=1,
                                                       offset=1)] == ["thing.day3"]
