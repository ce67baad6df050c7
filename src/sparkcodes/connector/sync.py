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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes.audit import service as audit
from sparkcodes.config import Settings
from sparkcodes.connector import repository, rules, service
from sparkcodes.connector.client import TikTokCallError
from sparkcodes.models import (
    TIKTOK,
    AdAccount,
    Authorization,
    Creator,
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
        _count(held, "created")
        return
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
    held.stage = rules.next_stage("reconcile")
    _checkpoint(session, settings, held, now, finished_at=now, holder=None, held_until=None,
                error=None, error_code=None)


# --- when TikTok says no ------------------------------------------------------------------------

def failed(session: Session, *, settings: Settings, held: Held, exc: TikTokCallError,
           now: datetime) -> bool:
    """Record a call that did not succeed. A revoked token or an advertiser gone stop the run
    and mark the connection (its admins are told once); throttling and an unreachable TikTok
    leave the run open, unheld, to resume from its checkpoint: True then (try again later)."""
    resumable = exc.kind in ("retry", "budget", "unreachable")
    said = f"“{exc.message}” ({exc.code})" if exc.code is not None else exc.message
    values: dict[str, Any] = {"error": f"TikTok: {said}"[:500], "error_code": exc.code,
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
