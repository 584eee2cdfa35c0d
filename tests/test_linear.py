"""Scoring time grows linearly with the artifact, whatever its shape.

No test asserts absolute speed (machines differ). Hostile text is compared with realistic text of
the same size scored in the same test, and per-KB time with itself across sizes; CPU time, the
minimum of a few runs, keeps the noise of a busy machine out. That every rubric pattern compiles
on RE2 is the proof that the patterns are linear; the timing tests check the code around them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer.config import Settings
from reviewer.patterns import Pattern, compile_pattern
from reviewer.pipeline import assess, load_context
from reviewer.rubric import DEFAULT_RUBRIC

SAMPLES = Path(__file__).parent / "samples"
SIZE = 64_000
REALISTIC = "\n\n".join(p.read_text() for p in sorted([*SAMPLES.glob("*.txt"), *SAMPLES.glob("*.yaml")]))


def realistic(size: int) -> str:
    return (REALISTIC * (size // len(REALISTIC) + 1)).encode()[:size].decode("utf-8", "ignore")


def repeated(unit: str, size: int) -> str:
    """`unit` over and over, ending on a word (intake strips trailing white space; all-space text is empty)."""
    return (unit * (size // len(unit)))[:size - 4] + " end"


def one_line_json(size: int) -> str:
    """Minified JSON with many keys the rubric's structure checks look for, all on one line."""
    node = {"name": "lookup", "description": "Look up an order", "parameters": {"type": "object"},
            "model": "gpt-4o", "temperature": 0.2, "retry": 3, "role": "agent", "goal": "help"}
    n = size // len(json.dumps({"step0000": node}, separators=(",", ":")))
    return json.dumps({f"step{i:04}": node for i in range(n)}, separators=(",", ":"))


HOSTILE = {
    "blank lines": lambda n: "start\n" + "\n" * (n - 10) + "end",
    "one line of spaces": lambda n: " " * (n - 3) + "end",
    "indented blank lines": lambda n: repeated("  \t \n", n),
    "one huge line": lambda n: realistic(n).replace("\n", " "),
    "a-": lambda n: repeated("a-", n),
    "a/": lambda n: repeated("a/", n),
    "sk-": lambda n: repeated("sk-", n),
    "one-line JSON": one_line_json,
    "unclosed code fences": lambda n: repeated("```x\n", n),
    "speaker then spaces": lambda n: repeated("user" + " " * 2000 + "x\n", n),
    "sentence then spaces": lambda n: repeated("Done." + " " * 2000 + "\n", n),
    "one keyword, many times": lambda n: repeated("template ", n),
}


def cpu_time(run, repeats: int = 3) -> float:
    """The least CPU time of `repeats` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    context = load_context(Settings(db=tmp_path_factory.mktemp("linear") / "x.db"))
    assess(realistic(1000), None, None, context)  # warm up: patterns compiled, modules imported
    return context


@pytest.fixture(scope="module")
def realistic_time(ctx) -> float:
    text = realistic(SIZE)
    return cpu_time(lambda: assess(text, None, None, ctx))


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_text_scores_within_5x_of_realistic_text_of_the_same_size(ctx, realistic_time, kind):
    text = HOSTILE[kind](SIZE)
    assert abs(len(text.encode()) - SIZE) < SIZE // 10
    hostile = cpu_time(lambda: assess(text, None, None, ctx))
    assert hostile <= 5 * realistic_time, f"{kind}: {hostile:.3f}s vs {realistic_time:.3f}s for realistic text"


# Characters the rubric's patterns, the type heuristics and the redaction rules care about.
UNITS = st.text(alphabet=" \t\n-/:{}[]\"'#`*>.@v1askxyuser_=", min_size=1, max_size=8)


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(unit=UNITS)
def test_time_per_kb_stays_flat_as_text_grows_8x(ctx, unit):
    small, large = repeated(unit, 6_000), repeated(unit, 48_000)
    per_kb_small = cpu_time(lambda: assess(small, None, None, ctx)) / 6
    per_kb_large = cpu_time(lambda: assess(large, None, None, ctx)) / 48
    # linear gives about 1x, quadratic 8x; 3x leaves room for noise
    assert per_kb_large <= 3 * per_kb_small + 1e-4, f"{unit!r}: {per_kb_small * 1e3:.2f} -> {per_kb_large * 1e3:.2f} ms/KB"


def _rubric_patterns(data: dict) -> list[str]:
    found = list(data["injection"]["patterns"])
    for ind in data["indicators"]:
        detect = ind["detect"]
        found += detect.get("patterns", []) + detect.get("exclude", [])
        found += [check[k] for check in detect.get("structure", []) for k in ("key", "value") if k in check]
    return found


def test_every_rubric_pattern_compiles_on_the_linear_time_engine():
    patterns = _rubric_patterns(yaml.safe_load(DEFAULT_RUBRIC.read_text()))
    assert len(patterns) > 200
    assert all(isinstance(compile_pattern(p), Pattern) for p in patterns)
