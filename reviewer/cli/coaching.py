"""Commands about coaches' decisions: how often automation agrees with them, and their
decisions exported as eval cases (ground truth from an organisation's own coaches)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from reviewer.cli import common

SinceOpt = Annotated[Optional[str], typer.Option("--since", help="Only reviews settled on or after this date "
                                                                 "(YYYY-MM-DD, UTC).")]


def _since(value: str | None) -> str | None:
    from reviewer.agreement import since_date

    try:
        return None if value is None else since_date(value)
    except ValueError as e:
        common.fail(f"--{e}")


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _kappa(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _print_agreement(report: dict, alarm: str | None) -> None:
    overall = report["overall"]
    if not overall["n"]:
        typer.echo("No coach has confirmed, overridden or released a review yet (under these filters): "
                   "nothing to compare.")
        return
    if alarm:
        typer.echo("WARNING: " + alarm)
    typer.echo(f"{overall['n']} review(s) settled by a coach: exact {_share(overall['exact'])}, "
               f"adjacent {_share(overall['adjacent'])}, QWK {_kappa(overall['qwk'])}")
    for title, key in (("per rubric version", "by_rubric"), ("per artifact type", "by_type"),
                       ("per judge", "by_judge"), ("per ISO week", "by_week")):
        typer.echo(title + ":")
        for name, f in report[key].items():
            typer.echo(f"  {name}: n {f['n']}, exact {_share(f['exact'])}, adjacent {_share(f['adjacent'])}, "
                       f"QWK {_kappa(f['qwk'])}")
    typer.echo(f"overrides ({len(report['overrides'])}), newest first:")
    for o in report["overrides"]:
        typer.echo(f"  review {o['review_id']} by {o['actor']} {o['decided_at'][:10]}: "
                   f"{o['automated_level']} -> {o['coach_level']}: {o['reason'] or ''}")


def agreement(
    since: SinceOpt = None,
    rubric_version: Annotated[Optional[str], typer.Option("--rubric-version", help="Only reviews under this "
                                                          "rubric version: 1.0, or a full label 1.0+<hash>.")] = None,
    as_json: common.JsonOpt = False,
    db: common.DbOpt = None,
) -> None:
    """How often automated levels agree with the levels coaches settled (confirm, override, release).

    Exact and adjacent agreement and QWK over the settled reviews (each once), overall, per
    rubric version, artifact type, judge and ISO week of the settling decision, and every
    override with its reason.

    Example: reviewer agreement --since 2026-01-01 --rubric-version 1.0
    """
    from reviewer.agreement import agreement as compute
    from reviewer.agreement import decision_rows, recent_alarm
    from reviewer.store import Store

    s = common.settings(db=db)
    policy = common.context(s).policy.agreement
    store = Store.open(s)
    try:
        report = compute(decision_rows(store, _since(since), rubric_version))
        warning = recent_alarm(store, policy)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps({**report, "filters": {"since": since, "rubric_version": rubric_version},
                               "alarm": warning}, indent=2))
    else:
        _print_agreement(report, warning)


def export_cases(
    folder: Annotated[Path, typer.Argument(help="Folder the case files go to (new, empty, or an earlier export "
                                                "from the same database).")],
    since: SinceOpt = None,
    only: Annotated[Optional[str], typer.Option("--only", help="`overridden`: only reviews a coach overrode.")] = None,
    db: common.DbOpt = None,
) -> None:
    """Write coaches' decisions as eval cases: the newest decided review of each artifact.

    The coach's level is expected, the automated level recorded, for `reviewer eval --cases` and
    `reviewer rubric fit --cases`.

    Example: reviewer export-cases coach-cases --since 2026-01-01 --only overridden
    """
    from reviewer.evaluation.cases import CaseError
    from reviewer.evaluation.export import decided_reviews, write_export
    from reviewer.store import Store

    if only not in (None, "overridden"):
        common.fail(f"--only {only!r}: the one choice is `overridden`")
    s = common.settings(db=db)
    store = Store.open(s)
    try:
        rows = decided_reviews(store, _since(since), only_overridden=only == "overridden")
    finally:
        store.close()
    try:
        written = write_export(folder, rows, Path(s.db))
    except CaseError as e:
        common.fail(str(e))
    overridden = sum(1 for r in rows if r["override_level"] is not None)
    typer.echo(f"{len(written)} case(s) written to {folder} ({overridden} overridden by a coach)")


def register(app: typer.Typer) -> None:
    app.command("agreement")(agreement)
    app.command("export-cases")(export_cases)
