"""Every write path under concurrent clients against a real server, a real worker process and
one SQLite file: no response >= 500, every accepted submission stored once, every job scored once."""

import re
import threading
import uuid

import httpx

from reviewer.accounts import create_user, issue_token
from reviewer.store import Store
from tests.conftest import LiveServer, wait_until

CLIENTS, REQUESTS = 8, 50
PROMPTS = ["You are a recruiter. Context: we hire nurses.\nWrite the ad in under 200 words.\nDo not mention salary.",
           "summarise this report for the board, in three bullet points",
           "researcher:\n  role: Analyst\n  goal: Find and verify prices\n  tools: [SerperDevTool]\n  max_iter: 4\n"]


def signed_in(url: str, email: str, password: str) -> tuple[httpx.Client, str]:
    """A browser-like client with a session, and the session's CSRF token."""
    client = httpx.Client(base_url=url, timeout=60, follow_redirects=False)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"email": email, "password": password, "csrf": csrf}).status_code == 303
    # signing in starts a fresh session, with a token of its own
    return client, re.search(r'name="csrf" value="([^"]+)"', client.get("/submit").text).group(1)


def test_concurrent_clients_on_every_write_path(settings):
    from reviewer.web.app import create_app

    store = Store(settings.db)
    create_user(store, "coach@example.com", "coach", "coach-password")
    create_user(store, "ana@example.com", "employee", "ana-password-1")
    tokens = {"coach": issue_token(store, "coach@example.com"), "ana": issue_token(store, "ana@example.com")}
    statuses: list[int] = []
    accepted: dict[str, int] = {}  # idempotency key -> submission id
    lock = threading.Lock()

    def api_client(i: int):
        who = "coach" if i % 2 else "ana"
        with httpx.Client(base_url=server.url, timeout=60,
                          headers={"Authorization": f"Bearer {tokens[who]}"}) as client:
            for n in range(REQUESTS):
                text = f"{PROMPTS[n % 3]}\n(client {i}, request {n})"
                if who == "coach" and n % 4 == 1:
                    r = client.post("/api/reviews", json={"text": text, "role": "analyst"})
                elif who == "coach" and n % 4 == 3:
                    r = client.post("/api/reviews/upload", files={"file": ("a.txt", text.encode())},
                                    data={"role": "analyst"}, headers={"Idempotency-Key": f"u{i}-{n}"})
                else:
                    key = f"{i}-{n}"
                    for _ in range(2 if n % 10 == 0 else 1):  # every tenth sent twice, as a retrying client would
                        r = client.post("/api/submissions", headers={"Idempotency-Key": key},
                                        json={"artifacts": [{"text": text}], "role": "analyst"})
                        with lock:
                            assert accepted.setdefault(key, r.json()["id"]) == r.json()["id"], "a retry stored twice"
                with lock:
                    statuses.append(r.status_code)

    def form_client():
        client, csrf = signed_in(server.url, "ana@example.com", "ana-password-1")
        try:
            for n in range(REQUESTS // 2):
                form_key = uuid.uuid4().hex
                for _ in range(2 if n % 5 == 0 else 1):  # a double click
                    r = client.post("/submit", data={"csrf": csrf, "form_key": form_key, "role": "analyst",
                                                     "text": f"{PROMPTS[0]}\n(form {n})", "text_type": "detect"})
                    with lock:
                        statuses.append(r.status_code)
        finally:
            client.close()

    def coach_client():
        client, csrf = signed_in(server.url, "coach@example.com", "coach-password")
        try:
            for n in range(REQUESTS // 2):
                ids = [r[0] for r in Store(settings.db).conn.execute(  # not the coach's own work: others decide on it
                    """SELECT r.id FROM reviews r JOIN artifacts a ON a.id = r.artifact_id
                       JOIN submissions s ON s.id = a.submission_id LEFT JOIN people p ON p.id = s.person_id
                       WHERE p.email IS NOT 'coach@example.com' ORDER BY random() LIMIT 1""")]
                if ids:
                    r = client.post(f"/reviews/{ids[0]}/decide", data={"csrf": csrf, "action": "confirm"})
                    with lock:
                        statuses.append(r.status_code)
        finally:
            client.close()

    def admin_client(i: int):
        client, csrf = signed_in(server.url, "admin@example.com", "admin-password")
        try:
            for n in range(10):  # two admins add the same ten people: each added once, the other told
                r = client.post("/admin/users", data={"csrf": csrf, "email": f"new{n}@example.com", "role": "employee"})
                with lock:
                    statuses.append(r.status_code)
        finally:
            client.close()

    create_user(store, "admin@example.com", "admin", "admin-password")
    with LiveServer(create_app(settings.model_copy(update={"workers": 1}))) as server:
        threads = [threading.Thread(target=api_client, args=(i,)) for i in range(CLIENTS)]
        threads += [threading.Thread(target=form_client), threading.Thread(target=coach_client)]
        threads += [threading.Thread(target=admin_client, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert wait_until(lambda: store.conn.execute(
            "SELECT count(*) FROM jobs WHERE state IN ('queued', 'scoring')").fetchone()[0] == 0, timeout=180)

    assert len(statuses) >= CLIENTS * REQUESTS and not [s for s in statuses if s >= 500]
    assert set(statuses) <= {200, 201, 202, 303, 422}, sorted(set(statuses))
    assert statuses.count(422) == 10  # the second admin to add each person
    assert store.conn.execute("SELECT count(*) FROM users WHERE email LIKE 'new%'").fetchone()[0] == 10
    # every accepted submission stored once, every job scored once, into exactly one review
    api_subs = {r[0] for r in store.conn.execute(
        "SELECT DISTINCT a.submission_id FROM jobs j JOIN artifacts a ON a.id = j.artifact_id "
        "JOIN submissions s ON s.id = a.submission_id WHERE s.channel = 'api'")}
    assert api_subs == set(accepted.values())
    web_subs = store.conn.execute("SELECT count(*) FROM submissions WHERE channel = 'web'").fetchone()[0]
    assert web_subs == REQUESTS // 2  # double clicks stored once
    assert store.conn.execute("SELECT count(*) FROM jobs WHERE state != 'done'").fetchone()[0] == 0
    assert store.conn.execute("""SELECT count(*) FROM jobs j WHERE
                                 (SELECT count(*) FROM reviews r WHERE r.artifact_id = j.artifact_id) != 1
                                 OR j.review_id IS NULL""").fetchone()[0] == 0
    assert store.conn.execute("SELECT count(*) FROM decisions").fetchone()[0] > 0


def test_the_service_keeps_answering_while_hostile_megabytes_are_accepted_and_scored(settings):
    """Before: a 2 KB file of blank lines stalled the process answering requests for minutes.
    Now intake is linear and scoring runs in a worker process: probes keep answering."""
    from reviewer.web.app import create_app

    store = Store(settings.db)
    create_user(store, "coach@example.com", "coach", "coach-password")
    headers = {"Authorization": f"Bearer {issue_token(store, 'coach@example.com')}"}
    hostile = ["x\n" + "\n" * 900_000 + "y", "0 " * 450_000, "sk-" * 300_000, "a-" * 450_000]
    with LiveServer(create_app(settings.model_copy(update={"workers": 1}))) as server:
        results: list[int] = []

        def submit():
            with httpx.Client(base_url=server.url, timeout=120, headers=headers) as client:
                for text in hostile:
                    results.append(client.post("/api/submissions", json={"artifacts": [{"text": text}]}).status_code)
                results.append(client.post("/api/reviews", json={"text": hostile[1]}).status_code)

        sender = threading.Thread(target=submit)
        sender.start()
        probes = []
        with httpx.Client(base_url=server.url, timeout=5) as client:
            while sender.is_alive() or len(probes) < 5:
                probes.append(client.get("/healthz").status_code)  # a 5 s timeout raises: the test fails
        sender.join()
        assert results == [202, 202, 202, 202, 201] and set(probes) == {200}
        assert wait_until(lambda: store.conn.execute(
            "SELECT count(*) FROM jobs WHERE state = 'done'").fetchone()[0] == len(hostile), timeout=120)
