"""Connector jobs: sync one advertiser (``connector.sync``), check one connection
(``connector.check``), and the sweep that queues both on their schedules (``connector.sweep``,
every minute; the periods are settings: ``connector.sync_minutes``, ``check_minutes``).

``run_sync`` calls TikTok between short transactions, never inside one: on SQLite no write lock
is held while TikTok answers.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx

from sparkcodes.config import Settings
from sparkcodes.connector import repository, rules, service, sync
from sparkcodes.connector.client import TikTokCallError, TikTokClient
from sparkcodes.db import Database
from sparkcodes.kit.clock import utc_now
from sparkcodes.worker.service import SCHEDULES, Retry, Schedule, handler
from sparkcodes.worker.service import enqueue as enqueue_job

if TYPE_CHECKING:
    from sparkcodes.worker.runner import JobContext

log = logging.getLogger("sparkcodes.connector")

DONE, STOPPED = "done", "stopped"
IDENTITY_PAGE_SIZE = 100


def _identities(client: TikTokClient, held: sync.Held) -> list[dict[str, Any]]:
    """identity/get, every page."""
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        data = client.get("identity/get/", access_token=held.token,
                          advertiser_id=held.advertiser_id,
                          params={"advertiser_id": held.advertiser_id, "page": page,
                                  "page_size": IDENTITY_PAGE_SIZE})
        items = list(data.get("identity_list") or [])
        out.extend(items)
        total_pages = int((data.get("page_info") or {}).get("total_page") or 0)
        if not items or page >= total_pages:
            return out
        page += 1


def _by_ids(client: TikTokClient, held: sync.Held, path: str, noun: str,
            ids: list[str]) -> list[dict[str, Any]]:
    """adgroup/get or campaign/get for these ids, deleted ones included (the mirror marks them),
    at most rules.IDS_PER_CALL a call, every page."""
    out: list[dict[str, Any]] = []
    for chunk in rules.chunks(ids, rules.IDS_PER_CALL):
        page = 1
        while True:
            data = client.get(path, access_token=held.token, advertiser_id=held.advertiser_id,
                              params={"advertiser_id": held.advertiser_id, "page": page,
                                      "page_size": rules.IDS_PER_CALL,
                                      "filtering": json.dumps({f"{noun}_ids": chunk,
                                                               "primary_status": "STATUS_ALL"})})
            items = list(data.get("list") or [])
            out.extend(items)
            total_pages = int((data.get("page_info") or {}).get("total_page") or 0)
            if not items or page >= total_pages:
                break
            page += 1
    return out


def _report(client: TikTokClient, held: sync.Held, ad_ids: list[str]) -> list[dict[str, Any]]:
    """report/integrated/get: these ads' spend and paid engagement per day, yesterday and today
    in the advertiser's time zone, every page."""
    _, start, end = sync.spend_chunk(held)
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        data = client.get("report/integrated/get/", access_token=held.token,
                          advertiser_id=held.advertiser_id, params={
                              "advertiser_id": held.advertiser_id, "report_type": "BASIC",
                              "service_type": "AUCTION", "data_level": "AUCTION_AD",
                              "dimensions": json.dumps(["ad_id", "stat_time_day"]),
                              "metrics": json.dumps(["spend", *rules.REPORT_METRICS]),
                              "start_date": start.isoformat(), "end_date": end.isoformat(),
                              "filtering": json.dumps([{"field_name": "ad_ids",
                                                        "filter_type": "IN",
                                                        "filter_value": json.dumps(ad_ids)}]),
                              "page": page, "page_size": rules.REPORT_PAGE_SIZE})
        items = list(data.get("list") or [])
        rows.extend(items)
        total_pages = int((data.get("page_info") or {}).get("total_page") or 0)
        if not items or page >= total_pages:
            return rows
        page += 1


def run_sync(db: Database, settings: Settings, *, connection_id: str, advertiser_id: str,
             trigger: str, holder: str, transport: httpx.BaseTransport | None = None) -> str:
    """Sync one advertiser of a connection, resuming its open run where it stopped: DONE,
    STOPPED (TikTok refused: token revoked, advertiser gone), sync.BUSY (another worker holds
    it) or sync.NOT_SYNCABLE. Raises Retry when TikTok throttles or does not answer (the run
    stays open at its checkpoint)."""
    with db.unit_of_work() as session:
        begun = sync.begin(session, settings=settings, connection_id=connection_id,
                           advertiser_id=advertiser_id, trigger=trigger, holder=holder,
                           now=utc_now())
    if isinstance(begun, str):
        return begun
    held = begun
    client = service.client_for(settings, held.base_url, held.app_key, transport)
    cfg = settings.connector

    def made() -> None:
        held.calls += client.calls
        client.calls = 0

    try:
        if held.stage == "identities":
            identities = _identities(client, held)
            made()
            with db.unit_of_work() as session:
                sync.apply_identities(session, settings=settings, held=held,
                                      identities=identities, now=utc_now())
        while held.stage == "posts":
            data = client.get("tt_video/list/", access_token=held.token,
                              advertiser_id=held.advertiser_id,
                              params={"advertiser_id": held.advertiser_id,
                                      "page": int(held.cursor.get("page") or 1),
                                      "page_size": cfg.sync_page_size})
            made()
            with db.unit_of_work() as session:
                sync.apply_page(session, settings=settings, held=held, data=data,
                                now=utc_now())
        if held.stage == "ads" and "ads_page" not in held.cursor:
            found = client.get("advertiser/info/", access_token=held.token,
                               advertiser_id=held.advertiser_id,
                               params={"advertiser_ids": json.dumps([held.advertiser_id])})
            made()
            info = next((a for a in found.get("list") or []
                         if str(a.get("advertiser_id")) == held.advertiser_id), None)
            with db.unit_of_work() as session:
                sync.apply_advertiser(session, settings=settings, held=held, info=info,
                                      now=utc_now())
        while held.stage == "ads":
            data = client.get("ad/get/", access_token=held.token,
                              advertiser_id=held.advertiser_id,
                              params={"advertiser_id": held.advertiser_id,
                                      "page": int(held.cursor.get("ads_page") or 1),
                                      "page_size": cfg.sync_page_size,
                                      "filtering": json.dumps(
                                          {"primary_status": "STATUS_NOT_DELETE"})})
            made()
            with db.unit_of_work() as session:
                wanted = sync.spark_ads(session, held=held, ads=list(data.get("list") or []))
            groups = _by_ids(client, held, "adgroup/get/", "adgroup", wanted.group_ids)
            campaign_ids = sorted(set(wanted.campaign_ids) | (
                {str(g["campaign_id"]) for g in groups if g.get("campaign_id")}
                - set(held.cursor.get("campaigns") or [])))
            campaigns = _by_ids(client, held, "campaign/get/", "campaign", campaign_ids)
            made()
            with db.unit_of_work() as session:
                sync.apply_ads(session, settings=settings, held=held, wanted=wanted,
                               groups=groups, campaigns=campaigns,
                               page_info=data.get("page_info") or {}, now=utc_now())
        while held.stage == "spend":
            ad_ids, _, _ = sync.spend_chunk(held)
            rows = _report(client, held, ad_ids) if ad_ids else []
            made()
            with db.unit_of_work() as session:
                sync.apply_spend(session, settings=settings, held=held, ad_ids=ad_ids,
                                 rows=rows, now=utc_now())
        if held.stage == "reconcile":
            with db.unit_of_work() as session:
                sync.reconcile(session, settings=settings, held=held, now=utc_now())
    except TikTokCallError as exc:
        made()
        with db.unit_of_work() as session:
            again = sync.failed(session, settings=settings, held=held, exc=exc, now=utc_now())
        if again:
            raise Retry(timedelta(seconds=cfg.throttled_seconds),
                        f"TikTok {exc.kind} {exc.code}: the sync resumes from its "
                        "checkpoint") from None
        return STOPPED
    return DONE


@handler("connector.sync")
def sync_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Sync one advertiser (see run_sync); a run another worker holds is left to it."""
    outcome = run_sync(ctx.db, ctx.settings, connection_id=payload["connection_id"],
                       advertiser_id=payload["advertiser_id"],
                       trigger=payload.get("trigger", "schedule"),
                       holder=f"{ctx.job.locked_by}/{ctx.job.id}")
    log.info("sync of %s/%s: %s", payload["connection_id"], payload["advertiser_id"], outcome)


@handler("connector.check")
def check_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The scheduled check of one connection (as "Check now"; it queues a sync when healthy)."""
    with ctx.db.unit_of_work() as session:
        connection = repository.connection(session, payload["connection_id"])
        if connection is None or connection.deleted_at is not None:
            return
        service.check(session, settings=ctx.settings, connection=connection)


def sweep(db: Database, settings: Settings) -> tuple[int, int]:
    """Queue the syncs and checks that are due: (syncs, checks) queued."""
    cfg = settings.connector
    now = utc_now()
    syncs = checks = 0
    with db.unit_of_work() as session:
        pairs = repository.syncable(session)
        runs = repository.last_runs(session, {c.id for c, _ in pairs})
        for connection, advertiser in pairs:
            last = runs.get((connection.id, advertiser.advertiser_id))
            if last is not None and last.finished_at is None:
                continue  # open: its own job resumes it
            if not rules.sync_due(last_started_at=last.started_at if last else None, now=now,
                                  minutes=cfg.sync_minutes):
                continue
            slot = int(now.timestamp() // (cfg.sync_minutes * 60))
            if enqueue_job(session, service.SYNC_JOB, {
                    "connection_id": connection.id, "advertiser_id": advertiser.advertiser_id,
                    "trigger": "schedule"},
                    dedupe_key=f"{service.SYNC_JOB}:{connection.id}:"
                               f"{advertiser.advertiser_id}@{slot}", max_attempts=20):
                syncs += 1
        for connection in repository.checkable(session):
            if not rules.check_due(checked_at=connection.checked_at, now=now,
                                   minutes=cfg.check_minutes):
                continue
            slot = int(now.timestamp() // (cfg.check_minutes * 60))
            if enqueue_job(session, "connector.check", {"connection_id": connection.id},
                           dedupe_key=f"connector.check:{connection.id}@{slot}",
                           max_attempts=3):
                checks += 1
    return syncs, checks


@handler("connector.sweep")
def sweep_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Queue the scheduled syncs (every connector.sync_minutes per advertiser) and checks."""
    sweep(ctx.db, ctx.settings)


SCHEDULES.append(Schedule("connector.sweep", timedelta(minutes=1)))
