"""kit.fairlock: waiters are served in the order they came, a waiter that gives up leaves the
queue, and a lock taken in one thread may be given back in another."""

from __future__ import annotations

import threading
import time

import pytest

from sparkcodes.kit.fairlock import FairLock

WAIT = 10.0  # generous: a loaded machine must not fail these, only a wrong order can


def _until(predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.001)


def test_a_free_lock_is_taken_at_once_and_freed_by_release() -> None:
    lock = FairLock()
    assert lock.acquire(0)
    assert not lock.acquire(0)  # held: no turn within no time
    lock.release()
    assert lock.acquire(0)
    lock.release()


def test_release_of_a_lock_not_held_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not held"):
        FairLock().release()


@pytest.mark.parametrize("waiters", [2, 8, 24])
def test_waiters_are_served_in_arrival_order(waiters: int) -> None:
    lock = FairLock()
    assert lock.acquire(WAIT)
    served: list[int] = []

    def wait_turn(i: int) -> None:
        assert lock.acquire(WAIT)
        served.append(i)
        lock.release()

    threads = []
    for i in range(waiters):
        t = threading.Thread(target=wait_turn, args=(i,))
        t.start()
        threads.append(t)
        _until(lambda n=i + 1: lock.waiting == n, f"waiter {i} to queue")
    lock.release()
    for t in threads:
        t.join(WAIT)
    assert served == list(range(waiters))


def test_a_waiter_that_gives_up_leaves_the_queue() -> None:
    lock = FairLock()
    assert lock.acquire(WAIT)
    assert not lock.acquire(0.05)
    assert lock.waiting == 0
    lock.release()
    assert lock.acquire(0)  # free again: the one that gave up was not handed the turn
    lock.release()


def test_a_lock_taken_in_one_thread_is_given_back_in_another() -> None:
    lock = FairLock()
    assert lock.acquire(WAIT)
    t = threading.Thread(target=lock.release)
    t.start()
    t.join(WAIT)
    assert lock.acquire(0)
    lock.release()


def test_every_one_of_many_contending_threads_gets_the_lock_alone() -> None:
    lock = FairLock()
    inside = 0
    most = 0
    count = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, most, count
        for _ in range(200):
            assert lock.acquire(WAIT)
            with guard:
                inside += 1
                most = max(most, inside)
            count += 1
            with guard:
                inside -= 1
            lock.release()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 3)
    assert (count, most, lock.waiting) == (1600, 1, 0)
