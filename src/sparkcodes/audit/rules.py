"""What a broken link in the audit chain is, and how it is named (pure, no database)."""

from __future__ import annotations

from dataclasses import dataclass

CONTENT_CHANGED = "content_changed"
ROW_MISSING = "row_missing"
ROW_INSERTED = "row_inserted"
ORDER_CHANGED = "order_changed"
UNKNOWN_KEY = "unknown_key"
HEAD_CHANGED = "head_changed"

LABELS = {
    CONTENT_CHANGED: "content changed",
    ROW_MISSING: "row missing",
    ROW_INSERTED: "row inserted",
    ORDER_CHANGED: "order changed",
    UNKNOWN_KEY: "unknown key",
    HEAD_CHANGED: "chain head changed",
}


@dataclass(frozen=True)
class Break:
    """The first broken link: what is wrong, at which row and position, and whose rows."""

    kind: str
    event_id: str | None
    seq: int | None
    detail: str
    business_ids: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def where(self) -> str:
        parts = []
        if self.event_id:
            parts.append(f"row {self.event_id}")
        if self.seq is not None:
            parts.append(f"position {self.seq}")
        return ", ".join(parts) or "the chain head"

    @property
    def message(self) -> str:
        return f"{self.label} at {self.where}: {self.detail}"

    @property
    def key(self) -> str:
        """Identifies the break for de-duplication: the same break is alerted once."""
        return f"{self.kind}:{self.event_id or '-'}:{self.seq if self.seq is not None else '-'}"


def unverified_kind(*, stored_hash: str, expected_prev: str, successor_prev: str | None,
                    seq: int, head_seq: int) -> str:
    """A link whose hash does not cover its row and predecessor: was the row changed in place,
    or put in? A changed row keeps its place, so what follows still links to its hash; an
    inserted one was never linked to, so what follows links to the row before it, or nothing
    follows and it lies past the head."""
    if successor_prev is not None:
        if successor_prev == stored_hash:
            return CONTENT_CHANGED
        if successor_prev == expected_prev:
            return ROW_INSERTED
        return CONTENT_CHANGED
    return ROW_INSERTED if seq > head_seq else CONTENT_CHANGED


def relinked_kind(*, predecessor_exists: bool) -> str:
    """A genuine link whose predecessor is not the link before it: the link it names exists
    elsewhere (rows were reordered) or nowhere (the row before it was removed)."""
    return ORDER_CHANGED if predecessor_exists else ROW_MISSING
