"""What the figures were measured on, recorded beside them."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import time

from reviewer.bench import corpus, load
from reviewer.rubric import load_rubric


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=corpus.ROOT, capture_output=True,
                             text=True, timeout=10)
    except OSError:
        return None
    return out.stdout.strip() or None


def describe() -> dict:
    patterns = [p for ind in load_rubric().indicators for p in ind.detect.compiled]
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": _commit(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "memory_gib": round(mem_kb / 1024 ** 2, 1),
        "load_average_at_start": os.getloadavg(),
        "machine": platform.machine(),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
        "wrk": load.wrk_version(),
        "regex_engine": type(patterns[0]).__module__ if patterns else None,
    }


def busy(environment: dict) -> list[str]:
    """A warning when other work loaded the machine before the run (the benchmark's own load
    shows in the load at the end): absolute figures are then noisy, and the ratios, both sides
    measured under the same conditions, are the ones to read."""
    load, cpus = environment["load_average_at_start"][0], environment["cpus_usable"]
    if load <= cpus / 2:
        return []
    return [f"the machine was busy before the run (1-minute load {load:.1f} on {cpus} CPUs): absolute figures "
            "are noisy; read the ratios"]
