"""One real review and one cached eval through a real local model (SmolLM2-135M on llama.cpp).

Run by `make test-local-llm` (and .ci/run), which installs llama-cpp-python and unpacks the
model; the model is tiny, so this proves the wire path, not judgement quality.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.local_llm
GGUF = os.environ.get("REVIEWER_TEST_GGUF", "")
SAMPLE = Path(__file__).parent / "samples" / "l2-prompt-hr-policy-announcement.txt"
SCRIPT = Path(sys.executable).parent / "reviewer"


@pytest.fixture(scope="module")
def local_llm():
    if not Path(GGUF).is_file():
        pytest.fail("REVIEWER_TEST_GGUF must name the SmolLM2 GGUF file: run `make test-local-llm`")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", GGUF, "--n_ctx", "8192",
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            try:
                if httpx.get(url + "/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("llama.cpp server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def env(tmp_path):
    return {**os.environ, "REVIEWER_LLM__SAMPLES": "1", "REVIEWER_LLM__MAX_TOKENS": "500",
            "REVIEWER_LLM_CACHE": str(tmp_path / "cache.db"), "REVIEWER_CONFIG": os.devnull,
            "REVIEWER_DB_CREATE": "1"}


def test_a_real_review_through_the_local_model(local_llm, tmp_path):
    db = tmp_path / "r.db"
    r = subprocess.run([str(SCRIPT), "review", str(SAMPLE), "--judge", "llm", "--model", "openai/local",
                        "--api-base", local_llm, "--db", str(db), "--json"],
                       capture_output=True, text=True, env=env(tmp_path), timeout=600)
    assert r.returncode == 0, r.stderr
    review = json.loads(r.stdout)
    import sqlite3
    rows = sqlite3.connect(db).execute(
        "SELECT model, tokens_in, raw, error FROM judge_samples WHERE judge = 'llm'").fetchall()
    assert rows and rows[0][0] == "openai/local"
    answered = [row for row in rows if row[2]]
    # a schema-valid answer over real HTTP makes the llm the judge of record
    assert answered and review["judge"] == "llm"
    assert answered[0][1] > 500  # the rubric prefix and the fenced artifact went over the wire


def test_an_eval_against_the_local_model_is_cached_the_second_time(local_llm, tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "one.yaml").write_text(json.dumps({"id": "one", "artifact": SAMPLE.read_text(), "expected": {"level": 2}}))
    args = [str(SCRIPT), "eval", "--cases", str(cases), "--judge", "llm", "--model", "openai/local",
            "--api-base", local_llm, "--json"]
    first = json.loads(subprocess.run(args, capture_output=True, text=True, env=env(tmp_path), timeout=600).stdout)
    second = json.loads(subprocess.run(args, capture_output=True, text=True, env=env(tmp_path), timeout=600).stdout)
    assert first["meta"]["llm_calls"] >= 1 and second["meta"]["llm_calls"] == 0
    print(f"\nlocal model: cold {first['meta']['wall_time_s']} s, cached {second['meta']['wall_time_s']} s, "
          f"{first['meta']['tokens']} tokens, {first['meta']['llm_calls']} calls")
