"""The one clock. Everything asks utc_now(); tests and the sandbox move it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_offset = timedelta(0)


def real_now() -> datetime:
    return datetime.now(UTC)


def utc_now() -> datetime:
    return real_now() + _offset


def get_offset() -> timedelta:
    return _offset


def set_offset(offset: timedelta) -> None:
    """Move this process's clock; only forward moves are accepted by callers that face users."""
    global _offset
    with _lock:
        _offset = offset


def reset() -> None:
    set_offset(timedelta(0))
