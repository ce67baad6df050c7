"""Secrets kept out of the logs: a calendar feed's token is its URL, and TikTok's flows carry
``secret``, ``access_token`` and ``auth_code`` in query strings. Every request target that goes
into a log line (uvicorn's access log, our own error lines) passes through ``redact_target``."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

REDACTED = "[redacted]"
# Path segments that are secrets themselves: /v1/calendar/<token>.ics.
_SECRET_SEGMENTS = (re.compile(r"(/calendar/)[^/?]+"),)
# Query parameters whose value is a secret (compared case-insensitively, after decoding).
SECRET_PARAMS = frozenset({"access_token", "auth_code", "code", "password", "refresh_token",
                           "secret", "state", "token"})
ACCESS_LOGGER = "uvicorn.access"


def redact_target(target: str) -> str:
    """``target`` (a path with its query string) with secret segments and values replaced."""
    path, sep, query = target.partition("?")
    for pattern in _SECRET_SEGMENTS:
        path = pattern.sub(rf"\g<1>{REDACTED}", path)
    if query:
        items = []
        for item in query.split("&"):
            name, eq, _value = item.partition("=")
            if eq and unquote_plus(name).strip().lower() in SECRET_PARAMS:
                item = f"{name}={REDACTED}"
            items.append(item)
        query = "&".join(items)
    return path + sep + query


class RedactAccessLog(logging.Filter):
    """Rewrites the request target of uvicorn's access log records (their third argument:
    client, method, target, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_target(args[2]), *args[3:])
        return True


def install_access_log_redaction() -> None:
    """Put the filter on uvicorn's access logger once (uvicorn configures its logging before it
    builds the app, so the filter added here stays)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactAccessLog) for f in logger.filters):
        logger.addFilter(RedactAccessLog())
