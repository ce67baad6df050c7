"""The pure rules of links e-mailed to creators who are not on sparkcodes, as tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sparkcodes import errors
from sparkcodes.creator_link import rules
from sparkcodes.creator_link.rules import LinkState, LinkStatus
from sparkcodes.roster import rules as roster_rules

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
LATER = NOW + timedelta(days=3)
EARLIER = NOW - timedelta(days=3)


@pytest.mark.parametrize(("expires", "answered", "cancelled", "tries", "status"), [
    (LATER, None, None, 0, LinkStatus.OPEN),
    (LATER, None, None, rules.MAX_ATTEMPTS - 1, LinkStatus.OPEN),
    (LATER, None, None, rules.MAX_ATTEMPTS, LinkStatus.LOCKED),
    (NOW, None, None, 0, LinkStatus.EXPIRED),  # the expiry instant is already past
    (EARLIER, None, None, rules.MAX_ATTEMPTS, LinkStatus.EXPIRED),
    (LATER, EARLIER, None, 3, LinkStatus.ANSWERED),
    (EARLIER, EARLIER, None, 0, LinkStatus.ANSWERED),  # an answer stands after the expiry
    (LATER, None, EARLIER, 0, LinkStatus.CANCELLED),
    (EARLIER, None, EARLIER, 0, LinkStatus.CANCELLED),
    (LATER, EARLIER, EARLIER, 0, LinkStatus.ANSWERED),
])
def test_status_at(expires, answered, cancelled, tries, status):  # type: ignore[no-untyped-def]
    assert rules.status_at(LinkState(expires, answered, cancelled, tries), NOW) is status


@pytest.mark.parametrize(("state", "code", "words"), [
    (LinkState(LATER, EARLIER, None, 1), "link_used",
     "This link has been used already: Glow has your answer."),
    (LinkState(LATER, None, EARLIER, 0), "link_cancelled",
     "Glow withdrew this request, so this link no longer works."),
    (LinkState(EARLIER, None, None, 0), "link_expired",
     "This link expired on 29 May 2026. Ask Glow to send a new one."),
    (LinkState(LATER, None, None, rules.MAX_ATTEMPTS), "link_locked",
     "Too many tries on this link, so it is locked. Ask Glow to send a new one."),
])
def test_check_open_refuses_in_words(state, code, words):  # type: ignore[no-untyped-def]
    with pytest.raises(errors.Gone) as caught:
        rules.check_open(state, NOW, brand="Glow")
    assert caught.value.code == code
    assert caught.value.message.startswith(words)


def test_check_open_lets_an_open_link_through() -> None:
    rules.check_open(LinkState(LATER, None, None, 0), NOW, brand="Glow")


@pytest.mark.parametrize(("text", "kept"), [
    (None, ""), ("", ""), ("  https://www.tiktok.com/@maya/video/1 ", "https://www.tiktok.com/@maya/video/1"),
    ("your 3 May\nunboxing\r\nBcc: x@y.z", "your 3 May unboxing Bcc: x@y.z"),
    ("x" * 300, "x" * 300),
])
def test_clean_post_url(text, kept):  # type: ignore[no-untyped-def]
    assert rules.clean_post_url(text) == kept


def test_clean_post_url_refuses_a_long_one() -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        rules.clean_post_url("x" * 301)
    assert caught.value.code == "invalid_post_url"
    assert caught.value.message == "Say which post in at most 300 characters."


@pytest.mark.parametrize(("before", "after", "moved"), [
    (NOW, LATER, True), (NOW, NOW, False), (NOW, EARLIER, False), (NOW, None, False),
    (None, NOW, True), (None, None, False),
])
def test_end_moved(before, after, moved):  # type: ignore[no-untyped-def]
    assert rules.end_moved(before, after) is moved


@pytest.mark.parametrize(("token", "ok"), [
    ("a" * 40, True), ("0123456789abcdef" * 2, True), ("", False), ("a" * 101, False),
    ("../etc", False), ("ab cd", False), ("a" * 100, True),
])
def test_token_ok(token, ok):  # type: ignore[no-untyped-def]
    assert rules.token_ok(token) is ok


def test_steps_name_the_period_and_the_brand() -> None:
    code = rules.steps(rules.CODE, days=60, brand="Glow")
    assert "Choose the period: 60 days." in code and "“Generate code”" in code[-1]
    renewal = rules.steps(rules.RENEWAL, days=30, brand="Glow")
    assert "Open the code you gave Glow and tap “Extend”: 30 more days." in renewal
    assert "press “Done”" in renewal[-1]


@pytest.mark.parametrize(("text", "kept"), [
    (None, None), ("", None), ("   ", None), (" Maya@Example.COM ", "maya@example.com"),
    ("a.b+c@mail.example.org", "a.b+c@mail.example.org"),
])
def test_clean_email_keeps(text, kept):  # type: ignore[no-untyped-def]
    assert roster_rules.clean_email(text) == kept


@pytest.mark.parametrize("text", [
    "maya", "maya@", "@example.com", "maya@example", "maya@@example.com", "maya@.example.com",
    "maya@example.com.", "ma ya@example.com", "a@b.com,c@d.com", "no\nbody@example.com",
    "maya@example.com\r\nBcc: x@y.z", "m\x00@example.com", "x" * 250 + "@e.com",
])
def test_clean_email_refuses(text):  # type: ignore[no-untyped-def]
    with pytest.raises(errors.InvalidInput) as caught:
        roster_rules.clean_email(text)
    assert caught.value.code == "invalid_email"
    assert caught.value.message == "That does not look like an e-mail address."
