"""Hostile users against a real server: session and token lifecycle, CSRF on the API, sign-in
throttling, body limits on the wire, ids out of range, trusted-header values, security headers,
separation of duties, free-text fields; and the account pages in Chromium."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from typer.testing import CliRunner

from reviewer import throttle
from reviewer.accounts import create_user, issue_token
from reviewer.cli import app as cli
from reviewer.store import Store
from reviewer.web.app import create_app
from tests.conftest import LiveServer
from tests.test_web import browser, sign_in  # noqa: F401 (fixture)

ARTIFACT = "You are a support assistant. Answer from the FAQ below; say when it has no answer.\n"


@pytest.fixture
def server(settings):
    store = Store(settings.db)
    create_user(store, "ana@example.com", "employee", "ana-password-1")
    create_user(store, "cy@example.com", "coach", "cy-password-333")
    create_user(store, "root@example.com", "admin", "root-password-4444")
    store.close()
    with LiveServer(create_app(settings)) as live:
        yield live


def signed_in(url: str, email: str, password: str) -> httpx.Client:
    """A client holding a browser session, as a browser would after the sign-in form."""
    client = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
    csrf = form_csrf(client, "/login")
    r = client.post("/login", data={"email": email, "password": password, "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/my", r.text
    return client


def form_csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path).text
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_the_session_cookie_is_an_opaque_key_and_ends_at_sign_out(server):
    ana = signed_in(server.url, "ana@example.com", "ana-password-1")
    cookie = ana.cookies["reviewer_session"]
    assert "ana" not in cookie and "{" not in cookie
    with pytest.raises(ValueError):
        json.loads(base64.urlsafe_b64decode(cookie + "=="))
    header = next(v for k, v in ana.get("/login").request.headers.items() if k == "cookie")
    assert "reviewer_session" in header
    saved = dict(ana.cookies)
    assert ana.get("/my").status_code == 200
    ana.post("/logout", data={"csrf": form_csrf(ana, "/my")})
    replay = httpx.Client(base_url=server.url, cookies=saved, follow_redirects=False)
    assert replay.get("/my").status_code == 303  # to /login
    r = replay.post("/api/submissions", json={"artifacts": [{"text": ARTIFACT}]},
                    headers={"Origin": server.url})
    assert r.status_code == 401


def session_cookie_header(url: str, headers: dict | None = None) -> str:
    """The Set-Cookie of a sign-in (cookies passed by hand: a client keeps Secure ones off plain HTTP)."""
    page = httpx.get(url + "/login", headers=headers)
    visitor = page.headers["set-cookie"].split(";", 1)[0]
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = httpx.post(url + "/login", headers={**(headers or {}), "Cookie": visitor},
                   data={"email": "ana@example.com", "password": "ana-password-1", "csrf": csrf})
    return next(v for v in r.headers.get_list("set-cookie") if v.startswith("reviewer_session="))


def test_cookies_are_httponly_strict_and_secure_over_https(server, settings):
    plain = session_cookie_header(server.url).lower()
    assert "httponly" in plain and "samesite=strict" in plain and "secure" not in plain
    # a TLS-terminating proxy on loopback that says so (X-Forwarded-Proto, trusted by uvicorn)
    assert "secure" in session_cookie_header(server.url, {"X-Forwarded-Proto": "https"}).lower()
    with LiveServer(create_app(settings.model_copy(update={"https_only": True}))) as live:
        assert "secure" in session_cookie_header(live.url).lower()


def test_a_password_change_and_disabling_end_every_session_and_token(server, settings):
    first = signed_in(server.url, "ana@example.com", "ana-password-1")
    second = signed_in(server.url, "ana@example.com", "ana-password-1")
    r = first.post("/account/password", data={"current": "ana-password-1", "new": "ana-password-new",
                                               "confirm": "ana-password-new", "csrf": form_csrf(first, "/account")})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert first.get("/my").status_code == 303 and second.get("/my").status_code == 303
    assert signed_in(server.url, "ana@example.com", "ana-password-new").get("/my").status_code == 200

    store = Store(settings.db)
    token = issue_token(store, "ana@example.com")
    api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/submissions/999").status_code == 404
    third = signed_in(server.url, "ana@example.com", "ana-password-new")
    result = CliRunner().invoke(cli, ["user", "disable", "ana@example.com", "--db", str(settings.db)])
    assert result.exit_code == 0, result.output
    assert third.get("/my").status_code == 303
    assert api.get("/api/submissions/999").status_code == 401
    client = httpx.Client(base_url=server.url)
    r = client.post("/login", data={"email": "ana@example.com", "password": "ana-password-new",
                                    "csrf": form_csrf(client, "/login")})
    assert r.status_code == 401  # a disabled user cannot sign in
    actions = [e["action"] for e in store.audit_entries("user", store.user("ana@example.com")["id"])]
    assert {"password_set", "user_disable", "token_issue"} <= set(actions)


def test_api_tokens_expire_list_and_revoke(server, settings):
    store = Store(settings.db)
    live, old = issue_token(store, "cy@example.com", "laptop", days=30), issue_token(store, "cy@example.com", "ci")
    with store.transaction():  # the second one's time is up
        store.conn.execute("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000+00:00' WHERE label = 'ci'")
    call = lambda token: httpx.get(server.url + "/api/submissions/999", headers={"Authorization": f"Bearer {token}"})  # noqa: E731
    assert call(live).status_code == 404 and call(old).status_code == 401
    runner = CliRunner()
    listing = runner.invoke(cli, ["user", "tokens", "cy@example.com", "--json", "--db", str(settings.db)])
    tokens = json.loads(listing.output)
    assert [t["label"] for t in tokens] == ["laptop", "ci"] and live not in listing.output
    assert tokens[0]["expires_at"][:4] >= "2026"
    revoked = runner.invoke(cli, ["user", "token", "--revoke", str(tokens[0]["id"]), "--db", str(settings.db)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert call(live).status_code == 401
    again = runner.invoke(cli, ["user", "token", "--revoke", str(tokens[0]["id"]), "--db", str(settings.db)])
    assert again.exit_code == 2 and "already" in again.output
    plain = runner.invoke(cli, ["user", "tokens", "cy@example.com", "--db", str(settings.db)])
    assert "revoked" in plain.output and "expired" in plain.output


def test_cookie_calls_to_the_api_need_the_csrf_token_or_this_origin(server):
    cy = signed_in(server.url, "cy@example.com", "cy-password-333")
    upload = {"file": ("prompt.txt", ARTIFACT.encode(), "text/plain")}
    evil = cy.post("/api/reviews/upload", files=upload, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "X-CSRF-Token" in evil.json()["detail"]
    assert cy.post("/api/reviews/upload", files=upload).status_code == 403  # no Origin, no token
    assert cy.post("/api/reviews/upload", files=upload, headers={"Origin": server.url}).status_code == 201
    token = form_csrf(cy, "/my")
    assert cy.post("/api/reviews/upload", files=upload, headers={"X-CSRF-Token": token}).status_code == 201
    assert cy.get("/api/roles", headers={"Origin": "https://evil.example"}).status_code == 200  # reads are safe
    bearer = issue_token(Store(server.server.config.app.state.context.settings.db), "cy@example.com")
    r = httpx.post(server.url + "/api/reviews/upload", files=upload,
                   headers={"Authorization": f"Bearer {bearer}", "Origin": "https://evil.example"})
    assert r.status_code == 201  # a token is not sent by browsers on their own: no CSRF check


def test_sign_in_backs_off_per_account_and_per_address(server, settings):
    client = httpx.Client(base_url=server.url)
    csrf = form_csrf(client, "/login")
    answers = [client.post("/login", data={"email": "cy@example.com", "password": f"guess-{i}", "csrf": csrf})
               for i in range(throttle.FREE + 1)]
    assert [r.status_code for r in answers] == [401] * throttle.FREE + [429]
    assert "Too many failed sign-ins" in answers[-1].text and int(answers[-1].headers["Retry-After"]) >= 1
    # the right password does not get through while the wait lasts
    r = client.post("/login", data={"email": "cy@example.com", "password": "cy-password-333", "csrf": csrf})
    assert r.status_code == 429
    # the address is throttled for other accounts too
    r = client.post("/login", data={"email": "ana@example.com", "password": "ana-password-1", "csrf": csrf})
    assert r.status_code == 429
    store = Store(settings.db)
    actions = [e["action"] for e in store.query("SELECT action FROM audit_log")]
    assert actions.count("login_failed") == throttle.FREE and actions.count("login_throttled") == 3


def test_concurrent_guessers_are_all_counted(server, settings):
    def guess(i):
        client = httpx.Client(base_url=server.url)
        csrf = form_csrf(client, "/login")
        return client.post("/login", data={"email": "root@example.com", "password": f"wrong-{i}", "csrf": csrf}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(guess, range(24)))
    assert codes.count(401) >= throttle.FREE and codes.count(429) >= 24 - 2 * throttle.FREE
    store = Store(settings.db)
    recorded = store.login_failures_since("account:root@example.com", 0)
    assert len(recorded) == codes.count(401)


def test_back_off_doubles_up_to_its_ceiling():
    at = 10_000.0
    assert throttle.wait_for([at - 1] * (throttle.FREE - 1), at) == 0
    waits = [throttle.wait_for([at] * n, at) for n in range(throttle.FREE, throttle.FREE + 12)]
    assert waits[:3] == [throttle.BASE, 2 * throttle.BASE, 4 * throttle.BASE] and waits[-1] == throttle.MAX_WAIT
    assert throttle.wait_for([at - throttle.WINDOW - 1] * 50, at) == 0  # old failures are forgotten


def raw_chunked(url: str, path: str, headers: dict[str, str], chunks: int, size: int) -> tuple[int, int]:
    """Send a chunked body until the server answers; (status, bytes sent)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock.sendall(head.encode())
    sent, chunk = 0, f"{size:x}\r\n".encode() + b"a" * size + b"\r\n"
    sock.settimeout(0.01)
    answer = b""
    try:
        for _ in range(chunks):
            sock.sendall(chunk)
            sent += size
            try:
                answer += sock.recv(65536)
            except (TimeoutError, BlockingIOError):
                continue
            if answer:
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    sock.settimeout(30)
    while b"\r\n" not in answer:
        answer += sock.recv(65536)
    sock.close()
    return int(answer.split(b" ", 2)[1]), sent


def test_chunked_bodies_are_cut_off_at_the_limit(server, settings):
    token = issue_token(Store(settings.db), "cy@example.com")
    limit = settings.max_bytes * 6 + 64 * 1024
    status, sent = raw_chunked(server.url, "/api/submissions", {"Authorization": f"Bearer {token}",
                                                                "Content-Type": "application/json"},
                               chunks=200, size=256 * 1024)  # 50 MB offered
    assert status == 413
    assert sent < 50 * 1024 * 1024 and sent < limit + 16 * 256 * 1024


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/reviews/99999999999999999999999"), ("GET", "/api/submissions/9223372036854775808"),
    ("GET", "/reviews/99999999999999999999999"), ("POST", "/reviews/99999999999999999999999/decide"),
    ("GET", "/api/reviews/0"), ("GET", "/api/reviews/-5"),
])
def test_ids_out_of_range_are_not_found(server, method, path):
    cy = signed_in(server.url, "cy@example.com", "cy-password-333")
    data = {"csrf": form_csrf(cy, "/my"), "action": "confirm"} if method == "POST" else None
    r = cy.request(method, path, data=data)
    assert r.status_code == 404, r.text


def test_trusted_header_values_must_be_email_addresses(settings):
    with LiveServer(create_app(settings.model_copy(update={"trusted_header": "X-Forwarded-Email"}))) as live:
        for value in ("<script>alert(1)</script>", "a@b@c", "x" * 300 + "@example.com"):
            r = httpx.get(live.url + "/my", headers={"X-Forwarded-Email": value})
            assert r.status_code == 400 and "not an email address" in r.text
        assert httpx.get(live.url + "/my", headers={"X-Forwarded-Email": "dee@example.com"}).status_code == 200


def test_every_response_carries_the_security_headers(server):
    root = signed_in(server.url, "root@example.com", "root-password-4444")
    for path in ("/login", "/my", "/submit", "/queue", "/admin/users", "/account", "/api/roles", "/healthz",
                 "/nowhere"):
        r = root.get(path)
        h = r.headers
        assert "frame-ancestors 'none'" in h["content-security-policy"] and "'unsafe-inline'" not in \
            h["content-security-policy"], path
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY", path
        assert h["referrer-policy"] == "same-origin" and h["cache-control"] == "no-store", path
    css = root.get("/static/app.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")
    assert root.get("/docs").status_code == 404  # off unless REVIEWER_DOCS=1
    assert root.get("/openapi.json").status_code == 200


def test_a_coach_does_not_decide_on_their_own_work_but_an_admin_may_with_a_reason(server, settings):
    cy = signed_in(server.url, "cy@example.com", "cy-password-333")
    r = cy.post("/api/reviews", json={"text": ARTIFACT, "person": "cy@example.com"}, headers={"Origin": server.url})
    assert r.status_code == 201
    own = r.json()["id"]
    r = cy.post(f"/reviews/{own}/decide", data={"csrf": form_csrf(cy, "/my"), "action": "release"})
    assert r.status_code == 403 and "your own work" in r.text
    root = signed_in(server.url, "root@example.com", "root-password-4444")
    mine = root.post("/api/reviews", json={"text": ARTIFACT, "person": "root@example.com"},
                     headers={"Origin": server.url}).json()["id"]
    csrf = form_csrf(root, "/my")
    assert root.post(f"/reviews/{mine}/decide", data={"csrf": csrf, "action": "release"}).status_code == 422
    r = root.post(f"/reviews/{mine}/decide", data={"csrf": csrf, "action": "release", "reason": "sole admin, audited"})
    assert r.status_code == 303
    entry = Store(settings.db).audit_entries("review", mine)[-1]
    assert entry["actor"] == "root@example.com" and entry["detail"]["own_work"] is True
    # another coach decides on cy's review as usual
    assert root.post(f"/reviews/{own}/decide", data={"csrf": csrf, "action": "confirm"}).status_code == 303


def test_the_note_is_redacted_and_capped(server, settings):
    ana = signed_in(server.url, "ana@example.com", "ana-password-1")
    headers = {"Origin": server.url}
    note = "for the pricing bot; key sk-proj-Abc123Def456Ghi789Jkl012Mno345 mailed to bo@example.com"
    r = ana.post("/api/submissions", json={"artifacts": [{"text": ARTIFACT}], "note": note}, headers=headers)
    assert r.status_code == 202
    stored = Store(settings.db).query("SELECT note FROM submissions")[0]["note"]
    assert "sk-proj" not in stored and "bo@example.com" not in stored and "[REDACTED:openai_key]" in stored
    csrf = form_csrf(ana, "/submit")
    r = ana.post("/submit", data={"csrf": csrf, "text": ARTIFACT, "text_type": "", "note": "x" * 1_000_000})
    assert r.status_code == 422 and "keep it under 2,000" in r.text


def test_account_pages_in_the_browser(server, browser):  # noqa: F811 (fixture)
    violations = []
    page = browser.new_page()
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, server.url, "root@example.com", "root-password-4444")
    page.goto(server.url + "/admin/users")
    page.locator("tr", has_text="ana@example.com").locator("button[value=reset]").click()
    new_password = page.inner_text("#reset code")
    assert len(new_password) >= 10
    page.locator("tr", has_text="ana@example.com").locator("button[value=disable]").click()
    assert "ana@example.com disabled" in page.inner_text("#done")

    other = browser.new_page()
    other.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(other, server.url, "ana@example.com", new_password)
    assert "Wrong email or password." in other.inner_text("[role=alert]")  # disabled
    page.locator("tr", has_text="ana@example.com").locator("button[value=enable]").click()
    sign_in(other, server.url, "ana@example.com", new_password)
    assert other.url.endswith("/my")
    other.goto(server.url + "/account")
    other.fill("#current", new_password)
    other.fill("#new", "ana-chosen-password")
    other.fill("#confirm", "ana-chosen-password")
    other.click("button:has-text('Change password')")
    assert "/login" in other.url and "every session ended" in other.inner_text("main")
    sign_in(other, server.url, "ana@example.com", "ana-chosen-password")
    for path in ("/my", "/submit", "/account"):
        other.goto(server.url + path)
    other.goto(server.url + "/account")
    other.click("button:has-text('Sign out everywhere')")
    assert other.url.endswith("/login")
    for path in ("/queue", "/my", "/submit"):
        page.goto(server.url + path)
    assert violations == []


def test_api_docs_come_from_the_installed_package_when_turned_on(settings, browser):  # noqa: F811 (fixture)
    violations, remote = [], []
    with LiveServer(create_app(settings.model_copy(update={"docs": True}))) as live:
        page = browser.new_page()
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(live.url) else None)
        page.goto(live.url + "/docs")
        page.get_by_text("/api/submissions", exact=True).first.wait_for(timeout=20000)
    assert violations == [] and remote == []


def test_concurrent_sign_ins_each_get_a_session_and_a_password_reset_ends_them_all(server, settings):
    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(lambda _: signed_in(server.url, "cy@example.com", "cy-password-333"), range(8)))
    assert len({c.cookies["reviewer_session"] for c in clients}) == 8
    assert all(c.get("/queue").status_code == 200 for c in clients)
    result = CliRunner().invoke(cli, ["user", "passwd", "cy@example.com", "--db", str(settings.db)])
    assert result.exit_code == 0 and "sessions have ended" in result.output
    new_password = result.output.split(": ", 1)[1].split(";", 1)[0]
    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(lambda c: c.get("/queue").status_code, clients)) == {303}
    assert signed_in(server.url, "cy@example.com", new_password).get("/queue").status_code == 200


@pytest.mark.parametrize("form, words", [
    ({"action": "edit_feedback", "reason": "a reason but no feedback"}, "write the feedback text"),
    ({"action": "edit_feedback", "summary": "   "}, "write the feedback text"),
    ({"action": "request_evidence"}, "say what evidence is needed"),
    ({"action": "override", "level": "3", "reason": " "}, "an override needs a reason"),
    ({"action": "override", "level": "9", "reason": "why"}, "a level from 1 to 6"),
    ({"action": "shrug"}, "unknown action"),
])
def test_a_decision_missing_its_text_is_refused_with_a_message(server, form, words):
    cy = signed_in(server.url, "cy@example.com", "cy-password-333")
    review = cy.post("/api/reviews", json={"text": ARTIFACT, "person": "ana@example.com"}, headers={"Origin": server.url})
    r = cy.post(f"/reviews/{review.json()['id']}/decide", data={"csrf": form_csrf(cy, "/my"), **form})
    assert r.status_code == 422 and words in r.text and "Traceback" not in r.text
    assert cy.get(f"/api/reviews/{review.json()['id']}").json()["status"] == review.json()["status"]  # nothing stored
