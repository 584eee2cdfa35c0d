"""The eval suite: case format, robustness variants, runner, report, gate and the CLI."""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from reviewer.cli import app
from reviewer.evaluation.cases import CaseError, load_cases
from reviewer.evaluation.gate import GateRules, regressions
from reviewer.evaluation.robustness import INJECTIONS, generate, variants
from reviewer.rubric import DEFAULT_RUBRIC

ROOT = Path(__file__).resolve().parent.parent
GOLDEN, ROBUSTNESS, BASELINE = ROOT / "evals" / "golden", ROOT / "evals" / "robustness", ROOT / "evals" / "baseline.json"
runner = CliRunner()

ONE_LINER = {"id": "one-liner", "artifact_type": "prompt", "artifact": "write a poem about our sales team",
             "expected": {"level": 1}}
CREW = {"id": "crew", "artifact_file": "files/agents.yaml", "role": "software_engineer",
        "expected": {"level": 5, "dimensions": {"verification": 5}}}
CREW_TEXT = ("researcher:\n  role: Analyst\n  goal: Find and verify prices\n  tools: [SerperDevTool]\n"
             "  max_iter: 4\n  human_input: true\n")


@pytest.fixture
def suite(tmp_path):
    folder = tmp_path / "cases"
    (folder / "files").mkdir(parents=True)
    (folder / "files" / "agents.yaml").write_text(CREW_TEXT)
    (folder / "one-liner.yaml").write_text(yaml.safe_dump(ONE_LINER))
    (folder / "nested").mkdir()
    (folder / "nested" / "crew.yaml").write_text(yaml.safe_dump({**CREW, "artifact_file": "../files/agents.yaml"}))
    return folder


def test_load_cases_reads_inline_and_file_artifacts_and_skips_artifact_yaml(suite):
    cases = load_cases(suite)
    assert [c.id for c in cases] == ["crew", "one-liner"]  # files/agents.yaml is an artifact, not a case
    assert cases[0].data == CREW_TEXT.encode() and cases[1].data == ONE_LINER["artifact"]


@pytest.mark.parametrize("doc, words", [
    ({"id": "x", "expected": {"level": 7}, "artifact": "hi"}, "expected.level"),
    ({"id": "x", "expected": {"level": 2}, "artifact": "hi", "artifact_file": "a.txt"}, "exactly one of"),
    ({"id": "x", "expected": {"level": 2, "dimensions": {"vibes": 3}}, "artifact": "hi"}, "unknown dimensions"),
    ({"id": "x", "expected": {"level": 2}, "artifact_file": "../../etc/passwd"}, "outside the case folder"),
    ({"id": "x", "expected": {"level": 2}, "artifact_file": "missing.txt"}, "No such file"),
    ({"id": "x", "expected": {"level": 2}, "artifact": "hi", "colour": "red"}, "colour"),
])
def test_bad_cases_name_file_and_reason(tmp_path, doc, words):
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(CaseError) as e:
        load_cases(tmp_path)
    assert "bad.yaml" in str(e.value) and words in str(e.value)


def test_duplicate_ids_and_empty_folders_are_refused(tmp_path):
    with pytest.raises(CaseError, match="no cases found"):
        load_cases(tmp_path)
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(ONE_LINER))
    with pytest.raises(CaseError, match="used twice"):
        load_cases(tmp_path)


def test_variants_plant_injections_and_keep_yaml_valid(suite):
    crew = load_cases(suite)[0]
    made = {suffix: (inv, text) for suffix, inv, text in variants(crew)}
    injected = [t for s, (_, t) in made.items() if s.startswith("inject")]
    assert len(injected) == 3 and all(any(p in t for _, p in INJECTIONS) for t in injected)
    assert all(yaml.safe_load(t)["researcher"]["role"] == "Analyst" for t in injected)  # comments or a value
    assert made["yaml-to-json"][0] == "unchanged" and json.loads(made["yaml-to-json"][1]) == yaml.safe_load(CREW_TEXT)
    assert made["padding"][0] == "not_raised"


def test_committed_variants_match_the_generator():
    expected = generate(load_cases(GOLDEN))
    on_disk = {p.name: p.read_text() for p in ROBUSTNESS.glob("*.yaml")}
    assert on_disk == expected, "run: reviewer eval variants --from evals/golden --out evals/robustness"


def test_golden_set_shape():
    cases = [c.case for c in load_cases(GOLDEN)]
    assert len(cases) >= 60
    levels = [c.expected.level for c in cases]
    assert all(levels.count(lv) >= 8 for lv in range(1, 7))
    assert {c.artifact_type for c in cases} >= {"prompt", "transcript", "custom_instructions", "workflow",
                                                "agent_config", "code", "eval_config", "output_with_edits", "other"}
    assert all(c.notes for c in cases)


def test_eval_json_has_the_documented_figures(suite, tmp_path):
    variants_dir = tmp_path / "variants"
    assert runner.invoke(app, ["eval", "variants", "--from", str(suite), "--out", str(variants_dir)]).exit_code == 0
    r = runner.invoke(app, ["eval", "--cases", str(suite), "--cases", str(variants_dir), "--repeat", "2",
                            "--json", "--report", str(tmp_path / "rep")])
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    for key in ("n", "exact", "adjacent", "qwk", "mae", "confusion", "per_level_recall", "smd", "by_type",
                "consistency", "robustness", "failures"):
        assert key in body
    assert body["n"] == 2 and body["exact"] == 1.0 and body["consistency"] == 1.0
    assert body["robustness"]["share"] == 1.0 and body["robustness"]["n"] >= 8
    assert len(body["confusion"]) == 6 and body["confusion"][4][4] == 1
    assert set(body["by_type"]) == {"prompt", "agent_config"}
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "<svg" in html and "Confusion matrix" in html and "http" not in html.replace("http://www.w3.org/2000/svg", "")
    assert json.loads((tmp_path / "rep" / "report.json").read_text())["results"]
    assert "| quadratic weighted kappa |" in (tmp_path / "rep" / "report.md").read_text()


def test_gate_rules_on_hand_made_reports():
    base = {"figures": {"qwk": 0.9, "exact": 0.8}, "consistency": 1.0, "robustness": {"broken": []},
            "cases": {"a": 2, "b": 5}}
    same = json.loads(json.dumps(base))
    assert regressions(same, base, GateRules()) == []
    worse = {**same, "figures": {"qwk": 0.87, "exact": 0.79}, "cases": {"a": 4, "b": 5},
             "robustness": {"broken": [{"id": "b--padding"}]}}
    reasons = regressions(worse, base, GateRules())
    assert any("QWK dropped" in x for x in reasons) and any("exact agreement" in x for x in reasons)
    assert any("case a moved from level 2 to 4" in x for x in reasons) and any("b--padding" in x for x in reasons)
    assert regressions({**same, "figures": {"qwk": 0.885, "exact": 0.8}}, base, GateRules()) == []
    # the real-work gate holds only "not raised": a reformatting move is reported, a raise fails
    moved = {**same, "robustness": {"broken": [{"id": "a--plain", "invariance": "unchanged"}]}}
    assert regressions(moved, base, GateRules(robustness_must_hold="not_raised")) == []
    raised = {**same, "robustness": {"broken": [{"id": "a--inject", "invariance": "not_raised"}]}}
    assert any("a--inject" in x for x in regressions(raised, base, GateRules(robustness_must_hold="not_raised")))


def test_golden_suite_passes_its_baseline():
    r = runner.invoke(app, ["eval", "--cases", str(GOLDEN), "--cases", str(ROBUSTNESS), "--repeat", "2",
                            "--baseline", str(BASELINE), "--json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.output[r.output.index("{"):r.output.rindex("}") + 1])
    assert body["qwk"] >= 0.8 and body["robustness"]["share"] == 1.0


def test_a_rubric_without_verification_indicators_fails_the_gate(tmp_path):
    rubric = yaml.safe_load(DEFAULT_RUBRIC.read_text())
    removed = {i["id"] for i in rubric["indicators"] if i["dimension"] == "verification"}
    rubric["indicators"] = [i for i in rubric["indicators"] if i["id"] not in removed]
    for level in rubric["levels"]:
        level["requires_any"] = [i for i in level.get("requires_any", []) if i not in removed]
        level["min_core"] = min(level["min_core"], sum(1 for i in rubric["indicators"]
                                                     if i["level"] == level["level"] and i["core"]))
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(rubric, sort_keys=False))
    r = runner.invoke(app, ["eval", "--cases", str(GOLDEN), "--cases", str(ROBUSTNESS), "--rubric", str(broken),
                            "--baseline", str(BASELINE), "--json"])
    assert r.exit_code == 1
    assert "gate: FAIL" in r.output and "QWK dropped" in r.output


def test_compare_lists_changed_cases(tmp_path):
    old = {"cases": {"a": 2, "b": 3, "c": 4}}
    new = {"cases": {"a": 2, "b": 5, "c": 3, "d": 1}}
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    r = runner.invoke(app, ["eval", "compare", str(tmp_path / "old.json"), str(tmp_path / "new.json")])
    assert r.exit_code == 0 and r.output.splitlines() == ["b: 3 -> 5 (+2)", "c: 4 -> 3 (-1)", "2 case(s) changed level"]
    assert runner.invoke(app, ["eval", "compare", str(tmp_path / "x.json"), str(tmp_path / "new.json")]).exit_code == 2


def test_eval_without_cases_or_with_a_bad_folder_exits_2(tmp_path):
    assert runner.invoke(app, ["eval"]).exit_code == 2
    r = runner.invoke(app, ["eval", "--cases", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "not a folder of cases" in r.output


def test_rescore_dry_run_lists_changes_writes_nothing_and_keeps_coach_decisions(settings, tmp_path):
    db = str(settings.db)
    prompt = tmp_path / "p.txt"
    prompt.write_text("You are a recruiter. Context: we hire nurses.\nWrite the ad in under 200 words.\n"
                      "Do not mention salary.")
    assert runner.invoke(app, ["review", str(prompt), "--person", "ana@example.com", "--db", db]).exit_code == 0
    rubric = yaml.safe_load(DEFAULT_RUBRIC.read_text())
    rubric["levels"][1]["min_core"] = 5  # level 2 now needs five core indicators
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text(yaml.safe_dump(rubric, sort_keys=False))
    assert runner.invoke(app, ["review", str(prompt), "--person", "bo@example.com", "--db", db]).exit_code == 0
    from reviewer.pipeline import load_context
    from reviewer.service import decide
    from reviewer.store import Store
    decide(Store(db), load_context(settings), 2, actor="coach@example.com", action="release")  # bo's: a coach's call
    dry = runner.invoke(app, ["rescore", "--rubric", str(stricter), "--dry-run", "--db", db])
    assert dry.exit_code == 0, dry.output
    assert "review 1 (ana@example.com, prompt): level 2 -> 1" in dry.output and "review 2" not in dry.output
    assert dry.output.strip().splitlines()[-1] == (
        "dry run, nothing written: 1 review(s) would be re-scored under 1.0+" + dry.output.split("under 1.0+")[1]
        .split(";")[0] + "; 1 would change level; 1 decided by a coach kept as they are (--include-decided re-scores them)")
    assert Store(db).db["reviews"].count == 2
    real = runner.invoke(app, ["rescore", "--rubric", str(stricter), "--db", db])
    assert real.exit_code == 0 and "1 new review(s) stored" in real.output and "1 decided by a coach kept" in real.output
    store = Store(db)
    assert store.db["reviews"].count == 3 and store.review_row(3)["supersedes"] == 1
    assert store.review_row(3)["rubric_hash"] != store.review_row(1)["rubric_hash"]
    forced = runner.invoke(app, ["rescore", "--rubric", str(stricter), "--include-decided", "--db", db])
    assert forced.exit_code == 0 and "2 review(s) re-scored" in forced.output
    assert store.review_row(5)["supersedes"] == 2  # bo's decided review, re-scored because asked


def test_rater_agreement_and_intervals_are_reported_beside_the_judges(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    prompts = ["write a poem about our sales team", "summarise this for me please", "make it shorter",
               "translate this email to French", "list five ideas for a team lunch", "fix the grammar here"]
    for n, text in enumerate(prompts):  # the raters split on one case in three; level 1 is settled
        case = {"id": f"p{n}", "artifact": text, "expected": {"level": 1}, "labels": [1, 2 if n % 3 == 0 else 1]}
        (folder / f"p{n}.yaml").write_text(yaml.safe_dump(case))
    r = runner.invoke(app, ["eval", "--cases", str(folder), "--json", "--report", str(tmp_path / "rep")])
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    agreement = body["rater_agreement"]
    assert agreement["raters"]["n"] == 6 and agreement["raters"]["exact"] == pytest.approx(4 / 6)
    assert agreement["raters"]["adjacent"] == 1.0 and agreement["judge"]["exact"] == 1.0
    assert agreement["degradation"] is not None and agreement["pass"]
    assert body["ci"]["exact"] == [1.0, 1.0] and len(body["by_type"]["prompt"]["ci"]["qwk"]) == 2
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "rater-rater QWK (6 cases labelled twice)" in html and "bootstrap 95% intervals" in html
    assert "Reliability diagram" in html and body["calibration"]["ece"] is not None and body["routing"]["n"] == 6
    (folder / "bad.yaml").write_text(yaml.safe_dump({"id": "bad", "artifact": "hi", "expected": {"level": 2},
                                                     "labels": [2, 9]}))
    with pytest.raises(CaseError, match="labels must be levels 1-6"):
        load_cases(folder)


def test_split_is_stratified_seeded_and_each_case_split_once(tmp_path):
    from reviewer.evaluation.split import assign

    pool = tmp_path / "real" / "pool" / "group"
    (pool / "files").mkdir(parents=True)
    for n in range(30):
        kind, level = ("prompt", "workflow")[n % 2], 1 + n % 3
        (pool / "files" / f"c{n}.txt").write_text(f"artifact {n}: summarise the notes for the team")
        (pool / f"c{n}.yaml").write_text(yaml.safe_dump({"id": f"c{n}", "artifact_type": kind, "artifact_file":
                                                         f"files/c{n}.txt", "expected": {"level": level}}))
    cases = [(f"c{n}", ("prompt", "workflow")[n % 2], 1 + n % 3) for n in range(30)]
    first = assign(cases, 1 / 3, seed=7)
    assert first == assign(cases, 1 / 3, seed=7) and first != assign(cases, 1 / 3, seed=8)
    assert sum(v == "test" for v in first.values()) == 10
    for kind in ("prompt", "workflow"):  # every stratum of 5 gives about a third to test
        for level in (1, 2, 3):
            stratum = [i for i, k, lv in cases if k == kind and lv == level]
            assert 1 <= sum(first[i] == "test" for i in stratum) <= 2
    real = tmp_path / "real"
    args = ["eval", "split", "--pool", str(real / "pool"), "--dev", str(real / "dev"), "--test", str(real / "test"),
            "--seed", "7"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0 and "20 case(s) to" in r.output, r.output
    moved = {c.id for c in load_cases(real / "test")}
    assert moved == {i for i, s in first.items() if s == "test"}
    assert all(c.data.startswith(b"artifact") for c in load_cases(real / "dev"))  # artifacts moved with their cases
    record = json.loads((real / "split.json").read_text())
    assert record["batches"][0]["test"] == sorted(moved) and record["counts"] == {"dev": 20, "test": 10}
    again = runner.invoke(app, args)  # nothing left in the pool: nothing moves
    assert again.exit_code == 2 and "split once" in again.output
    (pool / "files" / "late.txt").write_text("a case labelled after the first split")
    (pool / "late.yaml").write_text(yaml.safe_dump({"id": "late", "artifact_type": "prompt", "artifact_file":
                                                    "files/late.txt", "expected": {"level": 2}}))
    later = runner.invoke(app, args)  # a later batch is split on its own; the first stays where it was
    assert later.exit_code == 0, later.output
    assert {c.id for c in load_cases(real / "test")} >= moved
    assert json.loads((real / "split.json").read_text())["counts"] == {"dev": 21, "test": 10}
    (pool / "files" / "c0.txt").write_text("a copy of a case already split")
    (pool / "c0.yaml").write_text(yaml.safe_dump({"id": "c0", "artifact_type": "prompt", "artifact_file":
                                                  "files/c0.txt", "expected": {"level": 1}}))
    dup = runner.invoke(app, args)
    assert dup.exit_code == 2 and "already split: c0" in dup.output
