"""One test per CLI command, through Typer's CliRunner, plus the installed script on stdin."""

import json
import os
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from reviewer.cli import app

SAMPLES = Path(__file__).parent / "samples"
runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_review_prints_level_dimensions_and_feedback(settings):
    r = run("review", str(SAMPLES / "l1-prompt-oneliner.txt"), "--role", "analyst", "--db", str(settings.db))
    assert r.exit_code == 0, r.output
    assert "Level 1 - Ad-hoc chat" in r.output and "(role target 4)" in r.output
    assert "Task framing" in r.output and "Next steps" in r.output and "Submit next" in r.output


def test_review_json_has_the_documented_fields(settings, tmp_path):
    crew = tmp_path / "agents.yaml"
    crew.write_text("researcher:\n  role: Analyst\n  goal: Find and verify prices\n  tools: [SerperDevTool]\n"
                    "  max_iter: 4\n  human_input: true\n")
    r = run("review", str(crew), "--json", "--person", "ana@example.com", "--db", str(settings.db))
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert {"level", "confidence", "dimensions", "artifact_type", "flags", "feedback", "evidence"} <= body.keys()
    assert body["level"] == 5 and body["artifact_type"] == "agent_config" and body["person"] == "ana@example.com"


def test_review_several_files_gives_a_portfolio(settings):
    r = run("review", str(SAMPLES / "l1-prompt-oneliner.txt"), str(SAMPLES / "l2-prompt-hr-policy-announcement.txt"),
            "--json", "--db", str(settings.db))
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert [x["level"] for x in body["reviews"]] == [1, 2] and body["portfolio"]["level"] in (1, 2)


def test_review_reads_stdin(settings):
    r = run("review", "-", "--json", "--db", str(settings.db), input="summarise this article for me please")
    assert r.exit_code == 0 and json.loads(r.output)["artifact_type"] == "prompt"


def test_bad_input_exits_2_with_one_line(settings, tmp_path):
    binary = tmp_path / "img.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    for args, words in [([str(binary)], "binary"), ([str(empty)], "empty"), (["nope.txt"], "no such file"),
                        ([str(SAMPLES / "l1-prompt-oneliner.txt"), "--role", "wizard"], "unknown role"),
                        ([str(SAMPLES / "l1-prompt-oneliner.txt"), "--type", "poem"], "unknown artifact type")]:
        r = run("review", *args, "--db", str(settings.db))
        assert r.exit_code == 2, r.output
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0]


def test_show_and_portfolio(settings):
    run("review", str(SAMPLES / "l1-prompt-oneliner.txt"), "--person", "bo@example.com", "--db", str(settings.db))
    shown = run("show", "1", "--json", "--db", str(settings.db))
    assert shown.exit_code == 0 and json.loads(shown.output)["id"] == 1
    assert run("show", "99", "--db", str(settings.db)).exit_code == 2
    p = run("portfolio", "bo@example.com", "--db", str(settings.db))
    assert p.exit_code == 0 and "level 1" in p.output
    assert run("portfolio", "nobody@example.com", "--db", str(settings.db)).exit_code == 2


def test_roles_lists_targets():
    r = run("roles")
    assert r.exit_code == 0 and "software_engineer" in r.output and "target 5" in r.output


def test_rubric_check_ok_and_broken(tmp_path):
    ok = run("rubric", "check")
    assert ok.exit_code == 0 and "ok - genai-proficiency version 1.0+" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: '1'\n")
    r = run("rubric", "check", str(bad))
    assert r.exit_code == 2 and "bad.yaml" in r.output


def test_bad_setting_is_one_clear_line(settings, monkeypatch):
    monkeypatch.setenv("REVIEWER_MAX_BYTES", "-5")
    r = run("review", str(SAMPLES / "l1-prompt-oneliner.txt"), "--db", str(settings.db))
    assert r.exit_code == 2 and "REVIEWER_MAX_BYTES" in r.output


def test_config_file_is_read(settings, tmp_path, monkeypatch):
    cfg = tmp_path / "conf.yaml"
    cfg.write_text(f"db: {tmp_path / 'from-config.db'}\n")
    monkeypatch.setenv("REVIEWER_CONFIG", str(cfg))
    r = run("review", str(SAMPLES / "l1-prompt-oneliner.txt"))
    assert r.exit_code == 0 and (tmp_path / "from-config.db").exists()


def test_installed_script_reads_stdin_and_exits_2_on_binary(settings):
    script = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "reviewer"
    ok = subprocess.run([str(script), "review", "-", "--db", str(settings.db)], input=b"draft a reply to this email",
                        capture_output=True, timeout=60)
    assert ok.returncode == 0 and b"Level 1" in ok.stdout
    bad = subprocess.run([str(script), "review", "-", "--db", str(settings.db)], input=b"\x00\x01\x02\xff" * 50,
                         capture_output=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.decode().count("\n") == 1 and b"Traceback" not in bad.stderr


def test_serve_prints_the_url_and_the_first_admin_once(tmp_path):
    import httpx

    script = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "reviewer"
    db = tmp_path / "s.db"

    def start():
        proc = subprocess.Popen([str(script), "serve", "--port", "0", "--db", str(db)], stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "REVIEWER_DB_CREATE": "1"})
        lines = [proc.stdout.readline()]
        if lines[0].startswith("first run"):
            lines.append(proc.stdout.readline())
        return proc, lines

    proc, lines = start()
    try:
        assert lines[0].startswith("first run: created admin account admin@localhost with password ")
        url = lines[1].split()[3]
        assert url.startswith("http://127.0.0.1:") and httpx.get(url + "healthz", timeout=10).json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    proc, lines = start()
    proc.terminate()
    proc.wait(timeout=10)
    assert lines[0].startswith("reviewer serving on http://127.0.0.1:")  # no second admin


def test_the_served_socket_gets_tcp_nodelay_on_every_connection():
    """asyncio sets TCP_NODELAY on accepted connections only for IPPROTO_TCP sockets; without it
    each keep-alive response waits about 40 ms (Nagle with delayed ACKs)."""
    import asyncio
    import socket

    from reviewer.cli.service import listening_socket

    async def check() -> int:
        accepted = asyncio.get_running_loop().create_future()

        async def on_connect(reader, writer):
            accepted.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=listening_socket("127.0.0.1", 0))
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        value = await asyncio.wait_for(accepted, 5)
        writer.close()
        server.close()
        return value

    assert asyncio.run(check()) != 0


def test_jobs_lists_the_queue_and_retry_puts_parked_jobs_back_for_a_worker(settings, ctx):
    from reviewer.jobs import enqueue
    from reviewer.service import Item
    from reviewer.store import Store

    store = Store(settings.db)
    enqueue(store, ctx, [Item(data="summarise the report for the board"), Item(data="write me a haiku please")],
            person="ana@example.com", role="analyst", team=None, note=None, channel="cli", actor="ana@example.com")
    store.conn.execute("UPDATE jobs SET state = 'failed', error = 'RuntimeError: judge crashed', error_kind = 'error', "
                       "attempts = 3 WHERE id = 2")
    r = run("jobs", "--state", "failed", "--db", str(settings.db))
    assert r.exit_code == 0 and "queued 1  scoring 0  done 0  failed 1" in r.output
    assert "job 2 (submission 1, artifact 2): failed, 3 attempt(s)  error: RuntimeError: judge crashed" in r.output
    assert "job 1 " not in r.output  # only the state asked for
    assert run("jobs", "--state", "lost", "--db", str(settings.db)).exit_code == 2
    r = run("jobs", "retry", "2", "--db", str(settings.db))
    assert r.exit_code == 0 and "1 job(s) back in the queue" in r.output
    r = run("worker", "--drain", "--db", str(settings.db))
    assert r.exit_code == 0 and "2 job(s) scored" in r.output
    listed = json.loads(run("jobs", "--json", "--db", str(settings.db)).output)
    assert listed["counts"] == {"queued": 0, "scoring": 0, "done": 2, "failed": 0}
    assert all(j["review_id"] for j in listed["jobs"])
