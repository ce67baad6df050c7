from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from sparkcodes import errors
from sparkcodes.config import Settings, get_settings
from sparkcodes.db import Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sparkcodes.models import Business

console = Console()
err_console = Console(stderr=True)


def reflow(text: str) -> str:
    """Help text as paragraphs that wrap to the terminal: a docstring's single line breaks
    become spaces, blank lines still part paragraphs (Typer keeps the breaks in its help)."""
    import inspect
    import re

    paragraphs = re.split(r"\n\s*\n", inspect.cleandoc(text))
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def reflow_help(app: typer.Typer) -> None:
    """Reflow the help of every command and group under ``app`` (see ``reflow``)."""
    if isinstance(app.info.help, str):
        app.info.help = reflow(app.info.help)
    for command in app.registered_commands:
        if isinstance(command.help, str):
            command.help = reflow(command.help)
        elif command.callback is not None and command.callback.__doc__:
            command.help = reflow(command.callback.__doc__)
    for group in app.registered_groups:
        if isinstance(group.help, str):
            group.help = reflow(group.help)
        if group.typer_instance is not None:
            reflow_help(group.typer_instance)
    if app.registered_callback is not None:
        callback = app.registered_callback
        if isinstance(callback.help, str):
            callback.help = reflow(callback.help)
        elif callback.callback is not None and callback.callback.__doc__:
            callback.help = reflow(callback.callback.__doc__)


def database() -> tuple[Database, Settings]:
    """The database and settings every command works on. In sandbox mode the process first
    adopts the sandbox clock stored in the database, as the server and the worker do, so a
    command shows codes as the API and the pages show them."""
    settings = get_settings()
    db = Database(settings)
    if settings.sandbox:
        from sparkcodes.sandbox import service as sandbox_service

        with db.unit_of_work(write=False) as session:
            sandbox_service.sync_clock(session)
    return db, settings


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[red]error:[/] {message}")
    raise typer.Exit(code)


def requeue_in_batches(db: Database, queue: Callable[[Session, list[str] | None], list[str]], *,
                       ids: list[str] | None, batch: int) -> tuple[list[str], list[str]]:
    """Run ``queue`` (it requeues what failed, of ``ids`` or any, at most ``batch`` at a time,
    and returns their ids) in transactions of their own until none asked for is left failed:
    (the ids requeued, those of ``ids`` that were not failed)."""
    requeued: list[str] = []
    while True:
        with db.unit_of_work() as session:
            done = queue(session, ids)
        requeued += done
        if len(done) < batch:
            break
    return requeued, sorted(set(ids or ()) - set(requeued))


def run_app_error(exc: errors.AppError) -> NoReturn:
    fail(f"{exc.message} ({exc.code})")


def bulk_progress(*, quiet: bool) -> Progress:
    """The progress bar of a bulk command, on standard error so it never mixes with a CSV on
    standard output; off with --quiet or when standard error is not a terminal. Standard output
    goes through the bar (printed above it) only when it is the terminal too: piped, it stays
    a clean file."""
    return Progress("[progress.description]{task.description}", BarColumn(),
                    MofNCompleteColumn(), TimeRemainingColumn(), console=err_console,
                    disable=quiet or not err_console.is_terminal,
                    redirect_stdout=console.is_terminal)


def one_business(session: Session, name_or_id: str) -> Business:
    """The business with this id or (ignoring case) this name; exits 2 when none or several."""
    from sparkcodes.tracker import service as tracker_service

    found = tracker_service.businesses_matching(session, name_or_id=name_or_id)
    if not found:
        fail(f"No business named or with id {name_or_id!r}.", 2)
    if len(found) > 1:
        ids = ", ".join(b.id for b in found)
        fail(f"{len(found)} businesses are named {name_or_id!r}; give the id ({ids}).", 2)
    return found[0]
