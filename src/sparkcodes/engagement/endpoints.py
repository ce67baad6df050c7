from __future__ import annotations

from fastapi import APIRouter

from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.engagement import service
from sparkcodes.engagement.schemas import EventResultOut, EventsIn, EventsOut
from sparkcodes.values import Message

router = APIRouter(prefix="/v1", tags=["engagement"])


@router.post("/engagement/events", response_model=EventsOut)
def ingest_events(body: EventsIn, user: UserDep, session: SessionDep,
                  settings: SettingsDep) -> EventsOut:
    """Record engagement events (impressions, views, likes, ...), organic or produced by an ad.

    Each event counts once, however often it is sent (`event_id` is unique per post). Paid events
    are refused when their ad was not delivering at `occurred_at`, with the reasons. Organic
    events come from the post's owner; paid ones from the owner or an operator of the ad's
    account."""
    results = service.ingest(session, settings=settings, user=user, events=[
        service.EventIn(event_id=e.event_id, post_id=e.post_id, type=e.type,
                        occurred_at=e.occurred_at, ad_id=e.ad_id,
                        comment_text=e.comment_text) for e in body.events
    ])
    out = [EventResultOut(event_id=r.event_id, status=r.status,
                          error=Message(code=r.error.code, message=r.error.message)
                          if r.error else None) for r in results]
    return EventsOut(
        accepted=sum(1 for r in results if r.status == "accepted"),
        duplicates=sum(1 for r in results if r.status == "duplicate"),
        refused=sum(1 for r in results if r.status == "refused"),
        results=out,
    )
