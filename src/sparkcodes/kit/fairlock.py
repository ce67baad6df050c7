"""A lock that serves waiters in the order they came.

SQLite lets one writer at a time hold its write lock. Left to itself, every other writer sleeps in
SQLite's busy handler and retries at growing intervals: whoever happens to retry just after a
commit wins, so with 32 writers some wait seconds while later ones pass them. Inside one process
sparkcodes queues its writers here instead, and each commit hands the turn straight to the one
that has waited longest.

``threading.Lock`` wakes an arbitrary waiter, and the standard library has no fair lock, so this
is a queue of per-waiter locks. A lock may be released by another thread than the one that took
it: a request's transaction begins in the endpoint's thread and may end in another.
"""

from __future__ import annotations

import threading
from collections import deque


class FairLock:
    """Mutual exclusion, first come first served."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for the turn; True once held, False when the time
        ran out first (the place in the queue is given up)."""
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        if turn.acquire(timeout=max(timeout, 0)):
            return True  # handed over by release(): held without a gap
        with self._mutex:
            if turn in self._waiting:
                self._waiting.remove(turn)
                return False
        # Handed over between the time running out and the queue being checked: it is ours.
        return True

    def release(self) -> None:
        """Hand the lock to the longest waiter, or free it when nobody waits."""
        with self._mutex:
            if not self._held:
                raise RuntimeError("release of a FairLock that is not held")
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._held = False

    @property
    def waiting(self) -> int:
        """How many wait for their turn now."""
        with self._mutex:
            return len(self._waiting)
