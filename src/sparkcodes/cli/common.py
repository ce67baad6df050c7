from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from sparkcodes import errors
from sparkcodes.config import Settings, get_settings
from sparkcodes.db import Database

console = Console()
err_console = Console(stderr=True)


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


def run_app_error(exc: errors.AppError) -> NoReturn:
    fail(f"{exc.message} ({exc.code})")
