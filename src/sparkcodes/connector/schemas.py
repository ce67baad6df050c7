"""What the connection routes take and answer: never an access token or an app secret."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sparkcodes.connector import rules
from sparkcodes.connector.service import ConnectionView, sync_words
from sparkcodes.kit.text import SingleLine


class TokenLinkIn(BaseModel):
    access_token: str = Field(max_length=rules.MAX_TOKEN,
                              description="A long-lived access token; stored sealed, never shown")
    advertiser_ids: list[str] = Field(max_length=rules.MAX_ADVERTISERS,
                                      description="The advertisers the token may use")
    base_url: SingleLine | None = Field(None, max_length=rules.MAX_URL,
                                 description="TikTok's production host unless given")


class AppFlowIn(BaseModel):
    app_id: str = Field(max_length=rules.MAX_APP_ID)
    secret: str = Field(max_length=rules.MAX_SECRET,
                        description="The developer app's secret; stored sealed, never shown")
    base_url: SingleLine | None = Field(None, max_length=rules.MAX_URL)


class AdvertiserOut(BaseModel):
    advertiser_id: str
    name: str
    gone_at: datetime | None


class SyncOut(BaseModel):
    advertiser_id: str
    trigger: str
    stage: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    calls: int
    error: str | None
    words: str


class SyncQueued(BaseModel):
    advertiser_ids: list[str] = Field(description="The advertisers whose sync was queued")


class ConnectionOut(BaseModel):
    id: str
    business_id: str
    base_url: str
    method: str
    app_id: str | None
    state: str
    state_words: str
    checked_at: datetime | None
    check_summary: str | None
    throttled_until: datetime | None
    token_revoked_at: datetime | None
    last_error_code: int | None
    advertisers: list[AdvertiserOut]
    syncs: list[SyncOut] = Field(description="The latest sync of each advertiser")
    created_at: datetime

    @classmethod
    def of(cls, v: ConnectionView) -> ConnectionOut:
        c = v.connection
        return cls(id=c.id, business_id=c.business_id, base_url=c.base_url, method=c.method,
                   app_id=c.app_id, state=v.state, state_words=v.words, checked_at=c.checked_at,
                   check_summary=c.check_summary, throttled_until=c.throttled_until,
                   token_revoked_at=c.token_revoked_at, last_error_code=c.last_error_code,
                   advertisers=[AdvertiserOut(advertiser_id=a.advertiser_id, name=a.name,
                                              gone_at=a.gone_at) for a in v.advertisers],
                   syncs=[SyncOut(advertiser_id=r.advertiser_id, trigger=r.trigger,
                                  stage=r.stage, started_at=r.started_at,
                                  finished_at=r.finished_at, counts=dict(r.counts or {}),
                                  calls=r.calls, error=r.error, words=sync_words(r))
                          for r in v.syncs.values()],
                   created_at=c.created_at)


class AppFlowStarted(BaseModel):
    connection: ConnectionOut
    authorize_url: str = Field(description="Send the person here to authorize the app in TikTok")
    redirect_url: str = Field(description="The callback page the developer app must register")
