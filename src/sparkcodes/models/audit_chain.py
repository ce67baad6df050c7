from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base


class AuditLink(Base):
    """One audit row's place in the chain: its keyed hash covers the row and the previous hash.

    Append-only like the audit row it seals (a trigger refuses UPDATE, DELETE and TRUNCATE).
    ``seq`` is the chain's order, assigned under the chain head's lock when the transaction that
    wrote the row commits; ``business_id`` names whom to tell if the row itself disappears.
    """

    __tablename__ = "audit_links"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(ForeignKey("audit_events.id"), unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str] = mapped_column(String(16))
    business_id: Mapped[str | None] = mapped_column(String(32))


class AuditChainHead(Base):
    """The single row (id 1) naming the chain's last link: appenders serialize on its lock."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditAlert(Base):
    """A break of the chain the scheduled verifier told the admins about: once per break (the
    key names its kind, row and position), whichever worker finds it first."""

    __tablename__ = "audit_alerts"

    break_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(String(1000))
    detected_at: Mapped[datetime]
