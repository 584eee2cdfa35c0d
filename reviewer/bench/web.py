"""The web service under load: requests/s per route and concurrency against the bare FastAPI
app served the same way, the count of 5xx answers, and the server's memory under load."""

from __future__ import annotations

import json
from pathlib import Path

from reviewer.bench import corpus, load, servers
from reviewer.bench.procs import RssSampler, memory_mb
from reviewer.bench.stats import Figure, Runs

SECTION = "http"
ARTIFACT = corpus.SAMPLES / "l3-custom-gpt-instructions-knowledge.md"
WARMUP_S = 2


def targets(token: str) -> list[load.Target]:
    text = ARTIFACT.read_text()
    headers = ("Content-Type: application/json", f"Authorization: Bearer {token}")
    return [
        load.Target("healthz", "/healthz"),
        load.Target("reviews", "/api/reviews", "POST",
                    json.dumps({"text": text, "role": "analyst"}).encode(), headers),
        load.Target("submissions", "/api/submissions", "POST",
                    json.dumps({"artifacts": [{"text": text, "type": None}], "role": "analyst"}).encode(), headers),
    ]


def _tally(statuses: dict, result: dict) -> None:
    for key in ("responses", "4xx", "5xx"):
        statuses[key] += result[key]
    statuses["socket_errors"] += sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))


def under_load(work: Path, env: dict, *, runs: int, seconds: int, concurrencies: list[int]) -> list[Figure]:
    db = work / "http.db"
    servers.add_coach(db, env, work)
    token = servers.api_token(db, env, work)
    # No worker process: this measures what the server does per request; scoring the queue is the
    # drain figure's business, and a worker would take a core from the server on this machine.
    reviewer = servers.start_reviewer(db, env, work, workers=0)
    bare = servers.start_bare(env, work)
    figures, rss, bare_rss = [], [], []
    try:
        for target in targets(token):
            # Warm-up: imports, caches, connection pools.
            for server in (reviewer, bare):
                load.run(server.base, target, connections=max(concurrencies), seconds=WARMUP_S, work=work)
            for c in concurrencies:
                ours, theirs, statuses = [], [], {"responses": 0, "4xx": 0, "5xx": 0, "socket_errors": 0}
                for _ in range(runs):  # alternate, so drift on the machine hits both alike
                    with RssSampler(reviewer.proc.pid) as sampler:
                        r = load.run(reviewer.base, target, connections=c, seconds=seconds, work=work)
                    rss.append(sampler.max_mb)
                    ours.append(r["rps"])
                    _tally(statuses, r)
                    with RssSampler(bare.proc.pid) as sampler:
                        theirs.append(load.run(bare.base, target, connections=c, seconds=seconds, work=work)["rps"])
                    bare_rss.append(sampler.max_mb)
                figures.append(Figure(SECTION, f"{target.method} {target.path} c={c}", Runs(ours, "req/s", True),
                                      "bare FastAPI app (ceiling), same route", Runs(theirs, "req/s", True),
                                      "reviewer / bare req/s", notes=statuses))
        figures.append(Figure(SECTION, "server RSS under load", Runs(rss, "MB"),
                              "bare app RSS under the same load", Runs(bare_rss, "MB"), "reviewer / bare RSS",
                              notes={"reviewer_end": memory_mb(reviewer.proc.pid),
                                     "bare_end": memory_mb(bare.proc.pid)}))
    finally:
        reviewer.stop()
        bare.stop()
    return figures
