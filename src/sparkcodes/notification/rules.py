"""Pure decisions about what an alert says (R23): no session, no I/O.

An alert must never claim what did not happen ("Ads stopped … 0 ad(s)") nor hide that it is
late: a reminder sweep that ran days after a code ended still tells, and says by how much.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import humanize

from sparkcodes.kit.text import counted
from sparkcodes.notification.catalog import EVENTS

EXPIRED = "expired"
BRAND = "brand"  # a member of a business told of it
CREATOR = "creator"  # the owner of the creator account told of it
READERS = (BRAND, CREATOR)


def late_words(delta: timedelta) -> str:
    """How late, in words: "25 minutes", "3 hours and 10 minutes", "9 days and 3 hours"."""
    unit = "minutes" if delta < timedelta(days=1) else "hours"
    return humanize.precisedelta(delta, minimum_unit=unit, format="%0.0f")


def hours_left(window_end: datetime, now: datetime) -> int:
    """Whole hours until the end, rounded up (a sweep a few seconds after T−72 h says 72)."""
    return max(1, math.ceil((window_end - now) / timedelta(hours=1)))


@dataclass(frozen=True)
class CodeAlert:
    """One code's reminder as told: a title, a body, and how late in words (None: on time)."""

    title: str
    body: str
    late_by: str | None


def code_reminder(*, kind: str, handle: str, code_hint: str, account: str, window_end: datetime,
                  now: datetime, live_ads: int, spend_at_risk: str,
                  late_by: timedelta | None, reader: str = BRAND) -> CodeAlert:
    """The words of a T−72 h / T−24 h reminder or of the expiry alert, for the brand or for the
    creator whose code it is (never "ask @yourself").

    At expiry, "Ads stopped" only when ads were delivering a moment before; otherwise the code
    expired and nothing stopped. A late alert says so in its title and body.
    """
    late = late_words(late_by) if late_by is not None else None
    end = f"{window_end:%Y-%m-%d %H:%M} UTC"
    creator = reader == CREATOR
    if kind == EXPIRED:
        if creator and live_ads:
            title = f"Your code expired: {account}'s ads on your post stopped"
            body = (f"Your code {code_hint} ended at {end}. {counted(live_ads, 'ad')} in {account} "
                    "stopped. Extend the same code: the ads resume as they were.")
        elif creator:
            title = "Your code expired; no ads were running on it"
            body = (f"Your code {code_hint} ended at {end}. No ad in {account} was delivering "
                    "on it, so nothing stopped. Extend it if they still want to run your post.")
        elif live_ads:
            title = f"Ads stopped: @{handle}'s authorization expired"
            body = (f"The code {code_hint} for @{handle}'s post ended at {end}. "
                    f"{counted(live_ads, 'ad')} in {account} stopped (spend at risk "
                    f"{spend_at_risk}/day). Ask @{handle} to extend the same code: the ads "
                    "resume as they were.")
        else:
            title = f"@{handle}'s code expired; no ads were running on it"
            body = (f"The code {code_hint} for @{handle}'s post ended at {end}. No ad in "
                    f"{account} was delivering on it, so nothing stopped. Ask @{handle} to "
                    "extend the same code before running ads on it.")
        if late:
            title += f" (alert {late} late)"
            body = (f"This alert is {late} late: the code ended at {end} and no reminder sweep "
                    f"ran since. {body}")
        return CodeAlert(title, body, late)
    hours = hours_left(window_end, now)
    if creator:
        title = f"Extend your code: it ends in {hours} h"
        body = f"Your code {code_hint} ends at {end}. "
        body += (f"{counted(live_ads, 'live ad')} in {account} on your post will stop." if live_ads
                 else f"No ad in {account} runs on it now; new ones would stop then.")
    else:
        title = (f"Extend or swap now: @{handle}'s code ends in {hours} h" if hours <= 24
                 else f"Ask @{handle} to extend: code ends in {hours} h")
        body = f"The code {code_hint} for @{handle}'s post ends at {end}. "
        body += (f"{counted(live_ads, 'live ad')} in {account} will stop (spend at risk "
                 f"{spend_at_risk}/day)." if live_ads
                 else f"No ad runs on it now in {account}; new ones would stop then.")
    if late:
        body += f" This reminder is {late} late: no reminder sweep ran when it was due."
    return CodeAlert(title, body, late)


# --- what an alert asks of its reader ------------------------------------------------------------

# Kinds that reach webhooks only, never a person: no sentence, no e-mail choice.
WEBHOOK_ONLY = frozenset({"webhook.test"})


@dataclass(frozen=True)
class Link:
    label: str
    href: str  # a page of the web app, site-relative


@dataclass(frozen=True)
class Advice:
    """What one alert means to the person reading it: one sentence in their words, a link to
    what it is about, and the one action that fixes it (None when nothing needs doing)."""

    sentence: str
    subject: Link | None
    action: Link | None


def reader_of(business_id: str | None) -> str:
    """A notification told as a member of a business is read by the brand; else by the creator."""
    return BRAND if business_id else CREATOR


def _get(data: Any, *path: str) -> Any:
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


class _Facts:
    """The pieces of an alert's data the sentences and links name, each with a fallback."""

    def __init__(self, data: Mapping[str, Any], business_id: str | None) -> None:
        self.extra = data
        self.business_id = business_id
        self.handle = _get(data, "creator", "handle")
        self.who = f"@{self.handle}" if self.handle else "the creator"
        self.hint = data.get("code_hint") or "the code"
        self.auth = data.get("authorization_id")
        posts = data.get("posts") or []
        post = data.get("post") or (posts[0] if posts and isinstance(posts[0], Mapping) else {})
        self.post_id = _get(post, "id")
        self.caption = (_get(post, "caption") or "")[:60]
        ads = [a for a in data.get("ads") or [] if isinstance(a, Mapping)]
        ad = data.get("ad") if isinstance(data.get("ad"), Mapping) else (ads[0] if ads else None)
        self.ad_id = _get(ad, "ad_id") or _get(ad, "id")
        self.ad_name = _get(ad, "ad_name") or _get(ad, "name") or "the ad"
        self.more_ads = max(0, len(ads) - 1)
        self.account_id = _get(data, "ad_account", "id") or _get(ad, "ad_account_id")
        self.account = _get(data, "ad_account", "name") or "your ad account"
        self.brand = _get(data, "business", "name") or "The brand"
        self.days = data.get("days")

    def your_code(self) -> Link | None:
        if not self.post_id:
            return None
        anchor = f"#code-{self.auth}" if self.auth else ""
        return Link(f"Your code {self.hint}", f"/posts/{self.post_id}{anchor}")

    def your_post(self) -> Link | None:
        if not self.post_id:
            return None
        words = f"“{self.caption}”" if self.caption else "(no caption)"
        return Link(f"Your post {words}", f"/posts/{self.post_id}")

    def brand_code(self) -> Link | None:
        if not self.account_id:
            return None
        return Link(f"The code {self.hint} in {self.account}", f"/ad-accounts/{self.account_id}")

    def ask_to_extend(self, label: str | None = None) -> Link | None:
        if not self.account_id:
            return None
        anchor = f"#ask-{self.auth}" if self.auth else ""
        return Link(label or f"Ask {self.who} to extend",
                    f"/ad-accounts/{self.account_id}{anchor}")

    def ask_for_code(self, label: str | None = None) -> Link | None:
        if not self.account_id:
            return None
        return Link(label or f"Ask {self.who} for a new code",
                    f"/ad-accounts/{self.account_id}/requests")

    def the_ad(self) -> Link | None:
        if not self.ad_id:
            return None
        more = f" and {self.more_ads} more" if self.more_ads else ""
        return Link(f"Ad “{self.ad_name}”{more}", f"/ads/{self.ad_id}")

    def stopped_ad(self) -> Link | None:
        if self.ad_id:
            return Link("Review the stopped ad", f"/ads/{self.ad_id}")
        if self.business_id:
            return Link("Open the tracker", f"/businesses/{self.business_id}/tracker")
        return None


def _brand(kind: str, f: _Facts, data: Mapping[str, Any]) -> Advice:
    match kind:
        case "authorization.expiring":
            return Advice(f"Ask {f.who} to extend {f.hint} before it ends: the ads on it stop "
                          "then.", f.brand_code(), f.ask_to_extend())
        case "authorization.expired":
            return Advice(f"Ask {f.who} to extend the same code: its ads resume as they were.",
                          f.brand_code(), f.ask_to_extend())
        case "authorization.extended" | "renewal_request.approved":
            return Advice(f"Nothing to do: {f.who} extended {f.hint} and its ads keep running.",
                          f.brand_code(), None)
        case "authorization.deleted":
            return Advice(f"Ask {f.who} for a new code: ads on a deleted one cannot deliver.",
                          f.brand_code(), f.ask_for_code())
        case "post.edited" | "post.privatised" | "post.taken_down" | "post.deleted" \
                | "creator.ad_settings_off" | "ad.stopped":
            return Advice("Review the stopped ad: pause it or swap in another post.",
                          f.the_ad(), f.stopped_ad())
        case "ad.fallback_applied":
            return Advice("Check the ad your fallback policy changed.", f.the_ad(),
                          Link("Review the ad", f"/ads/{f.ad_id}") if f.ad_id else None)
        case "renewal_request.declined":
            return Advice(f"Ask {f.who} for a new code, or run another creator's post.",
                          f.brand_code(), f.ask_for_code())
        case "renewal_request.expired":
            return Advice(f"{f.who} did not answer: ask again.", f.brand_code(),
                          f.ask_to_extend(f"Ask {f.who} again"))
        case "code_request.accepted":
            sp = data.get("spark_post_id")
            subject = (Link(f"{f.who}'s Spark post in {f.account}",
                            f"/ad-accounts/{f.account_id}" + (f"#spark-{sp}" if sp else ""))
                       if f.account_id else None)
            action = (Link("Run it in an ad", f"/ad-accounts/{f.account_id}/campaigns")
                      if f.account_id else None)
            return Advice("The code is bound to your ad account: run the post in an ad.",
                          subject, action)
        case "code_request.declined" | "code_request.expired":
            subject = (Link("Your code request",
                            f"/ad-accounts/{f.account_id}/requests#code-request-"
                            f"{data.get('code_request_id')}") if f.account_id else None)
            return Advice(f"Ask {f.who} again, or ask another creator for a code.", subject,
                          f.ask_for_code("Ask for a code again"))
        case "creator_link.answered":
            sp = data.get("spark_post_id")
            subject = (Link(f"{f.who}'s Spark post in {f.account}",
                            f"/ad-accounts/{f.account_id}" + (f"#spark-{sp}" if sp else ""))
                       if f.account_id else None)
            if data.get("kind") == "renewal":
                return Advice(f"Nothing to do: {f.who} extended the code and its ads keep "
                              "running.", subject, None)
            action = (Link("Run it in an ad", f"/ad-accounts/{f.account_id}/campaigns")
                      if f.account_id else None)
            return Advice("The code is bound on TikTok: run the post in an ad.", subject, action)
        case "misuse.reported":
            return Advice(f"Check how the ads in {f.account} use {f.who}'s post.",
                          f.brand_code(),
                          Link("Review the Spark posts", f"/ad-accounts/{f.account_id}")
                          if f.account_id else None)
        case "webhook_endpoint.disabled":
            endpoint = data.get("endpoint_id")
            link = f"/webhook-endpoints/{endpoint}" if endpoint else None
            return Advice("Fix the receiver, then enable the endpoint again.",
                          Link(f"Endpoint {data.get('url') or ''}".strip(), link) if link else None,
                          Link("Fix the endpoint", link) if link else None)
        case "connection.broken":
            business = data.get("business_id") or f.business_id
            link = f"/businesses/{business}/tiktok" if business else None
            label = ("Reconnect TikTok" if data.get("state") == "token_revoked"
                     else "Review the advertisers")
            return Advice("Reconnect, or review the advertisers TikTok no longer shows you.",
                          Link("Your TikTok connection", link) if link else None,
                          Link(label, link) if link else None)
        case "audit.chain_broken":
            return Advice("Find out who changed the database outside sparkcodes: nothing in "
                          "sparkcodes can undo it.",
                          Link("Your business", f"/businesses/{f.business_id}")
                          if f.business_id else None, None)
    raise ValueError(f"no words for {kind!r} told to a brand: add them to notification.rules")


def _creator(kind: str, f: _Facts) -> Advice:
    match kind:
        case "authorization.expiring":
            return Advice(f"Extend your code before it ends, so {f.account} can keep running "
                          "your post.", f.your_code(), _same(f.your_code(), "Extend your code"))
        case "authorization.expired":
            return Advice(f"Extend your code so {f.account} can run your post again: any ads "
                          "on it resume as they were.", f.your_code(),
                          _same(f.your_code(), "Extend your code"))
        case "post.taken_down":
            return Advice("Moderation took your post down; nothing in sparkcodes can bring it "
                          "back.", f.your_post(), None)
        case "renewal_request.created":
            rid = None if f.post_id is None else f"/posts/{f.post_id}#renewal-"
            return Advice(f"{f.brand} asks you to extend your code {f.hint} by {f.days} days.",
                          f.your_code(), None if rid is None else Link(
                              "Approve or decline", rid + str(_renewal_id(f))))
        case "code_request.created":
            return Advice(f"{f.brand} asks you for a {f.days}-day code on your post.",
                          f.your_post(), _answer_code_request(f))
        case "code_request.cancelled":
            return Advice(f"Nothing to answer: {f.brand} withdrew its request.", f.your_post(),
                          None)
    raise ValueError(f"no words for {kind!r} told to a creator: add them to notification.rules")


def _same(link: Link | None, label: str) -> Link | None:
    return Link(label, link.href) if link else None


def _renewal_id(f: _Facts) -> str:
    return str(f.extra.get("renewal_request_id") or "")


def _answer_code_request(f: _Facts) -> Link | None:
    creator_id, request_id = _get(f.extra, "creator", "id"), f.extra.get("code_request_id")
    if not creator_id:
        return None
    return Link("Accept or decline", f"/creators/{creator_id}#code-request-{request_id}")


_AUDIENCE = {BRAND: "business", CREATOR: "creator"}


def _audience(kind: str) -> str | None:
    event = EVENTS.get(kind)
    return None if event is None or kind in WEBHOOK_ONLY else event.audience


def advice(*, kind: str, reader: str, data: Mapping[str, Any],
           business_id: str | None) -> Advice | None:
    """The sentence, subject and next step of an alert of ``kind`` for this reader; None for a
    reader the kind never reaches (see the catalog's audience)."""
    audience = _audience(kind)
    if audience is None or (audience != "both" and audience != _AUDIENCE[reader]):
        return None
    facts = _Facts(data, business_id)
    return _brand(kind, facts, data) if reader == BRAND else _creator(kind, facts)
