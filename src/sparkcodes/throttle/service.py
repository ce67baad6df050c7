"""The limiter: tiers counted with the `limits` library's fixed-window strategy, whose hit() is
one atomic increment in the store (a Lua script on Redis, one upsert in SQL, a lock in memory).

An attempt is counted *before* it is made (reserve), against every tier at once: the hit that
takes a tier over its limit is refused and given back, so however many requests race, no more
attempts are made than the limit allows. An attempt that turns out not to be a failure (a code
that exists, a right password) is given back too (Reservation.release). A refused attempt is
not counted, so a window always ends on time and nobody is locked out for longer than one
window. A store that cannot be reached refuses every attempt (503, limiter_unavailable):
guessing must never become unlimited because Redis went down.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import cast

from limits import RateLimitItem, parse
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import SQLAlchemyError

from sparkcodes import errors
from sparkcodes.config import Settings
from sparkcodes.kit import metrics
from sparkcodes.throttle import rules
from sparkcodes.throttle.repository import SqlStorage
from sparkcodes.throttle.rules import LOGINS, LOOKUPS, Tier

log = logging.getLogger("sparkcodes.throttle")

_REDIS_RELEASE = """
local v = tonumber(redis.call('get', KEYS[1]) or '0')
if v <= 0 then return 0 end
return redis.call('decrby', KEYS[1], math.min(v, tonumber(ARGV[1])))
"""
# Redis must answer quickly or the attempt is refused; a hung store must not hang requests.
REDIS_TIMEOUT_SECONDS = 2.0


def store_url(settings: Settings) -> str:
    """Where the counts live: limiter_store_url, else Redis, else beside or in the database."""
    if settings.limiter_store_url:
        return settings.limiter_store_url
    if settings.redis_url:
        return settings.redis_url
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return "memory://"
        # A file of its own: the request's transaction holds the database's write lock while
        # it looks codes up, and a count must be written (and kept) meanwhile.
        base = url.database[:-3] if url.database.endswith(".db") else url.database
        return url.set(database=f"{base}.limits.db").render_as_string(hide_password=False)
    return settings.database_url


def _sql_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 10},
                               pool_size=5, max_overflow=20)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: DBAPIConnection, _record: object) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    # Counters are not worth a disk flush each: without waiting for it an increment costs a
    # fraction of the time. A crash of PostgreSQL itself may forget the last moment's hits, which
    # a limit measured in minutes does not notice.
    return create_engine(parsed, pool_size=5, max_overflow=20, pool_pre_ping=True,
                         connect_args={"connect_timeout": 5,
                                       "options": "-c synchronous_commit=off"})


def open_storage(url: str, *, key_prefix: str) -> Storage:
    """A `limits` storage for ``url``: memory://, redis://, or an SQLAlchemy database URL."""
    scheme = url.split(":", 1)[0]
    if scheme.startswith(("redis", "rediss", "valkey")):
        return cast(Storage, storage_from_string(
            url, wrap_exceptions=True, key_prefix=f"{key_prefix}-limits",
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS))
    if scheme == "memory":
        return MemoryStorage(wrap_exceptions=True)
    return SqlStorage(_sql_engine(url))


@dataclass
class Reservation:
    """Attempts counted ahead of being made; give them back when they were not failures."""

    limiter: Limiter | None = None
    held: list[Tier] = field(default_factory=list)

    def release(self) -> None:
        """The attempt was no failure: it no longer counts (harmless twice)."""
        held, self.held = self.held, []
        if self.limiter is not None and held:
            self.limiter._give_back(held)


class Limiter:
    """Counts attempts per tier in one store; see the module's docstring."""

    def __init__(self, settings: Settings, *, url: str | None = None) -> None:
        self.url = url or store_url(settings)
        self.prefix = settings.limiter_key_prefix
        self.storage = open_storage(self.url, key_prefix=self.prefix)
        self.strategy = FixedWindowRateLimiter(self.storage)
        self.limits = {
            (LOOKUPS, "ad_account"): settings.codes.failed_lookups_limit,
            (LOOKUPS, "user"): settings.codes.failed_lookups_limit,
            (LOOKUPS, "ip"): settings.codes.failed_lookups_per_ip,
            (LOOKUPS, "service"): settings.codes.failed_lookups_service,
            (LOGINS, "account"): settings.auth.failed_logins_per_account,
            (LOGINS, "ip"): settings.auth.failed_logins_per_ip,
        }
        self._items: dict[str, RateLimitItem] = {}
        self._release: Callable[[str, int], object] = self._releaser()

    # --- the tiers -----------------------------------------------------------------------------

    def lookups(self, *, ad_account_id: str, user_id: str, ip: str | None) -> tuple[Tier, ...]:
        """R15: failed code look-ups count per ad account, per user, per client address and
        across the service."""
        keys = {"ad_account": ad_account_id, "user": user_id, "ip": rules.client_key(ip),
                "service": "all"}
        return tuple(Tier(LOOKUPS, name, key, self.limits[(LOOKUPS, name)])
                     for name, key in keys.items())

    def logins(self, *, account: str, ip: str | None) -> tuple[Tier, ...]:
        """Failed log-ins count per account (the e-mail as typed, normalized) and per address."""
        return (Tier(LOGINS, "account", account, self.limits[(LOGINS, "account")]),
                Tier(LOGINS, "ip", rules.client_key(ip), self.limits[(LOGINS, "ip")]))

    # --- counting ------------------------------------------------------------------------------

    def reserve(self, tiers: Sequence[Tier]) -> Reservation:
        """Count one attempt against every tier, atomically per tier; RateLimited naming the
        first tier over its limit (nothing stays counted then), Unavailable if the store is
        down."""
        if not tiers:
            return Reservation()
        held: list[Tier] = []
        try:
            with self._one_connection():
                for tier in tiers:
                    if not self.strategy.hit(self._item(tier), *self._ids(tier)):
                        self._give_back([*held, tier])
                        raise self._refusal(tier)
                    held.append(tier)
        except (StorageError, ConfigurationError) as exc:
            self._give_back(held)
            raise self._unavailable(tiers[0].purpose, exc) from None
        return Reservation(self, held)

    def check(self, tiers: Sequence[Tier]) -> None:
        """RateLimited if any tier is spent already (a quick refusal of a whole request; the
        exact gate is reserve)."""
        try:
            with self._one_connection():
                for tier in tiers:
                    if not self.strategy.test(self._item(tier), *self._ids(tier)):
                        raise self._refusal(tier)
        except (StorageError, ConfigurationError) as exc:
            raise self._unavailable(tiers[0].purpose, exc) from None

    def forget(self, tier: Tier) -> None:
        """Start the tier's count afresh (a right password clears its account's failures)."""
        try:
            self.strategy.clear(self._item(tier), *self._ids(tier))
        except (StorageError, ConfigurationError):
            log.warning("limiter store unreachable; %s kept its count", tier.label, exc_info=True)

    def hits(self, tier: Tier) -> int:
        """How many attempts the tier's current window holds (for tests and operators)."""
        item = self._item(tier)
        stats = self.strategy.get_window_stats(item, *self._ids(tier))
        return item.amount - stats.remaining

    def reset(self) -> None:
        """Forget every count of this store (tests; an operator after an incident)."""
        self.storage.reset()

    def sweep(self) -> int:
        """Delete the windows that ended from a database store (Redis and memory expire keys
        themselves): keys an attacker makes up (e-mails, addresses) must not pile up."""
        return self.storage.sweep() if isinstance(self.storage, SqlStorage) else 0

    def close(self) -> None:
        if isinstance(self.storage, SqlStorage):
            self.storage.engine.dispose()

    # --- internals -----------------------------------------------------------------------------

    def _item(self, tier: Tier) -> RateLimitItem:
        item = self._items.get(tier.limit)
        if item is None:
            item = self._items[tier.limit] = parse(tier.limit)
        return item

    def _ids(self, tier: Tier) -> tuple[str, ...]:
        return (self.prefix, tier.purpose, tier.name, tier.key)

    def _releaser(self) -> Callable[[str, int], object]:
        storage = self.storage
        if isinstance(storage, RedisStorage):
            script = storage.get_connection().register_script(_REDIS_RELEASE.encode())
            return lambda key, amount: script([storage.prefixed_key(key)], [amount])
        if isinstance(storage, (MemoryStorage, SqlStorage)):
            return storage.decr
        raise ConfigurationError(f"the limiter cannot give hits back in {type(storage)}")

    @contextmanager
    def _one_connection(self) -> Iterator[None]:
        """The calls of one reserve, check or give-back share a database connection."""
        stack = ExitStack()
        if isinstance(self.storage, SqlStorage):
            try:
                stack.enter_context(self.storage.connection())
            except SQLAlchemyError as exc:  # connecting failed: the store is down
                raise StorageError(exc) from exc
        with stack:
            yield

    def _give_back(self, tiers: Sequence[Tier]) -> None:
        if not tiers:
            return
        try:
            with self._one_connection():
                for tier in tiers:
                    self._release(self._item(tier).key_for(*self._ids(tier)), 1)
        except Exception:  # the store went down meanwhile: the hits stay counted (safe side)
            log.warning("limiter store unreachable; %s hit(s) stay counted",
                        ", ".join(t.label for t in tiers), exc_info=True)

    def _refusal(self, tier: Tier) -> errors.RateLimited:
        item = self._item(tier)
        reset_time = self.strategy.get_window_stats(item, *self._ids(tier)).reset_time
        retry_after = max(1, math.ceil(reset_time - time.time()))
        window = item.get_expiry()
        metrics.count_limiter_refusal(tier.label)
        return errors.RateLimited(
            rules.refusal_message(tier, amount=item.amount, window_seconds=window,
                                  retry_after=retry_after),
            retry_after=retry_after,
            details={"limit": tier.label, "max": item.amount, "window_seconds": window,
                     "retry_after": retry_after})

    def _unavailable(self, purpose: str, exc: Exception) -> errors.Unavailable:
        log.error("limiter store %s cannot be reached (%s): refusing %s", _safe(self.url),
                  exc, purpose)
        return errors.Unavailable(rules.unavailable_message(purpose), code="limiter_unavailable",
                                  retry_after=rules.UNAVAILABLE_RETRY_SECONDS)


def _safe(url: str) -> str:
    """The store's URL without its password, for the log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]
