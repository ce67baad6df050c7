"""The limiter: tiers counted in fixed windows (the `limits` library's keys and storages: a
Redis key, a row in SQL, a dict in memory).

An attempt is counted *before* it is made (reserve), against every tier at once and in one round
trip to the store (one multi-row upsert in SQL, one Lua script on Redis): when that takes any tier
over its limit, the attempt is refused and given back in every tier, so however many requests
race, no more attempts are made than the limit allows. An attempt that turns out not to be a
failure (a code that exists, a right password) is given back too (Reservation.release), again in
one round trip. A refused attempt is not counted, so a window always ends on time and nobody is
locked out for longer than one window. A store that cannot be reached refuses every attempt
(503, limiter_unavailable): guessing must never become unlimited because Redis went down.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import cast

from limits import RateLimitItem, parse
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection

from sparkcodes import errors
from sparkcodes.config import Settings
from sparkcodes.kit import metrics
from sparkcodes.throttle import rules
from sparkcodes.throttle.repository import SqlStorage
from sparkcodes.throttle.rules import LOGINS, LOOKUPS, Tier

log = logging.getLogger("sparkcodes.throttle")

# One hit in each key (ARGV: each key's window in seconds, set when its window starts), and each
# key's count after it.
_REDIS_HIT_MANY = """
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('incrby', key, 1)
  if n == 1 then redis.call('expire', key, ARGV[i]) end
  out[i] = n
end
return out
"""
# One hit given back in each key whose window still runs (never below zero, never a new key).
_REDIS_GIVE_BACK_MANY = """
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('get', key) or '0') > 0 then redis.call('decrby', key, 1) end
end
return 0
"""
_REDIS_GET_MANY = "return redis.call('mget', unpack(KEYS))"
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
    # a limit measured in minutes does not notice. No ping per checkout: the statements a bind
    # sends retry once on a connection found dead instead (SqlStorage.run).
    return create_engine(parsed, pool_size=5, max_overflow=20, pool_pre_ping=False,
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


class _Counts:
    """Several windows counted at once, in one round trip to the store; the store's own errors
    become StorageError."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def hit(self, windows: Sequence[tuple[str, int]]) -> list[int]:
        """One hit in each (key, window seconds): each count after it."""
        with self._errors():
            return self._hit(windows)

    def give_back(self, keys: Sequence[str]) -> None:
        with self._errors():
            self._give_back(keys)

    def get(self, keys: Sequence[str]) -> list[int]:
        with self._errors():
            return self._get(keys)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except self.storage.base_exceptions as exc:
            raise StorageError(exc) from exc

    def _hit(self, windows: Sequence[tuple[str, int]]) -> list[int]:
        return [self.storage.incr(key, expiry) for key, expiry in windows]

    def _give_back(self, keys: Sequence[str]) -> None:
        storage = self.storage
        assert isinstance(storage, MemoryStorage)
        for key in keys:
            storage.decr(key)

    def _get(self, keys: Sequence[str]) -> list[int]:
        return [self.storage.get(key) for key in keys]


class _SqlCounts(_Counts):
    storage: SqlStorage

    def _hit(self, windows: Sequence[tuple[str, int]]) -> list[int]:
        counts = self.storage.hit_many(windows)
        return [counts[key] for key, _ in windows]

    def _give_back(self, keys: Sequence[str]) -> None:
        self.storage.give_back_many(keys)

    def _get(self, keys: Sequence[str]) -> list[int]:
        counts = self.storage.get_many(keys)
        return [counts[key] for key in keys]


class _RedisCounts(_Counts):
    storage: RedisStorage

    def __init__(self, storage: RedisStorage) -> None:
        super().__init__(storage)
        connection = storage.get_connection()
        self._hit_many = connection.register_script(_REDIS_HIT_MANY.encode())
        self._give_back_many = connection.register_script(_REDIS_GIVE_BACK_MANY.encode())
        self._get_many = connection.register_script(_REDIS_GET_MANY.encode())

    def _hit(self, windows: Sequence[tuple[str, int]]) -> list[int]:
        keys = [self.storage.prefixed_key(key) for key, _ in windows]
        counts = self._hit_many(keys, [expiry for _, expiry in windows])
        return [int(n) for n in cast(list[int], counts)]

    def _give_back(self, keys: Sequence[str]) -> None:
        self._give_back_many([self.storage.prefixed_key(key) for key in keys], [])

    def _get(self, keys: Sequence[str]) -> list[int]:
        values = self._get_many([self.storage.prefixed_key(key) for key in keys], [])
        return [int(v or 0) for v in cast(list[bytes | None], values)]


def _counts(storage: Storage) -> _Counts:
    if isinstance(storage, RedisStorage):
        return _RedisCounts(storage)
    if isinstance(storage, SqlStorage):
        return _SqlCounts(storage)
    if isinstance(storage, MemoryStorage):
        return _Counts(storage)
    raise ConfigurationError(f"the limiter cannot count in {type(storage)}")


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
        self._counts = _counts(self.storage)

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
        """Count one attempt against every tier at once (one round trip); RateLimited naming
        the first tier it took over its limit (nothing stays counted then), Unavailable if the
        store is down."""
        if not tiers:
            return Reservation()
        try:
            counts = self._counts.hit([(self._key(t), self._item(t).get_expiry())
                                       for t in tiers])
        except (StorageError, ConfigurationError) as exc:
            raise self._unavailable(tiers[0].purpose, exc) from None
        for tier, count in zip(tiers, counts, strict=True):
            if count > self._item(tier).amount:
                self._give_back(tiers)
                raise self._refusal(tier)
        return Reservation(self, list(tiers))

    def check(self, tiers: Sequence[Tier]) -> None:
        """RateLimited if any tier is spent already (a quick refusal of a whole request; the
        exact gate is reserve); one round trip."""
        if not tiers:
            return
        try:
            counts = self._counts.get([self._key(t) for t in tiers])
        except (StorageError, ConfigurationError) as exc:
            raise self._unavailable(tiers[0].purpose, exc) from None
        for tier, count in zip(tiers, counts, strict=True):
            if count >= self._item(tier).amount:
                raise self._refusal(tier)

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

    def _key(self, tier: Tier) -> str:
        return self._item(tier).key_for(*self._ids(tier))

    def _give_back(self, tiers: Sequence[Tier]) -> None:
        if not tiers:
            return
        try:
            self._counts.give_back([self._key(t) for t in tiers])
        except Exception:  # the store went down meanwhile: the hits stay counted (safe side)
            log.warning("limiter store unreachable; %s hit(s) stay counted",
                        ", ".join(t.label for t in tiers), exc_info=True)

    def _refusal(self, tier: Tier) -> errors.AppError:
        """RateLimited, naming the tier and when its window ends; Unavailable if the store
        cannot say (it went down meanwhile)."""
        item = self._item(tier)
        try:
            reset_time = self.strategy.get_window_stats(item, *self._ids(tier)).reset_time
        except (StorageError, ConfigurationError) as exc:
            return self._unavailable(tier.purpose, exc)
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
