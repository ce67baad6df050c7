from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from sparkcodes.kit.text import SingleLine


class SignUp(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    name: SingleLine = Field("", max_length=120)


class LogIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    name: SingleLine = Field("", max_length=120, description="A label for the token")


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
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class NewToken(TokenOut):
    token: str = Field(description="Shown once: keep it somewhere safe")
