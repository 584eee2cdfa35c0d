"""`reviewer eval`: run eval suites, compare reports, regenerate robustness variants."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from reviewer.cli import common
from pathlib import Path

app = typer.Typer(help="Run eval suites, compare reports, and regenerate robustness variants.",
                 invoke_without_command=True)


@app.callback()
def eval_run(
    ctx: typer.Context,
    cases: Annotated[Optional[list[Path]], typer.Option("--cases", help="Folder of case YAML files (repeatable).")] = None,
    judge: common.JudgeOpt = None,
    model: common.ModelOpt = None,
    api_base: common.ApiBaseOpt = None,
    repeat: Annotated[int, typer.Option(min=1, help="Score every case K times; reports consistency.")] = 1,
    concurrency: Annotated[int, typer.Option(min=1, help="LLM calls in flight (the client's limit); 1.5x as many cases are scored at once.")] = 4,
    report: Annotated[Optional[Path], typer.Option(help="Write report.json, report.md and report.html here.")] = None,
    baseline: Annotated[Optional[Path], typer.Option(help="Compare with this baseline; exit 1 on regression.")] = None,
    write_baseline: Annotated[Optional[Path], typer.Option(help="Save this run as the new baseline file.")] = None,
    rubric: Annotated[Optional[Path], typer.Option(help="Rubric file to evaluate (default: the configured one).")] = None,
    gate: Annotated[Optional[Path], typer.Option(help="Gate config (default evals/gate.yaml).")] = None,
    as_json: common.JsonOpt = False,
) -> None:
    """Score every case and print agreement with the human labels.

    Example: reviewer eval --cases evals/golden --cases evals/robustness --report eval-report --baseline evals/baseline.json
    """
    if ctx.invoked_subcommand is not None:
        return
    if not cases:
        common.fail("give at least one --cases folder, e.g. --cases evals/golden")
    from reviewer.evaluation import evaluate_suite

    settings = common.settings(judge=judge, model=model, api_base=api_base, rubric=rubric)
    try:
        outcome = evaluate_suite(common.context(settings, cache=True), cases, repeat=repeat, concurrency=concurrency,
                                 gate_path=gate, baseline_path=baseline, show_progress=not as_json)
    except ValueError as e:
        common.fail(str(e))
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


@app.command("compare")
def eval_compare(old: Path, new: Path) -> None:
    """List every case whose level changed between two reports or baselines.

    Example: reviewer eval compare evals/baseline.json eval-report/report.json
    """
    from reviewer.evaluation.gate import case_moves, load_report

    try:
        moves = case_moves(load_report(old), load_report(new))
    except ValueError as e:
        common.fail(str(e))
    for case_id, (before, after) in moves:
        typer.echo(f"{case_id}: {before} -> {after} ({after - before:+d})")
    typer.echo(f"{len(moves)} case(s) changed level")


@app.command("variants")
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
        common.fail(str(e))
    write(out, files)
    typer.echo(f"{len(files)} variants written to {out}")


@app.command("split")
def eval_split(
    pool: Annotated[Path, typer.Option(help="Folder of labelled cases not yet split (emptied).")] = Path("evals/real/pool"),
    dev: Annotated[Path, typer.Option(help="Where the dev part goes (tuning, fitting).")] = Path("evals/real/dev"),
    test: Annotated[Path, typer.Option(help="Where the frozen test part goes.")] = Path("evals/real/test"),
    test_share: Annotated[float, typer.Option(help="Share of each type-and-level stratum for test.")] = 1 / 3,
    seed: Annotated[int, typer.Option(help="Seed of the shuffle: the same pool and seed give the same split.")] = 2026,
) -> None:
    """Split the labelled cases in the pool into dev and test, stratified by artifact type and
    level, and record the batch in split.json. A case is split once: cases already in dev or
    test never move, so cases added later are split as a batch of their own.

    Example: reviewer eval split --pool evals/real/pool --seed 2026
    """
    from reviewer.evaluation.cases import CaseError
    from reviewer.evaluation.split import split_pool

    try:
        record = split_pool(pool, dev, test, test_share=test_share, seed=seed)
    except (CaseError, ValueError) as e:
        common.fail(str(e))
    typer.echo(f"{record['counts']['dev']} case(s) to {dev}, {record['counts']['test']} to {test} "
               f"(seed {seed}); record in {test.parent / 'split.json'}")
