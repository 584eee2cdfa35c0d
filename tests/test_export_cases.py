"""Ground truth from coaches: `reviewer export-cases` on a real SQLite file filled through
service.submit, service.decide and a rescore, read back by `reviewer eval` and accepted by
`reviewer rubric fit --dry-run`."""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from reviewer.cli import app
from reviewer.evaluation.cases import load_cases
from reviewer.rubric import DEFAULT_RUBRIC, fit_path
from reviewer.service import Item, decide, rescore_all, submit
from reviewer.store import Store

SAMPLES = Path(__file__).parent / "samples"
NAMES = ["l1-prompt-oneliner.txt", "l2-prompt-hr-policy-announcement.txt", "l3-transcript-grounded-citations.md",
         "l4-workflow-n8n-support-triage.json", "l5-agent-config-crewai-guardrails.yaml",
         "l6-eval-config-ci-eval-gate.yaml", "l4-code-openai-feedback-classifier.py", "l2-transcript-iteration.md"]
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def decided(settings, ctx):
    """Eight artifacts: six decided (three overridden by a level, one of them released after;
    three confirmed), one rescored after its decision and decided again, one never decided.
    Returns artifact id -> (automated level, coach level, override reason, newest decided review)."""
    store = Store(settings.db)
    ids = submit(store, ctx, [Item(data=(SAMPLES / n).read_bytes()) for n in NAMES], person="ana@example.com",
                 role="analyst", channel="test")
    rows = {i: store.review_row(i) for i in ids}
    expected = {}
    for n, i in enumerate(ids[:6]):
        auto = rows[i]["level"]
        if n % 2:
            coach = auto + 1 if auto < 4 else auto - 1  # the coaches' levels cover 1-6
            reason = f"the verification is stronger than {auto} (case {n})"
            decide(store, ctx, i, actor="cy@example.com", action="override", level=coach, reason=reason)
            if n == 1:
                decide(store, ctx, i, actor="dee@example.com", action="release")
        else:
            coach, reason = auto, None
            decide(store, ctx, i, actor="cy@example.com", action="confirm")
        expected[rows[i]["artifact_id"]] = (auto, coach, reason, i)
    # the seventh: confirmed, then rescored (a new review of the same artifact) and overridden
    decide(store, ctx, ids[6], actor="cy@example.com", action="confirm")
    rescore_all(store, ctx, write=True, actor="admin@localhost", include_decided=True)
    newest = store.query("SELECT max(id) AS id FROM reviews WHERE artifact_id = ?", [rows[ids[6]]["artifact_id"]])[0]["id"]
    auto = store.review_row(newest)["level"]
    coach = auto - 1 if auto > 1 else auto + 1
    decide(store, ctx, newest, actor="cy@example.com", action="override", level=coach, reason="rescored, still off")
    expected[rows[ids[6]]["artifact_id"]] = (auto, coach, "rescored, still off", newest)
    store.close()
    return expected


def test_export_writes_one_case_per_decided_artifact_that_eval_and_fit_read_back(settings, decided, tmp_path):
    out = tmp_path / "coach-cases"
    r = run("export-cases", out, "--db", settings.db)
    assert r.exit_code == 0, r.output
    assert f"7 case(s) written to {out} (4 overridden by a coach)" in r.output
    assert sorted(p.name for p in out.iterdir()) == sorted([f"artifact-{a}.yaml" for a in decided] + ["export.json"])
    cases = {c.id: c.case for c in load_cases(out)}
    assert len(cases) == 7  # the undecided artifact is left out, the rescored one appears once
    store = Store(settings.db)
    for artifact_id, (auto, coach, reason, review_id) in decided.items():
        case = cases[f"coach-artifact-{artifact_id}"]
        row = store.review_row(review_id)
        assert case.expected.level == coach and case.automated_level == auto and case.notes == reason
        assert case.artifact == row["text"] and case.artifact_type == row["artifact_type"] and case.role == "analyst"
        assert case.source.startswith(f"review {review_id} (rubric 1.0+{row['rubric_hash'][:12]}, judge rules)")
    store.close()
    assert "ana@example.com" not in "".join(p.read_text() for p in out.glob("*.yaml"))  # the person is not exported

    report = tmp_path / "report"
    r = run("eval", "--cases", out, "--json", "--report", report)
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["n"] == 7
    scored = {c["id"]: c for c in json.loads((report / "report.json").read_text())["results"]}
    assert {i: c["expected_level"] for i, c in scored.items()} == {f"coach-artifact-{a}": v[1] for a, v in decided.items()}
    # the judge gives the stored (redacted) text the level the coach saw
    assert {i: c["level"] for i, c in scored.items()} == {f"coach-artifact-{a}": v[0] for a, v in decided.items()}
    assert body["exact"] == pytest.approx(3 / 7)  # the three confirmed

    before = fit_path(DEFAULT_RUBRIC).read_bytes()
    r = run("rubric", "fit", "--cases", out, "--dry-run")
    assert r.exit_code == 0, r.output
    assert f"{out.name}: n 7, QWK" in r.output and "dry run: nothing written" in r.output
    assert fit_path(DEFAULT_RUBRIC).read_bytes() == before
    for case in load_cases(out):  # without level 2 between 1 and 6, no threshold separates 1 from 3
        if case.case.expected.level == 2:
            case.path.unlink()
    r = run("rubric", "fit", "--cases", out, "--dry-run")
    assert r.exit_code == 2 and "no case is labelled level 2, between levels 1 and 6" in r.output


def test_only_overridden_since_and_the_folder_rules(settings, decided, tmp_path):
    db = settings.db
    only = tmp_path / "overridden"
    assert run("export-cases", only, "--only", "overridden", "--db", db).exit_code == 0
    cases = load_cases(only)
    assert len(cases) == 4 and all(c.case.expected.level != c.case.automated_level for c in cases)
    assert all(c.case.notes for c in cases)

    none = tmp_path / "future"
    r = run("export-cases", none, "--since", "2999-01-01", "--db", db)
    assert r.exit_code == 0 and "0 case(s) written" in r.output
    r = run("export-cases", tmp_path / "x", "--since", "soon", "--db", db)
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output and not (tmp_path / "x").exists()
    assert run("export-cases", tmp_path / "x", "--only", "confirmed", "--db", db).exit_code == 2

    # the same export again overwrites its own files; a file edited by hand is rewritten
    (only / cases[0].path.name).write_text("id: edited\n")
    assert run("export-cases", only, "--only", "overridden", "--db", db).exit_code == 0
    assert yaml.safe_load(cases[0].path.read_text())["id"] == cases[0].id
    assert sorted(p.name for p in only.iterdir()) == sorted([c.path.name for c in cases] + ["export.json"])

    foreign = tmp_path / "golden"
    foreign.mkdir()
    (foreign / "mine.yaml").write_text("id: mine\n")
    r = run("export-cases", foreign, "--db", db)
    assert r.exit_code == 2 and "did not write" in r.output and sorted(foreign.iterdir()) == [foreign / "mine.yaml"]

    other_db = tmp_path / "other" / "reviewer.db"
    other_db.parent.mkdir()
    assert run("review", SAMPLES / NAMES[0], "--db", other_db).exit_code == 0
    r = run("export-cases", only, "--db", other_db)
    assert r.exit_code == 2 and "another database" in r.output
    assert len(load_cases(only)) == 4
