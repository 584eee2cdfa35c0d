"""The coach queue page as the store grows: GET /queue latency and HTML size at 100, 1,000 and
10,000 open reviews (beside half as many reviews coaches decided, so the tab counts and the
agreement warning read real decisions), and the team map (every person's portfolio from one
query) over the same reviews, against GET /healthz on the same server (the cost of any request)."""

from __future__ import annotations

import http.client
import time
from pathlib import Path

from reviewer.bench import corpus, servers
from reviewer.bench.stats import Figure, Runs
from reviewer.config import Settings
from reviewer.pipeline import assess, load_context
from reviewer.service import store_review, store_submission
from reviewer.store import Store

SECTION = "queue page"
HEADER = "X-Forwarded-Email"
GOAL_MS = 200
BATCH = 1000
REQUEST_TIMEOUT_S = 120
# One sample per level: the queue shows a mix of levels, flags and artifact types.
SAMPLES = ["l1-prompt-oneliner.txt", "l2-prompt-hr-policy-announcement.txt", "l3-prompt-variance-commentary.txt",
           "l4-workflow-n8n-support-triage.json", "l5-agent-config-crewai-guardrails.yaml",
           "l6-eval-config-ci-eval-gate.yaml"]


class Filler:
    """Stores copies of a few assessed samples as new open reviews, and for every second one a
    review a coach decided (overridden by a level and released, or confirmed), in big transactions."""

    def __init__(self, db: Path):
        self.ctx = load_context(Settings(db=db))
        self.store = Store(db)
        self.assessments = [assess((corpus.SAMPLES / name).read_bytes(), None, "analyst", self.ctx)
                            for name in SAMPLES]
        self.target = self.ctx.roles.require("analyst").target
        self.count = 0

    def fill_to(self, n: int) -> None:
        while self.count < n:
            with self.store.transaction():
                for _ in range(min(BATCH, n - self.count)):
                    a = self.assessments[self.count % len(self.assessments)]
                    _, [artifact_id] = store_submission(
                        self.store, [a.artifact], person=f"person{self.count % 200}@example.com", role="analyst",
                        team=f"team{self.count % 7}", note=None, channel="bench", actor="bench")
                    store_review(self.store, self.ctx, artifact_id, a, self.target, "bench")
                    if self.count % 2:
                        self.decided(a)
                    self.count += 1

    def decided(self, a) -> None:
        _, [artifact_id] = store_submission(self.store, [a.artifact], person=f"person{self.count % 200}@example.com",
                                            role="analyst", team=None, note=None, channel="bench", actor="bench")
        review_id = store_review(self.store, self.ctx, artifact_id, a, self.target, "bench")
        if self.count % 4 == 1:
            self.store.add_decision(review_id, actor=servers.COACH, action="override",
                                    level=a.judgement.level % 6 + 1, reason="bench")
            self.store.add_decision(review_id, actor=servers.COACH, action="release")
        else:
            self.store.add_decision(review_id, actor=servers.COACH, action="confirm")

    def close(self) -> None:
        self.store.close()


def latencies(port: int, path: str, runs: int) -> tuple[Runs, int]:
    """Seconds per GET on one keep-alive connection (one warm-up), and the last body's size."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    times, size = [], 0
    try:
        for i in range(runs + 1):
            start = time.perf_counter()
            conn.request("GET", path, headers={HEADER: servers.COACH})
            resp = conn.getresponse()
            body = resp.read()
            elapsed = time.perf_counter() - start
            if resp.status != 200:
                raise RuntimeError(f"GET {path} answered {resp.status}: {body[:300]!r}")
            if i:
                times.append(elapsed)
            size = len(body)
    finally:
        conn.close()
    return Runs(times, "s"), size


def growth(work: Path, env: dict, sizes: list[int], runs: int) -> list[Figure]:
    db = work / "page.db"
    servers.add_coach(db, env, work)
    filler = Filler(db)
    server = servers.start_reviewer(db, env | {"REVIEWER_TRUSTED_HEADER": HEADER}, work, name="page-server")
    figures, first = [], None
    try:
        for n in sizes:
            start = time.perf_counter()
            filler.fill_to(n)
            fill_s = time.perf_counter() - start
            page, html = latencies(server.port, "/queue", runs)
            health, _ = latencies(server.port, "/healthz", runs)
            team_map, map_html = latencies(server.port, "/map", runs)
            first = first or page
            figures.append(Figure(
                SECTION, f"GET /queue at {n:,} open reviews (and {n // 2:,} decided)", page,
                "GET /healthz, same server", health,
                "queue page / healthz latency",
                notes={"html_bytes": html, "goal_ms": GOAL_MS, "median_over_goal": page.median * 1000 / GOAL_MS,
                       f"median_over_{sizes[0]}": page.median / first.median, "fill_s": round(fill_s, 1)}))
            figures.append(Figure(
                SECTION, f"GET /map (team map, every person's portfolio) at {n * 3 // 2:,} reviews", team_map,
                "GET /healthz, same server", health, "team map / healthz latency", notes={"html_bytes": map_html}))
    finally:
        server.stop()
        filler.close()
    return figures
