"""`sparkcodes import codes|roster FILE.csv`: bulk binds and roster entries from a spreadsheet,
one result per row, through the services the API and the pages call."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad.schemas import to_micros
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.business import service as business_service
from sparkcodes.cli.common import (
    bulk_progress,
    console,
    database,
    err_console,
    fail,
    one_business,
)
from sparkcodes.config import Settings
from sparkcodes.kit import crypto
from sparkcodes.kit.spreadsheet import safe_cell
from sparkcodes.models import AdAccount, Business, User
from sparkcodes.roster import service as roster_service
from sparkcodes.roster.schemas import RosterIn
from sparkcodes.spark_post import service as spark_post_service
from sparkcodes.throttle.service import Limiter
from sparkcodes.user import service as user_service
from sparkcodes.values import hint_display

app = typer.Typer(help="Bulk imports from CSV files.", no_args_is_help=True)

CODE_COLUMNS = ("code", "ad_account")
ORIGINAL_COLUMN = "original_post_code"
ROSTER_COLUMNS = ("handle",)
RESULT_COLUMNS = ("row", "ad_account", "code_hint", "status", "error_code", "message",
                  "spark_post_id")
ROSTER_RESULT_COLUMNS = ("row", "handle", "status", "error_code", "message", "roster_entry_id")
BOUND, ADDED, FAILED = "bound", "added", "failed"
INTERRUPTED = 130  # what a shell reports for a command stopped by Ctrl-C

As = Annotated[str, typer.Option("--as", help="E-mail of the user the rows are written as "
                                              "(an operator or admin of the business)")]
BusinessOpt = Annotated[str, typer.Option("--business", "-b", help="Business name or id")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar")]


def _read(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()
          ) -> list[dict[str, str]]:
    """The file's rows by lower-cased header; exits 2 when it cannot be read or a required
    column is missing. A spreadsheet's byte-order mark is forgiven."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            headers = [(h or "").strip().lower() for h in reader.fieldnames or []]
            missing = [c for c in required if c not in headers]
            if missing:
                fail(f"{path} has no {', '.join(repr(c) for c in missing)} column: the header "
                     f"row needs {', '.join(required)}"
                     + (f" ({', '.join(optional)} optional)." if optional else "."), 2)
            reader.fieldnames = headers
            # A short row's missing cells are empty; cells beyond the header are left out.
            return [{k: (v or "").strip() for k, v in row.items()
                     if k is not None and not isinstance(v, list)} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        fail(f"Cannot read {path}: {exc}", 2)


def _acting(session: Session, email: str, business_name: str) -> tuple[User, Business]:
    """The user the rows are written as and the business they go to; exits 2 unless the user
    may operate it."""
    try:
        user = user_service.by_email(session, email=email)
    except errors.AppError as exc:
        fail(f"{exc.message} ({exc.code})", 2)
    if user is None:
        fail(f"No user with e-mail {email}.", 2)
    business = one_business(session, business_name)
    try:
        business_service.access(session, user=user, business_id=business.id, action="operate")
    except errors.AppError as exc:
        fail(f"{user.email} may not import into {business.name}: {exc.message} ({exc.code})", 2)
    return user, business


def _line(row: int, label: str, outcome: str) -> None:
    console.print(f"row {row:>4}  {escape(label)}  {outcome}", soft_wrap=True, highlight=False)


def _refused(exc: errors.AppError) -> str:
    return f"[red]failed[/] {escape(exc.code)}: {escape(exc.message)}"


# --- codes -------------------------------------------------------------------------------------

def _hint(text: str) -> str | None:
    """The code's first symbols, all of it that is ever shown or stored; None if unreadable."""
    try:
        return crypto.parse_code(text).hint
    except crypto.CodeShapeError:
        return None


def _shown(hint: str | None) -> str:
    return hint_display(hint) if hint else "(unreadable code)"


@dataclass
class Outcome:
    status: str
    error_code: str = ""
    message: str = ""
    spark_post_id: str = ""


def _account(session: Session, user: User, business: Business, names: dict[str, str],
             text: str) -> AdAccount:
    """The ad account a row names, by id or by its name in the business; the API's refusals
    (not_found, forbidden, mirrored_from_tiktok) for one the user may not bind to."""
    account_id = names.get(text.lower(), text)
    account, of_business, _ = ad_account_service.access(session, user=user,
                                                        ad_account_id=account_id,
                                                        action="operate")
    if of_business.id != business.id:
        raise errors.NotFound(f"No ad account {text!r} in {business.name}.")
    return account


def _bind_row(session: Session, *, settings: Settings, limiter: Limiter, user_id: str,
              business_id: str, names: dict[str, str], row: dict[str, str]) -> Outcome:
    """One row through spark_post.service.bind_many, as the API binds a batch of one."""
    user, business = session.get(User, user_id), session.get(Business, business_id)
    assert user is not None and business is not None  # checked before the first row
    account = _account(session, user, business, names, row["ad_account"])
    guard = spark_post_service.guard_for(limiter, user=user, account=account, ip=None)
    original = row.get(ORIGINAL_COLUMN, "")
    (result,) = spark_post_service.bind_many(
        session, settings=settings, guard=guard, user=user, account=account,
        codes=[row["code"]], original_codes=[original] if original else [])
    if result.error is not None:
        return Outcome(FAILED, result.error.code, result.error.message)
    assert result.spark_post is not None  # a native bind that succeeded made or kept one
    return Outcome(BOUND, spark_post_id=result.spark_post.id)


def _results_so_far(path: Path, columns: tuple[str, ...] = RESULT_COLUMNS,
                    command: str = "codes") -> dict[int, dict[str, str]]:
    """The latest recorded result of each row of an earlier run (empty for a new file); exits 2
    when the file is not a results file of `sparkcodes import <command>`."""
    if not path.exists():
        return {}
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None:
                return {}
            if tuple(reader.fieldnames) != columns:
                fail(f"{path} is not a results file of `sparkcodes import {command}` (its "
                     f"header is not {','.join(columns)}); give another --results path.", 2)
            done: dict[int, dict[str, str]] = {}
            for record in reader:
                # A run killed mid-write can leave a last line short: that row is redone.
                if None in record.values() or not record["row"].isdigit():
                    continue
                done[int(record["row"])] = record
            return done
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        fail(f"Cannot read {path}: {exc}", 2)


@contextmanager
def _results_writer(path: Path, columns: tuple[str, ...] = RESULT_COLUMNS
                    ) -> Iterator[Callable[[dict[str, str]], None]]:
    """Appends one result line at a time, flushed to disk before the next row starts, so an
    interrupted run leaves every finished row recorded."""
    fresh = not path.exists() or path.stat().st_size == 0
    try:
        torn = not fresh and not path.read_bytes().endswith(b"\n")
        fh: IO[str] = path.open("a", newline="", encoding="utf-8")
    except OSError as exc:
        fail(f"Cannot write {path}: {exc}", 2)
    with fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\r\n")
        if fresh:
            writer.writeheader()
        elif torn:  # a run killed mid-line: end that line so the next starts on its own
            fh.write("\r\n")

        def write(record: dict[str, str]) -> None:
            writer.writerow({k: safe_cell(v) for k, v in record.items()})
            fh.flush()
            os.fsync(fh.fileno())

        yield write


def _compact(path: Path, columns: tuple[str, ...] = RESULT_COLUMNS,
             command: str = "codes") -> None:
    """After a complete run: one line per row, in row order (reruns appended later lines)."""
    done = _results_so_far(path, columns, command)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(done[row] for row in sorted(done))
    os.replace(temporary, path)


@app.command("codes")
def import_codes(
    file: Annotated[Path, typer.Argument(help="CSV with columns code, ad_account (id or name) "
                                              "and optionally original_post_code",
                                         dir_okay=False)],
    business: BusinessOpt,
    as_: As,
    results: Annotated[Path | None, typer.Option(
        "--results", dir_okay=False,
        help="Results CSV (default: FILE.results.csv next to the file)")] = None,
    quiet: Quiet = False,
) -> None:
    """Bind the codes of a CSV to ad accounts, one row at a time, as the API binds them.

    Each row is its own transaction and its result line is written before the next row starts:
    rerun the same command after an interruption and rows already bound are skipped. Exit 0
    when every row is bound, 1 when some failed, 2 when the file or the options are wrong."""
    rows = _read(file, CODE_COLUMNS, (ORIGINAL_COLUMN,))
    results = results or file.with_name(f"{file.stem}.results.csv")
    done = _results_so_far(results)
    db, settings = database()
    with db.unit_of_work(write=False) as session:
        user, found = _acting(session, as_, business)
        user_id, business_id = user.id, found.id
        names = {a.name.lower(): a.id for a in business_service.ad_accounts(session,
                                                                           business=found)}
    limiter = Limiter(settings)
    bound = skipped = failed = 0
    number = 0
    try:
        with _results_writer(results) as write, bulk_progress(quiet=quiet) as progress:
            task = progress.add_task("binding codes", total=len(rows))
            for number, row in enumerate(rows, start=1):
                hint = _hint(row["code"])
                label = f"{_shown(hint)} → {row['ad_account'] or '(no ad account)'}"
                before = done.get(number)
                if (before is not None and before["status"] == BOUND
                        and before["code_hint"] == (hint or "")
                        and before["ad_account"] == safe_cell(row["ad_account"])):
                    skipped += 1
                    _line(number, label, "already bound (skipped)")
                    progress.advance(task)
                    continue
                try:
                    with db.unit_of_work() as session:
                        outcome = _bind_row(session, settings=settings, limiter=limiter,
                                            user_id=user_id, business_id=business_id,
                                            names=names, row=row)
                except errors.AppError as exc:
                    outcome = Outcome(FAILED, exc.code, exc.message)
                write({"row": str(number), "ad_account": row["ad_account"],
                       "code_hint": hint or "", "status": outcome.status,
                       "error_code": outcome.error_code, "message": outcome.message,
                       "spark_post_id": outcome.spark_post_id})
                if outcome.status == BOUND:
                    bound += 1
                    _line(number, label, f"[green]bound[/] {outcome.spark_post_id}")
                else:
                    failed += 1
                    _line(number, label, _refused(errors.AppError(outcome.message,
                                                                  code=outcome.error_code)))
                progress.advance(task)
    except KeyboardInterrupt:
        err_console.print(f"Interrupted at row {number}: the rows before it are recorded in "
                          f"{results}; run the same command again to resume.")
        raise typer.Exit(INTERRUPTED) from None
    _compact(results)
    console.print(f"{bound} bound, {skipped} already bound, {failed} failed; results in "
                  f"{results}", highlight=False)
    if failed:
        raise typer.Exit(1)


# --- roster ------------------------------------------------------------------------------------

def _roster_in(row: dict[str, str]) -> RosterIn:
    """The row as the API's request body, so it is held to the same limits; InvalidInput
    naming the first field that breaks one."""
    try:
        return RosterIn(handle=row["handle"], status=row.get("status") or "prospect",
                        rate=row.get("rate") or None, currency=row.get("currency") or "USD",
                        notes=row.get("notes", ""))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise errors.InvalidInput(f"{field}: {first['msg']}") from None


@app.command("roster")
def import_roster(
    file: Annotated[Path, typer.Argument(help="CSV with a handle column and optionally status, "
                                              "rate, currency and notes", dir_okay=False)],
    business: BusinessOpt,
    as_: As,
    results: Annotated[Path | None, typer.Option(
        "--results", dir_okay=False,
        help="Results CSV (default: FILE.results.csv next to the file)")] = None,
    quiet: Quiet = False,
) -> None:
    """Put the creators of a CSV on the business's roster, one row at a time, as the API does.

    Each row is its own transaction and its result line is written before the next row starts:
    rerun the same command after an interruption and rows already added are skipped. Exit 0
    when every row was added, 1 when some were refused (roster_entry_exists for a creator
    already on it), 2 when the file or the options are wrong."""
    rows = _read(file, ROSTER_COLUMNS, ("status", "rate", "currency", "notes"))
    results = results or file.with_name(f"{file.stem}.results.csv")
    done = _results_so_far(results, ROSTER_RESULT_COLUMNS, "roster")
    db, _ = database()
    with db.unit_of_work(write=False) as session:
        user, found = _acting(session, as_, business)
        user_id, business_id = user.id, found.id
    added = skipped = failed = 0
    number = 0
    try:
        with (_results_writer(results, ROSTER_RESULT_COLUMNS) as write,
              bulk_progress(quiet=quiet) as progress):
            task = progress.add_task("adding to the roster", total=len(rows))
            for number, row in enumerate(rows, start=1):
                handle = row["handle"].removeprefix("@")
                label = "@" + handle if handle else "(no handle)"
                before = done.get(number)
                if (before is not None and before["status"] == ADDED
                        and before["handle"] == safe_cell(handle)):
                    skipped += 1
                    _line(number, label, "already added (skipped)")
                    progress.advance(task)
                    continue
                record = {"row": str(number), "handle": handle, "status": ADDED,
                          "error_code": "", "message": "", "roster_entry_id": ""}
                try:
                    body = _roster_in(row)
                    with db.unit_of_work() as session:
                        user_ = session.get(User, user_id)
                        business_ = session.get(Business, business_id)
                        assert user_ is not None and business_ is not None
                        entry = roster_service.add(
                            session, user=user_, business=business_, creator_id=None,
                            handle=body.handle, status=body.status,
                            rate_micros=to_micros(body.rate), currency=body.currency,
                            notes=body.notes)
                        record["roster_entry_id"] = entry.id
                except errors.AppError as exc:
                    record.update(status=FAILED, error_code=exc.code, message=exc.message)
                write(record)
                if record["status"] == ADDED:
                    added += 1
                    _line(number, label, f"[green]added[/] {record['roster_entry_id']}")
                else:
                    failed += 1
                    _line(number, label, _refused(errors.AppError(record["message"],
                                                                  code=record["error_code"])))
                progress.advance(task)
    except KeyboardInterrupt:
        err_console.print(f"Interrupted at row {number}: the rows before it are recorded in "
                          f"{results}; run the same command again to resume.")
        raise typer.Exit(INTERRUPTED) from None
    _compact(results, ROSTER_RESULT_COLUMNS, "roster")
    console.print(f"{added} added, {skipped} already added, {failed} failed; results in "
                  f"{results}", highlight=False)
    if failed:
        raise typer.Exit(1)
