"""Sign-up refusals, each with its code and the words a person reads."""

from __future__ import annotations

import uuid

from tests import factories as f
from tests.integration._http import assert_error


def test_a_short_password_and_a_taken_email_are_refused_in_words(client) -> None:  # type: ignore[no-untyped-def]
    email = f"taken-{uuid.uuid4().hex[:8]}@example.com"
    assert_error(client.post("/v1/users", json={"email": email, "password": "short"}), 422,
                 "weak_password", "Choose a password of at least 8 characters.")
    f.user(client, email=email)
    assert_error(client.post("/v1/users", json={"email": email.upper(),
                                                "password": "another password"}),
                 409, "email_taken", "An account with this e-mail exists; log in instead.")
