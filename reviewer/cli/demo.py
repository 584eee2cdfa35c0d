"""`reviewer demo`: a demo organisation on a fresh database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reviewer.cli import common

app = typer.Typer(help="A demo organisation, so every page has something to show.", no_args_is_help=True)


@app.command("seed")
def demo_seed(
    organisation: Annotated[Path, typer.Option(help="What the demo organisation looks like.")] = Path("demo/organisation.yaml"),
    db: common.DbOpt = None,
) -> None:
    """Create teams, people, reviews (eval cases scored by the configured judge) and coach
    decisions, dated over past weeks, in a database without reviews; prints the demo accounts'
    passwords once. Example: REVIEWER_DB=data/demo.db REVIEWER_DB_CREATE=1 reviewer demo seed"""
    from pydantic import ValidationError

    from reviewer.accounts import AccountError
    from reviewer.demo import NotEmpty, load_organisation, seed
    from reviewer.evaluation.cases import CaseError
    from reviewer.store import Store

    settings = common.settings(db=db)
    try:
        org = load_organisation(organisation)
    except (OSError, ValueError, ValidationError) as e:
        common.fail(f"{organisation}: {e}")
    try:
        done = seed(Store.open(settings), common.context(settings), org, root=organisation.resolve().parent)
    except (NotEmpty, AccountError, CaseError) as e:
        common.fail(str(e))
    typer.echo(f"seeded {done.people} people in {len(org.teams)} teams: {done.reviews} reviews over {org.weeks} weeks, "
               f"{done.decided} decided by a coach ({done.released} released), {done.evidence_requested} "
               f"awaiting more evidence, the rest awaiting a coach")
    typer.echo("demo accounts (passwords shown once):")
    for email, password in done.accounts.items():
        typer.echo(f"  {email}  {password}")
