"""`sparkcodes export tracker|codes|report`: a business's tracker, codes and paid report as CSV,
from the services the API and the pages read."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.progress import Progress, TaskID

from sparkcodes import errors
from sparkcodes.authorization import service as authorization_service
from sparkcodes.authorization.schemas import authorization_out
from sparkcodes.business import service as business_service
from sparkcodes.cli.common import bulk_progress, database, err_console, fail, one_business
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.spreadsheet import safe_cell
from sparkcodes.notification import watch
from sparkcodes.report import service as report_service
from sparkcodes.report.service import ReportObject
from sparkcodes.tracker import export as tracker_export
from sparkcodes.tracker import service as tracker_service
from sparkcodes.tracker.schemas import item_out

app = typer.Typer(help="CSV exports of a business's tracker, codes and reports.",
                  no_args_is_help=True)

BusinessOpt = Annotated[str, typer.Option("--business", "-b", help="Business name or id")]
Out = Annotated[Path, typer.Option("--out", "-o", dir_okay=False,
                                   help="The CSV file ('-', the default: standard output)")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar")]

CODE_COLUMNS = ("ad_account_id", "ad_account_name", "code_hint", "post_id", "caption", "status",
                "days", "starts_at", "expires_at", "days_left", "deleted_at")
REPORT_METRICS = (*report_service.ORDERABLE,)
REPORT_COLUMNS = ("day", "level", "id", "name", "ad_account_id", "ad_account_name",
                  *REPORT_METRICS)
REPORT_PAGE = 1000


@contextmanager
def _target(out: Path) -> Iterator[IO[str]]:
    if str(out) == "-":
        yield sys.stdout
        return
    try:
        fh = out.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        fail(f"Cannot write {out}: {exc}", 2)
    with fh:
        yield fh


def _write(out: Path, columns: tuple[str, ...], rows: Iterable[dict[str, Any]],
           progress: Progress, task: TaskID) -> int:
    """Every row as CSV, each cell through safe_cell; how many rows were written."""
    count = 0
    with _target(out) as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: safe_cell(row.get(k)) for k in columns})
            count += 1
            progress.advance(task)
    return count


def _done(out: Path, count: int) -> None:
    if str(out) != "-":
        err_console.print(f"Wrote {count} row(s) to {out}.", highlight=False)


@app.command("tracker")
def export_tracker(
    business: BusinessOpt,
    include_unbound: Annotated[bool, typer.Option("--include-unbound",
                                                  help="Unbound Spark posts too")] = False,
    out: Out = Path("-"),
    quiet: Quiet = False,
) -> None:
    """Every Spark post of the business, as the tracker's CSV download (R22)."""
    db, _ = database()
    count = 0
    with db.unit_of_work(write=False) as session, bulk_progress(quiet=quiet) as progress:
        found = one_business(session, business)
        task = progress.add_task("exporting the tracker", total=None)
        items = tracker_service.stream(session, business=found,
                                       q=tracker_service.query(include_unbound=include_unbound),
                                       now=utc_now())
        chunks = tracker_export.lines(item_out(i) for i in items)
        with _target(out) as fh:
            fh.write(next(chunks))  # the header
            for chunk in chunks:
                fh.write(chunk)
                count += 1
                progress.advance(task)
    _done(out, count)


def _code_rows(session: Any, accounts: list[Any]) -> Iterator[dict[str, Any]]:  # noqa: ANN401
    now = utc_now()
    for account in accounts:
        rows = authorization_service.of_ad_account(session, ad_account_id=account.id)
        users = authorization_service.users_of(session, [a for a, _ in rows], watch=watch)
        for a, post in rows:
            code = authorization_out(a, now, users.get(a.id))
            yield {"ad_account_id": account.id, "ad_account_name": account.name,
                   "code_hint": code.code_hint, "post_id": post.id, "caption": post.caption,
                   "status": code.status, "days": code.days, "starts_at": code.starts_at,
                   "expires_at": code.expires_at, "days_left": code.days_left,
                   "deleted_at": code.deleted_at}


@app.command("codes")
def export_codes(business: BusinessOpt, out: Out = Path("-"), quiet: Quiet = False) -> None:
    """The codes bound to the business's ad accounts: masked code, post, status and window."""
    db, _ = database()
    with db.unit_of_work(write=False) as session, bulk_progress(quiet=quiet) as progress:
        found = one_business(session, business)
        accounts = business_service.ad_accounts(session, business=found)
        task = progress.add_task("exporting codes", total=None)
        count = _write(out, CODE_COLUMNS, _code_rows(session, accounts), progress, task)
    _done(out, count)


def _name(level: str, obj: ReportObject | None) -> str | None:
    if obj is None:
        return None
    named = {"ad": obj.ad, "ad_group": obj.ad_group, "campaign": obj.campaign,
             "ad_account": obj.account}[level]
    return named.name if named is not None else None


@app.command("report")
def export_report(
    business: BusinessOpt,
    level: Annotated[str, typer.Option(
        help="One row per day and ad, ad_group, campaign or ad_account")] = "ad_account",
    start: Annotated[str | None, typer.Option(
        help="First day, YYYY-MM-DD (default: six days before the last)")] = None,
    end: Annotated[str | None, typer.Option(help="Last day (default: today, UTC)")] = None,
    out: Out = Path("-"),
    quiet: Quiet = False,
) -> None:
    """Paid engagement and spend of the business's ad accounts per day, from the rollups the
    reports read (days in each ad account's time zone)."""
    try:
        first, last = report_service.date_range(date.fromisoformat(start) if start else None,
                                                date.fromisoformat(end) if end else None)
    except ValueError as exc:
        fail(f"Give days as YYYY-MM-DD: {exc}", 2)
    except errors.AppError as exc:
        fail(f"{exc.message} ({exc.code})", 2)
    if level not in report_service.INTEGRATED_LEVELS:
        fail(f"No report level {level!r}: give one of "
             f"{', '.join(report_service.INTEGRATED_LEVELS)}.", 2)
    db, _ = database()
    with db.unit_of_work(write=False) as session, bulk_progress(quiet=quiet) as progress:
        found = one_business(session, business)
        accounts = business_service.ad_accounts(session, business=found)

        def rows() -> Iterator[dict[str, Any]]:
            offset = 0
            while accounts:
                page = report_service.integrated(
                    session, accounts=accounts, group=level, by_day=True, start=first,
                    end=last, limit=REPORT_PAGE, offset=offset, with_total=False)
                if offset == 0:
                    progress.update(task, total=page.total_number)
                objects = report_service.integrated_objects(
                    session, group=level, keys=[r.key for r in page.rows if r.key])
                for r in page.rows:
                    obj = objects.get(r.key or "")
                    yield {"day": r.day, "level": level, "id": r.key, "name": _name(level, obj),
                           "ad_account_id": obj.account.id if obj else None,
                           "ad_account_name": obj.account.name if obj else None,
                           **{m: r.metrics.get(m) for m in REPORT_METRICS}}
                offset += len(page.rows)
                if len(page.rows) < REPORT_PAGE:
                    return

        task = progress.add_task("exporting the report", total=None)
        count = _write(out, REPORT_COLUMNS, rows(), progress, task)
    _done(out, count)
