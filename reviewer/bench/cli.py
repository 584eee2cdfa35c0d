"""The command line as a user meets it: process start to exit and the child's own peak RSS,
against a bare `python -c pass` on the same interpreter."""

from __future__ import annotations

import sys
from pathlib import Path

from reviewer.bench import corpus, procs
from reviewer.bench.stats import Figure, Runs

SECTION = "cli"
SAMPLE = corpus.SAMPLES / "l5-agent-config-crewai-guardrails.yaml"
TIMEOUT_S = 60


def reviewer_cmd() -> list[str]:
    """The console script installed beside this interpreter: what a user runs."""
    script = Path(sys.executable).parent / "reviewer"
    if not script.exists():
        raise procs.ChildFailed(f"no {script}: install the package into this environment (make install)")
    return [str(script)]


def _runs(make_cmd, runs: int, env: dict, cwd: Path) -> tuple[Runs, Runs]:
    """Wall seconds and peak RSS (MB) of `runs` runs after one warm-up; make_cmd(i) builds run i's
    command (so each can have its own database)."""
    walls, rss = [], []
    for i in range(runs + 1):
        cmd = make_cmd(i)
        done = procs.run(cmd, timeout=TIMEOUT_S, env=env, cwd=cwd, watch_rss=True).check(" ".join(cmd))
        if i:  # run 0 warms the page cache and .pyc files
            walls.append(done.wall_s)
            rss.append(done.peak_rss_mb)
    return Runs(walls, "s"), Runs(rss, "MB")


def start_up(work: Path, runs: int, env: dict) -> list[Figure]:
    base_t, base_m = _runs(lambda i: [sys.executable, "-c", "pass"], runs, env, work)
    rev = reviewer_cmd()
    help_t, help_m = _runs(lambda i: rev + ["--help"], runs, env, work)
    review_t, review_m = _runs(lambda i: rev + ["review", str(SAMPLE), "--db", str(work / f"cli-{i}.db")],
                               runs, env, work)
    base = "`python -c pass`"
    return [
        Figure(SECTION, "`reviewer --help` wall", help_t, base, base_t, "time / python start"),
        Figure(SECTION, "`reviewer review FILE` wall (fresh db)", review_t, base, base_t, "time / python start",
               notes={"file": SAMPLE.name}),
        Figure(SECTION, "`reviewer --help` peak RSS", help_m, base, base_m, "RSS / python RSS"),
        Figure(SECTION, "`reviewer review FILE` peak RSS", review_m, base, base_m, "RSS / python RSS"),
    ]
