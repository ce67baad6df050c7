from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.cli.common import console, database, fail, run_app_error
from sparkcodes.config import Settings
from sparkcodes.models import ApiToken, User
from sparkcodes.sandbox import service as sandbox_service
from sparkcodes.user import service

users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)


@users_app.command("create")
def create_user(
    email: str = typer.Option(..., help="E-mail to log in with"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    name: str = typer.Option("", help="Display name"),
) -> None:
    """Create a user account."""
    db, _ = database()
    try:
        with db.unit_of_work() as session:
            user = service.sign_up(session, email=email, password=password, name=name)
    except errors.AppError as exc:
        run_app_error(exc)
    console.print(f"Created user {user.email} ({user.id}).")


@tokens_app.command("create")
def create_token(
    email: str = typer.Option(..., help="The user the token acts for"),
    name: str = typer.Option("cli", help="A label for the token"),
    days: int = typer.Option(None, min=0, max=3650,
                             help="Days until it expires (0: never); default auth.token_days"),
) -> None:
    """Issue an API token for a user (printed once)."""
    db, settings = database()
    try:
        with db.unit_of_work() as session:
            _sync_clock(session, settings)
            user = service.by_email(session, email=email)
            if user is None:
                raise errors.NotFound(f"No user with e-mail {email}.", code="user_not_found")
            lifetime = (service.lifetimes(settings).token if days is None
                        else timedelta(days=days) if days else None)
            token, raw = service.issue_token(session, settings=settings, user=user, name=name,
                                             lifetime=lifetime)
            expires = token.expires_at
    except errors.AppError as exc:
        run_app_error(exc)
    console.print("Token (shown once; send it as 'Authorization: Bearer <token>'):")
    console.print(raw, soft_wrap=True)
    console.print(f"Expires: {expires:%Y-%m-%d %H:%M} UTC." if expires else "Never expires.")


_STATUS_STYLE = {"active": "green", "revoked": "red", "expired": "yellow", "idle": "yellow"}


def _sync_clock(session: Session, settings: Settings) -> None:
    """Read time from the one clock: the sandbox's when it was moved."""
    if settings.sandbox:
        sandbox_service.sync_clock(session)


def _when(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "—"


def _tokens_table(title: str, rows: list[tuple[ApiToken, User]], settings: Settings) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column("id", no_wrap=True)
    table.add_column("user", overflow="fold")
    table.add_column("name", max_width=20, overflow="ellipsis", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("starts", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("created (UTC)", no_wrap=True)
    table.add_column("last used", no_wrap=True)
    table.add_column("expires", no_wrap=True)
    for token, user in rows:
        status = service.status_of(token, settings=settings).value
        kind = "app" if token.developer_app_id else token.kind
        table.add_row(token.id, user.email, token.name, kind, token.hint,
                      f"[{_STATUS_STYLE[status]}]{status}[/]", _when(token.created_at),
                      _when(token.last_used_at), _when(token.expires_at))
    return table


@tokens_app.command("list")
def list_tokens(
    email: str = typer.Option(None, help="Only this user's tokens"),
    active: bool = typer.Option(False, "--active", help="Only tokens that work now"),
) -> None:
    """List API tokens and page sessions (never their values): kind, first characters, status
    (active, revoked, expired, idle), when made, last used and when they expire."""
    db, settings = database()
    try:
        with db.unit_of_work(write=False) as session:
            _sync_clock(session, settings)
            rows = service.all_tokens(session, email=email)
            if active:
                rows = [(t, u) for t, u in rows if service.status_of(
                    t, settings=settings).value == "active"]
            title = f"Tokens of {email}" if email else "Tokens"
            table = _tokens_table(title, rows, settings)
    except errors.AppError as exc:
        run_app_error(exc)
    if not rows:
        console.print(f"{title}: none.")
        return
    console.print(table)


@tokens_app.command("revoke")
def revoke_tokens(
    token_ids: Annotated[list[str] | None,
                         typer.Argument(help="Ids of the tokens to revoke")] = None,
    email: str = typer.Option(None, help="Revoke every token of this user (with --all)"),
    all_: bool = typer.Option(False, "--all", help="With --email: all of the user's tokens"),
) -> None:
    """Revoke tokens by id, or every token of a user (`--email ... --all`): they stop working
    at once, sessions included. Revoking twice is harmless."""
    if bool(token_ids) == bool(email) or bool(email) != all_:
        fail("Give token ids, or --email EMAIL --all.", 2)
    db, settings = database()
    try:
        with db.unit_of_work() as session:
            _sync_clock(session, settings)
            if email:
                ids = [t.id for t in service.revoke_all_by_operator(session, email=email)]
            else:
                ids = [service.revoke_by_operator(session, token_id=token_id).id
                       for token_id in token_ids or []]
            rows = service.all_tokens(session, token_ids=ids) if ids else []
            table = _tokens_table("Revoked", rows, settings)
    except errors.AppError as exc:
        run_app_error(exc)
    if not rows:
        console.print(f"{email} had no token left to revoke.")
        return
    console.print(table)
