"""Child processes of the benchmark: started in their own session, waited for with deadlines,
and all stopped on exit (also after Ctrl+C or an error), plus their memory from /proc."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_live: list[subprocess.Popen] = []


class ChildFailed(RuntimeError):
    """A child exited badly, said nothing useful in time, or ran past its deadline."""


def start(cmd: list[str], *, log: Path, env: dict | None = None, cwd: Path | None = None) -> subprocess.Popen:
    """Start a long-running child writing stdout and stderr to `log`. Its own session keeps a
    terminal's Ctrl+C away from it, so only stop_all() (or stop()) ends it, in order."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                cwd=cwd, start_new_session=True)
    _live.append(proc)
    return proc


def wait_for_line(proc: subprocess.Popen, log: Path, pattern: str, timeout: float) -> re.Match:
    """The first match of `pattern` in the child's log, polling until `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(pattern, log.read_text(errors="replace"))
        if m:
            return m
        if proc.poll() is not None:
            raise ChildFailed(f"{proc.args[0]} exited ({proc.returncode}) before printing {pattern!r}:\n{tail(log)}")
        time.sleep(0.05)
    raise ChildFailed(f"{proc.args[0]} printed no {pattern!r} within {timeout:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM the child's process group, SIGKILL it after `grace` seconds."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(grace)
        except ProcessLookupError:
            pass
    if proc in _live:
        _live.remove(proc)


def stop_all() -> None:
    for proc in list(_live):
        stop(proc)


@dataclass(frozen=True)
class Exit:
    """A finished run: exit code, wall seconds from spawn to exit, the child's own peak RSS, and
    the end of its stderr (to say why it failed)."""

    code: int
    wall_s: float
    peak_rss_mb: float
    stderr: str

    def check(self, what: str) -> "Exit":
        if self.code != 0:
            raise ChildFailed(f"{what} exited with {self.code}:\n{self.stderr}")
        return self


def _vm_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(cmd: list[str], *, timeout: float, env: dict | None = None, cwd: Path | None = None,
        stdout=subprocess.DEVNULL, watch_rss: bool = False) -> Exit:
    """Run a short command to completion, killed at `timeout` seconds.

    With watch_rss, its peak RSS is VmHWM from /proc, read every millisecond until it exits
    (waitid with WNOWAIT keeps the pid from being reused meanwhile). Not rusage: a child's
    ru_maxrss starts at the size of the process that forked it, here the benchmark itself.
    """
    peak = [0.0]
    exited = threading.Event()
    with tempfile.TemporaryFile() as err:
        start_t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                start_new_session=True)
        _live.append(proc)

        def watch() -> None:
            while not exited.is_set():
                peak[0] = max(peak[0], _vm_hwm_mb(proc.pid))
                exited.wait(0.001)

        watcher = threading.Thread(target=watch, daemon=True)
        timer = threading.Timer(timeout, _kill_group, [proc.pid])
        if watch_rss:
            watcher.start()
        timer.start()
        try:
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            wall = time.perf_counter() - start_t
        finally:
            exited.set()
            timer.cancel()
            if watch_rss:
                watcher.join()
            if proc.poll() is None:  # interrupted while it runs: it must not outlive us
                _kill_group(proc.pid)
            code = proc.wait()
            _live.remove(proc)
        err.seek(0)
        stderr = "\n".join(err.read().decode(errors="replace").splitlines()[-15:])
    if code == -signal.SIGKILL and wall >= timeout:
        raise ChildFailed(f"{' '.join(map(str, cmd))} ran past {timeout:.0f} s and was killed")
    return Exit(code, wall, peak[0], stderr)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def tree(pid: int) -> list[int]:
    """The process and its descendants, from /proc/PID/task/*/children."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                pass
    return pids


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process and its descendants, summed, in MB."""
    total = {"VmRSS": 0.0, "VmHWM": 0.0}
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in total:
                    total[key] += int(value.split()[0]) / 1024
        except OSError:
            pass
    return {"rss_mb": round(total["VmRSS"], 1), "peak_rss_mb": round(total["VmHWM"], 1)}


class RssSampler:
    """The largest summed VmRSS of a process tree, sampled every `every` seconds in a thread."""

    def __init__(self, pid: int, every: float = 0.2):
        self.pid, self.every, self.max_mb = pid, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.max_mb = max(self.max_mb, memory_mb(self.pid)["rss_mb"])
            self._stop.wait(self.every)
