"""Commands about reviews: score artifacts, show a stored review, a person's portfolio, the
role targets, and re-scoring under a new rubric or judge."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from reviewer.cli import common
from pathlib import Path

from reviewer.intake import IntakeError
from reviewer.rubric import RubricError, load_roles


def _print_review(review, console) -> None:
    from rich.table import Table

    fb = review.feedback
    target = f" (role target {fb.target})" if fb.target is not None else ""
    console.print(f"[bold]Review {review.id}[/bold]  {review.artifact_type}"
                  f"{' (detected)' if review.type_detected else ''}  status: {review.status}")
    console.print(f"[bold]Level {review.level} - {review.level_name}[/bold]{target}  "
                  f"confidence {review.confidence:.2f}")
    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("dimension")
    table.add_column("score", justify="right")
    table.add_column("indicators met")
    for d in review.dimensions:
        table.add_row(d.name, "-" if d.score is None else str(d.score), ", ".join(d.met))
    console.print(table)
    console.print(fb.summary, markup=False)
    if fb.strengths:
        console.print("[bold]Strengths[/bold]")
        for s in fb.strengths:  # a quote may span a key and its value's first line: one line here
            console.print(f"  + {s.text}: \"{' '.join(s.quote.split())}\"", markup=False, highlight=False)
    if fb.gaps:
        console.print("[bold]Gaps[/bold]")
        for g in fb.gaps:
            console.print(f"  - {g.text}" + (f" (level {g.level} {g.dimension})" if g.level else ""), markup=False)
    console.print("[bold]Next steps[/bold]")
    for step in fb.next_steps:
        console.print(f"  * {step}", markup=False)
    console.print(f"[bold]Submit next[/bold]: {fb.submit_next}")
    if review.flags:
        console.print("[bold]Flags[/bold]")
        for f in review.flags:
            console.print(f"  ! {f.kind}: {f.reason}", markup=False)
    if review.redactions:
        console.print("Redacted before storage: " + ", ".join(f"{n} {k}" for k, n in review.redactions.items()))


def review(
    files: Annotated[list[str], typer.Argument(help="Artifact files; '-' reads standard input.")],
    role: Annotated[Optional[str], typer.Option(help="Role key (see `reviewer roles`).")] = None,
    person: Annotated[Optional[str], typer.Option(help="The author's email; links the reviews to a person.")] = None,
    type: Annotated[Optional[str], typer.Option("--type", help="Artifact type for every file; detected when omitted.")] = None,
    note: Annotated[Optional[str], typer.Option(help="What the artifacts were for.")] = None,
    as_json: common.JsonOpt = False,
    db: common.DbOpt = None,
    judge: common.JudgeOpt = None,
    model: common.ModelOpt = None,
    api_base: common.ApiBaseOpt = None,
) -> None:
    """Score artifacts, store the reviews and print them (offline rules judge unless told otherwise).

    Example: reviewer review agents.yaml prompt.txt --role software_engineer --person ana@example.com
    """
    from reviewer.aggregate import ArtifactResult, portfolio
    from reviewer.service import Item, get_review, submit
    from reviewer.store import Store

    settings = common.settings(db=db, judge=judge, model=model, api_base=api_base)
    ctx = common.context(settings)
    items = [Item(data=common.read_input(f, settings.max_bytes), type=type) for f in files]
    store = Store.open(settings)
    try:
        ids = submit(store, ctx, items, person=person, role=role, note=note, channel="cli")
    except (IntakeError, RubricError) as e:
        name = files[0] if len(files) == 1 else "one of the files"
        common.fail(f"{name}: {e}")
    reviews = [get_review(store, ctx, i) for i in ids]
    combined = None
    if len(reviews) > 1:
        combined = portfolio([ArtifactResult(level=r.level, confidence=r.confidence,
                                             dimensions={d.key: d.score for d in r.dimensions}) for r in reviews],
                             ctx.rubric.portfolio)
    if as_json:
        payload = reviews[0].model_dump() if len(reviews) == 1 else {
            "reviews": [r.model_dump() for r in reviews], "portfolio": combined.model_dump()}
        typer.echo(json.dumps(payload, indent=2))
        return
    from rich.console import Console

    console = Console()
    for name, r in zip(files, reviews):
        console.rule(name, style="dim")
        _print_review(r, console)
    if combined is not None:
        console.rule("portfolio", style="dim")
        console.print(f"Combined estimate ({ctx.rubric.portfolio.rule}): level {combined.level}, "
                      f"confidence {combined.confidence:.2f}")


def show(review_id: int, as_json: common.JsonOpt = False, db: common.DbOpt = None) -> None:
    """Print a stored review. Example: reviewer show 12 --json"""
    from reviewer.service import get_review

    r = common.lookup(db, lambda store, ctx: get_review(store, ctx, review_id))
    if as_json:
        typer.echo(r.model_dump_json(indent=2))
    else:
        from rich.console import Console
        _print_review(r, Console())


def portfolio_cmd(email: str, as_json: common.JsonOpt = False, db: common.DbOpt = None) -> None:
    """A person's level from all their reviewed artifacts. Example: reviewer portfolio ana@example.com"""
    from reviewer.service import person_portfolio

    est = common.lookup(db, lambda store, ctx: person_portfolio(store, ctx, email))
    if as_json:
        typer.echo(est.model_dump_json(indent=2))
        return
    target = f", role target {est.target}" if est.target is not None else ""
    typer.echo(f"{email}: level {est.level} (confidence {est.confidence:.2f}{target}) "
               f"from {len(est.reviews)} artifact(s), rule {est.rule}")
    for key, score in est.dimensions.items():
        typer.echo(f"  {key:16} {'-' if score is None else score}")


def roles() -> None:
    """List the roles and their target levels. Example: reviewer roles"""
    settings = common.settings()
    try:
        table = load_roles(settings.roles)
    except RubricError as e:
        common.fail(str(e))
    for key, role in table.roles.items():
        typer.echo(f"{key:24} target {role.target}  {role.name}: {role.why}")


def rescore(
    rubric: Annotated[Optional[Path], typer.Option(help="The rubric to score under (default: the configured one).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List who would change level; write nothing.")] = False,
    only_flag: Annotated[Optional[str], typer.Option("--only-flag", help="Only reviews with this flag, e.g. llm_unavailable.")] = None,
    include_decided: Annotated[bool, typer.Option("--include-decided", help="Also re-score reviews a coach has confirmed, "
                                                  "overridden or released (they go back to the queue).")] = False,
    db: common.DbOpt = None,
    judge: common.JudgeOpt = None,
    model: common.ModelOpt = None,
    api_base: common.ApiBaseOpt = None,
) -> None:
    """Re-score every artifact's newest review under another rubric (or judge).

    With --dry-run nothing is written; otherwise each score is stored as a new review that
    supersedes the old one. Reviews a coach has decided are kept unless --include-decided.
    Examples: reviewer rescore --rubric new.yaml --dry-run;
    reviewer rescore --only-flag llm_unavailable --judge llm --model openai/gpt-4o-mini
    """
    from reviewer.service import rescore_all
    from reviewer.store import Store

    settings = common.settings(db=db, rubric=rubric, judge=judge, model=model, api_base=api_base)
    ctx = common.context(settings)
    changes, kept = rescore_all(Store.open(settings), ctx, write=not dry_run, actor="rescore", only_flag=only_flag,
                                include_decided=include_decided)
    for c in changes:
        if c.old_level != c.new_level:
            typer.echo(f"review {c.review_id} ({c.person or 'anonymous'}, {c.artifact_type}): "
                       f"level {c.old_level} -> {c.new_level}")
    moved = sum(c.old_level != c.new_level for c in changes)
    if dry_run:
        summary = (f"dry run, nothing written: {len(changes)} review(s) would be re-scored under "
                   f"{ctx.rubric.version_label}; {moved} would change level")
    else:
        summary = (f"{len(changes)} review(s) re-scored under {ctx.rubric.version_label}; {moved} changed level; "
                   f"{len(changes)} new review(s) stored")
    typer.echo(summary + (f"; {kept} decided by a coach kept as they are (--include-decided re-scores them)"
                          if kept else ""))


def register(app: typer.Typer) -> None:
    app.command()(review)
    app.command()(show)
    app.command("portfolio")(portfolio_cmd)
    app.command()(roles)
    app.command()(rescore)
