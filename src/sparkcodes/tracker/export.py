"""The tracker as CSV: one header row, one row per Spark post; shared by the API and the CLI."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from sparkcodes.db import Database
from sparkcodes.kit.spreadsheet import safe_cell
from sparkcodes.models import Business
from sparkcodes.tracker import service
from sparkcodes.tracker.schemas import TrackerItemOut, item_out

COLUMNS = (
    "creator_handle", "post_id", "caption", "ad_account_id", "ad_account_name", "identity_type",
    "code_hint", "status", "window_end", "days_left", "hours_left", "live_ads", "total_ads",
    "spend_at_risk", "currency", "contract_end", "flags", "spark_post_id",
)

def filename(now: datetime) -> str:
    """The download's name: tracker-20261124-1530.csv (service clock, UTC)."""
    return f"tracker-{now:%Y%m%d-%H%M}.csv"


def row(item: TrackerItemOut) -> dict[str, str]:
    values = {
        "creator_handle": item.creator.handle, "post_id": item.post.id,
        "caption": item.post.caption, "ad_account_id": item.ad_account.id,
        "ad_account_name": item.ad_account.name, "identity_type": item.identity_type,
        "code_hint": item.code_hint, "status": item.status, "window_end": item.window_end,
        "days_left": item.days_left, "hours_left": item.hours_left, "live_ads": item.live_ads,
        "total_ads": item.total_ads, "spend_at_risk": f"{item.spend_at_risk:.2f}",
        "currency": item.ad_account.currency,
        "contract_end": item.contract.ends_at if item.contract else None,
        "flags": ";".join(item.flags), "spark_post_id": item.spark_post_id,
    }
    return {k: safe_cell(v) for k, v in values.items()}


def lines(items: Iterable[TrackerItemOut]) -> Iterator[str]:
    """The CSV text in chunks: the header, then rows."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    yield buffer.getvalue()
    for item in items:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row(item))
        yield buffer.getvalue()


def text(items: Iterable[TrackerItemOut]) -> str:
    return "".join(lines(items))


def streamed(db: Database, *, business_id: str, q: service.Query, now: datetime) -> Iterator[str]:
    """The CSV of a checked query, produced while it is sent: its own read-only session (the
    request's ends when the route returns), rows read and written a chunk at a time."""
    with db.unit_of_work(write=False) as session:
        business = session.get(Business, business_id)
        if business is None:
            return
        yield from lines(item_out(i) for i in service.stream(session, business=business, q=q,
                                                             now=now))
