"""Which ads deliver on a code, post or creator account right now ("in use by a live ad", R12).

R1, R4, R9 and R11 refuse changes while a live ad runs; "live" is the delivery status of
ad/rules.py, never a stored flag.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sparkcodes.ad import repository as ad_repository
from sparkcodes.ad import service as ad_service
from sparkcodes.values import LiveAd


def live_ads_by_authorization(
    session: Session, *, authorization_ids: list[str], now: datetime
) -> dict[str, list[LiveAd]]:
    out: dict[str, list[LiveAd]] = {auth_id: [] for auth_id in authorization_ids}
    ads = ad_repository.ads_on_authorizations(session, authorization_ids)
    if not ads:
        return out
    views = ad_service.deliveries(session, ads, now)
    spark_of = {v.ad.id: v.spark_post for v in views}
    for live_ad in ad_service.live_ads_of_views(session, views):
        spark = spark_of[live_ad.ad_id]
        for auth_id in (spark.authorization_id, spark.original_authorization_id):
            if auth_id in out:
                out[auth_id].append(live_ad)
    return out


def live_ads_of_post(session: Session, *, post_id: str, now: datetime) -> list[LiveAd]:
    """Ads running the post itself, or a duet or stitch made from it (which stops with it)."""
    return ad_service.live_ads(session, ad_repository.ads_depending_on_posts(session, [post_id]),
                               now)


def live_ads_of_creator(session: Session, *, creator_id: str, now: datetime) -> list[LiveAd]:
    """Code-bound ads on the account's posts, or on duets and stitches of them (R1)."""
    ads = ad_repository.ads_depending_on_posts(
        session, ad_repository.post_ids_of_creator(creator_id))
    # Own-account (TT_USER) ads of this creator do not depend on its ad settings.
    ads = [a for a in ads if a.identity_type == "AUTH_CODE"]
    return ad_service.live_ads(session, ads, now)
