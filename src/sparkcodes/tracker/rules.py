"""Pure decisions of the tracker: durations, time left, contract flags, filters and sort order."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sparkcodes import errors
from sparkcodes.spark_post.rules import AUTHORIZED, StopReason

UNBOUND = "UNBOUND"
STATUSES = (AUTHORIZED, *(r.value for r in StopReason), UNBOUND)

# Statuses that a Spark post with a code can only have while its window runs (a code that ended
# reads AUTHORIZATION_EXPIRED or AUTHORIZATION_DELETED first); own posts (TT_USER) hold no code,
# so no window.
RUNNING_WINDOW = frozenset({AUTHORIZED, StopReason.POST_UNAVAILABLE.value,
                            StopReason.ACCOUNT_AD_SETTINGS_OFF.value,
                            StopReason.IDENTITY_UNLINKED.value})
RUNNING, ENDED = "running", "ended"


def window_implied(statuses: frozenset[str] | None) -> str | None:
    """What a status filter implies of the window end, which an index can read as a range:
    RUNNING (a window still running, or none), ENDED (a window that ended), or None. Follows
    from spark_post.rules.status_at (tested against it on generated states)."""
    if statuses is None:
        return None
    if statuses <= RUNNING_WINDOW:
        return RUNNING
    if statuses == {StopReason.AUTHORIZATION_EXPIRED.value}:
        return ENDED
    return None


CODE_SHORTER_THAN_CONTRACT = "code_shorter_than_contract"
RUNNING_PAST_CONTRACT = "running_past_contract"

MAX_WITHIN = timedelta(days=3660)
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1),
          "m": timedelta(minutes=1)}
_DURATION = re.compile(r"(\d{1,6})\s*(w|d|h|m)", flags=re.ASCII)

# sort name -> natural direction is ascending (False) or descending (True)
SORTS = {"expiry": False, "days_left": False, "spend_at_risk": True, "creator": False}


def parse_within(text: str) -> timedelta:
    """"3d", "72h", "2w", "90m", or combined ("1d12h") into a positive duration."""
    value = text.strip().lower().replace(" ", "")
    pos, total = 0, timedelta(0)
    for match in _DURATION.finditer(value):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not value or pos != len(value):
        raise errors.InvalidInput(
            f"expiring_within reads like 3d, 72h, 2w or 1d12h; {text!r} does not.",
            code="invalid_expiring_within")
    if total <= timedelta(0):
        raise errors.InvalidInput("expiring_within must be longer than zero.",
                                  code="invalid_expiring_within")
    if total > MAX_WITHIN:
        raise errors.InvalidInput("expiring_within may be at most ten years.",
                                  code="invalid_expiring_within")
    return total


def parse_statuses(values: Sequence[str]) -> set[str] | None:
    """Status filter values (repeated or comma-separated, any case); None when none given."""
    wanted = {part.strip().upper() for v in values for part in v.split(",") if part.strip()}
    unknown = sorted(wanted - set(STATUSES))
    if unknown:
        raise errors.InvalidInput(
            f"Unknown status {', '.join(unknown)}; one of {', '.join(STATUSES)}.",
            code="invalid_status")
    return wanted or None


def parse_sort(text: str) -> tuple[str, bool]:
    """A sort name, optionally prefixed with '-' to reverse its natural direction; returns the
    name and whether to sort descending."""
    value = text.strip().lower()
    flip = value.startswith("-")
    name = value.removeprefix("-")
    if name not in SORTS:
        raise errors.InvalidInput(
            f"sort is one of {', '.join(SORTS)} (prefix '-' to reverse); {text!r} is not.",
            code="invalid_sort")
    return name, SORTS[name] != flip


# --- cursors (keyset paging) -------------------------------------------------------------------

CURSOR_VERSION = 1
KEYSET_SORTS = frozenset({"expiry", "creator"})  # ordered in SQL alone; the others merge spend
OFFSET_SEGMENT = -1  # a cursor of the spend sorts holds an offset, not a row
# The order values of a row, by sort and segment of the order (tracker.repository._segments):
# expiry reads the rows with a window end by (end, id), then those without by (handle, id); the
# creator sort reads (handle, end or the epoch, id).
KEYSET_SHAPES: dict[tuple[str, int], tuple[type, ...]] = {
    ("expiry", 0): (datetime, str), ("expiry", 1): (str, str),
    ("creator", 0): (str, datetime, str),
}


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after a row (its segment of the order and its order values),
    or, for the sorts that merge spend into the order, at an offset (segment OFFSET_SEGMENT,
    values (offset,))."""

    sort: str  # the sort it was made for, '-' included
    segment: int
    values: tuple[str | int | datetime, ...]

    @property
    def offset(self) -> int | None:
        value = self.values[0] if self.segment == OFFSET_SEGMENT else None
        return value if isinstance(value, int) else None


def cursor_text(cursor: Cursor) -> str:
    """The cursor as an opaque URL-safe string (a client passes it back as ``after``)."""
    values = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in cursor.values]
    raw = json.dumps([CURSOR_VERSION, cursor.sort, cursor.segment, values],
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def not_a_cursor() -> errors.InvalidInput:
    """The refusal of an ``after`` that is not a cursor this tracker gave for the query."""
    return errors.InvalidInput("after is not a cursor this tracker gave (pass the `next` of the "
                               "previous page as it was).", code="invalid_cursor")


def sort_text(name: str, descending: bool) -> str:
    """A sort as a client writes it: the name, '-' first when against its natural way."""
    return ("-" if descending != SORTS[name] else "") + name


def parse_cursor(text: str, *, sort: str) -> Cursor:
    """A cursor from ``cursor_text``, for the page's ``sort`` ('-' included); InvalidInput
    invalid_cursor if it is not one, or was made for another sort."""
    bad = not_a_cursor()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        version, made_for, segment, values = json.loads(raw)
        parsed = tuple(_cursor_value(v) for v in values)
    except (ValueError, TypeError, binascii.Error):
        raise bad from None
    if (version != CURSOR_VERSION or not isinstance(made_for, str) or type(segment) is not int
            or not isinstance(values, list) or not parsed):
        raise bad
    if made_for != sort:
        raise errors.InvalidInput(f"This cursor pages the tracker sorted by {made_for}; ask with "
                                  f"sort={made_for} or start again without after.",
                                  code="invalid_cursor")
    cursor = Cursor(made_for, segment, parsed)
    if segment == OFFSET_SEGMENT:
        if cursor.offset is None or cursor.offset < 0 or len(parsed) != 1:
            raise bad
        return cursor
    shape = KEYSET_SHAPES.get((made_for.removeprefix("-"), segment))
    if shape is None or len(shape) != len(parsed) or not all(
            isinstance(v, kind) for v, kind in zip(parsed, shape, strict=True)):
        raise bad
    return cursor


def _cursor_value(value: Any) -> str | int | datetime:  # noqa: ANN401 (decoded JSON)
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        when = datetime.fromisoformat(value["t"])
        if when.tzinfo is None:
            raise ValueError("a cursor's instants carry their offset")
        return when
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ValueError(f"not a cursor value: {value!r}")


def time_left(window_end: datetime | None, now: datetime) -> tuple[int | None, int | None]:
    """Whole days and whole hours left, rounded up (an hour left is 1 day left); 0 once ended."""
    if window_end is None:
        return None, None
    seconds = (window_end - now).total_seconds()
    if seconds <= 0:
        return 0, 0
    return math.ceil(seconds / 86400), math.ceil(seconds / 3600)


def expiring_within(window_end: datetime | None, within: timedelta, now: datetime) -> bool:
    """Ends after now and no later than now + within (already ended is not "expiring")."""
    return window_end is not None and now < window_end <= now + within


def flags(*, bound: bool, window_end: datetime | None, contract_end: datetime | None,
          live_ads: int, now: datetime) -> list[str]:
    """R26: the code ends before the contract does; an ad still runs after the contract ended."""
    out: list[str] = []
    if not bound or contract_end is None:
        return out
    if code_ends_first(window_end, contract_end):
        out.append(CODE_SHORTER_THAN_CONTRACT)
    if live_ads > 0 and contract_ended(contract_end, now):
        out.append(RUNNING_PAST_CONTRACT)
    return out


def code_ends_first(window_end: datetime | None, contract_end: datetime) -> bool:
    """R26's first flag: the code's window ends before the contract does."""
    return window_end is not None and window_end < contract_end


def contract_ended(contract_end: datetime, now: datetime) -> bool:
    """Whether a live ad on the contract's posts now runs past it (R26's second flag)."""
    return now > contract_end


@dataclass(frozen=True)
class SortFields:
    window_end: datetime | None
    days_left: int | None
    spend_at_risk_micros: int
    handle: str
    ident: str  # a final tie-break, for a stable order across pages


T = TypeVar("T")


class _Reversed:
    """A key compared the other way round (a descending sort as an ascending one)."""

    __slots__ = ("key",)

    def __init__(self, key: tuple[float | str, ...]) -> None:
        self.key = key

    def __lt__(self, other: _Reversed) -> bool:
        return other.key < self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


def rank(f: SortFields, *, sort: str, descending: bool) -> tuple[object, ...]:
    """Where a row goes in ``order``: rows compare by rank, smallest first.

    expiry: by window end. days_left: by whole days left, the biggest spend at risk first within
    a day. spend_at_risk: by yesterday's spend of the live ads. creator: by handle, then expiry.
    Rows without a window (own posts) always come last by time, by handle.
    """
    if sort in ("expiry", "days_left") and f.window_end is None:
        return (1, f.handle.lower(), f.ident)
    end = f.window_end.timestamp() if f.window_end else 0.0
    key: tuple[float | str, ...]
    if sort == "expiry":
        key = (end, f.ident)
    elif sort == "days_left":
        key = (f.days_left or 0, -f.spend_at_risk_micros if not descending
               else f.spend_at_risk_micros, end, f.ident)
    elif sort == "spend_at_risk":
        key = (f.spend_at_risk_micros, -end if descending else end, f.ident)
    else:
        key = (f.handle.lower(), -end if descending else end, f.ident)
    return (0, _Reversed(key) if descending else key)


def order(items: Sequence[T], fields: Callable[[T], SortFields], *, sort: str,
          descending: bool) -> list[T]:
    """Items in the asked order (see ``rank``)."""
    return sorted(items, key=lambda i: rank(fields(i), sort=sort, descending=descending))


def best_rank(f: SortFields, spend_at_most: int, *, sort: str,
              descending: bool) -> tuple[object, ...]:
    """The earliest rank a row can have when all that is known of its spend at risk is that it
    lies between 0 and ``spend_at_most`` (the rank moves one way as the spend grows, so the
    earliest is at one end)."""
    ranks = [rank(SortFields(f.window_end, f.days_left, spend, f.handle, f.ident), sort=sort,
                  descending=descending) for spend in (0, spend_at_most)]
    return min(ranks)


def per_currency(amounts: Iterable[tuple[str, int]]) -> dict[str, int]:
    """(currency, micros) pairs summed per currency, largest first (then by code); amounts in
    different currencies are never added together."""
    sums: dict[str, int] = {}
    for currency, micros in amounts:
        sums[currency] = sums.get(currency, 0) + micros
    return dict(sorted(sums.items(), key=lambda cm: (-cm[1], cm[0])))
