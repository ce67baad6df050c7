from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from sparkcodes.deps import SessionDep, UserDep
from sparkcodes.kit import clock
from sparkcodes.notification import watch
from sparkcodes.post import service as post_service
from sparkcodes.sandbox import service

router = APIRouter(prefix="/v1/sandbox", tags=["sandbox"])


class ClockOut(BaseModel):
    now: datetime
    offset_seconds: float


class ClockMove(BaseModel):
    advance: timedelta | None = Field(None, description="ISO 8601 duration, e.g. P31D or PT6H")
    set: datetime | None = Field(None, description="An instant (with its offset) after now")


def _out() -> ClockOut:
    return ClockOut(now=clock.utc_now(), offset_seconds=clock.get_offset().total_seconds())


@router.get("/clock", response_model=ClockOut)
def read_clock(user: UserDep) -> ClockOut:
    """Read the sandbox clock."""
    return _out()


@router.post("/clock", response_model=ClockOut)
def move_clock(body: ClockMove, user: UserDep, session: SessionDep) -> ClockOut:
    """Move the sandbox clock forward, by a duration (`advance`) or to an instant (`set`)."""
    service.move(session, actor_id=user.id, advance=body.advance, set_to=body.set)
    return _out()


class TakeDownIn(BaseModel):
    reason: str = Field("Community guidelines", min_length=1, max_length=200)


@router.post("/posts/{post_id}/take-down", status_code=200)
def take_down_post(post_id: str, body: TakeDownIn, user: UserDep,
                   session: SessionDep) -> dict[str, Any]:
    """Rehearse a moderation take-down of one of your posts (R11): every ad on it stops."""
    post, _ = post_service.get_owned(session, user=user, post_id=post_id)
    post = post_service.take_down(session, actor_id=user.id, post=post, reason=body.reason,
                                  watch=watch)
    return {"id": post.id, "taken_down_at": post.taken_down_at, "reason": post.take_down_reason}
