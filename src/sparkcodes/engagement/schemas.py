from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from sparkcodes.values import Message

EventType = Literal["impression", "view_2s", "view_6s", "view_15s", "completion", "like",
                    "comment", "share", "follow", "profile_visit", "music_click", "click"]


class EventIn(BaseModel):
    event_id: str = Field(min_length=1, max_length=100,
                          description="Unique per post; a retried event with the same id "
                                      "counts once")
    post_id: str = Field(max_length=32)
    type: EventType
    ad_id: str | None = Field(None, max_length=32,
                              description="The ad that produced it; none = organic")
    occurred_at: datetime | None = Field(
        None, description="Defaults to now; give an offset (a bad instant refuses only its event)")
    comment_text: str | None = Field(
        None, max_length=500,
        description="A comment event's text as posted; scored for the pre-promotion review's "
                    "comment sentiment. Refused on other event types")


class EventsIn(BaseModel):
    events: list[EventIn]


class EventResultOut(BaseModel):
    event_id: str
    status: Literal["accepted", "duplicate", "refused"]
    error: Message | None = None


class EventsOut(BaseModel):
    accepted: int
    duplicates: int
    refused: int
    results: list[EventResultOut]
