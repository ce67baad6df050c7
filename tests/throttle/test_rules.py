"""throttle.rules: client addresses, durations and the words of each refusal, in tables."""

from __future__ import annotations

import pytest

from sparkcodes.throttle import rules
from sparkcodes.throttle.rules import LOGINS, LOOKUPS, Tier


@pytest.mark.parametrize(("host", "key"), [
    ("203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # the same /64 counts as one client
    ("::ffff:203.0.113.7", "203.0.113.7"),  # IPv4 seen through an IPv6 socket
    (None, "unknown"),
    ("", "unknown"),
    ("testclient", "testclient"),
])
def test_client_key(host: str | None, key: str) -> None:
    assert rules.client_key(host) == key


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "1 second"), (1, "1 second"), (45, "45 seconds"), (60, "1 minute"), (61, "2 minutes"),
    (599, "10 minutes"), (600, "10 minutes"), (900, "15 minutes"), (3600, "1 hour"),
    (5400, "90 minutes"), (7200, "2 hours"), (7201, "3 hours"), (86400, "24 hours"),
])
def test_duration_words_round_up(seconds: int, words: str) -> None:
    assert rules.duration_words(seconds) == words


@pytest.mark.parametrize(("purpose", "name", "words"), [
    (LOOKUPS, "ad_account", "Too many unknown or mistyped codes from this ad account (30 in 10 "
                            "minutes); try again in 7 minutes. Check the codes with the "
                            "creator."),
    (LOOKUPS, "user", "Too many unknown or mistyped codes from your account (30 in 10 minutes)"
                      "; try again in 7 minutes. Check the codes with the creator."),
    (LOOKUPS, "ip", "Too many unknown or mistyped codes from your network address (30 in 10 "
                    "minutes); try again in 7 minutes. Check the codes with the creator."),
    (LOOKUPS, "service", "Too many unknown or mistyped codes across sparkcodes (30 in 10 "
                         "minutes); try again in 7 minutes. Code look-ups are paused for "
                         "everyone meanwhile."),
    (LOGINS, "account", "Too many failed log-ins for this account (30 in 10 minutes); try "
                        "again in 7 minutes. Other addresses and accounts are not affected."),
    (LOGINS, "ip", "Too many failed log-ins from your network address (30 in 10 minutes); try "
                   "again in 7 minutes. Other addresses and accounts are not affected."),
])
def test_each_refusal_names_its_limit(purpose: str, name: str, words: str) -> None:
    tier = Tier(purpose, name, "k", "30/10 minutes")
    assert rules.refusal_message(tier, amount=30, window_seconds=600, retry_after=401) == words
    assert tier.label == f"{purpose}.{name}"


def test_unavailable_words() -> None:
    assert "Code look-ups are paused" in rules.unavailable_message(LOOKUPS)
    assert "Log-in is paused" in rules.unavailable_message(LOGINS)
