"""Interfaces a low noun declares and a higher layer implements, so that imports flow one way.

Creator accounts, posts and codes refuse a change while a live ad runs on them (R1, R4, R9, R11)
and tell the businesses that hold them what changed (R23). Both answers belong above them (ads
decide what is live, notifications decide whom to tell), so their services take an ``AdWatch``;
``sparkcodes.notification.watch`` implements it and every adapter passes that module.

An ad account mirrored from TikTok is changed where it lives: binds, previews, pauses and
unbinds on it go through an ``AdActions`` (``sparkcodes.connector.actions`` calls TikTok and then
syncs the advertiser); native ad accounts keep today's services.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from sparkcodes.config import Settings
from sparkcodes.models import Ad, AdAccount, Authorization, Post, SparkPost, User
from sparkcodes.values import LiveAd, RemoteBound, RemoteCode


class AdWatch(Protocol):
    def live_ads_by_authorization(self, session: Session, *, authorization_ids: list[str],
                                  now: datetime) -> dict[str, list[LiveAd]]:
        """The ads delivering on each code right now."""

    def live_ads_of_post(self, session: Session, *, post_id: str,
                         now: datetime) -> list[LiveAd]:
        """The ads delivering on the post, or on a duet or stitch made from it."""

    def live_ads_of_creator(self, session: Session, *, creator_id: str,
                            now: datetime) -> list[LiveAd]:
        """The code-bound ads delivering on the account's posts."""

    def code_changed(self, session: Session, *, authorization: Authorization, event_type: str,
                     now: datetime, tell_people: bool = True) -> None:
        """Tell the business using the code that its creator deleted or extended it
        (``tell_people`` False: its webhooks only)."""

    def post_changed(self, session: Session, *, posts: list[Post], event_type: str, title: str,
                     body: str, now: datetime, tell_creator: bool = False) -> None:
        """Tell the businesses holding the posts that a change stopped (or may stop) their ads."""


class AdActions(Protocol):
    """Writes on a mirrored ad account, made on the TikTok it is mirrored from. Each ends the
    caller's transaction before calling TikTok (nothing is held while TikTok answers) and syncs
    the advertiser after a change, so the mirror shows what TikTok now says."""

    def preview_code(self, session: Session, *, settings: Settings, account: AdAccount,
                     text: str) -> RemoteCode:
        """What the code would attach, and what stops it (tt_video/info); raises AppError when
        TikTok refuses the code."""

    def bind_codes(self, session: Session, *, settings: Settings, user: User | None,
                   account: AdAccount, codes: list[str],
                   original_codes: list[str]) -> list[RemoteBound]:
        """Apply each code (tt_video/info, then tt_video/authorize), one result per code.
        ``user`` None: the creator applied it through an e-mailed link (no account)."""

    def resync(self, session: Session, *, settings: Settings, account: AdAccount) -> bool:
        """Sync the advertiser now (what TikTok says of its posts' code windows); False when
        the sync could not finish now (another worker holds it, TikTok throttles)."""

    def set_ad_status(self, session: Session, *, settings: Settings, user: User | None,
                      account: AdAccount, ad: Ad, enable: bool) -> None:
        """Pause (``enable`` False) or enable the ad on TikTok (ad/status/update)."""

    def unbind(self, session: Session, *, settings: Settings, user: User, account: AdAccount,
               spark_post: SparkPost) -> None:
        """Remove the post from the advertiser's authorized posts (tt_video/unbind)."""
