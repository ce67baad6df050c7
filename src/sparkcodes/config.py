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
    # Brute force (R15): failed look-ups (not found, mistyped) per ad account and per user.
    failed_lookups_limit: str = "30/10 minutes"


def _default_database_url() -> str:
    return f"sqlite:///{(VAR_DIR / 'sparkcodes.db').as_posix()}"


class Engagement(BaseModel):
    """Ingestion of engagement events (R21)."""

    batch_size: int = 1000
    max_future_skew_seconds: int = 300


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
    # the current key.
    previous_secret_keys: list[str] = Field(default_factory=list)
    redis_url: str | None = None
    sandbox: bool = False
    embedded_worker: bool = Field(
        default=True, description="Run the job worker inside `sparkcodes serve` (one process)")
    supported_regions: list[str] = Field(default_factory=lambda: list(DEFAULT_REGIONS))
    codes: CodeLimits = Field(default_factory=CodeLimits)
    engagement: Engagement = Field(default_factory=Engagement)
    reminders: Reminders = Field(default_factory=Reminders)
    mail: Mail = Field(default_factory=Mail)
    webhooks: Webhooks = Field(default_factory=Webhooks)
    tiktok: TikTokCompat = Field(default_factory=TikTokCompat)
    connector: Connector = Field(default_factory=Connector)
    body_limits: BodyLimits = Field(default_factory=BodyLimits)
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
        return self

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
