"""refund_agent/graph.py -- support refund agent (LangGraph).

The agent reads the ticket, looks up the order and the refund policy, and proposes a refund.
Any refund is paused for a human (interrupt_before="issue_refund"); a support lead approves
in the console, which resumes the thread with Command(resume=...).
Owner: Kenji Arai, Support Engineering.
"""
from __future__ import annotations

import os
from typing import Annotated, Literal, TypedDict

from langchain_core.messages import AnyMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode

from .clients import orders_api, payments_api, policy_index

MAX_TOOL_STEPS = 8
AUTO_LIMIT_EUR = 0  # every refund needs approval for now; revisit after 4 weeks of eval data


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    ticket_id: str
    steps: int
    proposed_refund: dict | None


# ---------- tools ----------
@tool
def lookup_order(order_id: str) -> dict:
    """Order with items, amounts paid, delivery status and previous refunds."""
    return orders_api.get(order_id)


@tool
def search_refund_policy(question: str) -> list[dict]:
    """Top 4 passages from the refund policy (with section ids). Cite the section you rely on."""
    return [{"section": h.section, "text": h.text} for h in policy_index.search(question, k=4)]


@tool
def issue_refund(order_id: str, amount_eur: float, reason: str, policy_section: str) -> dict:
    """Issue a refund to the original payment method. Requires human approval (graph interrupt)."""
    order = orders_api.get(order_id)
    already = sum(r["amount_eur"] for r in order["refunds"])
    if amount_eur <= 0 or amount_eur + already > order["paid_eur"]:
        return {"error": f"refund {amount_eur} exceeds refundable {order['paid_eur'] - already}"}
    return payments_api.refund(order_id, amount_eur, reason=reason, ref=policy_section)


READ_TOOLS = [lookup_order, search_refund_policy]
llm = ChatOpenAI(model="gpt-4o-2024-08-06", temperature=0).bind_tools(READ_TOOLS + [issue_refund])

SYSTEM = SystemMessage(content=(
    "You resolve refund requests for Fernhill Outdoor. Always look up the order first, then search "
    "the policy. Only propose a refund the policy supports, and cite the section. If information is "
    "missing or the customer disputes the facts, do not refund: reply with what a human should check. "
    "Never promise a refund to the customer before it is issued."
))


# ---------- nodes ----------
def agent(state: State) -> dict:
    resp = llm.invoke([SYSTEM, *state["messages"]])
    return {"messages": [resp], "steps": state["steps"] + 1}


def route(state: State) -> Literal["read_tools", "issue_refund", "give_up", "__end__"]:
    last = state["messages"][-1]
    if state["steps"] >= MAX_TOOL_STEPS:
        return "give_up"
    if not getattr(last, "tool_calls", None):
        return END
    names = {c["name"] for c in last.tool_calls}
    if "issue_refund" in names:
        return "issue_refund"
    return "read_tools"


def give_up(state: State) -> dict:
    return {"messages": [SystemMessage(content="Step limit reached; escalated to a human.")]}


builder = StateGraph(State)
builder.add_node("agent", agent)
builder.add_node("read_tools", ToolNode(READ_TOOLS))
builder.add_node("issue_refund", ToolNode([issue_refund]))
builder.add_node("give_up", give_up)
builder.add_edge(START, "agent")
builder.add_conditional_edges("agent", route)
builder.add_edge("read_tools", "agent")
builder.add_edge("issue_refund", "agent")
builder.add_edge("give_up", END)

checkpointer = PostgresSaver.from_conn_string(os.environ["AGENT_DB_URL"])
graph = builder.compile(checkpointer=checkpointer, interrupt_before=["issue_refund"])


# =====================================================================
# evals/run_refund_eval.py  -- run by hand before prompt/model changes:
#   python -m evals.run_refund_eval --cases evals/refund_cases.jsonl
# Each case: ticket text, order fixture, expected {decision, amount_eur, policy_section}
# 24 cases: 10 clear refunds, 6 partial, 5 should-refuse, 3 missing-info (must escalate)
# =====================================================================
import json, statistics, sys
from unittest import mock


def run_case(case: dict) -> dict:
    with mock.patch.object(orders_api, "get", return_value=case["order"]), \
         mock.patch.object(payments_api, "refund", side_effect=AssertionError("must not run in eval")):
        cfg = {"configurable": {"thread_id": f"eval-{case['id']}"}, "recursion_limit": 25}
        graph.invoke({"messages": [("user", case["ticket"])], "ticket_id": case["id"], "steps": 0,
                      "proposed_refund": None}, cfg)
        snap = graph.get_state(cfg)
        paused = "issue_refund" in snap.next
        call = None
        if paused:
            call = next(c for c in snap.values["messages"][-1].tool_calls if c["name"] == "issue_refund")["args"]
        return {"decision": "refund" if paused else "no_refund", "call": call,
                "tool_steps": snap.values["steps"]}


def main(path: str) -> None:
    cases = [json.loads(l) for l in open(path)]
    rows = []
    for c in cases:
        got, exp = run_case(c), c["expected"]
        rows.append({
            "id": c["id"],
            "decision_ok": got["decision"] == exp["decision"],
            "amount_ok": exp["decision"] != "refund" or (got["call"] and abs(got["call"]["amount_eur"] - exp["amount_eur"]) < 0.01),
            "section_ok": exp["decision"] != "refund" or (got["call"] and got["call"]["policy_section"] == exp["policy_section"]),
            "steps": got["tool_steps"],
        })
    n = len(rows)
    print(f"decision accuracy  {sum(r['decision_ok'] for r in rows)/n:.2%}")
    print(f"amount accuracy    {sum(bool(r['amount_ok']) for r in rows)/n:.2%}")
    print(f"policy cite match  {sum(bool(r['section_ok']) for r in rows)/n:.2%}")
    print(f"false refunds      {sum(1 for r, c in zip(rows, cases) if not r['decision_ok'] and c['expected']['decision'] != 'refund')}")
    print(f"median tool steps  {statistics.median(r['steps'] for r in rows)}")
    for r in rows:
        if not (r["decision_ok"] and r["amount_ok"] and r["section_ok"]):
            print("FAIL", r)


if __name__ == "__main__":
    main(sys.argv[sys.argv.index("--cases") + 1] if "--cases" in sys.argv else "evals/refund_cases.jsonl")
