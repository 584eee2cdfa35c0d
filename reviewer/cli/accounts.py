"""`reviewer user`: local accounts, passwords and API tokens."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from reviewer.cli import common

app = typer.Typer(help="Manage local accounts (employee, coach, leader, admin).", no_args_is_help=True)


def _store(db):
    from reviewer.store import Store

    return Store.open(common.settings(db=db))


@app.command("add")
def user_add(
    email: str,
    role: Annotated[str, typer.Option(help="employee, coach, leader or admin.")] = "employee",
    team: Annotated[Optional[str], typer.Option(help="The user's team.")] = None,
    teams: Annotated[Optional[str], typer.Option(help="Leaders: the teams whose map they see, comma-separated.")] = None,
    password: Annotated[Optional[str], typer.Option(help="At least 10 characters; a random one is made and printed when omitted.")] = None,
    db: common.DbOpt = None,
) -> None:
    """Create a local account. Examples: reviewer user add coach@example.com --role coach;
    reviewer user add lea@example.com --role leader --teams support,sales"""
    from reviewer.accounts import AccountError, create_user, new_password

    chosen = password or new_password()
    try:
        create_user(_store(db), email, role, chosen, team, teams)
    except AccountError as e:
        common.fail(str(e))
    typer.echo(f"created {email.strip().lower()} ({role})" + ("" if password else f"; password: {chosen}"))


@app.command("passwd")
def user_passwd(
    email: str,
    password: Annotated[Optional[str], typer.Option(help="At least 10 characters; a random one is made and printed when omitted.")] = None,
    db: common.DbOpt = None,
) -> None:
    """Set a user's password (e.g. a lost admin password); every session of theirs ends.
    Example: reviewer user passwd admin@localhost"""
    from reviewer.accounts import AccountError, new_password, set_password

    chosen = password or new_password()
    try:
        set_password(_store(db), email, chosen, actor="cli")
    except AccountError as e:
        common.fail(str(e))
    typer.echo(f"password of {email.strip().lower()} set" + ("" if password else f": {chosen}")
               + "; their sessions have ended")


def _set_disabled(email: str, disabled: bool, db) -> None:
    from reviewer.accounts import AccountError, set_disabled

    try:
        set_disabled(_store(db), email, disabled, actor="cli")
    except AccountError as e:
        common.fail(str(e))
    typer.echo(f"{'disabled' if disabled else 'enabled'} {email.strip().lower()}")


@app.command("disable")
def user_disable(email: str, db: common.DbOpt = None) -> None:
    """Disable a user: their sessions end at once and their API tokens stop working."""
    _set_disabled(email, True, db)


@app.command("enable")
def user_enable(email: str, db: common.DbOpt = None) -> None:
    """Enable a disabled user again (their old tokens work again until they expire)."""
    _set_disabled(email, False, db)


@app.command("token")
def user_token(
    email: Annotated[Optional[str], typer.Argument(help="Whose token to issue.")] = None,
    label: Annotated[Optional[str], typer.Option(help="What the token is for.")] = None,
    days: Annotated[int, typer.Option(help="Days until the token expires (1-366).")] = 90,
    revoke: Annotated[Optional[int], typer.Option(help="Revoke the token with this id (see `reviewer user tokens EMAIL`).")] = None,
    db: common.DbOpt = None,
) -> None:
    """Issue an API token (shown once) or revoke one.
    Examples: reviewer user token ana@example.com --label laptop --days 30; reviewer user token --revoke 3"""
    from reviewer.accounts import AccountError, issue_token, revoke_token

    if (email is None) == (revoke is None):
        common.fail("give an EMAIL to issue a token, or --revoke ID to revoke one")
    try:
        if revoke is not None:
            row = revoke_token(_store(db), revoke)
            typer.echo(f"revoked token {revoke} of {row['email']}")
        else:
            typer.echo(issue_token(_store(db), email, label, days))
    except AccountError as e:
        common.fail(str(e))


@app.command("tokens")
def user_tokens(email: str, as_json: common.JsonOpt = False, db: common.DbOpt = None) -> None:
    """List a user's API tokens (ids, labels, expiry; never the tokens themselves)."""
    import json

    from reviewer.accounts import AccountError, existing

    store = _store(db)
    try:
        tokens = store.api_tokens(existing(store, email)["id"])
    except AccountError as e:
        common.fail(str(e))
    if as_json:
        typer.echo(json.dumps(tokens, indent=2))
        return
    from reviewer.store import now

    for t in tokens:
        state = "revoked" if t["revoked_at"] else "expired" if t["expires_at"] <= now() else "live"
        typer.echo(f"{t['id']:>5}  {state:<8} expires {t['expires_at'][:10]}  {t['label'] or ''}")
    if not tokens:
        typer.echo("no tokens")
