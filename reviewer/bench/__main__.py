"""Run the benchmark: python -m reviewer.bench [--quick] [--only SECTION,...] [--out FILE].

Each section runs in its own directory of one temporary workspace, with its own databases and
servers; every child process is stopped on the way out, also after Ctrl+C or SIGTERM. A
section that fails is reported and the others still run (exit code 1).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from reviewer.bench import cli, corpus, env, llm, page, procs, queue, report, scoring, web
from reviewer.bench.stats import Figure

RESULTS = corpus.ROOT / "benchmarks" / "results.json"


@dataclass(frozen=True)
class Plan:
    """How much to measure. Full: what `make bench` records (under 10 minutes on 2 cores)."""

    runs: int = 3  # timed runs per figure, after a warm-up
    cheap_runs: int = 5  # for figures that take a second or less per run
    http_seconds: int = 3  # per wrk run (wrk takes whole seconds)
    concurrencies: tuple[int, ...] = (1, 8, 32)
    drain_jobs: int = 200
    page_sizes: tuple[int, ...] = (100, 1_000, 10_000)
    score_sizes: tuple[int, ...] = (1_000, 100_000, 1_000_000)
    score_deadline_s: float = 45.0  # per text: warm-up and all runs, then the child is killed


QUICK = Plan(cheap_runs=3, http_seconds=1, concurrencies=(8,), drain_jobs=40, page_sizes=(100, 1_000),
             score_sizes=(1_000, 10_000), score_deadline_s=20.0)

SECTIONS = {
    "scoring": lambda w, e, p: [scoring.throughput(w / "throughput.db", p.cheap_runs)]
    + scoring.by_size(w / "sizes.db", list(p.score_sizes), p.runs, p.score_deadline_s),
    "cli": lambda w, e, p: cli.start_up(w, p.cheap_runs, e),
    "http": lambda w, e, p: web.under_load(w, e, runs=p.runs, seconds=p.http_seconds,
                                           concurrencies=list(p.concurrencies)),
    "queue": lambda w, e, p: [queue.drain(w, e, p.drain_jobs, p.runs)],
    "page": lambda w, e, p: page.growth(w, e, list(p.page_sizes), p.cheap_runs),
    "llm": lambda w, e, p: [llm.eval_wall(w, e, p.runs)],
}


def clean_environment() -> dict:
    """This process's environment without REVIEWER_* settings, so a developer's configuration
    cannot change what is measured; children get the same, and may create the databases the
    benchmarks name (they are not the default path)."""
    for key in [k for k in os.environ if k.startswith("REVIEWER_")]:
        del os.environ[key]
    os.environ["REVIEWER_DB_CREATE"] = "1"
    return dict(os.environ)


def _stop_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


def run(plan: Plan, sections: list[str]) -> tuple[list[Figure], dict[str, str]]:
    figures, errors = [], {}
    child_env = clean_environment()
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="reviewer-bench-") as tmp:
        os.chdir(tmp)  # no stray ./reviewer.yaml is read, in this process or its children
        try:
            for name in sections:
                work = Path(tmp) / name
                work.mkdir()
                started = time.perf_counter()
                print(f"[bench] {name} ...", file=sys.stderr, flush=True)
                try:
                    figures += SECTIONS[name](work, child_env, plan)
                except Exception as e:  # one broken section must not hide the others' figures
                    errors[name] = f"{type(e).__name__}: {e}"
                    traceback.print_exc()
                finally:
                    procs.stop_all()
                print(f"[bench] {name} done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        finally:
            procs.stop_all()
            os.chdir(here)
    return figures, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reviewer.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes, runs and seconds (development)")
    parser.add_argument("--only", help=f"comma-separated sections of {', '.join(SECTIONS)}")
    parser.add_argument("--out", type=Path, help=f"results file (default {RESULTS.relative_to(corpus.ROOT)} "
                                                 "for a full run of every section; quick runs write none)")
    args = parser.parse_args(argv)
    sections = args.only.split(",") if args.only else list(SECTIONS)
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    plan = QUICK if args.quick else Plan()
    out = args.out or (RESULTS if not args.quick and not args.only else None)

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    started = time.perf_counter()
    environment = env.describe()
    try:
        figures, errors = run(plan, sections)
    except KeyboardInterrupt:
        print("[bench] interrupted; every child process is stopped and nothing was written", file=sys.stderr)
        return 130
    wall = time.perf_counter() - started
    environment["load_average_at_end"] = os.getloadavg()

    print(report.table(figures))
    if report.server_errors(figures):
        print(report.server_errors(figures))
    busy = env.busy(environment)
    for line in report.warnings(figures) + busy:
        print(f"warning: {line}")
    for name, message in errors.items():
        print(f"error: section {name} failed: {message.splitlines()[0]}")
    print(f"wall time {wall:.0f} s ({'quick' if args.quick else 'full'} plan)")
    if out:
        doc = report.document(environment, asdict(plan) | {"quick": args.quick, "sections": sections}, figures,
                              errors, wall, busy)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {out}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
