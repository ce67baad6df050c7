"""The `sparkcodes` command: serve, db upgrade, demo, users, tokens, codes, posts, audit, mail,
reminders, import and export."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from sparkcodes.cli import (
    audit,
    codes,
    connector,
    db,
    exports,
    imports,
    keys,
    mail,
    reminders,
    users,
)
from sparkcodes.cli.common import console, reflow_help

if TYPE_CHECKING:  # the commands import these when they run, to keep the CLI quick to start
    from sparkcodes.config import Settings
    from sparkcodes.db import Database
    from sparkcodes.simulate import Outcome

app = typer.Typer(help="sparkcodes: Spark Ads authorization codes, end to end.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
app.add_typer(db.app, name="db")
app.add_typer(users.users_app, name="users")
app.add_typer(users.tokens_app, name="tokens")
app.command("codes")(codes.list_codes)
from sparkcodes.cli.tracker import tracker as tracker_command  # noqa: E402, I001
app.command("tracker")(tracker_command)
app.add_typer(codes.posts_app, name="posts")
app.add_typer(connector.app, name="connector")
app.add_typer(audit.app, name="audit")
app.add_typer(mail.app, name="mail")
app.add_typer(reminders.app, name="reminders")
app.add_typer(imports.app, name="import")
app.add_typer(exports.app, name="export")
app.command("rotate-keys")(keys.rotate_keys)


WORKER_START_SECONDS = 120


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    workers: int = typer.Option(1, min=1, help="Worker processes"),
    reload: bool = typer.Option(False, help="Restart on code changes (development)"),
) -> None:
    """Run the HTTP service (JSON API and docs) on the configured database."""
    import uvicorn

    from sparkcodes.config import get_settings

    settings = get_settings()
    where = "SQLite " + settings.database_url.split("///", 1)[-1] if settings.is_sqlite else \
        "PostgreSQL"
    console.print(f"[bold]sparkcodes[/] on [link]http://{host}:{port}[/] "
                  f"(API docs: http://{host}:{port}/docs) — database: {where}"
                  + (" — [yellow]sandbox mode[/]" if settings.sandbox else ""))
    if settings.metrics_served:
        from sparkcodes.kit.metrics import share_across_processes

        # Before any process starts: every worker process, and `sparkcodes worker`, count into
        # the same directory, and /metrics on any of them adds them all up.
        share_across_processes(settings.metrics.directory)
    uvicorn.run("sparkcodes.app:create_app", factory=True, host=host, port=port,
                workers=workers, reload=reload, log_level="info",
                # uvicorn kills a worker process that does not answer its ping within this many
                # seconds; a new one imports the whole app first, which on a busy machine takes
                # longer than uvicorn's 5 s, and the workers were killed before they ever served.
                timeout_worker_healthcheck=WORKER_START_SECONDS)


def _simulate(db_: Database, settings: Settings, *, days: int, seed: int, paid: int,
              organic: int) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from sparkcodes import simulate as sim

    events = sim.plan(db_, days=days, seed=seed, paid_per_day=paid, organic_per_day=organic)
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("ingesting events", total=len(events))
        outcome = sim.run(db_, settings, events, lambda n: progress.advance(task, n))
    _outcome_table(outcome, days=days)


def _outcome_table(outcome: Outcome, *, days: int) -> None:
    from rich.table import Table

    table = Table(title=f"{days} simulated days")
    table.add_column("events")
    table.add_column("count", justify="right")
    table.add_row("sent", f"{outcome.sent:,}")
    table.add_row("accepted", f"{outcome.accepted:,}")
    table.add_row("already recorded", f"{outcome.duplicates:,}")
    for reason, n in outcome.refused.most_common():
        table.add_row(f"refused: {reason}", f"{n:,}")
    console.print(table)


@app.command()
def simulate(
    days: int = typer.Option(7, min=1, max=90, help="How many past days to fill"),
    seed: int = typer.Option(7, help="Same seed, same events: re-running adds nothing"),
    paid: int = typer.Option(110, min=0, help="Paid impressions per ad per day (about)"),
    organic: int = typer.Option(90, min=0, help="Organic impressions per post per day (about)"),
) -> None:
    """Drive organic and paid traffic for every post and ad through engagement ingestion."""
    from sparkcodes.cli.common import database

    db_, settings = database()
    _simulate(db_, settings, days=days, seed=seed, paid=paid, organic=organic)


@app.command()
def worker(
    once: bool = typer.Option(False, help="Run the jobs due now, then exit"),
    poll: float = typer.Option(1.0, min=0.05, help="Seconds between polls when idle"),
) -> None:
    """Run the job worker (reminders, webhooks, e-mail, sweeps). Several may run on PostgreSQL."""
    import signal
    import threading

    from sparkcodes.cli.common import database
    from sparkcodes.worker.runner import Runner

    db_, settings = database()
    if settings.metrics_served:
        from sparkcodes.kit.metrics import share_across_processes

        share_across_processes(settings.metrics.directory)  # /metrics of `serve` reads it
    runner = Runner(db_, settings)
    if once:
        console.print(f"Ran {runner.tick()} job(s).")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.print(f"Worker {runner.worker_id} running; Ctrl-C to stop.")
    if settings.freeze_heap:  # as the server does (app.py's lifespan)
        import gc

        gc.freeze()  # full collections no longer walk what startup built
    runner.run_forever(stop, poll)


@app.command()
def demo() -> None:
    """Load the demo world: a brand, ad accounts, creators, codes in every status, a roster,
    requests and a week of traffic. Idempotent."""
    from sparkcodes import demo as demo_data
    from sparkcodes.cli.common import database

    db_, settings = database()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("simulating a week of traffic", total=None)
        result, outcome = demo_data.install(
            db_, settings, on_progress=lambda done, total: progress.update(
                task, completed=done, total=total))
        if outcome is None:
            progress.remove_task(task)
    if outcome is not None:
        _outcome_table(outcome, days=demo_data.HISTORY_DAYS)
        console.print("[green]Demo data loaded.[/]")
    else:
        console.print("Demo data already present; nothing changed.")
    from rich.table import Table

    table = Table(title="Demo logins", show_lines=False)
    for col in ("who", "e-mail", "password"):
        table.add_column(col)
    for row in result.logins:
        table.add_row(*row)
    console.print(table)
    if result.free_codes:
        console.print("Unused demo codes (bind them as the brand):")
        for c in result.free_codes:
            console.print(f"  {c}")
    if result.original_codes:
        console.print("The third is a duet and the fourth a stitch: they link only with a code "
                      "of the post each was made from. Paste these under \"Codes of the "
                      "original posts\":", soft_wrap=True)
        for c, label in result.original_codes:
            console.print(f"  {c}  ({label})", soft_wrap=True)
    if result.advertisers:
        console.print("TikTok Business API v1.3 at http://127.0.0.1:8000/open_api/v1.3/ "
                      "(docs/tiktok.md); Access-Token: a token from the log-in below; "
                      "advertiser_id: " + ", ".join(f"{adv} ({name})"
                                                    for name, adv in result.advertisers))
    if result.rehearsal:
        name, advertiser_id, base_url = result.rehearsal
        console.print(f"TikTok rehearsal: Glow Skincare is linked to the \"TikTok\" advertiser "
                      f"{name} ({advertiser_id}), served by this server's own "
                      f"{base_url}/open_api/v1.3; once the server runs, its worker syncs it "
                      "into the TikTok tab, the tracker and the calendar (README, \"Connect a "
                      "TikTok advertiser\").", soft_wrap=True)
    console.print(
        "Log in: curl -s -X POST http://127.0.0.1:8000/v1/tokens -H 'content-type: "
        f"application/json' -d '{{\"email\": \"{demo_data.BRAND_EMAIL}\", \"password\": "
        f"\"{demo_data.PASSWORD}\"}}'", soft_wrap=True
    )


# Last, once every command is registered: docstrings' line breaks do not survive into --help.
reflow_help(app)
