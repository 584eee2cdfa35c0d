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
