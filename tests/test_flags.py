from reviewer.flags import ReviewFacts, audit_draw, evaluate

SETTLED = dict(reviews_under_rubric=1000)  # past the new-rubric-version window


def kinds(facts, policy):
    return [f.kind for f in evaluate(facts, policy)]


def test_a_clean_confident_review_raises_nothing(policy):
    assert kinds(ReviewFacts(level=3, confidence=0.8, target=3, **SETTLED), policy) == []


def test_each_rule_fires_on_its_condition(policy):
    below = policy.param("low_confidence", "below", 0)
    assert kinds(ReviewFacts(level=3, confidence=below - 0.01, **SETTLED), policy) == ["low_confidence"]
    assert kinds(ReviewFacts(level=3, confidence=below, **SETTLED), policy) == []
    assert kinds(ReviewFacts(level=1, confidence=0.9, target=3, **SETTLED), policy) == ["large_gap_to_target"]
    assert kinds(ReviewFacts(level=5, confidence=0.9, target=3, **SETTLED), policy) == ["large_gap_to_target"]
    assert kinds(ReviewFacts(level=2, confidence=0.9, target=3, **SETTLED), policy) == []
    assert kinds(ReviewFacts(level=2, confidence=0.9, injection_lines=2, **SETTLED), policy) == ["prompt_injection"]
    assert kinds(ReviewFacts(level=2, confidence=0.9, judge_levels={"rules": 2, "llm": 4}, **SETTLED),
                 policy) == ["judge_disagreement"]
    assert kinds(ReviewFacts(level=2, confidence=0.9, judge_levels={"rules": 2, "llm": 3}, **SETTLED), policy) == []
    assert kinds(ReviewFacts(level=2, confidence=0.9, sample_levels=[2, 4, 3], **SETTLED), policy) == ["sample_spread"]
    assert kinds(ReviewFacts(level=2, confidence=0.9, insufficient_evidence=True, **SETTLED),
                 policy) == ["insufficient_evidence"]
    assert kinds(ReviewFacts(level=2, confidence=0.9, reviews_under_rubric=3, rubric_label="1.0+abc"),
                 policy) == ["new_rubric_version"]


def test_flags_come_most_severe_first_with_reasons(policy):
    flags = evaluate(ReviewFacts(level=1, confidence=0.2, target=5, injection_lines=1, unverified_quotes=2,
                                 **SETTLED), policy)
    assert [f.severity for f in flags] == sorted([f.severity for f in flags], reverse=True)
    by_kind = {f.kind: f for f in flags}
    assert by_kind["unverified_evidence"].reason.startswith("2 quoted piece(s)")
    assert by_kind["large_gap_to_target"].reason == "4 levels below the role target"
    assert by_kind["low_confidence"].reason == f"confidence 0.20 is below {policy.param('low_confidence', 'below', 0)}"


def test_random_audit_is_stable_and_near_its_rate(policy):
    assert audit_draw("abc") == audit_draw("abc")
    drawn = sum("random_audit" in kinds(ReviewFacts(level=3, confidence=0.9, audit_key=f"k{i}", **SETTLED), policy)
                for i in range(2000))
    assert 60 <= drawn <= 140  # 5% of 2000 = 100


def test_disabled_rule_stays_quiet(policy):
    rules = dict(policy.rules)
    rules["low_confidence"] = rules["low_confidence"].model_copy(update={"enabled": False})
    quiet = policy.model_copy(update={"rules": rules})
    assert kinds(ReviewFacts(level=3, confidence=0.1, **SETTLED), quiet) == []


def test_an_llm_failure_is_named_for_what_it_is(policy):
    down = ReviewFacts(level=2, confidence=0.9, llm_error="openai/x: APIConnectionError", **SETTLED)
    assert kinds(down, policy) == ["llm_unavailable"]  # a failure of no stated kind is unavailability
    assert kinds(down.model_copy(update={"llm_failure": "unavailable"}), policy) == ["llm_unavailable"]
    [flag] = evaluate(ReviewFacts(level=2, confidence=0.9, llm_failure="context_window",
                                  llm_error="openai/x: the input exceeds its context window", **SETTLED), policy)
    assert flag.kind == "llm_failed" and "exceeds its context window" in flag.reason


def test_an_excerpt_is_flagged_with_its_size(policy):
    excerpt = {"model": "openai/x", "window_tokens": 8192, "artifact_tokens": 12345, "sent_tokens": 4000,
               "spans": [[0, 100], [5000, 5400]]}
    [flag] = evaluate(ReviewFacts(level=3, confidence=0.9, excerpt=excerpt, **SETTLED), policy)
    assert flag.kind == "excerpted" and "4,000 of 12,345 tokens" in flag.reason and flag.severity == 1
