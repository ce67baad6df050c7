"""How sparkcodes' rows look in TikTok's response shapes (§2.5, §3, §4). Presentation only: every
status shown here was decided by the noun's rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sparkcodes.authorization import rules as code_rules
from sparkcodes.authorization.states import code_state
from sparkcodes.models import Authorization, Creator, Post
from sparkcodes.spark_post import rules as spark_rules

# §5.3: the tt_video family of post statuses, and the identity/video family.
_TT_VIDEO_STATUS = {"public": "HESITATE_RECOMMEND", "friends": "ONLY_FRIEND_SEE",
                    "private": "ONLY_AUTHOR_SEE"}
_IDENTITY_STATUS = {"public": "ITEM_STATUS_HESITATE_RECOMMEND",
                    "friends": "STATUS_ONLY_FRIEND_SEE", "private": "ITEM_STATUS_ONLY_AUTHOR_SEE"}

# ad_auth_status (§5.4): TikTok documents AUTHORIZED and EXPIRED; a deleted code is CANCELED.
AUTHORIZED, EXPIRED, CANCELED = "AUTHORIZED", "EXPIRED", "CANCELED"


def tiktok_time(instant: datetime | None) -> str | None:
    """TikTok's documented format: "YYYY-MM-DD HH:MM:SS", UTC."""
    return None if instant is None else instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso_time(instant: datetime | None) -> str | None:
    """The ISO form identity/video/info answers with ("…T…Z")."""
    return None if instant is None else instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def item_status(post: Post, *, identity_family: bool = False) -> str:
    if post.taken_down_at is not None:
        return "AUDIT_DELETE"
    if post.deleted_at is not None:
        return "USER_DELETE"
    table = _IDENTITY_STATUS if identity_family else _TT_VIDEO_STATUS
    return table.get(post.visibility, table["public"])


def auth_status_of_code(code: Authorization, now: datetime) -> str:
    status = code_rules.status_at(code_state(code), now)
    if status is code_rules.CodeStatus.DELETED:
        return CANCELED
    if status is code_rules.CodeStatus.EXPIRED:
        return EXPIRED
    return AUTHORIZED


def auth_status_of_reasons(reasons: list[spark_rules.StopReason]) -> str:
    """A Spark post's authorization as TikTok shows it: its code (or its original post's)."""
    if spark_rules.StopReason.AUTHORIZATION_DELETED in reasons:
        return CANCELED
    if spark_rules.StopReason.AUTHORIZATION_EXPIRED in reasons:
        return EXPIRED
    return AUTHORIZED


def item_info(post: Post, *, auth_code: str, original: Post | None) -> dict[str, Any]:
    original_id = str(original.tiktok_id) if original is not None else None
    return {
        "auth_code": auth_code,
        "item_id": str(post.tiktok_id),
        "item_type": "VIDEO",
        "text": post.caption,
        "status": item_status(post),
        "anchor_list": [],
        "carousel_info": None,
        "stitch_original_item_id": original_id if post.kind == "stitch" else None,
        "duet_original_item_id": original_id if post.kind == "duet" else None,
        "is_multi_duet_stitch": False,
        "mentioned_item_ids": [],
    }


def auth_info(starts_at: datetime, ends_at: datetime, status: str, *,
              iso: bool = False) -> dict[str, Any]:
    fmt = iso_time if iso else tiktok_time
    return {"ad_auth_status": status, "auth_start_time": fmt(starts_at),
            "auth_end_time": fmt(ends_at), "invite_start_time": fmt(starts_at)}


def user_info(creator: Creator, identity_type: str = "AUTH_CODE") -> dict[str, Any]:
    return {"identity_id": str(creator.tiktok_id), "identity_type": identity_type,
            "tiktok_name": creator.handle, "display_name": creator.display_name,
            "profile_image": creator.avatar_url}


def video_info(post: Post, *, identity_family: bool = False) -> dict[str, Any]:
    """What sparkcodes knows of the video: its cover. Media facts it does not hold are null."""
    info: dict[str, Any] = {
        "video_id": None, "file_name": None, "bit_rate": None, "duration": None, "size": None,
        "width": None, "height": None, "poster_url": post.cover_url, "signature": None,
        "format": None,
    }
    info["url" if identity_family else "preview_url"] = None
    return info


def identity(creator: Creator, identity_type: str) -> dict[str, Any]:
    usable = creator.ad_settings_enabled_at is not None or identity_type == "TT_USER"
    return {
        "identity_id": str(creator.tiktok_id),
        "identity_type": identity_type,
        "identity_authorized_bc_id": None,
        "display_name": creator.display_name or creator.handle,
        "user_name": creator.handle,
        "profile_image": creator.avatar_url,
        "available_status": "AVAILABLE" if usable else "SCOPE_UNAVAILABLE",
        "can_push_video": False,
        "can_pull_video": True,
        "can_use_live_ads": False,
        "can_manage_message": False,
        "ads_only_mode": False,
        "is_gpppa": False,
        "identity_authorized_shop_id": None,
    }


def page_info(page: int, page_size: int, total: int) -> dict[str, int]:
    return {"page": page, "page_size": page_size, "total_number": total,
            "total_page": (total + page_size - 1) // page_size}
