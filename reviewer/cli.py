"""The `reviewer` command line. Heavy imports (FastAPI, uvicorn) happen inside the commands
that need them, so `reviewer review` starts fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from reviewer.config import ConfigError, load_settings
from reviewer.intake import IntakeError
from reviewer.rubric import DEFAULT_RUBRIC, RubricError, load_roles, load_rubric

app = typer.Typer(help="Assess how well people work with generative AI from their real work artifacts.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
rubric_app = typer.Typer(help="Check and inspect the rubric.", no_args_is_help=True)
app.add_typer(rubric_app, name="rubric")

DbOpt = Annotated[Optional[Path], typer.Option("--db", help="SQLite file (default: REVIEWER_DB or data/reviewer.db).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a readable summary.")]
JudgeOpt = Annotated[Optional[str], typer.Option("--judge", help="rules (offline), llm or jury (default: REVIEWER_JUDGE or rules).")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="LiteLLM model for the llm judge, e.g. openai/gpt-4o-mini.")]
ApiBaseOpt = Annotated[Optional[str], typer.Option("--api-base", help="API base URL of the model, e.g. http://127.0.0.1:8080/v1.")]


def fail(message: str) -> NoReturn:
    """One clear line on stderr and exit code 2: the contract for bad input."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _settings(**overrides):
    try:
        return load_settings(**overrides)
    except ConfigError as e:
        fail(str(e))


def _context(settings, cache: bool | None = None):
    from reviewer.pipeline import load_context
    try:
        return load_context(settings, cache=cache)
    except RubricError as e:
        fail(str(e))


def _read_input(name: str, limit: int) -> bytes:
    """A file's bytes, or stdin's for '-'; read at most one byte past the limit so intake can refuse it."""
    if name == "-":
        return sys.stdin.buffer.read(limit + 1)
    path = Path(name)
    if not path.is_file():
        fail(f"{name}: no such file")
    try:
        with path.open("rb") as f:
            return f.read(limit + 1)
    except OSError as e:
        fail(f"{name}: cannot read: {e.strerror}")


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
        for s in fb.strengths:
            console.print(f"  + {s.text}: \"{s.quote}\"", markup=False, highlight=False)
    if fb.gaps:
        console.print("[bold]Gaps[/bold]")
        for g in fb.gaps:
            console.print(f"  - {g.text} (level {g.level} {g.dimension})", markup=False)
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


@app.command()
def review(
    files: Annotated[list[str], typer.Argument(help="Artifact files; '-' reads standard input.")],
    role: Annotated[Optional[str], typer.Option(help="Role key (see `reviewer roles`).")] = None,
    person: Annotated[Optional[str], typer.Option(help="The author's email; links the reviews to a person.")] = None,
    type: Annotated[Optional[str], typer.Option("--type", help="Artifact type for every file; detected when omitted.")] = None,
    note: Annotated[Optional[str], typer.Option(help="What the artifacts were for.")] = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
    judge: JudgeOpt = None,
    model: ModelOpt = None,
    api_base: ApiBaseOpt = None,
) -> None:
    """Score artifacts, store the reviews and print them (offline rules judge unless told otherwise).

    Example: reviewer review agents.yaml prompt.txt --role software_engineer --person ana@example.com
    """
    from reviewer.aggregate import ArtifactResult, portfolio
    from reviewer.service import Item, get_review, submit
    from reviewer.store import Store

    settings = _settings(db=db, judge=judge, model=model, api_base=api_base)
    ctx = _context(settings)
    items = [Item(data=_read_input(f, settings.max_bytes), type=type) for f in files]
    store = Store(settings.db)
    try:
        ids = submit(store, ctx, items, person=person, role=role, note=note, channel="cli")
    except (IntakeError, RubricError) as e:
        name = files[0] if len(files) == 1 else "one of the files"
        fail(f"{name}: {e}")
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


def _lookup(db: Path | None, find):
    """find(store, ctx) on the configured store; a missing record is a one-line error."""
    from reviewer.service import NotFound
    from reviewer.store import Store

    settings = _settings(db=db)
    try:
        return find(Store(settings.db), _context(settings))
    except NotFound as e:
        fail(str(e))


@app.command()
def show(review_id: int, as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """Print a stored review. Example: reviewer show 12 --json"""
    from reviewer.service import get_review

    r = _lookup(db, lambda store, ctx: get_review(store, ctx, review_id))
    if as_json:
        typer.echo(r.model_dump_json(indent=2))
    else:
        from rich.console import Console
        _print_review(r, Console())


@app.command("portfolio")
def portfolio_cmd(email: str, as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """A person's level from all their reviewed artifacts. Example: reviewer portfolio ana@example.com"""
    from reviewer.service import person_portfolio

    est = _lookup(db, lambda store, ctx: person_portfolio(store, ctx, email))
    if as_json:
        typer.echo(est.model_dump_json(indent=2))
        return
    target = f", role target {est.target}" if est.target is not None else ""
    typer.echo(f"{email}: level {est.level} (confidence {est.confidence:.2f}{target}) "
               f"from {len(est.reviews)} artifact(s), rule {est.rule}")
    for key, score in est.dimensions.items():
        typer.echo(f"  {key:16} {'-' if score is None else score}")


@app.command()
def roles() -> None:
    """List the roles and their target levels. Example: reviewer roles"""
    settings = _settings()
    try:
        table = load_roles(settings.roles)
    except RubricError as e:
        fail(str(e))
    for key, role in table.roles.items():
        typer.echo(f"{key:24} target {role.target}  {role.name}: {role.why}")


@rubric_app.command("check")
def rubric_check(file: Annotated[Optional[Path], typer.Argument(help="Rubric YAML (default: the configured one).")] = None) -> None:
    """Validate a rubric file and print its version. Example: reviewer rubric check rubrics/proficiency.yaml"""
    path = file or _settings().rubric or DEFAULT_RUBRIC
    try:
        r = load_rubric(path)
    except RubricError as e:
        fail(str(e))
    cores = sum(1 for i in r.indicators if i.core)
    typer.echo(f"{path}: ok - {r.id} version {r.version_label}, {len(r.levels)} levels, "
               f"{len(r.dimensions)} dimensions, {len(r.indicators)} indicators ({cores} core)")


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Interface to bind (default 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default 8000; 0 picks a free one).")] = None,
    db: DbOpt = None,
) -> None:
    """Start the web service and print its URL. Example: reviewer serve --port 8000"""
    import socket

    import uvicorn

    from reviewer.web.app import create_app

    settings = _settings(db=db, host=host, port=port)
    try:
        application = create_app(settings)
    except RubricError as e:
        fail(str(e))
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as e:
        fail(f"cannot listen on {settings.host}:{settings.port}: {e.strerror}")
    from reviewer.accounts import ensure_first_admin
    from reviewer.store import Store

    first = ensure_first_admin(Store(settings.db))
    if first:
        typer.echo(f"first run: created admin account {first[0]} with password {first[1]} (shown once)")
    bound_port = sock.getsockname()[1]
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    typer.echo(f"reviewer serving on http://{shown_host}:{bound_port}/  "
               f"(database {settings.db}, judge {settings.judge}; Ctrl+C stops)", err=False)
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(application, log_level="warning"))
    server.run(sockets=[sock])


# ---------------------------------------------------------------- evals
eval_app = typer.Typer(help="Run eval suites, compare reports, and regenerate robustness variants.",
                       invoke_without_command=True)
app.add_typer(eval_app, name="eval")


@eval_app.callback()
def eval_run(
    ctx: typer.Context,
    cases: Annotated[Optional[list[Path]], typer.Option("--cases", help="Folder of case YAML files (repeatable).")] = None,
    judge: JudgeOpt = None,
    model: ModelOpt = None,
    api_base: ApiBaseOpt = None,
    repeat: Annotated[int, typer.Option(min=1, help="Score every case K times; reports consistency.")] = 1,
    concurrency: Annotated[int, typer.Option(min=1, help="Cases scored in parallel.")] = 4,
    report: Annotated[Optional[Path], typer.Option(help="Write report.json, report.md and report.html here.")] = None,
    baseline: Annotated[Optional[Path], typer.Option(help="Compare with this baseline; exit 1 on regression.")] = None,
    write_baseline: Annotated[Optional[Path], typer.Option(help="Save this run as the new baseline file.")] = None,
    rubric: Annotated[Optional[Path], typer.Option(help="Rubric file to evaluate (default: the configured one).")] = None,
    gate: Annotated[Optional[Path], typer.Option(help="Gate config (default evals/gate.yaml).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score every case and print agreement with the human labels.

    Example: reviewer eval --cases evals/golden --cases evals/robustness --report eval-report --baseline evals/baseline.json
    """
    if ctx.invoked_subcommand is not None:
        return
    if not cases:
        fail("give at least one --cases folder, e.g. --cases evals/golden")
    from reviewer.evaluation import evaluate_suite

    settings = _settings(judge=judge, model=model, api_base=api_base, rubric=rubric)
    try:
        outcome = evaluate_suite(_context(settings, cache=True), cases, repeat=repeat, concurrency=concurrency,
                                 gate_path=gate, baseline_path=baseline, show_progress=not as_json)
    except ValueError as e:
        fail(str(e))
    if report:
        from reviewer.evaluation.report import write_report
        write_report(report, outcome.report, outcome.results)
    if write_baseline:
        from reviewer.evaluation.gate import baseline_of
        write_baseline.write_text(json.dumps(baseline_of(outcome.report), indent=2) + "\n")
    if as_json:
        typer.echo(json.dumps({k: v for k, v in outcome.report.items() if k != "cases"}, indent=2))
    else:
        from reviewer.evaluation.summary import print_summary
        print_summary(outcome.report, report)
    if outcome.regressions:
        typer.echo("gate: FAIL against " + str(baseline), err=True)
        for reason in outcome.regressions:
            typer.echo(f"  - {reason}", err=True)
        raise typer.Exit(1)
    if baseline:
        typer.echo(f"gate: pass against {baseline}", err=True)


@eval_app.command("compare")
def eval_compare(old: Path, new: Path) -> None:
    """List every case whose level changed between two reports or baselines.

    Example: reviewer eval compare evals/baseline.json eval-report/report.json
    """
    from reviewer.evaluation.gate import case_moves, load_report

    try:
        moves = case_moves(load_report(old), load_report(new))
    except ValueError as e:
        fail(str(e))
    for case_id, (before, after) in moves:
        typer.echo(f"{case_id}: {before} -> {after} ({after - before:+d})")
    typer.echo(f"{len(moves)} case(s) changed level")


@eval_app.command("variants")
def eval_variants(
    golden: Annotated[Path, typer.Option("--from", help="Folder of golden cases.")] = Path("evals/golden"),
    out: Annotated[Path, typer.Option(help="Folder the variants are written to (replaced).")] = Path("evals/robustness"),
) -> None:
    """Regenerate robustness variants (injection, padding, reformatting) from golden cases.

    Example: reviewer eval variants --from evals/golden --out evals/robustness
    """
    from reviewer.evaluation.cases import load_cases
    from reviewer.evaluation.robustness import generate, write

    try:
        files = generate(load_cases(golden))
    except ValueError as e:
        fail(str(e))
    write(out, files)
    typer.echo(f"{len(files)} variants written to {out}")


@app.command()
def rescore(
    rubric: Annotated[Optional[Path], typer.Option(help="The rubric to score under (default: the configured one).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List who would change level; write nothing.")] = False,
    only_flag: Annotated[Optional[str], typer.Option("--only-flag", help="Only reviews with this flag, e.g. llm_unavailable.")] = None,
    db: DbOpt = None,
    judge: JudgeOpt = None,
    model: ModelOpt = None,
    api_base: ApiBaseOpt = None,
) -> None:
    """Re-score every artifact's newest review under another rubric (or judge).

    With --dry-run nothing is written; otherwise each score is stored as a new review that
    supersedes the old one. Examples: reviewer rescore --rubric new.yaml --dry-run;
    reviewer rescore --only-flag llm_unavailable --judge llm --model openai/gpt-4o-mini
    """
    from reviewer.service import rescore_all
    from reviewer.store import Store

    settings = _settings(db=db, rubric=rubric, judge=judge, model=model, api_base=api_base)
    ctx = _context(settings)
    changes = rescore_all(Store(settings.db), ctx, write=not dry_run, actor="rescore", only_flag=only_flag)
    for c in changes:
        if c.old_level != c.new_level:
            typer.echo(f"review {c.review_id} ({c.person or 'anonymous'}, {c.artifact_type}): "
                       f"level {c.old_level} -> {c.new_level}")
    moved = sum(c.old_level != c.new_level for c in changes)
    verb = "would change" if dry_run else "changed"
    typer.echo(f"{len(changes)} review(s) re-scored under {ctx.rubric.version_label}; {moved} {verb} level"
               + ("" if dry_run else f"; {len(changes)} new review(s) stored"))


models_app = typer.Typer(help="Check the configured LLMs.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("check")
def models_check(model: ModelOpt = None, api_base: ApiBaseOpt = None) -> None:
    """Call each configured model once; report latency and which structured-output mode works.

    Example: reviewer models check --model openai/local --api-base http://127.0.0.1:8765/v1
    """
    from reviewer.llm import LLMClient, LLMError
    from reviewer.model_check import check_model

    settings = _settings(model=model, api_base=api_base)
    chains = settings.model_copy(update={"judge": "jury" if settings.jury else "llm"}).model_chains()
    models = {m.name: m for chain in chains for m in chain}
    models.update({m.name: m for m in settings.models if m.name not in models})
    if not models:
        fail("no model configured: pass --model, set REVIEWER_MODEL or list `models:` in the config file")
    client = LLMClient(settings.llm.model_copy(update={"cache": False, "repairs": 1}))
    failed = 0
    for m in models.values():
        try:
            result = check_model(client, m)
            typer.echo(f"{m.name}: ok in {result.latency_ms:.0f} ms, structured output via {result.mode}, "
                       f"{result.tokens} tokens")
        except LLMError as e:
            failed += 1
            typer.echo(f"{m.name}: FAILED - {e}")
    if failed:
        raise typer.Exit(1)


user_app = typer.Typer(help="Manage local accounts (employee, coach, admin).", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    email: str,
    role: Annotated[str, typer.Option(help="employee, coach or admin.")] = "employee",
    team: Annotated[Optional[str], typer.Option(help="The user's team.")] = None,
    password: Annotated[Optional[str], typer.Option(help="At least 10 characters; a random one is made and printed when omitted.")] = None,
    db: DbOpt = None,
) -> None:
    """Create a local account. Example: reviewer user add coach@example.com --role coach"""
    from reviewer.accounts import AccountError, create_user, new_password
    from reviewer.store import Store

    settings = _settings(db=db)
    chosen = password or new_password()
    try:
        create_user(Store(settings.db), email, role, chosen, team)
    except AccountError as e:
        fail(str(e))
    typer.echo(f"created {email.strip().lower()} ({role})" + ("" if password else f"; password: {chosen}"))


@user_app.command("token")
def user_token(email: str, label: Annotated[Optional[str], typer.Option(help="What the token is for.")] = None,
               db: DbOpt = None) -> None:
    """Issue an API token for a user (shown once). Example: reviewer user token ana@example.com --label laptop"""
    from reviewer.accounts import AccountError, issue_token
    from reviewer.store import Store

    settings = _settings(db=db)
    try:
        typer.echo(issue_token(Store(settings.db), email, label))
    except AccountError as e:
        fail(str(e))
