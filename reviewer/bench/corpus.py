"""The texts the benchmark scores: the hand-written samples, realistic text of a given size cut
from them, and adversarial texts of the same size (white space heavy; one-line JSON)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "samples"


@cache
def samples() -> list[Path]:
    """The level-labelled sample artifacts (l1-... to l6-...), in name order."""
    return sorted(p for p in SAMPLES.iterdir() if p.name.startswith("l"))


def _cut(text: str, size: int) -> str:
    """The first `size` UTF-8 bytes of text, never splitting a character."""
    return text.encode()[:size].decode(errors="ignore")


def _fill(unit: str, size: int) -> str:
    return _cut(unit * (size // max(1, len(unit.encode())) + 1), size)


def realistic(size: int) -> str:
    """Every sample concatenated (repeated as needed), cut to `size` bytes."""
    return _fill("\n\n".join(p.read_text() for p in samples()) + "\n\n", size)


def whitespace_heavy(size: int) -> str:
    """Sample prose with runs of spaces between words and blank lines, half of it white space
    padding: the shape that makes careless `\\s*`/`\\s+` patterns backtrack."""
    lines = []
    for line in realistic(64_000).splitlines():
        lines.append("        ".join(line.split()) + " " * 200)
        lines.append("\n" * 6 + " \t " * 40)
    return _fill("\n".join(lines), size)


def _agent(i: int) -> dict:
    return {"role": f"Claims analyst {i}", "goal": "Decide refund claims under policy R-12 and cite the clause used.",
            "backstory": "You work for the payments team. Use only the attached policy; say when it is silent.",
            "llm": {"model": "gpt-4o-mini", "temperature": 0.1},
            "tools": [{"name": "lookup_order", "description": "Fetch an order by id",
                       "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}},
                                      "required": ["order_id"]}}],
            "guardrails": {"human_approval_over_eur": 500, "max_iterations": 5},
            "evals": [{"dataset": "claims-golden.jsonl", "metric": "exact_match", "threshold": 0.9}]}


def minified_json(size: int) -> str:
    """A large agent config as one line of JSON (no newlines), padded to exactly `size` bytes
    so it stays valid JSON."""
    config: dict = {"name": "claims-crew", "agents": [], "notes": ""}
    while len(json.dumps(config, separators=(",", ":")).encode()) < size - 600:
        config["agents"].append(_agent(len(config["agents"])))
    short = size - len(json.dumps(config, separators=(",", ":")).encode())
    config["notes"] = "x" * max(0, short)
    return json.dumps(config, separators=(",", ":"))


KINDS = {"realistic": realistic, "whitespace": whitespace_heavy, "minified_json": minified_json}
