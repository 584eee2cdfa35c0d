"""The results as a Markdown table (readable in a terminal, pasteable into the README) and as
the JSON document written to benchmarks/results.json."""

from __future__ import annotations

from reviewer.bench.stats import Figure, Runs


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:,.1f} ms" if value < 1 else f"{value:,.2f} s"
    if unit in ("req/s", "reviews/s", "artifacts/s", "texts/s"):
        return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.1f} {unit}"
    return f"{value:,.1f} {unit}"


def _pair(runs: Runs | None) -> str:
    if runs is None:
        return "-"
    return f"{fmt(runs.best, runs.unit)} / {fmt(runs.median, runs.unit)}"


def table(figures: list[Figure]) -> str:
    lines = ["| figure | best / median | baseline or ceiling | its best / median | ratio of medians |",
             "|---|---|---|---|---|"]
    for f in figures:
        ratio = f"{f.ratio_name}: {f.ratio:.2f}" if f.ratio is not None else "-"
        lines.append(f"| {f.section}: {f.name} | {_pair(f.value)} | {f.baseline_name} | {_pair(f.baseline)} "
                     f"| {ratio} |")
    return "\n".join(lines)


def warnings(figures: list[Figure]) -> list[str]:
    """What a reader must not miss: server errors, socket errors, runs cut by a deadline."""
    out = []
    for f in figures:
        n = f.notes
        if n.get("5xx"):
            out.append(f"{f.name}: {n['5xx']} responses >= 500 (must be 0)")
        if n.get("socket_errors"):
            out.append(f"{f.name}: {n['socket_errors']} socket errors or timeouts")
        if n.get("4xx"):
            out.append(f"{f.name}: {n['4xx']} responses 4xx (the benchmark's requests are valid)")
        if n.get("timed_out"):
            out.append(f"{f.name}: {n['timed_out']}")
    return out


def server_errors(figures: list[Figure]) -> str | None:
    """'responses >= 500: N of M', over every measured HTTP run (None when none ran)."""
    loaded = [f for f in figures if "responses" in f.notes]
    if not loaded:
        return None
    return (f"responses >= 500 under load: {sum(f.notes['5xx'] for f in loaded):,} of "
            f"{sum(f.notes['responses'] for f in loaded):,} (must be 0)")


def document(environment: dict, plan: dict, figures: list[Figure], errors: dict[str, str], wall_s: float,
             extra_warnings: list[str]) -> dict:
    return {"environment": environment, "plan": plan, "wall_time_s": round(wall_s, 1),
            "server_errors": server_errors(figures),
            "warnings": warnings(figures) + extra_warnings, "errors": errors,
            "figures": [f.as_dict() for f in figures]}
