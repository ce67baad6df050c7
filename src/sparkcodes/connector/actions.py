"""Writes on a mirrored ad account, made on TikTok (``ports.AdActions``, docs/connector.md step 4):
preview a code (tt_video/info), apply codes (tt_video/authorize), pause or enable an ad
(ad/status/update), unbind a post (tt_video/unbind); after a change, the advertiser is synced at
once so the mirror (tracker, ads, reports) shows what TikTok now says.

TikTok is never called inside an open transaction: what the calls need (the sealed token opened,
the base URL, the advertiser) is read first, then the caller's transaction is ended (it holds
only the caller's reads at that point), then TikTok is called, then the sync writes in its own
short transactions, and the caller's session starts afresh for the audit rows and the answer.
A code is sent to TikTok and forgotten: only its first symbols (the hint) are kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import service as audit
from sparkcodes.config import Settings
from sparkcodes.connector import repository, rules, service
from sparkcodes.connector.client import TikTokCallError, TikTokClient
from sparkcodes.connector.tasks import DONE, run_sync
from sparkcodes.db import Database
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Ad, AdAccount, SparkPost, User, new_id
from sparkcodes.values import Message, RemoteBound, RemoteCode

log = logging.getLogger("sparkcodes.connector")


@dataclass
class Target:
    """What a call on the advertiser needs, read before the transaction ends."""

    connection_id: str
    advertiser_id: str
    base_url: str
    app_key: str
    token: str


def target(session: Session, *, settings: Settings, account: AdAccount) -> Target:
    """The connection an ad account is mirrored through; ConnectionNotUsable when it cannot
    call TikTok (revoked, removed, the advertiser gone)."""
    connection = (repository.connection(session, account.connection_id)
                  if account.connection_id else None)
    advertiser = (repository.advertiser(session, connection.id, account.external_id or "")
                  if connection is not None else None)
    if (connection is None or advertiser is None or connection.access_token_sealed is None
            or not rules.can_act_on(has_token=True,
                                    removed=connection.deleted_at is not None,
                                    token_revoked=connection.token_revoked_at is not None,
                                    advertiser_gone=advertiser.gone_at is not None)):
        raise rules.ConnectionNotUsable(details={"ad_account_id": account.id})
    return Target(connection_id=connection.id, advertiser_id=advertiser.advertiser_id,
                  base_url=connection.base_url, app_key=service.app_key(connection),
                  token=service.sealer(settings).open(connection.access_token_sealed))


def end_transaction(session: Session) -> None:
    """End the caller's transaction before TikTok is called, so no lock (SQLite's write lock, a
    PostgreSQL snapshot) is held while it answers. At this point it holds the caller's reads
    (and a token's last-used mark), which are kept."""
    session.commit()


def _hint(text: str) -> str:
    return rules.code_hint(text)


def _remote(info: dict[str, Any], text: str) -> RemoteCode:
    item = info.get("item_info") or {}
    auth = info.get("auth_info") or {}
    user = info.get("user_info") or {}
    now = utc_now()
    starts = rules.parse_time(auth.get("auth_start_time")) or now
    ends = rules.parse_time(auth.get("auth_end_time")) or starts
    status = str(auth.get("ad_auth_status") or "")
    kind = ("stitch" if item.get("stitch_original_item_id") else
            "duet" if item.get("duet_original_item_id") else "video")
    problems = []
    refusal = rules.window_refusal(status, ends)
    if refusal is None and ends <= now:
        refusal = rules.window_refusal(rules.EXPIRED, ends)
    if refusal is not None:
        problems.append(Message(code=refusal.code, message=refusal.message))
    return RemoteCode(
        code_hint=_hint(text), item_id=str(item.get("item_id") or ""),
        caption=str(item.get("text") or ""), kind=kind,
        handle=str(user.get("tiktok_name") or ""),
        display_name=str(user.get("display_name") or user.get("tiktok_name") or ""),
        avatar_url=user.get("profile_image") or None, starts_at=starts, expires_at=ends,
        status=status, problems=problems)


def _original_of(info: dict[str, Any]) -> str | None:
    item = info.get("item_info") or {}
    found = item.get("stitch_original_item_id") or item.get("duet_original_item_id")
    return str(found) if found else None


@dataclass
class TikTokActions:
    """``ports.AdActions`` on TikTok. ``db`` runs the sync after a change (its own short
    transactions); ``transport`` is for tests that put a fault between here and TikTok."""

    db: Database
    transport: httpx.BaseTransport | None = None

    def _client(self, settings: Settings, t: Target) -> TikTokClient:
        return service.client_for(settings, t.base_url, t.app_key, self.transport)

    def _info(self, client: TikTokClient, t: Target, text: str) -> dict[str, Any]:
        try:
            return client.get("tt_video/info/", access_token=t.token,
                              advertiser_id=t.advertiser_id,
                              params={"advertiser_id": t.advertiser_id, "auth_code": text})
        except TikTokCallError as exc:
            raise rules.code_refusal(exc.kind, exc.code, exc.message) from None

    def preview_code(self, session: Session, *, settings: Settings, account: AdAccount,
                     text: str) -> RemoteCode:
        """What TikTok shows of the code (tt_video/info), with what stops it from binding."""
        text = _clean(text)
        t = target(session, settings=settings, account=account)
        end_transaction(session)
        remote = _remote(self._info(self._client(settings, t), t, text), text)
        known = _mirrored_post(session, t, remote.item_id)
        if known is not None:
            remote.post_id, remote.creator_id = known
        remote.bound_here = (remote.status == rules.AUTHORIZED and _key(t, remote.item_id)
                             in repository.bound_external_ids(session, account.id))
        return remote

    def bind_codes(self, session: Session, *, settings: Settings, user: User | None,
                   account: AdAccount, codes: list[str],
                   original_codes: list[str]) -> list[RemoteBound]:
        """Each code: tt_video/info (refused, expired or cancelled: not applied), then
        tt_video/authorize, with the original post's code for a duet or stitch; then one sync
        of the advertiser, and each applied code's mirrored Spark post."""
        t = target(session, settings=settings, account=account)
        bound_before = repository.bound_external_ids(session, account.id)
        end_transaction(session)
        client = self._client(settings, t)
        originals: dict[str, str] | None = None
        results = []
        for index, raw in enumerate(codes):
            text = _clean(raw)
            result = RemoteBound(index=index, code_hint=_hint(text) or None)
            results.append(result)
            try:
                if not text:
                    raise errors.InvalidInput("Paste the code the creator sent.",
                                              code="code_mistyped")
                info = self._info(client, t, text)
                remote = _remote(info, text)
                if remote.problems:
                    p = remote.problems[0]
                    raise errors.Gone(p.message, code=p.code)
                body = {"advertiser_id": t.advertiser_id, "auth_code": text}
                wanted = _original_of(info)
                if wanted is not None:
                    if originals is None:
                        originals = self._originals(client, t, original_codes)
                    if wanted not in originals:
                        raise errors.Conflict(
                            f"This post is a {remote.kind}: also paste the code of the post it "
                            "was made from (original_post_codes).",
                            code="original_post_code_required")
                    body["original_post_auth_code"] = originals[wanted]
                try:
                    client.post("tt_video/authorize/", access_token=t.token,
                                advertiser_id=t.advertiser_id, body=body)
                except TikTokCallError as exc:
                    raise rules.code_refusal(exc.kind, exc.code, exc.message) from None
                result.item_id = remote.item_id
            except errors.AppError as exc:
                result.error = exc
        applied = [r for r in results if r.item_id]
        if applied:
            self._sync(settings, t, trigger="bind")
            found = repository.mirrored(session, SparkPost, connection_id=t.connection_id,
                                        external_ids=[_key(t, r.item_id) for r in applied])
            for r in applied:
                key = _key(t, r.item_id)
                sp = found.get(key)
                r.spark_post_id = sp.id if sp is not None else None
                r.created = key not in bound_before
                if not r.created:
                    continue  # the same code again: nothing changed (idempotent)
                audit.record(session, actor_id=user.id if user else None,
                             action="spark_post.bound_on_tiktok",
                             target_type="spark_post" if sp else "ad_account",
                             target_id=sp.id if sp else account.id,
                             business_id=account.business_id,
                             after={"ad_account_id": account.id, "item_id": r.item_id,
                                    "code_hint": r.code_hint,
                                    "via": "account" if user else "creator_link"})
        return results

    def _originals(self, client: TikTokClient, t: Target, texts: list[str]) -> dict[str, str]:
        """The original-post codes given, by the item each names (codes TikTok refuses are
        left out: the duet or stitch then says its original's code is missing)."""
        out = {}
        for raw in texts:
            text = _clean(raw)
            try:
                info = self._info(client, t, text)
            except errors.AppError:
                continue
            item_id = str((info.get("item_info") or {}).get("item_id") or "")
            if item_id:
                out[item_id] = text
        return out

    def set_ad_status(self, session: Session, *, settings: Settings, user: User | None,
                      account: AdAccount, ad: Ad, enable: bool) -> None:
        """ad/status/update (ENABLE or DISABLE) for the mirrored ad, then a sync."""
        t = target(session, settings=settings, account=account)
        ad_id, ad_name = ad.external_id, ad.name
        end_transaction(session)
        what = "enabling the ad" if enable else "pausing the ad"
        try:
            self._client(settings, t).post(
                "ad/status/update/", access_token=t.token, advertiser_id=t.advertiser_id,
                body={"advertiser_id": t.advertiser_id, "ad_ids": [ad_id],
                      "operation_status": "ENABLE" if enable else "DISABLE"})
        except TikTokCallError as exc:
            raise rules.action_refusal(exc.kind, exc.code, exc.message, what=what) from None
        self._sync(settings, t, trigger="ad_status")
        audit.record(session, actor_id=user.id if user else None,
                     action="ad.enabled_on_tiktok" if enable else "ad.paused_on_tiktok",
                     target_type="ad", target_id=ad.id, business_id=account.business_id,
                     after={"ad_account_id": account.id, "tiktok_ad_id": ad_id, "name": ad_name})

    def unbind(self, session: Session, *, settings: Settings, user: User, account: AdAccount,
               spark_post: SparkPost) -> None:
        """tt_video/unbind for the mirrored Spark post's item, then a sync."""
        t = target(session, settings=settings, account=account)
        item_id = (spark_post.external_id or "").rpartition(":")[2]
        end_transaction(session)
        try:
            self._client(settings, t).post(
                "tt_video/unbind/", access_token=t.token, advertiser_id=t.advertiser_id,
                body={"advertiser_id": t.advertiser_id, "item_id": item_id})
        except TikTokCallError as exc:
            raise rules.action_refusal(exc.kind, exc.code, exc.message,
                                       what="unbinding the post") from None
        self._sync(settings, t, trigger="unbind")
        audit.record(session, actor_id=user.id, action="spark_post.unbound_on_tiktok",
                     target_type="spark_post", target_id=spark_post.id,
                     business_id=account.business_id,
                     after={"ad_account_id": account.id, "item_id": item_id})

    def resync(self, session: Session, *, settings: Settings, account: AdAccount) -> bool:
        """Sync the advertiser now (a renewal's "Done": has the code's end moved?)."""
        t = target(session, settings=settings, account=account)
        end_transaction(session)
        try:
            outcome = run_sync(self.db, settings, connection_id=t.connection_id,
                               advertiser_id=t.advertiser_id, trigger="renewal_done",
                               holder=f"renewal_done/{new_id()}", transport=self.transport)
        except Exception as exc:  # noqa: BLE001 - throttled or unreachable: say "not now"
            log.info("sync on request of %s deferred: %s", t.advertiser_id, type(exc).__name__)
            return False
        return outcome == DONE

    def _sync(self, settings: Settings, t: Target, *, trigger: str) -> None:
        """Sync the advertiser now, so the mirror shows the change; when another worker holds
        its run, that run reads TikTok after this change or a queued sync does."""
        try:
            outcome = run_sync(self.db, settings, connection_id=t.connection_id,
                               advertiser_id=t.advertiser_id, trigger=trigger,
                               holder=f"{trigger}/{new_id()}", transport=self.transport)
        except Exception as exc:  # noqa: BLE001 - the write is done on TikTok; a sync follows
            log.info("sync after %s of %s deferred: %s", trigger, t.advertiser_id,
                     type(exc).__name__)
            outcome = "deferred"
        if outcome != DONE:
            with self.db.unit_of_work() as s:
                service.enqueue_advertiser_sync(s, connection_id=t.connection_id,
                                                advertiser_id=t.advertiser_id, trigger=trigger)


def _clean(text: str) -> str:
    return (text or "").strip()[:rules.MAX_CODE_TEXT]


def _key(t: Target, item_id: str | None) -> str:
    return f"{t.advertiser_id}:{item_id}"


def _mirrored_post(session: Session, t: Target, item_id: str) -> tuple[str, str] | None:
    posts = repository.mirrored_posts(session, t.connection_id, [item_id])
    return posts.get(item_id)
