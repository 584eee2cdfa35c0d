"""The fitted level decision: the ordinal model, its fitting and cross-validation, `rubric fit`,
and the person's own turns of a transcript as the only evidence it gives."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from reviewer import levelmodel
from reviewer.cli import app
from reviewer.evaluation import fit
from reviewer.evaluation.cases import load_cases
from reviewer.judges import rules
from reviewer.rubric import DEFAULT_RUBRIC, RubricError, fit_path, load_rubric
from reviewer.turns import followup_view, person_view

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_probabilities_are_a_distribution_that_moves_up_with_the_score():
    thresholds = [-2.0, -1.0, 0.0, 1.0, 2.0]
    low, high = levelmodel.probabilities(thresholds, -3.0), levelmodel.probabilities(thresholds, 3.0)
    assert abs(sum(low) - 1) < 1e-9 and abs(sum(high) - 1) < 1e-9 and min(low + high) >= 0
    assert low.index(max(low)) == 0 and high.index(max(high)) == 5
    # a higher temperature spreads the same score over more levels: less confident
    assert levelmodel.probabilities(thresholds, 3.5, 3.0)[5] < levelmodel.probabilities(thresholds, 3.5, 1.0)[5]


def test_the_gradient_of_the_penalised_loss_is_exact():
    rng = np.random.default_rng(1)
    X, y = rng.random((30, 6)), rng.integers(1, 7, 30)
    params = rng.normal(size=6 + 5)
    analytic = fit._loss(params, X, y, 0.5)[1]
    central = [(fit._loss(params + h, X, y, 0.5)[0] - fit._loss(params - h, X, y, 0.5)[0]) / 2e-5
               for h in np.eye(len(params)) * 1e-5]
    assert np.abs(analytic - central).max() < 1e-3


def test_fitting_recovers_the_order_and_keeps_evidence_weights_non_negative():
    rng = np.random.default_rng(2)
    level = rng.integers(1, 7, 300)
    signal = level + rng.normal(0, 0.5, 300)           # rises with the level
    noise = rng.random(300)                             # unrelated to it
    against = -level + rng.normal(0, 0.5, 300)          # falls with it, but its weight is bounded at 0
    X = np.column_stack([signal, noise, against])
    w, theta = fit.fit_weights(X, level, [False, False, True], 0.1)
    assert w[0] > 1 and abs(w[1]) < 0.5 and w[2] == 0
    assert all(b > a for a, b in zip(theta, theta[1:]))
    predicted = [levelmodel.predict(levelmodel.LevelModel(weights={"s": w[0]}, thresholds=list(theta), temperature=1),
                                    {"s": s})[0] for s in signal]
    assert np.mean(np.array(predicted) == level) > 0.6


def test_folds_are_seeded_and_stratified_by_level():
    items = [fit.Example(f"c{i}", 1 + i % 3, "prompt", "dev", {}) for i in range(30)]
    first = fit.folds(items, 5, seed=7)
    assert first == fit.folds(items, 5, seed=7) and first != fit.folds(items, 5, seed=8)
    for f in range(5):  # each fold holds two cases of each level
        assert sorted(items[i].level for i in range(30) if first[i] == f) == [1, 1, 2, 2, 3, 3]


def test_the_flag_threshold_is_the_lowest_that_routes_the_required_shares():
    expected = [3, 3, 3, 3, 3, 3]
    got = [3, 3, 4, 5, 3, 2]       # three wrong, one of them two off
    conf = [0.9, 0.8, 0.45, 0.3, 0.7, 0.6]
    below = fit.flag_threshold(expected, got, conf, wrong_share=0.6, far_share=1.0)
    assert below == 0.455          # flags 0.45 and 0.3: two of three wrong, the far one included
    assert fit.flag_threshold(expected, got, conf, wrong_share=1.0, far_share=1.0) == 0.605


@pytest.fixture
def workspace(tmp_path):
    """A copy of the rubric and flag policy, and cases from the golden suite split into a dev
    folder and a recorded frozen test folder."""
    rub = tmp_path / "rubrics"
    rub.mkdir()
    shutil.copy(DEFAULT_RUBRIC, rub / "proficiency.yaml")
    shutil.copy(DEFAULT_RUBRIC.parent / "flags.yaml", rub / "flags.yaml")
    real = tmp_path / "real"
    shutil.copytree(ROOT / "evals" / "golden", real / "dev")
    (real / "test").mkdir()
    (real / "test" / "held-out.yaml").write_text(yaml.safe_dump(
        {"id": "held-out", "artifact_type": "prompt", "artifact": "write a poem about our team", "expected": {"level": 1}}))
    (real / "split.json").write_text(json.dumps({"batches": [{"test": ["held-out"], "dev": []}]}))
    return tmp_path


def test_rubric_fit_writes_the_model_beside_the_rubric_and_sets_the_flag_threshold(workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    rubric_file, policy = workspace / "rubrics" / "proficiency.yaml", workspace / "rubrics" / "flags.yaml"
    before = load_rubric(rubric_file).version_label
    args = ["rubric", "fit", "--cases", str(workspace / "real" / "dev"), "--rubric", str(rubric_file),
            "--flag-policy", str(policy), "--folds", "3"]
    dry = runner.invoke(app, args + ["--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "3-fold cross-validated" in dry.output and "dev: n " in dry.output and "QWK" in dry.output
    assert not fit_path(rubric_file).exists()

    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    model = levelmodel.LevelModel.model_validate_json(fit_path(rubric_file).read_text())
    assert model.fitted["folds"] == 3 and model.fitted["cases"] == {"dev": len(fit.examples(
        load_cases(workspace / "real" / "dev"), "dev", load_rubric(rubric_file)))}
    assert all(v >= 0 for k, v in model.weights.items() if k.startswith("indicator:"))
    cv = model.fitted["cross_validated"]["dev"]
    assert cv["routing"]["wrong_flagged"] is None or cv["routing"]["wrong_flagged"] >= 0.75
    # the fit is part of the rubric's version, and the policy keeps its comments
    assert load_rubric(rubric_file).version_label != before
    text = policy.read_text()
    assert text.startswith("# Flag policy") and f"below: {model.fitted['flag_below']:g}" in text

    frozen = runner.invoke(app, ["rubric", "fit", "--cases", str(workspace / "real" / "test"), "--rubric",
                                 str(rubric_file), "--flag-policy", str(policy), "--dry-run"])
    assert frozen.exit_code == 2 and "frozen test split" in frozen.output


def test_the_rules_judge_explains_a_fitted_level_by_its_weights_and_quotes(workspace):
    rubric_file = workspace / "rubrics" / "proficiency.yaml"
    fit_path(rubric_file).write_text(levelmodel.LevelModel(
        weights={"indicator:output_format": 1.5, "indicator:role_or_audience": 1.0, "type:prompt": 0.1},
        thresholds=[1.0, 2.0, 4.0, 5.0, 6.0], temperature=1.0).model_dump_json())
    rubric = load_rubric(rubric_file)
    text = "You are an HR partner writing for new managers. Reply as a table with three columns and a summary line."
    j = rules.judge(text, None, rubric, "prompt")
    latent = 1.5 + 1.0 + 0.1
    assert j.level == 3 and j.confidence == round(levelmodel.probabilities(rubric.level_model.thresholds, latent)[2], 2)
    assert "above the level-3 threshold 2.00" in j.rationale
    assert "fitted level model" in j.rationale and "output_format (+1.50)" in j.rationale
    assert all(text[e.start:e.end] == e.quote for e in j.evidence)
    assert not j.caps_applied

    fit_path(rubric_file).write_text(levelmodel.LevelModel(
        weights={"indicator:no_such_indicator": 1.0}, thresholds=[1, 2, 3, 4, 5], temperature=1).model_dump_json())
    with pytest.raises(RubricError, match="no_such_indicator.*reviewer rubric fit"):
        load_rubric(rubric_file)


TRANSCRIPTS = {
    "labels": ("**User:** summarise the attached report and cite the page for each claim\n\n"
               "**Assistant:** You are right to ask; I will verify every claim against the sources.\n", 1),
    "specstory": ("_**User (2025-01-02 10:00Z)**_\n\nplease remove the old client\n\n---\n\n"
                  "_**Agent (model claude, mode Agent)**_\n\nI verified the change with the test suite.\n", 2),
    "aider": ("# aider chat started at 2024-05-01\n\n> $ aider\n\n#### add a test for the parser\n\n"
              "I added tests and ran pytest to verify.\n\n#### /run pytest\n", 2),
    "copilot": ("digitarald: fix the deploy\n\nGitHub Copilot: I checked the logs and verified the fix.\n\n"
                "digitarald: Start implementation\n", 2),
}


@pytest.mark.parametrize("kind", TRANSCRIPTS)
def test_only_the_persons_own_turns_are_evidence_in_a_transcript(kind):
    text, user_lines = TRANSCRIPTS[kind]
    view = person_view(text)
    assert len(view) == len(text) and view.count("\n") == text.count("\n")
    kept = [line for line in view.split("\n") if line.strip()]
    assert all(line in text.split("\n") for line in kept)
    assert not any("verif" in line for line in kept)  # the assistant's claims are gone
    assert len([line for line in kept if not line.startswith("_**")]) == user_lines


def test_chatgpt_copied_turns_are_told_apart():
    text = "You said:\nsummarise the report\n\nChatGPT said:\nChurn rose 37%.\n\nYou said:\nwhere does 37% come from?\n"
    kept = [line for line in person_view(text).split("\n") if line.strip()]
    assert kept == ["You said:", "summarise the report", "You said:", "where does 37% come from?"]


@pytest.mark.parametrize("kind", TRANSCRIPTS)
def test_follow_ups_are_the_persons_turns_after_the_first_answer(kind):
    text, _ = TRANSCRIPTS[kind]
    view = followup_view(text)
    assert len(view) == len(text) and view.count("\n") == text.count("\n")
    kept = [line for line in view.split("\n") if line.strip()]
    first_request = {"labels": "summarise", "specstory": "remove", "aider": "add a test", "copilot": "fix the deploy"}
    assert all(line in text.split("\n") and line in person_view(text) for line in kept)
    assert not any(first_request[kind] in line or "verif" in line for line in kept)
    assert kept == {"labels": [], "specstory": [], "aider": ["#### /run pytest"],
                    "copilot": ["digitarald: Start implementation"]}[kind]
    assert followup_view("no speakers here, just a request") is None


def test_a_correction_counts_as_iteration_only_in_a_follow_up(rubric):
    challenge = "Where does that 37% come from? I can't find it in the report I gave you."
    followed_up = f"User: summarise the churn report\n\nAssistant: SMB churn rose 37%.\n\nUser: {challenge}\n"
    met, _ = rules.evidence(followed_up, None, rubric, "transcript")
    challenged = {"iterates_on_output", "verifies_and_critiques"}  # iterating, and checking a claim against the source
    assert all([e.quote for e in met[i]] == [f"User: {challenge}"] for i in challenged)
    asked_first = f"User: {challenge}\n\nAssistant: It is on page 6.\n"  # a question, not a correction
    assert not challenged & rules.evidence(asked_first, None, rubric, "transcript")[0].keys()
    assert not challenged & rules.evidence(challenge, None, rubric, "prompt")[0].keys()


def test_a_transcript_is_judged_on_its_user_turns_and_other_types_on_everything(rubric):
    text = TRANSCRIPTS["labels"][0]
    as_transcript, _ = rules.evidence(text, None, rubric, "transcript")
    as_output, _ = rules.evidence(text, None, rubric, "output_with_edits")
    quotes = [e.quote for hits in as_transcript.values() for e in hits]
    assert quotes and all("Assistant" not in q for q in quotes)
    assert "verifies_and_critiques" in as_output and "verifies_and_critiques" not in as_transcript
    assert person_view("no speakers here, just a request") == "no speakers here, just a request"
