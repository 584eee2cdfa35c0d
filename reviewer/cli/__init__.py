"""The `reviewer` command line, one module per group of commands as a user sees them:
reviews (review, show, portfolio, roles, rescore), coaching (agreement, export-cases), rubric,
eval, service (serve, worker, jobs), accounts (user), models, report (the team proficiency map)
and demo. Heavy imports (FastAPI, uvicorn, LiteLLM) happen inside the commands that need them,
so `reviewer review` starts fast."""

from __future__ import annotations

import typer

from reviewer.cli import accounts, coaching, demo, evals, models, report, reviews, rubric, service

app = typer.Typer(help="Assess how well people work with generative AI from their real work artifacts.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
reviews.register(app)
coaching.register(app)
service.register(app)
app.add_typer(rubric.app, name="rubric")
app.add_typer(evals.app, name="eval")
app.add_typer(models.app, name="models")
app.add_typer(accounts.app, name="user")
app.add_typer(service.jobs_app, name="jobs")
app.add_typer(report.app, name="report")
app.add_typer(demo.app, name="demo")
