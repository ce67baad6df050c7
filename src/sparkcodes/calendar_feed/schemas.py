from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sparkcodes.models import CalendarFeed


class CalendarFeedOut(BaseModel):
    id: str
    scope: str = Field(description="business or creator")
    business_id: str | None
    creator_id: str | None
    created_by_id: str
    created_at: datetime
    revoked_at: datetime | None
    active: bool


class NewCalendarFeedOut(CalendarFeedOut):
    url: str = Field(description="Shown once: subscribe to it in a calendar app (webcal works "
                                 "too). sparkcodes keeps only a hash; revoke it if it leaks.")


def feed_out(feed: CalendarFeed) -> CalendarFeedOut:
    return CalendarFeedOut(
        id=feed.id, scope="business" if feed.business_id else "creator",
        business_id=feed.business_id, creator_id=feed.creator_id,
        created_by_id=feed.created_by_id, created_at=feed.created_at,
        revoked_at=feed.revoked_at, active=feed.revoked_at is None,
    )
