"""Refusals of the roster and its contracts, each with its code and the words a person reads."""

from __future__ import annotations

from datetime import timedelta

from tests import factories as f
from tests.integration._http import assert_error
from tests.roster.test_roster_contracts import add, create_contract, now_of


def test_a_creator_already_on_the_roster_is_named(client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    biz = w.business["id"]
    add(client, w.brand_h, biz, creator_id=w.creator["id"])
    assert_error(add(client, w.brand_h, biz, 409, creator_id=w.creator["id"]), 409,
                 "roster_entry_exists", f"@{w.creator['handle']} is on the roster already.")


def test_an_unknown_creator_is_said(client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    biz = w.business["id"]
    assert_error(add(client, w.brand_h, biz, 404, handle="nobody_by_that_name"), 404,
                 "creator_not_found", "No creator account by that name.")
    now = now_of(client, w.brand_h)
    r = create_contract(client, w.brand_h, biz, 404, creator_id="0" * 32,
                        starts_at=now.isoformat(), ends_at=(now + timedelta(days=30)).isoformat())
    assert_error(r, 404, "creator_not_found", "No such creator account.")
