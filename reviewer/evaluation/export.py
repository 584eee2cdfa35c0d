"""Coaches' decisions as eval cases (README, "Ground truth from coaches"): the newest decided
review of each artifact becomes one case file whose expected level is the coach's, so an
organisation can evaluate and fit the judge against its own coaches."""

from __future__ import annotations

import json
from pathlib import Path

from reviewer.agreement import RUBRIC_LABEL, SETTLING_ACTIONS, settled_reviews
from reviewer.evaluation.cases import Case, CaseError, Expected, dump_case
from reviewer.store import Store

MANIFEST = "export.json"  # marks a folder as written by export-cases, and from which database


def decided_reviews(store: Store, since: str | None = None, only_overridden: bool = False) -> list[dict]:
    """The newest review of each artifact among those a coach settled (confirm, override,
    release; agreement.settled_reviews), with its stored (redacted) text, the override behind the
    coach's level (level and reason) and the time of its latest level-settling decision; only
    those decided at or after `since`, or overridden, when asked."""
    settled, args = settled_reviews(since)
    return store.query(f"""
        SELECT r.id AS review_id, r.artifact_id, r.level AS automated_level, r.judge, {RUBRIC_LABEL} AS rubric,
               a.text, a.artifact_type, s.role, d.created_at AS decided_at,
               o.level AS override_level, o.reason AS override_reason
        {settled}
          AND NOT EXISTS (SELECT 1 FROM reviews newer JOIN decisions nd ON nd.review_id = newer.id
                          WHERE newer.artifact_id = r.artifact_id AND newer.id > r.id
                            AND nd.action IN ({SETTLING_ACTIONS}))
          {"AND o.id IS NOT NULL" if only_overridden else ""}
        ORDER BY r.artifact_id""", args)


def case_file(artifact_id: int) -> str:
    return f"artifact-{artifact_id}.yaml"


def case_of(row: dict) -> Case:
    """A decided review (a decided_reviews row) as an eval case: the coach's level expected, the
    automated one recorded, the override's reason as notes, the review named in `source`."""
    coach = row["override_level"] or row["automated_level"]
    return Case(id=f"coach-artifact-{row['artifact_id']}", artifact_type=row["artifact_type"], role=row["role"],
                artifact=row["text"], expected=Expected(level=coach), automated_level=row["automated_level"],
                notes=row["override_reason"],
                source=f"review {row['review_id']} (rubric {row['rubric']}, judge {row['judge']}), "
                       f"decided by a coach at {row['decided_at']}")


def write_export(folder: Path, rows: list[dict], database: Path) -> list[Path]:
    """Write one case file per row (artifact-<id>.yaml, overwriting an earlier export's file of
    the same artifact) and the manifest naming the database. A folder holding anything else, or
    an export from another database, is refused before anything is written."""
    manifest, database = folder / MANIFEST, str(database.resolve())
    if folder.exists():
        if not folder.is_dir():
            raise CaseError(f"{folder} is not a folder")
        if manifest.exists():
            earlier = json.loads(manifest.read_text(encoding="utf-8")).get("database")
            if earlier != database:
                raise CaseError(f"{folder} holds cases exported from another database ({earlier}); "
                                "export into a new folder")
        elif any(folder.iterdir()):
            raise CaseError(f"{folder} already holds files that export-cases did not write; "
                            "export into a new or empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for row in rows:
        path = folder / case_file(row["artifact_id"])
        path.write_text(dump_case(case_of(row)), encoding="utf-8")
        written.append(path)
    manifest.write_text(json.dumps({"written_by": "reviewer export-cases", "database": database}, indent=2) + "\n",
                        encoding="utf-8")
    return written
