from __future__ import annotations

import typer

from sparkcodes import errors
from sparkcodes.cli.common import console, database, run_app_error
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
) -> None:
    """Issue an API token for a user (printed once)."""
    db, settings = database()
    try:
        with db.unit_of_work() as session:
            user = service.by_email(session, email=email)
            if user is None:
                raise errors.NotFound(f"No user with e-mail {email}.")
            _, raw = service.issue_token(session, settings=settings, user=user, name=name)
    except errors.AppError as exc:
        run_app_error(exc)
    console.print("Token (shown once; send it as 'Authorization: Bearer <token>'):")
    console.print(raw, soft_wrap=True)
