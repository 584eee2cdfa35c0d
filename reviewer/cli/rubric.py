"""`reviewer rubric`: check a rubric, fit its level decision, choose the LLM judge's anchors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from reviewer.cli import common
from reviewer.rubric import DEFAULT_RUBRIC, RubricError, load_rubric

app = typer.Typer(help="Check the rubric, fit its level decision, choose the LLM judge's anchors.", no_args_is_help=True)


@app.command("check")
def rubric_check(file: Annotated[Optional[Path], typer.Argument(help="Rubric YAML (default: the configured one).")] = None) -> None:
    """Validate a rubric file and print its version. Example: reviewer rubric check rubrics/proficiency.yaml"""
    path = file or common.settings().rubric or DEFAULT_RUBRIC
    try:
        r = load_rubric(path)
    except RubricError as e:
        common.fail(str(e))
    cores = sum(1 for i in r.indicators if i.core)
    typer.echo(f"{path}: ok - {r.id} version {r.version_label}, {len(r.levels)} levels, "
               f"{len(r.dimensions)} dimensions, {len(r.indicators)} indicators ({cores} core)")


@app.command("fit")
def rubric_fit(
    cases: Annotated[list[Path], typer.Option("--cases", help="Labelled cases to fit on (repeatable); "
                                              "the first folder's cross-validated predictions choose the "
                                              "penalty, calibration and flag threshold.")],
    rubric: Annotated[Optional[Path], typer.Option(help="Rubric YAML (default: the configured one).")] = None,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Folds of the cross-validation.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the folds.")] = 2026,
    wrong_share: Annotated[float, typer.Option(min=0, max=1, help="Share of wrong levels the flag threshold must send to a coach (cross-validated).")] = 0.70,
    far_share: Annotated[float, typer.Option(min=0, max=1, help="Share of levels two or more off it must send.")] = 0.90,
    flag_policy: Annotated[Optional[Path], typer.Option(help="Flag policy whose low_confidence threshold is set (default: the configured one).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the cross-validated figures; write nothing.")] = False,
) -> None:
    """Fit the level decision (indicator weights and level thresholds) to labelled cases, print
    its k-fold cross-validated figures, write it beside the rubric (<rubric>.fit.json, part of
    the rubric's version) and set the flag policy's low_confidence threshold from it.

    Example: reviewer rubric fit --cases evals/real/dev --cases evals/golden
    """
    from reviewer.evaluation.cases import CaseError
    from reviewer.evaluation.fit import examples, fit
    from reviewer.evaluation.split import load_unfrozen
    from reviewer.flags import DEFAULT_POLICY, set_low_confidence
    from reviewer.rubric import fit_path

    s = common.settings()
    path = rubric or s.rubric or DEFAULT_RUBRIC
    policy = flag_policy or s.flag_policy or DEFAULT_POLICY
    try:
        r = load_rubric(path)
        items = []
        for folder in cases:
            items += examples(load_unfrozen(folder), folder.name, r)
    except (RubricError, CaseError) as e:
        common.fail(str(e))
    try:
        model, below, cv = fit(items, k=folds, seed=seed, wrong_share=wrong_share, far_share=far_share,
                               tuned_group=cases[0].name)
    except ValueError as e:
        common.fail(str(e))
    typer.echo(f"penalty {model.fitted['penalty']}, temperature {model.temperature}, "
               f"thresholds {', '.join(f'{t:.2f}' for t in model.thresholds)}; {folds}-fold cross-validated:")
    for group, f in cv.items():
        low, high = f["ci"]["qwk"] or (float("nan"), float("nan"))
        rt = f["routing"]
        typer.echo(f"  {group}: n {f['n']}, QWK {f['qwk']:.3f} [{low:.2f}, {high:.2f}], "
                   f"exact {f['exact']:.0%}, adjacent {f['adjacent']:.0%}, SMD {f['smd']:+.2f}, ECE {f['ece']:.2f}; "
                   f"flagged {rt['flagged']:.0%}, wrong flagged {rt['wrong_flagged'] or 0:.0%}, "
                   f"2+ off flagged {rt['off_by_2_flagged'] or 0:.0%}")
        typer.echo("    by type: " + ", ".join(
            f"{k} {v['qwk']:.2f} (n {v['n']})" if v["qwk"] is not None else f"{k} - (n {v['n']})"
            for k, v in f["by_type"].items()))
    if dry_run:
        typer.echo("dry run: nothing written")
        return
    out = fit_path(Path(path))
    out.write_text(model.model_dump_json(indent=2) + "\n")
    set_low_confidence(Path(policy), below)
    typer.echo(f"wrote {out}; {policy}: low_confidence below {below}; rubric now {load_rubric(path).version_label}")


@app.command("anchors")
def rubric_anchors(
    cases: Annotated[Path, typer.Option("--cases", help="Labelled dev cases to draw anchors from.")] = Path("evals/real/dev"),
    per_type: Annotated[int, typer.Option(min=1, max=6, help="Anchors per artifact type, at levels spread low to high.")] = 3,
    out: Annotated[Optional[Path], typer.Option(help="Anchors file (default: anchors.yaml beside the judge prompt).")] = None,
) -> None:
    """Choose the LLM judge's anchors: per artifact type, labelled dev cases at different levels
    (excerpt, settled level, rationale), written beside the judge prompt and part of its version.

    Example: reviewer rubric anchors --cases evals/real/dev --per-type 3
    """
    import yaml

    from reviewer.evaluation.anchors import choose
    from reviewer.evaluation.cases import CaseError
    from reviewer.evaluation.split import load_unfrozen
    from reviewer.prompts import ANCHORS, JUDGE_PROMPT, load_judge_prompt

    target = out or JUDGE_PROMPT.with_name(ANCHORS)
    try:
        chosen = choose(load_unfrozen(cases), per_type)
    except CaseError as e:
        common.fail(str(e))
    header = ("# The LLM judge's anchors, written by `reviewer rubric anchors` from labelled dev cases\n"
              "# (never the frozen test split). Part of the judge prompt's version hash.\n")
    class Literal(yaml.SafeDumper):  # multi-line excerpts stay readable as block text
        pass
    Literal.add_representer(str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style="|" if "\n" in v else None))
    target.write_text(header + yaml.dump({"anchors": {k: [a.model_dump() for a in v] for k, v in chosen.items()}},
                                         Dumper=Literal, sort_keys=False, allow_unicode=True, width=100))
    for kind, anchors in chosen.items():
        typer.echo(f"{kind}: " + ", ".join(f"{a.id} (level {a.level})" for a in anchors))
    if target.parent == JUDGE_PROMPT.parent:
        typer.echo(f"wrote {target}; judge prompt now {load_judge_prompt().version_label}")
    else:
        typer.echo(f"wrote {target}")
