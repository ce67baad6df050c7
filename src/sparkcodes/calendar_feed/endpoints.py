from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sparkcodes.business.auth import BusinessRead
from sparkcodes.calendar_feed import service
from sparkcodes.calendar_feed.schemas import CalendarFeedOut, NewCalendarFeedOut, feed_out
from sparkcodes.config import Settings
from sparkcodes.creator import service as creator_service
from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import CalendarFeed

router = APIRouter(prefix="/v1", tags=["calendar feeds"])


def _new(feed: CalendarFeed, token: str, settings: Settings) -> NewCalendarFeedOut:
    return NewCalendarFeedOut(**feed_out(feed).model_dump(), url=service.url(settings, token))


@router.post("/businesses/{business_id}/calendar-feeds", response_model=NewCalendarFeedOut,
             status_code=201)
def create_business_feed(business_id: str, access: BusinessRead, user: UserDep, session: SessionDep,
                         settings: SettingsDep) -> NewCalendarFeedOut:
    """A secret iCalendar URL with one event per end of a code bound to the business's ad
    accounts, with alarms at the reminder offsets (R28). The URL is in this response only."""
    business = access.business
    feed, token = service.create_for_business(session, settings=settings, user=user,
                                              business=business)
    return _new(feed, token, settings)


@router.get("/businesses/{business_id}/calendar-feeds", response_model=list[CalendarFeedOut])
def list_business_feeds(business_id: str, access: BusinessRead,
                        session: SessionDep) -> list[CalendarFeedOut]:
    """The business's calendar feeds, newest first (never their URLs)."""
    business = access.business
    return [feed_out(f) for f in service.of_business(session, business=business)]


@router.post("/creators/{creator_id}/calendar-feeds", response_model=NewCalendarFeedOut,
             status_code=201)
def create_creator_feed(creator_id: str, user: UserDep, session: SessionDep,
                        settings: SettingsDep) -> NewCalendarFeedOut:
    """A secret iCalendar URL with one event per end of your account's codes, naming the
    businesses that use each (R28). The URL is in this response only."""
    creator = creator_service.get_owned(session, user=user, creator_id=creator_id)
    feed, token = service.create_for_creator(session, settings=settings, user=user,
                                             creator=creator)
    return _new(feed, token, settings)


@router.get("/creators/{creator_id}/calendar-feeds", response_model=list[CalendarFeedOut])
def list_creator_feeds(creator_id: str, user: UserDep,
                       session: SessionDep) -> list[CalendarFeedOut]:
    """Your creator account's calendar feeds, newest first (never their URLs)."""
    creator = creator_service.get_owned(session, user=user, creator_id=creator_id)
    return [feed_out(f) for f in service.of_creator(session, creator=creator)]


@router.delete("/calendar-feeds/{feed_id}", response_model=CalendarFeedOut)
def revoke_feed(feed_id: str, user: UserDep, session: SessionDep) -> CalendarFeedOut:
    """Revoke a feed: its URL stops working at once. Revoking twice is harmless."""
    feed = service.get_for_revoke(session, user=user, feed_id=feed_id)
    return feed_out(service.revoke(session, user=user, feed=feed))


@router.get("/calendar/{token}.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}})
def calendar(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """The feed itself, for calendar apps: no bearer token, the secret URL is the key.
    Unknown or revoked URLs answer 404."""
    feed = service.open_feed(session, settings=settings, token=token)
    body = service.render(session, settings=settings, feed=feed, now=utc_now())
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300",
                             "Content-Disposition": 'inline; filename="spark-codes.ics"'})
