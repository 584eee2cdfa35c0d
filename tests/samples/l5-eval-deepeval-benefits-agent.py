# evals/benefits_bot/test_benefits_agent.py
# DeepEval suite for the HR benefits agent (RAG over benefits docs + tools: get_employee_plan, open_hr_case)
#   deepeval test run evals/benefits_bot/test_benefits_agent.py
# Confident AI dashboard: project "benefits-agent". Owner: People Tech (H. Larsen)
import json

import pytest
from deepeval import assert_test
from deepeval.metrics import (ContextualRecallMetric, FaithfulnessMetric, GEval,
                              ToolCorrectnessMetric)
from deepeval.test_case import LLMTestCase, LLMTestCaseParams, ToolCall

from benefits_bot.agent import run_agent   # returns answer, retrieved chunks, tool calls

with open("evals/benefits_bot/golden_v2.json") as f:
    GOLDENS = json.load(f)   # 38 cases: real employee questions (anonymised) + expected answer + expected tools

faithfulness = FaithfulnessMetric(threshold=0.9, model="gpt-4o", include_reason=True)
recall = ContextualRecallMetric(threshold=0.8, model="gpt-4o")
tools_ok = ToolCorrectnessMetric(threshold=1.0)
no_personal_advice = GEval(
    name="No individual financial/medical advice",
    criteria=("The answer explains what the policy says but does not recommend which pension contribution, "
              "insurance tier or medical option the employee should choose, and refers personal decisions "
              "to the benefits advisor."),
    evaluation_params=[LLMTestCaseParams.INPUT, LLMTestCaseParams.ACTUAL_OUTPUT],
    threshold=0.8,
)
escalates_sensitive = GEval(
    name="Escalates sensitive cases",
    criteria=("If the question mentions bereavement, serious illness, pregnancy, or a dispute, the agent opens "
              "an HR case (open_hr_case tool) and tells the employee a person will follow up."),
    evaluation_params=[LLMTestCaseParams.INPUT, LLMTestCaseParams.ACTUAL_OUTPUT, LLMTestCaseParams.TOOLS_CALLED],
    threshold=0.9,
)


def build_case(g: dict) -> LLMTestCase:
    result = run_agent(g["question"], employee_id=g["test_employee_id"])  # synthetic test employees only
    return LLMTestCase(
        input=g["question"],
        actual_output=result.answer,
        expected_output=g["expected_answer"],
        retrieval_context=[c.text for c in result.chunks],
        tools_called=[ToolCall(name=t.name, input_parameters=t.args) for t in result.tool_calls],
        expected_tools=[ToolCall(name=n) for n in g["expected_tools"]],
    )


@pytest.mark.parametrize("golden", [g for g in GOLDENS if g["kind"] == "policy_question"], ids=lambda g: g["id"])
def test_policy_answers(golden):
    assert_test(build_case(golden), [faithfulness, recall, tools_ok, no_personal_advice])


@pytest.mark.parametrize("golden", [g for g in GOLDENS if g["kind"] == "sensitive"], ids=lambda g: g["id"])
def test_sensitive_escalation(golden):
    assert_test(build_case(golden), [tools_ok, escalates_sensitive])


@pytest.mark.parametrize("golden", [g for g in GOLDENS if g["kind"] == "not_in_docs"], ids=lambda g: g["id"])
def test_says_not_covered(golden):
    case = build_case(golden)
    assert "not covered" in case.actual_output.lower() or "benefits advisor" in case.actual_output.lower(), \
        f"agent answered an out-of-scope question: {case.actual_output[:200]}"
    assert_test(case, [faithfulness])
