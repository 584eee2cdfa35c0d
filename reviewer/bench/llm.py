"""The LLM path: wall time of `reviewer eval` over the golden suite with an LLM judge answering
after a fixed delay, against the ideal ceil(calls / C) x delay, where C calls are in flight."""

from __future__ import annotations

import json
import math
from pathlib import Path

from reviewer.bench import corpus, procs, servers
from reviewer.bench.cli import reviewer_cmd
from reviewer.bench.stats import Figure, Runs

SECTION = "llm"
GOLDEN = corpus.ROOT / "evals" / "golden"
SAMPLES_K = 3
CONCURRENCY = 16
DELAY_S = 0.3
TIMEOUT_S = 300


def eval_once(work: Path, env: dict, base: str, i: int) -> dict:
    """One eval run on a fresh response cache; returns its report's meta."""
    run_env = env | {"REVIEWER_LLM__SAMPLES": str(SAMPLES_K), "REVIEWER_LLM_CACHE": str(work / f"llm-cache-{i}.db")}
    out = work / f"eval-{i}.json"
    cmd = reviewer_cmd() + ["eval", "--cases", str(GOLDEN), "--judge", "llm", "--model", "openai/fake",
                            "--api-base", f"{base}/v1", "--concurrency", str(CONCURRENCY), "--json"]
    with open(out, "wb") as f:
        procs.run(cmd, timeout=TIMEOUT_S, env=run_env, cwd=work, stdout=f).check("reviewer eval")
    text = out.read_text()
    return json.loads(text[text.index("{"):])["meta"]


def eval_wall(work: Path, env: dict, runs: int) -> Figure:
    fake = servers.start_fake_llm(DELAY_S, env, work)
    try:
        metas = [eval_once(work, env, fake.base, i) for i in range(runs + 1)][1:]  # the first warms up
    finally:
        fake.stop()
    walls = [m["wall_time_s"] for m in metas]
    ideals = [math.ceil(m["llm_calls"] / CONCURRENCY) * DELAY_S for m in metas]
    return Figure(SECTION, f"`reviewer eval` golden, K={SAMPLES_K}, C={CONCURRENCY}, {DELAY_S * 1000:.0f} ms/call",
                  Runs(walls, "s"), "ideal ceil(calls / C) x delay", Runs(ideals, "s"), "wall / ideal (target <= 1.10)",
                  notes={"cases": metas[0].get("cases"), "llm_calls": [m["llm_calls"] for m in metas]})
