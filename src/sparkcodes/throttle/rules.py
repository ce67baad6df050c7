"""Brute-force limits as data: the tiers one attempt counts against and the words of a
refusal. Pure: no store, no clock."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

LOOKUPS = "lookups"
LOGINS = "logins"

# Who a tier counts, in the words of a refusal.
_WHO = {
    (LOOKUPS, "ad_account"): "from this ad account",
    (LOOKUPS, "user"): "from your account",
    (LOOKUPS, "ip"): "from your network address",
    (LOOKUPS, "service"): "across sparkcodes",
    (LOGINS, "account"): "for this account",
    (LOGINS, "ip"): "from your network address",
}
_WHAT = {LOOKUPS: "unknown or mistyped codes", LOGINS: "failed log-ins"}
_AFTER = {
    (LOOKUPS, "service"): " Code look-ups are paused for everyone meanwhile.",
    LOOKUPS: " Check the codes with the creator.",
    LOGINS: " Other addresses and accounts are not affected.",
}
_DOWN = {
    LOOKUPS: "Code look-ups are paused: the store that counts failed look-ups cannot be "
             "reached. Try again in a minute.",
    LOGINS: "Log-in is paused: the store that counts failed log-ins cannot be reached. Try "
            "again in a minute.",
}
UNAVAILABLE_RETRY_SECONDS = 30


@dataclass(frozen=True)
class Tier:
    """One limit an attempt counts against: ``purpose`` (lookups, logins), the tier's ``name``
    (ad_account, user, ip, service, account), whose count (``key``), and the limit in the
    `limits` notation ("30/10 minutes")."""

    purpose: str
    name: str
    key: str
    limit: str

    @property
    def label(self) -> str:
        return f"{self.purpose}.{self.name}"


def client_key(host: str | None) -> str:
    """The address a client is counted by: an IPv4 address, or the /64 network of an IPv6 one
    (anyone holding one address of a /64 usually holds all of it)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def duration_words(seconds: int) -> str:
    """'45 seconds', '1 minute', '7 minutes', '2 hours' (rounded up: never shorter than true)."""
    seconds = max(1, seconds)
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour{'s' if seconds != 3600 else ''}"
    if seconds <= 2 * 3600:
        minutes = -(-seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = -(-seconds // 3600)
    return f"{hours} hours"


def refusal_message(tier: Tier, *, amount: int, window_seconds: int, retry_after: int) -> str:
    """The words of a refusal: what was counted, by whom, the limit and when to try again."""
    who = _WHO.get((tier.purpose, tier.name), f"({tier.name})")
    after = _AFTER.get((tier.purpose, tier.name), _AFTER.get(tier.purpose, ""))
    return (f"Too many {_WHAT.get(tier.purpose, 'attempts')} {who} ({amount:,} in "
            f"{duration_words(window_seconds)}); try again in {duration_words(retry_after)}."
            f"{after}")


def unavailable_message(purpose: str) -> str:
    return _DOWN.get(purpose, "The limiter's store cannot be reached; try again in a minute.")
