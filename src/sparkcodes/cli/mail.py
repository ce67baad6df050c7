"""`sparkcodes mail`: the e-mail outbox, as the worker sees it."""

from __future__ import annotations

import typer

from sparkcodes.cli.common import console, database

app = typer.Typer(help="The e-mail outbox.", no_args_is_help=True)


@app.command("outbox")
def outbox(limit: int = typer.Option(50, min=1, max=1000, help="Messages to list")) -> None:
    """List the e-mails not sent yet: held (SMTP not configured; sent once it is) or waiting
    (queued, or between retries), with why."""
    from rich.table import Table

    from sparkcodes.mail import service

    db_, settings = database()
    with db_.unit_of_work(write=False) as session:
        box = service.outbox(session, limit=limit)
    held, waiting = box.counts["held"], box.counts["waiting"]
    console.print(f"{held} held (SMTP not configured: sent once it is), {waiting} waiting"
                  + ("" if settings.mail.host or not held else
                     " — set SPARKCODES_MAIL__HOST and restart the worker to send them"))
    if not box.messages:
        return
    table = Table()
    for column in ("state", "to", "subject", "written (UTC)", "attempts", "why"):
        table.add_column(column)
    for m in box.messages:
        table.add_row(m.state, m.to_address, m.subject, f"{m.created_at:%Y-%m-%d %H:%M}",
                      str(m.attempts), m.last_error or "")
    console.print(table)
