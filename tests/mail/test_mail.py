"""The e-mail outbox: emitted events become e-mails the worker sends over SMTP, retried when the
server is down, and kept (never lost) when no SMTP host is configured.

The SMTP server is aiosmtpd on 127.0.0.1, a real server speaking the real protocol.
"""

from __future__ import annotations

import email
import ssl
import subprocess
from datetime import timedelta
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from sparkcodes.mail import repository as mail_repository
from sparkcodes.mail import service as mail_service
from sparkcodes.models import EmailMessage, Job
from sparkcodes.notification import service as notification
from sparkcodes.sandbox import service as sandbox
from sparkcodes.worker import service as jobs
from sparkcodes.worker.runner import Runner
from tests import factories as f

RAW_CODE = "SPARK-ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345"



class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos),
                               email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def _smtp(port: int, inbox: Inbox, **kwargs) -> Controller:  # type: ignore[no-untyped-def]
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def db(app):  # type: ignore[no-untyped-def]
    return app.state.db


def _advance(db, delta: timedelta) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        sandbox.move(s, actor_id=None, advance=delta, set_to=None)


def _business_with_members(client) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    admin_email, analyst_email = "admin@example.com", "analyst@example.com"
    admin = f.user(client, email=admin_email)
    f.user(client, email=analyst_email)
    biz = f.business(client, admin)
    r = client.put(f"/v1/businesses/{biz['id']}/members", headers=admin,
                   json={"email": analyst_email, "role": "analyst"})
    assert r.status_code == 200, r.text
    return biz["id"], [admin_email, analyst_email]


def _emit(db, business_id: str) -> str:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        emitted = notification.emit(
            s, event_type="authorization.expired",
            title="Ads stopped: @maya's authorization expired",
            body="The code SPARK-7QF2-… ended. 2 ad(s) in Spring stopped.",
            data={"code": RAW_CODE, "authorization_id": "a1"}, business_ids={business_id})
    assert emitted.emails == 2
    return emitted.event_id


def _outbox(db) -> list[EmailMessage]:  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        return list(s.query(EmailMessage).order_by(EmailMessage.to_address))


def _email_jobs(db) -> list[Job]:  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        return list(s.query(Job).filter(Job.name == "email.send"))


def test_emitted_events_are_sent_over_smtp_once(client, app, db, backend):
    business_id, addresses = _business_with_members(client)
    port = f.free_port()
    inbox = Inbox()
    controller = _smtp(port, inbox)
    try:
        settings = backend.settings(mail={"host": "127.0.0.1", "port": port,
                                          "sender": "Spark Codes <alerts@sparkcodes.test>"})
        event_id = _emit(db, business_id)
        runner = Runner(db, settings, worker_id="w")
        runner.tick()
        assert len(inbox.envelopes) == 2
        rows = _outbox(db)
        by_rcpt = {rcpt[0]: (sender, msg) for sender, rcpt, msg in inbox.envelopes}
        assert sorted(by_rcpt) == sorted(addresses)
        for row in rows:
            sender, msg = by_rcpt[row.to_address]
            assert sender == "alerts@sparkcodes.test"
            assert msg["Subject"] == "Ads stopped: @maya's authorization expired"
            assert msg["To"] == row.to_address
            assert msg["From"] == "Spark Codes <alerts@sparkcodes.test>"
            assert msg["Message-ID"] == f"<{row.id}@sparkcodes.test>"
            text = msg.get_payload(decode=True).decode()
            assert "2 ad(s) in Spring stopped" in text and RAW_CODE not in text
            assert row.sent_at is not None and row.attempts == 1 and row.last_error is None
            assert row.event_id == event_id

        # A repeat of the job (a worker lost after sending) finds it sent: nothing is resent.
        with db.unit_of_work() as s:
            for row in rows:
                jobs.enqueue(s, "email.send", {"email_id": row.id})
        assert runner.tick() >= 2
        assert len(inbox.envelopes) == 2
        assert all(j.finished_at is not None for j in _email_jobs(db))
    finally:
        controller.stop()


def test_smtp_down_is_retried_until_the_server_is_back(client, app, db, backend):
    business_id, _ = _business_with_members(client)
    port = f.free_port()  # nothing listens here yet
    settings = backend.settings(mail={"host": "127.0.0.1", "port": port, "timeout_seconds": 2})
    _emit(db, business_id)
    runner = Runner(db, settings, worker_id="w")
    runner.tick()
    for row in _outbox(db):
        assert row.sent_at is None and row.attempts == 1
        assert "ConnectionRefused" in row.last_error
    for job in _email_jobs(db):
        assert job.attempts == 1 and job.dead_at is None and job.finished_at is None
        assert "ConnectionRefused" in job.last_error

    inbox = Inbox()
    controller = _smtp(port, inbox)
    try:
        _advance(db, timedelta(seconds=11))  # the first generic backoff step is 10 s
        runner.tick()
    finally:
        controller.stop()
    assert len(inbox.envelopes) == 2
    for row in _outbox(db):
        assert row.sent_at is not None and row.attempts == 2 and row.last_error is None
    assert all(j.finished_at is not None and j.attempts == 2 for j in _email_jobs(db))


def test_without_an_smtp_host_mail_stays_in_the_outbox_with_the_reason(client, app, db):
    business_id, addresses = _business_with_members(client)
    assert app.state.settings.mail.host is None
    _emit(db, business_id)
    runner = Runner(db, app.state.settings, worker_id="w")
    runner.tick()
    rows = _outbox(db)
    assert sorted(r.to_address for r in rows) == sorted(addresses)
    for row in rows:
        assert row.sent_at is None and row.attempts == 0
        assert row.last_error == "SMTP not configured; kept in the outbox"
    # Not retried in a loop: the jobs are done; the messages are listable from the outbox.
    assert all(j.finished_at is not None and j.attempts == 1 for j in _email_jobs(db))
    with db.unit_of_work(write=False) as s:
        assert {r.id for r in mail_repository.unsent(s)} == {r.id for r in rows}


def test_starttls_and_login_when_configured(client, app, db, backend, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    business_id, _ = _business_with_members(client)
    port = f.free_port()
    inbox = Inbox()
    controller = _smtp(port, inbox, tls_context=tls, require_starttls=True,
                       authenticator=authenticator, auth_required=True)
    try:
        _emit(db, business_id)
        settings = backend.settings(mail={"host": "127.0.0.1", "port": port, "starttls": True,
                                          "username": "sparkcodes", "password": "s3cret"})
        Runner(db, settings, worker_id="w").tick()
    finally:
        controller.stop()
    assert len(inbox.envelopes) == 2 and all(r.sent_at is not None for r in _outbox(db))
    # The server refuses MAIL before STARTTLS and AUTH: the login happened, over TLS.
    assert set(logins) == {(b"sparkcodes", b"s3cret")}


def test_message_id_is_derived_from_the_row():
    assert mail_service.message_id("abc", "sparkcodes <noreply@sparkcodes.local>") == (
        "<abc@sparkcodes.local>")
    assert mail_service.message_id("abc", "alerts@brand.example") == "<abc@brand.example>"
    assert mail_service.message_id("abc", "broken") == "<abc@sparkcodes.local>"
