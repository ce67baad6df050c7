"""Reports (§6): GET report/integrated/get/, TikTok's synchronous BASIC report, over the report
service the /v1 reports use: the paid daily rollups, days in the ad account's time zone, the same
arithmetic. Values are strings, as TikTok sends them; rates are in percent, as TikTok's are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi.responses import JSONResponse

from sparkcodes.compat.tiktok import codes, containers, routing, shapes
from sparkcodes.compat.tiktok.auth import Caller, CallerDep
from sparkcodes.compat.tiktok.envelope import TikTokError, ok
from sparkcodes.compat.tiktok.params import Params, bad
from sparkcodes.models import Ad, AdAccount, AdGroup, Campaign
from sparkcodes.report import service as report_service
from sparkcodes.report.service import ReportObject

router = routing.router()

# data_level -> the report service's level; an ID dimension -> the level whose objects it names.
LEVELS = {"AUCTION_ADVERTISER": "ad_account", "AUCTION_CAMPAIGN": "campaign",
          "AUCTION_ADGROUP": "ad_group", "AUCTION_AD": "ad"}
ID_DIMENSIONS = {"advertiser_id": "ad_account", "campaign_id": "campaign",
                 "adgroup_id": "ad_group", "ad_id": "ad"}
DIMENSION_OF = {level: name for name, level in ID_DIMENSIONS.items()}
DATA_LEVEL_OF = {level: name for name, level in LEVELS.items()}
RANK = {"ad_account": 0, "campaign": 1, "ad_group": 2, "ad": 3}  # coarse to fine
DAY = "stat_time_day"
DEFAULT_METRICS = ("spend", "impressions")
MAX_ADVERTISERS = 5  # TikTok's limit for advertiser_ids
MAX_FILTER_IDS = 100

COUNT, MONEY, PERCENT = "count", "money", "percent"
# TikTok's metric names sparkcodes computes -> (the report service's name, how it is written).
COMPUTED: dict[str, tuple[str, str]] = {
    "spend": ("spend", MONEY),
    "impressions": ("impressions", COUNT),
    "cpm": ("cpm", MONEY),
    "clicks": ("clicks", COUNT),
    "ctr": ("ctr", PERCENT),
    "cpc": ("cpc", MONEY),
    "likes": ("likes", COUNT),
    "comments": ("comments", COUNT),
    "shares": ("shares", COUNT),
    "follows": ("follows", COUNT),
    "profile_visits": ("profile_visits", COUNT),
    "profile_visits_rate": ("profile_visits_rate", PERCENT),
    "clicks_on_music_disc": ("clicks_on_music_disc", COUNT),
    "engagements": ("engagements", COUNT),
    "engagement_rate": ("engagement_rate", PERCENT),
    "video_watched_2s": ("video_watched_2s", COUNT),
    "video_watched_6s": ("video_watched_6s", COUNT),
    "engaged_view_15s": ("engaged_view_15s", COUNT),
    "paid_engaged_view_15s": ("engaged_view_15s", COUNT),
    "video_views_p100": ("video_views_p100", COUNT),
}


def _post_text(o: ReportObject) -> str | None:
    return o.post.caption if o.post else None


def _item_id(o: ReportObject) -> str | None:
    return str(o.post.tiktok_id) if o.post else None


# Attribute metrics: TikTok name -> (the coarsest ID dimension level that has it, its value).
ATTRIBUTES: dict[str, tuple[str, Callable[[ReportObject], Any]]] = {
    "advertiser_id": ("ad_account", lambda o: str(o.account.tiktok_id)),
    "advertiser_name": ("ad_account", lambda o: o.account.name),
    "currency": ("ad_account", lambda o: o.account.currency),
    "timezone": ("ad_account", lambda o: o.account.timezone),
    "campaign_id": ("campaign", lambda o: str(o.campaign.tiktok_id) if o.campaign else None),
    "campaign_name": ("campaign", lambda o: o.campaign.name if o.campaign else None),
    "objective_type": ("campaign", lambda o: o.campaign.objective if o.campaign else None),
    "adgroup_id": ("ad_group", lambda o: str(o.ad_group.tiktok_id) if o.ad_group else None),
    "adgroup_name": ("ad_group", lambda o: o.ad_group.name if o.ad_group else None),
    "ad_name": ("ad", lambda o: o.ad.name if o.ad else None),
    "ad_text": ("ad", _post_text),
    "call_to_action": ("ad", lambda o: o.ad.call_to_action if o.ad else None),
    "tiktok_item_id": ("ad", _item_id),
}

# TikTok metric names sparkcodes does not record (no reach, conversions, partial plays,
# app or bidding attributes): accepted and answered null, so clients that always ask for a fixed
# list (the Singer tap asks for 70) still work. A name TikTok does not have is refused.
NOT_RECORDED = frozenset((
    "reach", "cost_per_1000_reached", "frequency",
    "gross_impressions", "billed_cost", "cash_spend", "voucher_spend", "conversion",
    "cost_per_conversion", "conversion_rate", "conversion_rate_v2", "real_time_conversion",
    "real_time_cost_per_conversion", "real_time_conversion_rate",
    "real_time_conversion_rate_v2", "result", "cost_per_result", "result_rate",
    "real_time_result", "real_time_cost_per_result", "real_time_result_rate",
    "secondary_goal_result", "cost_per_secondary_goal_result", "secondary_goal_result_rate",
    "skan_result", "skan_cost_per_result", "skan_result_rate", "skan_conversion",
    "skan_cost_per_conversion", "skan_conversion_rate_v2", "video_play_actions",
    "average_video_play", "average_video_play_per_user", "video_views_p25", "video_views_p50",
    "video_views_p75", "engaged_view", "paid_engaged_view", "paid_engagement_engaged_view",
    "paid_engagement_engaged_view_15s", "organic_video_views", "duet_clicks", "stitch_clicks",
    "sound_usage_clicks", "anchor_clicks", "anchor_click_rate", "clicks_on_hashtag_challenge",
    "tt_playlist_visit", "tt_playlist_visit_rate", "placement_type", "promotion_type",
    "opt_status", "adgroup_download_url", "profile_image", "dpa_target_audience_type",
    "budget", "smart_target", "pricing_category", "billing_event", "bid_strategy", "bid",
    "bid_secondary_goal", "aeo_type", "ad_profile_image", "ad_url", "tt_app_id",
    "tt_app_name", "mobile_app_id", "image_mode", "ad_format", "is_aco", "is_smart_creative",
    "split_test", "campaign_budget", "campaign_dedicate_type", "app_promotion_type",
    "video_id", "file_name", "identity_id", "tiktok_name", "rf_campaign_type",
))

# filtering field_name -> the level it names.
ID_FILTERS: dict[str, type[containers.Lifecycle]] = {"campaign_ids": Campaign,
                                                     "adgroup_ids": AdGroup, "ad_ids": Ad}
STATUS_FILTERS = {"campaign_status": "campaign", "adgroup_status": "ad_group",
                  "ad_status": "ad"}


@dataclass
class Query:
    accounts: list[AdAccount]
    level: str
    group: str | None
    by_day: bool
    dimensions: list[str]
    metrics: list[str]
    ids: dict[type[containers.Lifecycle], set[str]] = field(default_factory=dict)
    deleted: dict[str, bool] = field(default_factory=dict)


def _names(values: list[str]) -> str:
    return ", ".join(f"'{v[:64]}'" for v in values[:5]) + (" …" if len(values) > 5 else "")


def _report_type(p: Params) -> None:
    value = p.string("report_type", required=True, max_length=64)
    if value != "BASIC":
        raise bad(f"report_type: sparkcodes serves BASIC reports only; '{value}' was sent.")
    service = p.string("service_type", default="AUCTION", max_length=64)
    if service != "AUCTION":
        raise bad(f"service_type: sparkcodes reports AUCTION ads only; '{service}' was sent.")
    if p.boolean("multi_adv_report_in_utc_time"):
        raise bad("multi_adv_report_in_utc_time: sparkcodes counts each advertiser's days in "
                  "its own time zone and cannot convert them to UTC; leave it out.")
    mode = p.string("query_mode", default="REGULAR", max_length=64)
    if mode != "REGULAR":
        raise bad(f"query_mode: only REGULAR (paged) is supported; '{mode}' was sent.")


def _id_array(p: Params, name: str, most: int, *, required: bool = False) -> list[str] | None:
    """An array of ids; more than ``most`` is TikTok's 40011 (too many ids), not a 40002."""
    values = p.array(name, required=required, max_items=10_000)
    if values is not None and len(values) > most:
        raise TikTokError(codes.TOO_MANY_IDS, f"{name} may hold at most {most} ids; "
                          f"{len(values)} were sent.")
    return p.id_array(name, required=required, max_items=most)


def _advertisers(caller: Caller) -> list[AdAccount]:
    """advertiser_ids (1–5, taking precedence, as on TikTok) or advertiser_id; each must be an
    ad account the token may read."""
    ids = _id_array(caller.params, "advertiser_ids", MAX_ADVERTISERS)
    if ids is None:
        return [caller.advertiser("read")]
    if not ids:
        raise bad(f"advertiser_ids must name 1 to {MAX_ADVERTISERS} advertisers.")
    return [caller.advertiser("read", value=i) for i in dict.fromkeys(ids)]


def _dimensions(p: Params, level: str) -> tuple[list[str], str | None, bool]:
    raw = p.array("dimensions", required=True, max_items=20) or []
    names = list(dict.fromkeys(raw))
    supported = f"one of {', '.join(ID_DIMENSIONS)}, optionally with {DAY}"
    if not names:
        raise bad(f"dimensions must hold {supported}.")
    for name in names:
        if name == "stat_time_hour":
            raise bad("dimensions: stat_time_hour is not supported; sparkcodes counts paid "
                      f"engagement per day, use {DAY}.")
        if name not in ID_DIMENSIONS and name != DAY:
            raise bad(f"dimensions: {_names([name])} is not supported; a BASIC report is "
                      f"broken down by {supported}.")
    ids = [n for n in names if n in ID_DIMENSIONS]
    if len(ids) > 1:
        raise bad(f"dimensions may hold one ID dimension; {_names(ids)} were sent.")
    group = ID_DIMENSIONS[ids[0]] if ids else None
    if group is not None and RANK[group] > RANK[level]:
        raise bad(f"dimensions: {ids[0]} needs data_level {DATA_LEVEL_OF[group]} (or use the "
                  f"dimension {DIMENSION_OF[level]}); data_level is {DATA_LEVEL_OF[level]}.")
    return names, group, DAY in names


def _metrics(p: Params, group: str | None) -> list[str]:
    raw = p.array("metrics", max_items=500)
    names = list(dict.fromkeys(raw)) if raw else list(DEFAULT_METRICS)
    unknown = [n for n in names
               if n not in COMPUTED and n not in ATTRIBUTES and n not in NOT_RECORDED]
    if unknown:
        verb = "is not a metric" if len(unknown) == 1 else "are not metrics"
        raise bad(f"metrics: {_names(unknown)} {verb} of TikTok's BASIC report. sparkcodes "
                  f"computes {', '.join(COMPUTED)}; with an ID dimension also the attributes "
                  f"{', '.join(ATTRIBUTES)}.")
    for name in names:
        if name in ATTRIBUTES:
            needed = ATTRIBUTES[name][0]
            if group is None or RANK[group] < RANK[needed]:
                finer = [DIMENSION_OF[lv] for lv, r in RANK.items() if r >= RANK[needed]]
                raise bad(f"metrics: {name} is an attribute; it needs the dimension "
                          f"{' or '.join(finer)}.")
    return names


def _filtering(caller: Caller, q: Query) -> None:
    """TikTok's filtering: a JSON array of {field_name, filter_type IN, filter_value (a JSON
    array, or its JSON-encoded string)}; ids and statuses, several filters all apply."""
    items = caller.params.array("filtering", max_items=20, item=dict) or []
    supported = ", ".join([*ID_FILTERS, *STATUS_FILTERS])
    for i, item in enumerate(items):
        where = f"filtering[{i}]"
        f = Params({f"{where}.{k}": v for k, v in item.items()}, from_query=False)
        name = f.string(f"{where}.field_name", required=True, max_length=64)
        kind = f.string(f"{where}.filter_type", default="IN", max_length=64)
        if kind != "IN":
            raise bad(f"{where}.filter_type: sparkcodes filters with IN only; '{kind}' was "
                      "sent.")
        value = Params({f"{where}.filter_value": item.get("filter_value")}, from_query=True)
        if name in ID_FILTERS:
            model = ID_FILTERS[name]
            tiktok_ids = _id_array(value, f"{where}.filter_value", MAX_FILTER_IDS,
                                   required=True) or []
            found: set[str] = set()
            for account in q.accounts:
                found |= set(containers.uuids(caller.session, model, account, tiktok_ids) or [])
            q.ids[model] = q.ids[model] & found if model in q.ids else found
        elif name in STATUS_FILTERS:
            statuses = value.array(f"{where}.filter_value", required=True, max_items=1) or []
            status = statuses[0] if statuses else ""
            if status not in containers.PRIMARY_STATUS:
                raise bad(f"{where}.filter_value: {name} filters by "
                          f"{', '.join(containers.PRIMARY_STATUS)}; {_names([status])} was "
                          "sent.")
            only_deleted = containers.PRIMARY_STATUS[status]
            if only_deleted is not None:
                q.deleted[STATUS_FILTERS[name]] = only_deleted
        else:
            raise bad(f"{where}.field_name: sparkcodes filters reports by {supported}; "
                      f"{_names([name or ''])} was sent.")


def _dates(p: Params, by_day: bool) -> tuple[date | None, date | None]:
    if p.boolean("query_lifetime"):
        if by_day:
            raise bad(f"query_lifetime: lifetime metrics cannot be broken down by {DAY}.")
        return None, None
    return p.day("start_date", required=True), p.day("end_date", required=True)


def _order(p: Params) -> tuple[str | None, bool]:
    name = p.string("order_field", max_length=64)
    descending = p.choice("order_type", ("ASC", "DESC"), default="DESC") == "DESC"
    if name is None:
        return None, descending
    if name not in COMPUTED:
        raise bad(f"order_field: reports can be ordered by {', '.join(COMPUTED)}; "
                  f"{_names([name])} was sent.")
    return COMPUTED[name][0], descending


def _value(name: str, metrics: dict[str, Any]) -> str:
    source, kind = COMPUTED[name]
    value = metrics[source]
    if kind == COUNT:
        return str(int(value))
    # Money comes rounded to cents and rates to 4 decimals (rules.metrics): two decimals of the
    # amount, or of the rate in percent, are exact.
    return f"{value * 100 if kind == PERCENT else value:.2f}"


def _metrics_of(names: list[str], metrics: dict[str, Any], obj: ReportObject | None,
                *, total: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        if name in COMPUTED:
            out[name] = _value(name, metrics)
        elif name in ATTRIBUTES:
            if not total:
                out[name] = ATTRIBUTES[name][1](obj) if obj is not None else None
        else:
            out[name] = None  # NOT_RECORDED
    return out


@router.get("/report/integrated/get/", summary="Run a report (BASIC)")
def report_integrated_get(caller: CallerDep) -> JSONResponse:
    """Paid engagement and spend of Spark Ads, from the same daily rollups as `/v1/reports`.

    `report_type` BASIC; `advertiser_id`, or `advertiser_ids` (1–5); `service_type` AUCTION;
    `data_level` AUCTION_ADVERTISER, AUCTION_CAMPAIGN, AUCTION_ADGROUP or AUCTION_AD (default);
    `dimensions`: one of advertiser_id, campaign_id, adgroup_id, ad_id (not finer than the data
    level), optionally with stat_time_day (or stat_time_day alone); `metrics` (default spend,
    impressions); `start_date`, `end_date` (YYYY-MM-DD in the advertiser's time zone, at most
    366 days) unless `query_lifetime`; `filtering` by campaign_ids, adgroup_ids, ad_ids
    (IN) and campaign_status, adgroup_status, ad_status (STATUS_ALL, STATUS_NOT_DELETE,
    STATUS_DELETE; deleted objects report unless filtered out); `order_field`, `order_type`;
    `enable_total_metrics`; `page`, `page_size` (1–1000, default 10). Only rows with data are
    listed. Metrics TikTok has but sparkcodes does not record (clicks, reach, conversions, …)
    are answered null."""
    p = caller.params
    _report_type(p)
    accounts = _advertisers(caller)
    level = LEVELS[p.choice("data_level", tuple(LEVELS), default="AUCTION_AD") or "AUCTION_AD"]
    dimensions, group, by_day = _dimensions(p, level)
    q = Query(accounts=accounts, level=level, group=group, by_day=by_day,
              dimensions=dimensions, metrics=_metrics(p, group))
    _filtering(caller, q)
    start, end = _dates(p, by_day)
    order_by, descending = _order(p)
    with_total = p.boolean("enable_total_metrics")
    page, page_size = containers.page_params(p)
    report = report_service.integrated(
        caller.session, accounts=accounts, group=group, by_day=by_day, start=start, end=end,
        ad_ids=_ids(q, Ad), ad_group_ids=_ids(q, AdGroup), campaign_ids=_ids(q, Campaign),
        deleted=q.deleted, order_by=order_by, descending=descending, limit=page_size,
        offset=(page - 1) * page_size, with_total=with_total)
    objects: dict[str, ReportObject] = {}
    if group is not None and any(n in ATTRIBUTES for n in q.metrics):
        objects = report_service.integrated_objects(
            caller.session, group=group, keys=[r.key for r in report.rows if r.key])
    rows = []
    for row in report.rows:
        dims: dict[str, Any] = {}
        for name in dimensions:
            dims[name] = (f"{row.day:%Y-%m-%d} 00:00:00" if name == DAY
                          else str(row.tiktok_id))
        rows.append({"dimensions": dims,
                     "metrics": _metrics_of(q.metrics, row.metrics,
                                            objects.get(row.key or ""))})
    data: dict[str, Any] = {"list": rows,
                            "page_info": shapes.page_info(page, page_size, report.total_number)}
    if report.total is not None:
        data["total_metrics"] = _metrics_of(q.metrics, report.total, None, total=True)
    return ok(data)


def _ids(q: Query, model: type[containers.Lifecycle]) -> list[str] | None:
    return sorted(q.ids[model]) if model in q.ids else None
