"""What every command shares: the one-line error contract, settings, the scoring context,
reading input and the common options."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from reviewer.config import ConfigError, load_settings
from reviewer.rubric import RubricError

DbOpt = Annotated[Optional[Path], typer.Option("--db", help="SQLite file (default: REVIEWER_DB or data/reviewer.db; "
                                                            "another file that does not exist yet is made only with REVIEWER_DB_CREATE=1).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a readable summary.")]
JudgeOpt = Annotated[Optional[str], typer.Option("--judge", help="rules (offline), llm or jury (default: REVIEWER_JUDGE or rules).")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="LiteLLM model for the llm judge, e.g. openai/gpt-4o-mini.")]
ApiBaseOpt = Annotated[Optional[str], typer.Option("--api-base", help="API base URL of the model, e.g. http://127.0.0.1:8080/v1.")]


def fail(message: str) -> NoReturn:
    """One clear line on stderr and exit code 2: the contract for bad input."""
    typer.echo("error: " + " ".join(message.splitlines()), err=True)
    raise typer.Exit(2)


def settings(**overrides):
    """The settings, or a one-line error. Commands that take --db (DbOpt) use the database: for
    them its path is checked too, and a missing file made only when that is allowed (the default
    path, or REVIEWER_DB_CREATE=1), before SQLite opens it."""
    from reviewer.dbfile import DatabaseFileError, check_database_path

    try:
        s = load_settings(**overrides)
        if "db" in overrides:
            check_database_path(s.db, create=s.may_create_db())
        return s
    except (ConfigError, DatabaseFileError) as e:
        fail(str(e))


def context(settings, cache: bool | None = None):
    from reviewer.pipeline import load_context
    try:
        return load_context(settings, cache=cache)
    except RubricError as e:
        fail(str(e))


def read_input(name: str, limit: int) -> bytes:
    """A file's bytes, or stdin's for '-'; read at most one byte past the limit so intake can refuse it."""
    if name == "-":
        return sys.stdin.buffer.read(limit + 1)
    path = Path(name)
    if not path.is_file():
        fail(f"{name}: no such file")
    try:
        with path.open("rb") as f:
            return f.read(limit + 1)
    except OSError as e:
        fail(f"{name}: cannot read: {e.strerror}")


def lookup(db: Path | None, find):
    """find(store, ctx) on the configured store; a missing record is a one-line error."""
    from reviewer.service import NotFound
    from reviewer.store import Store

    s = settings(db=db)
    try:
        return find(Store.open(s), context(s))
    except NotFound as e:
        fail(str(e))
