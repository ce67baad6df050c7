"""Mirror a linked TikTok advertiser into sparkcodes' own nouns (docs/connector.md, "Sync").

Each function here is one short transaction's worth of work on rows, given what TikTok already
answered: the caller (``connector.tasks.run_sync``) calls TikTok between them, outside any write
transaction. Every step checkpoints the run (stage, cursor, counts) with a conditional write
that only the run's current holder can make, so a sync that stopped resumes where it was and a
worker that lost its hold cannot write over the one that took the run over. Upserts compare
before writing: a re-run over the same answers changes no mirrored row. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes.ad import rules as ad_rules
from sparkcodes.ad_account import repository as ad_account_repository
from sparkcodes.audit import service as audit
from sparkcodes.config import Settings
from sparkcodes.connector import repository, rules, service
from sparkcodes.connector.client import TikTokCallError
from sparkcodes.models import (
    TIKTOK,
    Ad,
    AdAccount,
    AdGroup,
    Authorization,
    Campaign,
    Creator,
    EngagementDaily,
    Post,
    SparkPost,
    TikTokAdvertiser,
    TikTokConnection,
    TikTokSyncRun,
)

BUSY, NOT_SYNCABLE = "busy", "not_syncable"


class SyncLost(Exception):
    """This worker's hold on the run expired and another took it over: stop, write nothing."""


@dataclass
class Held:
    """A run this worker holds, and what it needs to call TikTok between transactions."""

    run_id: str
    holder: str
    connection_id: str
    business_id: str
    advertiser_id: str
    ad_account_id: str
    base_url: str
    app_key: str
    token: str
    stage: str
    cursor: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)
    calls: int = 0


def _hold_until(settings: Settings, now: datetime) -> datetime:
    return now + timedelta(seconds=settings.connector.sync_hold_seconds)


def _set(row: object, **values: Any) -> bool:
    """Assign only what differs: True when the row changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _count(held: Held, name: str, n: int = 1) -> None:
    held.counts[name] = held.counts.get(name, 0) + n


def _checkpoint(session: Session, settings: Settings, held: Held, now: datetime,
                **values: Any) -> None:
    saved = repository.save_run(session, run_id=held.run_id, holder=held.holder, values={
        "stage": held.stage, "cursor": held.cursor, "counts": dict(held.counts),
        "calls": held.calls, "held_until": _hold_until(settings, now), **values})
    if not saved:
        raise SyncLost(f"sync run {held.run_id} is no longer held by {held.holder}")


# --- starting or resuming -----------------------------------------------------------------------

def begin(session: Session, *, settings: Settings, connection_id: str, advertiser_id: str,
          trigger: str, holder: str, now: datetime) -> Held | str:
    """Hold the advertiser's open run (resuming it where it stopped) or open a new one; BUSY
    when another worker holds a live one, NOT_SYNCABLE when the connection cannot be synced.
    The advertiser's mirrored ad account exists afterwards."""
    connection = repository.connection(session, connection_id)
    advertiser = repository.advertiser(session, connection_id, advertiser_id)
    if (connection is None or connection.deleted_at is not None
            or connection.access_token_sealed is None or connection.token_revoked_at is not None
            or advertiser is None or advertiser.gone_at is not None):
        return NOT_SYNCABLE
    until = _hold_until(settings, now)
    run = repository.open_run(session, connection_id, advertiser_id)
    if run is not None:
        run = repository.take_run(session, run_id=run.id, holder=holder, now=now, until=until)
        if run is None:
            return BUSY
    else:
        run = TikTokSyncRun(connection_id=connection_id, advertiser_id=advertiser_id,
                            trigger=trigger, stage=rules.SYNC_STAGES[0], cursor={}, counts={},
                            calls=0, holder=holder, held_until=until, started_at=now)
        if not repository.insert_run(session, run):
            return BUSY
    account = _account(session, connection, advertiser, now)
    return Held(run_id=run.id, holder=holder, connection_id=connection.id,
                business_id=connection.business_id, advertiser_id=advertiser_id,
                ad_account_id=account.id, base_url=connection.base_url,
                app_key=service.app_key(connection),
                token=service.sealer(settings).open(connection.access_token_sealed),
                stage=run.stage, cursor=dict(run.cursor or {}), counts=dict(run.counts or {}),
                calls=run.calls)


def _account(session: Session, connection: TikTokConnection, advertiser: TikTokAdvertiser,
             now: datetime) -> AdAccount:
    found = repository.mirrored(session, AdAccount, connection_id=connection.id,
                                external_ids=[advertiser.advertiser_id])
    account = found.get(advertiser.advertiser_id)
    if account is None:
        account = AdAccount(business_id=connection.business_id, name=advertiser.name[:120],
                            timezone="UTC", created_at=now, source=TIKTOK,
                            external_id=advertiser.advertiser_id, connection_id=connection.id)
        repository.add_mirrored(session, account)
    else:
        _set(account, name=advertiser.name[:120])
    return account


# --- identities ---------------------------------------------------------------------------------

def _creator(session: Session, held: Held, *, identity_id: str, name: object,
             display_name: object, avatar: object, available: bool, now: datetime) -> Creator:
    found = repository.mirrored(session, Creator, connection_id=held.connection_id,
                                external_ids=[identity_id]).get(identity_id)
    handle = rules.handle_of(name, identity_id)
    values: dict[str, Any] = {
        "handle": handle, "handle_key": handle.lower(),
        "display_name": str(display_name or handle)[:80],
        "avatar_url": str(avatar)[:500] if avatar else None}
    if found is None:
        creator = Creator(owner_id=None, region="", created_at=now, source=TIKTOK,
                          external_id=identity_id, connection_id=held.connection_id,
                          ad_settings_enabled_at=now if available else None,
                          ad_terms_accepted_at=now if available else None, **values)
        repository.add_mirrored(session, creator)
        _count(held, "created")
        return creator
    # TikTok lists an identity as usable or not; when it is, the mirror keeps the first instant
    # it was seen so (a re-run changes nothing).
    values["ad_settings_enabled_at"] = (found.ad_settings_enabled_at or now) if available \
        else None
    values["ad_terms_accepted_at"] = (found.ad_terms_accepted_at or now) if available else None
    if _set(found, **values):
        _count(held, "updated")
    return found


def apply_identities(session: Session, *, settings: Settings, held: Held,
                     identities: list[dict[str, Any]], now: datetime) -> None:
    """identity/get's answer (every page): the advertiser's identities as owner-less creators."""
    for item in identities:
        identity_id = str(item.get("identity_id") or "")
        if not identity_id:
            continue
        _creator(session, held, identity_id=identity_id, name=item.get("user_name"),
                 display_name=item.get("display_name"), avatar=item.get("profile_image"),
                 available=item.get("available_status", "AVAILABLE") == "AVAILABLE", now=now)
    held.counts["identities"] = len(identities)
    held.stage = rules.next_stage("identities")
    held.cursor = {"page": 1, "seen": []}
    _checkpoint(session, settings, held, now, error=None, error_code=None)


# --- posts --------------------------------------------------------------------------------------

def _post(session: Session, held: Held, creator: Creator, entry: dict[str, Any],
          now: datetime) -> Post:
    info = entry.get("item_info") or {}
    video = entry.get("video_info") or {}
    item_id = str(info["item_id"])
    status = str(info.get("status") or "")
    cover = video.get("poster_url")
    found = repository.mirrored(session, Post, connection_id=held.connection_id,
                                external_ids=[item_id]).get(item_id)
    values: dict[str, Any] = {
        "creator_id": creator.id, "kind": rules.post_kind(info),
        "caption": str(info.get("text") or "")[:2200],
        "visibility": rules.visibility_of(status),
        "cover_url": str(cover)[:500] if cover else None}
    if found is None:
        post = Post(sound=rules.UNKNOWN_SOUND, published_at=now, created_at=now, source=TIKTOK,
                    external_id=item_id, connection_id=held.connection_id,
                    taken_down_at=now if status == rules.TAKEN_DOWN else None,
                    take_down_reason="Taken down on TikTok" if status == rules.TAKEN_DOWN
                    else None,
                    deleted_at=now if status == rules.USER_DELETED else None, **values)
        repository.add_mirrored(session, post)
        _count(held, "created")
        return post
    taken = status == rules.TAKEN_DOWN
    values["taken_down_at"] = (found.taken_down_at or now) if taken else None
    values["take_down_reason"] = (found.take_down_reason or "Taken down on TikTok") if taken \
        else None
    values["deleted_at"] = (found.deleted_at or now) if status == rules.USER_DELETED else None
    if _set(found, **values):
        _count(held, "updated")
    return found


def _authorization(session: Session, held: Held, post: Post, entry: dict[str, Any],
                   key: str, now: datetime) -> Authorization | None:
    auth = entry.get("auth_info") or {}
    starts_at = rules.parse_time(auth.get("auth_start_time"))
    ends_at = rules.parse_time(auth.get("auth_end_time"))
    if ends_at is None:
        return None
    starts_at = starts_at or min(now, ends_at)
    canceled = auth.get("ad_auth_status") == "CANCELED"
    found = repository.mirrored(session, Authorization, connection_id=held.connection_id,
                                external_ids=[key]).get(key)
    values: dict[str, Any] = {
        "post_id": post.id, "ad_account_id": held.ad_account_id,
        "code_hint": rules.code_hint((entry.get("item_info") or {}).get("auth_code")),
        "days": rules.window_days(starts_at, ends_at), "starts_at": starts_at,
        "expires_at": ends_at}
    if found is None:
        code = Authorization(code_hash=None, created_by_id=None, bound_at=now, created_at=now,
                             deleted_at=now if canceled else None, source=TIKTOK,
                             external_id=key, connection_id=held.connection_id, **values)
        repository.add_mirrored(session, code)
        _count(held, "created")
        return code
    values["deleted_at"] = (found.deleted_at or now) if canceled else None
    if _set(found, **values):
        _count(held, "updated")
    return found


def _spark_post(session: Session, held: Held, post: Post, code: Authorization,
                identity_type: str, key: str, now: datetime) -> None:
    found = repository.mirrored(session, SparkPost, connection_id=held.connection_id,
                                external_ids=[key]).get(key)
    values: dict[str, Any] = {"ad_account_id": held.ad_account_id, "post_id": post.id,
                              "identity_type": identity_type, "authorization_id": code.id}
    if found is None:
        repository.add_mirrored(session, SparkPost(
            bound_by_id=None, bound_at=now, source=TIKTOK, external_id=key,
            connection_id=held.connection_id, **values))
        ad_account_repository.add_places(session, held.ad_account_id, 1)
        _count(held, "created")
        return
    if found.unbound_at is not None or found.ad_account_id != held.ad_account_id:
        # Live again, or live in another ad account: the counters follow.
        if found.unbound_at is None:
            ad_account_repository.free_places(session, found.ad_account_id)
        ad_account_repository.add_places(session, held.ad_account_id, 1)
    values["unbound_at"] = None  # listed again on TikTok
    if _set(found, **values):
        _count(held, "updated")


def apply_page(session: Session, *, settings: Settings, held: Held,
               data: dict[str, Any], now: datetime) -> None:
    """One page of tt_video/list: each listed post's creator, post, authorization window and
    Spark post; the cursor moves to the next page, or to reconciling after the last."""
    entries = [e for e in data.get("list") or [] if (e.get("item_info") or {}).get("item_id")]
    seen: list[str] = list(held.cursor.get("seen") or [])
    for entry in entries:
        user = entry.get("user_info") or {}
        identity_id = str(user.get("identity_id") or "")
        item_id = str(entry["item_info"]["item_id"])
        if not identity_id:
            _count(held, "skipped")
            continue
        creator = _creator(session, held, identity_id=identity_id, name=user.get("tiktok_name"),
                           display_name=user.get("display_name"),
                           avatar=user.get("profile_image"), available=True, now=now)
        post = _post(session, held, creator, entry, now)
        key = f"{held.advertiser_id}:{item_id}"
        code = _authorization(session, held, post, entry, key, now)
        if code is None:
            _count(held, "skipped")
            continue
        _spark_post(session, held, post, code, str(user.get("identity_type") or "AUTH_CODE"),
                    key, now)
        if key not in seen:
            seen.append(key)
    page_info = data.get("page_info") or {}
    page = int(held.cursor.get("page") or 1)
    total_pages = int(page_info.get("total_page") or 0)
    held.counts["spark_posts"] = len(seen)
    if entries and page < total_pages:
        held.cursor = {"page": page + 1, "seen": seen}
    else:
        held.cursor = {"page": page, "seen": seen}
        held.stage = rules.next_stage("posts")
    _checkpoint(session, settings, held, now, error=None, error_code=None)


def reconcile(session: Session, *, settings: Settings, held: Held, now: datetime) -> None:
    """After the last page: the advertiser's mirrored Spark posts TikTok no longer lists are
    unbound (they leave the tracker); the run is finished."""
    seen = set(held.cursor.get("seen") or [])
    stale = [sp.id for sp in repository.live_mirrored_spark_posts(
        session, connection_id=held.connection_id, ad_account_id=held.ad_account_id)
        if sp.external_id not in seen]
    held.counts["unbound"] = repository.unbind_mirrored(session, spark_post_ids=stale, now=now)
    # Ads TikTok no longer lists were deleted there: marked deleted here (their spend stays in
    # the reports). Only when this run read every page of ads.
    if "ads_page" in held.cursor:
        listed = set(held.cursor.get("ads") or [])
        gone = [ad.id for ad in repository.live_mirrored_ads(
            session, connection_id=held.connection_id, ad_account_id=held.ad_account_id)
            if ad.external_id not in listed]
        held.counts["ads_deleted"] = repository.mark_ads_deleted(session, ad_ids=gone, now=now)
    held.stage = rules.next_stage("reconcile")
    _checkpoint(session, settings, held, now, finished_at=now, holder=None, held_until=None,
                error=None, error_code=None)


# --- step 3: ads, their ad groups and campaigns -------------------------------------------------

# A group whose budget is not daily on TikTok (a lifetime budget, or the campaign's) has no daily
# cap here: the largest budget sparkcodes allows, so its daily budget never reads as spent.
NO_DAILY_CAP = ad_rules.MAX_BUDGET * 1_000_000
BUDGET_MODES = ("BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL", "BUDGET_MODE_INFINITE")


def apply_advertiser(session: Session, *, settings: Settings, held: Held,
                     info: dict[str, Any] | None, now: datetime) -> None:
    """advertiser/info's answer: the mirrored ad account's time zone (the days its spend is
    counted in) and currency (what its amounts are in); the ads stage starts at page 1."""
    account = repository.account(session, held.ad_account_id)
    timezone = account.timezone if account is not None else "UTC"
    if account is not None and info is not None:
        timezone = rules.zone_or(info.get("timezone") or info.get("display_timezone"),
                                 account.timezone)
        _set(account, timezone=timezone,
             currency=rules.currency_or(info.get("currency"), account.currency))
    held.cursor = {**held.cursor, "ads_page": 1, "ads": [], "groups": [], "campaigns": [],
                   "tz": timezone}
    _checkpoint(session, settings, held, now, error=None, error_code=None)


@dataclass
class Wanted:
    """One page of ad/get narrowed to Spark ads on posts the mirror knows, and the ad groups and
    campaigns this run has not read yet."""

    ads: list[dict[str, Any]]
    group_ids: list[str]
    campaign_ids: list[str]
    skipped: int = 0


def spark_ads(session: Session, *, held: Held, ads: list[dict[str, Any]]) -> Wanted:
    """The page's ads that run a Spark post of this advertiser the mirror holds (bound or not:
    an ad whose post was unbound on TikTok still exists there)."""
    # Several ads may run one post: keyed pairs, not a mapping.
    keyed = [(f"{held.advertiser_id}:{a.get('tiktok_item_id')}", a) for a in ads
             if a.get("ad_id") and a.get("tiktok_item_id")
             and a.get("identity_type") in rules.SPARK_IDENTITIES]
    known = repository.mirrored(session, SparkPost, connection_id=held.connection_id,
                                external_ids={key for key, _ in keyed})
    kept = [a for key, a in keyed if key in known]
    read_groups = set(held.cursor.get("groups") or [])
    read_campaigns = set(held.cursor.get("campaigns") or [])
    group_ids = sorted({str(a["adgroup_id"]) for a in kept if a.get("adgroup_id")}
                       - read_groups)
    campaign_ids = sorted({str(a["campaign_id"]) for a in kept if a.get("campaign_id")}
                          - read_campaigns)
    return Wanted(ads=kept, group_ids=group_ids, campaign_ids=campaign_ids,
                  skipped=len(ads) - len(kept))


def _switches(found: Campaign | AdGroup | Ad | None, obj: dict[str, Any],
              now: datetime) -> dict[str, Any]:
    """disabled_at / deleted_at as TikTok says: the first instant the mirror saw it so."""
    modified = rules.happened_at(obj.get("modify_time"), now)
    paused, deleted = rules.is_paused(obj), rules.is_deleted(obj)
    return {"disabled_at": ((found.disabled_at if found else None) or modified) if paused
            else None,
            "deleted_at": ((found.deleted_at if found else None) or modified) if deleted
            else None}


def _campaign(session: Session, held: Held, obj: dict[str, Any], now: datetime) -> None:
    external_id = str(obj["campaign_id"])
    found = repository.mirrored(session, Campaign, connection_id=held.connection_id,
                                external_ids=[external_id]).get(external_id)
    mode = str(obj.get("budget_mode") or "BUDGET_MODE_INFINITE")
    if mode not in BUDGET_MODES:
        mode = "BUDGET_MODE_INFINITE"  # TikTok's dynamic budgets: no cap sparkcodes can check
    values: dict[str, Any] = {
        "ad_account_id": held.ad_account_id,
        "name": str(obj.get("campaign_name") or external_id)[:512],
        "objective": str(obj.get("objective_type") or "")[:40],
        "budget_mode": mode,
        "budget_micros": None if mode == "BUDGET_MODE_INFINITE"
        else rules.micros_of(obj.get("budget")),
        **_switches(found, obj, now)}
    if found is None:
        repository.add_mirrored(session, Campaign(
            created_by_id=None, created_at=rules.happened_at(obj.get("create_time"), now),
            source=TIKTOK, external_id=external_id, connection_id=held.connection_id, **values))
        _count(held, "created")
    elif _set(found, **values):
        _count(held, "updated")


def _ad_group(session: Session, held: Held, obj: dict[str, Any], now: datetime) -> None:
    external_id = str(obj["adgroup_id"])
    campaign_id = str(obj.get("campaign_id") or "")
    campaign = repository.mirrored(session, Campaign, connection_id=held.connection_id,
                                   external_ids=[campaign_id]).get(campaign_id)
    if campaign is None:
        _count(held, "skipped")
        return
    found = repository.mirrored(session, AdGroup, connection_id=held.connection_id,
                                external_ids=[external_id]).get(external_id)
    created_at = rules.happened_at(obj.get("create_time"), now)
    daily = obj.get("budget_mode", "BUDGET_MODE_DAY") == "BUDGET_MODE_DAY"
    end = rules.parse_time(obj.get("schedule_end_time"))
    values: dict[str, Any] = {
        "campaign_id": campaign.id, "ad_account_id": held.ad_account_id,
        "name": str(obj.get("adgroup_name") or external_id)[:512],
        "budget_micros": rules.micros_of(obj.get("budget")) if daily else NO_DAILY_CAP,
        "bid_micros": rules.micros_of(obj.get("bid_price")),
        "schedule_start_at": rules.parse_time(obj.get("schedule_start_time")) or created_at,
        "schedule_end_at": end if obj.get("schedule_type") != "SCHEDULE_FROM_NOW" else None,
        **_switches(found, obj, now)}
    if found is None:
        repository.add_mirrored(session, AdGroup(
            created_by_id=None, created_at=created_at, source=TIKTOK, external_id=external_id,
            connection_id=held.connection_id, **values))
        _count(held, "created")
    elif _set(found, **values):
        _count(held, "updated")


def _ad(session: Session, held: Held, obj: dict[str, Any], now: datetime) -> str | None:
    """The mirrored ad (its external id), or None when its ad group is unknown."""
    external_id = str(obj["ad_id"])
    group_id = str(obj.get("adgroup_id") or "")
    group = repository.mirrored(session, AdGroup, connection_id=held.connection_id,
                                external_ids=[group_id]).get(group_id)
    key = f"{held.advertiser_id}:{obj['tiktok_item_id']}"
    spark = repository.mirrored(session, SparkPost, connection_id=held.connection_id,
                                external_ids=[key]).get(key)
    if group is None or spark is None:
        _count(held, "skipped")
        return None
    post = repository.posts_by_ids(session, [spark.post_id])[spark.post_id]
    found = repository.mirrored(session, Ad, connection_id=held.connection_id,
                                external_ids=[external_id]).get(external_id)
    values: dict[str, Any] = {
        "ad_group_id": group.id, "campaign_id": group.campaign_id,
        "ad_account_id": held.ad_account_id, "spark_post_id": spark.id, "post_id": post.id,
        "post_revision": post.revision, "identity_type": str(obj["identity_type"]),
        "creator_id": post.creator_id, "name": str(obj.get("ad_name") or "")[:512],
        "call_to_action": str(obj.get("call_to_action") or "")[:40],
        "landing_page_url": str(obj.get("landing_page_url") or "")[:2000],
        "ads_only": obj.get("dark_post_status") == "ON",
        **_switches(found, obj, now)}
    if found is None:
        repository.add_mirrored(session, Ad(
            created_by_id=None, created_at=rules.happened_at(obj.get("create_time"), now),
            source=TIKTOK, external_id=external_id, connection_id=held.connection_id,
            **values))
        _count(held, "created")
    elif _set(found, **values):
        _count(held, "updated")
    return external_id


def apply_ads(session: Session, *, settings: Settings, held: Held, wanted: Wanted,
              groups: list[dict[str, Any]], campaigns: list[dict[str, Any]],
              page_info: dict[str, Any], now: datetime) -> None:
    """One page of ad/get (narrowed by spark_ads) with the ad groups and campaigns it needs:
    campaigns, then ad groups, then ads are upserted; the cursor moves to the next page, or to
    the spend stage after the last."""
    read_campaigns = list(held.cursor.get("campaigns") or [])
    for obj in campaigns:
        if obj.get("campaign_id"):
            _campaign(session, held, obj, now)
            read_campaigns.append(str(obj["campaign_id"]))
    read_groups = list(held.cursor.get("groups") or [])
    for obj in groups:
        if obj.get("adgroup_id"):
            _ad_group(session, held, obj, now)
            read_groups.append(str(obj["adgroup_id"]))
    seen = list(held.cursor.get("ads") or [])
    for obj in wanted.ads:
        external_id = _ad(session, held, obj, now)
        if external_id is not None and external_id not in seen:
            seen.append(external_id)
    _count(held, "not_spark_ads", wanted.skipped)
    page = int(held.cursor.get("ads_page") or 1)
    total_pages = int(page_info.get("total_page") or 0)
    held.counts["ads"] = len(seen)
    held.counts["ad_groups"] = len(set(read_groups))
    held.counts["campaigns"] = len(set(read_campaigns))
    cursor = {**held.cursor, "ads": seen, "groups": sorted(set(read_groups)),
              "campaigns": sorted(set(read_campaigns))}
    if page < total_pages:
        cursor["ads_page"] = page + 1
    else:
        start, end = rules.report_days(now, str(cursor.get("tz") or "UTC"))
        cursor.update(spend_chunk=0, days=[start.isoformat(), end.isoformat()])
        held.stage = rules.next_stage("ads")
    held.cursor = cursor
    _checkpoint(session, settings, held, now, error=None, error_code=None)


# --- step 3: spend ------------------------------------------------------------------------------

def spend_chunk(held: Held) -> tuple[list[str], date, date]:
    """The ads (TikTok ids) whose spend the next report call reads, and its days."""
    chunks = rules.chunks(list(held.cursor.get("ads") or []), rules.IDS_PER_CALL)
    index = int(held.cursor.get("spend_chunk") or 0)
    start, end = (date.fromisoformat(d) for d in held.cursor["days"])
    return (chunks[index] if index < len(chunks) else []), start, end


def _day_of(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value or "")[:10])
    except ValueError:
        return None


def apply_spend(session: Session, *, settings: Settings, held: Held, ad_ids: list[str],
                rows: list[dict[str, Any]], now: datetime) -> None:
    """report/integrated/get's rows (ad_id × stat_time_day) for one chunk of ads: each ad's
    daily spend and paid engagement in EngagementDaily; a day of these ads the report no longer
    lists reads zero. The cursor moves to the next chunk, or to reconciling after the last."""
    start, end = (date.fromisoformat(d) for d in held.cursor["days"])
    ads = repository.mirrored(session, Ad, connection_id=held.connection_id,
                              external_ids=ad_ids)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    existing = repository.daily_of_ads(session, ad_ids=[a.id for a in ads.values()], days=days)
    wanted: dict[tuple[str, date], dict[str, int]] = {}
    for row in rows:
        dims, metrics = row.get("dimensions") or {}, row.get("metrics") or {}
        ad = ads.get(str(dims.get("ad_id") or ""))
        day = _day_of(dims.get("stat_time_day"))
        if ad is None or day is None or not start <= day <= end:
            continue
        values = {column: rules.count_of(metrics.get(name))
                  for name, column in rules.REPORT_METRICS.items()}
        values["spend_micros"] = rules.micros_of(metrics.get("spend"))
        wanted[(ad.id, day)] = values
    zero = {column: 0 for column in [*rules.REPORT_METRICS.values(), "spend_micros"]}
    for key in existing:
        wanted.setdefault(key, zero)
    by_id = {a.id: a for a in ads.values()}
    for (ad_id, day), values in wanted.items():
        ad = by_id[ad_id]
        where = {"post_id": ad.post_id, "ad_group_id": ad.ad_group_id,
                 "campaign_id": ad.campaign_id, "ad_account_id": ad.ad_account_id}
        found = existing.get((ad_id, day))
        if found is None:
            if not any(values.values()):
                continue
            repository.add_mirrored(session, EngagementDaily(ad_key=ad_id, day=day, **where,
                                                             **values))
            _count(held, "created")
        elif _set(found, **where, **values):
            _count(held, "updated")
    held.counts["spend_rows"] = held.counts.get("spend_rows", 0) + len(rows)
    index = int(held.cursor.get("spend_chunk") or 0) + 1
    if index < len(rules.chunks(list(held.cursor.get("ads") or []), rules.IDS_PER_CALL)):
        held.cursor = {**held.cursor, "spend_chunk": index}
    else:
        held.cursor = {**held.cursor, "spend_chunk": index}
        held.stage = rules.next_stage("spend")
    _checkpoint(session, settings, held, now, error=None, error_code=None)


# --- when TikTok says no ------------------------------------------------------------------------

def failed(session: Session, *, settings: Settings, held: Held, exc: TikTokCallError,
           now: datetime) -> bool:
    """Record a call that did not succeed. A revoked token or an advertiser gone stop the run
    and mark the connection (its admins are told once); throttling and an unreachable TikTok
    leave the run open, unheld, to resume from its checkpoint: True then (try again later)."""
    resumable = exc.kind in ("retry", "budget", "unreachable")
    values: dict[str, Any] = {"error": str(exc)[:500], "error_code": exc.code,
                              "holder": None, "held_until": None}
    if not resumable:
        values["finished_at"] = now
    _checkpoint(session, settings, held, now, **values)
    connection = repository.connection(session, held.connection_id)
    if connection is not None:
        service.record_failure(session, settings=settings, connection=connection,
                               failure=exc, advertiser_id=held.advertiser_id)
    audit.record(session, actor_id=None, action="tiktok_connection.sync_failed",
                 target_type="tiktok_connection", target_id=held.connection_id,
                 business_id=held.business_id,
                 after={"advertiser_id": held.advertiser_id, "stage": held.stage,
                        "kind": exc.kind, "tiktok_code": exc.code})
    return resumable
