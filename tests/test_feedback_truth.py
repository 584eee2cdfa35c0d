"""Feedback never contradicts the artifact: a gap is something the artifact does not show, and a
strength's quote shows the work, not a bare key line. Realistic artifacts in
tests/feedback_artifacts/, submitted through the service on a real SQLite store."""

import re
from pathlib import Path

import pytest

from reviewer.feedback import build_feedback
from reviewer.judges import rules
from reviewer.pipeline import prepare
from reviewer.service import Item, final_view, submit

ARTIFACTS = Path(__file__).parent / "feedback_artifacts"
SAMPLES = Path(__file__).parent / "samples"
# A line that only names a key whose value follows below: "instructions: |", "knowledge:"
BARE_KEY = re.compile(r"^\s*[\w.-]+:\s*[|>]?[-+]?\s*$")

# (file, role, indicators the artifact plainly demonstrates); each role is one under which the
# indicator would be advice if it were missed (below target: the next level; else consolidation)
CASES = [
    ("agent-invoice-disputes-error-handling.yaml", "individual_contributor", {"error_handling"}),
    ("assistant-returns-desk-error-handling.json", "software_engineer", {"error_handling", "guardrails"}),
    ("chatgpt-churn-summary-challenged.md", None, {"iterates_on_output", "verifies_and_critiques", "grounded_in_sources"}),
    ("chat-export-vendor-figures-challenged.md", "individual_contributor",
     {"iterates_on_output", "verifies_and_critiques", "asks_for_citations", "grounded_in_sources", "output_format"}),
    ("custom-gpt-supplier-onboarding.yaml", "individual_contributor", {"custom_assistant_instructions"}),
]


def shows_content(quote: str) -> bool:
    """At least one line of the quote carries more than a key."""
    return any(line.strip() and not BARE_KEY.match(line) for line in quote.split("\n"))


@pytest.mark.parametrize("name, role, demonstrated", CASES, ids=[c[0] for c in CASES])
def test_feedback_does_not_contradict_the_artifact(store, ctx, name, role, demonstrated):
    data = (ARTIFACTS / name).read_bytes()
    [rid] = submit(store, ctx, [Item(data=data)], person="ana@example.com", role=role, channel="api")
    review = final_view(store, ctx, rid)
    met = {i for d in review.dimensions for i in d.met}
    assert demonstrated <= met, review.feedback
    assert not demonstrated & {g.indicator for g in review.feedback.gaps}
    assert not met & {g.indicator for g in review.feedback.gaps}
    assert review.feedback.strengths
    for s in review.feedback.strengths:
        assert shows_content(s.quote), s
        assert s.quote in data.decode()


def test_a_key_line_is_quoted_with_the_first_line_of_its_value(store, ctx):
    data = (ARTIFACTS / "agent-invoice-disputes-error-handling.yaml").read_text()
    [rid] = submit(store, ctx, [Item(data=data)], role="software_engineer", channel="api")
    review = final_view(store, ctx, rid)
    quotes = {s.indicator: s.quote for s in review.feedback.strengths}
    assert quotes["agent_definitions"] == (
        "instructions: |\n  You triage invoice disputes that customers raise in #billing-help.")
    handled = [e.quote for e in review.evidence if e.indicator == "error_handling"]
    assert handled[0] == "error_handling:\n  on_tool_error: retry_then_escalate"


@pytest.mark.parametrize("path", sorted(p for d in (SAMPLES, ARTIFACTS) for p in d.iterdir()
                                        if p.name not in ("manifest.yaml", "README.md")),
                         ids=lambda p: p.name)
def test_no_role_gets_a_gap_the_artifact_shows_or_a_strength_without_content(path, rubric, roles):
    """Over every sample artifact and every role: the rules judge and the feedback functions."""
    data = path.read_bytes()
    artifact, tree = prepare(data, None, len(data))
    j = rules.judge(artifact.text, tree, rubric, artifact.artifact_type)
    shown = {i for d in j.dimensions for i in d.met} | {e.indicator for e in j.evidence}
    for role_key in [None, *roles.roles]:
        fb = build_feedback(j, rubric, role_key, roles.get(role_key))
        assert not shown & {g.indicator for g in fb.gaps}, (role_key, fb.gaps)
        assert all(shows_content(s.quote) for s in fb.strengths), fb.strengths
