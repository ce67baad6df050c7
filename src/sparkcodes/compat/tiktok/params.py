"""TikTok's request conventions (§1): GET parameters in the query string with arrays and objects
JSON-encoded, repeated keys refused; POST bodies as JSON objects. Every bad value is a 40002 in
the envelope, never a 422 page."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sparkcodes.compat.tiktok.codes import PARAM_ERROR, TOO_MANY_IDS
from sparkcodes.compat.tiktok.envelope import TikTokError
from sparkcodes.kit.text import CONTROL_MESSAGE, has_control

MAX_STRING = 4096
MAX_ID = 2**63 - 1


def bad(message: str) -> TikTokError:
    return TikTokError(PARAM_ERROR, message)


def _missing(name: str) -> TikTokError:
    return bad(f"Missing required field(s): {name}.")


class Params:
    """One request's parameters: the query string for GET, the JSON body for POST."""

    def __init__(self, values: dict[str, Any], *, from_query: bool) -> None:
        self.values = values
        self.from_query = from_query

    @classmethod
    def from_query_items(cls, items: list[tuple[str, str]]) -> Params:
        values: dict[str, Any] = {}
        for key, value in items:
            if key in values:
                raise bad(f"error unmarshaling parameter: '{key}' is given more than once; send "
                          "arrays as one JSON-encoded value, e.g. "
                          f'{key}=["a","b"].')
            values[key] = value
        return cls(values, from_query=True)

    @classmethod
    def from_body(cls, raw: bytes) -> Params:
        if not raw.strip():
            return cls({}, from_query=False)
        try:
            values = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise bad("The request body is not valid JSON.") from None
        if not isinstance(values, dict):
            raise bad("The request body must be a JSON object.")
        return cls(values, from_query=False)

    def has(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and value != "null"

    def raw(self, name: str) -> Any:
        value = self.values.get(name)
        # The official SDK sends an explicit None as the literal "null" (§9.3).
        return None if value == "null" and self.from_query else value

    def string(self, name: str, *, required: bool = False, default: str | None = None,
               max_length: int = MAX_STRING, single_line: bool = False) -> str | None:
        """``single_line``: a name or URL, refused with a control character in it."""
        value = self.raw(name)
        if value is None or value == "":
            if required:
                raise _missing(name)
            return default
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise bad(f"{name} must be a string.")
        value = str(value)
        if len(value) > max_length:
            raise bad(f"{name} is too long: at most {max_length} characters.")
        if "\x00" in value:
            raise bad(f"{name} may not contain NUL characters.")
        if single_line and has_control(value):
            raise bad(f"{name} {CONTROL_MESSAGE}.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise bad(f"{name} must be valid Unicode text (it holds a lone surrogate).") from None
        return value

    def id(self, name: str, *, required: bool = False) -> str | None:
        """A TikTok id: a numeric string (an integer in JSON is accepted too)."""
        value = self.raw(name)
        if value is None or value == "":
            if required:
                raise _missing(name)
            return None
        return _id(name, value)

    def integer(self, name: str, *, default: int, low: int, high: int) -> int:
        value = self.raw(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad(f"{name} must be an integer.")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise bad(f"{name} must be an integer.") from None
        if not low <= number <= high:
            raise bad(f"{name} must be between {low} and {high}; {number} was sent.")
        return number

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self.raw(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()  # the SDK sends Python's True/False (§9.3)
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise bad(f"{name} must be true or false.")

    def _json(self, name: str) -> Any:
        value = self.raw(name)
        if value is None or value == "":
            return None
        if isinstance(value, str) and self.from_query:
            try:
                return json.loads(value)
            except (ValueError, RecursionError):
                raise bad(f"error unmarshaling parameter: {name} must be JSON-encoded, e.g. "
                          f'{name}=["a","b"].') from None
        return value

    def array(self, name: str, *, required: bool = False, max_items: int = 1000,
              item: type = str) -> list[Any] | None:
        value = self._json(name)
        if value is None:
            if required:
                raise _missing(name)
            return None
        if not isinstance(value, list):
            raise bad(f"{name} must be an array.")
        if len(value) > max_items:
            raise bad(f"{name} may hold at most {max_items} items; {len(value)} were sent.")
        for element in value:
            if item is str and (isinstance(element, bool) or not isinstance(element, str | int)):
                raise bad(f"{name} must be an array of strings.")
            if item is dict and not isinstance(element, dict):
                raise bad(f"{name} must be an array of objects.")
        return [str(v) for v in value] if item is str else value

    def id_array(self, name: str, *, required: bool = False,
                 max_items: int = 100) -> list[str] | None:
        """Ids; more than ``max_items`` is TikTok's 40011, too many ids in one request."""
        values = self.array(name, required=required, max_items=10_000)
        if values is not None and len(values) > max_items:
            raise TikTokError(TOO_MANY_IDS, f"{name} may hold at most {max_items} ids; "
                              f"{len(values)} were sent.")
        return None if values is None else [_id(name, v) for v in values]

    def object(self, name: str) -> Params:
        value = self._json(name)
        if value is None:
            return Params({}, from_query=False)
        if not isinstance(value, dict):
            raise bad(f"{name} must be a JSON object.")
        return Params(value, from_query=False)

    def amount(self, name: str, *, required: bool = False,
               high: Decimal = Decimal(10_000_000)) -> Decimal | None:
        """Money as TikTok sends it: a JSON number (or a numeric string), at most two decimals
        kept."""
        value = self.raw(name)
        if value is None or value == "":
            if required:
                raise _missing(name)
            return None
        if isinstance(value, bool):
            raise bad(f"{name} must be a number.")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise bad(f"{name} must be a number.") from None
        if not number.is_finite() or number < 0 or number > high:
            raise bad(f"{name} must be between 0 and {high}; {value} was sent.")
        return number

    def instant(self, name: str, *, required: bool = False) -> datetime | None:
        """A time as TikTok writes it, "YYYY-MM-DD HH:MM:SS" in UTC (ISO with an offset too)."""
        value = self.string(name, required=required, max_length=40)
        if value is None:
            return None
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
            try:
                return datetime.strptime(value, fmt).replace(tzinfo=UTC)
            except ValueError:
                pass
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise bad(f"{name} must be a time as YYYY-MM-DD HH:MM:SS (UTC); '{value}' was "
                      "sent.") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)

    def day(self, name: str, *, required: bool = False) -> date | None:
        value = self.string(name, required=required, max_length=20)
        if value is None:
            return None
        try:
            return datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            raise bad(f"{name} must be a date as YYYY-MM-DD; '{value}' was sent.") from None

    def choice(self, name: str, options: tuple[str, ...], *, required: bool = False,
               default: str | None = None) -> str | None:
        value = self.string(name, required=required, default=default, max_length=64)
        if value is not None and value not in options:
            raise bad(f"{name} must be one of {', '.join(options)}; '{value}' was sent.")
        return value


def _id(name: str, value: Any) -> str:
    if isinstance(value, bool):
        raise bad(f"{name} must be a numeric string id.")
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) > MAX_ID:
        raise bad(f"{name} must be a numeric string id; '{text[:40]}' was sent.")
    return text
