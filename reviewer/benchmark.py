"""`make bench`: speed and memory of the offline pipeline, written to bench-results.json.

Figures, not assertions: tests never time anything.
"""

from __future__ import annotations

import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reviewer.config import Settings
from reviewer.pipeline import assess, load_context

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "samples"
RESULTS = ROOT / "bench-results.json"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def time_cli(runs: int = 5) -> dict:
    """Wall time of `reviewer review FILE` as a user runs it: process start to exit."""
    script = Path(sys.executable).parent / "reviewer"
    sample = SAMPLES / "l5-agent-config-crewai-guardrails.yaml"
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([str(script), "review", str(sample), "--db", f"{tmp}/b.db"], check=True,
                           capture_output=True)
            times.append(time.perf_counter() - start)
    return {"runs": runs, "median_ms": _ms(statistics.median(times)), "max_ms": _ms(max(times))}


def time_pipeline(ctx) -> dict:
    """In-process scoring time per artifact over the sample set, and for a 1 MB artifact."""
    files = sorted(p for p in SAMPLES.iterdir() if p.name.startswith("l"))
    datas = [p.read_bytes() for p in files]
    start = time.perf_counter()
    for data in datas:
        assess(data, None, None, ctx)
    per_artifact = (time.perf_counter() - start) / len(datas)
    big = ("You are an analyst. Use only the attached report and cite pages.\n" * 16_000)[:999_000]
    start = time.perf_counter()
    assess(big, None, None, ctx)
    return {"artifacts": len(datas), "mean_ms_per_artifact": _ms(per_artifact),
            "one_mb_prompt_ms": _ms(time.perf_counter() - start)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ctx = load_context(Settings(db=Path(tmp) / "b.db"))
        pipeline = time_pipeline(ctx)
    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "cli_review_one_artifact": time_cli(),
        "pipeline": pipeline,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
