"""Which ads deliver on a code, post or creator account right now ("in use by a live ad", R12).

R1, R4, R9 and R11 refuse changes while a live ad runs. Ads are created with campaigns and ad
groups (R20); an ad account's Spark posts carry no ads until then, so these answers are empty
while no ad exists.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sparkcodes.authorization.rules import LiveAd


def live_ads_by_authorization(
    session: Session, *, authorization_ids: list[str], now: datetime
) -> dict[str, list[LiveAd]]:
    return {auth_id: [] for auth_id in authorization_ids}


def live_ads_of_post(session: Session, *, post_id: str, now: datetime) -> list[LiveAd]:
    return []


def live_ads_of_creator(session: Session, *, creator_id: str, now: datetime) -> list[LiveAd]:
    return []
