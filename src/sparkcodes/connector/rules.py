"""Pure decisions about TikTok connections: no session, no I/O.

A base URL is https (plain http only on the loopback host, when the settings allow it, for
rehearsal against a local sparkcodes), a bare origin with no credentials. What a TikTok answer
code means for the connector (retry, the token is gone, the advertiser is gone, refused) is
decided here, and a connection's state is derived from its timestamps and ``now``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sparkcodes import errors
from sparkcodes.ad_account.rules import normalize_currency
from sparkcodes.kit import limits

MAX_URL = limits.CONNECTOR_URL
MAX_TOKEN = limits.CONNECTOR_TOKEN
MAX_ADVERTISERS = 100
MAX_APP_ID = limits.CONNECTOR_APP_ID
MAX_SECRET = limits.CONNECTOR_SECRET
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
PRODUCTION_HOST = "https://business-api.tiktok.com"
API_PREFIX = "/open_api/v1.3"

# TikTok answer codes (reference §7) and what they mean to the connector.
RETRY_CODES = frozenset({40100, 40133, 40016, 50002})
REVOKED_CODES = frozenset({40102, 40105})
GONE_CODES = frozenset({40001, 40007, 40300})
Verdict = Literal["ok", "retry", "revoked", "gone", "refused"]

State = Literal["awaiting_authorization", "authorization_expired", "token_revoked",
                "advertiser_gone", "throttled", "unreachable", "healthy", "unchecked",
                "removed"]
BROKEN_STATES = frozenset({"token_revoked", "advertiser_gone"})


# --- errors a person sees ---------------------------------------------------------------------

class InvalidBaseUrl(errors.InvalidInput):
    code = "invalid_base_url"


class InvalidAccessToken(errors.InvalidInput):
    code = "invalid_access_token"
    message = "Paste the long-lived access token TikTok gave you."


class InvalidAdvertiserIds(errors.InvalidInput):
    code = "invalid_advertiser_ids"


class InvalidAppCredentials(errors.InvalidInput):
    code = "invalid_app_credentials"


class TokenRefused(errors.AppError):
    """TikTok says the access token is wrong, expired or revoked."""

    code, status = "tiktok_token_refused", 422


class AdvertiserNotGranted(errors.AppError):
    """The token works, but not on one of the advertisers named."""

    code, status = "tiktok_advertiser_not_granted", 422


class AppRefused(errors.AppError):
    """TikTok refused the developer app's app_id and secret, or the auth_code."""

    code, status = "tiktok_app_refused", 422


class TikTokThrottled(errors.AppError):
    code, status = "tiktok_throttled", 503


class TikTokUnreachable(errors.AppError):
    code, status = "tiktok_unreachable", 502


class TikTokRefused(errors.AppError):
    """Any other refusal, with TikTok's code and words."""

    code, status = "tiktok_refused", 502


class StateInvalid(errors.AppError):
    """The app flow's state is forged, for another person, used already, or expired."""

    code, status = "connector_state_invalid", 400


# --- base URL ---------------------------------------------------------------------------------

def check_base_url(url: str | None, *, default: str, allow_loopback_http: bool) -> str:
    """The origin to call (scheme://host[:port], no trailing slash); raises InvalidBaseUrl."""
    text = (url or "").strip() or default
    if len(text) > MAX_URL:
        raise InvalidBaseUrl(f"The base URL is longer than {MAX_URL} characters.")
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise InvalidBaseUrl("The base URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        raise InvalidBaseUrl("The base URL is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidBaseUrl(f"Give an absolute https:// URL such as {PRODUCTION_HOST}.")
    if parts.username is not None or parts.password is not None:
        raise InvalidBaseUrl("Leave credentials out of the base URL: the token goes in its "
                             "own field.")
    if parts.scheme == "http":
        if host not in LOOPBACK_HOSTS:
            raise InvalidBaseUrl("Use https: TikTok's API is only reached over https (plain "
                                 "http is for a local sparkcodes on 127.0.0.1 in rehearsals).")
        if not allow_loopback_http:
            raise InvalidBaseUrl("Plain http to a local server is switched off here "
                                 "(SPARKCODES_CONNECTOR__ALLOW_LOOPBACK_HTTP); use https.")
    path = parts.path.rstrip("/")
    if path not in ("", API_PREFIX):
        raise InvalidBaseUrl(f"Give the host only, such as {PRODUCTION_HOST}: the path "
                             f"{API_PREFIX}/ is added to every call.")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise InvalidBaseUrl("Give the host only, with no query string or #fragment.")
    return f"{parts.scheme}://{parts.netloc}"


# --- what the user pastes ---------------------------------------------------------------------

def check_access_token(token: str) -> str:
    """The token as pasted, trimmed. It travels in the Access-Token header, which holds ASCII
    only: anything else (an accent, a byte-order mark or a zero-width space picked up while
    copying) is refused here rather than failing the call."""
    token = token.strip()
    if not token or len(token) > MAX_TOKEN or any(ch.isspace() for ch in token):
        raise InvalidAccessToken()
    if not all("!" <= ch <= "~" for ch in token):
        raise InvalidAccessToken("The access token holds a character TikTok's tokens never do "
                                 "(an accent, or an invisible one picked up while copying): "
                                 "paste it again exactly as TikTok shows it.")
    return token


def check_advertiser_ids(values: list[str]) -> list[str]:
    """TikTok advertiser ids (digits), each once, in order: 1 to 100 of them."""
    out: list[str] = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        if not (text.isascii() and text.isdigit() and len(text) <= 32):
            raise InvalidAdvertiserIds(f"{text[:40]!r} is not an advertiser id: TikTok's are "
                                       "numbers such as 7012345678901234567.")
        if text not in out:
            out.append(text)
    if not out:
        raise InvalidAdvertiserIds("Name at least one advertiser id the token may use.")
    if len(out) > MAX_ADVERTISERS:
        raise InvalidAdvertiserIds(f"A connection covers at most {MAX_ADVERTISERS} "
                                   "advertisers.")
    return out


def split_ids(text: str) -> list[str]:
    """Advertiser ids as typed in a form: separated by commas, spaces or new lines."""
    return [p for p in text.replace(",", " ").split() if p]


def check_app_credentials(app_id: str, secret: str) -> tuple[str, str]:
    app_id, secret = app_id.strip(), secret.strip()
    if not (app_id.isascii() and app_id.isdigit() and 0 < len(app_id) <= MAX_APP_ID):
        raise InvalidAppCredentials("Give your TikTok developer app's app_id: the number shown "
                                    "on its page in TikTok for Business Developers.")
    if not secret or len(secret) > MAX_SECRET or any(ch.isspace() for ch in secret):
        raise InvalidAppCredentials("Give your developer app's secret as TikTok shows it.")
    return app_id, secret


# --- TikTok's answers ---------------------------------------------------------------------------

def verdict(code: int) -> Verdict:
    """What an answer code means: retry later, the token is gone, the advertiser is gone (or
    never was the token's), refused for another reason, or fine."""
    if code == 0:
        return "ok"
    if code in RETRY_CODES:
        return "retry"
    if code in REVOKED_CODES:
        return "revoked"
    if code in GONE_CODES:
        return "gone"
    return "refused"


def retryable_http(status: int) -> bool:
    """A server fault or an overloaded edge: worth another attempt."""
    return status >= 500 or status == 429


# --- state ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConnectionFacts:
    has_token: bool
    authorize_expires_at: datetime | None
    checked_at: datetime | None
    failed: bool  # the last check got no usable answer
    throttled_until: datetime | None
    token_revoked_at: datetime | None
    deleted_at: datetime | None
    advertisers: int
    advertisers_gone: int


def state_of(facts: ConnectionFacts, now: datetime) -> State:
    """One state, the most urgent first: removed, not linked yet, token revoked, advertiser
    gone, throttled, unreachable, healthy (or not checked yet)."""
    if facts.deleted_at is not None:
        return "removed"
    if not facts.has_token:
        if facts.authorize_expires_at is not None and facts.authorize_expires_at > now:
            return "awaiting_authorization"
        return "authorization_expired"
    if facts.token_revoked_at is not None:
        return "token_revoked"
    if facts.advertisers_gone:
        return "advertiser_gone"
    if facts.throttled_until is not None and facts.throttled_until > now:
        return "throttled"
    if facts.checked_at is None:
        return "unchecked"
    if facts.failed:
        return "unreachable"
    return "healthy"


def can_act_on(*, has_token: bool, removed: bool, token_revoked: bool,
               advertiser_gone: bool) -> bool:
    """Whether writes on an ad account mirrored through a connection (with its advertiser
    listed) may be sent to TikTok: the connection holds a token, is not removed, TikTok has not
    revoked the token, and the token still reaches the advertiser. A throttled or unreachable
    connection may: the call is tried, and refused in TikTok's words if it must be."""
    return has_token and not removed and not token_revoked and not advertiser_gone


def is_broken(state: str) -> bool:
    return state in BROKEN_STATES


def should_alert(*, state: str, alerted_state: str | None) -> bool:
    """Tell the admins once per change into a broken state: not again while it stays broken the
    same way (``alerted_state`` is cleared once it is not broken), again if it breaks another
    way."""
    return is_broken(state) and state != alerted_state


def throttled_until(now: datetime, seconds: int) -> datetime:
    return now + timedelta(seconds=seconds)


def authorize_expiry(now: datetime, minutes: int) -> datetime:
    return now + timedelta(minutes=minutes)


# The words' first clause where it names the state the page's badge already shows.
_BADGE_LEADS = {"healthy": "Healthy: ", "token_revoked": "Token revoked: ",
                "advertiser_gone": "Advertiser gone: "}


def state_note(state: str, words: str) -> str:
    """``state_words`` as they follow the state's badge on a page: without a lead that repeats
    the badge ('Healthy: checked …' becomes 'Checked …')."""
    lead = _BADGE_LEADS.get(state)
    if lead is None or not words.startswith(lead):
        return words
    rest = words[len(lead):]
    return rest[:1].upper() + rest[1:]


def state_words(state: str, *, checked_at: datetime | None, summary: str | None,
                throttled_until: datetime | None, gone: list[str]) -> str:
    """The state as the page and the API say it."""
    when = f"{checked_at:%Y-%m-%d %H:%M} UTC" if checked_at else None
    if state == "healthy":
        return f"Healthy: checked {when}" + (f" — {summary}" if summary else "") + "."
    if state == "unchecked":
        return "Linked; not checked yet."
    if state == "throttled":
        until = f"{throttled_until:%H:%M:%S} UTC" if throttled_until else "shortly"
        return (f"Throttled by TikTok until {until}: calls resume on their own, nothing to "
                "do.")
    if state == "unreachable":
        return (f"TikTok did not answer at the last check ({when}); sparkcodes keeps trying. "
                "Check now to try again.")
    if state == "token_revoked":
        return ("Token revoked: TikTok no longer accepts this connection's access token. "
                "Reconnect to link it again.")
    if state == "advertiser_gone":
        names = ", ".join(gone) or "an advertiser"
        return (f"Advertiser gone: TikTok no longer lets this token reach {names}. Grant it "
                "again in TikTok, or remove the connection.")
    if state == "awaiting_authorization":
        return "Waiting for you to authorize the app in TikTok."
    if state == "authorization_expired":
        return "The app was never authorized in time: start the app flow again."
    return "Removed."


# --- the mirror (docs/connector.md, "One model, two sources") -----------------------------------

# A sync's stages, in order; a run is checkpointed at the end of each and after every page.
SYNC_STAGES = ("identities", "posts", "ads", "spend", "reconcile", "done")
TIKTOK_TIME = "%Y-%m-%d %H:%M:%S"
MAX_HANDLE = 24
# tt_video/list's item statuses (reference §5.3) as a post's visibility; the two deleted ones
# are a take-down and the creator's own deletion.
VISIBILITY = {"HESITATE_RECOMMEND": "public", "ONLY_FRIEND_SEE": "friends",
              "ONLY_AUTHOR_SEE": "private", "ITEM_STATUS_HESITATE_RECOMMEND": "public",
              "STATUS_ONLY_FRIEND_SEE": "friends", "ITEM_STATUS_ONLY_AUTHOR_SEE": "private"}
TAKEN_DOWN, USER_DELETED = "AUDIT_DELETE", "USER_DELETE"
# TikTok says nothing of a post's sound in tt_video/list: the mirror records that it is unknown.
UNKNOWN_SOUND = "unknown"
HINT_SYMBOLS = 4
# Step 3: ads are read a page at a time; ad groups and campaigns, and the report, by at most this
# many ids per call (TikTok's limit for an id filter).
IDS_PER_CALL = 100
REPORT_PAGE_SIZE = 1000
SPARK_IDENTITIES = ("AUTH_CODE", "TT_USER")
# What the mirror's EngagementDaily keeps of report/integrated/get's metrics: TikTok's name ->
# the column.
REPORT_METRICS = {
    "impressions": "impressions", "clicks": "clicks", "likes": "likes", "comments": "comments",
    "shares": "shares", "follows": "follows", "profile_visits": "profile_visits",
    "clicks_on_music_disc": "clicks_on_music_disc", "video_watched_2s": "video_watched_2s",
    "video_watched_6s": "video_watched_6s", "engaged_view_15s": "video_watched_15s",
    "video_views_p100": "video_views_p100",
}
DELETED_STATUSES = frozenset({"CAMPAIGN_STATUS_DELETE", "ADGROUP_STATUS_DELETE",
                              "AD_STATUS_DELETE"})
MICROS = Decimal(1_000_000)


class NotSyncable(errors.Conflict):
    """Sync now on a connection that cannot be synced (not authorized yet, or token revoked)."""

    code = "connection_not_syncable"


def parse_time(text: object) -> datetime | None:
    """TikTok's "YYYY-MM-DD HH:MM:SS" (UTC) or ISO "…T…Z"; None when absent or unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    try:
        if "T" in value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:
            parsed = datetime.strptime(value, TIKTOK_TIME)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def happened_at(text: object, now: datetime) -> datetime:
    """When TikTok says something already happened (create_time, modify_time): that instant,
    ``now`` when absent or unreadable, and never after ``now``. TikTok's clock may run ahead of
    ours; a deletion it reports has happened, so it must read as past here."""
    return min(parse_time(text) or now, now)


def micros_of(value: object) -> int:
    """TikTok's money ("12.34", a number, or null) in micros; 0 when absent or unreadable."""
    if value is None or isinstance(value, bool):
        return 0
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return 0
    if not amount.is_finite() or amount < 0:
        return 0
    return int((amount * MICROS).to_integral_value(rounding=ROUND_HALF_UP))


def count_of(value: object) -> int:
    """A report's count ("42", a number, or null); 0 when absent or unreadable."""
    try:
        return max(0, int(Decimal(str(value))))
    except (InvalidOperation, ValueError, TypeError):
        return 0


def is_deleted(obj: dict[str, object]) -> bool:
    """A campaign, ad group or ad TikTok lists as deleted (its secondary status)."""
    return str(obj.get("secondary_status") or "") in DELETED_STATUSES


def is_paused(obj: dict[str, object]) -> bool:
    return str(obj.get("operation_status") or "ENABLE") == "DISABLE"


def zone_or(name: object, fallback: str) -> str:
    """TikTok's advertiser time zone when it is one this system knows (an IANA name)."""
    text = str(name or "").strip()
    if not text:
        return fallback
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback
    return text


def currency_or(code: object, fallback: str) -> str:
    """TikTok's advertiser currency (ISO 4217, upper-cased) when it is three letters."""
    try:
        return normalize_currency(code) if isinstance(code, str) else fallback
    except errors.InvalidInput:
        return fallback


def report_days(now: datetime, timezone: str) -> tuple[date, date]:
    """Yesterday and today in the advertiser's time zone: what each sync reads of spend."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return today - timedelta(days=1), today


def chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


def post_kind(item_info: dict[str, object]) -> str:
    if item_info.get("stitch_original_item_id"):
        return "stitch"
    if item_info.get("duet_original_item_id"):
        return "duet"
    return "video"


def visibility_of(status: object) -> str:
    return VISIBILITY.get(str(status or ""), "public")


def code_hint(auth_code: object) -> str:
    """What the mirror keeps of the code TikTok lists: its first symbols, as sparkcodes names
    its own codes (never the code: TikTok keeps it). A masked "SPARK-ABCD-…" gives ABCD."""
    text = str(auth_code or "").strip()
    if text.upper().startswith("SPARK-"):
        text = text[len("SPARK-"):]
    symbols = "".join(ch for ch in text if ch.isalnum())
    return symbols[:HINT_SYMBOLS].upper()


def window_days(starts_at: datetime, ends_at: datetime) -> int:
    """The authorization's length in whole days, rounded up (at least 1)."""
    return max(1, math.ceil((ends_at - starts_at).total_seconds() / 86400))


def handle_of(name: object, fallback: str) -> str:
    text = str(name or "").strip().lstrip("@") or fallback
    return text[:MAX_HANDLE]


def sync_due(*, last_started_at: datetime | None, now: datetime, minutes: int) -> bool:
    """A scheduled sync is due when the advertiser never synced or its last one started
    ``minutes`` ago or more."""
    return last_started_at is None or now - last_started_at >= timedelta(minutes=minutes)


def check_due(*, checked_at: datetime | None, now: datetime, minutes: int) -> bool:
    return checked_at is None or now - checked_at >= timedelta(minutes=minutes)


def next_stage(stage: str) -> str:
    return SYNC_STAGES[min(SYNC_STAGES.index(stage) + 1, len(SYNC_STAGES) - 1)]


def sync_words(*, finished_at: datetime | None, started_at: datetime, stage: str,
               counts: dict[str, int], error: str | None) -> str:
    """A run as the page says it."""
    posts = counts.get("spark_posts", 0)
    found = f"{posts} Spark post{'s' if posts != 1 else ''}"
    if finished_at is not None and error is None:
        gone = counts.get("unbound", 0)
        ads = counts.get("ads", 0)
        return (f"Synced {finished_at:%Y-%m-%d %H:%M} UTC: {found}"
                + (f", {ads} ad{'s' if ads != 1 else ''}" if ads else "")
                + (f", {gone} no longer on TikTok" if gone else "") + ".")
    if finished_at is not None:
        return f"Sync stopped {finished_at:%Y-%m-%d %H:%M} UTC: {error}"
    if error is not None:
        return f"Sync paused at {stage} ({found} so far): {error} It resumes on its own."
    return f"Syncing since {started_at:%H:%M} UTC ({stage}, {found} so far)."


# --- writes through TikTok (step 4) -----------------------------------------------------------

MAX_CODE_TEXT = 200  # TikTok's codes are short; anything longer is not one
POST_CODE_INCORRECT = "post code is incorrect"
AUTHORIZED, EXPIRED, CANCELED = "AUTHORIZED", "EXPIRED", "CANCELED"


class ConnectionNotUsable(errors.Conflict):
    """A write through TikTok on an ad account whose connection cannot call it any more."""

    code = "connection_not_usable"
    message = ("This ad account's TikTok connection cannot be used (its token was revoked, the "
               "advertiser is no longer granted, or the connection was removed): reconnect it "
               "on the business's TikTok tab, then try again.")


def failure_words(kind: str, code: int | None, message: str) -> str:
    """A call that did not succeed, as a sync run and a job's log keep it: TikTok's words and
    code when TikTok answered, and plainly not TikTok's when the call never left this process
    (its own call budget was spent)."""
    if kind == "budget":
        return f"Not sent to TikTok: {message or 'the call budget was spent.'}"
    if kind == "unreachable":  # our own sentence: there is no answer of TikTok's to quote
        return message or "TikTok did not answer."
    if code is not None:
        return f"TikTok: “{message}” ({code})." if message else f"TikTok answered code {code}."
    return f"TikTok: {message}" if message else "TikTok refused the call."


def code_refusal(kind: str, code: int | None, message: str) -> errors.AppError:
    """A refusal of tt_video/info or tt_video/authorize in sparkcodes' words, under sparkcodes'
    stable code where one fits (a code TikTok does not know, one another ad account holds, a
    post that is gone) and a generic one, with TikTok's own words, where none does."""
    said = f' (TikTok said: "{message}")' if message else ""
    if kind == "revoked":
        return TokenRefused("TikTok refused this connection's access token: reconnect the "
                            "advertiser on the business's TikTok tab." + said)
    if kind in ("retry", "budget"):
        return TikTokThrottled("TikTok is throttling calls right now; try this code again in "
                               "a minute." + said)
    if kind == "unreachable":
        return TikTokUnreachable("TikTok did not answer; try this code again in a minute."
                                 + said)
    if code == 40002 and POST_CODE_INCORRECT in message.lower():
        return errors.NotFound("TikTok does not recognize this code: check it with the "
                               "creator (every symbol counts), or ask for a new one.",
                               code="code_not_found")
    if code == 40001:
        return errors.Conflict("TikTok says this code is not for this ad account: it is "
                               "already used by another ad account, or this connection may "
                               "not use it. Ask the creator for a new code for this one." + said,
                               code="code_used_elsewhere")
    if code == 40007:
        return errors.AppError("TikTok no longer has the post behind this code (deleted or "
                               "taken down)." + said, code="post_unavailable", status=410)
    return TikTokCodeRefused(f"TikTok refused this code{f' ({code})' if code else ''}" +
                             (f': "{message}"' if message else ".") +
                             " Check it with the creator, or ask for a new one.")


class TikTokCodeRefused(errors.Conflict):
    """TikTok refused a code for a reason sparkcodes has no word of its own for."""

    code = "tiktok_code_refused"


def window_refusal(status: str, ends_at: datetime | None) -> errors.AppError | None:
    """What tt_video/info's ``ad_auth_status`` forbids: an expired or cancelled code is not
    applied (None: it may be)."""
    if status == EXPIRED:
        when = f" on {ends_at:%Y-%m-%d %H:%M} UTC" if ends_at else ""
        return errors.Gone(f"This code expired{when}; ask the creator to extend it in the "
                           "TikTok app or send a new one.", code="code_expired")
    if status == CANCELED:
        return errors.Gone("The creator cancelled this code in the TikTok app; ask for a new "
                           "one.", code="code_deleted")
    return None


def action_refusal(kind: str, code: int | None, message: str, *, what: str) -> errors.AppError:
    """A refusal of ad/status/update or tt_video/unbind in sparkcodes' words."""
    said = f' (TikTok said: "{message}")' if message else ""
    if kind == "revoked":
        return TokenRefused("TikTok refused this connection's access token: reconnect the "
                            "advertiser on the business's TikTok tab." + said)
    if kind in ("retry", "budget"):
        return TikTokThrottled(f"TikTok is throttling calls right now; {what} was not done, "
                               "try again in a minute." + said)
    if kind == "unreachable":
        return TikTokUnreachable(f"TikTok did not answer; {what} was not done, try again in a "
                                 "minute." + said)
    if code == 40007:
        return errors.NotFound(f"TikTok no longer has this object; {what} was not done. The "
                               "next sync removes it here." + said)
    return TikTokRefused(f"TikTok refused: {what} was not done{f' ({code})' if code else ''}."
                         + said)
