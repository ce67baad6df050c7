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
from sqlalchemy import event as sql_event
from typer.testing import CliRunner

from sparkcodes import config
from sparkcodes.cli import app as cli_app
from sparkcodes.kit import clock
from sparkcodes.mail import repository as mail_repository
from sparkcodes.mail import rules as mail_rules
from sparkcodes.mail import service as mail_service
from sparkcodes.mail import tasks as mail_tasks
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
            body="The code SPARK-7QF2-… ended. 2 ads in Spring stopped.",
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
            assert "2 ads in Spring stopped" in text and RAW_CODE not in text
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
    for job in _email_jobs(db):  # the first wait of the mail schedule, not the generic backoff
        assert timedelta(seconds=55) < job.run_at - clock.utc_now() <= timedelta(minutes=1)
    inbox = Inbox()
    controller = _smtp(port, inbox)
    try:
        _advance(db, timedelta(seconds=30))
        runner.tick()
        assert inbox.envelopes == []  # not due yet
        _advance(db, timedelta(seconds=31))
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
        assert row.sent_at is None and row.attempts == 0 and row.held_at is not None
        assert row.last_error == mail_service.HELD
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


def _emit_many(db, business_id: str, events: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(events):
        _emit(db, business_id)


def test_mail_written_without_smtp_goes_out_once_smtp_is_configured(client, app, db, backend):
    """The README's promise: mail waits in the outbox while SMTP is not configured, and a worker
    started with SMTP sends every held message, each exactly once."""
    business_id, addresses = _business_with_members(client)
    _emit_many(db, business_id, 3)
    assert app.state.settings.mail.host is None
    Runner(db, app.state.settings, worker_id="no-smtp").tick()
    assert all(r.sent_at is None and r.held_at is not None for r in _outbox(db))

    port = f.free_port()
    inbox = Inbox()
    controller = _smtp(port, inbox)
    try:
        settings = backend.settings(mail={"host": "127.0.0.1", "port": port})
        runner = Runner(db, settings, worker_id="smtp")
        runner.tick()
        assert len(inbox.envelopes) == 6
        # Again, by the same worker and by another one, a minute later: nothing is sent twice.
        runner.tick()
        _advance(db, timedelta(minutes=2))
        runner.tick()
        Runner(db, settings, worker_id="smtp-2").tick()
    finally:
        controller.stop()
    assert len(inbox.envelopes) == 6
    assert sorted(r[1][0] for r in inbox.envelopes) == sorted(addresses * 3)
    assert len({m["Message-ID"] for _, _, m in inbox.envelopes}) == 6
    for row in _outbox(db):
        assert row.sent_at is not None and row.held_at is None and row.last_error is None
        assert row.attempts == 1


def test_a_periodic_sweep_releases_mail_held_after_the_worker_started(client, app, db, backend):
    """Held by a worker without SMTP while another, with SMTP, already runs: the minute's sweep
    releases it."""
    business_id, _ = _business_with_members(client)
    port = f.free_port()
    inbox = Inbox()
    controller = _smtp(port, inbox)
    try:
        runner = Runner(db, backend.settings(mail={"host": "127.0.0.1", "port": port}),
                        worker_id="smtp")
        runner.tick()
        _emit(db, business_id)
        Runner(db, app.state.settings, worker_id="no-smtp").tick()
        assert len(inbox.envelopes) == 0
        assert all(r.held_at is not None for r in _outbox(db))
        _advance(db, timedelta(minutes=1))
        runner.tick()
    finally:
        controller.stop()
    assert len(inbox.envelopes) == 2
    assert all(r.sent_at is not None for r in _outbox(db))


def test_releasing_held_mail_twice_at_once_queues_each_message_once(client, app, db):
    business_id, _ = _business_with_members(client)
    _emit_many(db, business_id, 2)
    Runner(db, app.state.settings, worker_id="no-smtp").tick()
    held = {r.id for r in _outbox(db)}
    assert len(held) == 4

    released = f.twice_at_once(db, mail_tasks.queue_held)
    assert sum(released) == 4
    queued = [j for j in _email_jobs(db) if j.finished_at is None]
    assert sorted(j.payload["email_id"] for j in queued) == sorted(held)
    with db.unit_of_work() as s:
        assert mail_tasks.queue_held(s) == 0


def test_the_outbox_shows_held_mail_as_held(client, app, db, monkeypatch):
    business_id, addresses = _business_with_members(client)
    _emit(db, business_id)
    Runner(db, app.state.settings, worker_id="no-smtp").tick()
    _assert_outbox(db, {"held": 2, "waiting": 0, "failed": 0}, "held", addresses)

    result = _cli(app, monkeypatch, "mail", "outbox")
    assert result.exit_code == 0, result.output
    assert "2 held (SMTP not configured: sent once it is)" in result.output
    assert all(a in result.output for a in addresses)
    assert result.output.count("held") >= 3


def _assert_outbox(db, counts: dict[str, int], state: str,  # type: ignore[no-untyped-def]
                   addresses: list[str]) -> None:
    """The outbox's counts, and every message to ``addresses`` listed in ``state``."""
    with db.unit_of_work(write=False) as s:
        summary = mail_service.outbox(s, limit=10)
    assert summary.counts == counts
    assert {(m.to_address, m.state) for m in summary.messages} == {(a, state) for a in addresses}


def _cli(app, monkeypatch, *args: str, mail_host: str | None = None):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SPARKCODES_DATABASE_URL", app.state.settings.database_url)
    monkeypatch.setenv("SPARKCODES_SECRET_KEY", app.state.settings.secret_key)
    monkeypatch.setenv("SPARKCODES_ENV", "test")
    monkeypatch.setenv("COLUMNS", "200")
    if mail_host:
        monkeypatch.setenv("SPARKCODES_MAIL__HOST", mail_host)
    config.get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli_app, list(args))
    finally:
        config.get_settings.cache_clear()


def _give_up_on_smtp(client, app, db, backend):  # type: ignore[no-untyped-def]
    """Two messages whose one-attempt send jobs failed against a closed port: given up."""
    business_id, addresses = _business_with_members(client)
    port = f.free_port()  # nothing listens here
    settings = backend.settings(mail={"host": "127.0.0.1", "port": port, "timeout_seconds": 2})
    _emit(db, business_id)
    with db.unit_of_work() as s:
        s.query(Job).filter(Job.name == mail_service.SEND_JOB).update({Job.max_attempts: 1})
    Runner(db, settings, worker_id="w").tick()
    return port, settings, addresses


def test_mail_whose_attempts_are_spent_reads_failed_with_why_not_waiting(client, app, db,
                                                                          backend, monkeypatch):
    _, _, addresses = _give_up_on_smtp(client, app, db, backend)
    for row in _outbox(db):
        assert row.sent_at is None and row.failed_at is not None and row.attempts == 1
        assert row.last_error.startswith("Given up after 1 attempt (the last: ")
        assert "ConnectionRefused" in row.last_error and row.last_error.endswith(").")
    for job in _email_jobs(db):
        assert job.dead_at is not None and "ConnectionRefused" in job.last_error
    _assert_outbox(db, {"held": 0, "waiting": 0, "failed": 2}, "failed", addresses)

    result = _cli(app, monkeypatch, "mail", "outbox")
    assert result.exit_code == 0, result.output
    assert ("0 held (SMTP not configured: sent once it is), 0 waiting, 2 failed (given up: "
            "`sparkcodes mail retry --all` sends them again)") in result.output
    assert result.output.count("Given up after 1 attempt") == 2
    assert all(r.id in result.output for r in _outbox(db))  # what `mail retry` takes


def test_failed_mail_is_sent_again_when_an_operator_asks(client, app, db, backend, monkeypatch):
    port, settings, addresses = _give_up_on_smtp(client, app, db, backend)
    first, second = sorted(_outbox(db), key=lambda r: r.to_address)

    result = _cli(app, monkeypatch, "mail", "retry", first.id, mail_host="127.0.0.1")
    assert result.exit_code == 0, result.output
    assert "1 message queued to send again" in result.output
    inbox = Inbox()
    controller = _smtp(port, inbox)
    try:
        Runner(db, settings, worker_id="w").tick()
        assert [rcpt for _, (rcpt,), _ in inbox.envelopes] == [first.to_address]
        rows = {r.id: r for r in _outbox(db)}
        assert rows[first.id].sent_at is not None and rows[first.id].failed_at is None
        assert rows[first.id].attempts == 2 and rows[first.id].last_error is None
        assert rows[second.id].failed_at is not None  # not asked for: still failed

        result = _cli(app, monkeypatch, "mail", "retry", "--all", mail_host="127.0.0.1")
        assert result.exit_code == 0, result.output
        assert "1 message queued to send again" in result.output
        Runner(db, settings, worker_id="w").tick()
    finally:
        controller.stop()
    assert sorted(rcpt for _, (rcpt,), _ in inbox.envelopes) == sorted(addresses)
    assert all(r.sent_at is not None and r.failed_at is None for r in _outbox(db))
    result = _cli(app, monkeypatch, "mail", "retry", "--all", mail_host="127.0.0.1")
    assert result.exit_code == 0 and "0 messages queued to send again" in result.output


@pytest.mark.parametrize(("args", "message"), [
    ((), "error: name the failed messages to send again (ids from `sparkcodes mail outbox`), "
         "or give --all"),
    (("--all", "x"), "error: name the failed messages to send again"),
    (("nosuchmessage",), "0 messages queued to send again"),
])
def test_mail_retry_says_what_it_could_not_do(client, app, db, monkeypatch, args, message):
    result = _cli(app, monkeypatch, "mail", "retry", *args)
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    if args == ("nosuchmessage",):
        assert "error: not failed (sent, waiting, held or unknown): nosuchmessage" in " ".join(
            result.output.split())


def test_a_retry_without_smtp_says_the_worker_will_hold_them(client, app, db, backend,
                                                           monkeypatch):
    _give_up_on_smtp(client, app, db, backend)
    result = _cli(app, monkeypatch, "mail", "retry", "--all")
    assert result.exit_code == 0, result.output
    assert ("2 messages queued to send again — SMTP is not configured, so the worker will hold "
            "them") in " ".join(result.output.split())
    Runner(db, app.state.settings, worker_id="no-smtp").tick()
    assert all(r.held_at is not None and r.failed_at is None for r in _outbox(db))


def test_retrying_failed_mail_twice_at_once_queues_each_message_once(client, app, db, backend):
    _give_up_on_smtp(client, app, db, backend)
    failed = {r.id for r in _outbox(db)}

    retried = f.twice_at_once(db, lambda s: mail_tasks.queue_retries(s, None))
    assert sorted(retried[0] + retried[1]) == sorted(failed)
    queued = [j for j in _email_jobs(db) if j.finished_at is None and j.dead_at is None]
    assert sorted(j.payload["email_id"] for j in queued) == sorted(failed)


def test_a_message_sent_after_all_is_not_given_up(client, app, db):
    """A give-up that arrives after another worker sent the message changes nothing."""
    business_id, _ = _business_with_members(client)
    _emit(db, business_id)
    row = _outbox(db)[0]
    now = clock.utc_now()
    with db.unit_of_work() as s:
        mail_service.mark_sent(s, email_id=row.id, now=now)
    with db.unit_of_work() as s:
        assert mail_service.give_up(s, email_id=row.id, why="late", now=now) is False
        assert mail_service.give_up(s, email_id="nosuchmessage", why="late", now=now) is False
    (sent,) = [r for r in _outbox(db) if r.id == row.id]
    assert sent.failed_at is None and sent.last_error is None


def test_giving_up_reads_the_attempts_in_its_one_update_and_keeps_2000_characters(client, app,
                                                                                  db):
    business_id, _ = _business_with_members(client)
    _emit(db, business_id)
    row = _outbox(db)[0]
    with db.unit_of_work() as s:
        for _ in range(3):
            mail_service.record_failure(s, email_id=row.id, error="SMTPError")
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    sql_event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.unit_of_work() as s:
            assert mail_service.give_up(s, email_id=row.id, why="é" * 3000,
                                        now=clock.utc_now()) is True
    finally:
        sql_event.remove(db.engine, "before_cursor_execute", record)
    assert [st.split()[0] for st in statements if st.split()[0] in ("SELECT", "UPDATE")] == [
        "UPDATE"]
    (failed,) = [r for r in _outbox(db) if r.id == row.id]
    assert failed.failed_at is not None and len(failed.last_error) == 2000
    assert failed.last_error.startswith("Given up after 3 attempts (the last: éé")


def test_mail_is_tried_over_the_whole_schedule_then_given_up(client, app, db, backend):
    business_id, _ = _business_with_members(client)
    port = f.free_port()  # nothing listens here, all day
    settings = backend.settings(mail={"host": "127.0.0.1", "port": port, "timeout_seconds": 2})
    _emit(db, business_id)
    runner = Runner(db, settings, worker_id="w")
    runner.tick()
    for wait in mail_rules.RETRY_SCHEDULE:
        assert all(r.failed_at is None for r in _outbox(db))
        _advance(db, wait - timedelta(seconds=5))
        runner.tick()
        assert {r.attempts for r in _outbox(db)} == {mail_rules.RETRY_SCHEDULE.index(wait) + 1}
        _advance(db, timedelta(seconds=6))
        runner.tick()
    rows = _outbox(db)
    assert {r.attempts for r in rows} == {mail_rules.ATTEMPTS}
    assert all(r.failed_at is not None and r.last_error.startswith(
        f"Given up after {mail_rules.ATTEMPTS} attempts (the last: ConnectionRefusedError")
        for r in rows)
    assert all(j.dead_at is not None for j in _email_jobs(db))


@pytest.mark.parametrize("by_id", [True, False])
def test_mail_retry_queues_every_message_asked_in_batches(client, app, db, backend, monkeypatch,
                                                          by_id):
    _give_up_on_smtp(client, app, db, backend)
    monkeypatch.setattr(mail_service, "RELEASE_BATCH", 1)
    ids = sorted(r.id for r in _outbox(db))
    result = _cli(app, monkeypatch, "mail", "retry", *(ids if by_id else ["--all"]))
    assert result.exit_code == 0, result.output
    assert "2 messages queued to send again" in result.output
    queued = [j for j in _email_jobs(db) if j.finished_at is None and j.dead_at is None]
    assert sorted(j.payload["email_id"] for j in queued) == ids
