"""Shared fixtures: the real rubric, a temp SQLite file, and a uvicorn server on loopback."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from reviewer.config import Settings
from reviewer.flags import load_policy
from reviewer.pipeline import load_context
from reviewer.rubric import load_roles, load_rubric
from reviewer.store import Store

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture(scope="session")
def rubric():
    return load_rubric()


@pytest.fixture(scope="session")
def roles():
    return load_roles()


@pytest.fixture(scope="session")
def policy():
    return load_policy()


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.delenv("REVIEWER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray ./reviewer.yaml is picked up
    monkeypatch.setenv("REVIEWER_DB_CREATE", "1")  # the CLI makes tmp_path/reviewer.db (not the default path)
    return Settings(db=tmp_path / "reviewer.db", workers=0)  # tests that need worker processes ask for them


@pytest.fixture
def ctx(settings):
    return load_context(settings)


@pytest.fixture
def store(settings):
    s = Store(settings.db)
    yield s
    s.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float = 30, every: float = 0.1) -> bool:
    """Poll `check` until it is true or `timeout` seconds pass; returns the last result."""
    deadline = time.monotonic() + timeout
    while not (ok := check()) and time.monotonic() < deadline:
        time.sleep(every)
    return bool(ok)


class LiveServer:
    """A real uvicorn server in a thread, on a loopback port (a free one unless given)."""

    def __init__(self, app, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_api(settings):
    """An HTTP client for the JSON API, signed in with a coach's API token."""
    from reviewer.accounts import create_user, issue_token
    from reviewer.web.app import create_app

    store = Store(settings.db)
    create_user(store, "coach@example.com", "coach", "coach-password")
    token = issue_token(store, "coach@example.com")
    store.close()
    with LiveServer(create_app(settings.model_copy(update={"workers": 1}))) as server:
        with httpx.Client(base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
            yield client


@pytest.fixture
def fake_llm():
    """A scripted OpenAI-compatible server on loopback: (FakeLLM controller, base URL)."""
    from tests.fake_llm import FakeLLM, create_app

    fake = FakeLLM()
    with LiveServer(create_app(fake)) as server:
        yield fake, server.url + "/v1"
