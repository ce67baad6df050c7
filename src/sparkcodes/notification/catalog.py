"""The event catalog: every event sparkcodes emits, in-app, by e-mail and as a webhook (R23, R32).

docs/events.md is written from this table; a test keeps them in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    name: str
    audience: str  # who is told: "business", "creator" or "both"
    summary: str


EVENTS = {e.name: e for e in [
    EventType("authorization.expiring", "both",
              "A code in use ends within a reminder offset (72 h, then 24 h): ask to extend, "
              "or swap."),
    EventType("authorization.expired", "both",
              "A code in use reached its end: its ads stopped (AUTHORIZATION_EXPIRED), or none "
              "ran on it; sent late (saying how late) if the worker was down, never dropped."),
    EventType("authorization.extended", "business",
              "The creator extended a code you use (on an approved renewal request, as a "
              "webhook only: people are told once, by renewal_request.approved)."),
    EventType("authorization.deleted", "business",
              "The creator deleted a code you use: its ads stopped (AUTHORIZATION_DELETED)."),
    EventType("post.edited", "business",
              "The creator edited a post you run: ads on the old revision stopped (POST_EDITED)."),
    EventType("post.privatised", "business",
              "The creator made a post you run private (POST_PRIVATE)."),
    EventType("post.taken_down", "both",
              "A post you run was taken down by moderation (POST_UNAVAILABLE)."),
    EventType("post.deleted", "business",
              "The creator deleted a post you hold (POST_UNAVAILABLE)."),
    EventType("creator.ad_settings_off", "business",
              "The creator switched account ad settings off (ACCOUNT_AD_SETTINGS_OFF)."),
    EventType("ad.stopped", "business", "An ad stopped delivering, with the reasons."),
    EventType("ad.fallback_applied", "business",
              "A fallback policy paused an ad or swapped in its backup before a code lapsed."),
    EventType("renewal_request.created", "creator", "A brand asks you to extend a code."),
    EventType("renewal_request.approved", "business", "The creator approved your renewal request."),
    EventType("renewal_request.declined", "business", "The creator declined your renewal request."),
    EventType("renewal_request.expired", "business",
              "Your renewal request expired unanswered (14 days): you can ask again."),
    EventType("code_request.created", "creator", "A brand asks you for a code on a post."),
    EventType("code_request.accepted", "business",
              "The creator accepted your code request: the code is bound to your ad account."),
    EventType("code_request.declined", "business", "The creator declined your code request."),
    EventType("code_request.expired", "business", "Your code request expired unanswered."),
    EventType("code_request.cancelled", "creator",
              "The brand withdrew its code request: there is nothing to answer."),
    EventType("creator_link.answered", "business",
              "A creator who is not on sparkcodes answered your e-mailed link: their code is "
              "bound on TikTok, or TikTok shows their code's new end."),
    EventType("misuse.reported", "business", "A creator reported misuse of a code you use."),
    EventType("webhook_endpoint.disabled", "business",
              "A webhook endpoint failed for three days and was disabled."),
    EventType("connection.broken", "business",
              "A TikTok connection broke (token revoked, or an advertiser gone): its admins are "
              "told once per change."),
    EventType("audit.chain_broken", "business",
              "The audit log was altered outside sparkcodes (a row changed, removed, put in or "
              "moved): the scheduled check tells the admins of the businesses whose rows it "
              "touches, once per break."),
    EventType("webhook.test", "business",
              "A test event, sent on request to one endpoint only (POST .../test)."),
]}
