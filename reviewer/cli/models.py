"""`reviewer models`: check the configured LLMs."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from reviewer.cli import common

app = typer.Typer(help="Check the configured LLMs.", no_args_is_help=True)


@app.command("check")
def models_check(model: common.ModelOpt = None, api_base: common.ApiBaseOpt = None) -> None:
    """Call each configured model once; report latency and which structured-output mode works.

    Example: reviewer models check --model openai/local --api-base http://127.0.0.1:8765/v1
    """
    from reviewer.llm import LLMClient, LLMError
    from reviewer.model_check import check_model

    settings = common.settings(model=model, api_base=api_base)
    chains = settings.model_copy(update={"judge": "jury" if settings.jury else "llm"}).model_chains()
    models = {m.name: m for chain in chains for m in chain}
    models.update({m.name: m for m in settings.models if m.name not in models})
    if not models:
        common.fail("no model configured: pass --model, set REVIEWER_MODEL or list `models:` in the config file")
    client = LLMClient(settings.llm.model_copy(update={"cache": False, "repairs": 1}))
    failed = 0
    for m in models.values():
        try:
            result = check_model(client, m)
            window = (f"context window {result.window_tokens:,} tokens" if result.window_tokens
                      else "context window unknown (no limit applied)")
            typer.echo(f"{m.name}: ok in {result.latency_ms:.0f} ms, structured output via {result.mode}, "
                       f"{result.tokens} tokens, {window}")
        except LLMError as e:
            failed += 1
            typer.echo(f"{m.name}: FAILED - {e}")
    if failed:
        raise typer.Exit(1)
