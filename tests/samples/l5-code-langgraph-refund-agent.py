# refund_agent/graph.py
# Customer refund agent for the support desk (LangGraph). Owner: Support Eng (K. Osei)
#
# Flow: agent (plans + calls read-only tools) -> policy_check -> [human approval if needed] -> issue_refund
# - the LLM never calls issue_refund itself; only the graph does, after the checks
# - refunds > EUR 100 or outside policy always go to a human (interrupt)
# - per-ticket memory via the Postgres checkpointer (thread_id = ticket id)
# - traces go to LangSmith (LANGCHAIN_TRACING_V2=true, project "refund-agent")
import os
from typing import Annotated, Literal, TypedDict

from langchain_core.messages import AnyMessage, SystemMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from langchain_postgres import PGVector
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command, interrupt
from pydantic import BaseModel, Field

from .backend import orders_api, payments_api   # thin internal clients, read-only except payments_api.refund

AUTO_APPROVE_LIMIT_EUR = 100
MAX_AGENT_STEPS = 8

policy_store = PGVector(
    connection=os.environ["SUPPORT_DB_URL"],
    collection_name="refund_policy_v4",
    embeddings=OpenAIEmbeddings(model="text-embedding-3-small"),
)


@tool
def get_order(order_id: str) -> dict:
    """Look up an order: items, amounts paid, delivery status and date, previous refunds."""
    return orders_api.get(order_id)


@tool
def search_refund_policy(question: str) -> list[dict]:
    """Search the refund policy. Returns passages with their section ids - cite them."""
    docs = policy_store.similarity_search(question, k=4)
    return [{"section": d.metadata["section"], "text": d.page_content} for d in docs]


class RefundProposal(BaseModel):
    order_id: str
    amount_eur: float = Field(ge=0)
    reason: Literal["not_delivered", "damaged", "wrong_item", "late", "goodwill", "other"]
    policy_sections: list[str] = Field(min_length=1, description="policy section ids that allow this refund")
    customer_message: str = Field(max_length=800)


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    ticket_id: str
    proposal: RefundProposal | None
    steps: int
    outcome: str | None


SYSTEM = SystemMessage(content=(
    "You handle refund requests for an online furniture shop. Use get_order and search_refund_policy. "
    "Only propose a refund the policy allows, and cite the sections. If the policy does not cover the case, "
    "propose amount 0 with reason 'other' and explain - a human will decide. Never promise a refund to the customer."
))

tools = [get_order, search_refund_policy]
llm = ChatOpenAI(model="gpt-4o-2024-08-06", temperature=0)
planner = llm.bind_tools(tools)
proposer = llm.with_structured_output(RefundProposal)


def agent(state: State) -> dict:
    if state["steps"] >= MAX_AGENT_STEPS:
        return {"outcome": "escalated_step_limit"}
    msg = planner.invoke([SYSTEM, *state["messages"]])
    return {"messages": [msg], "steps": state["steps"] + 1}


def propose(state: State) -> dict:
    proposal = proposer.invoke([SYSTEM, *state["messages"],
                                ("user", "Now give your refund proposal in the required structure.")])
    return {"proposal": proposal}


def policy_check(state: State) -> Command[Literal["human_approval", "issue_refund", "close"]]:
    p = state["proposal"]
    order = orders_api.get(p.order_id)
    already = sum(r["amount_eur"] for r in order["refunds"])
    if p.amount_eur == 0:
        return Command(goto="human_approval")
    if p.amount_eur + already > order["paid_eur"]:
        return Command(goto="close", update={"outcome": "rejected_exceeds_paid"})   # hard rule, not up to the model
    if p.amount_eur > AUTO_APPROVE_LIMIT_EUR or p.reason in ("goodwill", "other"):
        return Command(goto="human_approval")
    return Command(goto="issue_refund")


def human_approval(state: State) -> Command[Literal["issue_refund", "close"]]:
    decision = interrupt({"ticket": state["ticket_id"], "proposal": state["proposal"].model_dump()})
    if decision.get("approved"):
        amount = decision.get("amount_eur", state["proposal"].amount_eur)
        return Command(goto="issue_refund", update={"proposal": state["proposal"].model_copy(update={"amount_eur": amount})})
    return Command(goto="close", update={"outcome": "rejected_by_human"})


def issue_refund(state: State) -> dict:
    p = state["proposal"]
    payments_api.refund(order_id=p.order_id, amount_eur=p.amount_eur,
                        idempotency_key=f"{state['ticket_id']}:{p.order_id}")
    return {"outcome": "refunded"}


def close(state: State) -> dict:
    return {}


def route_agent(state: State) -> str:
    if state.get("outcome") == "escalated_step_limit":
        return "close"   # ticket goes back to the human queue with the transcript
    return tools_condition(state) if tools_condition(state) == "tools" else "propose"


g = StateGraph(State)
g.add_node("agent", agent)
g.add_node("tools", ToolNode(tools))
g.add_node("propose", propose)
g.add_node("policy_check", policy_check)
g.add_node("human_approval", human_approval)
g.add_node("issue_refund", issue_refund)
g.add_node("close", close)
g.add_edge(START, "agent")
g.add_conditional_edges("agent", route_agent, {"tools": "tools", "propose": "propose", "close": "close"})
g.add_edge("tools", "agent")
g.add_edge("propose", "policy_check")
g.add_edge("issue_refund", END)
g.add_edge("close", END)

checkpointer = PostgresSaver.from_conn_string(os.environ["SUPPORT_DB_URL"])
graph = g.compile(checkpointer=checkpointer)

# Eval: refund_agent/evals/run_evals.py replays 60 historical tickets (evals/cases.jsonl) with
# expected {outcome, max_amount, must_cite}. Gate for deploy: 0 refunds above policy, >= 90% outcome match.
