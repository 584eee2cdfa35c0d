"""The HTTP load generator: wrk, driven by a Lua script that sets method, body and headers and
counts every response by status class (wrk's own summary only counts "non-2xx/3xx").

Each run is bounded: a fixed duration, a per-request timeout, and a hard kill shortly after.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reviewer.bench import procs

# Headers arrive as "Name: value" arguments after the method and the body file.
SCRIPT = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = args[1]
  if args[2] ~= "-" then
    local f = assert(io.open(args[2], "rb"))
    wrk.body = f:read("*a")
    f:close()
  end
  for i = 3, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  s1, s2, s3, s4, s5 = 0, 0, 0, 0, 0
end

function response(status, headers, body)
  if status >= 500 then s5 = s5 + 1
  elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1
  elseif status >= 200 then s2 = s2 + 1
  else s1 = s1 + 1 end
end

function done(summary, latency, requests)
  local c = {0, 0, 0, 0, 0}
  for _, t in ipairs(threads) do
    c[1] = c[1] + t:get("s1"); c[2] = c[2] + t:get("s2"); c[3] = c[3] + t:get("s3")
    c[4] = c[4] + t:get("s4"); c[5] = c[5] + t:get("s5")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"duration_us": %d, "requests": %d, "1xx": %d, "2xx": %d, "3xx": %d, "4xx": %d, "5xx": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
    '"latency_p50_ms": %.3f, "latency_p99_ms": %.3f}\n',
    summary.duration, summary.requests, c[1], c[2], c[3], c[4], c[5],
    e.connect, e.read, e.write, e.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


@dataclass(frozen=True)
class Target:
    """One request to repeat: path, method, body (None: no body) and headers."""

    name: str
    path: str
    method: str = "GET"
    body: bytes | None = None
    headers: tuple[str, ...] = ()


def wrk_version() -> str | None:
    exe = shutil.which("wrk")
    if exe is None:
        return None
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
    m = re.search(r"wrk (\S+)", out.stdout + out.stderr)
    return m.group(1) if m else "unknown"


def require_wrk() -> str:
    exe = shutil.which("wrk")
    if exe is None:
        raise procs.ChildFailed("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    return exe


def run(base: str, target: Target, *, connections: int, seconds: int, work: Path) -> dict:
    """One wrk run: requests/s of completed responses, counts per status class and socket errors."""
    script = work / "count.lua"
    if not script.exists():
        script.write_text(SCRIPT)
    body = "-"
    if target.body is not None:
        body_file = work / f"{target.name}.body"
        body_file.write_bytes(target.body)
        body = str(body_file)
    # One wrk thread: on two cores the server needs the other one.
    cmd = [require_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
           base + target.path, "--", target.method, body, *target.headers]
    out = work / "wrk.out"
    with open(out, "wb") as f:
        done = procs.run(cmd, timeout=seconds + 30, stdout=f)
    if done.code != 0:  # wrk prints its usage and some errors on stdout
        raise procs.ChildFailed(f"wrk exited with {done.code}:\n{done.stderr}\n{out.read_text()[-2000:]}")
    m = re.search(r"^BENCH-RESULT (\{.*\})$", out.read_text(), re.M)
    if m is None:
        raise procs.ChildFailed(f"wrk printed no result:\n{out.read_text()[-2000:]}")
    result = json.loads(m.group(1))
    result["responses"] = sum(result[k] for k in ("1xx", "2xx", "3xx", "4xx", "5xx"))
    result["rps"] = result["responses"] / (result["duration_us"] / 1e6)
    return result
