"""The audit log: one append-only row per state change, written in the change's transaction,
and sealed in a hash chain when that transaction commits (docs/security.md)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, event, inspect
from sqlalchemy.orm import Session, SessionTransaction

from sparkcodes.audit import repository, rules
from sparkcodes.config import Settings
from sparkcodes.kit import chain
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.context import current_request_id
from sparkcodes.models import AuditEvent, new_id

# Field names whose values are secrets and never reach the log.
_SECRET_KEYS = {"code", "code_hash", "token", "token_hash", "password", "password_hash"}


def _clean(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in _SECRET_KEYS:
            continue
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def record(
    session: Session,
    *,
    actor_id: str | None,
    action: str,
    target_type: str,
    target_id: str,
    creator_id: str | None = None,
    business_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    **extra: Any,
) -> AuditEvent:
    """Append an audit row (action is ``noun.past_tense``); secrets are dropped, never stored."""
    details: dict[str, Any] = {}
    if before is not None:
        details["before"] = _clean(before)
    if after is not None:
        details["after"] = _clean(after)
    if extra:
        details.update(_clean(extra) or {})
    # Stored as it reads back, so the chain hashes what a verifier will see.
    details = json.loads(json.dumps(details, allow_nan=False))
    row = AuditEvent(
        id=new_id(),
        occurred_at=utc_now(),
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        creator_id=creator_id,
        business_id=business_id,
        details=details,
        request_id=current_request_id(),
    )
    repository.add(session, row)
    session.info.setdefault(_PENDING, []).append(row)
    return row


# --- the chain ----------------------------------------------------------------------------------
#
# Ordering under concurrent writers: an audit row is inserted when ``record`` runs (visible to
# its own transaction, undone with a savepoint like any other write), and its link is written
# when the transaction commits, in ``before_commit``: after the last flush, the transaction takes
# the chain head's lock (an UPDATE of the single head row), reserves the next positions, links
# its surviving rows in the order they were recorded, and names the new last link in the head.
# The head lock is the last lock a transaction takes and is held only for those few statements
# and the commit, so appenders serialize there and nowhere else (no lock-order deadlock with the
# rest of the transaction). On PostgreSQL a second appender's UPDATE waits for the row and then
# reads the first one's committed head; on SQLite writers hold the database's write lock from
# BEGIN IMMEDIATE, and a deferred transaction with a stale snapshot fails instead of forking.

_PENDING = "audit_pending"


def keyring(settings: Settings) -> chain.Keyring:
    return _keyring(settings.secret_key, tuple(settings.previous_secret_keys))


@lru_cache(maxsize=8)
def _keyring(secret_key: str, previous: tuple[str, ...]) -> chain.Keyring:
    return chain.Keyring(secret_key, list(previous))


def _session_keys(session: Session) -> chain.Keyring:
    settings = session.info.get("settings")
    if not isinstance(settings, Settings):
        raise RuntimeError("audit rows are chained under the secret key: open the session "
                           "through sparkcodes.db.Database, which names the settings")
    return keyring(settings)


@event.listens_for(Session, "before_commit")
def _link_on_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the rows are not final yet
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        link(session, pending, _session_keys(session).current)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous: SessionTransaction) -> None:
    # The whole transaction rolled back: its rows are gone. (A savepoint's rollback keeps the
    # list; ``link`` only chains the rows still there.)
    if previous.parent is None:
        session.info.pop(_PENDING, None)


def link(session: Session, events: list[AuditEvent], key: chain.ChainKey) -> int:
    """Chain the audit rows of ``events`` still in the transaction after the current last
    link, under the head's lock (see above). Returns how many were linked.

    The rows are not read back: a savepoint rolled back expunges the rows it added (they are no
    longer persistent), and the values of the others are those written, stored as they read back
    (``record``), so the chain hashes what a verifier will read."""
    session.flush()
    kept = {e.id: e for e in events if inspect(e).persistent}
    ordered = [{name: getattr(e, name) for name in chain.FIELDS} for e in kept.values()]
    if not ordered:
        return 0
    last_seq, prev = repository.advance_head(session, len(ordered))
    first = last_seq - len(ordered) + 1
    links = []
    for offset, row in enumerate(ordered):
        digest = key.digest(row, prev)
        links.append({"seq": first + offset, "event_id": row["id"], "prev_hash": prev,
                      "hash": digest, "key_id": key.key_id, "business_id": row["business_id"]})
        prev = digest
    repository.append_links(session, links, seq=last_seq, hash_=prev)
    return len(ordered)


@dataclass(frozen=True)
class Verification:
    """What ``verify`` found: how many links it checked, the head, and the first break."""

    checked: int
    head_seq: int
    head_hash: str | None
    broken: rules.Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify(session: Session, keys: chain.Keyring, *, batch: int = 2000,
           on_progress: Callable[[int, int], None] | None = None) -> Verification:
    """Walk the chain from its first link to the head and name the first broken link.

    Give it a fresh session: the walk reads one snapshot (appends committed meanwhile are left
    for the next run). ``on_progress(done, total)`` is called after each batch.
    """
    repository.snapshot(session)
    head = repository.head(session)
    if head is None:
        stray = repository.first_link_after(session, 0)
        if stray is not None:
            return Verification(0, 0, None, rules.Break(
                rules.HEAD_CHANGED, stray.event_id, stray.seq,
                "the chain head is gone while links exist",
                _businesses(session, stray.business_id)))
        return _outside_chain(session, Verification(0, 0, None, None))
    head_seq, head_hash = head.seq, head.hash
    expected_seq, expected_prev, checked = 1, chain.GENESIS, 0
    while True:
        rows = repository.walk(session, after_seq=expected_seq - 1, upto_seq=head_seq,
                               limit=batch)
        for index, row in enumerate(rows):
            following = rows[index + 1] if index + 1 < len(rows) else None
            broken = _check(session, keys, row, following, expected_seq=expected_seq,
                            expected_prev=expected_prev, head_seq=head_seq)
            if broken is not None:
                return Verification(checked, head_seq, head_hash, broken)
            expected_seq, expected_prev = row.seq + 1, row.hash
            checked += 1
        if on_progress is not None:
            on_progress(checked, head_seq)
        if len(rows) < batch:
            break
    result = Verification(checked, head_seq, head_hash, None)
    if checked < head_seq:
        return _replace(result, rules.Break(
            rules.ROW_MISSING, None, expected_seq,
            f"the head names {head_seq} link(s) but the chain ends after {checked}: the last "
            f"{head_seq - checked} row(s) are gone"))
    if head_hash != expected_prev:
        return _replace(result, rules.Break(
            rules.HEAD_CHANGED, None, head_seq,
            "the chain head's hash is not the last link's"))
    beyond = repository.first_link_after(session, head_seq)
    if beyond is not None:
        return _replace(result, rules.Break(
            rules.ROW_INSERTED, beyond.event_id, beyond.seq,
            "this link lies past the chain head: it was never appended through the chain",
            _businesses(session, beyond.business_id,
                        repository.event_business(session, beyond.event_id))))
    return _outside_chain(session, result)


def _replace(result: Verification, broken: rules.Break) -> Verification:
    return Verification(result.checked, result.head_seq, result.head_hash, broken)


def _outside_chain(session: Session, result: Verification) -> Verification:
    stray = repository.unlinked_event(session)
    if stray is None:
        return result
    return _replace(result, rules.Break(
        rules.ROW_INSERTED, stray.id, None,
        "this audit row is in no link of the chain: it was written around it",
        _businesses(session, stray.business_id)))


def _businesses(session: Session, *business_ids: str | None) -> frozenset[str]:
    return frozenset(b for b in business_ids if b)


def _check(session: Session, keys: chain.Keyring, row: Row[Any], following: Row[Any] | None, *,
           expected_seq: int, expected_prev: str, head_seq: int) -> rules.Break | None:
    """The break at this link, if any."""
    event_id, seq = row.link_event_id, row.seq
    if seq != expected_seq:
        missing = (f"position {expected_seq} is" if seq == expected_seq + 1
                   else f"positions {expected_seq}–{seq - 1} are")
        return rules.Break(rules.ROW_MISSING, event_id, seq,
                           f"{missing} gone from the chain just before this row",
                           _businesses(session, row.link_business_id))
    if row.present is None:
        return rules.Break(rules.ROW_MISSING, event_id, seq,
                           "the audit row this link seals is gone",
                           _businesses(session, row.link_business_id))
    key = keys.get(row.key_id)
    if key is None:
        return rules.Break(rules.UNKNOWN_KEY, event_id, seq,
                           f"the link was made with key {row.key_id}, which none of the "
                           "configured secret keys derives: list the secret key in use then in "
                           "SPARKCODES_PREVIOUS_SECRET_KEYS",
                           _businesses(session, row.business_id, row.link_business_id))
    content = {name: row._mapping[name] for name in chain.FIELDS if name != "id"}
    content["id"] = event_id
    try:
        genuine = hmac.compare_digest(key.digest(content, row.prev_hash), row.hash)
    except (TypeError, ValueError):  # a value no honest row holds (a naive instant, NaN, ...)
        genuine = False
    businesses = _businesses(session, row.business_id, row.link_business_id)
    if not genuine:
        if following is None:
            later = repository.link_at(session, seq + 1)
            successor_prev = later.prev_hash if later is not None else None
        else:
            successor_prev = following.prev_hash
        kind = rules.unverified_kind(stored_hash=row.hash, expected_prev=expected_prev,
                                     successor_prev=successor_prev, seq=seq, head_seq=head_seq)
        detail = ("its content no longer matches its hash (changed, or backdated, after it "
                  "was written)" if kind == rules.CONTENT_CHANGED
                  else "its hash was not made with the chain's key and the chain continues "
                  "around it: it was put in, not appended")
        return rules.Break(kind, event_id, seq, detail, businesses)
    if row.prev_hash != expected_prev:
        named = repository.link_with_hash(session, row.prev_hash)
        kind = rules.relinked_kind(predecessor_exists=named is not None)
        if named is not None:
            detail = (f"it was chained after row {named.event_id} (position {named.seq}), "
                      "not after the row now before it: rows were reordered")
        else:
            detail = "the row it was chained after is gone"
        return rules.Break(kind, event_id, seq, detail, businesses)
    return None


def claim_alert(session: Session, broken: rules.Break) -> bool:
    """True the first time this break is claimed for telling (by any worker), False after."""
    return repository.claim_alert(session, key=broken.key, kind=broken.kind,
                                  message=broken.message, now=utc_now())
