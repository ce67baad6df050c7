"""One settings object, grouped by concern, read from SPARKCODES_* variables and .env."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me"
VAR_DIR = Path("var")

# The usual Spark Ads markets. Editable through SPARKCODES_SUPPORTED_REGIONS (a JSON list).
DEFAULT_REGIONS = [
    "US", "CA", "MX", "BR", "AR", "CL", "CO", "PE", "GB", "IE", "DE", "AT", "CH", "FR", "BE", "NL",
    "LU", "IT", "ES", "PT", "SE", "NO", "DK", "FI", "PL", "CZ", "RO", "HU", "GR", "TR", "IL", "SA",
    "AE", "QA", "KW", "EG", "MA", "ZA", "NG", "KE", "AU", "NZ", "JP", "KR", "TW", "HK", "SG", "MY",
    "TH", "VN", "PH", "ID",
]


class CodeLimits(BaseModel):
    """Limits on codes and bindings (R5, R8, R16, R18)."""

    allowed_periods: list[int] = [7, 30, 60, 365]
    default_period: int = 30
    max_window_days: int = 365
    batch_size: int = 20
    spark_posts_per_ad_account: int = 10_000
    ads_per_identity: int = 10_000
    # Brute force (R15): failed look-ups (not found, mistyped) per ad account and per user, per
    # client address (an IPv6 address counts by its /64), and across the whole service. Counted
    # in the shared limiter store (Settings.limiter_store_url).
    failed_lookups_limit: str = "30/10 minutes"
    failed_lookups_per_ip: str = "100/10 minutes"
    failed_lookups_service: str = "1000/10 minutes"

    @field_validator("failed_lookups_limit", "failed_lookups_per_ip", "failed_lookups_service")
    @classmethod
    def _limit(cls, value: str) -> str:
        return _rate(value)


def _rate(value: str) -> str:
    """A limit in the `limits` notation ("30/10 minutes"), refused at start-up if malformed."""
    from limits import parse

    try:
        parse(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a limit such as '30/10 minutes'") from None
    return value


def _default_database_url() -> str:
    return f"sqlite:///{(VAR_DIR / 'sparkcodes.db').as_posix()}"


class Engagement(BaseModel):
    """Ingestion of engagement events (R21)."""

    batch_size: int = 1000
    max_future_skew_seconds: int = 300


class Review(BaseModel):
    """R30: what a post's organic life must show before a brand asks for a code or links one."""

    min_age_hours: int = 48
    min_completion_15s_percent: float = 60.0
    # Fewer organic views than this and the completion rate says nothing yet.
    min_organic_views: int = 100
    min_positive_percent: float = 75.0
    # Fewer comments with a tone than this and the sentiment says nothing yet.
    min_toned_comments: int = 10
    # VADER's usual cut-offs on the compound score: above is positive, below negative.
    positive_compound: float = 0.05
    negative_compound: float = -0.05


class Reminders(BaseModel):
    """R23: when to remind before a code's window ends (hours), and the fallback default (R27)."""

    offsets_hours: list[int] = [72, 24]
    fallback_hours: int = 24


class Mail(BaseModel):
    """Outgoing e-mail over SMTP; without a host, messages stay in the outbox (never lost)."""

    host: str | None = None
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "sparkcodes <noreply@sparkcodes.local>"
    timeout_seconds: float = 10.0


class Webhooks(BaseModel):
    """R32: retry schedule (seconds after each failed attempt, about three days in all).

    ``allow_private_addresses`` lets endpoints name loopback, private and link-local addresses
    (receivers on the operator's own network, the test suite's local receivers); off, such URLs
    are refused when saved and every delivery is refused if the host resolves to one.
    """

    retry_schedule_seconds: list[int] = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    timeout_seconds: float = 10.0
    allow_private_addresses: bool = False


class TikTokCompat(BaseModel):
    """The TikTok Business API v1.3 surface (/open_api/v1.3, docs/tiktok.md).

    QPS limits as TikTok's Basic tier: per app (40100) and per advertiser and path (40133);
    shared across processes through Redis when ``redis_url`` is set.
    """

    enabled: bool = True
    app_qps: int = Field(10, ge=1, le=100_000)
    advertiser_qps: int = Field(10, ge=1, le=100_000)
    auth_code_minutes: int = Field(10, ge=1, le=1440)


class Connector(BaseModel):
    """Connections to TikTok's Business API (docs/connector.md).

    ``default_base_url`` is where a new connection points unless it names another host;
    ``allow_loopback_http`` lets a connection use plain http on localhost, 127.0.0.1 or [::1]
    (rehearsal against a local sparkcodes). Calls are retried with exponential backoff and
    jitter, at most ``max_attempts`` times, within a per-app and per-advertiser budget (shared
    through Redis when ``redis_url`` is set).
    """

    default_base_url: str = "https://business-api.tiktok.com"
    allow_loopback_http: bool = False
    timeout_seconds: float = Field(15.0, gt=0, le=120)
    max_attempts: int = Field(5, ge=1, le=20)
    backoff_initial_seconds: float = Field(0.5, gt=0, le=60)
    backoff_max_seconds: float = Field(8.0, gt=0, le=600)
    app_qps: int = Field(10, ge=1, le=100_000)
    advertiser_qps: int = Field(10, ge=1, le=100_000)
    throttled_seconds: int = Field(60, ge=1, le=86_400)
    authorize_minutes: int = Field(30, ge=1, le=1440)
    # Sync (docs/connector.md, "Sync"): how often each advertiser is synced and each connection
    # checked on schedule, tt_video/list's page size, and how long a worker holds a sync before
    # another may take it over (a worker killed mid-sync is resumed after that).
    sync_minutes: int = Field(15, ge=1, le=1440)
    check_minutes: int = Field(60, ge=1, le=10_080)
    sync_page_size: int = Field(50, ge=1, le=50)
    sync_hold_seconds: int = Field(300, ge=10, le=3600)
    # How long a link e-mailed to a creator who is not on sparkcodes works (step 5).
    link_days: int = Field(14, ge=1, le=90)


class AuditChain(BaseModel):
    """The tamper-evident audit log (docs/security.md): how often the worker walks the chain
    (minutes; 0 turns the schedule off, `sparkcodes audit verify` still runs on demand)."""

    verify_every_minutes: int = Field(60, ge=0, le=7 * 24 * 60)
    verify_batch: int = Field(2000, ge=100, le=100_000)


class Auth(BaseModel):
    """Log-in throttling and how long tokens and page sessions live.

    Failed log-ins count per account (the e-mail typed) and per client address; a refused
    attempt does not count, so an account is never locked for longer than one window after its
    first failure. ``token_days`` is the lifetime of tokens made by log-in (POST /v1/tokens) and
    the default of `sparkcodes tokens create`; page sessions end ``session_idle_minutes`` after
    their last request and ``session_days`` after log-in, whichever comes first. None: never.
    The sandbox clock jumps weeks ahead in rehearsals, so in sandbox mode tokens and sessions
    do not expire unless ``expire_in_sandbox`` is on.
    """

    failed_logins_per_account: str = "10/15 minutes"
    failed_logins_per_ip: str = "50/15 minutes"
    token_days: int | None = Field(90, ge=1, le=3650)
    session_idle_minutes: int | None = Field(24 * 60, ge=1, le=525_600)
    session_days: int | None = Field(30, ge=1, le=3650)
    expire_in_sandbox: bool = False

    @field_validator("failed_logins_per_account", "failed_logins_per_ip")
    @classmethod
    def _limit(cls, value: str) -> str:
        return _rate(value)


KIB = 1024
MIB = 1024 * KIB


class BodyLimits(BaseModel):
    """The largest request body each class of route accepts, in bytes. A larger body is refused
    with 413 while it streams in, before routing, authentication or any check reads it (a
    Content-Length over the limit before a single byte is read), and the connection is closed.

    ``api``: /v1 JSON and every other non-page route; ``bulk``: /v1 batch routes (binding up to
    ``codes.batch_size`` codes); ``engagement``: POST /v1/engagement/events (up to
    ``engagement.batch_size`` events); ``tiktok``: /open_api/v1.3; ``pages``: HTML forms.
    """

    api: int = Field(256 * KIB, ge=KIB, le=1024 * MIB)
    bulk: int = Field(1 * MIB, ge=KIB, le=1024 * MIB)
    engagement: int = Field(4 * MIB, ge=KIB, le=1024 * MIB)
    tiktok: int = Field(1 * MIB, ge=KIB, le=1024 * MIB)
    pages: int = Field(256 * KIB, ge=KIB, le=1024 * MIB)


class Metrics(BaseModel):
    """GET /metrics, Prometheus' text format (docs/metrics.md).

    ``enabled``: None serves it in dev and test, and in sandbox mode, but not in production;
    True or False decides. In production it needs ``token``, which a scraper sends as
    'Authorization: Bearer <token>' (elsewhere the token is optional, and checked when set).
    ``directory``: where each process of `sparkcodes serve` and `sparkcodes worker` writes its
    counts, so a scrape adds every process up (PROMETHEUS_MULTIPROC_DIR overrides it).
    """

    enabled: bool | None = None
    token: str | None = None
    directory: Path = VAR_DIR / "metrics"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SPARKCODES_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
    )

    env: str = Field(default="dev", description="dev, test or prod")
    database_url: str = Field(default_factory=_default_database_url)
    secret_key: str = DEFAULT_SECRET
    # Secret keys used before the current one: stored secrets sealed under them (connector tokens,
    # webhook signing secrets) still open, until `sparkcodes rotate-keys` seals them again under
    # the current key. Audit links made under a key verify only while it is listed here: keep
    # every key that ever chained audit rows (docs/security.md).
    previous_secret_keys: list[str] = Field(default_factory=list)
    redis_url: str | None = None
    # Where the brute-force limiters count (code look-ups, log-ins), shared by every process:
    # Redis when redis_url is set; otherwise a file next to a SQLite database
    # (<name>.limits.db), or the database itself on PostgreSQL. "memory://" keeps counts in the
    # process (one process only; for demos). A store that cannot be reached refuses with 503.
    limiter_store_url: str | None = None
    limiter_key_prefix: str = "sparkcodes"
    sandbox: bool = False
    embedded_worker: bool = Field(
        default=True, description="Run the job worker inside `sparkcodes serve` (one process)")
    freeze_heap: bool = Field(
        default=True, description="Freeze what startup built while the server runs, so the "
        "garbage collector's full passes skip it (a process that starts many apps in turn, "
        "such as a test run, turns it off: garbage frozen while an app runs is not collected)")
    supported_regions: list[str] = Field(default_factory=lambda: list(DEFAULT_REGIONS))
    codes: CodeLimits = Field(default_factory=CodeLimits)
    auth: Auth = Field(default_factory=Auth)
    engagement: Engagement = Field(default_factory=Engagement)
    reminders: Reminders = Field(default_factory=Reminders)
    review: Review = Field(default_factory=Review)
    mail: Mail = Field(default_factory=Mail)
    webhooks: Webhooks = Field(default_factory=Webhooks)
    tiktok: TikTokCompat = Field(default_factory=TikTokCompat)
    connector: Connector = Field(default_factory=Connector)
    audit: AuditChain = Field(default_factory=AuditChain)
    body_limits: BodyLimits = Field(default_factory=BodyLimits)
    metrics: Metrics = Field(default_factory=Metrics)
    public_url: str = Field("http://127.0.0.1:8000",
                            description="Base of links in e-mails and feeds")
    db_pool_size: int = 20

    @field_validator("supported_regions")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return sorted({r.strip().upper() for r in value if r.strip()})

    @field_validator("database_url")
    @classmethod
    def _driver(cls, value: str) -> str:
        # A plain postgresql:// URL selects psycopg 3, the driver we install.
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @model_validator(mode="after")
    def _secret(self) -> Settings:
        if self.secret_key == DEFAULT_SECRET:
            if self.env == "prod":
                raise ValueError(
                    "SPARKCODES_SECRET_KEY must be set outside dev: it keys the hashes of every "
                    "code and token"
                )
            self.secret_key = _dev_secret()
        if self.codes.default_period not in self.codes.allowed_periods:
            raise ValueError("codes.default_period must be one of codes.allowed_periods")
        if self.env == "prod" and self.metrics.enabled and not self.metrics.token:
            raise ValueError(
                "SPARKCODES_METRICS__ENABLED in production needs SPARKCODES_METRICS__TOKEN: "
                "/metrics tells anyone who reads it how the service is used")
        return self

    @property
    def metrics_served(self) -> bool:
        """Whether GET /metrics answers: on by default everywhere but production."""
        if self.metrics.enabled is not None:
            return self.metrics.enabled
        return self.env != "prod" or self.sandbox

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _dev_secret() -> str:
    """A secret generated once per checkout and kept in var/, so codes stay valid across runs."""
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
