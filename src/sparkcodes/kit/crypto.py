"""Secrets: Spark codes (R7), API tokens and passwords.

A Spark code reads ``SPARK-`` and seven groups of four symbols: a fixed prefix so a leaked code is
recognisable, then 27 random Crockford Base32 symbols (135 bits) and one check symbol. Input is
forgiving: case, hyphens and spaces are ignored, O reads as 0, I and L as 1.

The check symbol tells a typo apart from an unknown code. Symbols are read as elements of GF(32)
and the code is valid when the weighted sum of x_i * a^i is zero (a a primitive element). A
substitution at position i changes the sum by a^i * (x - y), and a swap of neighbours by
a^i * (1 + a) * (x - y): neither is ever zero, so every single-symbol substitution and every swap
of two adjacent different symbols is caught (a plain Luhn mod 32 misses 0/Z swaps). Only a keyed
hash is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford Base32: no I, L, O, U
BASE = len(ALPHABET)
CODE_PREFIX = "SPARK"
RANDOM_SYMBOLS = 27
GROUP = 4
HINT_SYMBOLS = 4  # shown to owner and binder to tell codes apart; the rest stays secret
BITS_PER_SYMBOL = math.log2(BASE)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
MAX_CODE_INPUT = 120


def code_entropy_bits() -> float:
    return RANDOM_SYMBOLS * BITS_PER_SYMBOL


# GF(2^5) with the primitive polynomial x^5 + x^2 + 1: log and antilog tables.
_EXP = [0] * 62
_LOG = [0] * 32
_x = 1
for _i in range(31):
    _EXP[_i] = _EXP[_i + 31] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0b100000:
        _x ^= 0b100101


def _gf_mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


def _weighted_sum(values: list[int]) -> int:
    total = 0
    for i, v in enumerate(values):
        total ^= _gf_mul(v, _EXP[i % 31])
    return total


def _check_symbol(symbols: str) -> str:
    """The symbol that makes the weighted sum over ``symbols`` + it zero."""
    values = [_VALUE[ch] for ch in symbols]
    partial = _weighted_sum(values)
    weight = _EXP[len(values) % 31]
    # partial + weight * c = 0  (characteristic 2)  =>  c = partial / weight
    c = 0 if partial == 0 else _EXP[(_LOG[partial] - _LOG[weight]) % 31]
    return ALPHABET[c]


def _check_valid(symbols: str) -> bool:
    return _weighted_sum([_VALUE[ch] for ch in symbols]) == 0


def format_code(body: str) -> str:
    groups = [body[i : i + GROUP] for i in range(0, len(body), GROUP)]
    return "-".join([CODE_PREFIX, *groups])


def new_code() -> str:
    """A fresh code in display form."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return format_code(body + _check_symbol(body))


class CodeShapeError(ValueError):
    """The text cannot be a code; ``reason`` is one of empty, length, symbol, check."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class ParsedCode:
    body: str  # the 28 symbols, canonical

    @property
    def hint(self) -> str:
        return self.body[:HINT_SYMBOLS]

    @property
    def display(self) -> str:
        return format_code(self.body)


def parse_code(text: str) -> ParsedCode:
    """Normalize what a person pasted into the canonical code, or say why it cannot be one."""
    if text is None or not text.strip():
        raise CodeShapeError("empty", "The code is empty: paste the whole code the creator sent.")
    if len(text) > MAX_CODE_INPUT:
        raise CodeShapeError("length", "That is far longer than a Spark code.")
    compact = "".join(text.split()).replace("-", "")
    foreign = sorted({ch for ch in compact if not ch.isascii()})
    if foreign:  # checked before upper-casing: Unicode folds 'ſ' to 'S' and 'ı' to 'I'
        shown = ", ".join(repr(ch) for ch in foreign[:5])
        raise CodeShapeError(
            "symbol", f"The code looks mistyped: it contains {shown}, which no Spark code has."
        )
    compact = compact.upper()
    if compact.startswith("#"):
        compact = compact[1:]
    expected = RANDOM_SYMBOLS + 1
    prefixed = compact.startswith(CODE_PREFIX)
    if prefixed and len(compact) != expected:
        compact = compact[len(CODE_PREFIX) :]
    if not prefixed and len(compact) < expected // 2:
        # Words, a name, half a line: not a code with a slip in it.
        raise CodeShapeError(
            "length",
            f"That is not a Spark code: a code is {CODE_PREFIX}- and {expected} letters and "
            "digits in groups of four. Paste the whole code the creator sent.",
        )
    compact = compact.translate(_ALIASES)
    bad = sorted({ch for ch in compact if ch not in _VALUE})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad[:5])
        raise CodeShapeError(
            "symbol", f"The code looks mistyped: it contains {shown}, which no Spark code has."
        )
    if len(compact) != expected:
        raise CodeShapeError(
            "length",
            f"The code looks mistyped: it has {len(compact)} characters after the prefix, "
            f"a Spark code has {expected}.",
        )
    if not _check_valid(compact):
        raise CodeShapeError(
            "check", "The code looks mistyped: its check character does not match. "
            "Copy it again from the creator's message."
        )
    return ParsedCode(compact)


def keyed_hash(secret_key: str, value: str, *, purpose: str) -> str:
    """HMAC-SHA-256 of ``value`` under a key derived from the secret for one purpose."""
    key = hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def hash_code(secret_key: str, code: ParsedCode) -> str:
    return keyed_hash(secret_key, code.body, purpose="spark-code")


TOKEN_PREFIX = "sct_"


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_api_token(secret_key: str, token: str) -> str:
    # A fast keyed hash: tokens carry 256 random bits, so a slow password hash buys nothing here.
    return keyed_hash(secret_key, token, purpose="api-token")


def new_url_secret() -> str:
    return secrets.token_urlsafe(24)


def link_token(secret_key: str, nonce: str) -> str:
    """The token of an e-mailed link, derived from a nonce under the secret key (40 hex
    characters, 160 bits): a row that holds the nonce (the outbox's) does not hold the link."""
    return keyed_hash(secret_key, nonce, purpose="e-mailed link token")[:40]


_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when an e-mail is unknown, so log-in time does not reveal which e-mails exist.
DUMMY_PASSWORD_HASH = _hasher.hash(secrets.token_urlsafe(16))
