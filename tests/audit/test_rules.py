"""Naming a broken link (audit/rules.py): changed or inserted, reordered or missing, and how a
break reads and is keyed for de-duplication."""

from __future__ import annotations

import pytest

from sparkcodes.audit import rules

H, PREV, OTHER = "h" * 64, "p" * 64, "o" * 64


@pytest.mark.parametrize(("successor_prev", "seq", "head_seq", "kind"), [
    (H, 3, 5, rules.CONTENT_CHANGED),     # what follows still links to it: changed in place
    (PREV, 3, 5, rules.ROW_INSERTED),     # what follows links to the row before it: put in
    (OTHER, 3, 5, rules.CONTENT_CHANGED),  # neither: it is at least not what was written
    (None, 5, 5, rules.CONTENT_CHANGED),  # the last link, named by the head
    (None, 6, 5, rules.ROW_INSERTED),     # past the head
])
def test_an_unverified_link_is_changed_or_inserted(successor_prev: str | None, seq: int,
                                                   head_seq: int, kind: str) -> None:
    assert rules.unverified_kind(stored_hash=H, expected_prev=PREV, successor_prev=successor_prev,
                                 seq=seq, head_seq=head_seq) == kind


@pytest.mark.parametrize(("exists", "kind"), [(True, rules.ORDER_CHANGED),
                                              (False, rules.ROW_MISSING)])
def test_a_genuine_link_after_the_wrong_row_is_reordered_or_missing(exists: bool,
                                                                    kind: str) -> None:
    assert rules.relinked_kind(predecessor_exists=exists) == kind


@pytest.mark.parametrize(("event_id", "seq", "where", "key"), [
    ("e1", 4, "row e1, position 4", "row_missing:e1:4"),
    (None, 4, "position 4", "row_missing:-:4"),
    ("e1", None, "row e1", "row_missing:e1:-"),
    (None, None, "the chain head", "row_missing:-:-"),
])
def test_a_break_says_where_and_has_a_stable_key(event_id: str | None, seq: int | None,
                                                 where: str, key: str) -> None:
    broken = rules.Break(rules.ROW_MISSING, event_id, seq, "it is gone")
    assert broken.where == where
    assert broken.message == f"row missing at {where}: it is gone"
    assert broken.key == key
    assert len(broken.key) <= 120


def test_every_kind_has_words() -> None:
    kinds = {rules.CONTENT_CHANGED, rules.ROW_MISSING, rules.ROW_INSERTED, rules.ORDER_CHANGED,
             rules.UNKNOWN_KEY, rules.HEAD_CHANGED}
    assert set(rules.LABELS) == kinds
    assert rules.Break(rules.UNKNOWN_KEY, "e", 1, "x").label == "unknown key"
