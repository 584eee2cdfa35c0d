"""The redaction corpus (tests/redaction/) through the running service: every artifact submitted by
every channel (JSON API, upload, queued submission, the web form), with secrets in the note, the
coach's reason and the edited feedback too, scored by a real worker process, decided and
released. No planted secret, and no 8-character piece of a split or base64-wrapped one, may
survive in the database file, its WAL, any page, any API response or the server's logs."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from reviewer.accounts import create_user, issue_token
from reviewer.store import Store
from tests.conftest import wait_until
from tests.redaction import load_artifacts
from tests.test_security import form_csrf, signed_in

REVIEWER = [sys.executable, "-m", "reviewer"]


def strings(value) -> list[str]:
    """Every string inside a JSON value (so escapes cannot hide a secret from the check)."""
    if isinstance(value, str):
        try:
            return [value] + (strings(json.loads(value)) if value[:1] in "[{" else [])
        except ValueError:
            return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings(k) + strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def quoted_line(artifact) -> str:
    """A line of the artifact holding one of its secrets whole, as someone pasting it into a note would."""
    return next(line.strip() for secret in artifact.secrets for line in artifact.text.splitlines()
                if secret.value in line)


def survivors(haystacks: dict[str, str | bytes], artifacts) -> list[str]:
    found = []
    for artifact in artifacts:
        for secret in artifact.secrets:
            pieces = {secret.value} | (secret.chunks() if secret.placement in ("split", "base64") else set())
            for where, text in haystacks.items():
                hits = [p for p in pieces if (p.encode() if isinstance(text, bytes) else p) in text]
                if hits:
                    found.append(f"{secret.format} ({secret.placement}, {artifact.file}) in {where}: {hits[0]!r}")
    return found


def test_no_planted_secret_survives_anywhere(tmp_path):
    artifacts = load_artifacts()
    db = tmp_path / "reviewer.db"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")},
           "REVIEWER_DB_CREATE": "1", "REVIEWER_CONFIG": os.devnull}
    store = Store(db)
    create_user(store, "ana@example.com", "employee", "ana-password-1")
    create_user(store, "cy@example.com", "coach", "cy-password-333")
    tokens = {who: issue_token(store, f"{who}@example.com") for who in ("ana", "cy")}
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([*REVIEWER, "serve", "--port", "0", "--workers", "1", "--db", str(db)],
                              stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=tmp_path)
    seen: dict[str, str | bytes] = {}
    try:
        line = server.stdout.readline()
        url = line.split("serving on ", 1)[1].split("/ ", 1)[0].rstrip("/")
        api = {who: httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {t}"})
               for who, t in tokens.items()}
        ana_web = signed_in(url, "ana@example.com", "ana-password-1")
        for i, artifact in enumerate(artifacts):
            note = f"for the launch; it had this line: {quoted_line(artifact)}"
            if i % 4 == 0:
                r = api["cy"].post("/api/reviews", json={"text": artifact.text, "person": "ana@example.com", "note": note})
            elif i % 4 == 1:
                r = api["cy"].post("/api/reviews/upload", data={"person": "ana@example.com", "note": note},
                                   files={"file": (Path(artifact.file).name, artifact.text.encode())})
            elif i % 4 == 2:
                r = api["ana"].post("/api/submissions", json={"artifacts": [{"text": artifact.text}], "note": note})
            else:
                r = ana_web.post("/submit", data={"csrf": form_csrf(ana_web, "/submit"), "text": artifact.text,
                                                  "text_type": "detect", "note": note})
            assert r.status_code in (201, 202, 303), (artifact.file, r.text[:300])
        assert wait_until(lambda: Store(db).conn.execute(
            "SELECT count(*) FROM jobs WHERE state IN ('queued', 'scoring')").fetchone()[0] == 0, timeout=240)
        review_ids = [r for (r,) in Store(db).conn.execute("SELECT id FROM reviews ORDER BY id")]
        assert len(review_ids) == len(artifacts)

        coach = signed_in(url, "cy@example.com", "cy-password-333")
        csrf = form_csrf(coach, "/queue")
        for review_id, artifact in zip(review_ids, artifacts):
            line = quoted_line(artifact)
            for action, field in (("edit_feedback", "summary"), ("release", "reason")):
                r = coach.post(f"/reviews/{review_id}/decide",
                               data={"csrf": csrf, "action": action, field: f"Good work; never paste `{line}` again."})
                assert r.status_code == 303, r.text[:300]
            seen[f"coach page {review_id}"] = html.unescape(coach.get(f"/reviews/{review_id}").text)
            seen[f"employee page {review_id}"] = html.unescape(ana_web.get(f"/reviews/{review_id}").text)
            for who in ("cy", "ana"):
                r = api[who].get(f"/api/reviews/{review_id}")
                assert r.status_code == 200
                seen[f"API review {review_id} as {who}"] = "\n".join(strings(r.json()))
        for (submission_id,) in Store(db).conn.execute("SELECT id FROM submissions"):
            seen[f"API submission {submission_id}"] = "\n".join(
                strings(api["cy"].get(f"/api/submissions/{submission_id}").json()))
        seen["portfolio"] = "\n".join(strings(api["cy"].get("/api/people/ana@example.com/portfolio").json()))
        seen["my reviews"] = html.unescape(ana_web.get("/my").text)
        seen["queue"] = html.unescape(coach.get("/queue").text)
        # the files while the server holds them open: the WAL has every write not yet checkpointed
        for suffix in ("", "-wal"):
            seen[f"database file{suffix}"] = Path(f"{db}{suffix}").read_bytes()
        assert len(seen["database file-wal"]) > 0
        rows = Store(db)
        for (table,) in rows.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            seen[f"table {table}"] = "\n".join(strings([list(map(str, r)) for r in rows.conn.execute(f"SELECT * FROM {table}")]))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    seen["server log"] = (tmp_path / "server.log").read_text()
    seen["database file after shutdown"] = db.read_bytes()

    found = survivors(seen, artifacts)
    assert not found, "\n".join(found)
    # the secrets were there to be found: redaction placeholders stand where they were
    stored = Store(db)
    assert all("[REDACTED:" in t for (t,) in stored.conn.execute("SELECT text FROM artifacts"))
    assert all("[REDACTED:" in n for (n,) in stored.conn.execute("SELECT note FROM submissions"))
    assert all("[REDACTED:" in r for (r,) in stored.conn.execute("SELECT reason FROM decisions WHERE reason IS NOT NULL"))
