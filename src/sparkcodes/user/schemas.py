from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from sparkcodes.kit import limits
from sparkcodes.kit.text import SingleLine


class SignUp(BaseModel):
    email: str = Field(max_length=limits.EMAIL)
    password: str = Field(max_length=limits.PASSWORD)
    name: SingleLine = Field("", max_length=limits.PERSON_NAME)


class LogIn(BaseModel):
    email: str = Field(max_length=limits.EMAIL)
    password: str = Field(max_length=limits.PASSWORD)
    name: SingleLine = Field("", max_length=limits.PERSON_NAME,
                             description="A label for the token")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    created_at: datetime


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    hint: str
    kind: str = Field(description="api (log-in, CLI) or session (a page's sign-in)")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="A session's last use (to the minute)")


class NewToken(TokenOut):
    token: str = Field(description="Shown once: keep it somewhere safe")
