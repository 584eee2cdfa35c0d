import sqlite3

import pytest

from reviewer.listings import latest_by_person
from reviewer.schemas import Flag
from reviewer.store import SCHEMA_VERSION, Store


def _review(store, level=3, supersedes=None):
    sub = store.add_submission(store.person_id("ana@example.com", "analyst"), "analyst", None, "cli")
    art = store.add_artifact(sub, artifact_type="prompt", type_detected=True, fmt="text", text="hi",
                             sha256_original="0" * 64, size_bytes=2, redactions={})
    return art, store.add_review(
        art, level=level, confidence=0.7, insufficient_evidence=False, initial_status="needs_review",
        dimensions=[], evidence=[], feedback={}, rationale="r", rubric_id="x", rubric_version="1",
        rubric_hash="h", judge="rules", judge_config={"judge": "rules"}, supersedes=supersedes,
        flags=[Flag(kind="low_confidence", severity=2, reason="why")])


def test_wal_foreign_keys_and_schema_version(store, settings):
    assert store.db.journal_mode == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.schema_version == SCHEMA_VERSION
    assert {"people", "submissions", "artifacts", "reviews", "judge_samples", "flags", "decisions",
            "audit_log"} <= set(store.db.table_names())
    with pytest.raises(sqlite3.IntegrityError):
        store.add_artifact(999, artifact_type="prompt", type_detected=True, fmt="text", text="x",
                           sha256_original="0", size_bytes=1, redactions={})


def test_reopening_keeps_data_and_does_not_migrate_twice(store, settings):
    _, rid = _review(store)
    store.close()
    again = Store(settings.db)
    assert again.schema_version == SCHEMA_VERSION
    assert again.review_row(rid)["level"] == 3


def test_a_newer_schema_is_refused(settings):
    conn = sqlite3.connect(settings.db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this reviewer"):
        Store(settings.db)


def test_rescores_and_decisions_are_new_records(store):
    art, first = _review(store, level=2)
    second = store.add_review(art, level=4, confidence=0.8, insufficient_evidence=False, initial_status="auto_ok",
                              dimensions=[], evidence=[], feedback={}, rationale="r", rubric_id="x",
                              rubric_version="2", rubric_hash="h2", judge="rules", judge_config={},
                              supersedes=first)
    store.add_decision(first, actor="coach@example.com", action="override", level=3, reason="missed the evals")
    assert store.review_row(first)["level"] == 2  # untouched
    assert store.review_row(second)["supersedes"] == first
    assert store.review_row(first)["decisions"][0]["level"] == 3
    assert [r["id"] for r in latest_by_person(store, "ana@example.com")] == [second]
    assert store.review_row(first)["flags"] == [Flag(kind="low_confidence", severity=2, reason="why")]


def test_audit_log_records_who_did_what(store):
    store.audit("coach@example.com", "override", "review", 7, level=3)
    [entry] = store.audit_entries("review", 7)
    assert entry["actor"] == "coach@example.com" and entry["detail"] == {"level": 3} and entry["at"]


def test_person_is_created_once(store):
    a = store.person_id("bo@example.com", "director")
    assert store.person_id("bo@example.com", "analyst") == a
    assert store.person("bo@example.com")["role"] == "director"
    assert store.person_id(None) is None
