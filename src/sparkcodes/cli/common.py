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
    settings = get_settings()
    return Database(settings), settings


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[red]error:[/] {message}")
    raise typer.Exit(code)


def run_app_error(exc: errors.AppError) -> NoReturn:
    fail(f"{exc.message} ({exc.code})")
