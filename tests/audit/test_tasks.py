"""The scheduled check of the audit chain: declared as data with its period read from a setting,
silent on an intact chain, and on a break it tells the admins of the business whose rows are
affected (not its other members, not other businesses), once per break whichever worker runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparkcodes.models import AuditEvent, EmailMessage, Job, Notification, User, WebhookMessage
from sparkcodes.sandbox import service as sandbox
from sparkcodes.worker import service as worker
from sparkcodes.worker.runner import Runner
from tests import factories as f
from tests.audit.chaintools import tamper


def _schedule() -> worker.Schedule:
    import sparkcodes.tasks  # noqa: F401  (registers the schedule)

    (schedule,) = [s for s in worker.SCHEDULES if s.name == "audit.verify"]
    return schedule


@pytest.fixture
def only_audit(monkeypatch: pytest.MonkeyPatch) -> worker.Schedule:
    schedule = _schedule()
    monkeypatch.setattr(worker, "SCHEDULES", [schedule])
    return schedule


def _alerts(app: FastAPI) -> list[tuple[str, str | None, str]]:
    with app.state.db.unit_of_work(write=False) as session:
        rows = session.execute(select(User.email, Notification.business_id, Notification.body)
                               .join(User, User.id == Notification.user_id)
                               .where(Notification.event_type == "audit.chain_broken")
                               .order_by(User.email)).all()
    return [(r[0], r[1], r[2]) for r in rows]


def _rows_of(app: FastAPI, business_id: str) -> list[str]:
    with app.state.db.unit_of_work(write=False) as session:
        return list(session.scalars(select(AuditEvent.id).where(
            AuditEvent.business_id == business_id).order_by(AuditEvent.occurred_at)))


def _advance(app: FastAPI, delta: timedelta) -> None:
    with app.state.db.unit_of_work() as session:
        sandbox.move(session, actor_id=None, advance=delta, set_to=None)


class Shops:
    def __init__(self, client: TestClient) -> None:
        self.owner_h = f.user(client, email="owner@shop-a.example")
        self.a = f.business(client, self.owner_h, name="Shop A")
        f.member(client, self.owner_h, self.a["id"], "operator")
        self.other_h = f.user(client, email="owner@shop-b.example")
        self.b = f.business(client, self.other_h, name="Shop B")


def test_the_period_is_a_setting_and_zero_turns_it_off(app: FastAPI) -> None:
    schedule = _schedule()
    settings = app.state.settings
    assert schedule.period(settings) == timedelta(minutes=60)
    assert schedule.period(settings.model_copy(update={"audit": settings.audit.model_copy(
        update={"verify_every_minutes": 5})})) == timedelta(minutes=5)
    assert schedule.period(settings.model_copy(update={"audit": settings.audit.model_copy(
        update={"verify_every_minutes": 0})})) is None


def test_a_worker_with_the_check_off_never_queues_it(app: FastAPI,
                                                     only_audit: worker.Schedule) -> None:
    settings = app.state.settings
    off = settings.model_copy(update={"audit": settings.audit.model_copy(
        update={"verify_every_minutes": 0})})
    Runner(app.state.db, off).tick()
    with app.state.db.unit_of_work(write=False) as session:
        assert session.scalars(select(Job).where(Job.name == "audit.verify")).all() == []


def test_an_intact_chain_alerts_nobody(client: TestClient, only_audit: worker.Schedule) -> None:
    Shops(client)
    assert Runner(client.app.state.db, client.app.state.settings).tick() == 1
    assert _alerts(client.app) == []


def _verify_runs(app: FastAPI) -> int:
    with app.state.db.unit_of_work(write=False) as session:
        return len(session.scalars(select(Job.id).where(Job.name == "audit.verify",
                                                        Job.finished_at.is_not(None))).all())


def test_a_break_alerts_the_admins_of_the_business_once(client: TestClient,
                                                       only_audit: worker.Schedule) -> None:
    app = client.app
    shops = Shops(client)
    admin_h = f.member(client, shops.owner_h, shops.a["id"], "admin")
    admin_email = client.get("/v1/me", headers=admin_h).json()["email"]
    rows = _rows_of(app, shops.a["id"])
    tamper(app, ("UPDATE audit_events SET details = '{}' WHERE id = :id", {"id": rows[0]}))
    runners = [Runner(app.state.db, app.state.settings, worker_id=f"w{i}") for i in range(2)]
    for runner in runners:
        runner.tick()
    assert _verify_runs(app) == 1
    alerts = _alerts(app)
    assert [(email, business) for email, business, _ in alerts] == sorted(
        [(admin_email, shops.a["id"]), ("owner@shop-a.example", shops.a["id"])])
    assert all(f"content changed at row {rows[0]}" in body for _, _, body in alerts)
    with app.state.db.unit_of_work(write=False) as session:
        mails = session.scalars(select(EmailMessage.to_address).where(
            EmailMessage.subject == "The audit log was tampered with")).all()
    assert sorted(mails) == sorted([admin_email, "owner@shop-a.example"])
    with app.state.db.unit_of_work(write=False) as session:
        (message,) = session.scalars(select(WebhookMessage).where(
            WebhookMessage.event_type == "audit.chain_broken")).all()
    assert message.business_id == shops.a["id"]
    assert message.payload["data"] == {
        "kind": "content_changed", "event_id": rows[0], "position": message.payload["data"][
            "position"], "detail": "its content no longer matches its hash (changed, or "
        "backdated, after it was written)", "checked": message.payload["data"]["position"] - 1}
    # Later runs, by either worker, find the same break: nobody is told again.
    for n in range(3):
        _advance(app, timedelta(minutes=61))
        for runner in runners:
            runner.tick()
        assert _verify_runs(app) == 2 + n
    assert len(_alerts(app)) == 2


def test_a_new_break_is_told_again(client: TestClient, only_audit: worker.Schedule) -> None:
    app = client.app
    shops = Shops(client)
    rows = _rows_of(app, shops.a["id"])
    tamper(app, ("UPDATE audit_events SET details = '{}' WHERE id = :id", {"id": rows[-1]}))
    runner = Runner(app.state.db, app.state.settings)
    runner.tick()
    assert len(_alerts(app)) == 1
    tamper(app, ("UPDATE audit_events SET details = '{}' WHERE id = :id", {"id": rows[0]}))
    _advance(app, timedelta(minutes=61))
    runner.tick()
    bodies = [body for _, _, body in _alerts(app)]
    assert len(bodies) == 2
    assert any(f"at row {rows[0]}" in b for b in bodies)


def test_a_break_in_rows_of_no_business_alerts_nobody_but_is_logged(
        client: TestClient, only_audit: worker.Schedule, caplog: Any) -> None:
    app = client.app
    Shops(client)
    with app.state.db.unit_of_work(write=False) as session:
        loose = session.scalars(select(AuditEvent.id).where(
            AuditEvent.business_id.is_(None), AuditEvent.creator_id.is_(None))
            .order_by(AuditEvent.occurred_at)).first()
    assert loose is not None
    tamper(app, ("UPDATE audit_events SET details = '{}' WHERE id = :id", {"id": loose}))
    with caplog.at_level("ERROR", logger="sparkcodes.audit"):
        Runner(app.state.db, app.state.settings).tick()
    assert _alerts(app) == []
    assert f"content changed at row {loose}" in caplog.text
    assert "touches no business's rows: nobody to alert" in caplog.text


def test_two_workers_claiming_one_break_tell_it_once(app: FastAPI) -> None:
    import threading

    from sparkcodes.audit import rules, service

    broken = rules.Break(rules.CONTENT_CHANGED, "e" * 32, 7, "changed")
    barrier = threading.Barrier(2)
    claimed: list[bool] = []

    def claim() -> None:
        with app.state.db.unit_of_work() as session:
            barrier.wait()
            claimed.append(service.claim_alert(session, broken))

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == [False, True]
    with app.state.db.unit_of_work() as session:
        assert service.claim_alert(session, broken) is False
        other = rules.Break(rules.CONTENT_CHANGED, "e" * 32, 8, "changed")
        assert service.claim_alert(session, other) is True
