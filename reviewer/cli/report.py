"""`reviewer report`: reports over the stored reviews for the people who lead teams."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from reviewer.cli import common

app = typer.Typer(help="Reports over the stored reviews.", no_args_is_help=True)


@app.command("teams")
def teams(
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV (a header row, then one row per team and role).")] = False,
    below: Annotated[bool, typer.Option("--below", help="List the people below their role's target instead of the map.")] = False,
    team: Annotated[Optional[str], typer.Option(help="Only this team.")] = None,
    role: Annotated[Optional[str], typer.Option(help="Only this role key (see `reviewer roles`).")] = None,
    db: common.DbOpt = None,
) -> None:
    """The proficiency map: per team and role, people at each level (a coach's level where one
    decided), the share at or above the role's target and who is furthest below it.
    Examples: reviewer report teams; reviewer report teams --csv --team support > map.csv"""
    from reviewer.store import Store
    from reviewer.teams import FURTHEST, LEVELS, below_csv, map_csv, proficiency_map

    s = common.settings(db=db)
    m = proficiency_map(Store.open(s), common.context(s), team=team, role=role)
    if as_csv:
        typer.echo(below_csv(m) if below else map_csv(m), nl=False)
        return
    from rich.console import Console
    from rich.markup import escape  # team names and emails are people's text, not markup
    from rich.table import Table

    console = Console()
    if not m.rows:
        console.print("No one with a reviewed artifact" + (" matches these filters." if team or role else " yet."))
        return
    if below:
        table = Table("team", "role", "person", "level", "target", "levels below", header_style="bold", box=None)
        for r in m.rows:
            for p in r.below:
                table.add_row(escape(r.team or "no team"), r.role or "no role", escape(p.person), str(p.level),
                              str(p.target), str(p.below))
        console.print(table if table.row_count else "No one is below their role's target.")
        return
    table = Table("team", "role", "target", "people", *(f"L{lv}" for lv in LEVELS), "at/above target",
                  "furthest below target", header_style="bold", box=None)
    for r in m.rows:
        share = "no target" if r.share is None else f"{r.at_target}/{r.people} ({r.share:.0%})"
        furthest = ", ".join(f"{escape(p.person)} (L{p.level})" for p in r.below[:FURTHEST])
        more = f" +{len(r.below) - FURTHEST} more" if len(r.below) > FURTHEST else ""
        table.add_row(escape(r.team or "no team"), r.role or "no role", str(r.target or "-"), str(r.people),
                      *(f"[bold]{n}[/bold]" if lv == r.target else str(n) for lv, n in zip(LEVELS, r.counts)),
                      share, furthest + more)
    console.print(table)
    console.print("Bold: the count at the role's target level.")
