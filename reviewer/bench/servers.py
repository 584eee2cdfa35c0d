"""The servers, each in its own process on a loopback port it picks itself: the reviewer
(`reviewer serve --port 0`) with a coach account and API token, the bare app, the fake LLM."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from reviewer.bench import corpus, procs
from reviewer.bench.cli import reviewer_cmd

COACH = "coach@example.com"
PASSWORD = "coach-password-1"
URL_LINE = r"serving on http://127\.0\.0\.1:(\d+)/"
START_TIMEOUT_S = 60


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        procs.stop(self.proc)


def _start(cmd: list[str], log: Path, env: dict, cwd: Path) -> Server:
    """Start a server and wait until it answers HTTP: the URL is printed before uvicorn listens."""
    proc = procs.start(cmd, log=log, env=env, cwd=cwd)
    deadline = time.monotonic() + START_TIMEOUT_S
    port = int(procs.wait_for_line(proc, log, URL_LINE, START_TIMEOUT_S).group(1))
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
            return Server(proc, port, log)
        except urllib.error.HTTPError:  # any HTTP answer means it is up
            return Server(proc, port, log)
        except OSError:
            time.sleep(0.05)
    procs.stop(proc)
    raise procs.ChildFailed(f"{cmd[0]} did not answer HTTP on port {port}:\n{procs.tail(log)}")


def _reviewer(args: list[str], env: dict, cwd: Path) -> str:
    """Run a short reviewer command and return its stdout."""
    out = cwd / "command.out"
    with open(out, "wb") as f:
        procs.run(reviewer_cmd() + args, timeout=60, env=env, cwd=cwd, stdout=f).check(f"reviewer {args[0]} {args[1]}")
    return out.read_text()


def add_coach(db: Path, env: dict, cwd: Path) -> None:
    _reviewer(["user", "add", COACH, "--role", "coach", "--password", PASSWORD, "--db", str(db)], env, cwd)


def api_token(db: Path, env: dict, cwd: Path) -> str:
    """A fresh API token for the coach (the command prints it on its last line)."""
    return _reviewer(["user", "token", COACH, "--db", str(db)], env, cwd).strip().splitlines()[-1]


def start_reviewer(db: Path, env: dict, cwd: Path, name: str = "reviewer", workers: int = 1) -> Server:
    return _start(reviewer_cmd() + ["serve", "--db", str(db), "--port", "0", "--workers", str(workers)],
                  cwd / f"{name}.log", env, cwd)


def start_bare(env: dict, cwd: Path) -> Server:
    return _start([sys.executable, "-m", "reviewer.bench.bare"], cwd / "bare.log", env, cwd)


def start_fake_llm(delay_s: float, env: dict, log_dir: Path) -> Server:
    """Started from the repository root, where tests/fake_llm.py is importable."""
    return _start([sys.executable, "-m", "reviewer.bench.llm_server", str(delay_s)], log_dir / "fake-llm.log", env,
                  corpus.ROOT)
