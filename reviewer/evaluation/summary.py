"""The eval summary table printed by `reviewer eval`."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table


def _f(value, digits=3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ci(interval) -> str:
    """A bootstrap 95% interval, as "[low, high]" ("" when there is none)."""
    return "" if not interval else f" [{interval[0]:.2f}, {interval[1]:.2f}]"


def _routing(r: dict) -> str:
    """Share flagged, and the shares of wrong and of 2+-off levels among them."""
    def share(value, n):
        return "-" if value is None else f"{value:.0%} of {n}"
    return (f"{share(r['flagged'], r['n'])}; wrong levels {share(r['wrong_flagged'], r['wrong'])}; "
            f"2+ off {share(r['off_by_2_flagged'], r['off_by_2'])}")


def _ok(flag: bool) -> str:
    return "[green]pass[/green]" if flag else "[red]FAIL[/red]"


def print_summary(report: dict, report_dir: Path | None) -> None:
    console = Console()
    if not console.is_terminal:  # logs and pipes: wide enough for the intervals, nothing cut
        console = Console(width=120)
    t = report["thresholds"]
    table = Table(title=f"eval: {report['n']} golden cases, rubric {report['meta']['rubric']}, "
                        f"judge {report['meta']['judge']} (\\[low, high]: bootstrap 95% intervals)", title_justify="left")
    for col in ("figure", "value", "acceptance"):
        table.add_column(col, no_wrap=col == "value")
    rob = report["robustness"]
    rows = [
        ("exact agreement", _f(report["exact"]) + _ci(report["ci"]["exact"]), ""),
        ("adjacent agreement", _f(report["adjacent"]), ""),
        ("QWK", _f(report["qwk"]) + _ci(report["ci"]["qwk"]), f">= {t['qwk']['min']}: {_ok(t['qwk']['pass'])}"),
        ("MAE", _f(report["mae"], 2), ""),
        ("SMD", _f(report["smd"]), f"|SMD| <= {t['smd']['max_abs']}: {_ok(t['smd']['pass'])}"),
        ("consistency", _f(report["consistency"]), ""),
        ("calibration error (ECE)", _f(report["calibration"]["ece"]), ""),
        ("routed to a coach", _routing(report["routing"]), ""),
        ("robustness", f"{rob['held']}/{rob['n']}" + (f" ({rob['share']:.0%})" if rob["n"] else ""), ""),
        ("wall time", f"{report['meta']['wall_time_s']} s", ""),
    ]
    agreement = report.get("rater_agreement")
    if agreement:
        raters, judge = agreement["raters"], agreement["judge"]
        rows.insert(0, (f"rater-rater QWK ({raters['n']} cases labelled twice)",
                        _f(raters["qwk"]) + _ci(raters["ci"]["qwk"]) + f", exact {_f(raters['exact'])}", ""))
        rows.insert(1, ("judge QWK on those cases, degradation", f"{_f(judge['qwk'])}, {agreement['degradation']:+.3f}"
                        if agreement["degradation"] is not None else _f(judge["qwk"]),
                        f">= -{agreement['max_degradation']}: {_ok(agreement['pass'])}"))
    for row in rows:
        table.add_row(*row)
    console.print(table)
    types = Table(title="by artifact type", title_justify="left")
    for col in ("type", "n", "exact", "adjacent", "QWK", "MAE", "SMD"):
        types.add_column(col, no_wrap=col in ("exact", "QWK"))
    for kind, f in report["by_type"].items():
        qwk = _f(f["qwk"]) + _ci(f["ci"]["qwk"]) + ("" if t["qwk_by_type"][kind]["pass"] else " [red]<[/red]")
        types.add_row(kind, str(f["n"]), _f(f["exact"]) + _ci(f["ci"]["exact"]), _f(f["adjacent"]), qwk,
                      _f(f["mae"], 2), _f(f["smd"]))
    console.print(types)
    if report["failures"]:
        console.print(f"{len(report['failures'])} case(s) off their label: "
                      + ", ".join(f"{x['id']} ({x['expected']}->{x['got']})" for x in report["failures"][:12])
                      + (" ..." if len(report["failures"]) > 12 else ""), markup=False)
    if rob["broken"]:
        console.print(f"{len(rob['broken'])} robustness variant(s) broke: "
                      + ", ".join(b["id"] for b in rob["broken"][:12]), markup=False)
    if report_dir:
        console.print(f"report: {report_dir / 'report.html'}", markup=False)
