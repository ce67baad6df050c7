"""Pure decisions about codes: status, windows, and whether a code can be bound, extended, deleted.

Nothing here touches the database; every function receives ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sparkcodes import errors
from sparkcodes.values import CodeState, CreatorState, LiveAd, PostState


class CodeStatus(StrEnum):
    NOT_USED = "NOT_USED"
    IN_USE = "IN_USE"
    EXPIRED = "EXPIRED"
    DELETED = "DELETED"


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    status: int = 409

    def as_error(self) -> errors.AppError:
        return errors.AppError(self.message, code=self.code, status=self.status)


def status_at(code: CodeState, now: datetime) -> CodeStatus:
    """Owner-side status (R12). Expiry fails closed: the end instant itself is expired."""
    if code.deleted_at is not None:
        return CodeStatus.DELETED
    if code.expires_at <= now:
        return CodeStatus.EXPIRED
    if code.ad_account_id is not None:
        return CodeStatus.IN_USE
    return CodeStatus.NOT_USED


def is_valid(code: CodeState, now: datetime) -> bool:
    return code.deleted_at is None and now < code.expires_at


def check_period(days: int, allowed: list[int]) -> None:
    """R5, R8: only the offered periods."""
    if days not in allowed:
        choices = ", ".join(str(d) for d in allowed)
        raise errors.InvalidInput(
            f"A code can run for {choices} days; {days} is not one of them.", code="invalid_period"
        )


def first_window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """R5: the window starts at generation."""
    return now, now + timedelta(days=days)


def new_expiry(code: CodeState, days: int, now: datetime, max_window_days: int) -> datetime:
    """R8: extend from the current end, or from now if it already passed; never past the cap."""
    if code.deleted_at is not None:
        raise errors.Gone("This code was deleted; generate a new one instead.", code="code_deleted")
    base = max(code.expires_at, now)
    end = base + timedelta(days=days)
    cap = now + timedelta(days=max_window_days)
    if end > cap:
        room = (cap - base).days
        hint = (
            f"at most {room} more days can be added now"
            if room >= 1
            else "it cannot be extended further now"
        )
        raise errors.Conflict(
            f"A code's window may end at most {max_window_days} days from now; {hint}.",
            code="window_too_long",
        )
    return end


def _users_phrase(live_ads: list[LiveAd]) -> str:
    names = sorted({ad.business_name for ad in live_ads})
    ads = ", ".join(ad.ad_name for ad in live_ads[:5])
    more = f" and {len(live_ads) - 5} more" if len(live_ads) > 5 else ""
    return f"{' and '.join(names)} (ads: {ads}{more})"


def check_delete(code: CodeState, live_ads: list[LiveAd]) -> None:
    """R9: refused while a live ad runs on the code; deleting twice is harmless."""
    if live_ads:
        raise errors.Conflict(
            f"This code is in use by live ads of {_users_phrase(live_ads)}; it can be deleted "
            "only after those ads are paused or deleted.",
            code="code_in_use",
            details={"live_ads": [ad.ad_id for ad in live_ads]},
        )


def check_regenerate(code: CodeState, now: datetime) -> None:
    """R7: only an unused, live code can be regenerated (the old string stops working)."""
    status = status_at(code, now)
    if status is CodeStatus.DELETED:
        raise errors.Gone("This code was deleted.", code="code_deleted")
    if status is CodeStatus.EXPIRED:
        raise errors.Gone(
            "This code has expired; extend it or generate a new one.", code="code_expired"
        )
    if status is CodeStatus.IN_USE:
        raise errors.Conflict(
            "This code is already bound to an ad account, so it cannot be regenerated.",
            code="code_in_use",
        )


def generation_problems(
    *, creator: CreatorState, post: PostState, supported_regions: list[str]
) -> list[Problem]:
    """R1–R3: may this post get a code at all? Every reason, in the order a person fixes them."""
    problems: list[Problem] = []
    if creator.region.upper() not in supported_regions:
        problems.append(
            Problem(
                "region_not_supported",
                f"Spark Ads are not offered to creator accounts in {creator.region}.",
            )
        )
    if creator.ad_settings_enabled_at is None:
        problems.append(
            Problem(
                "ad_settings_off",
                "The creator's account-level ad settings are off: turn on ad authorization in "
                "Creator tools → Ad settings first.",
            )
        )
    problems.extend(post_problems(post))
    return problems


def post_problems(post: PostState) -> list[Problem]:
    """R3, R11: the post itself."""
    problems: list[Problem] = []
    if post.deleted_at is not None or post.taken_down_at is not None:
        why = "deleted by the creator" if post.deleted_at is not None else "taken down"
        problems.append(Problem("post_unavailable", f"The post was {why}.", 410))
    if post.kind == "story":
        problems.append(Problem("story_not_supported", "Stories cannot be run as Spark Ads."))
    if post.kind in ("duet", "stitch") and post.original_kind in ("duet", "stitch"):
        problems.append(
            Problem(
                "nested_duet_not_supported",
                f"This {post.kind} is of another {post.original_kind}; multi-level duets and "
                "stitches cannot be run as Spark Ads.",
            )
        )
    return problems


@dataclass(frozen=True)
class BindCheck:
    """What binding one code for one ad account would meet."""

    problems: list[Problem] = field(default_factory=list)
    needs_original: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def bind_problems(
    *,
    code: CodeState,
    post: PostState,
    creator: CreatorState,
    ad_account_id: str,
    now: datetime,
    supported_regions: list[str],
) -> list[Problem]:
    """R13–R15: every reason this code cannot be bound by this ad account now, most precise
    first."""
    problems: list[Problem] = []
    if code.deleted_at is not None:
        problems.append(Problem("code_deleted", "The creator deleted this code.", 410))
    elif code.ad_account_id is not None and code.ad_account_id != ad_account_id:
        problems.append(
            Problem(
                "code_used_elsewhere",
                "This code is already used by another ad account. A code authorizes one ad "
                "account: ask the creator for a new code for this one.",
            )
        )
    if code.deleted_at is None and code.expires_at <= now:
        problems.append(
            Problem(
                "code_expired",
                f"This code expired on {code.expires_at:%Y-%m-%d %H:%M} UTC; ask the creator to "
                "extend it.",
                410,
            )
        )
    problems.extend(
        generation_problems(creator=creator, post=post, supported_regions=supported_regions)
    )
    return problems


def original_code_problems(
    *, post: PostState, original_code: CodeState | None, original_code_post_id: str | None,
    ad_account_id: str, now: datetime, original_post: PostState | None = None,
    original_creator: CreatorState | None = None, supported_regions: list[str] | None = None,
) -> list[Problem]:
    """R3: a duet or stitch binds only with a valid code of the post it was made from, whose post
    is available and whose creator can authorize it (R1, R2)."""
    if post.kind not in ("duet", "stitch") or post.original_post_id is None:
        return []
    if original_code is None:
        return [
            Problem(
                "original_post_code_required",
                f"This post is a {post.kind}: also paste a code for the original post "
                "(original_post_codes).",
            )
        ]
    if original_code_post_id != post.original_post_id:
        return [
            Problem(
                "original_post_code_mismatch",
                f"The original-post code given is for a different post than the one this "
                f"{post.kind} was made from.",
            )
        ]
    problems = []
    if not is_valid(original_code, now):
        problems.append(
            Problem(
                "original_post_code_invalid",
                "The original post's code has expired or was deleted.",
                410,
            )
        )
    elif original_code.ad_account_id not in (None, ad_account_id):
        problems.append(
            Problem(
                "original_post_code_used_elsewhere",
                "The original post's code is already used by another ad account.",
            )
        )
    if original_post is not None and original_creator is not None:
        for p in generation_problems(creator=original_creator, post=original_post,
                                     supported_regions=supported_regions or []):
            problems.append(Problem(p.code, "The original post: " + p.message[0].lower()
                                    + p.message[1:], p.status))
    return problems


def has_room(active_spark_posts: int, limit: int) -> bool:
    """R18: an ad account holding this many live Spark posts may take one more. The bind's
    statement says the same in SQL (ad_account.repository.take_place; a test proves they
    agree)."""
    return active_spark_posts < limit


def check_capacity(active_spark_posts: int, limit: int) -> None:
    """R18."""
    if not has_room(active_spark_posts, limit):
        raise errors.Conflict(
            f"This ad account already holds {limit:,} Spark Ad posts, the most it may; unbind "
            "posts no ad uses to make room.",
            code="capacity_reached",
        )


def sound_warnings(sound: str) -> list[Problem]:
    """R3: a licensed sound is muted when the post runs as an ad."""
    if sound == "licensed":
        return [
            Problem(
                "sound_will_be_muted",
                "The post uses a licensed sound: it will be muted when run as an ad. Use an "
                "original sound or one from the Commercial Music Library to keep it.",
                200,
            )
        ]
    return []
