"""One error base carrying a stable machine code, an HTTP status and a message a person
understands."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    code = "error"
    status = 400
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 status: int | None = None, details: dict[str, Any] | None = None) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details or {}
        super().__init__(self.message)

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the refusal is answered with (Retry-After on 429 and 503)."""
        return {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class NotFound(AppError):
    code, status, message = "not_found", 404, "Not found."


class Forbidden(AppError):
    code, status, message = "forbidden", 403, "You may not do this."


class Unauthorized(AppError):
    code, status = "unauthorized", 401
    message = "Sign in first: send 'Authorization: Bearer <token>'."


class Conflict(AppError):
    code, status = "conflict", 409


class MirroredFromTikTok(Conflict):
    """A change to an object mirrored from a linked TikTok advertiser: TikTok holds it, and
    sparkcodes does not write through to TikTok yet (docs/connector.md, step 4)."""

    code = "mirrored_from_tiktok"
    message = ("This ad account is mirrored from TikTok through a linked connection: change it "
               "in TikTok Ads Manager; sparkcodes shows what TikTok says after the next sync.")


class Gone(AppError):
    code, status = "gone", 410


class InvalidInput(AppError):
    code, status = "validation_error", 422


class _RetryLater(AppError):
    def __init__(self, message: str | None = None, *, retry_after: int,
                 code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after = max(1, int(retry_after))

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RateLimited(_RetryLater):
    code, status, message = "rate_limited", 429, "Too many attempts; wait and try again."


class Unavailable(_RetryLater):
    """A dependency the request needs (the limiter's store) cannot be reached: fail closed."""

    code, status, message = "unavailable", 503, "This is unavailable for a moment; try again."
