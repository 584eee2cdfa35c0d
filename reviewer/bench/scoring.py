"""In-process scoring: the rules judge's throughput over the samples, and scoring time by size
and shape of text. Both against one pass of the rubric's own regexes over the same text: the
least any judge built on those patterns must spend."""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from pathlib import Path

from reviewer.bench import corpus
from reviewer.bench.stats import Figure, Runs, scaled, timed_runs
from reviewer.config import Settings
from reviewer.pipeline import Context, assess, load_context

SECTION = "scoring"


def rubric_patterns(ctx: Context) -> list:
    """Every compiled detection and injection pattern the rubric exposes (whatever the engine)."""
    return [p for ind in ctx.rubric.indicators for p in ind.detect.compiled] + list(ctx.rubric.injection.compiled)


def regex_pass(patterns: list, texts: list[str]) -> None:
    for text in texts:
        for p in patterns:
            deque(p.finditer(text), maxlen=0)


def throughput(db: Path, runs: int) -> Figure:
    """Artifacts/s of assess() over the l* samples against texts/s of one regex pass over them."""
    ctx = load_context(Settings(db=db))
    datas = [p.read_bytes() for p in corpus.samples()]
    texts = [d.decode("utf-8-sig") for d in datas]
    patterns = rubric_patterns(ctx)
    judge = timed_runs(lambda: [assess(d, None, None, ctx) for d in datas], runs)
    floor = timed_runs(lambda: regex_pass(patterns, texts), runs)
    n = len(datas)
    return Figure(SECTION, f"rules judge over the {n} samples", scaled(judge, n, "artifacts/s", invert=True),
                  f"one pass of the rubric's {len(patterns)} regexes over the same texts",
                  scaled(floor, n, "texts/s", invert=True), "judge rate / regex-pass rate",
                  notes={"artifacts": n, "bytes": sum(map(len, datas))})


def _score_in_child(kind: str, size: int, runs: int, db: str, conn) -> None:
    """Child process: warm up on 1 KB of the same kind, then send each timed run as it ends;
    then the regex-pass times over the same text."""
    ctx = load_context(Settings(db=Path(db)))
    make = corpus.KINDS[kind]
    assess(make(1000), None, None, ctx)
    text = make(size)
    for _ in range(runs):
        start = time.perf_counter()
        assess(text, None, None, ctx)
        conn.send(("assess", time.perf_counter() - start))
    patterns = rubric_patterns(ctx)
    regex_pass(patterns, [make(1000)])
    for _ in range(runs):
        start = time.perf_counter()
        regex_pass(patterns, [text])
        conn.send(("regex", time.perf_counter() - start))
    conn.send(("done", 0.0))


def score_in_child(kind: str, size: int, runs: int, db: Path, deadline_s: float) -> dict[str, list[float]]:
    """Times of scoring one text in a separate process, which is killed at the deadline so a
    pathological input cannot stall the benchmark; whatever runs finished are kept."""
    mp = multiprocessing.get_context("spawn")
    ours, theirs = mp.Pipe(duplex=False)
    child = mp.Process(target=_score_in_child, args=(kind, size, runs, str(db), theirs), daemon=True)
    child.start()
    theirs.close()
    got: dict[str, list[float]] = {"assess": [], "regex": []}
    end = time.monotonic() + deadline_s
    try:
        while (left := end - time.monotonic()) > 0 and ours.poll(left):
            what, seconds = ours.recv()
            if what == "done":
                break
            got[what].append(seconds)
    except EOFError:
        pass  # the child died; what it sent stands
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
    return got


def _size_label(size: int) -> str:
    return f"{size // 1_000_000} MB" if size >= 1_000_000 else f"{size // 1000} KB"


def by_size(db: Path, sizes: list[int], runs: int, deadline_s: float) -> list[Figure]:
    """Per size: realistic text against the regex floor; each adversarial shape against the
    realistic text of the same size."""
    figures = []
    for size in sizes:
        label = _size_label(size)
        real = score_in_child("realistic", size, runs, db, deadline_s)
        real_runs = Runs(real["assess"] or [deadline_s], "s")
        figures.append(Figure(SECTION, f"score {label} realistic text", real_runs,
                              "one regex pass over the same text", Runs(real["regex"], "s") if real["regex"] else None,
                              "judge time / regex-pass time", notes=_incomplete(real, runs, deadline_s)))
        for kind in ("whitespace", "minified_json"):
            got = score_in_child(kind, size, runs, db, deadline_s)
            figures.append(Figure(SECTION, f"score {label} {kind.replace('_', ' ')}",
                                  Runs(got["assess"] or [deadline_s], "s"), f"{label} realistic text", real_runs,
                                  f"{kind} time / realistic time", notes=_incomplete(got, runs, deadline_s)))
    return figures


def _incomplete(got: dict[str, list[float]], runs: int, deadline_s: float) -> dict:
    if len(got["assess"]) >= runs:
        return {}
    return {"timed_out": f"{len(got['assess'])} of {runs} runs finished within {deadline_s:.0f} s"
                         + ("" if got["assess"] else "; the deadline is shown as a lower bound")}
