"""Operations errors through the real command line (a subprocess): a bad database path or config
file is one line on stderr naming the path and what to do, exit code 2, no traceback; new
database files are owner-only; `serve` prints the first admin's password only when it made it."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from reviewer.store import Store

REVIEWER = [sys.executable, "-m", "reviewer"]
NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]  # root minus "ignore file permissions"


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """The environment less every REVIEWER_* variable (no stray config file: cwd is tmp_path)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}


def run(tmp_path, env, *args, prefix=(), timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, *REVIEWER, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def assert_one_line_error(r: subprocess.CompletedProcess, *names: str) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1 and r.stderr.startswith("error: "), r.stderr
    for name in names:
        assert name in r.stderr, (name, r.stderr)
    assert "serving on" not in r.stdout and "password" not in r.stdout
    return r.stderr


def serve_fails(tmp_path, env, db: Path, prefix=()) -> str:
    r = run(tmp_path, env, "serve", "--port", "0", "--workers", "0", "--db", str(db), prefix=prefix)
    return assert_one_line_error(r, str(db))


def unprivileged(tmp_path) -> list[str]:
    """A command prefix under which file permissions apply: none for a normal user; for root (who
    writes through them) setpriv dropping CAP_DAC_OVERRIDE, checked to work, else a skip."""
    if os.geteuid() != 0:
        return []
    probe = tmp_path / "probe"
    probe.write_text("")
    probe.chmod(0o444)
    try:
        ok = shutil.which("setpriv") and subprocess.run([*NO_DAC, "test", "-w", str(probe)], timeout=10).returncode == 1
    finally:
        probe.unlink()
    if not ok:
        pytest.skip("running as root, and setpriv cannot drop CAP_DAC_OVERRIDE here: permission bits do not bind root")
    return NO_DAC


def test_a_database_directory_that_does_not_exist(tmp_path, env):
    db = tmp_path / "no-such-dir" / "reviewer.db"
    err = serve_fails(tmp_path, env, db)
    assert "REVIEWER_DB_CREATE=1" in err and not db.parent.exists()


def test_a_mistyped_database_path_is_refused_not_made_anew(tmp_path, env):
    real = tmp_path / "reviewer.db"
    Store(real).close()
    typo = tmp_path / "reviwer.db"
    err = serve_fails(tmp_path, env, typo)
    assert "REVIEWER_DB_CREATE=1" in err and not typo.exists()
    # the same through the environment, for a command that is not serve
    r = run(tmp_path, {**env, "REVIEWER_DB": str(typo)}, "jobs", "--json")
    assert "no database at" in assert_one_line_error(r, str(typo)) and not typo.exists()
    # asked for, it is made
    r = run(tmp_path, {**env, "REVIEWER_DB_CREATE": "1"}, "jobs", "--db", str(typo))
    assert r.returncode == 0 and typo.exists(), r.stderr


def test_a_database_path_that_is_a_directory(tmp_path, env):
    db = tmp_path / "dir.db"
    db.mkdir()
    assert "is a directory" in serve_fails(tmp_path, env, db)


def test_a_database_whose_parent_is_a_file(tmp_path, env):
    parent = tmp_path / "afile"
    parent.write_text("not a directory")
    err = serve_fails(tmp_path, {**env, "REVIEWER_DB_CREATE": "1"}, parent / "reviewer.db")
    assert f"{parent} is a file" in err


def test_a_file_that_is_not_a_database(tmp_path, env):
    db = tmp_path / "reviewer.yaml"
    db.write_text("db: data/reviewer.db\n")
    assert "not a SQLite database" in serve_fails(tmp_path, env, db)


def test_a_read_only_database_fails_before_serving(tmp_path, env):
    prefix = unprivileged(tmp_path)
    db = tmp_path / "reviewer.db"
    Store(db).close()
    db.chmod(0o444)
    assert "not writable" in serve_fails(tmp_path, env, db, prefix=prefix)
    r = run(tmp_path, env, "jobs", "--db", str(db), prefix=prefix)
    assert_one_line_error(r, str(db))


def test_an_unwritable_directory_fails_before_serving(tmp_path, env):
    prefix = unprivileged(tmp_path)
    directory = tmp_path / "locked"
    directory.mkdir()
    db = directory / "reviewer.db"
    Store(db).close()  # closed: its -wal and -shm are gone, SQLite would have to make them
    directory.chmod(0o555)
    try:
        err = serve_fails(tmp_path, env, db, prefix=prefix)
        assert str(directory) in err and "not writable" in err
        new = directory / "new.db"  # creating one there fails the same way
        err = serve_fails(tmp_path, {**env, "REVIEWER_DB_CREATE": "1"}, new, prefix=prefix)
        assert "not writable" in err and not new.exists()
    finally:
        directory.chmod(0o755)


@pytest.mark.parametrize("text, expected", [
    ("db: [unclosed\n", "not valid YAML at line 2"),
    ("judge: rules\n  port: 8000\n", "not valid YAML"),
    ("colour: blue\n", "unknown setting 'colour'"),
    ("max_bytes: lots\n", "setting 'max_bytes'"),
    ("- db: x.db\n", "holds a list"),
])
def test_a_malformed_config_file(tmp_path, env, text, expected):
    cfg = tmp_path / "conf.yaml"
    cfg.write_text(text)
    for args in (["serve", "--port", "0", "--workers", "0"], ["roles"]):
        r = run(tmp_path, {**env, "REVIEWER_CONFIG": str(cfg)}, *args)
        assert expected in assert_one_line_error(r, str(cfg))


def test_a_missing_config_file_named_by_reviewer_config(tmp_path, env):
    cfg = tmp_path / "no-such.yaml"
    r = run(tmp_path, {**env, "REVIEWER_CONFIG": str(cfg)}, "serve", "--port", "0", "--workers", "0")
    assert "does not exist" in assert_one_line_error(r, str(cfg), "REVIEWER_CONFIG")
    assert not (tmp_path / "data").exists()
    # the default ./reviewer.yaml is optional
    assert run(tmp_path, env, "roles").returncode == 0


def test_new_database_files_are_owner_only_and_so_are_its_wal_and_shm(tmp_path, env):
    old = os.umask(0o022)  # the usual umask: without the fix, files come out 0644
    try:
        db = tmp_path / "new" / "reviewer.db"
        r = run(tmp_path, {**env, "REVIEWER_DB_CREATE": "1"}, "jobs", "--db", str(db))
        assert r.returncode == 0, r.stderr
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
        # SQLite gives the -wal and -shm files the database file's permissions: see them while open
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE probe (x)")
        conn.execute("INSERT INTO probe VALUES (1)")
        conn.commit()
        try:
            for suffix in ("-wal", "-shm"):
                side = Path(f"{db}{suffix}")
                assert side.exists() and stat.S_IMODE(side.stat().st_mode) == 0o600, suffix
        finally:
            conn.close()
        # the library path (Store, used by the web app) makes them the same way
        other = tmp_path / "lib.db"
        store = Store(other)
        assert stat.S_IMODE(other.stat().st_mode) == 0o600
        assert stat.S_IMODE(Path(f"{other}-wal").stat().st_mode) == 0o600
        store.close()
    finally:
        os.umask(old)


def start_serve(tmp_path, env) -> tuple[subprocess.Popen, list[str]]:
    """`reviewer serve` on a free port with the default database (in tmp_path/data); its stdout
    lines up to and including the "serving on" one."""
    proc = subprocess.Popen([*REVIEWER, "serve", "--port", "0", "--workers", "0"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    out: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [out.put(line) for line in proc.stdout] and None, daemon=True).start()
    lines: list[str] = []
    while not (lines and "serving on" in lines[-1]):
        try:
            lines.append(out.get(timeout=60))
        except queue.Empty:
            stop(proc)
            pytest.fail(f"serve printed {lines} then stopped or hung; stderr: {proc.stderr.read()}")
    return proc, lines


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    return proc.stderr.read()


def test_serve_prints_the_admin_password_on_first_run_only(tmp_path, env):
    proc, lines = start_serve(tmp_path, env)
    try:
        assert len(lines) == 2 and lines[0].startswith("first run: created admin account admin@localhost "
                                                       "with password ")
        url = lines[1].split()[3]
        assert httpx.get(url + "healthz", timeout=10).json()["status"] == "ok"
    finally:
        stop(proc)
    db = tmp_path / "data" / "reviewer.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600 and stat.S_IMODE(db.parent.stat().st_mode) == 0o700

    db.chmod(0o644)  # as an older reviewer made it: left as it is, with a warning
    proc, lines = start_serve(tmp_path, env)
    err = stop(proc)
    assert len(lines) == 1 and "password" not in lines[0]
    assert "warning:" in err and "chmod 600" in err and str(Path("data/reviewer.db")) in err
    assert stat.S_IMODE(db.stat().st_mode) == 0o644
