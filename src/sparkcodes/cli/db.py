from __future__ import annotations

import typer

from sparkcodes.cli.common import console

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply migrations to SPARKCODES_DATABASE_URL (creates the SQLite file if needed)."""
    from sqlalchemy.engine import make_url

    from sparkcodes.config import get_settings
    from sparkcodes.db import make_engine
    from sparkcodes.migrations import upgrade as run_upgrade

    settings = get_settings()
    if settings.is_sqlite:
        make_engine(settings).dispose()  # creates the folder and switches the file to WAL
    run_upgrade(settings.database_url, revision, secret_key=settings.secret_key,
                previous_secret_keys=settings.previous_secret_keys)
    url = make_url(settings.database_url)
    shown = url.render_as_string(hide_password=True)
    console.print(f"Database at [bold]{shown}[/] is at {revision}.")
