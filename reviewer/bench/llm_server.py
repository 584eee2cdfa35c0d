"""The loopback OpenAI-compatible server for the LLM figure: the tests' FakeLLM answering every
request (judge and feedback alike) after a fixed delay, like a remote model's latency.

Run from the repository root (tests/ is not installed): python -m reviewer.bench.llm_server SECONDS
"""

from __future__ import annotations

import sys

from reviewer.bench.serving import serve
from tests.fake_llm import FakeLLM, create_app

if __name__ == "__main__":
    serve(create_app(FakeLLM(delay=float(sys.argv[1]))), "fake llm")
