"""Pure decisions about Spark Ads: the one delivery-status function (R20) and ad validation.

Delivery is derived, never stored: from the ad, its ad group and campaign, the Spark post (code,
post, creator account) and spend so far, at a given instant. The API, pages, reports, the
ingest route and the "in use by a live ad" checks (R1, R4, R9, R11) all ask this function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

from sparkcodes import errors
from sparkcodes.kit import limits
from sparkcodes.kit.text import refuse_control
from sparkcodes.spark_post.rules import SparkPostState, StopReason, stop_reasons

DELIVERING = "DELIVERING"
NOT_DELIVERING = "NOT_DELIVERING"

OBJECTIVES = ("REACH", "VIDEO_VIEWS", "TRAFFIC", "ENGAGEMENT", "COMMUNITY_INTERACTION",
              "LEAD_GENERATION", "WEB_CONVERSIONS", "APP_PROMOTION", "PRODUCT_SALES")
MAX_BUDGET = limits.BUDGET  # in the account's currency
MAX_BID = limits.BID  # CPM: the price of 1,000 impressions
BUDGET_MODES = ("BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL", "BUDGET_MODE_INFINITE")
CALLS_TO_ACTION = (
    "APPLY_NOW", "BOOK_NOW", "CALL_NOW", "CONTACT_US", "DOWNLOAD_NOW", "EXPERIENCE_NOW",
    "GET_QUOTE", "GET_SHOWTIMES", "GET_TICKETS_NOW", "INSTALL_NOW", "INTERESTED", "LEARN_MORE",
    "LISTEN_NOW", "ORDER_NOW", "PLAY_GAME", "PREORDER_NOW", "READ_MORE", "SEND_MESSAGE",
    "SHOP_NOW", "SIGN_UP", "SUBSCRIBE", "VIEW_NOW", "VIEW_PROFILE", "VISIT_STORE", "WATCH_LIVE",
    "WATCH_NOW", "JOIN_THIS_HASHTAG", "SHOOT_WITH_THIS_EFFECT", "VIEW_VIDEO_WITH_THIS_EFFECT",
)
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id")


class Reason(StrEnum):
    DELETED = "DELETED"
    PAUSED = "PAUSED"
    NOT_STARTED = "NOT_STARTED"
    ENDED = "ENDED"
    BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"
    AUTHORIZATION_EXPIRED = "AUTHORIZATION_EXPIRED"
    AUTHORIZATION_DELETED = "AUTHORIZATION_DELETED"
    POST_EDITED = "POST_EDITED"
    POST_UNAVAILABLE = "POST_UNAVAILABLE"
    POST_PRIVATE = "POST_PRIVATE"
    ACCOUNT_AD_SETTINGS_OFF = "ACCOUNT_AD_SETTINGS_OFF"
    IDENTITY_UNLINKED = "IDENTITY_UNLINKED"
    SPARK_POST_UNBOUND = "SPARK_POST_UNBOUND"


REASON_TEXT = {
    Reason.DELETED: "the ad, its ad group or its campaign was deleted",
    Reason.PAUSED: "it is paused (ad, ad group or campaign)",
    Reason.NOT_STARTED: "the ad group's schedule has not started",
    Reason.ENDED: "the ad group's schedule has ended",
    Reason.BUDGET_EXHAUSTED: "the budget is spent",
    Reason.AUTHORIZATION_EXPIRED: "the creator's authorization expired — ask to extend",
    Reason.AUTHORIZATION_DELETED: "the creator deleted the authorization code",
    Reason.POST_EDITED: "the creator edited the post after the ad was made",
    Reason.POST_UNAVAILABLE: "the post was deleted or taken down",
    Reason.POST_PRIVATE: "the post is no longer public",
    Reason.ACCOUNT_AD_SETTINGS_OFF: "the creator switched account ad settings off",
    Reason.IDENTITY_UNLINKED: "the business's own account was unlinked",
    Reason.SPARK_POST_UNBOUND: "the Spark post was unbound from the ad account",
}

_FROM_SPARK = {
    StopReason.AUTHORIZATION_EXPIRED: Reason.AUTHORIZATION_EXPIRED,
    StopReason.AUTHORIZATION_DELETED: Reason.AUTHORIZATION_DELETED,
    StopReason.POST_UNAVAILABLE: Reason.POST_UNAVAILABLE,
    StopReason.ACCOUNT_AD_SETTINGS_OFF: Reason.ACCOUNT_AD_SETTINGS_OFF,
    StopReason.IDENTITY_UNLINKED: Reason.IDENTITY_UNLINKED,
}


@dataclass(frozen=True)
class Switch:
    """The on/off lifecycle shared by campaigns, ad groups and ads."""

    disabled_at: datetime | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class AdState:
    created_at: datetime
    post_revision: int
    ads_only: bool = False
    switch: Switch = Switch()


@dataclass(frozen=True)
class AdGroupState:
    schedule_start_at: datetime
    schedule_end_at: datetime | None
    daily_budget_micros: int
    spent_today_micros: int = 0
    switch: Switch = Switch()


@dataclass(frozen=True)
class CampaignState:
    budget_mode: str = "BUDGET_MODE_INFINITE"
    budget_micros: int | None = None
    spent_micros: int = 0  # today's for BUDGET_MODE_DAY, all-time for BUDGET_MODE_TOTAL
    switch: Switch = Switch()


@dataclass(frozen=True)
class DeliveryInput:
    ad: AdState
    ad_group: AdGroupState
    campaign: CampaignState
    spark_post: SparkPostState
    spark_post_unbound: bool
    post_revision: int
    post_visibility: str
    # When the post moved past the ad's revision (the first later revision); None: unknown, which
    # counts as already (fails closed).
    revised_after_at: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    status: str
    reasons: tuple[Reason, ...]

    @property
    def delivering(self) -> bool:
        return self.status == DELIVERING


def delivery_status(d: DeliveryInput, now: datetime) -> Delivery:
    """DELIVERING, or NOT_DELIVERING with every reason that applies, in a stable order."""
    reasons: list[Reason] = []
    switches = (d.ad.switch, d.ad_group.switch, d.campaign.switch)
    if any(s.deleted_at is not None and s.deleted_at <= now for s in switches):
        reasons.append(Reason.DELETED)
    if any(s.disabled_at is not None and s.disabled_at <= now for s in switches):
        reasons.append(Reason.PAUSED)
    start = max(d.ad_group.schedule_start_at, d.ad.created_at)
    if now < start:
        reasons.append(Reason.NOT_STARTED)
    if d.ad_group.schedule_end_at is not None and now >= d.ad_group.schedule_end_at:
        reasons.append(Reason.ENDED)
    if _budget_spent(d.ad_group, d.campaign):
        reasons.append(Reason.BUDGET_EXHAUSTED)
    if d.spark_post_unbound:
        reasons.append(Reason.SPARK_POST_UNBOUND)
    reasons.extend(_FROM_SPARK[r] for r in stop_reasons(d.spark_post, now))
    if d.post_revision != d.ad.post_revision and (
        d.revised_after_at is None or d.revised_after_at <= now
    ):
        reasons.append(Reason.POST_EDITED)
    if d.post_visibility != "public" and not d.ad.ads_only:
        reasons.append(Reason.POST_PRIVATE)
    order = list(Reason)
    unique = sorted(set(reasons), key=order.index)
    return Delivery(NOT_DELIVERING if unique else DELIVERING, tuple(unique))


def _budget_spent(group: AdGroupState, campaign: CampaignState) -> bool:
    if group.spent_today_micros >= group.daily_budget_micros:
        return True
    if campaign.budget_mode != "BUDGET_MODE_INFINITE" and campaign.budget_micros is not None:
        return campaign.spent_micros >= campaign.budget_micros
    return False


def describe(delivery: Delivery) -> str:
    """A sentence for people: 'Delivering.' or 'Not delivering: ...'."""
    if delivery.delivering:
        return "Delivering."
    return "Not delivering: " + "; ".join(REASON_TEXT[r] for r in delivery.reasons) + "."


def summarize(deliveries: list[Delivery]) -> tuple[str, dict[str, int]]:
    """A container (campaign, ad group, Spark post) delivers when any of its ads does."""
    counts: dict[str, int] = {}
    for d in deliveries:
        for r in d.reasons:
            counts[r.value] = counts.get(r.value, 0) + 1
    live = sum(1 for d in deliveries if d.delivering)
    return (DELIVERING if live else NOT_DELIVERING), counts


def spend_per_impression(bid_micros: int) -> int:
    """CPM bidding: one impression costs a thousandth of the bid (in micros, rounded down)."""
    return bid_micros // 1000


def check_budget(mode: str, budget_micros: int | None) -> None:
    if mode not in BUDGET_MODES:
        raise errors.InvalidInput(f"budget_mode must be one of {', '.join(BUDGET_MODES)}.",
                                  code="invalid_budget_mode")
    if mode != "BUDGET_MODE_INFINITE" and (budget_micros is None or budget_micros <= 0):
        raise errors.InvalidInput("A daily or lifetime budget needs a positive amount.",
                                  code="invalid_budget")


def check_schedule(start: datetime, end: datetime | None) -> None:
    if end is not None and end <= start:
        raise errors.InvalidInput("The schedule must end after it starts.", code="invalid_schedule")


def check_landing_url(url: str) -> str:
    """An http(s) URL with a host; UTM parameters are kept as given but must have values."""
    refuse_control(url, name="landing page URL")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in url.strip():
        raise errors.InvalidInput("The landing page must be an http:// or https:// address.",
                                  code="invalid_landing_page_url")
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower().startswith("utm_"):
            if key not in UTM_KEYS:
                raise errors.InvalidInput(
                    f"Unknown UTM parameter {key!r}; use {', '.join(UTM_KEYS)}.",
                    code="invalid_utm_parameter")
            if not value.strip():
                raise errors.InvalidInput(f"The UTM parameter {key} is empty.",
                                          code="invalid_utm_parameter")
    return url.strip()


def check_call_to_action(value: str) -> None:
    if value not in CALLS_TO_ACTION:
        raise errors.InvalidInput(f"Unknown call to action {value!r}.",
                                  code="invalid_call_to_action")


def check_identity_capacity(ads_on_identity: int, limit: int) -> None:
    """TikTok: one identity can be used in at most 10,000 ads."""
    if ads_on_identity >= limit:
        raise errors.Conflict(
            f"This identity is already used in {limit:,} ads, the most it may; delete ads that "
            "no longer run.", code="identity_capacity_reached")


CAPTION_LOCKED = errors.InvalidInput(
    "A Spark Ad shows the creator's own caption; it cannot be set or changed on the ad.",
    code="caption_not_editable")


DEFAULT_NAME_CAPTION = 40  # characters of the caption in an ad's default name


def default_ad_name(handle: str, caption: str, taken: set[str]) -> str:
    """An ad's name when none is given: the creator and the start of the caption, cut at a word
    ('@maya — My 5-step morning skincare…'), numbered when an ad of the group already has it
    ('… (2)'), so two ads never share a name by default."""
    words = " ".join(caption.split())
    if len(words) > DEFAULT_NAME_CAPTION:
        cut = words[:DEFAULT_NAME_CAPTION].rsplit(" ", 1)[0] or words[:DEFAULT_NAME_CAPTION]
        words = cut.rstrip(" ,.;:—-") + "…"
    base = f"@{handle} — {words or 'Spark Ad'}"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base} ({n})"
    return name

