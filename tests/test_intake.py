"""Intake: decoding and refusal, safe structured parsing, and type detection on realistic artifacts."""

from __future__ import annotations

import hashlib
import json
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer.intake import (
    ARTIFACT_TYPES,
    DEFAULT_MAX_BYTES,
    MAX_STRUCTURE_DEPTH,
    IntakeError,
    decode_text,
    detect_type,
    parse_structured,
)
from reviewer.pipeline import PreparedArtifact, prepare


def read_artifact(data, declared_type=None, max_bytes=DEFAULT_MAX_BYTES) -> PreparedArtifact:
    """Intake as the pipeline runs it (decode, redact, parse, type)."""
    return prepare(data, declared_type, max_bytes)[0]

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00"

# --- decoding -----------------------------------------------------------------------------------------------


def test_decodes_plain_utf8():
    assert decode_text("Résumé the café notes – 5 bullets".encode()) == "Résumé the café notes – 5 bullets"


def test_strips_utf8_bom():
    assert decode_text(b"\xef\xbb\xbfSummarise this") == "Summarise this"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_decodes_utf16_with_bom(encoding):
    bom = b"\xff\xfe" if encoding == "utf-16-le" else b"\xfe\xff"
    assert decode_text(bom + "Übersetze: ‘hello’ 👋".encode(encoding)) == "Übersetze: ‘hello’ 👋"


def test_str_input_loses_only_a_leading_bom():
    assert decode_text("\ufeffWrite a haiku\ufeff") == "Write a haiku\ufeff"


@pytest.mark.parametrize("data", [PNG_HEADER, bytes([0x7F, 0x00, 0x12, 0x9C, 0x00, 0xFF, 0x41, 0x00]) * 64])
def test_binary_is_refused_with_a_clear_message(data):
    with pytest.raises(IntakeError) as err:
        decode_text(data)
    assert str(err.value) == ("artifact looks binary (NUL bytes); submit text such as a prompt, transcript or config")


def test_text_full_of_control_characters_is_refused():
    with pytest.raises(IntakeError, match="looks binary"):
        decode_text("ab\x01\x02\x03\x04\x05cd\x06\x07\x08\x0e")


def test_undecodable_bytes_are_refused():
    with pytest.raises(IntakeError, match="not UTF-8 or UTF-16 text"):
        decode_text("Zusammenfassung für Müller".encode("latin-1"))


def test_oversize_is_refused_naming_the_limit():
    with pytest.raises(IntakeError) as err:
        decode_text(b"a" * 2_300_000)
    assert str(err.value) == "artifact is 2.3 MB, over the 1.0 MB limit"
    with pytest.raises(IntakeError, match="over the 10 bytes limit"):
        read_artifact(b"x" * 11, max_bytes=10)


def test_str_size_is_its_utf8_length():
    text = "é" * (DEFAULT_MAX_BYTES // 2 + 1)  # under the limit in characters, over it in bytes
    with pytest.raises(IntakeError, match="over the"):
        decode_text(text)


def test_size_just_over_the_limit_is_reported_in_bytes():
    with pytest.raises(IntakeError) as err:
        decode_text(b"a" * 1_000_001)
    assert str(err.value) == "artifact is 1,000,001 bytes, over the 1,000,000-byte limit"


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", " \n\t\r\n ", b"\xff\xfe \x00\n\x00"])
def test_empty_is_refused(data):
    with pytest.raises(IntakeError) as err:
        decode_text(data)
    assert str(err.value) == "artifact is empty"


def test_line_endings_normalised_and_only_the_end_trimmed():
    assert decode_text(b"  Step 1:\r\n\r\nlist items  \rdone \t\r\n\r\n") == "  Step 1:\n\nlist items  \ndone"


def test_lone_surrogates_are_refused():
    with pytest.raises(IntakeError, match="invalid Unicode"):
        read_artifact("Translate \ud800 this")


# --- safe parsing -------------------------------------------------------------------------------------------

BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]" for prev, name in zip("abcdefgh", "bcdefghi")])
# Under the alias limit (8 x 5 = 40 aliases) but still 5**8 leaves once expanded.
QUIET_BOMB = "\n".join(['a: &a [x, x, x, x, x]']
                       + [f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 5) + "]" for prev, name in zip("abcdefgh", "bcdefghi")])


@pytest.mark.parametrize("bomb", [BILLION_LAUGHS, QUIET_BOMB])
def test_yaml_alias_bombs_are_refused_fast(bomb):
    started = time.monotonic()
    assert parse_structured(bomb) == ("text", None)
    assert time.monotonic() - started < 2


def test_yaml_python_tags_are_never_constructed(monkeypatch):
    def explode(*args):
        raise AssertionError("os.system was called")

    monkeypatch.setattr(os, "system", explode)
    assert parse_structured("!!python/object/apply:os.system ['touch /tmp/pwned']\nx: 1") == ("text", None)
    assert parse_structured("job: build\nrun: !!python/object/apply:os.system ['touch /tmp/pwned']") == ("text", None)


@pytest.mark.parametrize("text", ["[" * 100_000, "[" * 200 + "]" * 200, '{"a":' * 5000 + "1" + "}" * 5000,
                                  "".join(f"{'  ' * i}k{i}:\n" for i in range(MAX_STRUCTURE_DEPTH + 5)) + "  " * 70 + "v",
                                  "[" + "0," * 150_000 + "0]"])
def test_over_deep_or_over_large_structures_come_back_as_text(text):
    assert parse_structured(text) == ("text", None)


def test_json_and_yaml_within_limits_parse():
    assert parse_structured('{"model": "gpt-4o", "tools": []}') == ("json", {"model": "gpt-4o", "tools": []})
    assert parse_structured("[" * 20 + "]" * 20)[0] == "json"
    assert parse_structured("model: gpt-4o\ntemperature: 0.2\n") == ("yaml", {"model": "gpt-4o", "temperature": 0.2})


@pytest.mark.parametrize("text", ["Write a haiku about autumn", "Summarise: the quarterly report below",
                                  "Please review this.\nKeep it short.", "true", "- just a dash"])
def test_plain_text_is_not_parsed_as_yaml(text):
    assert parse_structured(text) == ("text", None)


SUBAGENT = """\
---
name: migration-reviewer
description: Reviews Alembic migrations for locking and data-loss risks. Use proactively on changes under db/migrations/.
tools: Read, Grep, Glob
model: sonnet
---

You review database migrations for the orders service. You never edit files.
For each finding quote the exact line and say why it is risky."""


def test_front_matter_is_split_from_the_body():
    fmt, parsed = parse_structured(SUBAGENT)
    assert fmt == "markdown_front_matter"
    assert parsed["front_matter"] == {
        "name": "migration-reviewer", "tools": "Read, Grep, Glob", "model": "sonnet",
        "description": "Reviews Alembic migrations for locking and data-loss risks. Use proactively on changes under "
                       "db/migrations/."}
    assert parsed["body"].startswith("\nYou review database migrations")


# --- type detection -----------------------------------------------------------------------------------------

N8N = json.dumps({
    "name": "Support triage",
    "nodes": [
        {"parameters": {"path": "support"}, "name": "Webhook", "type": "n8n-nodes-base.webhook", "typeVersion": 2},
        {"parameters": {"text": "Classify this ticket: {{ $json.body }}"}, "name": "AI Agent",
         "type": "@n8n/n8n-nodes-langchain.agent", "typeVersion": 1.7},
        {"parameters": {"channel": "#support"}, "name": "Slack", "type": "n8n-nodes-base.slack", "typeVersion": 2}],
    "connections": {"Webhook": {"main": [[{"node": "AI Agent", "type": "main", "index": 0}]]},
                    "AI Agent": {"main": [[{"node": "Slack", "type": "main", "index": 0}]]}},
}, indent=2)
ZAPIER_STEPS = json.dumps({"zap": {"title": "Summarise new leads", "steps": [
    {"app": "HubSpot", "action": "new_contact"},
    {"app": "ChatGPT", "action": "conversation", "params": {"user_message": "Summarise this lead: {{1.notes}}"}},
    {"app": "Slack", "action": "send_channel_message", "params": {"channel": "#sales"}}]}})
ZAPIER_EXPORT = json.dumps({"metadata": {"version": 2}, "zaps": [{"id": 11, "title": "Inbound lead -> GPT -> Slack", "nodes": {
    "12": {"id": 12, "type_of": "read", "selected_api": "HubSpotCLIAPI@4.12.0", "action": "form_submission"},
    "13": {"id": 13, "type_of": "write", "selected_api": "ChatGPTCLIAPI@2.1.0", "action": "conversation",
           "params": {"model": "gpt-4o-mini"}}}}]})
MAKE = json.dumps({"name": "Invoice extraction", "flow": [
    {"id": 1, "module": "google-email:TriggerWatchEmails", "version": 2, "parameters": {"folder": "INBOX"}},
    {"id": 2, "module": "openai-gpt-3:CreateCompletion", "version": 1,
     "mapper": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Extract the invoice fields: {{1.text}}"}]}},
    {"id": 3, "module": "google-sheets:addRow", "version": 2}], "metadata": {"version": 1}})
POWER_AUTOMATE = json.dumps({"properties": {"definition": {
    "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
    "triggers": {"When_a_new_email_arrives": {"type": "ApiConnection"}},
    "actions": {"Create_text_with_GPT": {"type": "ApiConnection", "runAfter": {}}}}}})
CREWAI_AGENTS = """\
researcher:
  role: >
    Senior market researcher for {industry}
  goal: >
    Find the five most relevant competitor launches from the last 7 days
  backstory: >
    You have tracked this market for ten years and can tell hype from real change.
writer:
  role: Newsletter writer
  goal: Turn the research into a 300-word briefing for sales
  backstory: You write crisp internal newsletters.
"""
CREWAI_TASKS = """\
research_task:
  description: Research {industry} news from the last 7 days and keep the source links.
  expected_output: A list of 5 items, each with a one-line summary and a URL.
  agent: researcher
"""
AUTOGEN = """\
import asyncio

from autogen_agentchat.agents import AssistantAgent, UserProxyAgent
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_ext.models.openai import OpenAIChatCompletionClient

model = OpenAIChatCompletionClient(model="gpt-4o")
writer = AssistantAgent("writer", model_client=model, system_message="Draft release notes from the merged PRs.")
checker = AssistantAgent("checker", model_client=model, system_message="Check every claim against the PR list.")
human = UserProxyAgent("human")
team = RoundRobinGroupChat([writer, checker, human], max_turns=6)


async def main() -> None:
    await team.run(task="Write release notes for v2.3")


asyncio.run(main())
"""
LANGGRAPH = """\
from typing import TypedDict

from langchain_openai import ChatOpenAI
from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    question: str
    answer: str


llm = ChatOpenAI(model="gpt-4o-mini", temperature=0)


def answer(state: State) -> dict:
    return {"answer": llm.invoke(state["question"]).content}


graph = StateGraph(State)
graph.add_node("answer", answer)
graph.add_edge(START, "answer")
graph.add_edge("answer", END)
app = graph.compile()
"""
AGENTS_SDK = """\
from agents import Agent, Runner, function_tool


@function_tool
def order_status(order_id: str) -> str:
    return ORDERS.get(order_id, "not found")


triage = Agent(
    name="Triage",
    instructions="Answer order status questions; hand refunds to a human.",
    tools=[order_status],
)
result = Runner.run_sync(triage, "Where is order 1042?")
print(result.final_output)
"""
OPENAI_ASSISTANT = json.dumps({"object": "assistant", "name": "IT helpdesk", "model": "gpt-4o",
                               "instructions": "You answer employees' IT questions using only the attached runbooks.",
                               "tools": [{"type": "file_search"}], "temperature": 0.2}, indent=2)
MCP = json.dumps({"mcpServers": {"github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"],
                                            "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_TOKEN}"}}}}, indent=2)
VSCODE_MCP = json.dumps({"servers": {"fetch": {"type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"]}}})
PROMPTFOO = """\
description: Ticket triage prompt regression
prompts:
  - file://prompts/triage.txt
providers:
  - openai:gpt-4o-mini
tests:
  - vars:
      ticket: "I was charged twice this month"
    assert:
      - type: equals
        value: Billing
  - vars:
      ticket: "cant log in since the update"
    assert:
      - type: llm-rubric
        value: Categorised as Login/Access with a one-line summary
"""
INSPECT = """\
from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import match
from inspect_ai.solver import generate


@task
def arithmetic():
    return Task(
        dataset=[Sample(input="What is 17 * 3?", target="51")],
        solver=[generate()],
        scorer=match(),
    )
"""
DEEPEVAL = """\
from deepeval import assert_test
from deepeval.metrics import GEval
from deepeval.test_case import LLMTestCase, LLMTestCaseParams

correctness = GEval(name="Correctness", criteria="Is the answer factually correct?",
                    evaluation_params=[LLMTestCaseParams.ACTUAL_OUTPUT, LLMTestCaseParams.EXPECTED_OUTPUT])


def test_refund_policy():
    case = LLMTestCase(input="How long do refunds take?", actual_output=ask_bot("How long do refunds take?"),
                       expected_output="5 business days")
    assert_test(case, [correctness])
"""
OPENAI_EVALS = """\
# registry/evals/clause-tagger.yaml
clause-tagger:
  id: clause-tagger.dev.v1
  description: Tags a contract clause with one of 14 clause types
  metrics: [accuracy]
clause-tagger.dev.v1:
  class: evals.elsuite.basic.match:Match
  args:
    samples_jsonl: clauses/samples.jsonl
"""
PYTHON_CODE = """\
import json

from openai import OpenAI

client = OpenAI()


def summarise(ticket: str) -> str:
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "Summarise the support ticket in one sentence."},
                  {"role": "user", "content": ticket}],
        temperature=0,
    )
    return response.choices[0].message.content
"""
JS_CODE = """\
async function draftReply(email) {
  const res = await fetch("https://api.anthropic.com/v1/messages", {
    method: "POST",
    headers: { "x-api-key": process.env.ANTHROPIC_API_KEY, "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-3-5-sonnet-latest", max_tokens: 400,
      messages: [{ role: "user", content: `Draft a polite reply to:\\n${email}` }] }),
  });
  const data = await res.json();
  return data.content[0].text;
}
"""
TRANSCRIPTS = {
    "plain labels": "User: what are good KPIs for a support team?\nAssistant: Track first response time, CSAT and backlog.\n"
                    "User: give me targets for each\nAssistant: FRT under 4 hours, CSAT above 90%, backlog under 2 days.",
    "bold labels": "**You:** rewrite this job ad for warehouse staff\n\n**ChatGPT:** Here is a shorter version...\n\n"
                   "**You:** too much marketing speak, use short sentences",
    "headings": "### User\nDraft a status update for the migration.\n\n### Assistant\nMigration is 80% done...\n\n"
                "### User\nMention the rollback plan too.",
    "said": "You said:\nsummarise the attached contract\nChatGPT said:\nThe contract runs for 24 months...",
    "human/ai": "Human: Is 2027 a leap year?\nAI: No, 2028 is the next one.",
    "me/claude": "Me: Using only the three files, what is the notice period?\nClaude: 90 days (MSA §14.2).\n"
                 "Me: Check again, quote the heading.",
}
UNIFIED_DIFF = """\
--- ai_draft.md
+++ final.md
@@ -1,3 +1,3 @@
-We are thrilled to announce our best-ever quarter!
+Q3 revenue grew 12% quarter on quarter.
 Our teams delivered across all regions.
"""
STRIKETHROUGH = ("Dear ~~Valued Customer~~ Mr Okafor,\n\n~~We sincerely apologise for any inconvenience.~~ "
                 "I'm sorry your order arrived a week late.")
ORIGINAL_EDITED = """\
Original:
The market was valued at €41.2bn and grows 7.8% a year.

Edited:
The market was valued at €41.2bn and grows 5.9% a year (Frost & Sullivan 2024, p.14).
"""
AI_DRAFT_LABELS = """\
AI draft (Copilot, from my notes)
Our share is approximately 4.5%, making us the third-largest provider.

My edits
Our share is approximately 2.1% (FY23 revenue / market size). Removed the ranking: no source.
"""
CHATGPT_PROFILE = """\
What would you like ChatGPT to know about you to provide better responses?
I'm a finance business partner at a manufacturer. I work in Excel and Power BI.

How would you like ChatGPT to respond?
Be direct. Default to short answers. Use tables when comparing more than two things.
"""
GPT_BUILDER = """\
Name: PolicyBuddy
Description: Answers HR policy questions from the official handbook.
Instructions: Answer only from the uploaded documents and cite the section.
Conversation starters:
- How many days of annual leave do I get?
- Can I carry over holiday?
"""
PERSONA = ("You are Penny, a friendly budgeting assistant for our staff. When the user asks about expenses, cite the "
           "expense policy section. If the user mentions a manager approval, remind them of the 30-day limit. "
           "Keep answers under 120 words.")
COPILOT_INSTRUCTIONS = """\
---
applyTo: "**/*.py"
---
Use type hints everywhere. Prefer pytest fixtures over setUp methods. Never log secrets.
"""
MULTILINE_PROMPT = """\
Act as an internal comms writer for our HR team.

Audience: all staff, mostly reading on their phones.

Write an announcement for the intranet about the new mileage rate (45p per mile from 1 January).
- max 150 words
- headline + 3 bullet points
"""
LABELLED_PROMPT = """\
Context: quarterly business review for the logistics team
Task: draft five slide titles
Tone: plain and confident
"""
FEW_SHOT_COMPLETION = ("Classify the sentiment of each review.\n\nUser: The delivery was quick and friendly.\n"
                       "Assistant: positive\nUser: {review}\nAssistant:")
MEETING_NOTES = """\
Ops weekly sync - 9 Oct
attendees: Priya, Marcus, Jen

- warehouse move pushed to Nov 18, Marcus confirming with the landlord
- returns backlog down to 212 (from 340), still too high
- Q4 headcount: 2 reqs approved, 1 on hold
"""
DATA_JSON = json.dumps({"invoice_id": "INV-2024-0193", "total": 1234.5, "currency": "EUR",
                        "lines": [{"sku": "A4-PAPER", "qty": 40, "unit_price": 3.1}]})
COMPOSE_YAML = """\
services:
  web:
    image: nginx:1.27
    ports:
      - "8080:80"
  db:
    image: postgres:16
"""


@pytest.mark.parametrize("text, expected", [
    pytest.param(N8N, "workflow", id="n8n"),
    pytest.param(ZAPIER_STEPS, "workflow", id="zapier-steps"),
    pytest.param(ZAPIER_EXPORT, "workflow", id="zapier-export"),
    pytest.param(MAKE, "workflow", id="make"),
    pytest.param(POWER_AUTOMATE, "workflow", id="power-automate"),
    pytest.param(CREWAI_AGENTS, "agent_config", id="crewai-agents"),
    pytest.param(CREWAI_TASKS, "agent_config", id="crewai-tasks"),
    pytest.param(AUTOGEN, "agent_config", id="autogen"),
    pytest.param(LANGGRAPH, "agent_config", id="langgraph"),
    pytest.param(AGENTS_SDK, "agent_config", id="openai-agents-sdk"),
    pytest.param(OPENAI_ASSISTANT, "agent_config", id="openai-assistant"),
    pytest.param(SUBAGENT, "agent_config", id="claude-code-subagent"),
    pytest.param(MCP, "agent_config", id="mcp-config"),
    pytest.param(VSCODE_MCP, "agent_config", id="vscode-mcp-config"),
    pytest.param(PROMPTFOO, "eval_config", id="promptfoo"),
    pytest.param(INSPECT, "eval_config", id="inspect"),
    pytest.param(DEEPEVAL, "eval_config", id="deepeval"),
    pytest.param(OPENAI_EVALS, "eval_config", id="openai-evals"),
    pytest.param(PYTHON_CODE, "code", id="python-openai"),
    pytest.param(JS_CODE, "code", id="js-fetch"),
    *[pytest.param(text, "transcript", id=f"transcript-{name}") for name, text in TRANSCRIPTS.items()],
    pytest.param(json.dumps([{"role": "user", "content": "Plan my week"}, {"role": "assistant", "content": "Sure..."}]),
                 "transcript", id="transcript-json"),
    pytest.param(UNIFIED_DIFF, "output_with_edits", id="edits-diff"),
    pytest.param(STRIKETHROUGH, "output_with_edits", id="edits-strikethrough"),
    pytest.param(ORIGINAL_EDITED, "output_with_edits", id="edits-original-edited"),
    pytest.param(AI_DRAFT_LABELS, "output_with_edits", id="edits-ai-draft"),
    pytest.param("Launch date moves to 3 March [edited: was 1 March, the AI guessed].", "output_with_edits",
                 id="edits-marker"),
    pytest.param(CHATGPT_PROFILE, "custom_instructions", id="custom-chatgpt-profile"),
    pytest.param(GPT_BUILDER, "custom_instructions", id="custom-gpt-builder"),
    pytest.param(PERSONA, "custom_instructions", id="custom-persona"),
    pytest.param(COPILOT_INSTRUCTIONS, "custom_instructions", id="custom-copilot"),
    pytest.param("write a follow up email to the client who didnt answer my proposal", "prompt", id="prompt-oneliner"),
    pytest.param(MULTILINE_PROMPT, "prompt", id="prompt-multiline"),
    pytest.param(LABELLED_PROMPT, "prompt", id="prompt-labelled"),
    pytest.param(FEW_SHOT_COMPLETION, "prompt", id="prompt-few-shot-template"),
    pytest.param(json.dumps({"model": "gpt-4o", "messages": [{"role": "system", "content": "Be terse."},
                                                             {"role": "user", "content": "Name three KPIs."}]}),
                 "prompt", id="prompt-api-payload"),
    pytest.param(MEETING_NOTES, "other", id="other-notes"),
    pytest.param(DATA_JSON, "other", id="other-json"),
    pytest.param(COMPOSE_YAML, "other", id="other-yaml"),
])
def test_detects_type(text, expected):
    artifact = read_artifact(text)
    assert artifact.artifact_type == expected
    assert artifact.type_detected is True


def test_detect_type_works_on_the_parse_result():
    fmt, parsed = parse_structured(N8N)
    assert (fmt, detect_type(N8N, fmt, parsed)) == ("json", "workflow")
    assert detect_type(PYTHON_CODE, "text", None) == "code"


# --- the artifact -------------------------------------------------------------------------------------------

def test_artifact_records_the_original_bytes():
    raw = b"\xef\xbb\xbfmodel: gpt-4o\r\ntemperature: 0.2\r\n"
    artifact = read_artifact(raw)
    assert artifact.text == "model: gpt-4o\ntemperature: 0.2"
    assert artifact.fmt == "yaml"
    assert artifact.sha256_original == hashlib.sha256(raw).hexdigest()
    assert artifact.size_bytes == len(raw)
    assert read_artifact("café prompt").size_bytes == len("café prompt".encode())


@pytest.mark.parametrize("declared", ["code", " Transcript "])
def test_declared_type_is_honoured(declared):
    artifact = read_artifact("Write a haiku about autumn", declared_type=declared)
    assert artifact.artifact_type == declared.strip().lower()
    assert artifact.type_detected is False


@pytest.mark.parametrize("declared", [None, "", "detect"])
def test_detection_when_no_type_is_declared(declared):
    artifact = read_artifact("Write a haiku about autumn", declared_type=declared)
    assert (artifact.artifact_type, artifact.type_detected) == ("prompt", True)


def test_unknown_declared_type_is_refused_naming_the_allowed_types():
    with pytest.raises(IntakeError) as err:
        read_artifact("Write a haiku", declared_type="poem")
    assert "'poem'" in str(err.value)
    assert all(t in str(err.value) for t in ARTIFACT_TYPES)


# --- properties ---------------------------------------------------------------------------------------------

def _accepted_or_refused(data: bytes | str) -> None:
    try:
        artifact = read_artifact(data)
    except IntakeError as err:
        assert str(err)
    else:
        assert isinstance(artifact, PreparedArtifact)
        assert artifact.artifact_type in ARTIFACT_TYPES
        assert artifact.fmt in ("json", "yaml", "markdown_front_matter", "text")


@FAST
@given(st.binary(max_size=4096))
def test_any_bytes_give_an_artifact_or_an_intake_error(data):
    _accepted_or_refused(data)


@FAST
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=2000))  # includes lone surrogates
def test_any_text_gives_an_artifact_or_an_intake_error(text):
    _accepted_or_refused(text)


YAMLISH = st.lists(st.sampled_from([*"abc01:-_[]{}&*!#|>'\",.? \n\t%@`", "!!python/object:os.system ", "---\n", "<<: *a",
                                     "&a ", "{{", "\ud800", "\n  - ", "key: "]), max_size=60).map("".join)


@FAST
@given(st.one_of(st.text(), YAMLISH))
def test_parse_structured_never_raises(text):
    fmt, parsed = parse_structured(text)
    assert fmt in ("json", "yaml", "markdown_front_matter", "text")
    assert (parsed is None) == (fmt == "text")
    assert detect_type(text, fmt, parsed) in ARTIFACT_TYPES


def test_fenced_blocks_are_left_out_of_code_and_transcript_detection():
    prose = ("Please review the snippet below and tell me what it does, in plain words for a new hire.\n"
             "```python\nimport os\nx = 1\nprint(x)\ndef f():\n    return 2\n```\n"
             "Keep the answer short and friendly, please, and avoid jargon where you can.")
    assert detect_type(prose, "text", None) == "prompt"
    quoted = "Here is a chat I had:\n```\nUser: hi\nAssistant: hello\n```\nWhat went wrong?"
    assert detect_type(quoted, "text", None) == "prompt"
    unclosed = "Here is a chat I had:\n```\nUser: hi\nAssistant: hello there, how can I help?"
    assert detect_type(unclosed, "text", None) == "transcript"  # no closing fence: no block


def test_front_matter_after_blank_lines_is_still_front_matter():
    agent = "---\nname: reviewer\ndescription: Reviews pull requests\ntools: Read, Grep\n---\nYou review diffs."
    for text in (agent, "\n\n" + agent, "  \n\t\n" + agent):
        fmt, tree = parse_structured(text)
        assert fmt == "markdown_front_matter" and tree["front_matter"]["name"] == "reviewer"
        assert detect_type(text, fmt, tree) == "agent_config"
