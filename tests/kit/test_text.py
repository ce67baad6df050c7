"""Free text from people: every refusal's code and message (kit/text.py and its callers)."""

from __future__ import annotations

import pytest

from sparkcodes import errors
from sparkcodes.code_request import rules as code_request_rules
from sparkcodes.kit.text import clean_text, counted
from sparkcodes.renewal import rules as renewal_rules
from sparkcodes.transparency import rules as transparency_rules


def test_text_is_trimmed_and_may_be_empty_unless_required() -> None:
    assert clean_text("  hello  ", name="message", max_length=10) == "hello"
    assert clean_text(None, name="message", max_length=10) == ""
    assert clean_text("x" * 10, name="message", max_length=10) == "x" * 10


@pytest.mark.parametrize(("call", "code", "message"), [
    (lambda: clean_text("a\x00b", name="reason", max_length=9), "invalid_text",
     "The reason contains a NUL character."),
    (lambda: clean_text("a\x00b", name="terms", max_length=9), "invalid_text",
     "The terms contain a NUL character."),
    (lambda: clean_text("x" * 11, name="message", max_length=10), "message_too_long",
     "The message may be at most 10 characters."),
    (lambda: clean_text("   ", name="reason", max_length=10, required="Say why."),
     "reason_required", "Say why."),
    (lambda: renewal_rules.clean_reason(""), "reason_required",
     "Say why you decline, so the brand knows what to do next."),
    (lambda: code_request_rules.clean_reason(None), "reason_required",
     "Say why you decline, so the brand knows what to do next."),
    (lambda: transparency_rules.clean_reason(" "), "reason_required",
     "Describe the misuse, so the brand knows what to fix."),
    (lambda: code_request_rules.clean_terms("t" * (code_request_rules.MAX_TERMS + 1)),
     "terms_too_long", f"The terms may be at most {code_request_rules.MAX_TERMS} characters."),
    (lambda: renewal_rules.clean_message("m" * (renewal_rules.MAX_MESSAGE + 1)),
     "message_too_long",
     f"The message may be at most {renewal_rules.MAX_MESSAGE} characters."),
])
def test_refusals(call, code: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.AppError) as caught:
        call()
    assert (caught.value.code, caught.value.message, caught.value.status) == (code, message, 422)


@pytest.mark.parametrize(("n", "noun", "plural", "words"), [
    (0, "live ad", None, "0 live ads"), (1, "live ad", None, "1 live ad"),
    (2, "live ad", None, "2 live ads"), (1, "reply", "replies", "1 reply"),
    (3, "reply", "replies", "3 replies"),
])
def test_counted(n, noun, plural, words):  # type: ignore[no-untyped-def]
    assert counted(n, noun, plural) == words
