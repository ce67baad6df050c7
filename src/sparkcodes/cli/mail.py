"""`sparkcodes mail`: the e-mail outbox, as the worker sees it."""

from __future__ import annotations

from typing import Annotated

import typer

from sparkcodes.cli.common import console, database, fail, requeue_in_batches

app = typer.Typer(help="The e-mail outbox.", no_args_is_help=True)


@app.command("outbox")
def outbox(limit: int = typer.Option(50, min=1, max=1000, help="Messages to list")) -> None:
    """List the e-mails not sent yet: held (SMTP not configured; sent once it is), waiting
    (queued, or between retries) or failed (given up after its attempts), with why."""
    from rich.table import Table

    from sparkcodes.mail import service

    db_, settings = database()
    with db_.unit_of_work(write=False) as session:
        box = service.outbox(session, limit=limit)
    held, waiting, failed = box.counts["held"], box.counts["waiting"], box.counts["failed"]
    console.print(f"{held} held (SMTP not configured: sent once it is), {waiting} waiting"
                  + ("" if settings.mail.host or not held else
                     " — set SPARKCODES_MAIL__HOST and restart the worker to send them")
                  + f", {failed} failed"
                  + (" (given up: `sparkcodes mail retry --all` sends them again)" if failed
                     else ""))
    if not box.messages:
        return
    table = Table()
    table.add_column("id", no_wrap=True)  # what `sparkcodes mail retry` takes
    for column in ("state", "to", "subject", "written (UTC)", "attempts", "why"):
        table.add_column(column)
    for m in box.messages:
        table.add_row(m.id, m.state, m.to_address, m.subject, f"{m.created_at:%Y-%m-%d %H:%M}",
                      str(m.attempts), m.last_error or "")
    console.print(table)


@app.command("retry")
def retry(ids: Annotated[list[str] | None, typer.Argument(
              help="Failed messages to send again, by id", show_default=False)] = None,
          all_failed: Annotated[bool, typer.Option(
              "--all", help="Send every failed message again")] = False) -> None:
    """Send failed e-mails again (given up after their attempts, e.g. while the SMTP server
    refused them): each waits in the outbox again with a fresh round of attempts."""
    from sparkcodes.mail import service, tasks

    if bool(ids) == all_failed:
        fail("name the failed messages to send again (ids from `sparkcodes mail outbox`), "
             "or give --all")
    db_, settings = database()
    retried, missed = requeue_in_batches(db_, tasks.queue_retries, ids=list(ids) if ids else None,
                                         batch=service.RELEASE_BATCH)
    console.print(f"{len(retried)} message{'s' if len(retried) != 1 else ''} queued to send "
                  "again" + ("" if settings.mail.host or not retried else
                             " — SMTP is not configured, so the worker will hold them"))
    if missed:
        fail(f"not failed (sent, waiting, held or unknown): {', '.join(missed)}")
