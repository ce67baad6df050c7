"""TikTok's request conventions (§1): JSON-encoded arrays and objects in the query, repeated keys
refused, the SDK's Python booleans and literal nulls, numeric string ids; every bad value a
40002 with words that say what to send."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from sparkcodes.compat.tiktok.envelope import TikTokError
from sparkcodes.compat.tiktok.params import Params


def q(**values: str) -> Params:
    return Params.from_query_items(list(values.items()))


def refused(fn, fragment: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TikTokError) as caught:
        fn()
    assert caught.value.code == 40002
    assert fragment.lower() in caught.value.message.lower(), caught.value.message


def test_repeated_keys_are_refused_like_tiktok() -> None:
    refused(lambda: Params.from_query_items([("fields", "a"), ("fields", "b")]),
            "error unmarshaling parameter")


@pytest.mark.parametrize(("raw", "expected"), [
    ('["ad_id", "tiktok_item_id"]', ["ad_id", "tiktok_item_id"]),
    ('["a","b"]', ["a", "b"]), ("[]", []), ("[1, 2]", ["1", "2"]),
])
def test_arrays_are_json_encoded(raw: str, expected: list[str]) -> None:
    assert q(fields=raw).array("fields") == expected


@pytest.mark.parametrize(("raw", "fragment"), [
    ("ad_id,name", "json-encoded"), ('["a"', "json-encoded"), ('{"a": 1}', "must be an array"),
    ('[{"a": 1}]', "array of strings"), ("[true]", "array of strings"),
])
def test_bad_arrays(raw: str, fragment: str) -> None:
    refused(lambda: q(fields=raw).array("fields"), fragment)


def test_too_many_items() -> None:
    refused(lambda: q(ids='["1","2","3"]').array("ids", max_items=2), "at most 2")


def test_objects_are_json_encoded() -> None:
    filtering = q(filtering='{"ad_ids": ["123"], "primary_status": "STATUS_ALL"}').object(
        "filtering")
    assert filtering.id_array("ad_ids") == ["123"]
    assert filtering.string("primary_status") == "STATUS_ALL"
    refused(lambda: q(filtering="[1]").object("filtering"), "json object")
    refused(lambda: q(filtering="{").object("filtering"), "json-encoded")


@pytest.mark.parametrize(("raw", "expected"), [
    ("True", True), ("true", True), ("1", True), ("False", False), ("false", False), ("0", False),
])
def test_booleans_as_the_sdk_sends_them(raw: str, expected: bool) -> None:
    assert q(enable_total_metrics=raw).boolean("enable_total_metrics") is expected


def test_a_bad_boolean() -> None:
    refused(lambda: q(flag="yes").boolean("flag"), "true or false")


def test_an_explicit_none_from_the_sdk_is_absent() -> None:
    p = q(identity_type="null")
    assert p.string("identity_type") is None
    assert not p.has("identity_type")


@pytest.mark.parametrize("raw", ["7301234567890123456", "1", "9223372036854775807"])
def test_ids(raw: str) -> None:
    assert q(advertiser_id=raw).id("advertiser_id") == raw


@pytest.mark.parametrize("raw", ["abc", "-1", "1e3", "9223372036854775808", "1" * 25, "１２",
                                 "12 34"])
def test_bad_ids(raw: str) -> None:
    refused(lambda: q(advertiser_id=raw).id("advertiser_id"), "numeric string id")


def test_missing_required() -> None:
    refused(lambda: q().id("advertiser_id", required=True), "Missing required field(s): "
                                                            "advertiser_id")


@pytest.mark.parametrize(("raw", "fragment"), [
    ("x", "must be an integer"), ("0", "between 1 and 50"), ("51", "between 1 and 50"),
    ("10" * 20, "between 1 and 50"),
])
def test_integers(raw: str, fragment: str) -> None:
    refused(lambda: q(page_size=raw).integer("page_size", default=20, low=1, high=50), fragment)
    assert q(page_size="7").integer("page_size", default=20, low=1, high=50) == 7
    assert q().integer("page_size", default=20, low=1, high=50) == 20


def test_ids_in_json_bodies_may_be_numbers() -> None:
    p = Params.from_body(b'{"advertiser_id": 7301234567890123456, "ad_ids": [1, "2"]}')
    assert p.id("advertiser_id") == "7301234567890123456"
    assert p.id_array("ad_ids") == ["1", "2"]


@pytest.mark.parametrize(("raw", "fragment"), [
    (b"{", "not valid JSON"), (b"[1]", "JSON object"), (b'"x"', "JSON object"),
    (b"\xff\xfe", "not valid JSON"),
])
def test_bad_bodies(raw: bytes, fragment: str) -> None:
    refused(lambda: Params.from_body(raw), fragment)


def test_an_empty_body_is_an_empty_object() -> None:
    assert Params.from_body(b"").values == {}


@pytest.mark.parametrize(("value", "expected"), [
    (100, Decimal(100)), (12.5, Decimal("12.5")), ("7.25", Decimal("7.25")),
])
def test_amounts(value, expected) -> None:  # type: ignore[no-untyped-def]
    assert Params({"budget": value}, from_query=False).amount("budget") == expected


@pytest.mark.parametrize("value", ["NaN", "Infinity", -1, "1e309", True, "ten", 10**12])
def test_bad_amounts(value) -> None:  # type: ignore[no-untyped-def]
    refused(lambda: Params({"budget": value}, from_query=False).amount("budget"), "budget")


@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-12-05 10:00:00", datetime(2026, 12, 5, 10, tzinfo=UTC)),
    ("2026-12-05T10:00:00Z", datetime(2026, 12, 5, 10, tzinfo=UTC)),
    ("2026-12-05T12:00:00+02:00", datetime(2026, 12, 5, 10, tzinfo=UTC)),
])
def test_instants(raw: str, expected: datetime) -> None:
    assert q(t=raw).instant("t") == expected


def test_bad_instant_and_day() -> None:
    refused(lambda: q(t="tomorrow").instant("t"), "YYYY-MM-DD HH:MM:SS")
    refused(lambda: q(d="2026-13-01").day("d"), "YYYY-MM-DD")
    assert q(d="2026-12-01").day("d") == date(2026, 12, 1)


def test_strings() -> None:
    refused(lambda: q(keyword="x" * 501).string("keyword", max_length=500), "too long")
    refused(lambda: q(keyword="a\x00b").string("keyword"), "NUL")
    refused(lambda: Params({"name": ["x"]}, from_query=False).string("name"), "must be a string")


def test_choices() -> None:
    refused(lambda: q(identity_type="BOGUS").choice("identity_type", ("AUTH_CODE", "TT_USER")),
            "must be one of AUTH_CODE, TT_USER")


def test_too_many_ids_is_40011() -> None:
    with pytest.raises(TikTokError) as caught:
        q(ad_ids='["1","2","3"]').id_array("ad_ids", max_items=2)
    assert caught.value.code == 40011
    assert "at most 2 ids; 3 were sent" in caught.value.message
