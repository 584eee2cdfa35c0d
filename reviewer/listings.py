"""What the pages list from the newest review of each artifact (`_LATEST`), each one SQL query:
the coach queue and a person's artifacts a page at a time (so a page costs the same at 100
reviews or 100,000), the next review to work, a person's level history (their latest 200), and
everybody's reviews for portfolio estimates and the team map.

A review's status is derived in SQL exactly as service.status_of derives it in Python: the
latest decision that sets a status, else the review's initial status.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, Field

from reviewer.service import STATUS_AFTER
from reviewer.store import Store

PAGE_SIZE = 50

_STATUS = ("coalesce((SELECT CASE d.action "
           + " ".join(f"WHEN '{action}' THEN '{status}'" for action, status in STATUS_AFTER.items() if status)
           + " END FROM decisions d WHERE d.review_id = r.id AND d.action IN ("
           + ", ".join(f"'{a}'" for a, s in STATUS_AFTER.items() if s)
           + ") ORDER BY d.id DESC LIMIT 1), r.initial_status)")

# The newest review of every artifact (a rescore supersedes older ones), with what lists show:
# `level` is the coach's where one overrode it, `automated_level` the judge's.
_LATEST = f"""
SELECT r.id, r.artifact_id, r.level AS automated_level, r.confidence, r.created_at, a.artifact_type, a.submission_id,
       coalesce((SELECT d.level FROM decisions d WHERE d.review_id = r.id AND d.action = 'override'
                 ORDER BY d.id DESC LIMIT 1), r.level) AS level,
       s.role, p.email AS person, p.team, p.role AS person_role, {_STATUS} AS status,
       coalesce((SELECT max(f.severity) FROM flags f WHERE f.review_id = r.id), 0) AS severity
FROM reviews r
JOIN artifacts a ON a.id = r.artifact_id
JOIN submissions s ON s.id = a.submission_id
LEFT JOIN people p ON p.id = s.person_id
WHERE r.id = (SELECT max(r2.id) FROM reviews r2 WHERE r2.artifact_id = r.artifact_id)"""


# The queue's order: flagged first by their most severe flag, then oldest first.
QUEUE_ORDER = "q.severity DESC, q.created_at, q.id"
# Statuses a coach can act on now (evidence_requested waits for the employee).
ACTIONABLE = ("needs_review", "auto_ok", "evidence_answered")

# The queue's tabs: the statuses each shows, and what coaches read.
TABS = {"awaiting": ("needs_review", "auto_ok", "evidence_requested", "evidence_answered"),
        "decided": ("confirmed", "overridden"), "released": ("released",)}
TAB_NAMES = {"awaiting": "Awaiting a coach", "decided": "Decided", "released": "Released"}


class QueueFilters(BaseModel):
    tab: Literal["awaiting", "decided", "released"] = "awaiting"
    person: str | None = Field(default=None, max_length=254, description="part of the person's email")
    flag: str | None = None
    role: str | None = None
    team: str | None = None
    level: int | None = None


class Page(BaseModel):
    rows: list[dict]
    page: int
    pages: int
    total: int


def _flags_of(store: Store, review_ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {i: [] for i in review_ids}
    if review_ids:
        for f in store.query(f"""SELECT review_id, kind, severity, reason FROM flags
                                    WHERE review_id IN ({', '.join('?' * len(review_ids))})
                                    ORDER BY severity DESC, id""", review_ids):
            out[f["review_id"]].append(f)
    return out


def _page(store: Store, sql: str, args: list, order: str, page: int, size: int, total: int | None = None) -> Page:
    """One page of `sql`'s rows in `order` (the page number clamped to those that exist);
    `total` when the caller already knows how many rows there are."""
    if total is None:
        total = store.conn.execute(f"SELECT count(*) FROM ({sql})", args).fetchone()[0]
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = store.query(f"{sql} ORDER BY {order} LIMIT ? OFFSET ?", args + [size, (page - 1) * size])
    return Page(rows=rows, page=page, pages=pages, total=total)


def queue_reviews(store: Store, filters: QueueFilters, tab_count: int, page: int = 1,
                  size: int = PAGE_SIZE) -> Page:
    """One tab of the queue (awaiting a coach, decided, released), flagged first by their most
    severe flag, then oldest first. `tab_count` (from queue_counts) is the total when no other
    filter is set, saving a scan."""
    statuses = TABS[filters.tab]
    where, args = [f"q.status IN ({', '.join('?' * len(statuses))})"], list(statuses)
    filtered = False
    if filters.person:
        where.append("q.person LIKE ? ESCAPE '\\'")
        args.append("%" + filters.person.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        filtered = True
    if filters.flag:
        where.append("EXISTS (SELECT 1 FROM flags f WHERE f.review_id = q.id AND f.kind = ?)")
        args.append(filters.flag)
        filtered = True
    for column in ("role", "team", "level"):
        if getattr(filters, column) is not None:
            where.append(f"q.{column} = ?")
            args.append(getattr(filters, column))
            filtered = True
    sql = f"WITH q AS ({_LATEST}) SELECT * FROM q WHERE {' AND '.join(where)}"
    listing = _page(store, sql, args, QUEUE_ORDER, page, size,
                    total=None if filtered else tab_count)
    flags = _flags_of(store, [r["id"] for r in listing.rows])
    return listing.model_copy(update={"rows": [{**r, "flags": flags[r["id"]]} for r in listing.rows]})


def queue_counts(store: Store) -> dict[str, int]:
    """How many reviews each tab holds, and how many awaiting ones are flagged (one scan)."""
    awaiting = ", ".join(f"'{status}'" for status in TABS["awaiting"])
    sums = ", ".join(f"coalesce(sum(q.status IN ({', '.join(repr(s) for s in statuses)})), 0)"
                     for statuses in TABS.values())
    *per_tab, flagged = store.conn.execute(
        f"WITH q AS ({_LATEST}) SELECT {sums}, coalesce(sum(q.severity > 0 AND q.status IN ({awaiting})), 0) "
        "FROM q").fetchone()
    return {**dict(zip(TABS, per_tab)), "flagged": flagged}


def person_artifacts(store: Store, email: str, page: int = 1, size: int = PAGE_SIZE) -> Page:
    """A person's artifacts, newest submission first: each with its job state and the status of
    its newest review."""
    sql = f"""WITH q AS ({_LATEST})
              SELECT a.id AS artifact_id, a.artifact_type, s.id AS submission_id, s.created_at,
                     j.state, j.error, q.id AS review_id, q.status,
                     (SELECT d.reason FROM decisions d WHERE d.review_id = q.id AND d.action = 'request_evidence'
                      ORDER BY d.id DESC LIMIT 1) AS evidence_request
              FROM submissions s JOIN people p ON p.id = s.person_id
              JOIN artifacts a ON a.submission_id = s.id
              LEFT JOIN jobs j ON j.artifact_id = a.id
              LEFT JOIN q ON q.artifact_id = a.id
              WHERE p.email = ?"""
    return _page(store, sql, [email], "s.id DESC, a.id", page, size)



def next_in_queue(store: Store, after: int) -> int | None:
    """The review a coach can act on that follows `after` in the queue's order (wrapping round
    to the start), other than `after` itself: "save and next" and the `n` key."""
    keys = store.conn.execute(f"WITH q AS ({_LATEST}) SELECT q.severity, q.created_at FROM q WHERE q.id = ?",
                              [after]).fetchone()
    marks = ", ".join("?" * len(ACTIONABLE))
    sql = f"WITH q AS ({_LATEST}) SELECT q.id FROM q WHERE q.status IN ({marks}) AND q.id != ?"
    if keys is not None:
        row = store.conn.execute(f"{sql} AND (-q.severity, q.created_at, q.id) > (?, ?, ?) ORDER BY {QUEUE_ORDER} LIMIT 1",
                                 [*ACTIONABLE, after, -keys[0], keys[1], after]).fetchone()
        if row:
            return row[0]
    row = store.conn.execute(f"{sql} ORDER BY {QUEUE_ORDER} LIMIT 1", [*ACTIONABLE, after]).fetchone()
    return row[0] if row else None


def person_history(store: Store, email: str, limit: int = 200) -> list[dict]:
    """The newest review of each of a person's latest `limit` artifacts, oldest first: its level
    (the coach's where one overrode), status, role and when it was released (None: not by a coach)."""
    return store.query(f"""SELECT * FROM (
        WITH q AS ({_LATEST})
        SELECT q.id, q.created_at, q.level, q.status, q.role, q.artifact_type,
               (SELECT max(d.created_at) FROM decisions d WHERE d.review_id = q.id AND d.action = 'release')
                   AS released_at
        FROM q WHERE q.person = ? ORDER BY q.artifact_id DESC LIMIT ?) ORDER BY created_at, id""", [email, limit])


def latest_by_person(store: Store, email: str | None = None, scores: bool = True) -> list[dict]:
    """The newest review of each artifact of every person (or of one), ordered by person: what
    the portfolio rule reads (`level`, the coach's where one overrode it; `confidence`;
    `dimensions`, each dimension's score by key, left empty unless `scores`: a level does not
    depend on them, and reading them costs most of a whole organisation's map) with the person's
    `team` and `role` as the people table holds them. One query, so a map of the whole
    organisation costs one scan."""
    dimensions, source = ("""(SELECT json_group_object(json_extract(d.value, '$.key'), json_extract(d.value, '$.score'))
                              FROM json_each(r.dimensions) d)""", "q JOIN reviews r ON r.id = q.id") if scores \
        else ("'{}'", "q")
    sql = f"""WITH q AS ({_LATEST})
              SELECT q.id, q.person, q.team, q.person_role AS role, q.level, q.confidence, {dimensions} AS dimensions
              FROM {source} WHERE {"q.person = ?" if email is not None else "q.person IS NOT NULL"}
              ORDER BY q.person, q.artifact_id"""
    return [{**row, "dimensions": json.loads(row["dimensions"] or "{}")}
            for row in store.query(sql, [email] if email is not None else [])]
