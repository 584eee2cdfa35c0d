"""Running the service: `serve` (the web app and its worker processes), `worker` (a scoring
worker of its own) and `jobs` (the scoring queue: list, retry)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from typing import Annotated, Optional

import typer

from reviewer.cli import common

jobs_app = typer.Typer(help="The scoring queue: list jobs, put parked ones back.", invoke_without_command=True)


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket built with IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted
    connections only for such sockets, and without it every keep-alive response waits ~40 ms
    for Nagle."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # from now on connections wait in the backlog: the URL printed next answers
    except OSError as e:
        sock.close()
        common.fail(f"cannot listen on {host}:{port}: {e.strerror}")
    return sock


def serve(
    host: Annotated[Optional[str], typer.Option(help="Interface to bind (default 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default 8000; 0 picks a free one).")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Scoring worker processes to start beside the server "
                                                        "(default REVIEWER_WORKERS or 1; 0: run `reviewer worker` yourself).")] = None,
    db: common.DbOpt = None,
) -> None:
    """Start the web service and its scoring workers, and print its URL. Example: reviewer serve --port 8000

    The default database (data/reviewer.db) is made on first run; another path that does not
    exist yet is refused (a mistyped REVIEWER_DB) unless REVIEWER_DB_CREATE=1."""
    import sqlite3

    import uvicorn

    from reviewer.accounts import ensure_first_admin
    from reviewer.dbfile import DatabaseFileError, loose_permissions
    from reviewer.rubric import RubricError
    from reviewer.store import Store, StoreBusy
    from reviewer.web.app import create_app

    settings = common.settings(db=db, host=host, port=port, workers=workers)  # checks the database path
    try:
        application = create_app(settings)
        sock = listening_socket(settings.host, settings.port)
        store = Store.open(settings)
        try:
            with store.transaction():  # one process makes the first admin, even when two start at once
                first = ensure_first_admin(store)
        finally:
            store.close()
    except RubricError as e:
        common.fail(str(e))
    except DatabaseFileError as e:  # names the path already
        common.fail(str(e))
    except StoreBusy as e:
        common.fail(f"database {settings.db}: {e}; another process holds its write lock")
    except sqlite3.Error as e:
        common.fail(f"database {settings.db}: {e}; check the file (it may be damaged or not a reviewer "
                    f"database) and the free space of its file system")
    loose = loose_permissions(settings.db)
    if loose:
        typer.echo(f"warning: {', '.join(f'{p} (mode {mode:04o})' for p, mode in loose)} open to other users; "
                   f"they hold password and token hashes: chmod 600 {' '.join(str(p) for p, _ in loose)}", err=True)
    if first:  # printed only by the run that made the admin
        typer.echo(f"first run: created admin account {first[0]} with password {first[1]} (shown once)")
    bound_port = sock.getsockname()[1]
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    typer.echo(f"reviewer serving on http://{shown_host}:{bound_port}/  (database {settings.db}, judge "
               f"{settings.judge}, {settings.workers} worker process(es); Ctrl+C stops)")
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(application, log_level="warning"))
    server.run(sockets=[sock])


def watch_parent(parent: int, on_gone) -> None:
    """Call on_gone once the process `parent` is no longer this one's parent (it died)."""
    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        on_gone()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def worker(
    drain: Annotated[bool, typer.Option("--drain", help="Score every job that is due, then exit.")] = False,
    parent: Annotated[Optional[int], typer.Option(hidden=True, help="Stop when this process dies (serve sets it).")] = None,
    db: common.DbOpt = None,
    judge: common.JudgeOpt = None,
    model: common.ModelOpt = None,
    api_base: common.ApiBaseOpt = None,
) -> None:
    """Score queued artifacts until stopped (SIGTERM or Ctrl+C gives the job in hand back).

    Several workers may run against one database. Example: reviewer worker --db data/reviewer.db
    """
    import logging

    from reviewer.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(process)d %(levelname)s %(message)s")
    settings = common.settings(db=db, judge=judge, model=model, api_base=api_base)
    w = Worker(common.context(settings))
    if parent is not None:
        watch_parent(parent, lambda: os.kill(os.getpid(), signal.SIGTERM))
    with w.stopped_by_signals():
        ran = w.run(drain=drain)
    if drain:
        typer.echo(f"{ran} job(s) scored")


@jobs_app.callback()
def jobs_list(
    ctx: typer.Context,
    state: Annotated[Optional[str], typer.Option(help="Only jobs in this state: queued, scoring, done or failed.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
    as_json: common.JsonOpt = False,
    db: common.DbOpt = None,
) -> None:
    """Count jobs by state and list the newest (parked `failed` ones with their error).

    Example: reviewer jobs --state failed
    """
    if ctx.invoked_subcommand is not None:
        return
    from reviewer import jobs
    from reviewer.store import Store

    if state is not None and state not in jobs.STATES:
        common.fail(f"unknown state {state!r}; use one of: {', '.join(jobs.STATES)}")
    store = Store.open(common.settings(db=db))
    counts, rows = jobs.counts(store), jobs.list_jobs(store, state, limit)
    if as_json:
        typer.echo(json.dumps({"counts": counts, "jobs": rows}, indent=2))
        return
    typer.echo("  ".join(f"{k} {v}" for k, v in counts.items()))
    for r in rows:
        detail = f"  {r['error_kind']}: {r['error']}" if r["error"] else ""
        review = f" review {r['review_id']}" if r["review_id"] else ""
        typer.echo(f"job {r['id']} (submission {r['submission_id']}, artifact {r['artifact_id']}): {r['state']}, "
                   f"{r['attempts']} attempt(s){review}{detail}")


@jobs_app.command("retry")
def jobs_retry(
    job_ids: Annotated[Optional[list[int]], typer.Argument(help="Job ids; all parked jobs when omitted.")] = None,
    db: common.DbOpt = None,
) -> None:
    """Put parked (`failed`) jobs back in the queue with their tries reset.

    Example: reviewer jobs retry 12 13; reviewer jobs retry (every failed job)
    """
    from reviewer import jobs
    from reviewer.store import Store

    n = jobs.retry(Store.open(common.settings(db=db)), job_ids or None, actor="cli")
    typer.echo(f"{n} job(s) back in the queue")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)
