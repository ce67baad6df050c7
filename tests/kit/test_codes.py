"""Spark code format (R7): entropy, check symbol, forgiving input, keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
import math
import random
import re

import pytest

from sparkcodes.kit import crypto
from sparkcodes.kit.crypto import ALPHABET, CodeShapeError, parse_code

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_SYMBOLS = crypto.RANDOM_SYMBOLS + 1  # random symbols and the check symbol
DISPLAY_RE = re.compile(rf"^SPARK(-[{CROCKFORD}]{{4}}){{7}}$")


def _mul(a: int, b: int) -> int:
    """Carry-less multiplication in GF(2^5) mod x^5 + x^2 + 1, bit by bit (no tables)."""
    out = 0
    while b:
        if b & 1:
            out ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= 0b100101
    return out


def _power(i: int) -> int:
    out = 1
    for _ in range(i):
        out = _mul(out, 0b10)
    return out


_POWERS = [_power(i) for i in range(32)]


def reference_check(symbols: str) -> str:
    """The GF(32) weighted check, written out independently: the symbol that zeroes the sum."""
    partial = 0
    for i, ch in enumerate(symbols):
        partial ^= _mul(CROCKFORD.index(ch), _POWERS[i])
    weight = _POWERS[len(symbols)]
    for c in range(32):
        if partial ^ _mul(c, weight) == 0:
            return CROCKFORD[c]
    raise AssertionError("no check symbol")


def with_check(body27: str) -> str:
    return body27 + reference_check(body27)


def display(body28: str) -> str:
    return "SPARK-" + "-".join(body28[i : i + 4] for i in range(0, 28, 4))


_rng = random.Random(2026)
SAMPLE = [
    with_check("0" * 27),
    with_check("Z" * 27),
    with_check("0Z" * 13 + "0"),
    with_check("0123456789ABCDEFGHJKMNPQRST"),
    *[with_check("".join(_rng.choice(CROCKFORD) for _ in range(27))) for _ in range(12)],
]
FIXED = with_check("0123456789ABCDEFGHJKMNPQRST")  # has 0 and 1, to show the aliases


def shape_error(text: str | None) -> CodeShapeError:
    with pytest.raises(CodeShapeError) as caught:
        parse_code(text)  # type: ignore[arg-type]
    return caught.value


# --- the generator's constants -----------------------------------------------------------------

def test_alphabet_is_crockford_base32() -> None:
    assert ALPHABET == CROCKFORD
    assert len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_entropy_is_at_least_112_bits() -> None:
    bits = crypto.RANDOM_SYMBOLS * math.log2(len(crypto.ALPHABET))
    assert bits >= 112
    assert crypto.code_entropy_bits() == pytest.approx(bits)


def test_prefix_is_fixed() -> None:
    assert crypto.CODE_PREFIX == "SPARK"


# --- generated codes --------------------------------------------------------------------------

@pytest.mark.parametrize("attempt", range(20))
def test_generated_codes_parse_back(attempt: int) -> None:
    code = crypto.new_code()
    assert DISPLAY_RE.match(code), code
    parsed = parse_code(code)
    assert parsed.display == code
    assert len(parsed.body) == BODY_SYMBOLS
    assert parsed.body[-1] == reference_check(parsed.body[:-1])
    assert parsed.hint == parsed.body[: crypto.HINT_SYMBOLS]
    assert parse_code(parsed.body) == parsed


def test_generated_codes_differ() -> None:
    codes = {crypto.new_code() for _ in range(200)}
    assert len(codes) == 200


# --- check symbol -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("body", "expected_check"),
    [
        pytest.param("0" * 27, "0", id="all zeros"),
        # a^26 + a^27 c = 0  =>  c = a^-1 = a^4 + a = 0b10010 = 18 -> J
        pytest.param("0" * 26 + "1", "J", id="1 at the last body position: a^-1"),
        # a^25 + a^27 c = 0  =>  c = a^-2 = a^3 + 1 = 0b01001 = 9
        pytest.param("0" * 25 + "10", "9", id="1 at the second-to-last position: a^-2"),
        pytest.param("0" * 26 + "Z", reference_check("0" * 26 + "Z"), id="Z at the last position"),
    ],
)
def test_known_check_symbols(body: str, expected_check: str) -> None:
    assert parse_code(body + expected_check).body == body + expected_check


@pytest.mark.parametrize("code", SAMPLE, ids=[c[:6] for c in SAMPLE])
def test_exactly_one_check_symbol_fits(code: str) -> None:
    fits = []
    for symbol in ALPHABET:
        try:
            parse_code(code[:-1] + symbol)
        except CodeShapeError as exc:
            assert exc.reason == "check"
        else:
            fits.append(symbol)
    assert fits == [code[-1]]


@pytest.mark.parametrize("code", SAMPLE, ids=[c[:6] for c in SAMPLE])
def test_every_single_symbol_substitution_is_mistyped(code: str) -> None:
    assert parse_code(display(code)).body == code
    for position in range(BODY_SYMBOLS):
        for symbol in ALPHABET:
            if symbol == code[position]:
                continue
            typo = code[:position] + symbol + code[position + 1 :]
            error = shape_error(display(typo))
            assert error.reason == "check", (typo, position)
            assert "check character does not match" in str(error)


# --- forgiving input --------------------------------------------------------------------------

def _alias(text: str) -> str:
    return text.replace("0", "O").replace("1", "I")


NORMALIZATION = [
    pytest.param(display(FIXED), id="display form"),
    pytest.param(display(FIXED).lower(), id="lower case"),
    pytest.param(display(FIXED).replace("-", ""), id="no hyphens"),
    pytest.param(display(FIXED).replace("-", " "), id="spaces for hyphens"),
    pytest.param(display(FIXED).replace("-", "  -\t"), id="mixed separators"),
    pytest.param(f"  {display(FIXED)}\n", id="whitespace around"),
    pytest.param(FIXED, id="missing prefix"),
    pytest.param(FIXED.lower(), id="missing prefix, lower case"),
    pytest.param(display(FIXED)[len("SPARK-"):], id="missing prefix, grouped"),
    pytest.param("#" + display(FIXED), id="leading #"),
    pytest.param("# " + display(FIXED).lower(), id="leading # and space"),
    pytest.param("#" + FIXED, id="leading #, missing prefix"),
    pytest.param(display(FIXED).replace("0", "O"), id="O for 0"),
    pytest.param(display(FIXED).replace("0", "o"), id="o for 0"),
    pytest.param(display(FIXED).replace("1", "I"), id="I for 1"),
    pytest.param(display(FIXED).replace("1", "i"), id="i for 1"),
    pytest.param(display(FIXED).replace("1", "L"), id="L for 1"),
    pytest.param(display(FIXED).replace("1", "l"), id="l for 1"),
    pytest.param(_alias(FIXED).lower(), id="aliases, no prefix, lower case"),
    pytest.param(display(FIXED) + " " * (crypto.MAX_CODE_INPUT - len(display(FIXED))),
                 id="padded to the input limit"),
]


@pytest.mark.parametrize("text", NORMALIZATION)
def test_normalization(text: str) -> None:
    parsed = parse_code(text)
    assert parsed.body == FIXED
    assert parsed.display == display(FIXED)
    assert parsed.hint == FIXED[:4]


def test_aliases_show_in_the_fixed_code() -> None:
    assert "0" in FIXED and "1" in FIXED


# --- why a text cannot be a code ----------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "reason", "fragment"),
    [
        pytest.param(None, "empty", "The code is empty", id="None"),
        pytest.param("", "empty", "The code is empty", id="empty"),
        pytest.param("   ", "empty", "paste the whole code", id="spaces"),
        pytest.param("\n\t", "empty", "The code is empty", id="newline and tab"),
        pytest.param(display(FIXED) + " " * (crypto.MAX_CODE_INPUT + 1 - len(display(FIXED))),
                     "length", "far longer than a Spark code", id="one over the input limit"),
        pytest.param("A" * 1000, "length", "far longer", id="very long"),
        pytest.param(FIXED[:-1], "length",
                     "has 27 characters after the prefix, a Spark code has 28", id="27 symbols"),
        pytest.param(FIXED + "0", "length", "has 29 characters after the prefix",
                     id="29 symbols"),
        pytest.param("ABC", "length", "That is not a Spark code: a code is SPARK- and 28",
                     id="3 symbols"),
        pytest.param("hello world", "length", "That is not a Spark code", id="words"),
        pytest.param(FIXED[:14], "length", "has 14 characters after the prefix",
                     id="half a code: a slip, not words"),
        pytest.param(display(FIXED)[:-1], "length", "a Spark code has 28",
                     id="prefix, one symbol short"),
        pytest.param(display(FIXED) + "0", "length", "a Spark code has 28",
                     id="prefix, one symbol long"),
        pytest.param("SPARX-" + FIXED, "length", "a Spark code has 28", id="wrong prefix"),
        pytest.param(FIXED[:-1] + "U", "symbol", "it contains 'U', which no Spark code has",
                     id="U as the check symbol"),
        pytest.param("u" + FIXED[1:], "symbol", "'U'", id="lower-case u"),
        pytest.param(display(FIXED).replace("2", "U"), "symbol", "'U'", id="U in a full code"),
        pytest.param("SPARK-U", "symbol", "'U'", id="U also when too short"),
        pytest.param(FIXED[:-1] + "*", "symbol", "'*'", id="star"),
        pytest.param(FIXED.replace("A", "!").replace("B", "_"), "symbol", "'!', '_'",
                     id="two bad symbols, sorted"),
        pytest.param("SPARK#" + FIXED, "symbol", "'#'", id="# inside"),
        pytest.param(display(FIXED).replace("3", "Ü"), "symbol", "'Ü'", id="non-ASCII"),
        pytest.param(FIXED[:-1] + ("1" if FIXED[-1] != "1" else "2"), "check",
                     "its check character does not match", id="wrong check symbol"),
    ],
)
def test_shape_errors(text: str | None, reason: str, fragment: str) -> None:
    error = shape_error(text)
    assert isinstance(error, ValueError)
    assert error.reason == reason
    assert fragment in str(error)
    if reason in ("length", "symbol", "check"):
        assert any(words in str(error)
                   for words in ("mistyped", "far longer", "not a Spark code"))


def test_at_most_five_bad_symbols_are_shown() -> None:
    message = str(shape_error("!#$%&*+" + FIXED[7:]))
    assert message.count("'") == 10


# --- keyed hashes -------------------------------------------------------------------------------

SECRET_A, SECRET_B = "secret-a" * 4, "secret-b" * 4


@pytest.mark.parametrize("code", SAMPLE[:6], ids=[c[:6] for c in SAMPLE[:6]])
def test_code_hashes(code: str) -> None:
    parsed = parse_code(code)
    digest = crypto.hash_code(SECRET_A, parsed)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == crypto.hash_code(SECRET_A, parse_code(display(code).lower()))
    assert digest != crypto.hash_code(SECRET_B, parsed)
    for raw in (code, display(code)):
        assert raw.lower() not in digest.lower()
    expected_key = hmac.new(SECRET_A.encode(), b"spark-code", hashlib.sha256).digest()
    assert digest == hmac.new(expected_key, code.encode(), hashlib.sha256).hexdigest()
    assert digest != hashlib.sha256(code.encode()).hexdigest()  # keyed, not a plain hash


def test_different_codes_hash_differently() -> None:
    digests = {crypto.hash_code(SECRET_A, parse_code(code)) for code in SAMPLE}
    assert len(digests) == len(SAMPLE)


def test_hash_purposes_are_separate() -> None:
    value = SAMPLE[0]
    assert crypto.keyed_hash(SECRET_A, value, purpose="spark-code") != crypto.keyed_hash(
        SECRET_A, value, purpose="api-token"
    )


def test_api_tokens() -> None:
    token = crypto.new_api_token()
    assert token.startswith(crypto.TOKEN_PREFIX)
    assert len(token) > 40
    assert token != crypto.new_api_token()
    digest = crypto.hash_api_token(SECRET_A, token)
    assert digest == crypto.hash_api_token(SECRET_A, token)
    assert digest != crypto.hash_api_token(SECRET_B, token)
    assert token not in digest and token[len(crypto.TOKEN_PREFIX):] not in digest


def test_passwords() -> None:
    stored = crypto.hash_password("correct horse")
    assert "correct horse" not in stored
    assert crypto.verify_password(stored, "correct horse")
    assert not crypto.verify_password(stored, "wrong horse")
    assert not crypto.verify_password("not a hash", "correct horse")
    assert not crypto.verify_password(crypto.DUMMY_PASSWORD_HASH, "")


def test_every_adjacent_swap_is_caught_at_every_position() -> None:
    """Every ordered pair of different symbols, swapped at every neighbouring pair of positions."""
    base = list(SAMPLE[4])
    for i in range(BODY_SYMBOLS - 1):
        for a in CROCKFORD:
            for b in CROCKFORD:
                if a == b:
                    continue
                body = base[:]
                body[i], body[i + 1] = a, b
                if i + 1 < BODY_SYMBOLS - 1:
                    body[-1] = reference_check("".join(body[:-1]))
                elif reference_check("".join(body[:-1])) != b:
                    continue  # the check symbol is fixed by the body; only valid codes count
                good = "".join(body)
                swapped = good[:i] + good[i + 1] + good[i] + good[i + 2:]
                with pytest.raises(CodeShapeError) as caught:
                    parse_code(swapped)
                assert caught.value.reason == "check", (i, a, b)


def test_zero_z_swap_is_caught() -> None:
    """The case a Luhn mod 32 check misses: 0 and Z (value 31) swapped."""
    good = with_check("0" * 25 + "Z0")
    swapped = good[:25] + "0Z" + good[27:]
    assert shape_error(display(swapped)).reason == "check"
