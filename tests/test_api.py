"""The JSON API over real HTTP: uvicorn on a loopback port, a real SQLite file."""

from pathlib import Path

from reviewer.store import Store

SAMPLES = Path(__file__).parent / "samples"
CREW = """researcher:
  role: Senior market researcher
  goal: Find and verify competitor pricing
  tools: [SerperDevTool]
  max_iter: 5
  human_input: true
"""


def test_healthz(live_api):
    r = live_api.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["judge"] == "rules"


def test_post_then_get_a_review(live_api, settings):
    r = live_api.post("/api/reviews", json={"text": CREW, "role": "software_engineer", "person": "ana@example.com"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["level"] == 5 and body["artifact_type"] == "agent_config" and body["type_detected"]
    assert body["rubric"]["hash"] and body["judge"] == "rules"
    assert body["evidence"] and all(e["quote"] in CREW for e in body["evidence"])
    assert body["feedback"]["target"] == 5
    again = live_api.get(f"/api/reviews/{body['id']}")
    assert again.status_code == 200 and again.json() == body
    store = Store(settings.db)
    assert store.audit_entries("review", body["id"])[0]["action"] == "score"


def test_secrets_are_redacted_before_storage(live_api, settings):
    key = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6"
    r = live_api.post("/api/reviews", json={"text": f"Use the key {key} to call the API and summarise the report.\n"
                                                    "Mail results to jane.doe@example.com"})
    assert r.status_code == 201
    assert r.json()["redactions"].get("openai_key") == 1 and r.json()["redactions"].get("email") == 1
    text = Store(settings.db).db.execute("SELECT text FROM artifacts").fetchone()[0]
    assert key not in text and "jane.doe@example.com" not in text and "[REDACTED:openai_key]" in text


def test_upload_a_file(live_api):
    data = (SAMPLES / "l1-prompt-oneliner.txt").read_bytes()
    r = live_api.post("/api/reviews/upload", files={"file": ("p.txt", data)}, data={"role": "analyst"})
    assert r.status_code == 201 and r.json()["level"] == 1 and r.json()["feedback"]["target"] == 4


def test_portfolio_combines_a_persons_artifacts(live_api):
    for text in (CREW, "write me an email about the offsite"):
        assert live_api.post("/api/reviews", json={"text": text, "person": "bo@example.com",
                                                   "role": "software_engineer"}).status_code == 201
    est = live_api.get("/api/people/bo@example.com/portfolio").json()
    assert est["level"] == 5 and est["target"] == 5 and len(est["reviews"]) == 2
    assert live_api.get("/api/people/nobody@example.com/portfolio").status_code == 404


def test_bad_input_gets_a_clear_4xx_never_500(live_api):
    cases = [
        (dict(json={"text": ""}), 422, "empty"),
        (dict(json={"text": "   \n\t "}), 422, "empty"),
        (dict(json={"text": "x" * 1_000_001}), 422, "limit"),
        (dict(json={"text": "PNG\x00\x00\x00\x01binary\x00"}), 422, "binary"),
        (dict(content=b'{"text": "unterminated', headers={"content-type": "application/json"}), 400, "not valid JSON"),
        (dict(json={"txt": "wrong field"}), 422, "text: Field required"),
        (dict(json={"text": "hello there model", "role": "wizard"}), 422, "unknown role"),
        (dict(json={"text": "hello there model", "type": "poem"}), 422, "unknown artifact type"),
        (dict(json=["not", "an", "object"]), 422, ""),
        (dict(content=b"x" * (7 * 1024 * 1024), headers={"content-type": "application/json"}), 413, "limit"),
    ]
    for kwargs, status, words in cases:
        r = live_api.post("/api/reviews", **kwargs)
        assert r.status_code == status, (kwargs.get("json", "")[:40] if isinstance(kwargs.get("json"), str) else status, r.text)
        assert words in r.json()["detail"]
        assert "Traceback" not in r.text
    r = live_api.post("/api/reviews/upload", files={"file": ("x.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")})
    assert r.status_code == 422 and "binary" in r.json()["detail"]
    assert live_api.get("/api/reviews/999999").status_code == 404
    assert live_api.get("/api/reviews/abc").status_code == 404  # not an id: no such route


def test_a_refused_submission_stores_nothing(live_api, settings):
    live_api.post("/api/reviews", json={"text": "", "person": "cy@example.com"})
    store = Store(settings.db)
    assert store.db["submissions"].count == 0 and store.db["people"].count == 0


def test_submissions_are_accepted_at_once_and_scored_in_the_background(live_api):
    import time

    r = live_api.post("/api/submissions", json={"artifacts": [{"text": CREW}, {"text": "write me a haiku"}],
                                                "role": "software_engineer", "person": "dee@example.com"})
    assert r.status_code == 202, r.text
    sub = r.json()
    assert len(sub["artifacts"]) == 2 and {a["state"] for a in sub["artifacts"]} <= {"queued", "scoring", "done"}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = live_api.get(f"/api/submissions/{sub['id']}").json()
        if all(a["state"] == "done" for a in status["artifacts"]):
            break
        time.sleep(0.1)
    levels = [live_api.get(f"/api/reviews/{a['review_id']}").json()["level"] for a in status["artifacts"]]
    assert levels == [5, 1]
    assert live_api.get("/api/submissions/9999").status_code == 404
    bad = live_api.post("/api/submissions", json={"artifacts": [{"text": CREW}, {"text": ""}]})
    assert bad.status_code == 422 and "empty" in bad.json()["detail"]
    assert live_api.post("/api/submissions", json={"artifacts": []}).status_code == 422


def test_the_api_needs_a_token_and_employees_see_only_their_released_reviews(live_api, settings):
    import httpx

    from reviewer.accounts import create_user, issue_token
    from reviewer.pipeline import load_context
    from reviewer.service import decide

    store = Store(settings.db)
    for email in ("emp@example.com", "other@example.com"):
        create_user(store, email, "employee", "long enough pw")
    emp = {"Authorization": f"Bearer {issue_token(store, 'emp@example.com')}"}
    other = {"Authorization": f"Bearer {issue_token(store, 'other@example.com')}"}
    base = str(live_api.base_url)
    assert httpx.get(base + "/api/reviews/1").status_code == 401
    assert "HTTPBearer" in httpx.get(base + "/openapi.json").json()["components"]["securitySchemes"]
    assert httpx.get(base + "/api/reviews/1", headers={"Authorization": "Bearer rvw_wrong"}).status_code == 401
    assert httpx.post(base + "/api/reviews", json={"text": CREW}, headers=emp).status_code == 403
    r = httpx.post(base + "/api/submissions", json={"artifacts": [{"text": CREW}], "person": "someone@example.com"},
                   headers=emp)
    assert r.status_code == 202
    sub = r.json()["id"]
    assert httpx.get(f"{base}/api/submissions/{sub}", headers=other).status_code == 404
    import time
    deadline = time.monotonic() + 30
    while (state := httpx.get(f"{base}/api/submissions/{sub}", headers=emp).json()["artifacts"][0])["state"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    review_id = state["review_id"]
    assert httpx.get(f"{base}/api/reviews/{review_id}", headers=emp).status_code == 404  # not released yet
    decide(store, load_context(settings), review_id, actor="coach@example.com", action="release")
    mine = httpx.get(f"{base}/api/reviews/{review_id}", headers=emp)
    assert mine.status_code == 200 and mine.json()["person"] == "emp@example.com"  # submitted as themselves
    assert httpx.get(f"{base}/api/reviews/{review_id}", headers=other).status_code == 404
    assert live_api.get(f"/api/reviews/{review_id}").status_code == 200  # coaches see everything


def test_an_idempotency_key_makes_retries_safe(live_api, settings):
    body = {"artifacts": [{"text": CREW}], "role": "software_engineer"}
    first = live_api.post("/api/submissions", json=body, headers={"Idempotency-Key": "abc-1"})
    again = live_api.post("/api/submissions", json=body, headers={"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
    other = live_api.post("/api/submissions", json={**body, "role": "analyst"}, headers={"Idempotency-Key": "abc-1"})
    assert other.status_code == 409 and "different request" in other.json()["detail"]
    review = live_api.post("/api/reviews", json={"text": CREW}, headers={"Idempotency-Key": "r-1"})
    assert live_api.post("/api/reviews", json={"text": CREW}, headers={"Idempotency-Key": "r-1"}).json() == review.json()
    store = Store(settings.db)
    assert store.db["submissions"].count == 2 and store.db["reviews"].count >= 1
    assert live_api.post("/api/submissions", json=body, headers={"Idempotency-Key": "x" * 201}).status_code == 422


def test_a_database_locked_past_the_wait_answers_503_with_retry_after(settings):
    import httpx

    from reviewer.accounts import create_user, issue_token
    from reviewer.web.app import create_app
    from tests.conftest import LiveServer

    store = Store(settings.db)
    create_user(store, "coach@example.com", "coach", "coach-password")
    headers = {"Authorization": f"Bearer {issue_token(store, 'coach@example.com')}"}
    with LiveServer(create_app(settings.model_copy(update={"busy_timeout": 0.3}))) as server:
        holder = Store(settings.db)
        holder.conn.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            r = httpx.post(server.url + "/api/submissions", json={"artifacts": [{"text": CREW}]}, headers=headers)
        finally:
            holder.conn.execute("ROLLBACK")
        assert r.status_code == 503 and r.headers["retry-after"] == "2" and "nothing was stored" in r.json()["detail"]
        assert store.db["submissions"].count == 0
        ok = httpx.post(server.url + "/api/submissions", json={"artifacts": [{"text": CREW}]}, headers=headers)
        assert ok.status_code == 202
