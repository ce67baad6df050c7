"""Pure rules of Spark Ads that run (R20, R21): the one delivery-status function, ad validation,
report arithmetic and what each engagement event counts. No database; fixed instants."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import get_args

import pytest

from sparkcodes import errors
from sparkcodes.ad.rules import (
    BUDGET_MODES,
    CALLS_TO_ACTION,
    DELIVERING,
    NOT_DELIVERING,
    REASON_TEXT,
    UTM_KEYS,
    AdGroupState,
    AdState,
    CampaignState,
    Delivery,
    DeliveryInput,
    Reason,
    Switch,
    check_budget,
    check_call_to_action,
    check_identity_capacity,
    check_landing_url,
    check_schedule,
    default_ad_name,
    delivery_status,
    describe,
    spend_per_impression,
    summarize,
)
from sparkcodes.engagement import rules as engagement_rules
from sparkcodes.engagement.schemas import EventType
from sparkcodes.models import METRICS
from sparkcodes.report.rules import COUNTERS, metrics
from sparkcodes.spark_post.rules import SparkPostState
from sparkcodes.values import CodeState, CreatorState, PostState

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
DAY = timedelta(days=1)
PAST = NOW - 5 * DAY
FUTURE = NOW + 5 * DAY
BEFORE = NOW - TICK
AFTER = NOW + TICK

R = Reason

# --- building inputs --------------------------------------------------------------------------

AD = AdState(created_at=NOW - 2 * DAY, post_revision=1)
GROUP = AdGroupState(schedule_start_at=NOW - 3 * DAY, schedule_end_at=None,
                     daily_budget_micros=10_000_000)
CAMPAIGN = CampaignState()
CODE = CodeState(expires_at=NOW + 20 * DAY, ad_account_id="acct")
CREATOR_ON = CreatorState("US", PAST)
CREATOR_OFF = CreatorState("US", None)
SPARK = SparkPostState(identity_type="AUTH_CODE", code=CODE, original_code=None,
                       post=PostState(), creator=CREATOR_ON)
OWN = SparkPostState(identity_type="TT_USER", code=None, original_code=None, post=PostState(),
                     creator=CREATOR_OFF, identity_linked=True)
DUET = replace(SPARK, post=PostState(kind="duet", original_post_id="orig", original_kind="video"),
               original_code=CODE, original_post=PostState(), original_creator=CREATOR_ON)


def inp(*, ad: AdState = AD, group: AdGroupState = GROUP, campaign: CampaignState = CAMPAIGN,
        spark: SparkPostState = SPARK, unbound: bool = False, revision: int = 1,
        visibility: str = "public") -> DeliveryInput:
    return DeliveryInput(ad=ad, ad_group=group, campaign=campaign, spark_post=spark,
                         spark_post_unbound=unbound, post_revision=revision,
                         post_visibility=visibility)


def deleted_at(at: datetime) -> Switch:
    return Switch(deleted_at=at)


def paused_at(at: datetime) -> Switch:
    return Switch(disabled_at=at)


def on_ad(switch: Switch) -> DeliveryInput:
    return inp(ad=replace(AD, switch=switch))


def on_group(switch: Switch) -> DeliveryInput:
    return inp(group=replace(GROUP, switch=switch))


def on_campaign(switch: Switch) -> DeliveryInput:
    return inp(campaign=replace(CAMPAIGN, switch=switch))


def schedule(start: datetime, end: datetime | None = None, *,
             created: datetime = AD.created_at) -> DeliveryInput:
    return inp(ad=replace(AD, created_at=created),
               group=replace(GROUP, schedule_start_at=start, schedule_end_at=end))


def group_spent(spent: int, budget: int = 5_000_000) -> DeliveryInput:
    return inp(group=replace(GROUP, daily_budget_micros=budget, spent_today_micros=spent))


def campaign_budget(mode: str, budget: int | None, spent: int) -> DeliveryInput:
    return inp(campaign=CampaignState(budget_mode=mode, budget_micros=budget, spent_micros=spent))


def code(**fields) -> DeliveryInput:  # type: ignore[no-untyped-def]
    return inp(spark=replace(SPARK, code=replace(CODE, **fields)))


def post(**fields) -> DeliveryInput:  # type: ignore[no-untyped-def]
    return inp(spark=replace(SPARK, post=PostState(**fields)))


# --- delivery_status: every reason and its boundaries -----------------------------------------

CASES = [
    pytest.param(inp(), (), id="everything in order: delivering"),
    # DELETED at each level; a deletion takes effect at its instant, not before.
    pytest.param(on_ad(deleted_at(BEFORE)), (R.DELETED,), id="ad deleted before now"),
    pytest.param(on_ad(deleted_at(NOW)), (R.DELETED,), id="ad deleted exactly now"),
    pytest.param(on_ad(deleted_at(AFTER)), (), id="ad deleted after now: still delivered then"),
    pytest.param(on_group(deleted_at(PAST)), (R.DELETED,), id="ad group deleted"),
    pytest.param(on_group(deleted_at(AFTER)), (), id="ad group deleted after now"),
    pytest.param(on_campaign(deleted_at(PAST)), (R.DELETED,), id="campaign deleted"),
    pytest.param(on_campaign(deleted_at(AFTER)), (), id="campaign deleted after now"),
    # PAUSED at each level.
    pytest.param(on_ad(paused_at(BEFORE)), (R.PAUSED,), id="ad paused before now"),
    pytest.param(on_ad(paused_at(NOW)), (R.PAUSED,), id="ad paused exactly now"),
    pytest.param(on_ad(paused_at(AFTER)), (), id="ad paused after now"),
    pytest.param(on_group(paused_at(PAST)), (R.PAUSED,), id="ad group paused"),
    pytest.param(on_group(paused_at(AFTER)), (), id="ad group paused after now"),
    pytest.param(on_campaign(paused_at(PAST)), (R.PAUSED,), id="campaign paused"),
    pytest.param(on_campaign(paused_at(AFTER)), (), id="campaign paused after now"),
    pytest.param(on_ad(Switch(disabled_at=PAST, deleted_at=PAST)), (R.DELETED, R.PAUSED),
                 id="ad paused then deleted: both"),
    pytest.param(inp(ad=replace(AD, switch=paused_at(PAST)),
                     group=replace(GROUP, switch=paused_at(PAST)),
                     campaign=replace(CAMPAIGN, switch=paused_at(PAST))),
                 (R.PAUSED,), id="paused at every level: one reason"),
    pytest.param(inp(ad=replace(AD, switch=deleted_at(PAST)),
                     campaign=replace(CAMPAIGN, switch=paused_at(PAST))),
                 (R.DELETED, R.PAUSED), id="ad deleted, campaign paused"),
    # Schedule: starts at the later of the ad group's start and the ad's creation.
    pytest.param(schedule(AFTER), (R.NOT_STARTED,), id="schedule starts 1us after now"),
    pytest.param(schedule(NOW), (), id="schedule starts exactly now"),
    pytest.param(schedule(FUTURE), (R.NOT_STARTED,), id="schedule starts in days"),
    pytest.param(schedule(PAST, created=AFTER), (R.NOT_STARTED,),
                 id="ad created after now, schedule started earlier"),
    pytest.param(schedule(PAST, created=NOW), (), id="ad created exactly now"),
    pytest.param(schedule(PAST - DAY, created=PAST), (),
                 id="ad created after schedule start, both past"),
    pytest.param(schedule(PAST, NOW), (R.ENDED,), id="schedule ends exactly now"),
    pytest.param(schedule(PAST, BEFORE), (R.ENDED,), id="schedule ended 1us ago"),
    pytest.param(schedule(PAST, AFTER), (), id="schedule ends 1us after now"),
    pytest.param(schedule(PAST, None), (), id="no schedule end"),
    pytest.param(schedule(AFTER, FUTURE), (R.NOT_STARTED,), id="future window: not started"),
    pytest.param(schedule(PAST, BEFORE, created=AFTER), (R.NOT_STARTED, R.ENDED),
                 id="ad created after the schedule ended"),
    # Daily ad group budget, at the exact boundary.
    pytest.param(group_spent(4_999_999), (), id="ad group spent 1 micro under its daily budget"),
    pytest.param(group_spent(5_000_000), (R.BUDGET_EXHAUSTED,), id="ad group daily budget spent"),
    pytest.param(group_spent(5_000_001), (R.BUDGET_EXHAUSTED,), id="ad group overspent"),
    # Campaign budgets: daily, lifetime, none.
    pytest.param(campaign_budget("BUDGET_MODE_DAY", 1_000_000, 999_999), (),
                 id="campaign daily 1 micro under"),
    pytest.param(campaign_budget("BUDGET_MODE_DAY", 1_000_000, 1_000_000),
                 (R.BUDGET_EXHAUSTED,), id="campaign daily budget spent"),
    pytest.param(campaign_budget("BUDGET_MODE_TOTAL", 1_000_000, 999_999), (),
                 id="campaign lifetime 1 micro under"),
    pytest.param(campaign_budget("BUDGET_MODE_TOTAL", 1_000_000, 1_000_000),
                 (R.BUDGET_EXHAUSTED,), id="campaign lifetime budget spent"),
    pytest.param(campaign_budget("BUDGET_MODE_TOTAL", 1_000_000, 7_000_000),
                 (R.BUDGET_EXHAUSTED,), id="campaign lifetime overspent"),
    pytest.param(campaign_budget("BUDGET_MODE_INFINITE", None, 10**15), (),
                 id="campaign without budget never runs out"),
    pytest.param(campaign_budget("BUDGET_MODE_INFINITE", 1_000_000, 10**15), (),
                 id="infinite mode ignores a stray amount"),
    pytest.param(inp(group=replace(GROUP, daily_budget_micros=5, spent_today_micros=5),
                     campaign=CampaignState("BUDGET_MODE_TOTAL", 5, 5)),
                 (R.BUDGET_EXHAUSTED,), id="ad group and campaign both spent: one reason"),
    # The Spark post: code, post and creator account (spark_post.rules.stop_reasons).
    pytest.param(code(expires_at=NOW), (R.AUTHORIZATION_EXPIRED,),
                 id="code ends exactly now (fails closed)"),
    pytest.param(code(expires_at=AFTER), (), id="code ends 1us after now"),
    pytest.param(code(expires_at=PAST), (R.AUTHORIZATION_EXPIRED,), id="code expired"),
    pytest.param(code(deleted_at=BEFORE), (R.AUTHORIZATION_DELETED,), id="code deleted"),
    pytest.param(code(deleted_at=AFTER), (), id="code deleted after now"),
    pytest.param(code(deleted_at=PAST, expires_at=PAST), (R.AUTHORIZATION_DELETED,),
                 id="code deleted and expired: deleted only"),
    pytest.param(inp(spark=replace(SPARK, code=None)), (R.AUTHORIZATION_DELETED,),
                 id="no code at all fails closed"),
    pytest.param(post(deleted_at=PAST), (R.POST_UNAVAILABLE,), id="post deleted"),
    pytest.param(post(taken_down_at=NOW), (R.POST_UNAVAILABLE,), id="post taken down now"),
    pytest.param(post(taken_down_at=AFTER), (), id="post taken down after now"),
    pytest.param(inp(spark=replace(SPARK, creator=CREATOR_OFF)), (R.ACCOUNT_AD_SETTINGS_OFF,),
                 id="creator switched ad settings off"),
    pytest.param(inp(spark=OWN), (), id="own post (TT_USER) ignores ad settings"),
    pytest.param(inp(spark=replace(OWN, identity_linked=False)), (R.IDENTITY_UNLINKED,),
                 id="own post, identity unlinked"),
    pytest.param(inp(spark=DUET), (), id="duet with both codes valid"),
    pytest.param(inp(spark=replace(DUET, original_code=replace(CODE, expires_at=PAST))),
                 (R.AUTHORIZATION_EXPIRED,), id="duet: original post's code expired"),
    pytest.param(inp(spark=replace(DUET, original_post=PostState(taken_down_at=PAST))),
                 (R.POST_UNAVAILABLE,), id="duet: original post taken down"),
    pytest.param(inp(spark=replace(DUET, original_creator=CREATOR_OFF)),
                 (R.ACCOUNT_AD_SETTINGS_OFF,), id="duet: original creator's settings off"),
    pytest.param(inp(unbound=True), (R.SPARK_POST_UNBOUND,), id="spark post unbound"),
    # The post itself: revision and visibility.
    pytest.param(inp(revision=2), (R.POST_EDITED,), id="post has a newer revision"),
    pytest.param(inp(ad=replace(AD, post_revision=3), revision=3), (),
                 id="ad made on the current revision"),
    pytest.param(inp(visibility="private"), (R.POST_PRIVATE,), id="post private"),
    pytest.param(inp(visibility="friends"), (R.POST_PRIVATE,), id="post friends only"),
    pytest.param(inp(ad=replace(AD, ads_only=True), visibility="private"), (),
                 id="private post, ads-only ad: delivers"),
    pytest.param(inp(ad=replace(AD, ads_only=True), visibility="public"), (),
                 id="public post, ads-only ad"),
    pytest.param(inp(ad=replace(AD, ads_only=True), visibility="private", revision=2),
                 (R.POST_EDITED,), id="ads-only does not excuse an edit"),
]


@pytest.mark.parametrize(("d_in", "reasons"), CASES)
def test_delivery_status(d_in: DeliveryInput, reasons: tuple[Reason, ...]) -> None:
    got = delivery_status(d_in, NOW)
    assert got.reasons == reasons
    assert got.status == (NOT_DELIVERING if reasons else DELIVERING)
    assert got.delivering is (not reasons)


# Each reason alone, by the smallest change that causes it.
ALONE = {
    R.DELETED: on_ad(deleted_at(PAST)),
    R.PAUSED: on_group(paused_at(PAST)),
    R.NOT_STARTED: schedule(FUTURE),
    R.ENDED: schedule(PAST, BEFORE),
    R.BUDGET_EXHAUSTED: group_spent(5_000_000),
    R.AUTHORIZATION_EXPIRED: code(expires_at=PAST),
    R.AUTHORIZATION_DELETED: code(deleted_at=PAST),
    R.POST_EDITED: inp(revision=2),
    R.POST_UNAVAILABLE: post(taken_down_at=PAST),
    R.POST_PRIVATE: inp(visibility="private"),
    R.ACCOUNT_AD_SETTINGS_OFF: inp(spark=replace(SPARK, creator=CREATOR_OFF)),
    R.IDENTITY_UNLINKED: inp(spark=replace(OWN, identity_linked=False)),
    R.SPARK_POST_UNBOUND: inp(unbound=True),
}


def test_every_reason_has_a_cause_and_a_sentence() -> None:
    assert set(ALONE) == set(Reason)
    assert set(REASON_TEXT) == set(Reason)


@pytest.mark.parametrize("reason", list(Reason), ids=str)
def test_each_reason_alone(reason: Reason) -> None:
    got = delivery_status(ALONE[reason], NOW)
    assert got == Delivery(NOT_DELIVERING, (reason,))


# Independent causes that can all hold at once on a code-bound ad.
TOGGLES: dict[str, tuple[Reason, Callable[[DeliveryInput], DeliveryInput]]] = {
    "deleted": (R.DELETED, lambda d: replace(d, ad=replace(d.ad, switch=replace(
        d.ad.switch, deleted_at=PAST)))),
    "paused": (R.PAUSED, lambda d: replace(d, campaign=replace(d.campaign, switch=replace(
        d.campaign.switch, disabled_at=PAST)))),
    "not started": (R.NOT_STARTED, lambda d: replace(d, ad_group=replace(
        d.ad_group, schedule_start_at=FUTURE))),
    "ended": (R.ENDED, lambda d: replace(d, ad_group=replace(d.ad_group, schedule_end_at=NOW))),
    "budget": (R.BUDGET_EXHAUSTED, lambda d: replace(d, ad_group=replace(
        d.ad_group, spent_today_micros=d.ad_group.daily_budget_micros))),
    "expired": (R.AUTHORIZATION_EXPIRED, lambda d: replace(d, spark_post=replace(
        d.spark_post, code=replace(d.spark_post.code, expires_at=PAST)))),
    "edited": (R.POST_EDITED, lambda d: replace(d, post_revision=2)),
    "taken down": (R.POST_UNAVAILABLE, lambda d: replace(d, spark_post=replace(
        d.spark_post, post=PostState(taken_down_at=PAST)))),
    "private": (R.POST_PRIVATE, lambda d: replace(d, post_visibility="private")),
    "settings off": (R.ACCOUNT_AD_SETTINGS_OFF, lambda d: replace(d, spark_post=replace(
        d.spark_post, creator=CREATOR_OFF))),
    "unbound": (R.SPARK_POST_UNBOUND, lambda d: replace(d, spark_post_unbound=True)),
}


def test_every_combination_reports_exactly_its_reasons_in_the_stable_order() -> None:
    """2^11 combinations: the reasons are the union of each cause's, in Reason order, no repeats."""
    order = list(Reason)
    names = list(TOGGLES)
    for n in range(len(names) + 1):
        for combo in itertools.combinations(names, n):
            d_in = inp()
            for name in combo:
                d_in = TOGGLES[name][1](d_in)
            expected = tuple(sorted((TOGGLES[name][0] for name in combo), key=order.index))
            got = delivery_status(d_in, NOW)
            assert got.reasons == expected, combo
            assert got.delivering is (not combo), combo


def test_reasons_follow_the_enum_order_not_the_order_they_are_found() -> None:
    # The unbound flag is checked before the Spark post's own reasons, yet sorts after them.
    d_in = replace(TOGGLES["expired"][1](inp()), spark_post_unbound=True)
    assert delivery_status(d_in, NOW).reasons == (R.AUTHORIZATION_EXPIRED,
                                                  R.SPARK_POST_UNBOUND)
    assert [r.value for r in Reason] == [
        "DELETED", "PAUSED", "NOT_STARTED", "ENDED", "BUDGET_EXHAUSTED", "AUTHORIZATION_EXPIRED",
        "AUTHORIZATION_DELETED", "POST_EDITED", "POST_UNAVAILABLE", "POST_PRIVATE",
        "ACCOUNT_AD_SETTINGS_OFF", "IDENTITY_UNLINKED", "SPARK_POST_UNBOUND"]


def test_the_same_ad_over_time() -> None:
    """One input read at successive instants: not started, delivering, ended."""
    d_in = inp(ad=replace(AD, created_at=NOW), group=replace(
        GROUP, schedule_start_at=NOW - DAY, schedule_end_at=NOW + DAY))
    assert delivery_status(d_in, NOW - TICK).reasons == (R.NOT_STARTED,)
    assert delivery_status(d_in, NOW).delivering
    assert delivery_status(d_in, NOW + DAY - TICK).delivering
    assert delivery_status(d_in, NOW + DAY).reasons == (R.ENDED,)


# --- describe / summarize ----------------------------------------------------------------------

LIVE = Delivery(DELIVERING, ())
PAUSED = Delivery(NOT_DELIVERING, (R.PAUSED,))
EXPIRED = Delivery(NOT_DELIVERING, (R.AUTHORIZATION_EXPIRED,))
EXPIRED_AND_PAUSED = Delivery(NOT_DELIVERING, (R.PAUSED, R.AUTHORIZATION_EXPIRED))


@pytest.mark.parametrize(("delivery", "text"), [
    (LIVE, "Delivering."),
    (PAUSED, "Not delivering: it is paused (ad, ad group or campaign)."),
    (EXPIRED, "Not delivering: the creator's authorization expired — ask to extend."),
    (EXPIRED_AND_PAUSED, "Not delivering: it is paused (ad, ad group or campaign); "
                         "the creator's authorization expired — ask to extend."),
    (Delivery(NOT_DELIVERING, (R.SPARK_POST_UNBOUND,)),
     "Not delivering: the Spark post was unbound from the ad account."),
])
def test_describe(delivery: Delivery, text: str) -> None:
    assert describe(delivery) == text


@pytest.mark.parametrize(("deliveries", "status", "counts"), [
    ([], NOT_DELIVERING, {}),
    ([LIVE], DELIVERING, {}),
    ([LIVE, LIVE], DELIVERING, {}),
    ([PAUSED], NOT_DELIVERING, {"PAUSED": 1}),
    ([LIVE, PAUSED], DELIVERING, {"PAUSED": 1}),
    ([PAUSED, EXPIRED, EXPIRED_AND_PAUSED], NOT_DELIVERING,
     {"PAUSED": 2, "AUTHORIZATION_EXPIRED": 2}),
    ([LIVE, EXPIRED, EXPIRED], DELIVERING, {"AUTHORIZATION_EXPIRED": 2}),
])
def test_summarize(deliveries: list[Delivery], status: str, counts: dict[str, int]) -> None:
    assert summarize(deliveries) == (status, counts)


# --- validation ----------------------------------------------------------------------------------

def _raises(call, exc_type: type[errors.AppError], status: int, code: str,  # type: ignore[no-untyped-def]
            message: str) -> None:
    with pytest.raises(exc_type) as info:
        call()
    assert info.value.status == status
    assert info.value.code == code
    assert message in info.value.message, info.value.message


@pytest.mark.parametrize(("url", "kept"), [
    ("https://shop.example.com/spring", "https://shop.example.com/spring"),
    ("http://shop.example.com", "http://shop.example.com"),
    ("  https://shop.example.com/a?b=1  ", "https://shop.example.com/a?b=1"),
    ("https://shop.example.com/p?utm_source=tiktok&utm_medium=paid&utm_campaign=spring",
     "https://shop.example.com/p?utm_source=tiktok&utm_medium=paid&utm_campaign=spring"),
    ("https://s.example/?" + "&".join(f"{k}=v{i}" for i, k in enumerate(UTM_KEYS)),
     "https://s.example/?" + "&".join(f"{k}=v{i}" for i, k in enumerate(UTM_KEYS))),
    ("https://s.example/?ref=&utm_source=tt", "https://s.example/?ref=&utm_source=tt"),
    ("https://s.example/?utm_content=a%20b#frag", "https://s.example/?utm_content=a%20b#frag"),
    ("https://s.example:8443/x", "https://s.example:8443/x"),
])
def test_landing_url_accepted_and_utm_kept(url: str, kept: str) -> None:
    assert check_landing_url(url) == kept


@pytest.mark.parametrize(("url", "code", "message"), [
    ("ftp://shop.example.com/file", "invalid_landing_page_url",
     "The landing page must be an http:// or https:// address."),
    ("javascript:alert(1)", "invalid_landing_page_url", "must be an http:// or https://"),
    ("shop.example.com/spring", "invalid_landing_page_url", "must be an http:// or https://"),
    ("https://", "invalid_landing_page_url", "must be an http:// or https://"),
    ("https:///path-only", "invalid_landing_page_url", "must be an http:// or https://"),
    ("https://shop example.com/", "invalid_landing_page_url", "must be an http:// or https://"),
    ("", "invalid_landing_page_url", "must be an http:// or https://"),
    ("https://s.example/?utm_x=1", "invalid_utm_parameter",
     "Unknown UTM parameter 'utm_x'; use utm_source, utm_medium, utm_campaign, utm_term, "
     "utm_content, utm_id."),
    ("https://s.example/?utm_source=tt&utm_sorce=tt", "invalid_utm_parameter",
     "Unknown UTM parameter 'utm_sorce'"),
    ("https://s.example/?utm_source=", "invalid_utm_parameter",
     "The UTM parameter utm_source is empty."),
    ("https://s.example/?utm_campaign=%20%20", "invalid_utm_parameter",
     "The UTM parameter utm_campaign is empty."),
    ("https://s.example/?utm_medium", "invalid_utm_parameter",
     "The UTM parameter utm_medium is empty."),
])
def test_landing_url_refused(url: str, code: str, message: str) -> None:
    _raises(lambda: check_landing_url(url), errors.InvalidInput, 422, code, message)


@pytest.mark.parametrize(("mode", "amount"), [
    ("BUDGET_MODE_INFINITE", None),
    ("BUDGET_MODE_INFINITE", 0),
    ("BUDGET_MODE_DAY", 1),
    ("BUDGET_MODE_DAY", 50_000_000),
    ("BUDGET_MODE_TOTAL", 1),
])
def test_budget_accepted(mode: str, amount: int | None) -> None:
    check_budget(mode, amount)


@pytest.mark.parametrize(("mode", "amount", "code", "message"), [
    ("BUDGET_MODE_DAY", None, "invalid_budget",
     "A daily or lifetime budget needs a positive amount."),
    ("BUDGET_MODE_DAY", 0, "invalid_budget", "needs a positive amount"),
    ("BUDGET_MODE_TOTAL", None, "invalid_budget", "needs a positive amount"),
    ("BUDGET_MODE_TOTAL", 0, "invalid_budget", "needs a positive amount"),
    ("BUDGET_MODE_TOTAL", -1, "invalid_budget", "needs a positive amount"),
    ("DAILY", 10, "invalid_budget_mode",
     "budget_mode must be one of BUDGET_MODE_DAY, BUDGET_MODE_TOTAL, BUDGET_MODE_INFINITE."),
    ("budget_mode_day", 10, "invalid_budget_mode", "budget_mode must be one of"),
    ("", None, "invalid_budget_mode", "budget_mode must be one of"),
])
def test_budget_refused(mode: str, amount: int | None, code: str, message: str) -> None:
    _raises(lambda: check_budget(mode, amount), errors.InvalidInput, 422, code, message)


def test_budget_modes_are_tiktoks() -> None:
    assert BUDGET_MODES == ("BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL", "BUDGET_MODE_INFINITE")


@pytest.mark.parametrize("end", [None, NOW + TICK, NOW + 365 * DAY])
def test_schedule_accepted(end: datetime | None) -> None:
    check_schedule(NOW, end)


@pytest.mark.parametrize("end", [NOW, NOW - TICK, NOW - DAY])
def test_schedule_refused(end: datetime) -> None:
    _raises(lambda: check_schedule(NOW, end), errors.InvalidInput, 422, "invalid_schedule",
            "The schedule must end after it starts.")


@pytest.mark.parametrize("cta", CALLS_TO_ACTION)
def test_call_to_action_accepted(cta: str) -> None:
    check_call_to_action(cta)


@pytest.mark.parametrize("cta", ["BUY_NOW", "learn_more", "", " LEARN_MORE", "SHOP NOW"])
def test_call_to_action_refused(cta: str) -> None:
    _raises(lambda: check_call_to_action(cta), errors.InvalidInput, 422,
            "invalid_call_to_action", f"Unknown call to action {cta!r}.")


@pytest.mark.parametrize(("used", "limit"), [(0, 1), (0, 10_000), (9_999, 10_000)])
def test_identity_capacity_room(used: int, limit: int) -> None:
    check_identity_capacity(used, limit)


@pytest.mark.parametrize(("used", "limit", "shown"), [
    (10_000, 10_000, "10,000"), (10_001, 10_000, "10,000"), (1, 1, "1 ads")])
def test_identity_capacity_reached(used: int, limit: int, shown: str) -> None:
    _raises(lambda: check_identity_capacity(used, limit), errors.Conflict, 409,
            "identity_capacity_reached", f"This identity is already used in {shown}")


@pytest.mark.parametrize(("bid_micros", "spend"), [
    (10_000_000, 10_000),   # CPM 10.00 → 0.01 per impression
    (1_000_000, 1_000),
    (1_999, 1),             # rounded down
    (999, 0),
    (1_000, 1),
    (10_000_000_000, 10_000_000),
])
def test_spend_per_impression(bid_micros: int, spend: int) -> None:
    assert spend_per_impression(bid_micros) == spend


# --- report.rules.metrics ------------------------------------------------------------------------

ZERO = {**{name: 0 for name in COUNTERS}, "engaged_view_15s": 0, "spend": 0.0, "cpm": 0.0,
        "cpc": 0.0, "ctr": 0.0, "completion_rate": 0.0, "engagement_rate": 0.0,
        "profile_visits_rate": 0.0}


@pytest.mark.parametrize("row", [{}, {name: None for name in (*METRICS, "spend_micros")}],
                         ids=["no row", "sums of nothing"])
def test_metrics_of_nothing_are_zero(row: dict) -> None:  # type: ignore[type-arg]
    assert metrics(row) == ZERO


def test_metrics_rates_and_cpm() -> None:
    row = {"impressions": 3, "video_views_p100": 1, "likes": 2, "comments": 1, "shares": 1,
           "follows": 1, "profile_visits": 1, "clicks_on_music_disc": 0, "video_watched_2s": 3,
           "video_watched_6s": 2, "video_watched_15s": 1, "spend_micros": 30_000, "clicks": 0}
    out = metrics(row)
    assert out["impressions"] == 3 and out["likes"] == 2
    assert out["video_watched_2s"] == 3 and out["engaged_view_15s"] == 1
    assert out["spend"] == 0.03
    assert out["cpm"] == 10.0  # 0.03 for 3 impressions = 10.00 per thousand
    assert out["completion_rate"] == 0.3333
    assert out["engagement_rate"] == 2.0  # 6 engagements on 3 impressions
    assert out["profile_visits_rate"] == 0.3333
    assert set(out) == set(ZERO)


def test_metrics_with_engagement_but_zero_impressions_do_not_divide() -> None:
    out = metrics({"likes": 5, "profile_visits": 2, "video_views_p100": 1, "spend_micros": 0})
    assert out["likes"] == 5
    assert out["cpm"] == out["completion_rate"] == out["engagement_rate"] == 0.0
    assert out["profile_visits_rate"] == 0.0


@pytest.mark.parametrize(("spend_micros", "impressions", "spend", "cpm"), [
    (1_234_567, 1000, 1.23, 1.23),
    (1_236_000, 1000, 1.24, 1.24),
    (4_999, 1, 0.0, 5.0),
    (5_001, 1, 0.01, 5.0),
    (10_000, 1, 0.01, 10.0),
    (999_999_999, 7, 1000.0, 142857.14),
    (15_000, 1000, 0.02, 0.02),  # an exact half cent per thousand rounds up, as on the pages
])
def test_metrics_spend_rounding(spend_micros: int, impressions: int, spend: float,
                                cpm: float) -> None:
    out = metrics({"impressions": impressions, "spend_micros": spend_micros})
    assert out["spend"] == spend and isinstance(out["spend"], float)
    assert out["cpm"] == cpm


def test_metrics_take_database_sums_of_any_numeric_type() -> None:
    out = metrics({"impressions": Decimal("4"), "likes": Decimal("1"),
                   "spend_micros": Decimal(40_000)})
    assert out["impressions"] == 4 and out["likes"] == 1
    assert out["spend"] == 0.04 and out["engagement_rate"] == 0.25


# --- engagement.rules ----------------------------------------------------------------------------

@pytest.mark.parametrize(("event_type", "metric", "counter"), [
    ("impression", "impressions", "views"),
    ("view_2s", "video_watched_2s", None),
    ("view_6s", "video_watched_6s", None),
    ("view_15s", "video_watched_15s", None),
    ("completion", "video_views_p100", None),
    ("like", "likes", "likes"),
    ("comment", "comments", "comments"),
    ("share", "shares", "shares"),
    ("follow", "follows", None),
    ("profile_visit", "profile_visits", None),
    ("music_click", "clicks_on_music_disc", None),
])
def test_what_each_event_counts(event_type: str, metric: str, counter: str | None) -> None:
    assert engagement_rules.EVENT_TYPES[event_type] == (metric, counter)


def test_event_types_match_the_api_and_the_rollup() -> None:
    assert set(engagement_rules.EVENT_TYPES) == set(get_args(EventType))
    assert {m for m, _ in engagement_rules.EVENT_TYPES.values()} == set(METRICS)


SKEW = timedelta(seconds=300)


@pytest.mark.parametrize("at", [NOW, NOW - 400 * DAY, NOW + SKEW, NOW + SKEW - TICK,
                                datetime(2026, 3, 1, 13, 5, tzinfo=timezone(timedelta(hours=1)))],
                         ids=["now", "long ago", "at the skew", "under the skew", "other offset"])
def test_event_time_accepted(at: datetime) -> None:
    engagement_rules.check_time(at, NOW, SKEW)


@pytest.mark.parametrize(("at", "code", "message"), [
    (NOW + SKEW + TICK, "event_in_future", "The event is dated in the future."),
    (NOW + DAY, "event_in_future", "The event is dated in the future."),
    (NOW.replace(tzinfo=None), "invalid_occurred_at", "occurred_at needs a time zone offset"),
    (datetime(2026, 3, 1, 13, 6, tzinfo=timezone(timedelta(hours=1))), "event_in_future",
     "dated in the future"),
])
def test_event_time_refused(at: datetime, code: str, message: str) -> None:
    _raises(lambda: engagement_rules.check_time(at, NOW, SKEW), errors.InvalidInput, 422, code,
            message)


@pytest.mark.parametrize("size", [1, 999, 1000])
def test_batch_size_accepted(size: int) -> None:
    engagement_rules.check_batch(size, 1000)


@pytest.mark.parametrize(("size", "code", "message"), [
    (0, "batch_empty", "Send at least one event."),
    (1001, "batch_too_large", "At most 1000 events per request; 1001 were sent."),
    (50_000, "batch_too_large", "50000 were sent"),
])
def test_batch_size_refused(size: int, code: str, message: str) -> None:
    _raises(lambda: engagement_rules.check_batch(size, 1000), errors.InvalidInput, 422, code,
            message)


@pytest.mark.parametrize(
    ("revised_after_at", "edited"),
    [
        pytest.param(None, True, id="edit time unknown: stale (fails closed)"),
        pytest.param(NOW - timedelta(seconds=1), True, id="edited before now"),
        pytest.param(NOW, True, id="edited exactly now"),
        pytest.param(NOW + timedelta(seconds=1), False, id="edited after the instant judged"),
    ],
)
def test_post_edited_counts_from_the_first_later_revision(revised_after_at, edited) -> None:  # type: ignore[no-untyped-def]
    d_in = replace(inp(), post_revision=AD.post_revision + 1, revised_after_at=revised_after_at)
    assert (Reason.POST_EDITED in delivery_status(d_in, NOW).reasons) is edited


@pytest.mark.parametrize(("handle", "caption", "taken", "expected"), [
    ("maya", "Short one", set(), "@maya — Short one"),
    ("maya", "My 5-step morning skincare routine for dry winter skin", set(),
     "@maya — My 5-step morning skincare routine for…"),
    ("maya", "My 5-step morning skincare routine for dry winter skin",
     {"@maya — My 5-step morning skincare routine for…"},
     "@maya — My 5-step morning skincare routine for… (2)"),
    ("leo", "Same", {"@leo — Same", "@leo — Same (2)"}, "@leo — Same (3)"),
    ("leo", "", set(), "@leo — Spark Ad"),
    ("leo", "  spaced\n  out  ", set(), "@leo — spaced out"),
    ("aiko", "x" * 60, set(), "@aiko — " + "x" * 40 + "…"),
])
def test_default_ad_names_differ(handle, caption, taken, expected):  # type: ignore[no-untyped-def]
    assert default_ad_name(handle, caption, taken) == expected
