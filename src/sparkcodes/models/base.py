"""One metadata with a naming convention, so migrations name every constraint the same way."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime}


def id_column() -> Mapped[str]:
    return mapped_column(String(32), primary_key=True, default=new_id)


# TikTok's ids are 19-digit numeric strings that some clients parse as signed 64-bit integers.
TIKTOK_ID_MIN = 10**18
TIKTOK_ID_MAX = 2**63 - 1


def new_tiktok_id() -> int:
    """A random numeric id in TikTok's shape: 19 digits, fits a signed 64-bit integer."""
    return TIKTOK_ID_MIN + secrets.randbelow(TIKTOK_ID_MAX - TIKTOK_ID_MIN + 1)


def tiktok_id_column() -> Mapped[int]:
    """The object's id on the TikTok-compatible surface (docs/tiktok.md, "Ids")."""
    return mapped_column(BigInteger, unique=True, nullable=False, default=new_tiktok_id)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime, default=utc_now, nullable=False)


# --- the TikTok mirror (docs/connector.md, "One model, two sources") ------------------------------

NATIVE, TIKTOK = "native", "tiktok"
# A creator who is not on sparkcodes, known to a brand's roster by handle and e-mail only.
CONTACT = "contact"


def source_column() -> Mapped[str]:
    """Where the row comes from: ``native`` (made in sparkcodes) or ``tiktok`` (mirrored by a
    connection's sync, written only by it)."""
    return mapped_column(String(10), default=NATIVE, server_default=NATIVE)


def external_id_column() -> Mapped[str | None]:
    """The object's id on the connection's TikTok (a mirrored row's key there)."""
    return mapped_column(String(64))


def connection_column() -> Mapped[str | None]:
    """The TikTok connection a mirrored row came through."""
    return mapped_column(ForeignKey("tiktok_connections.id"))


def mirror_index(table: str) -> Index:
    """One row per TikTok object and connection: a sync upserts, never duplicates."""
    return Index(f"uq_{table}_source_connection_id_external_id", "source", "connection_id",
                 "external_id", unique=True)
