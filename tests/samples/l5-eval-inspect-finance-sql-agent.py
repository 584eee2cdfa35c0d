"""
Inspect AI eval for the "ask-finance" SQL agent (answers finance questions by querying the DW).

    inspect eval evals/ask_finance.py --model openai/gpt-4o -T split=regression
    inspect view   # look at failing transcripts before changing the prompt

Sandbox: docker compose with a Postgres loaded from the anonymised FY23 snapshot (fixtures/fy23_snapshot.sql).
Dataset: 45 questions the FP&A team actually asked in Slack, with answers computed by an analyst by hand.
"""
import re

from inspect_ai import Task, task
from inspect_ai.dataset import Sample, json_dataset
from inspect_ai.scorer import (CORRECT, INCORRECT, PARTIAL, Score, Target, accuracy,
                               model_graded_qa, scorer, stderr)
from inspect_ai.solver import TaskState, basic_agent, system_message
from inspect_ai.tool import tool
from inspect_ai.util import sandbox

SYSTEM = """You answer finance questions by querying the read-only finance data warehouse.
Use list_tables and describe_table before writing SQL. Use run_sql for SELECT queries only.
Fiscal year starts 1 April. Amounts are in EUR thousands unless the column says otherwise.
Final answer format: ANSWER: <number with unit> | SQL: <the final query> | CAVEATS: <assumptions or 'none'>
If the data cannot answer the question, reply ANSWER: CANNOT_ANSWER and explain why."""


@tool
def run_sql():
    async def execute(query: str) -> str:
        """Run a read-only SQL query on the finance warehouse and return up to 50 rows as CSV.

        Args:
            query: A single SELECT statement.
        """
        if not re.match(r"^\s*(select|with)\b", query, re.I) or ";" in query.strip().rstrip(";"):
            return "ERROR: only a single SELECT/WITH statement is allowed"
        result = await sandbox().exec(
            ["psql", "-U", "readonly", "-d", "finance", "--csv", "-c", query], timeout=30)
        return (result.stdout or result.stderr)[:6000]
    return execute


@tool
def list_tables():
    async def execute() -> str:
        """List the tables in the finance warehouse."""
        r = await sandbox().exec(["psql", "-U", "readonly", "-d", "finance", "-c", r"\dt"])
        return r.stdout
    return execute


@tool
def describe_table():
    async def execute(table: str) -> str:
        """Show the columns of a table.

        Args:
            table: table name, e.g. gl_actuals
        """
        if not re.fullmatch(r"[a-z_]+", table):
            return "ERROR: invalid table name"
        r = await sandbox().exec(["psql", "-U", "readonly", "-d", "finance", "-c", f"\\d {table}"])
        return r.stdout
    return execute


@scorer(metrics=[accuracy(), stderr()])
def numeric_answer(tolerance: float = 0.005):
    """Correct if the number in ANSWER is within 0.5% of the analyst's figure; CANNOT_ANSWER cases must say so."""
    async def score(state: TaskState, target: Target) -> Score:
        text = state.output.completion
        m = re.search(r"ANSWER:\s*([^|]+)", text)
        if not m:
            return Score(value=INCORRECT, explanation="no ANSWER line")
        answer = m.group(1).strip()
        if target.text == "CANNOT_ANSWER":
            return Score(value=CORRECT if "CANNOT_ANSWER" in answer else INCORRECT, answer=answer)
        num = re.search(r"-?[\d,]+(\.\d+)?", answer)
        if not num:
            return Score(value=INCORRECT, answer=answer)
        got, want = float(num.group().replace(",", "")), float(target.text)
        if abs(got - want) <= abs(want) * tolerance:
            return Score(value=CORRECT, answer=answer)
        if abs(got - want) <= abs(want) * 0.05:
            return Score(value=PARTIAL, answer=answer, explanation="within 5% - likely a period/filter issue")
        return Score(value=INCORRECT, answer=answer)
    return score


def record_to_sample(r: dict) -> Sample:
    return Sample(input=r["question"], target=str(r["answer"]), id=r["id"],
                  metadata={"asked_by": r["team"], "difficulty": r["difficulty"]})


@task
def ask_finance(split: str = "regression") -> Task:
    return Task(
        dataset=json_dataset(f"data/ask_finance_{split}.jsonl", record_to_sample),
        solver=basic_agent(
            init=system_message(SYSTEM),
            tools=[list_tables(), describe_table(), run_sql()],
            max_attempts=1,
            message_limit=30,
        ),
        scorer=[
            numeric_answer(),
            model_graded_qa(instructions="Grade C only if the CAVEATS mention every assumption the SQL makes "
                                         "(period, currency, entity filter). Otherwise I."),
        ],
        sandbox="docker",
    )

# last regression run (2024-08-30, gpt-4o): numeric_answer 0.84 (38/45), caveats 0.71
# 5 of 7 misses were fiscal-year boundaries -> added FY rule to SYSTEM, re-running
