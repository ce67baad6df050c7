from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    event_id: str
    event_type: str
    title: str
    body: str
    data: dict[str, Any]
    business_id: str | None
    creator_id: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationsOut(BaseModel):
    unread: int
    items: list[NotificationOut]


class MarkReadIn(BaseModel):
    ids: list[str] | None = Field(None, max_length=500, description="Leave out to mark all read")


class EmailChoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(description="The event type, as in the event catalog")
    audience: str
    summary: str
    emailed: bool = Field(description="False: you unticked it; it still appears in-app")


class EmailChoicesIn(BaseModel):
    emailed: list[str] = Field(max_length=100, description=(
        "The event types that reach you by e-mail; every other one is in-app only"))
