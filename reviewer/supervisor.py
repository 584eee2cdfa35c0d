"""Worker processes beside the server: `settings.workers` of them, started with the app,
restarted when one dies, stopped (and their in-flight jobs given back) when the app stops."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

from reviewer.config import Settings, settings_env

log = logging.getLogger("reviewer.supervisor")
RESTART_PAUSE = 2.0  # seconds between restarts, so a worker that dies at start cannot spin


class WorkerProcesses:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.procs: list[subprocess.Popen] = []
        self.stopping = threading.Event()
        self.monitor = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)

    def _spawn(self) -> subprocess.Popen:
        # --parent: the worker stops (giving its job back) if this process dies, even by kill -9
        return subprocess.Popen([sys.executable, "-m", "reviewer", "worker", "--parent", str(os.getpid())],
                                env=settings_env(self.settings), stdin=subprocess.DEVNULL)

    def start(self) -> None:
        self.procs = [self._spawn() for _ in range(self.settings.workers)]
        if self.procs:
            self.monitor.start()

    def _watch(self) -> None:
        while not self.stopping.wait(RESTART_PAUSE):
            for i, proc in enumerate(self.procs):
                if proc.poll() is not None and not self.stopping.is_set():
                    log.warning("worker %s exited with %s; starting another", proc.pid, proc.returncode)
                    self.procs[i] = self._spawn()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM every worker (each gives its job back), then kill any still running after `timeout`."""
        self.stopping.set()
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
