"""The SQLite store (sqlite-utils): append-only records of people, submissions, artifacts,
reviews, judge samples, flags, decisions on reviews (a coach's, or the employee's answer to a
request for evidence), the teams leaders lead, and an audit log.

No record is updated in place: a rescore is a new review linked to the one it supersedes, a
coach's call is a new decision, and a review's status is derived from its latest decision.
Only operational state is (the job queue, sessions, a token's revocation, a user's password
hash and disabled mark, sign-in failures), and the audit log says who changed it.

Several processes share the file (the server and its workers). Every write runs in a
transaction that takes the write lock first (`BEGIN IMMEDIATE`), waiting at most
`BUSY_TIMEOUT` for it; a transaction that reads before it writes under a plain `BEGIN` would
fail at once with "database is locked" and ignore the wait. When the wait runs out, StoreBusy
says so (the web app answers 503 with Retry-After).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer.schemas import Flag

if TYPE_CHECKING:
    import sqlite_utils


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _later(seconds: float) -> str:
    """A time `seconds` from now, in the same sortable form as now()."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


TOKEN_DAYS = 90  # an API token's default lifetime


def _v1(db: "sqlite_utils.Database") -> None:
    db["people"].create({"id": int, "email": str, "role": str, "team": str, "created_at": str},
                        pk="id", not_null={"email", "created_at"})
    db["people"].create_index(["email"], unique=True)
    db["submissions"].create({"id": int, "person_id": int, "role": str, "note": str, "channel": str,
                              "created_at": str}, pk="id", foreign_keys=[("person_id", "people", "id")],
                             not_null={"channel", "created_at"})
    db["artifacts"].create({"id": int, "submission_id": int, "artifact_type": str, "type_detected": int,
                            "fmt": str, "text": str, "sha256_original": str, "size_bytes": int,
                            "redactions": str, "created_at": str}, pk="id",
                           foreign_keys=[("submission_id", "submissions", "id")],
                           not_null={"submission_id", "artifact_type", "text", "sha256_original", "created_at"})
    db["reviews"].create({"id": int, "artifact_id": int, "supersedes": int, "level": int,
                          "confidence": float, "insufficient_evidence": int, "initial_status": str,
                          "dimensions": str, "evidence": str, "feedback": str, "rationale": str,
                          "rubric_id": str, "rubric_version": str, "rubric_hash": str,
                          "judge": str, "judge_config": str, "prompt_hashes": str, "models": str,
                          "created_at": str}, pk="id",
                         foreign_keys=[("artifact_id", "artifacts", "id"), ("supersedes", "reviews", "id")],
                         not_null={"artifact_id", "level", "confidence", "rubric_hash", "judge", "created_at"})
    db["judge_samples"].create({"id": int, "review_id": int, "judge": str, "model": str,
                                "sample_index": int, "raw": str, "parsed": str, "tokens_in": int,
                                "tokens_out": int, "cost_usd": float, "latency_ms": float,
                                "error": str, "created_at": str}, pk="id",
                               foreign_keys=[("review_id", "reviews", "id")])
    db["flags"].create({"id": int, "review_id": int, "kind": str, "severity": int, "reason": str},
                       pk="id", foreign_keys=[("review_id", "reviews", "id")])
    db["decisions"].create({"id": int, "review_id": int, "actor": str, "action": str, "level": int,
                            "reason": str, "feedback": str, "created_at": str}, pk="id",
                           foreign_keys=[("review_id", "reviews", "id")],
                           not_null={"review_id", "actor", "action", "created_at"})
    db["audit_log"].create({"id": int, "at": str, "actor": str, "action": str, "entity": str,
                            "entity_id": int, "detail": str}, pk="id", not_null={"at", "actor", "action"})
    for table, cols in [("artifacts", ["submission_id"]), ("reviews", ["artifact_id"]),
                        ("reviews", ["rubric_hash"]), ("judge_samples", ["review_id"]),
                        ("flags", ["review_id"]), ("decisions", ["review_id"]),
                        ("submissions", ["person_id"])]:
        db[table].create_index(cols)


def _v2(db: "sqlite_utils.Database") -> None:
    """Accounts: local users with hashed passwords, and per-user API tokens (hashes only)."""
    db["users"].create({"id": int, "email": str, "password_hash": str, "role": str, "team": str,
                        "created_at": str}, pk="id", not_null={"email", "password_hash", "role", "created_at"})
    db["users"].create_index(["email"], unique=True)
    db["api_tokens"].create({"id": int, "user_id": int, "token_hash": str, "label": str, "created_at": str},
                            pk="id", foreign_keys=[("user_id", "users", "id")],
                            not_null={"user_id", "token_hash", "created_at"})
    db["api_tokens"].create_index(["token_hash"], unique=True)


def _v3(db: "sqlite_utils.Database") -> None:
    """The durable scoring queue: one job per accepted artifact. Its state is operational and
    updated in place; what it produces (reviews) is append-only like everything else."""
    db["jobs"].create({"id": int, "artifact_id": int, "role": str, "actor": str, "state": str, "attempts": int,
                       "error": str, "review_id": int, "created_at": str, "updated_at": str}, pk="id",
                      foreign_keys=[("artifact_id", "artifacts", "id"), ("review_id", "reviews", "id")],
                      not_null={"artifact_id", "state", "attempts", "created_at", "updated_at"})
    db["jobs"].create_index(["state"])


def _v4(db: "sqlite_utils.Database") -> None:
    """Workers in several processes: jobs carry a lease (who holds them, until when) and a
    not-before time for retries with backoff; idempotency keys make client retries safe;
    reviews record the excerpt sent to a model whose window the artifact did not fit."""
    for column, kind in [("lease_owner", str), ("lease_until", float), ("not_before", float), ("error_kind", str)]:
        db["jobs"].add_column(column, kind)
    db["jobs"].create_index(["state", "not_before"])
    db["reviews"].add_column("excerpt", str)
    db["reviews"].create_index(["artifact_id", "id"])
    db["idempotency_keys"].create({"id": int, "actor": str, "key": str, "request_sha256": str,
                                   "submission_id": int, "review_ids": str, "created_at": str}, pk="id",
                                  foreign_keys=[("submission_id", "submissions", "id")],
                                  not_null={"actor", "key", "request_sha256", "submission_id", "created_at"})
    db["idempotency_keys"].create_index(["actor", "key"], unique=True)


def _v5(db: "sqlite_utils.Database") -> None:
    """Sessions and tokens with a lifecycle: server-side sign-in sessions (the cookie holds only a
    random key), token expiry and revocation, disabled users, and failed sign-ins for throttling.
    Like jobs, these are operational state: ending a session or a token sets its end time."""
    db["users"].add_column("disabled_at", str)
    db["api_tokens"].add_column("expires_at", str)
    db["api_tokens"].add_column("revoked_at", str)
    db["sessions"].create({"id": int, "key_hash": str, "user_id": int, "csrf": str, "created_at": str,
                           "expires_at": str, "ended_at": str, "ended_why": str}, pk="id",
                          foreign_keys=[("user_id", "users", "id")],
                          not_null={"key_hash", "user_id", "csrf", "created_at", "expires_at"})
    db["sessions"].create_index(["key_hash"], unique=True)
    db["sessions"].create_index(["user_id"])
    db["login_failures"].create({"id": int, "scope": str, "at": float}, pk="id", not_null={"scope", "at"})
    db["login_failures"].create_index(["scope", "at"])
    # Tokens made before tokens expired get the default lifetime from now on.
    db.execute("UPDATE api_tokens SET expires_at = ?", [_later(TOKEN_DAYS * 86400)])


def _v6(db: "sqlite_utils.Database") -> None:
    """Leaders: each leader account sees the proficiency map of the teams listed here (team names
    as people's `team` holds them)."""
    db["leader_teams"].create({"id": int, "user_id": int, "team": str, "created_at": str}, pk="id",
                              foreign_keys=[("user_id", "users", "id")], not_null={"user_id", "team", "created_at"})
    db["leader_teams"].create_index(["user_id", "team"], unique=True)


def _v7(db: "sqlite_utils.Database") -> None:
    """An employee's answer to a request for more evidence: a record on the review (like a coach's
    decision) naming the artifact that answers it, which is scored as any other."""
    db.execute("ALTER TABLE decisions ADD COLUMN artifact_id INTEGER REFERENCES artifacts(id)")


def _v8(db: "sqlite_utils.Database") -> None:
    """Covering indexes for what the queue looks up for every review (its most severe flag, its
    latest status-setting decision, a coach's level): answered from the index alone; and the
    answer to an evidence request found by its artifact."""
    db["flags"].create_index(["review_id", "severity"])
    db["decisions"].create_index(["review_id", "action", "level"])
    db["decisions"].create_index(["artifact_id"])


# Each entry moves the schema one version up; append, never edit, so old files migrate.
MIGRATIONS: list[Callable[["sqlite_utils.Database"], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8]
BUSY_TIMEOUT = 5.0  # seconds a write waits for the lock before StoreBusy
SYNC_MODES = {"normal": "NORMAL", "full": "FULL"}
SCHEMA_VERSION = len(MIGRATIONS)



def _loads(value: str | None, default=None):
    return default if value is None else json.loads(value)


_WRITERS: dict[Path, threading.Lock] = {}
_WRITERS_GUARD = threading.Lock()


def _writer_lock(path: Path) -> threading.Lock:
    """The lock this process's writers to one database file queue on."""
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(path.resolve(), threading.Lock())


class StoreBusy(Exception):
    """The write lock stayed taken past the bounded wait; the caller may retry shortly."""


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class Store:
    # When records (people, submissions, artifacts, reviews, samples, decisions, audit entries)
    # are dated: now, except for `reviewer demo seed`, which spreads a demo over past weeks.
    clock: Callable[[], str] = staticmethod(now)

    @classmethod
    def open(cls, settings) -> "Store":
        """The store the settings name (db, busy_timeout, db_sync)."""
        return cls(settings.db, busy_timeout=settings.busy_timeout, sync=settings.db_sync)

    def __init__(self, path: Path | str, busy_timeout: float = BUSY_TIMEOUT, sync: str = "normal",
                 create: bool = True):
        """Open (and migrate) the database; a missing file is made owner-only (0600), with its
        directory, when `create` is set. A path SQLite could not use raises DatabaseFileError."""
        from reviewer.dbfile import check_database_path, not_a_database

        self.path, self.busy_timeout = Path(path), busy_timeout
        check_database_path(self.path, create=create)
        # Autocommit mode: transactions are begun explicitly (IMMEDIATE), never implicitly.
        # check_same_thread=False: FastAPI may open, use and close one request's connection on
        # different pool threads (never at once).
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=busy_timeout)
        self.conn = conn
        self.writer = _writer_lock(self.path)
        conn.execute("PRAGMA foreign_keys = ON")
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        except sqlite3.DatabaseError as e:
            conn.close()
            if "not a database" in str(e):
                raise not_a_database(self.path) from None
            raise
        if mode != "wal":
            conn.execute("PRAGMA journal_mode = wal")
        # normal: in WAL mode a commit survives any crash of the process and the file never
        # corrupts, without an fsync per commit (~4 ms here); full: also survives power loss.
        conn.execute(f"PRAGMA synchronous = {SYNC_MODES[sync]}")
        self.migrate()

    @cached_property
    def db(self) -> "sqlite_utils.Database":
        """sqlite-utils over the same connection, for migrations and ad-hoc use (imported on first
        use: it imports numpy when that is installed, a quarter second a start)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def query(self, sql: str, args: list | tuple = ()) -> list[dict]:
        """Rows as dicts."""
        cursor = self.conn.execute(sql, args)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        if self.schema_version == SCHEMA_VERSION:
            return
        with self.transaction():  # several processes may start at once: one migrates, the others wait
            current = self.schema_version
            if current > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} has schema version {current}, newer than this reviewer "
                                   f"({SCHEMA_VERSION}); upgrade the reviewer")
            for version, step in enumerate(MIGRATIONS[current:], start=current + 1):
                step(self.db)
                self.conn.execute(f"PRAGMA user_version = {version}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction holding the write lock from its start; nested calls join the
        outer one. Raises StoreBusy when the lock is not free within the bounded wait.

        Writers of this process queue on a Python lock first: SQLite's own wait polls with
        sleeps of 1 ms and more, far longer than a write takes, so only other processes'
        writers (workers) are left to it."""
        if self.conn.in_transaction:
            yield
            return
        if not self.writer.acquire(timeout=self.busy_timeout):
            raise StoreBusy(f"the database stayed busy for {self.busy_timeout:g} s")
        try:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                if _is_busy(e):
                    raise StoreBusy(f"the database stayed busy for {self.busy_timeout:g} s") from None
                raise
            try:
                yield
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as e:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if _is_busy(e):
                    raise StoreBusy(f"the database stayed busy for {self.busy_timeout:g} s") from None
                raise
        finally:
            self.writer.release()

    def close(self) -> None:
        self.conn.close()

    # ---------------------------------------------------------------- writes
    def _insert(self, table: str, row: dict) -> int:
        """One row by plain SQL (sqlite-utils' insert introspects the table on every call)."""
        sql = f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
        with self.transaction():
            return self.conn.execute(sql, list(row.values())).lastrowid

    def _change(self, sql: str, args: list) -> int:
        """One UPDATE or DELETE of operational state (sessions, tokens, accounts, sign-in failures),
        in its own transaction or the caller's; the number of rows changed."""
        with self.transaction():
            return self.conn.execute(sql, args).rowcount

    def audit(self, actor: str, action: str, entity: str, entity_id: int | None, **detail) -> int:
        return self._insert("audit_log", {"at": self.clock(), "actor": actor, "action": action, "entity": entity,
                                          "entity_id": entity_id, "detail": json.dumps(detail, sort_keys=True)})

    def person_id(self, email: str | None, role: str | None = None, team: str | None = None) -> int | None:
        """The person's id, creating the person on first sight (role and team as first given)."""
        if not email:
            return None
        row = self.conn.execute("SELECT id FROM people WHERE email = ?", [email]).fetchone()
        if row:
            return row[0]
        return self._insert("people", {"email": email, "role": role, "team": team, "created_at": self.clock()})

    def add_submission(self, person_id: int | None, role: str | None, note: str | None, channel: str) -> int:
        return self._insert("submissions", {"person_id": person_id, "role": role, "note": note,
                                            "channel": channel, "created_at": self.clock()})

    def add_artifact(self, submission_id: int, *, artifact_type: str, type_detected: bool, fmt: str,
                     text: str, sha256_original: str, size_bytes: int, redactions: dict[str, int]) -> int:
        return self._insert("artifacts", {
            "submission_id": submission_id, "artifact_type": artifact_type, "type_detected": int(type_detected),
            "fmt": fmt, "text": text, "sha256_original": sha256_original, "size_bytes": size_bytes,
            "redactions": json.dumps(redactions, sort_keys=True), "created_at": self.clock()})

    def add_review(self, artifact_id: int, *, level: int, confidence: float, insufficient_evidence: bool,
                   initial_status: str, dimensions: list, evidence: list, feedback: dict, rationale: str,
                   rubric_id: str, rubric_version: str, rubric_hash: str, judge: str, judge_config: dict,
                   prompt_hashes: dict | None = None, models: list | None = None,
                   supersedes: int | None = None, flags: list[Flag] = (), excerpt: dict | None = None) -> int:
        review_id = self._insert("reviews", {
            "artifact_id": artifact_id, "supersedes": supersedes, "level": level, "confidence": confidence,
            "insufficient_evidence": int(insufficient_evidence), "initial_status": initial_status,
            "dimensions": json.dumps(dimensions), "evidence": json.dumps(evidence),
            "feedback": json.dumps(feedback), "rationale": rationale, "rubric_id": rubric_id,
            "rubric_version": rubric_version, "rubric_hash": rubric_hash, "judge": judge,
            "judge_config": json.dumps(judge_config, sort_keys=True),
            "prompt_hashes": json.dumps(prompt_hashes or {}, sort_keys=True),
            "models": json.dumps(models or []), "excerpt": None if excerpt is None else json.dumps(excerpt),
            "created_at": self.clock()})
        for f in flags:
            self._insert("flags", {"review_id": review_id, **f.model_dump()})
        return review_id

    def add_judge_sample(self, review_id: int, **sample) -> int:
        if sample.get("parsed") is not None and not isinstance(sample["parsed"], str):
            sample["parsed"] = json.dumps(sample["parsed"])
        return self._insert("judge_samples", {"review_id": review_id, "created_at": self.clock(), **sample})

    def add_decision(self, review_id: int, *, actor: str, action: str, level: int | None = None,
                     reason: str | None = None, feedback: dict | None = None, artifact_id: int | None = None) -> int:
        return self._insert("decisions", {"review_id": review_id, "actor": actor, "action": action,
                                          "level": level, "reason": reason,
                                          "feedback": None if feedback is None else json.dumps(feedback),
                                          "artifact_id": artifact_id, "created_at": self.clock()})

    def add_user(self, email: str, password_hash: str, role: str, team: str | None = None) -> int:
        return self._insert("users", {"email": email, "password_hash": password_hash, "role": role, "team": team,
                                      "created_at": now()})

    def add_leader_team(self, user_id: int, team: str) -> int:
        return self._insert("leader_teams", {"user_id": user_id, "team": team, "created_at": now()})

    def add_api_token(self, user_id: int, token_hash: str, label: str | None = None,
                      days: float = TOKEN_DAYS) -> int:
        return self._insert("api_tokens", {"user_id": user_id, "token_hash": token_hash, "label": label,
                                           "created_at": now(), "expires_at": _later(days * 86400)})

    def revoke_api_token(self, token_id: int) -> bool:
        return self._change("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                            [now(), token_id]) == 1

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self._change("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id])

    def set_disabled(self, user_id: int, disabled: bool) -> None:
        self._change("UPDATE users SET disabled_at = ? WHERE id = ?", [now() if disabled else None, user_id])

    def add_session(self, user_id: int, key_hash: str, csrf: str, seconds: float) -> int:
        return self._insert("sessions", {"key_hash": key_hash, "user_id": user_id, "csrf": csrf,
                                         "created_at": now(), "expires_at": _later(seconds)})

    def end_sessions(self, why: str, *, user_id: int | None = None, key_hash: str | None = None) -> int:
        """End one session (by key) or all of a user's; returns how many were still open."""
        column, value = ("user_id", user_id) if key_hash is None else ("key_hash", key_hash)
        return self._change(f"UPDATE sessions SET ended_at = ?, ended_why = ? WHERE {column} = ? AND ended_at IS NULL",
                            [now(), why, value])

    def add_login_failure(self, scope: str, at: float) -> None:
        self._insert("login_failures", {"scope": scope, "at": at})

    def clear_login_failures(self, scope: str) -> None:
        self._change("DELETE FROM login_failures WHERE scope = ?", [scope])

    def remember_key(self, actor: str, key: str, request_sha256: str, *, submission_id: int,
                     review_ids: list[int] | None = None) -> int:
        """An Idempotency-Key and what its request made (call in the transaction that made it)."""
        return self._insert("idempotency_keys", {
            "actor": actor, "key": key, "request_sha256": request_sha256, "submission_id": submission_id,
            "review_ids": None if review_ids is None else json.dumps(review_ids), "created_at": now()})

    # ---------------------------------------------------------------- reads
    def key_record(self, actor: str, key: str) -> dict | None:
        rows = self.query("SELECT * FROM idempotency_keys WHERE actor = ? AND key = ?", [actor, key])
        return {**rows[0], "review_ids": _loads(rows[0]["review_ids"])} if rows else None

    def user(self, email: str) -> dict | None:
        rows = self.query("SELECT * FROM users WHERE email = ?", [email])
        return rows[0] if rows else None

    def user_by_token_hash(self, token_hash: str) -> dict | None:
        """The user of a live token (not revoked, not expired) who is not disabled."""
        rows = self.query("""SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id
                             WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ?
                               AND u.disabled_at IS NULL""", [token_hash, now()])
        return rows[0] if rows else None

    def leader_teams(self, user_id: int | None = None) -> dict[int, list[str]]:
        """The teams of each leader (or of one user), by user id."""
        out: dict[int, list[str]] = {}
        where, args = ("WHERE user_id = ?", [user_id]) if user_id is not None else ("", [])
        for row in self.query(f"SELECT user_id, team FROM leader_teams {where} ORDER BY user_id, team", args):
            out.setdefault(row["user_id"], []).append(row["team"])
        return out

    def api_tokens(self, user_id: int) -> list[dict]:
        return self.query("SELECT id, label, created_at, expires_at, revoked_at FROM api_tokens "
                          "WHERE user_id = ? ORDER BY id", [user_id])

    def session_user(self, key_hash: str) -> dict | None:
        """The user of a live session (open, not expired, user not disabled), with the session's csrf."""
        rows = self.query("""SELECT u.*, s.csrf AS session_csrf FROM sessions s JOIN users u ON u.id = s.user_id
                             WHERE s.key_hash = ? AND s.ended_at IS NULL AND s.expires_at > ?
                               AND u.disabled_at IS NULL""", [key_hash, now()])
        return rows[0] if rows else None

    def login_failures_since(self, scope: str, since: float) -> list[float]:
        return [r[0] for r in self.conn.execute("SELECT at FROM login_failures WHERE scope = ? AND at > ? ORDER BY at",
                                                [scope, since])]

    def count_users(self) -> int:
        return self.conn.execute("SELECT count(*) FROM users").fetchone()[0]

    def count_reviews_under_rubric(self, rubric_hash: str, at_most: int) -> int:
        """Reviews under this rubric, counted up to `at_most` (the flag policy asks only whether a
        review is among the first N: counting every review would grow with the table)."""
        return self.conn.execute("SELECT count(*) FROM (SELECT 1 FROM reviews WHERE rubric_hash = ? LIMIT ?)",
                                 [rubric_hash, at_most]).fetchone()[0]

    def review_row(self, review_id: int) -> dict | None:
        rows = self.query(
            """SELECT r.*, a.artifact_type, a.type_detected, a.fmt, a.text, a.redactions,
                      a.sha256_original, a.size_bytes, s.role, s.note, s.id AS submission_id,
                      p.email AS person
               FROM reviews r JOIN artifacts a ON a.id = r.artifact_id
               JOIN submissions s ON s.id = a.submission_id
               LEFT JOIN people p ON p.id = s.person_id
               WHERE r.id = ?""", [review_id])
        if not rows:
            return None
        row = rows[0]
        for key, default in [("dimensions", []), ("evidence", []), ("feedback", {}), ("judge_config", {}),
                             ("prompt_hashes", {}), ("models", []), ("redactions", {}), ("excerpt", None)]:
            row[key] = _loads(row[key], default)
        row["type_detected"] = bool(row["type_detected"])
        row["insufficient_evidence"] = bool(row["insufficient_evidence"])
        row["flags"] = [Flag(kind=f["kind"], severity=f["severity"], reason=f["reason"])
                        for f in self.query("SELECT * FROM flags WHERE review_id = ? ORDER BY severity DESC, id",
                                               [review_id])]
        row["usage"] = dict(zip(("llm_samples", "tokens_in", "tokens_out", "cost_usd", "latency_ms"), self.conn.execute(
            """SELECT count(*), coalesce(sum(tokens_in), 0), coalesce(sum(tokens_out), 0),
                      coalesce(sum(cost_usd), 0), coalesce(sum(latency_ms), 0)
               FROM judge_samples WHERE review_id = ? AND model IS NOT NULL""", [review_id]).fetchone()))
        row["decisions"] = [{**d, "feedback": _loads(d["feedback"])} for d in
                            self.query("SELECT * FROM decisions WHERE review_id = ? ORDER BY id", [review_id])]
        return row

    def newest_review_of(self, artifact_id: int) -> int | None:
        return self.conn.execute("SELECT max(id) FROM reviews WHERE artifact_id = ?", [artifact_id]).fetchone()[0]

    def person(self, email: str) -> dict | None:
        rows = self.query("SELECT * FROM people WHERE email = ?", [email])
        return rows[0] if rows else None

    def audit_entries(self, entity: str | None = None, entity_id: int | None = None) -> list[dict]:
        sql, args = "SELECT * FROM audit_log", []
        if entity is not None:
            sql, args = sql + " WHERE entity = ? AND entity_id = ?", [entity, entity_id]
        return [{**r, "detail": _loads(r["detail"], {})} for r in self.query(sql + " ORDER BY id", args)]
