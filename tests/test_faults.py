"""Faults with real processes: `reviewer serve` and `reviewer worker` killed with SIGKILL while
jobs are scoring against the loopback LLM server, and the LLM server down for a minute.
Nothing accepted is lost and every job is scored exactly once."""

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from reviewer.accounts import create_user, issue_token
from reviewer.config import settings_env
from reviewer.store import Store
from tests.conftest import LiveServer, free_port, wait_until
from tests.fake_llm import FakeLLM, create_app

OUTAGE = float(os.environ.get("REVIEWER_TEST_OUTAGE", 60))  # seconds the LLM server stays down
JOBS = 50


def llm_settings(settings, api_base: str, **update):
    from reviewer.llm import LLMOptions

    return settings.model_copy(update={
        "judge": "llm", "model": "openai/fake", "api_base": api_base, "job_lease": 3.0, "job_retry_max_wait": 3.0,
        "llm": LLMOptions(samples=1, attempts=2, backoff_initial=0.1, backoff_max=0.5, timeout=10, concurrency=4),
        **update})


class Proc:
    """A reviewer command in its own process, with the test's settings."""

    def __init__(self, settings, *args):
        self.p = subprocess.Popen([sys.executable, "-m", "reviewer", *args], env=settings_env(settings),
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def url(self) -> str:
        line = self.p.stdout.readline()
        assert "serving on" in line, line
        return line.split("serving on ")[1].split()[0].rstrip("/")

    def kill9(self) -> None:
        self.p.send_signal(signal.SIGKILL)
        self.p.wait(timeout=10)

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.p.kill()


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def job_states(store) -> dict[str, int]:
    return dict(store.conn.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())


def test_killing_the_server_and_a_worker_mid_scoring_loses_nothing_and_doubles_nothing(settings):
    fake = FakeLLM(delay=0.3)
    store = Store(settings.db)
    create_user(store, "coach@example.com", "coach", "coach-password")
    headers = {"Authorization": f"Bearer {issue_token(store, 'coach@example.com')}"}
    port = free_port()
    procs: list[Proc] = []
    with LiveServer(create_app(fake)) as llm:
        s = llm_settings(settings, llm.url + "/v1", port=port, workers=1)
        try:
            server = Proc(s, "serve")  # with one worker process of its own
            url = server.url()
            procs += [server, Proc(s, "worker"), Proc(s, "worker")]
            accepted: dict[str, int] = {}

            def submit_all():
                """A client that retries with the same Idempotency-Key until it gets an answer."""
                for n in range(JOBS):
                    key = f"job-{n}"
                    while key not in accepted:
                        try:
                            r = httpx.post(url + "/api/submissions", headers={**headers, "Idempotency-Key": key},
                                           json={"artifacts": [{"text": f"Summarise ticket {n} for the support lead, "
                                                                         "citing the customer's words."}]},
                                           timeout=10)
                            if r.status_code == 202:
                                accepted[key] = r.json()["id"]
                        except httpx.TransportError:
                            time.sleep(0.2)  # the server is down: try again
                    time.sleep(0.02)

            client = threading.Thread(target=submit_all)
            client.start()
            assert wait_until(lambda: job_states(store).get("scoring", 0) >= 2 and job_states(store).get("done", 0) >= 3,
                              timeout=60)
            own_worker = children_of(server.p.pid)
            server.kill9()  # the server and ...
            procs[1].kill9()  # ... a worker holding a job, both mid-scoring
            assert own_worker and wait_until(lambda: not any(os.path.exists(f"/proc/{p}/stat") and
                                                             open(f"/proc/{p}/stat").read().split()[2] != "Z"
                                                             for p in own_worker), timeout=15)
            restarted = Proc(s, "serve")
            procs.append(restarted)
            url = restarted.url()
            client.join(timeout=120)
            assert len(accepted) == JOBS
            assert wait_until(lambda: job_states(store) == {"done": JOBS}, timeout=120), job_states(store)
        finally:
            for p in procs:
                p.stop()
    assert store.conn.execute("SELECT count(*) FROM submissions").fetchone()[0] == JOBS  # retries stored once
    per_artifact = store.conn.execute("SELECT count(*) FROM reviews GROUP BY artifact_id").fetchall()
    assert len(per_artifact) == JOBS and {n for (n,) in per_artifact} == {1}  # every job scored exactly once
    assert {j for (j,) in store.conn.execute("SELECT DISTINCT judge FROM reviews")} == {"llm"}
    assert store.conn.execute("SELECT count(*) FROM jobs WHERE review_id IS NULL").fetchone()[0] == 0


@pytest.mark.skipif(OUTAGE <= 0, reason="REVIEWER_TEST_OUTAGE=0")
def test_the_llm_server_down_for_a_minute(settings):
    """Submissions are still accepted; reviews wait and retry; once the model is back they are
    judged by it. Past llm_wait, the rules judge scores them, flagged llm_unavailable."""
    from reviewer.web.app import create_app as reviewer_app

    store = Store(settings.db)
    create_user(store, "coach@example.com", "coach", "coach-password")
    headers = {"Authorization": f"Bearer {issue_token(store, 'coach@example.com')}"}
    llm_port = free_port()
    fake = FakeLLM(delay=0.1)
    s = llm_settings(settings, f"http://127.0.0.1:{llm_port}/v1", workers=1, llm_wait=OUTAGE * 5)
    with LiveServer(reviewer_app(s)) as server:
        started = time.monotonic()
        for n in range(3):
            r = httpx.post(server.url + "/api/submissions", headers=headers,
                           json={"artifacts": [{"text": f"Draft reply {n} to the customer; keep it under 120 words."}]})
            assert r.status_code == 202  # accepted while no model answers
        assert wait_until(lambda: store.conn.execute(
            "SELECT count(*) FROM jobs WHERE error_kind = 'llm_wait'").fetchone()[0] == 3, timeout=30)
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - started)))
        assert store.db["reviews"].count == 0 and job_states(store).get("done", 0) == 0  # waiting, not settling
        with LiveServer(create_app(fake), port=llm_port):
            assert wait_until(lambda: job_states(store) == {"done": 3}, timeout=60), job_states(store)
    assert {j for (j,) in store.conn.execute("SELECT judge FROM reviews")} == {"llm"}
    assert store.conn.execute("SELECT count(*) FROM flags WHERE kind = 'llm_unavailable'").fetchone()[0] == 0

    # Past llm_wait the review is not held back any longer: the rules judge scores it, flagged.
    with LiveServer(reviewer_app(s.model_copy(update={"llm_wait": 2.0}))) as server:
        r = httpx.post(server.url + "/api/submissions", headers=headers,
                       json={"artifacts": [{"text": "Summarise the incident report for the on-call engineer."}]})
        assert r.status_code == 202
        assert wait_until(lambda: job_states(store) == {"done": 4}, timeout=60), job_states(store)
    [(judge, review_id)] = store.conn.execute("SELECT judge, id FROM reviews ORDER BY id DESC LIMIT 1").fetchall()
    assert judge == "rules"
    assert store.conn.execute("SELECT kind FROM flags WHERE review_id = ? AND kind = 'llm_unavailable'",
                              [review_id]).fetchone()
