"""The tracker's pure rules (R22, R26): durations, time left, expiring-within, contract flags and
the governing contract, sort order. No database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparkcodes import errors
from sparkcodes.contract import rules as contract_rules
from sparkcodes.contract.rules import ContractTerm
from sparkcodes.tracker import rules
from sparkcodes.tracker.rules import CODE_SHORTER_THAN_CONTRACT as SHORT
from sparkcodes.tracker.rules import RUNNING_PAST_CONTRACT as PAST

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


# --- expiring_within -------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("3d", 3 * D), ("72h", 72 * H), ("2w", 14 * D), ("90m", timedelta(minutes=90)),
    ("1d12h", 36 * H), (" 3D ", 3 * D), ("1d 6h", 30 * H), ("3650d", 3650 * D),
])
def test_expiring_within_parses(text: str, expected: timedelta) -> None:
    assert rules.parse_within(text) == expected


@pytest.mark.parametrize("text", [
    "", "3", "d", "3 days", "-3d", "3.5d", "3x", "0d", "0h0m", "d3", "3dd", "3d-", "99999w",
    "1e3d",
])
def test_expiring_within_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        rules.parse_within(text)
    assert exc.value.code == "invalid_expiring_within"
    assert exc.value.status == 422


@pytest.mark.parametrize("end, within, expected", [
    (NOW + H, 3 * D, True),
    (NOW + 3 * D, 3 * D, True),  # the boundary itself is inside
    (NOW + 3 * D + timedelta(seconds=1), 3 * D, False),
    (NOW, 3 * D, False),  # ending now is ended, not expiring
    (NOW - H, 3 * D, False),
    (None, 3 * D, False),  # own posts have no window
])
def test_expiring_within(end: datetime | None, within: timedelta, expected: bool) -> None:
    assert rules.expiring_within(end, within, NOW) is expected


# --- time left -------------------------------------------------------------------------------

@pytest.mark.parametrize("end, days, hours", [
    (NOW + 30 * D, 30, 720),
    (NOW + 2 * D + H, 3, 49),  # rounded up: a started day counts
    (NOW + timedelta(minutes=1), 1, 1),
    (NOW + 24 * H, 1, 24),
    (NOW + 24 * H + timedelta(seconds=1), 2, 25),
    (NOW, 0, 0),
    (NOW - 5 * D, 0, 0),
])
def test_time_left(end: datetime, days: int, hours: int) -> None:
    assert rules.time_left(end, NOW) == (days, hours)


def test_no_window_no_time_left() -> None:
    assert rules.time_left(None, NOW) == (None, None)


# --- contract flags (R26) --------------------------------------------------------------------

@pytest.mark.parametrize("window_end, contract_end, live, expected", [
    (NOW + 5 * D, NOW + 10 * D, 0, [SHORT]),
    (NOW + 5 * D, NOW + 10 * D, 3, [SHORT]),
    (NOW + 10 * D, NOW + 10 * D, 1, []),  # ends together: not shorter
    (NOW + 20 * D, NOW + 10 * D, 1, []),
    (NOW + 20 * D, NOW - H, 1, [PAST]),  # the contract ended, an ad still runs
    (NOW + 20 * D, NOW - H, 0, []),  # ended, but nothing runs
    (NOW - 2 * H, NOW - H, 1, [SHORT, PAST]),
    (NOW + 20 * D, NOW, 1, []),  # now > contract end is needed: the end instant itself is fine
    (NOW + 5 * D, None, 2, []),  # no contract, no flags
    (None, NOW + 10 * D, 0, []),  # own post: no window to be short
    (None, NOW - D, 2, [PAST]),
])
def test_flags(window_end: datetime | None, contract_end: datetime | None, live: int,
               expected: list[str]) -> None:
    assert rules.flags(bound=True, window_end=window_end, contract_end=contract_end,
                       live_ads=live, now=NOW) == expected


@pytest.mark.parametrize("window_end, contract_end, live", [
    (w, c, live) for w in (None, NOW - 2 * H, NOW + 5 * D, NOW + 10 * D, NOW + 20 * D)
    for c in (NOW - D, NOW - H, NOW, NOW + 10 * D) for live in (0, 1, 3)])
def test_the_named_rules_are_the_flags(window_end: datetime | None, contract_end: datetime,
                                       live: int) -> None:
    """The roster decides flags on plain rows with the two rules ``flags`` is made of."""
    expected = rules.flags(bound=True, window_end=window_end, contract_end=contract_end,
                           live_ads=live, now=NOW)
    assert rules.code_ends_first(window_end, contract_end) is (SHORT in expected)
    assert (live > 0 and rules.contract_ended(contract_end, NOW)) is (PAST in expected)


def test_an_unbound_spark_post_is_never_flagged() -> None:
    assert rules.flags(bound=False, window_end=NOW + D, contract_end=NOW + 10 * D, live_ads=0,
                       now=NOW) == []


# --- the governing contract ------------------------------------------------------------------

def _t(ident: str, ends: datetime, post: str | None = "p1", creator: str = "c1") -> ContractTerm:
    return ContractTerm(id=ident, creator_id=creator, post_id=post, ends_at=ends)


@pytest.mark.parametrize("terms, expected", [
    ([], None),
    ([_t("a", NOW + D)], "a"),
    ([_t("a", NOW + D), _t("b", NOW + 5 * D)], "b"),  # latest-ending wins
    ([_t("a", NOW + D), _t("b", NOW + 5 * D, post=None)], "b"),  # creator-wide counts
    ([_t("a", NOW + 9 * D), _t("b", NOW + 5 * D, post=None)], "a"),
    ([_t("a", NOW + 9 * D, post="p2")], None),  # another post of the creator
    ([_t("a", NOW + 9 * D, post=None, creator="c2")], None),  # another creator
    ([_t("a", NOW + 9 * D, post="p1", creator="c2")], None),
])
def test_governing_contract(terms: list[ContractTerm], expected: str | None) -> None:
    found = contract_rules.governing(terms, creator_id="c1", post_id="p1")
    assert (found.id if found else None) == expected


@pytest.mark.parametrize("starts, ends, ok", [
    (NOW, NOW + D, True),
    (NOW, NOW, False),
    (NOW + D, NOW, False),
    (NOW, NOW + 3661 * D, False),
    (NOW.replace(tzinfo=None), NOW + D, False),
])
def test_contract_window(starts: datetime, ends: datetime, ok: bool) -> None:
    if ok:
        contract_rules.check_window(starts, ends)
    else:
        with pytest.raises(errors.InvalidInput) as exc:
            contract_rules.check_window(starts, ends)
        assert exc.value.code == "invalid_contract_window"


@pytest.mark.parametrize("deleted, starts, ends, status", [
    (None, NOW + H, NOW + D, "upcoming"),
    (None, NOW, NOW + D, "active"),
    (None, NOW - D, NOW, "ended"),
    (NOW, NOW - D, NOW + D, "deleted"),
])
def test_contract_status(deleted: datetime | None, starts: datetime, ends: datetime,
                         status: str) -> None:
    assert contract_rules.status_at(starts_at=starts, ends_at=ends, deleted_at=deleted,
                                    now=NOW) == status


# --- filters and order -----------------------------------------------------------------------

def test_statuses_are_checked_and_normalized() -> None:
    assert rules.parse_statuses([]) is None
    assert rules.parse_statuses(["authorized", "AUTHORIZATION_EXPIRED,unbound"]) == {
        "AUTHORIZED", "AUTHORIZATION_EXPIRED", "UNBOUND"}
    with pytest.raises(errors.InvalidInput) as exc:
        rules.parse_statuses(["LIVE"])
    assert exc.value.code == "invalid_status"


@pytest.mark.parametrize("text, expected", [
    ("expiry", ("expiry", False)), ("-expiry", ("expiry", True)),
    ("days_left", ("days_left", False)), ("spend_at_risk", ("spend_at_risk", True)),
    ("-spend_at_risk", ("spend_at_risk", False)), ("Creator", ("creator", False)),
])
def test_sort_names(text: str, expected: tuple[str, bool]) -> None:
    assert rules.parse_sort(text) == expected


@pytest.mark.parametrize("text", ["", "-", "window", "--expiry", "expiry desc"])
def test_unknown_sort(text: str) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        rules.parse_sort(text)
    assert exc.value.code == "invalid_sort"


ROWS = {
    # ident: (window end, spend, handle)
    "a": (NOW + 5 * D, 100, "zed"),
    "b": (NOW + 1 * H, 0, "amy"),
    "c": (None, 900, "bob"),  # own post: no window
    "d": (NOW + 5 * D - H, 500, "amy"),  # same whole day left as "a"
    "e": (NOW - D, 0, "Carl"),  # ended
}


def _fields(ident: str) -> rules.SortFields:
    end, spend, handle = ROWS[ident]
    days, _ = rules.time_left(end, NOW)
    return rules.SortFields(window_end=end, days_left=days, spend_at_risk_micros=spend,
                            handle=handle, ident=ident)


@pytest.mark.parametrize("sort, expected", [
    ("expiry", ["e", "b", "d", "a", "c"]),
    ("-expiry", ["a", "d", "b", "e", "c"]),  # rows without a window stay last
    ("days_left", ["e", "b", "d", "a", "c"]),  # same day: the bigger spend first
    ("spend_at_risk", ["c", "d", "a", "e", "b"]),  # equal spend: the sooner end first
    ("-spend_at_risk", ["e", "b", "a", "d", "c"]),
    ("creator", ["b", "d", "c", "e", "a"]),  # by handle, ignoring case; then soonest end
])
def test_order(sort: str, expected: list[str]) -> None:
    name, descending = rules.parse_sort(sort)
    assert rules.order(list(ROWS), _fields, sort=name, descending=descending) == expected


@given(end=st.none() | st.integers(-200 * 24, 200 * 24).map(lambda h: NOW + h * H),
       spend=st.integers(0, 10**9), upper_extra=st.integers(0, 10**9),
       sort=st.sampled_from(["expiry", "-expiry", "days_left", "-days_left", "spend_at_risk",
                             "-spend_at_risk", "creator", "-creator"]))
def test_best_rank_is_never_after_the_rank_of_any_spend_up_to_the_bound(
        end: datetime | None, spend: int, upper_extra: int, sort: str) -> None:
    """What lets a spend sort skip building a spending row: its best rank with spend between 0
    and what its ads spent is no later than its rank at its true spend."""
    name, descending = rules.parse_sort(sort)
    days, _ = rules.time_left(end, NOW)
    f = rules.SortFields(window_end=end, days_left=days, spend_at_risk_micros=spend,
                         handle="Maya", ident="x")
    best = rules.best_rank(f, spend + upper_extra, sort=name, descending=descending)
    assert not rules.rank(f, sort=name, descending=descending) < best


# --- cursors ---------------------------------------------------------------------------------

def _raw(*payload: object) -> str:
    import base64
    import json
    return base64.urlsafe_b64encode(json.dumps(list(payload)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    rules.Cursor("expiry", 0, (NOW, "a" * 32)),
    rules.Cursor("-expiry", 0, (NOW + 3 * D, "b" * 32)),
    rules.Cursor("expiry", 1, ("maya.makes", "c" * 32)),
    rules.Cursor("creator", 0, ("maya.makes", datetime(1970, 1, 1, tzinfo=UTC), "d" * 32)),
    rules.Cursor("-creator", 0, ("leo", NOW, "e" * 32)),
    rules.Cursor("spend_at_risk", rules.OFFSET_SEGMENT, (50,)),
    rules.Cursor("-days_left", rules.OFFSET_SEGMENT, (0,)),
])
def test_a_cursor_reads_back_as_it_was_made(cursor: rules.Cursor) -> None:
    text = rules.cursor_text(cursor)
    assert "=" not in text and "/" not in text and "+" not in text  # safe in a query string
    assert rules.parse_cursor(text, sort=cursor.sort) == cursor
    assert cursor.offset == (cursor.values[0] if cursor.segment == rules.OFFSET_SEGMENT
                             else None)


@given(st.sampled_from(["expiry", "-expiry"]), st.datetimes(timezones=st.just(UTC)),
       st.text(min_size=1, max_size=40))
def test_any_expiry_cursor_reads_back(sort: str, end: datetime, ident: str) -> None:
    cursor = rules.Cursor(sort, 0, (end, ident))
    assert rules.parse_cursor(rules.cursor_text(cursor), sort=sort) == cursor


_NOT_A_CURSOR = "after is not a cursor this tracker gave (pass the `next` of the previous page " \
                "as it was)."


@pytest.mark.parametrize("text", [
    "", "garbage", "!!!!", _raw(1, "expiry"),  # not base64 JSON of the four parts
    _raw(2, "expiry", 0, [{"t": NOW.isoformat()}, "x"]),  # another version
    _raw(1, "expiry", 0, [{"t": "2026-03-10T12:00:00"}, "x"]),  # an instant with no offset
    _raw(1, "expiry", 0, [{"t": "yesterday"}, "x"]),
    _raw(1, "expiry", 0, ["x", {"t": NOW.isoformat()}]),  # values in the wrong order
    _raw(1, "expiry", 0, [{"t": NOW.isoformat()}]),  # too few
    _raw(1, "expiry", 2, ["x", "y"]),  # no such segment
    _raw(1, "expiry", True, [{"t": NOW.isoformat()}, "x"]),
    _raw(1, "expiry", -1, [-5]),  # a negative offset
    _raw(1, "expiry", -1, [True]),
    _raw(1, "expiry", -1, [5, 6]),
    _raw(1, "expiry", 0, [{"t": NOW.isoformat(), "u": 1}, "x"]),
    _raw(1, "expiry", 0, []),
    _raw(1, "expiry", 0, [None, "x"]),
])
def test_what_is_not_a_cursor_is_refused(text: str) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        rules.parse_cursor(text, sort="expiry")
    assert caught.value.code == "invalid_cursor" and caught.value.message == _NOT_A_CURSOR


def test_a_cursor_of_another_sort_says_which() -> None:
    text = rules.cursor_text(rules.Cursor("-creator", 0, ("leo", NOW, "x")))
    with pytest.raises(errors.InvalidInput) as caught:
        rules.parse_cursor(text, sort="creator")
    assert caught.value.code == "invalid_cursor"
    assert caught.value.message == ("This cursor pages the tracker sorted by -creator; ask with "
                                    "sort=-creator or start again without after.")


@pytest.mark.parametrize(("name", "descending", "text"), [
    ("expiry", False, "expiry"), ("expiry", True, "-expiry"),
    ("creator", False, "creator"), ("creator", True, "-creator"),
    ("days_left", False, "days_left"), ("days_left", True, "-days_left"),
    ("spend_at_risk", True, "spend_at_risk"), ("spend_at_risk", False, "-spend_at_risk"),
])
def test_a_sort_is_written_back_as_a_client_writes_it(name: str, descending: bool,
                                                      text: str) -> None:
    assert rules.sort_text(name, descending) == text
    assert rules.parse_sort(text) == (name, descending)
