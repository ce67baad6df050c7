"""TikTok connections: link an advertiser by a pasted token or through the business's own
developer app, check a connection, remove it, and re-seal its secrets under a new key.

Secrets (the access token, the app secret) are sealed before they touch a row and opened only to
call TikTok; they are never returned, logged or audited. A check records what TikTok answered;
a change into a broken state tells the business's admins once (``connection.broken``).
Nothing here commits: the request, job or command does.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

import httpx
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import service as audit
from sparkcodes.config import Settings
from sparkcodes.connector import repository, rules
from sparkcodes.connector.client import TikTokCallError, TikTokClient, budget
from sparkcodes.kit import crypto
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.sealing import Sealer
from sparkcodes.models import (
    Business,
    TikTokAdvertiser,
    TikTokConnection,
    TikTokSyncRun,
    User,
    new_id,
)
from sparkcodes.notification import service as notifications
from sparkcodes.worker import service as jobs

SYNC_JOB = "connector.sync"

CALLBACK_PATH = "/tiktok/callback"
STATE_SIGNATURE = 32


@dataclass
class ConnectionView:
    connection: TikTokConnection
    advertisers: list[TikTokAdvertiser]
    state: str
    words: str
    # The latest sync of each advertiser (by advertiser id), when there was one.
    syncs: dict[str, TikTokSyncRun] = field(default_factory=dict)


@dataclass
class Started:
    view: ConnectionView
    authorize_url: str  # where to send the person: TikTok's authorization page for the app


# --- helpers ------------------------------------------------------------------------------------

def sealer(settings: Settings) -> Sealer:
    return Sealer(settings.secret_key, settings.previous_secret_keys)


def client_for(settings: Settings, base_url: str, key: str,
               transport: httpx.BaseTransport | None = None) -> TikTokClient:
    """A client for one connection's calls, within the process's (or Redis's) shared budget."""
    cfg = settings.connector
    return TikTokClient(base_url=base_url, app_key=key, settings=cfg,
                        budget=budget(cfg.app_qps, cfg.advertiser_qps, settings.redis_url),
                        transport=transport)


_client = client_for


def _base_url(settings: Settings, base_url: str | None) -> str:
    cfg = settings.connector
    return rules.check_base_url(base_url, default=cfg.default_base_url,
                                allow_loopback_http=cfg.allow_loopback_http)


def callback_url(settings: Settings) -> str:
    """The redirect URL to register on the developer app: sparkcodes' callback page."""
    return settings.public_url.rstrip("/") + CALLBACK_PATH


def _state_hash(settings: Settings, nonce: str) -> str:
    return crypto.keyed_hash(settings.secret_key, nonce, purpose="connector-state")


def _signature(settings: Settings, nonce: str, user_id: str) -> str:
    return crypto.keyed_hash(settings.secret_key, f"{nonce}:{user_id}",
                             purpose="connector-state-signature")[:STATE_SIGNATURE]


def app_key(connection: TikTokConnection) -> str:
    return f"app:{connection.app_id}" if connection.app_id else f"token:{connection.id}"


def view(session: Session, connection: TikTokConnection,
         advertisers: list[TikTokAdvertiser] | None = None,
         now: datetime | None = None) -> ConnectionView:
    if advertisers is None:
        advertisers = repository.advertisers_of(session, [connection.id])[connection.id]
    now = now or utc_now()
    gone = [a for a in advertisers if a.gone_at is not None]
    state = rules.state_of(rules.ConnectionFacts(
        has_token=connection.access_token_sealed is not None,
        authorize_expires_at=connection.authorize_expires_at,
        checked_at=connection.checked_at,
        failed=connection.last_error_message is not None,
        throttled_until=connection.throttled_until,
        token_revoked_at=connection.token_revoked_at,
        deleted_at=connection.deleted_at,
        advertisers=len(advertisers), advertisers_gone=len(gone)), now)
    words = rules.state_words(state, checked_at=connection.checked_at,
                              summary=connection.check_summary,
                              throttled_until=connection.throttled_until,
                              gone=[f"{a.name} ({a.advertiser_id})" for a in gone])
    runs = repository.last_runs(session, [connection.id])
    syncs = {a: run for (_, a), run in runs.items()}
    return ConnectionView(connection, advertisers, state, words, syncs)


def _summary(advertisers: dict[str, str]) -> str:
    n = len(advertisers)
    return f"{n} advertiser{'s' if n != 1 else ''} reachable"


def _refusal(exc: TikTokCallError, *, base_url: str) -> errors.AppError:
    """A TikTok failure while linking, as an error a person can act on."""
    said = f"“{exc.message}” ({exc.code})" if exc.code is not None else exc.message
    if exc.kind == "revoked":
        return rules.TokenRefused(f"TikTok refused the access token: {said}. Paste the "
                                  "long-lived token again, or generate a new one.")
    if exc.kind in ("retry", "budget"):
        return rules.TikTokThrottled(f"TikTok is throttling calls and still did after retrying: "
                                     f"{said}. Try again in a minute.")
    if exc.kind == "unreachable":
        return rules.TikTokUnreachable(f"TikTok could not be reached at {base_url}: "
                                       f"{exc.message} Check the base URL, or try again later.")
    return rules.TikTokRefused(f"TikTok refused the call: {said}.")


def _advertiser_info(client: TikTokClient, token: str, advertiser_id: str) -> str:
    """The advertiser's name; TikTokCallError (kind ``gone`` when the token may not use it)."""
    data = client.get("advertiser/info/", access_token=token,
                      params={"advertiser_ids": json.dumps([advertiser_id])},
                      advertiser_id=advertiser_id)
    for item in data.get("list") or []:
        if str(item.get("advertiser_id")) == advertiser_id:
            return str(item.get("name") or advertiser_id)[:200]
    raise TikTokCallError("gone", None, "TikTok did not list this advertiser.")


def _verify(client: TikTokClient, token: str, advertiser_ids: list[str], *,
            base_url: str) -> dict[str, str]:
    """advertiser id -> name, once TikTok confirmed the token reaches every one."""
    names: dict[str, str] = {}
    for advertiser_id in advertiser_ids:
        try:
            names[advertiser_id] = _advertiser_info(client, token, advertiser_id)
        except TikTokCallError as exc:
            if exc.kind == "gone":
                said = f" TikTok says: “{exc.message}” ({exc.code})." if exc.code else ""
                raise rules.AdvertiserNotGranted(
                    f"The token may not use advertiser {advertiser_id}.{said} Check the id, "
                    "or grant that advertiser to the token in TikTok.",
                    details={"advertiser_id": advertiser_id}) from None
            raise _refusal(exc, base_url=base_url) from None
    return names


def _refuse_linked(session: Session, business: Business, base_url: str,
                   advertiser_ids: list[str]) -> None:
    taken = repository.live_linked_advertisers(session, business.id, base_url) & set(
        advertiser_ids)
    if taken:
        raise errors.Conflict(f"Advertiser {', '.join(sorted(taken))} is already linked by "
                              "another connection of this business: remove that one first.",
                              code="advertiser_already_linked")


def _audit(session: Session, action: str, *, user_id: str | None,
           connection: TikTokConnection, **after: object) -> None:
    audit.record(session, actor_id=user_id, action=action, target_type="tiktok_connection",
                 target_id=connection.id, business_id=connection.business_id,
                 after={"base_url": connection.base_url, "method": connection.method,
                        "app_id": connection.app_id, **after})


# --- reading ------------------------------------------------------------------------------------

def connections_of(session: Session, *, business: Business) -> list[ConnectionView]:
    """The business's live connections, oldest first, each with its state in words."""
    rows = repository.connections_of(session, business.id)
    advertisers = repository.advertisers_of(session, [c.id for c in rows])
    now = utc_now()
    return [view(session, c, advertisers[c.id], now) for c in rows]


def access(session: Session, *, business: Business, connection_id: str) -> TikTokConnection:
    """A live connection of the business; NotFound (``not_found``, as every id in a path) for any
    other id, another business's included."""
    connection = repository.connection_of_business(session, connection_id, business.id)
    if connection is None:
        raise errors.NotFound("No such TikTok connection.")
    return connection


# --- linking by token ---------------------------------------------------------------------------

def link_by_token(session: Session, *, settings: Settings, user: User, business: Business,
                  base_url: str | None, access_token: str,
                  advertiser_ids: list[str]) -> ConnectionView:
    """Link advertisers with a pasted long-lived token, once TikTok confirmed (advertiser/info/)
    that the token reaches each. Raises InvalidBaseUrl, InvalidAccessToken, InvalidAdvertiserIds
    (422), TokenRefused, AdvertiserNotGranted (422), advertiser_already_linked (409),
    TikTokThrottled (503), TikTokUnreachable or TikTokRefused (502)."""
    base = _base_url(settings, base_url)
    token = rules.check_access_token(access_token)
    ids = rules.check_advertiser_ids(advertiser_ids)
    _refuse_linked(session, business, base, ids)
    revoked = repository.revoked_connection_for(session, business.id, base, ids)
    connection_id = revoked.id if revoked is not None else new_id()
    names = _verify(_client(settings, base, f"token:{connection_id}"), token, ids,
                    base_url=base)
    if revoked is not None:
        return _reconnect(session, settings=settings, user=user, connection=revoked,
                          token=token, names=names)
    now = utc_now()
    connection = TikTokConnection(
        id=connection_id, business_id=business.id, base_url=base, method="token",
        access_token_sealed=sealer(settings).seal(token), authorized_at=now, checked_at=now,
        check_summary=_summary(names), created_at=now, created_by_id=user.id)
    advertisers = [TikTokAdvertiser(connection_id=connection_id, advertiser_id=a, name=n,
                                    created_at=now) for a, n in names.items()]
    repository.add(session, connection)
    repository.add(session, *advertisers)
    _audit(session, "tiktok_connection.linked", user_id=user.id, connection=connection,
           advertiser_ids=ids)
    linked = view(session, connection)
    enqueue_syncs(session, view=linked, trigger="linked")
    return linked


def _reconnect(session: Session, *, settings: Settings, user: User,
               connection: TikTokConnection, token: str,
               names: dict[str, str]) -> ConnectionView:
    """A new token for a connection TikTok revoked: the same connection (so the same mirrored
    rows) is healthy again, with any advertiser it did not hold yet; its sync is queued.
    Raises Conflict (``connection_changed_meanwhile``) when another request reconnected or
    removed it first."""
    before = view(session, connection)
    now = utc_now()
    if not repository.reconnect(session, connection_id=connection.id,
                                sealed=sealer(settings).seal(token), summary=_summary(names),
                                now=now):
        raise errors.Conflict("This connection was reconnected or removed a moment ago, by "
                              "someone else: nothing was changed. Reload to see it.",
                              code="connection_changed_meanwhile")
    session.refresh(connection)
    held = {a.advertiser_id for a in before.advertisers}
    repository.add(session, *[TikTokAdvertiser(connection_id=connection.id, advertiser_id=a,
                                               name=n, created_at=now)
                              for a, n in names.items() if a not in held])
    _audit(session, "tiktok_connection.reconnected", user_id=user.id, connection=connection,
           advertiser_ids=list(names))
    after = _settle(session, before, connection, user=user, code=None)
    enqueue_syncs(session, view=after, trigger="reconnected")
    return after


def link_for_rehearsal(session: Session, *, settings: Settings, user: User, business: Business,
                       base_url: str, access_token: str,
                       advertisers: dict[str, str]) -> ConnectionView:
    """Link advertisers of a sparkcodes server's own /open_api/v1.3 by token without asking it
    first: the demo's rehearsal, written before its server runs. Its sync is queued; the first
    check is the sync's first call. Raises what link_by_token raises for the token and ids."""
    token = rules.check_access_token(access_token)
    ids = rules.check_advertiser_ids(list(advertisers))
    _refuse_linked(session, business, base_url, ids)
    now = utc_now()
    connection = TikTokConnection(
        business_id=business.id, base_url=base_url, method="token",
        access_token_sealed=sealer(settings).seal(token), authorized_at=now, created_at=now,
        created_by_id=user.id)
    repository.add(session, connection)
    repository.add(session, *[TikTokAdvertiser(connection_id=connection.id, advertiser_id=a,
                                               name=advertisers[a], created_at=now)
                              for a in ids])
    _audit(session, "tiktok_connection.linked", user_id=user.id, connection=connection,
           advertiser_ids=ids)
    linked = view(session, connection)
    enqueue_syncs(session, view=linked, trigger="linked")
    return linked


# --- linking through the business's developer app ---------------------------------------------

def start_app_flow(session: Session, *, settings: Settings, user: User, business: Business,
                   base_url: str | None, app_id: str, secret: str) -> Started:
    """Begin TikTok's app flow with the business's own developer app: a pending connection
    holding the sealed secret and a one-time state, and the URL of TikTok's authorization page.
    Raises InvalidBaseUrl or InvalidAppCredentials (422)."""
    base = _base_url(settings, base_url)
    app_id, secret = rules.check_app_credentials(app_id, secret)
    nonce = secrets.token_urlsafe(24)
    now = utc_now()
    connection = TikTokConnection(
        business_id=business.id, base_url=base, method="app", app_id=app_id,
        app_secret_sealed=sealer(settings).seal(secret),
        authorize_state_hash=_state_hash(settings, nonce),
        authorize_expires_at=rules.authorize_expiry(now, settings.connector.authorize_minutes),
        created_at=now, created_by_id=user.id)
    repository.add(session, connection)
    state = f"{nonce}.{_signature(settings, nonce, user.id)}"
    query = urlencode({"app_id": app_id, "state": state,
                       "redirect_uri": callback_url(settings)})
    _audit(session, "tiktok_connection.app_flow_started", user_id=user.id,
           connection=connection)
    return Started(view(session, connection, []), f"{base}/portal/auth?{query}")


def _pending_for(session: Session, *, settings: Settings, user: User,
                 state: str) -> tuple[TikTokConnection, str]:
    """The pending connection a callback's state names, checked: its signature is this
    person's; StateInvalid otherwise."""
    if not (state or "").strip():
        raise rules.StateInvalid(
            "This is the page TikTok sends you back to after you allow your app, but it was "
            "opened without TikTok's answer (no state), so there is nothing to link: start "
            "linking from your business's TikTok page.")
    nonce, _, signature = (state or "").partition(".")
    expected = _signature(settings, nonce, user.id) if nonce else ""
    if not nonce or not hmac.compare_digest(signature.encode(), expected.encode()):
        raise rules.StateInvalid(
            "This link did not come from sparkcodes, or someone else started it: start "
            "linking again from your business's TikTok page.", code="connector_state_invalid")
    state_hash = _state_hash(settings, nonce)
    connection = repository.by_state_hash(session, state_hash)
    if connection is None:
        raise rules.StateInvalid("This authorization is unknown or was removed: start linking "
                                 "again from your business's TikTok page.")
    return connection, state_hash


def complete_app_flow(session: Session, *, settings: Settings, user: User, state: str,
                      auth_code: str | None, denied: bool = False) -> ConnectionView:
    """The callback of the app flow: check the state (signed for this person, used once, not
    expired), exchange the auth_code at oauth2/access_token/, and list the advertisers granted.
    Raises StateInvalid (400), authorization_denied (400), AppRefused (422) or a TikTok failure
    (502/503)."""
    connection, state_hash = _pending_for(session, settings=settings, user=user, state=state)
    if denied:
        raise errors.AppError("You did not allow the app in TikTok, so nothing was linked.",
                              code="authorization_denied", status=400)
    if not (auth_code or "").strip():
        raise rules.StateInvalid("TikTok sent no auth_code back: start linking again.",
                                 code="auth_code_missing")
    now = utc_now()
    if repository.consume_state(session, connection_id=connection.id, state_hash=state_hash,
                                user_id=user.id, now=now) is None:
        session.refresh(connection)
        if connection.deleted_at is not None:
            message = "This connection was removed: start linking again."
        elif connection.authorized_at is not None:
            message = ("This authorization was already completed: the link works once. Your "
                       "connection is on the business's TikTok page.")
        else:
            message = (f"This authorization took longer than "
                       f"{settings.connector.authorize_minutes} minutes: start linking again.")
        raise rules.StateInvalid(message)
    assert connection.app_id is not None and connection.app_secret_sealed is not None
    secret = sealer(settings).open(connection.app_secret_sealed)
    client = _client(settings, connection.base_url, app_key(connection))
    try:
        data = client.post("oauth2/access_token/", body={
            "app_id": connection.app_id, "secret": secret, "auth_code": auth_code})
    except TikTokCallError as exc:
        if exc.kind in ("refused", "revoked", "gone"):
            raise rules.AppRefused(
                f"TikTok refused to exchange the authorization: “{exc.message}” ({exc.code}). "
                "Check the app's app_id and secret, then start again.") from None
        raise _refusal(exc, base_url=connection.base_url) from None
    token = str(data.get("access_token") or "")
    if not token:
        raise rules.TikTokRefused("TikTok answered the exchange without an access token.")
    names = {str(a): str(a) for a in data.get("advertiser_ids") or []}
    try:
        listed = client.get("oauth2/advertiser/get/", access_token=token,
                            params={"app_id": connection.app_id, "secret": secret})
        for item in listed.get("list") or []:
            names[str(item.get("advertiser_id"))] = str(item.get("advertiser_name")
                                                         or item.get("advertiser_id"))[:200]
    except TikTokCallError:
        pass  # the exchange's advertiser_ids stand; the next check names them
    connection.access_token_sealed = sealer(settings).seal(token)
    connection.checked_at = now
    connection.check_summary = _summary(names)
    repository.add(session, *[TikTokAdvertiser(connection_id=connection.id, advertiser_id=a,
                                               name=n, created_at=now)
                              for a, n in names.items()])
    _audit(session, "tiktok_connection.linked", user_id=user.id, connection=connection,
           advertiser_ids=list(names))
    linked = view(session, connection)
    enqueue_syncs(session, view=linked, trigger="linked")
    return linked


# --- checking -----------------------------------------------------------------------------------

def check(session: Session, *, settings: Settings, connection: TikTokConnection,
          user: User | None = None) -> ConnectionView:
    """Ask TikTok again whether the token reaches each advertiser and record the answer (never
    raises for what TikTok says). A change into a broken state tells the admins once."""
    before = view(session, connection)
    if connection.access_token_sealed is None or connection.token_revoked_at is not None:
        return before
    token = sealer(settings).open(connection.access_token_sealed)
    client = _client(settings, connection.base_url, app_key(connection))
    now = utc_now()
    reached: dict[str, str] = {}
    gone: set[str] = set()
    failure: TikTokCallError | None = None
    for advertiser in before.advertisers:
        try:
            reached[advertiser.advertiser_id] = _advertiser_info(client, token,
                                                                 advertiser.advertiser_id)
        except TikTokCallError as exc:
            if exc.kind == "gone":
                gone.add(advertiser.advertiser_id)
                continue
            failure = exc
            break
    now = utc_now()
    connection.checked_at = now
    if failure is None:
        for advertiser in before.advertisers:
            if advertiser.advertiser_id in gone:
                advertiser.gone_at = advertiser.gone_at or now
            else:
                advertiser.gone_at = None
                advertiser.name = reached[advertiser.advertiser_id]
        connection.check_summary = _summary(reached)
        connection.last_error_code = connection.last_error_message = None
        connection.throttled_until = None
    else:
        _note(connection, failure, settings, now)
    after = _settle(session, before, connection, user=user,
                    code=failure.code if failure else None)
    enqueue_syncs(session, view=after, trigger="check")
    return after


def _note(connection: TikTokConnection, failure: TikTokCallError, settings: Settings,
          now: datetime) -> None:
    connection.last_error_code = failure.code
    connection.last_error_message = failure.message[:500] or failure.kind
    if failure.kind == "revoked":
        connection.token_revoked_at = connection.token_revoked_at or now
    elif failure.kind in ("retry", "budget"):
        connection.throttled_until = rules.throttled_until(
            now, settings.connector.throttled_seconds)


def _settle(session: Session, before: ConnectionView, connection: TikTokConnection, *,
            user: User | None, code: int | None) -> ConnectionView:
    """After a change: its audit row when the state changed, and the alert when it broke."""
    session.flush()
    after = view(session, connection)
    if after.state != before.state:
        audit.record(session, actor_id=user.id if user else None,
                     action="tiktok_connection.state_changed", target_type="tiktok_connection",
                     target_id=connection.id, business_id=connection.business_id,
                     before={"state": before.state}, after={"state": after.state})
    _alert(session, after, code=code)
    return after


def record_failure(session: Session, *, settings: Settings, connection: TikTokConnection,
                   failure: TikTokCallError, advertiser_id: str | None = None) -> ConnectionView:
    """What a sync's call failing says about the connection: a revoked token, an advertiser
    gone (``advertiser_id``), throttling or no answer; the admins are told once when it
    breaks."""
    before = view(session, connection)
    now = utc_now()
    if failure.kind == "gone" and advertiser_id is not None:
        for advertiser in before.advertisers:
            if advertiser.advertiser_id == advertiser_id:
                advertiser.gone_at = advertiser.gone_at or now
        connection.last_error_code = failure.code
    else:
        _note(connection, failure, settings, now)
    return _settle(session, before, connection, user=None, code=failure.code)


# --- syncing ------------------------------------------------------------------------------------

def sync_words(run: TikTokSyncRun) -> str:
    return rules.sync_words(finished_at=run.finished_at, started_at=run.started_at,
                            stage=run.stage, counts=dict(run.counts or {}), error=run.error)


def syncable(current: ConnectionView) -> bool:
    return current.state in ("healthy", "unchecked", "throttled", "unreachable",
                             "advertiser_gone")


def enqueue_syncs(session: Session, *, view: ConnectionView, trigger: str,
                  dedupe_slot: str | None = None) -> list[str]:
    """Queue a sync of each advertiser the connection still reaches (a job row, run by the
    worker after this transaction commits): the advertiser ids queued."""
    if not syncable(view):
        return []
    queued = []
    for advertiser in view.advertisers:
        if advertiser.gone_at is not None:
            continue
        key = (f"{SYNC_JOB}:{view.connection.id}:{advertiser.advertiser_id}@{dedupe_slot}"
               if dedupe_slot else None)
        if jobs.enqueue(session, SYNC_JOB, {"connection_id": view.connection.id,
                                            "advertiser_id": advertiser.advertiser_id,
                                            "trigger": trigger},
                        dedupe_key=key, max_attempts=20):
            queued.append(advertiser.advertiser_id)
    return queued


def enqueue_advertiser_sync(session: Session, *, connection_id: str, advertiser_id: str,
                            trigger: str) -> bool:
    """Queue one sync of an advertiser after a write made on TikTok (when it could not run at
    once): a job row, run by the worker after this transaction commits."""
    return jobs.enqueue(session, SYNC_JOB, {"connection_id": connection_id,
                                            "advertiser_id": advertiser_id, "trigger": trigger},
                        max_attempts=20)


def sync_now(session: Session, *, user: User, connection: TikTokConnection) -> list[str]:
    """Queue a sync of every advertiser of the connection now. Raises NotSyncable (409) when
    it is not authorized yet, its token was revoked, or every advertiser is gone."""
    current = view(session, connection)
    queued = enqueue_syncs(session, view=current, trigger="sync_now")
    if not queued:
        raise rules.NotSyncable(
            f"This connection cannot be synced: {current.words} Nothing was queued.")
    _audit(session, "tiktok_connection.sync_requested", user_id=user.id,
           connection=connection, advertiser_ids=queued)
    return queued


def _alert(session: Session, current: ConnectionView, *, code: int | None) -> None:
    connection = current.connection
    if not rules.is_broken(current.state):
        if connection.alerted_state is not None:
            connection.alerted_state = None
            session.flush()
        return
    if not rules.should_alert(state=current.state, alerted_state=connection.alerted_state):
        return
    if not repository.set_alerted(session, connection_id=connection.id, state=current.state):
        return  # another check told them first
    session.refresh(connection)
    data = {"connection_id": connection.id, "business_id": connection.business_id,
            "base_url": connection.base_url, "state": current.state, "words": current.words,
            "advertisers": [{"advertiser_id": a.advertiser_id, "name": a.name,
                             "gone": a.gone_at is not None} for a in current.advertisers],
            "tiktok_code": code}
    title = ("TikTok connection needs reconnecting" if current.state == "token_revoked"
             else "A TikTok advertiser is no longer reachable")
    notifications.emit(session, event_type="connection.broken", title=title,
                       body=current.words, data=data, business_ids={connection.business_id},
                       business_roles={"admin"})


# --- removing, re-sealing -----------------------------------------------------------------------

def _revoke_on_tiktok(settings: Settings, connection: TikTokConnection) -> dict[str, object]:
    """Best effort: an app-flow connection gives its token back (oauth2/revoke_token/) before
    sparkcodes forgets it. What TikTok said, for the audit row; never raises."""
    if (connection.method != "app" or connection.access_token_sealed is None
            or connection.app_secret_sealed is None or connection.app_id is None
            or connection.token_revoked_at is not None):
        return {}
    box = sealer(settings)
    cfg = settings.connector
    # One short attempt: the removal waits for it.
    once = cfg.model_copy(update={"max_attempts": 1,
                                  "timeout_seconds": min(cfg.timeout_seconds, 5.0)})
    client = TikTokClient(base_url=connection.base_url, app_key=app_key(connection),
                          settings=once,
                          budget=budget(cfg.app_qps, cfg.advertiser_qps, settings.redis_url))
    try:
        client.post("oauth2/revoke_token/", body={
            "app_id": connection.app_id, "secret": box.open(connection.app_secret_sealed),
            "access_token": box.open(connection.access_token_sealed)})
    except TikTokCallError as exc:
        return {"revoked_on_tiktok": False, "tiktok_code": exc.code,
                "tiktok_said": exc.message[:200]}
    return {"revoked_on_tiktok": True}


def remove(session: Session, *, settings: Settings, user: User,
           connection: TikTokConnection) -> None:
    """Remove the connection and forget its secrets; removing twice is harmless. An app-flow
    connection first gives its token back to TikTok (best effort, recorded in the audit row);
    its mirrored Spark posts leave the tracker (no longer watched)."""
    if connection.deleted_at is not None:
        return
    # TikTok is called before any write, so no write lock is held while it answers.
    revoked = _revoke_on_tiktok(settings, connection)
    now = utc_now()
    if not repository.delete(session, connection_id=connection.id, user_id=user.id, now=now):
        return
    unbound = repository.unbind_mirrored(
        session, spark_post_ids=repository.live_mirrored_of_connection(session, connection.id),
        now=now)
    session.refresh(connection)
    _audit(session, "tiktok_connection.removed", user_id=user.id, connection=connection,
           mirrored_spark_posts_unbound=unbound, **revoked)


def rotate_keys(session: Session, *, settings: Settings) -> int:
    """Seal every stored secret again under the current secret key (after it changed, with the
    old one listed in previous_secret_keys): how many connections changed."""
    box = sealer(settings)
    changed = 0
    for connection_id, token, secret in repository.sealed_values(session):
        values = {}
        if token is not None and not box.is_current(token):
            values["access_token_sealed"] = box.reseal(token)
        if secret is not None and not box.is_current(secret):
            values["app_secret_sealed"] = box.reseal(secret)
        if values:
            repository.reseal(session, connection_id=connection_id, values=values)
            changed += 1
    return changed
