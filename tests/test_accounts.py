
import pytest
from typer.testing import CliRunner

from reviewer.accounts import (
    AccountError,
    authenticate,
    create_user,
    ensure_first_admin,
    issue_token,
    user_for_token,
)
from reviewer.cli import app


def test_users_are_stored_with_argon2_hashes_only(store):
    create_user(store, "Ana@Example.com", "coach", "correct horse battery")
    row = store.user("ana@example.com")
    assert row["role"] == "coach" and row["password_hash"].startswith("$argon2")
    assert "correct horse" not in str(list(store.db["users"].rows))
    assert authenticate(store, "ana@example.com", "correct horse battery")["email"] == "ana@example.com"
    assert authenticate(store, "ana@example.com", "wrong password!") is None
    assert authenticate(store, "nobody@example.com", "correct horse battery") is None
    assert store.audit_entries("user", row["id"])[0]["action"] == "user_add"


@pytest.mark.parametrize("email, role, password, words", [
    ("not-an-email", "coach", "long enough pw", "not an email"),
    ("a@example.com", "wizard", "long enough pw", "unknown account role"),
    ("a@example.com", "coach", "short", "at least 10"),
])
def test_bad_accounts_are_refused(store, email, role, password, words):
    with pytest.raises(AccountError, match=words):
        create_user(store, email, role, password)


def test_duplicate_email_is_refused(store):
    create_user(store, "a@example.com", "employee", "long enough pw")
    with pytest.raises(AccountError, match="exists already"):
        create_user(store, "A@example.com", "coach", "long enough pw")


def test_api_tokens_are_hashed_and_resolve_to_their_user(store):
    create_user(store, "bo@example.com", "employee", "long enough pw")
    token = issue_token(store, "bo@example.com", "laptop")
    assert token.startswith("rvw_") and len(token) > 40
    assert user_for_token(store, token)["email"] == "bo@example.com"
    assert user_for_token(store, token + "x") is None
    assert token not in str(list(store.db["api_tokens"].rows))


def test_first_admin_only_once(store):
    email, password = ensure_first_admin(store)
    assert email == "admin@localhost" and authenticate(store, email, password)["role"] == "admin"
    assert ensure_first_admin(store) is None


def test_cli_user_add_and_token(settings):
    runner = CliRunner()
    r = runner.invoke(app, ["user", "add", "cy@example.com", "--role", "coach", "--db", str(settings.db)])
    assert r.exit_code == 0 and r.output.startswith("created cy@example.com (coach); password: ")
    again = runner.invoke(app, ["user", "add", "cy@example.com", "--db", str(settings.db)])
    assert again.exit_code == 2 and "exists already" in again.output
    token = runner.invoke(app, ["user", "token", "cy@example.com", "--db", str(settings.db)])
    assert token.exit_code == 0 and token.output.startswith("rvw_")
    assert runner.invoke(app, ["user", "token", "zz@example.com", "--db", str(settings.db)]).exit_code == 2


def test_schema_v1_files_migrate_to_accounts(settings):
    import sqlite_utils

    from reviewer.store import MIGRATIONS, SCHEMA_VERSION, Store

    db = sqlite_utils.Database(settings.db)
    MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    db.close()
    store = Store(settings.db)
    assert store.schema_version == SCHEMA_VERSION and {"users", "jobs"} <= set(store.db.table_names())
