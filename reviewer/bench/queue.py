"""The durable queue: reviews/s of `reviewer worker --drain` over N queued jobs (process start
to exit, storing every review), against scoring the same artifacts in process without storing."""

from __future__ import annotations

import itertools
import sqlite3
from contextlib import closing
from pathlib import Path

from reviewer.bench import corpus, procs
from reviewer.bench.cli import reviewer_cmd
from reviewer.bench.stats import Figure, Runs, scaled, timed_runs
from reviewer.config import Settings
from reviewer.jobs import counts, enqueue
from reviewer.pipeline import assess, load_context
from reviewer.service import Item
from reviewer.store import Store

SECTION = "queue"
TIMEOUT_S = 300


def artifacts(n: int) -> list[bytes]:
    """n artifacts, cycling through the samples."""
    return list(itertools.islice(itertools.cycle(p.read_bytes() for p in corpus.samples()), n))


def queued_db(path: Path, datas: list[bytes]) -> None:
    """A database holding one queued job per artifact, each its own submission."""
    ctx = load_context(Settings(db=path))
    store = Store(path)
    try:
        for i, data in enumerate(datas):
            enqueue(store, ctx, [Item(data=data)], person=f"person{i % 50}@example.com", role="analyst",
                    team=f"team{i % 5}", note=None, channel="bench", actor="bench")
    finally:
        store.close()


def copy_db(src: Path, dst: Path) -> None:
    """A consistent copy through SQLite's backup API (the WAL included)."""
    with closing(sqlite3.connect(src)) as a, closing(sqlite3.connect(dst)) as b:
        a.backup(b)


def drain(work: Path, env: dict, n: int, runs: int) -> Figure:
    datas = artifacts(n)
    template = work / "queue-template.db"
    queued_db(template, datas)
    walls = []
    for i in range(runs + 1):  # run 0 warms the page cache and .pyc files
        db = work / f"queue-{i}.db"
        copy_db(template, db)
        done = procs.run(reviewer_cmd() + ["worker", "--db", str(db), "--drain"], timeout=TIMEOUT_S, env=env,
                         cwd=work).check("reviewer worker --drain")
        store = Store(db)
        try:
            scored = counts(store).get("done", 0)
        finally:
            store.close()
        if scored != n:
            raise procs.ChildFailed(f"reviewer worker --drain scored {scored} of {n} jobs:\n{done.stderr}")
        if i:
            walls.append(done.wall_s)
    ctx = load_context(Settings(db=work / "queue-inproc.db"))
    inproc = timed_runs(lambda: [assess(d, None, "analyst", ctx) for d in datas], runs)
    return Figure(SECTION, f"`reviewer worker --drain`, {n} jobs (start to exit)",
                  scaled(Runs(walls, "s"), n, "reviews/s", invert=True),
                  "assess() of the same artifacts in process, nothing stored",
                  scaled(inproc, n, "reviews/s", invert=True), "drain rate / in-process rate", notes={"jobs": n})
