"""TikTok's return codes (§7 of the reference) and the one table that maps sparkcodes' errors
to them. Each row is tested (tests/compat/tiktok/test_codes.py)."""

from __future__ import annotations

from sparkcodes import errors
from sparkcodes.compat.tiktok.envelope import TikTokError

PARTIAL_SUCCESS = 20001
NO_PERMISSION = 40001
PARAM_ERROR = 40002
NOT_FOUND = 40007
NOT_SUPPORTED = 40008
TOO_MANY_IDS = 40011
TOO_FREQUENT = 40016
APP_QPS = 40100
INVALID_APP = 40101
TOKEN_EMPTY = 40104
TOKEN_INVALID = 40105
OAUTH_CODE_INVALID = 40110
ADVERTISER_QPS = 40133
WRITE_CONFLICT = 40202
AD_LIMIT = 40502
SYSTEM_ERROR = 50000
PROCESSING_ERROR = 50002

POST_CODE_INCORRECT = "Post code is incorrect."
TOKEN_EMPTY_MESSAGE = ("Access token is null, you should set it in http header with key "
                       "Access-Token.")
TOKEN_INVALID_MESSAGE = "Access token is incorrect or has been revoked."

# sparkcodes error code -> (TikTok code, words put before sparkcodes' own message or None).
# Codes not listed fall back on the HTTP status (STATUS_FALLBACK).
TABLE: dict[str, tuple[int, str | None]] = {
    # A code that matches nothing, or was mistyped: TikTok says "Post code is incorrect".
    "code_not_found": (PARAM_ERROR, POST_CODE_INCORRECT),
    "code_mistyped": (PARAM_ERROR, POST_CODE_INCORRECT),
    # A real code that cannot be applied: a parameter error with the precise reason (R15).
    "code_expired": (PARAM_ERROR, None),
    "code_deleted": (PARAM_ERROR, None),
    "ad_settings_off": (PARAM_ERROR, None),
    "region_not_supported": (PARAM_ERROR, None),
    "story_not_supported": (PARAM_ERROR, None),
    "nested_duet_not_supported": (PARAM_ERROR, None),
    "original_post_code_required": (PARAM_ERROR, None),
    "original_post_code_mismatch": (PARAM_ERROR, None),
    "original_post_code_invalid": (PARAM_ERROR, None),
    "batch_empty": (PARAM_ERROR, None),
    "caption_not_editable": (PARAM_ERROR, None),
    "caption_locked": (PARAM_ERROR, None),
    "invalid_call_to_action": (PARAM_ERROR, None),
    "invalid_landing_page_url": (PARAM_ERROR, None),
    "invalid_utm_parameter": (PARAM_ERROR, None),
    "invalid_operation_status": (PARAM_ERROR, None),
    "invalid_objective": (PARAM_ERROR, None),
    "invalid_budget_mode": (PARAM_ERROR, None),
    "invalid_budget": (PARAM_ERROR, None),
    "invalid_schedule": (PARAM_ERROR, None),
    "invalid_name": (PARAM_ERROR, None),
    "invalid_date_range": (PARAM_ERROR, None),
    "validation_error": (PARAM_ERROR, None),
    "invalid_characters": (PARAM_ERROR, None),
    "invalid_value": (PARAM_ERROR, None),
    "spark_post_in_use": (PARAM_ERROR, None),
    "spark_post_unbound": (PARAM_ERROR, None),
    "identity_not_linked": (PARAM_ERROR, None),
    "ad_group_deleted": (PARAM_ERROR, None),
    "ad_deleted": (PARAM_ERROR, None),
    # Another ad account owns the code: no permission on it.
    "code_used_elsewhere": (NO_PERMISSION, None),
    "original_post_code_used_elsewhere": (NO_PERMISSION, None),
    "forbidden": (NO_PERMISSION, None),
    "role_insufficient": (NO_PERMISSION, None),
    # The post behind the code (or a named object) does not exist, or no longer does.
    "post_unavailable": (NOT_FOUND, None),
    "post_not_found": (NOT_FOUND, None),
    "not_found": (NOT_FOUND, None),
    "ad_not_found": (NOT_FOUND, None),
    # Limits.
    "batch_too_large": (TOO_MANY_IDS, None),
    "capacity_reached": (AD_LIMIT, None),
    "identity_capacity_reached": (AD_LIMIT, None),
    # Too many failed code look-ups (R15; the message names the limit and when to retry). Not
    # 40100: clients retry "QPS limit" refusals within seconds, and this one lasts minutes.
    "rate_limited": (TOO_FREQUENT, None),
    # The limiter's store is down: look-ups are refused (fail closed), retry later.
    "limiter_unavailable": (PROCESSING_ERROR, None),
    # Tokens.
    "unauthorized": (TOKEN_INVALID, TOKEN_INVALID_MESSAGE),
    # Two writes raced and this one lost; the client may retry.
    "concurrent_update": (WRITE_CONFLICT, None),
}

STATUS_FALLBACK = {401: TOKEN_INVALID, 403: NO_PERMISSION, 404: NOT_FOUND, 409: PARAM_ERROR,
                   410: PARAM_ERROR, 413: PARAM_ERROR, 422: PARAM_ERROR, 429: TOO_FREQUENT,
                   503: PROCESSING_ERROR}


def translate(exc: errors.AppError) -> TikTokError:
    """The TikTok code and message for a sparkcodes refusal; the message keeps sparkcodes' words
    (the precise reason), after TikTok's own where clients match on them."""
    code, prefix = TABLE.get(exc.code, (STATUS_FALLBACK.get(exc.status, PARAM_ERROR), None))
    message = exc.message if prefix is None else f"{prefix} {exc.message}"
    return TikTokError(code, message)
