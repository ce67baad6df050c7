"""Webhook signing secrets are sealed at rest (kit/sealing.py, like the connector's): the row
never holds the secret in clear, deliveries still verify with the secret shown once, a row from
before (in clear) keeps signing, `sparkcodes rotate-keys` re-seals them all under a new key, and
migration 0015 seals existing rows (and opens them again on the way down)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from sparkcodes import config
from sparkcodes.cli import app as cli_app
from sparkcodes.kit.sealing import WEBHOOK_INFO, Sealer
from sparkcodes.models import WebhookEndpoint
from sparkcodes.webhook import service as webhook_service
from tests import factories as f
from tests.migrations import KINDS, migrating
from tests.webhook.test_rotation import _deliver, _rotate, _verifies
from tests.webhook.test_webhooks import Receiver, _endpoint, _runner

NEW_KEY = "a-brand-new-secret-key"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


def _row(app, endpoint_id: str) -> WebhookEndpoint:  # type: ignore[no-untyped-def]
    with app.state.db.unit_of_work(write=False) as s:
        row = s.get(WebhookEndpoint, endpoint_id)
        assert row is not None
        return row


def _box(key: str) -> Sealer:
    return Sealer(key, info=WEBHOOK_INFO)


def test_the_secret_is_sealed_at_rest_and_still_signs(client, app, receiver) -> None:  # type: ignore[no-untyped-def]
    admin = f.user(client)
    biz = f.business(client, admin)
    endpoint = _endpoint(client, admin, biz["id"], receiver, "/hook")
    shown = endpoint["secret"]
    row = _row(app, endpoint["id"])
    assert row.secret != shown and not row.secret.startswith("whsec_")
    assert shown.removeprefix("whsec_") not in row.secret
    assert _box(app.state.settings.secret_key).open(row.secret) == shown
    got = _deliver(app.state.db, _runner(app, "w1"), biz["id"], receiver, "p1")
    assert got["accepted"] and _verifies(shown, got)

    new = _rotate(client, admin, endpoint["id"])["secret"]
    row = _row(app, endpoint["id"])
    assert row.secret != new and row.previous_secret != shown
    assert row.previous_secret is not None and not row.previous_secret.startswith("whsec_")
    receiver.secrets["/hook"] = new
    got = _deliver(app.state.db, _runner(app, "w1"), biz["id"], receiver, "p2")
    assert got["accepted"] and _verifies(new, got) and _verifies(shown, got)


def test_a_secret_stored_in_clear_before_keeps_signing(client, app, receiver) -> None:  # type: ignore[no-untyped-def]
    admin = f.user(client)
    biz = f.business(client, admin)
    endpoint = _endpoint(client, admin, biz["id"], receiver, "/hook")
    with app.state.db.unit_of_work() as s:
        s.get(WebhookEndpoint, endpoint["id"]).secret = endpoint["secret"]
    got = _deliver(app.state.db, _runner(app, "w1"), biz["id"], receiver, "p1")
    assert got["accepted"] and _verifies(endpoint["secret"], got)


@pytest.fixture
def cli(app, monkeypatch) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SPARKCODES_DATABASE_URL", app.state.settings.database_url)
    monkeypatch.setenv("SPARKCODES_ENV", "test")
    config.get_settings.cache_clear()

    def run(*, key: str, previous: str | None, code: int = 0) -> str:
        monkeypatch.setenv("SPARKCODES_SECRET_KEY", key)
        if previous is None:
            monkeypatch.delenv("SPARKCODES_PREVIOUS_SECRET_KEYS", raising=False)
        else:
            monkeypatch.setenv("SPARKCODES_PREVIOUS_SECRET_KEYS", f'["{previous}"]')
        config.get_settings.cache_clear()
        result = CliRunner().invoke(cli_app, ["rotate-keys"])
        assert result.exit_code == code, (result.exit_code, result.output, result.exception)
        return " ".join(result.output.split())

    yield run
    config.get_settings.cache_clear()


def test_rotate_keys_reseals_webhook_secrets_under_the_new_key(client, app, receiver,  # type: ignore[no-untyped-def]
                                                              cli) -> None:
    old_key = app.state.settings.secret_key
    admin = f.user(client)
    biz = f.business(client, admin)
    sealed = _endpoint(client, admin, biz["id"], receiver, "/a")
    rotated = _endpoint(client, admin, biz["id"], receiver, "/b")
    second = _rotate(client, admin, rotated["id"])["secret"]
    clear = _endpoint(client, admin, biz["id"], receiver, "/c")
    with app.state.db.unit_of_work() as s:
        s.get(WebhookEndpoint, clear["id"]).secret = clear["secret"]
    before = {e: _row(app, e).secret for e in (sealed["id"], rotated["id"], clear["id"])}

    out = cli(key=NEW_KEY, previous=None, code=1)
    assert ("A stored secret opens under none of the configured keys: list the key it was "
            "sealed with in SPARKCODES_PREVIOUS_SECRET_KEYS and run this again. Nothing was "
            "changed.") in out
    assert {e: _row(app, e).secret for e in before} == before

    out = cli(key=NEW_KEY, previous=old_key)
    assert "Re-sealed the secrets of 0 TikTok connection(s) and 3 webhook endpoint(s)" in out
    box = _box(NEW_KEY)
    for endpoint_id, secret in ((sealed["id"], sealed["secret"]), (rotated["id"], second),
                                (clear["id"], clear["secret"])):
        row = _row(app, endpoint_id)
        assert box.is_current(row.secret) and box.open(row.secret) == secret
    row = _row(app, rotated["id"])
    assert row.previous_secret is not None and box.open(row.previous_secret) == rotated["secret"]
    out = cli(key=NEW_KEY, previous=old_key)
    assert "0 webhook endpoint(s)" in out  # nothing left to do


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0015_seals_existing_secrets_and_opens_them_on_the_way_down(  # type: ignore[no-untyped-def]
        kind, tmp_path) -> None:
    key = "migration-key"
    with migrating(kind, tmp_path, secret_key=key) as db:
        engine = db.engine
        db.upgrade("0014")
        secret, previous = webhook_service.new_secret(), webhook_service.new_secret()
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, created_at) "
                "VALUES ('u1', 'a@example.com', 'A', 'x', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO businesses (id, name, created_by_id, created_at) "
                "VALUES ('b1', 'Biz', 'u1', CURRENT_TIMESTAMP)"))
            for eid, prev in (("e1", previous), ("e2", None)):
                conn.execute(text(
                    "INSERT INTO webhook_endpoints (id, business_id, url, description, secret, "
                    "previous_secret, event_types, created_by_id, created_at) VALUES (:id, "
                    "'b1', 'https://hooks.example/in', '', :secret, :previous, '[]', 'u1', "
                    "CURRENT_TIMESTAMP)"), {"id": eid, "secret": secret, "previous": prev})

        def stored() -> dict[str, tuple[str, str | None]]:
            with engine.connect() as conn:
                return {r[0]: (r[1], r[2]) for r in conn.execute(text(
                    "SELECT id, secret, previous_secret FROM webhook_endpoints"))}

        db.upgrade("head")
        rows = stored()
        box = _box(key)
        assert not rows["e1"][0].startswith("whsec_") and box.open(rows["e1"][0]) == secret
        assert box.open(rows["e1"][1] or "") == previous
        assert box.open(rows["e2"][0]) == secret and rows["e2"][1] is None
        db.assert_matches_models()
        db.downgrade("0014")
        assert stored() == {"e1": (secret, previous), "e2": (secret, None)}
        db.upgrade("head")
        assert box.open(stored()["e1"][0]) == secret
