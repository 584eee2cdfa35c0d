"""`reviewer rubric`: check a rubric file."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from reviewer.cli import common
from pathlib import Path

from reviewer.rubric import DEFAULT_RUBRIC, RubricError, load_rubric

app = typer.Typer(help="Check and inspect the rubric.", no_args_is_help=True)


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


def _frozen_test_ids(folder: Path) -> set[str]:
    """Ids of the frozen test split recorded in a split.json at or above `folder`."""
    import json

    for parent in [folder.resolve(), *folder.resolve().parents]:
        record = parent / "split.json"
        if record.exists():
            return {i for b in json.loads(record.read_text()).get("batches", []) for i in b["test"]}
    return set()


@app.command("fit")
def rubric_fit(
    cases: Annotated[list[Path], typer.Option("--cases", help="Labelled cases to fit on (repeatable); "
                                              "the first folder's cross-validated predictions choose the "
                                              "penalty, calibration and flag threshold.")],
    rubric: Annotated[Optional[Path], typer.Option(help="Rubric YAML (default: the configured one).")] = None,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Folds of the cross-validation.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the folds.")] = 2026,
    wrong_share: Annotated[float, typer.Option(min=0, max=1, help="Share of wrong levels the flag threshold must send to a coach (cross-validated).")] = 0.75,
    far_share: Annotated[float, typer.Option(min=0, max=1, help="Share of levels two or more off it must send.")] = 0.95,
    flag_policy: Annotated[Optional[Path], typer.Option(help="Flag policy whose low_confidence threshold is set (default: the configured one).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the cross-validated figures; write nothing.")] = False,
) -> None:
    """Fit the level decision (indicator weights and level thresholds) to labelled cases, print
    its k-fold cross-validated figures, write it beside the rubric (<rubric>.fit.json, part of
    the rubric's version) and set the flag policy's low_confidence threshold from it.

    Example: reviewer rubric fit --cases evals/real/dev --cases evals/golden
    """
    from reviewer.evaluation.cases import CaseError, load_cases
    from reviewer.evaluation.fit import examples, fit
    from reviewer.flags import DEFAULT_POLICY, set_low_confidence
    from reviewer.rubric import fit_path

    s = common.settings()
    path = rubric or s.rubric or DEFAULT_RUBRIC
    policy = flag_policy or s.flag_policy or DEFAULT_POLICY
    try:
        r = load_rubric(path)
        items = []
        for folder in cases:
            loaded = load_cases(folder)
            frozen = sorted({c.id for c in loaded} & _frozen_test_ids(folder))
            if frozen:
                common.fail(f"{folder} holds cases of the frozen test split ({', '.join(frozen[:3])}): never fit on them")
            items += examples(loaded, folder.name, r)
    except (RubricError, CaseError) as e:
        common.fail(str(e))
    model, below, cv = fit(items, k=folds, seed=seed, wrong_share=wrong_share, far_share=far_share,
                           tuned_group=cases[0].name)
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
