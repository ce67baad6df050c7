"""Pure decisions about posts (R3, R4, R10, R11)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sparkcodes import errors
from sparkcodes.kit.text import counted
from sparkcodes.values import LiveAd

KINDS = ("video", "story", "duet", "stitch")
SOUNDS = ("original", "commercial_library", "licensed")
VISIBILITIES = ("public", "friends", "private")
REVISING_FIELDS = ("sound", "cover_url")


def check_new_post(*, kind: str, original_kind: str | None, has_original: bool) -> None:
    if kind in ("duet", "stitch") and not has_original:
        raise errors.InvalidInput(
            f"A {kind} names the post it was made from (original_post_id).",
            code="original_post_required",
        )
    if kind not in ("duet", "stitch") and has_original:
        raise errors.InvalidInput(
            "Only duets and stitches have an original post.", code="original_post_not_allowed"
        )


# A post named by its TikTok video link (https://www.tiktok.com/@handle/video/7301…), its video
# id alone (19 digits), or the id the JSON API uses (32 hex characters).
_VIDEO_LINK = re.compile(r"^https?://(?:[a-z0-9-]+\.)*[a-z0-9-]+(?:\.[a-z]+)+/@[^/?#]+/video/"
                         r"(\d{1,19})(?:[/?#].*)?$", re.IGNORECASE)
_VIDEO_ID = re.compile(r"^\d{1,19}$")
_POST_ID = re.compile(r"^[0-9a-f]{32}$")
_MAX_VIDEO_ID = 2**63 - 1  # TikTok's ids fit a signed 64-bit integer


@dataclass(frozen=True)
class OriginalRef:
    """How a form names the post a duet or stitch was made from."""

    post_id: str | None = None
    tiktok_id: int | None = None


def original_ref(text: str) -> OriginalRef | None:
    """The original post as typed: None when nothing was typed; refused in words when it is not
    a post's link or ID."""
    text = text.strip()
    if not text:
        return None
    link = _VIDEO_LINK.match(text)
    digits = link.group(1) if link else text if _VIDEO_ID.match(text) else None
    if digits is not None and int(digits) <= _MAX_VIDEO_ID:
        return OriginalRef(tiktok_id=int(digits))
    if _POST_ID.match(text.lower()):
        return OriginalRef(post_id=text.lower())
    raise errors.InvalidInput(
        "Paste the original post's link (…/@handle/video/7301…) or its post ID.",
        code="original_post_invalid")


@dataclass(frozen=True)
class EditPlan:
    caption_changed: bool
    visibility_changed: bool
    new_revision: bool


def plan_edit(
    *, current: dict[str, object], changes: dict[str, object], caption_locked: bool,
    live_ads: list[LiveAd], unavailable: bool,
) -> EditPlan:
    """R4, R10: what an edit does, or why it is refused."""
    if unavailable:
        raise errors.Gone("The post was deleted or taken down.", code="post_unavailable")
    changed = {k: v for k, v in changes.items() if current.get(k) != v}
    caption_changed = "caption" in changed
    if caption_changed and caption_locked:
        raise errors.Conflict(
            "The caption cannot be edited once the post has an ad authorization; delete its "
            "codes first.",
            code="caption_locked",
        )
    visibility_changed = "visibility" in changed
    if visibility_changed and live_ads:
        raise errors.Conflict(
            "The post's visibility cannot change while it runs as a live ad.",
            code="post_in_use",
            details={"live_ads": [ad.ad_id for ad in live_ads]},
        )
    return EditPlan(
        caption_changed=caption_changed,
        visibility_changed=visibility_changed,
        new_revision=any(f in changed for f in REVISING_FIELDS),
    )


def check_delete(live_ads: list[LiveAd]) -> None:
    """R11: the owner cannot delete a post a live ad runs on (a take-down is always possible)."""
    if live_ads:
        raise errors.Conflict(
            f"This post runs in {counted(len(live_ads), 'live ad')}; it can be deleted after "
            f"{'it stops' if len(live_ads) == 1 else 'they stop'}.",
            code="post_in_use",
            details={"live_ads": [ad.ad_id for ad in live_ads]},
        )
