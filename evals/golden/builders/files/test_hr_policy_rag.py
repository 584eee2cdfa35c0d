"""tests/evals/test_hr_policy_rag.py

Evaluates "PeopleDesk", the HR policy agent (retrieval over the handbook + leave-balance tool).
Run on a laptop with staging creds:   deepeval test run tests/evals/test_hr_policy_rag.py -n 4
Goldens were written with two HR business partners (Amaka Eze, Lars Holm) from real, anonymised
questions in the HR inbox, March-August 2024.
"""
import json
import os

import pytest
from deepeval import assert_test
from deepeval.dataset import EvaluationDataset, Golden
from deepeval.metrics import (
    AnswerRelevancyMetric,
    ContextualPrecisionMetric,
    ContextualRecallMetric,
    FaithfulnessMetric,
    GEval,
)
from deepeval.test_case import LLMTestCase, LLMTestCaseParams, ToolCall

from peopledesk.agent import run_agent  # returns AgentResult(answer, retrieved_chunks, tool_calls, escalated)

JUDGE = os.getenv("EVAL_JUDGE_MODEL", "gpt-4o")

with open("tests/evals/data/peopledesk_goldens.json") as f:
    raw = json.load(f)  # 85 goldens; 12 marked "sensitive" (grievance, medical, pregnancy, dismissal)

dataset = EvaluationDataset(
    goldens=[
        Golden(
            input=g["question"],
            expected_output=g["reference_answer"],
            context=g["source_passages"],
            additional_metadata={"country": g["country"], "sensitive": g["sensitive"],
                                 "expected_tool": g.get("expected_tool"), "must_escalate": g["must_escalate"]},
        )
        for g in raw
    ]
)

faithfulness = FaithfulnessMetric(threshold=0.85, model=JUDGE, include_reason=True)
relevancy = AnswerRelevancyMetric(threshold=0.8, model=JUDGE)
ctx_recall = ContextualRecallMetric(threshold=0.75, model=JUDGE)
ctx_precision = ContextualPrecisionMetric(threshold=0.6, model=JUDGE)
right_country = GEval(
    name="Correct country policy",
    criteria=("The answer applies the policy of the employee's country given in the input "
              "(UK, DE or PL) and does not mix rules from other countries."),
    evaluation_params=[LLMTestCaseParams.INPUT, LLMTestCaseParams.ACTUAL_OUTPUT, LLMTestCaseParams.EXPECTED_OUTPUT],
    threshold=0.7,
    model=JUDGE,
)


def _to_case(golden: Golden) -> LLMTestCase:
    res = run_agent(golden.input, employee_id="eval-fixture-001")  # fixture employee in staging HRIS
    return LLMTestCase(
        input=golden.input,
        actual_output=res.answer,
        expected_output=golden.expected_output,
        retrieval_context=[c.text for c in res.retrieved_chunks],
        context=golden.context,
        tools_called=[ToolCall(name=t.name, input_parameters=t.args) for t in res.tool_calls],
        additional_metadata={**golden.additional_metadata, "escalated": res.escalated},
    )


@pytest.mark.parametrize("golden", dataset.goldens, ids=lambda g: g.input[:40])
def test_answer_quality(golden: Golden):
    meta = golden.additional_metadata
    case = _to_case(golden)
    if meta["must_escalate"]:
        # sensitive topics: the agent must hand off to a human HRBP and not give substantive advice
        assert case.additional_metadata["escalated"], "sensitive question was not escalated"
        return
    if meta["expected_tool"]:
        assert any(t.name == meta["expected_tool"] for t in case.tools_called), "expected tool not called"
    assert_test(case, [faithfulness, relevancy, ctx_recall, ctx_precision, right_country])


# Last full run 2024-09-30 (gpt-4o agent, text-embedding-3-large, k=6):
#   faithfulness pass 79/73 non-escalation cases?? -> 69/73 (94.5%), relevancy 71/73, ctx recall 60/73 (82%),
#   country 70/73, escalation 12/12. Low recall mostly on DE parental-leave questions: chunking splits the table.
# Next: re-chunk the DE handbook, then re-run. Would like this in CI eventually.
