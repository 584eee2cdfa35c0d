"""`reviewer user`: local accounts and API tokens."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from reviewer.cli import common

app = typer.Typer(help="Manage local accounts (employee, coach, admin).", no_args_is_help=True)


@app.command("add")
def user_add(
    email: str,
    role: Annotated[str, typer.Option(help="employee, coach or admin.")] = "employee",
    team: Annotated[Optional[str], typer.Option(help="The user's team.")] = None,
    password: Annotated[Optional[str], typer.Option(help="At least 10 characters; a random one is made and printed when omitted.")] = None,
    db: common.DbOpt = None,
) -> None:
    """Create a local account. Example: reviewer user add coach@example.com --role coach"""
    from reviewer.accounts import AccountError, create_user, new_password
    from reviewer.store import Store

    settings = common.settings(db=db)
    chosen = password or new_password()
    try:
        create_user(Store.open(settings), email, role, chosen, team)
    except AccountError as e:
        common.fail(str(e))
    typer.echo(f"created {email.strip().lower()} ({role})" + ("" if password else f"; password: {chosen}"))


@app.command("token")
def user_token(email: str, label: Annotated[Optional[str], typer.Option(help="What the token is for.")] = None,
               db: common.DbOpt = None) -> None:
    """Issue an API token for a user (shown once). Example: reviewer user token ana@example.com --label laptop"""
    from reviewer.accounts import AccountError, issue_token
    from reviewer.store import Store

    settings = common.settings(db=db)
    try:
        typer.echo(issue_token(Store.open(settings), email, label))
    except AccountError as e:
        common.fail(str(e))
