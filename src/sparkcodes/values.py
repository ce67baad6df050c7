"""Value types every noun speaks: plain data with no behaviour beyond formatting.

A leaf module (standard library, pydantic and kit only), so that a low noun (creator, post) and a
high one (tracker, notification) can share a word without importing each other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from sparkcodes.kit.crypto import CODE_PREFIX


class Message(BaseModel):
    """A machine code with a sentence a person understands (warnings, checks, hints)."""

    code: str
    message: str


@dataclass(frozen=True)
class CodeState:
    """What the rules need to know about one authorization."""

    expires_at: datetime
    deleted_at: datetime | None = None
    ad_account_id: str | None = None


@dataclass(frozen=True)
class PostState:
    kind: str = "video"  # video, story, duet, stitch
    deleted_at: datetime | None = None
    taken_down_at: datetime | None = None
    original_post_id: str | None = None
    original_kind: str | None = None  # kind of the original, for duets and stitches


@dataclass(frozen=True)
class CreatorState:
    region: str
    ad_settings_enabled_at: datetime | None


@dataclass(frozen=True)
class LiveAd:
    """An ad that delivers on a code right now ("in use by a live ad", R12)."""

    ad_id: str
    ad_name: str
    ad_account_id: str
    business_name: str


def days_left(expires_at: datetime, now: datetime) -> int:
    """Whole days until the end, rounded up; 0 once ended."""
    return max(0, math.ceil((expires_at - now).total_seconds() / 86400))


def money_text(value: Decimal | int | float) -> str:
    """An amount as pages, alerts and the CLI write it: thousands separated, two decimals."""
    return f"{Decimal(value):,.2f}"


def with_currency(amount: str, currency: str) -> str:
    """An amount already written out, followed by its ISO 4217 code: "1,240.50 USD"."""
    return f"{amount} {currency}"


def amounts_text(by_currency: Mapping[str, Decimal]) -> str:
    """Amounts in several currencies, never added together: "0.89 USD · 0.88 EUR" (zeros left
    out; "0.00" when every one is zero or there is none)."""
    shown = [with_currency(money_text(v), c) for c, v in by_currency.items() if v]
    return " · ".join(shown) or "0.00"


def hint_display(hint: str) -> str:
    """How a code is named without being shown: its prefix and first symbols."""
    return f"{CODE_PREFIX}-{hint}-…"


@dataclass
class RemoteCode:
    """A code as the TikTok an ad account is mirrored from shows it (tt_video/info): never the
    code itself, only its first symbols."""

    code_hint: str
    item_id: str
    caption: str
    kind: str  # video, duet or stitch
    handle: str
    display_name: str
    avatar_url: str | None
    starts_at: datetime
    expires_at: datetime
    status: str  # TikTok's ad_auth_status: AUTHORIZED, EXPIRED, CANCELED
    problems: list[Message]
    # The mirror's post and creator, when a sync has already seen them.
    post_id: str | None = None
    creator_id: str | None = None
    bound_here: bool = False


@dataclass
class RemoteBound:
    """One code's result of a bind made on TikTok: the mirrored Spark post it now has, or the
    refusal (``error``: an AppError, kept untyped here so this leaf imports no error type)."""

    index: int
    code_hint: str | None
    item_id: str | None = None
    spark_post_id: str | None = None
    created: bool = False
    error: Exception | None = None
