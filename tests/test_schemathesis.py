"""Schemathesis against a real server with an API token: generated requests for every operation of
the OpenAPI schema, with every check (no 5xx, responses and status codes as documented, error
bodies as declared, schema-valid input accepted). Seeded and bounded, so a run is repeatable."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx

from reviewer.accounts import create_user, issue_token
from reviewer.store import Store
from reviewer.web.app import create_app
from tests.conftest import LiveServer

CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_the_api_holds_to_its_openapi_schema(settings, tmp_path):
    store = Store(settings.db)
    create_user(store, "coach@example.com", "coach", "coach-password")
    token = issue_token(store, "coach@example.com")
    store.close()
    with LiveServer(create_app(settings.model_copy(update={"workers": 1}))) as live:
        r = httpx.post(live.url + "/api/reviews", headers={"Authorization": f"Bearer {token}"},
                       json={"text": "Summarise the ticket below in three bullet points for the on-call engineer.",
                             "person": "ana@example.com"})
        assert r.status_code == 201
        run = subprocess.run(
            [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(CONFIG), "run",
             f"{live.url}/openapi.json", "--checks", "all", "--seed", "2026", "--no-color",
             "-H", f"Authorization: Bearer {token}"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert "Selected: 8/8" in summary and "Tested: 8" in summary, summary  # every operation was reached
    generated, passed = map(int, re.search(r"(\d+) generated, (\d+) passed", summary).groups())
    assert generated > 300 and passed == generated and "Missing test data" not in summary, summary
