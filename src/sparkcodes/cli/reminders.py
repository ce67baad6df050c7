"""`sparkcodes reminders`: reminders recorded but never told, and telling them again."""

from __future__ import annotations

from typing import Annotated

import typer

from sparkcodes.cli.common import console, database, fail, requeue_in_batches

app = typer.Typer(help="Expiry reminders (R23) the worker gave up telling.",
                  no_args_is_help=True)


@app.command("failed")
def failed(limit: int = typer.Option(50, min=1, max=1000, help="Reminders to list")) -> None:
    """List the reminders given up (their tell job spent its attempts, e.g. in an outage):
    recorded, never told, with why. `sparkcodes reminders retry` tells them again."""
    from rich.table import Table

    from sparkcodes.reminder import service
    from sparkcodes.values import hint_display

    db_, _ = database()
    with db_.unit_of_work(write=False) as session:
        total, reminders = service.failed(session, limit=limit)
    console.print(f"{total} failed reminder{'s' if total != 1 else ''}"
                  + (" (given up: `sparkcodes reminders retry --all` tells them again)" if total
                     else ""))
    if not reminders:
        return
    table = Table()
    table.add_column("id", no_wrap=True)  # what `sparkcodes reminders retry` takes
    for column in ("code", "kind", "window end (UTC)", "failed at (UTC)", "why"):
        table.add_column(column)
    for r in reminders:
        table.add_row(r.id, f"{hint_display(r.code_hint)} ({r.authorization_id})", r.kind,
                      f"{r.window_end:%Y-%m-%d %H:%M}", f"{r.failed_at:%Y-%m-%d %H:%M}",
                      r.last_error or "")
    console.print(table)


@app.command("retry")
def retry(ids: Annotated[list[str] | None, typer.Argument(
              help="Failed reminders to tell again, by id", show_default=False)] = None,
          all_failed: Annotated[bool, typer.Option(
              "--all", help="Tell every failed reminder again")] = False) -> None:
    """Tell failed reminders again, each with a fresh round of attempts. A reminder whose code
    was deleted or whose end moved since is not told (the new end has reminders of its own)."""
    from sparkcodes.reminder import service, tasks

    if bool(ids) == all_failed:
        fail("name the failed reminders to tell again (ids from `sparkcodes reminders failed`), "
             "or give --all")
    db_, _ = database()
    retried, missed = requeue_in_batches(db_, tasks.queue_retries, ids=list(ids) if ids else None,
                                         batch=service.RETRY_BATCH)
    console.print(f"{len(retried)} reminder{'s' if len(retried) != 1 else ''} queued to tell "
                  "again")
    if missed:
        fail(f"not failed (told, skipped, waiting or unknown): {', '.join(missed)}")
