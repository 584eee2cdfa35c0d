"""
PR review team (AutoGen AgentChat 0.4) - platform team internal tool.

reviewer  -> reads the diff, runs static checks, drafts findings
security  -> looks only at auth / secrets / injection / deps
critic    -> checks every finding against the diff (line exists? claim true?) and drops noise
human     -> a maintainer approves before ANYTHING is posted to GitHub

Usage:  python pr_review_team.py --repo acme/billing-api --pr 1432
Env:    OPENAI_API_KEY, GITHUB_TOKEN (fine-grained, read PRs + write PR comments only)
"""
import argparse
import asyncio
import json
import os
import subprocess

import httpx
from autogen_agentchat.agents import AssistantAgent, UserProxyAgent
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import SelectorGroupChat
from autogen_agentchat.ui import Console
from autogen_ext.models.openai import OpenAIChatCompletionClient

GH = "https://api.github.com"
HEADERS = {"Authorization": f"Bearer {os.environ['GITHUB_TOKEN']}", "Accept": "application/vnd.github+json"}
MAX_DIFF_CHARS = 60_000
ALLOWED_CHECKS = {"ruff", "mypy", "bandit"}   # the model cannot run arbitrary commands


async def get_pr_diff(repo: str, pr: int) -> str:
    """Return the unified diff of a pull request (truncated to 60k chars)."""
    async with httpx.AsyncClient(timeout=20) as c:
        r = await c.get(f"{GH}/repos/{repo}/pulls/{pr}",
                        headers={**HEADERS, "Accept": "application/vnd.github.v3.diff"})
        r.raise_for_status()
    diff = r.text
    return diff if len(diff) <= MAX_DIFF_CHARS else diff[:MAX_DIFF_CHARS] + "\n[DIFF TRUNCATED - say so in the review]"


async def run_check(tool: str, paths: list[str]) -> str:
    """Run one static check (ruff, mypy or bandit) on changed files in the local checkout."""
    if tool not in ALLOWED_CHECKS:
        return f"refused: {tool} is not an allowed check"
    safe = [p for p in paths if not p.startswith(("-", "/")) and ".." not in p]
    proc = subprocess.run([tool, *safe], capture_output=True, text=True, timeout=120, cwd="checkout")
    return (proc.stdout + proc.stderr)[-8000:]


async def post_review(repo: str, pr: int, body: str, comments_json: str) -> str:
    """Post the approved review as ONE 'COMMENT' review (never APPROVE / REQUEST_CHANGES)."""
    comments = json.loads(comments_json)
    async with httpx.AsyncClient(timeout=20) as c:
        r = await c.post(f"{GH}/repos/{repo}/pulls/{pr}/reviews", headers=HEADERS,
                         json={"event": "COMMENT", "body": body + "\n\n_Drafted by the review bot, approved by a maintainer._",
                               "comments": comments})
    return f"status {r.status_code}"


def build_team(repo: str, pr: int) -> SelectorGroupChat:
    fast = OpenAIChatCompletionClient(model="gpt-4o-mini", temperature=0)
    strong = OpenAIChatCompletionClient(model="gpt-4o", temperature=0)

    reviewer = AssistantAgent(
        "reviewer", model_client=strong, tools=[get_pr_diff, run_check], reflect_on_tool_use=True,
        system_message=(
            f"You review PR #{pr} in {repo}. Fetch the diff, run ruff and mypy on changed .py files. "
            "Report findings as JSON list: {path, line, severity: blocker|major|minor, finding, evidence}. "
            "evidence = the exact diff line. Only comment on changed lines. No style nits that ruff doesn't flag. "
            "If the diff is truncated, say which files you could not see."
        ),
    )
    security = AssistantAgent(
        "security", model_client=strong, tools=[get_pr_diff, run_check],
        system_message=(
            "Security pass only: secrets in code, authz checks, SQL/command injection, unsafe deserialisation, "
            "new dependencies. Run bandit on changed files. Same JSON format. If nothing found, say NONE - do not invent issues."
        ),
    )
    critic = AssistantAgent(
        "critic", model_client=fast,
        system_message=(
            "You verify findings from reviewer and security. For each: does the evidence line exist in the diff? "
            "Is the claim actually true for that line? Drop anything unverified or duplicated. "
            "Output the final review: a short summary body + the verified comments JSON. "
            "Then write READY_FOR_HUMAN."
        ),
    )
    human = UserProxyAgent("maintainer", input_func=input)   # types APPROVE, or feedback to revise
    publisher = AssistantAgent(
        "publisher", model_client=fast, tools=[post_review],
        system_message=(
            "You may call post_review ONLY if the maintainer's last message is exactly APPROVE. "
            "Otherwise do nothing. After posting, write DONE."
        ),
    )

    termination = (TextMentionTermination("DONE")
                   | TextMentionTermination("ABORT")
                   | MaxMessageTermination(24))   # hard cap so a loop can't burn tokens

    return SelectorGroupChat(
        [reviewer, security, critic, human, publisher],
        model_client=fast,
        termination_condition=termination,
        selector_prompt=(
            "Order: reviewer, security, critic, then maintainer. If the maintainer gives feedback, go back to critic. "
            "publisher only after maintainer says APPROVE.\n{roles}\n{history}\nNext speaker:"
        ),
        allow_repeated_speaker=False,
    )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--pr", type=int, required=True)
    args = ap.parse_args()
    team = build_team(args.repo, args.pr)
    result = await Console(team.run_stream(task=f"Review PR #{args.pr} in {args.repo}."))
    # every run is logged for the monthly precision check (maintainers mark comments useful / noise)
    with open("review_runs.jsonl", "a") as f:
        f.write(json.dumps({"repo": args.repo, "pr": args.pr, "stop_reason": result.stop_reason,
                            "messages": len(result.messages)}) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
