"""`python -m addons.staff.console` (make staff-user) as staff run it: a real process on a
SQLite tracker file, the password from standard input or typed in a real terminal."""

from __future__ import annotations

import os
import subprocess
import sys

import pexpect
import pytest
import sqlalchemy as sa

from addons.practice import db
from addons.staff.console import accounts, audit
from addons.staff.console.tables import staff_audit, staff_invitations, staff_users
from common.paths import PROJECT_ROOT

PASSWORD = "correct horse battery staple"
STORE_VARIABLES = ("DATABASE_URL", "TRACKER_SQLITE_PATH", "STAFF_URL", "CLOCK_FILE")


@pytest.fixture
def store(tmp_path):
    """(environment for the command, engine on the same SQLite tracker file)."""
    path = tmp_path / "tracker.db"
    env = {k: v for k, v in os.environ.items() if k not in STORE_VARIABLES}
    env.update(
        TRACKER_SQLITE_PATH=str(path),
        STAFF_URL="https://staff.example-practice.com",
        RASA_TELEMETRY_ENABLED="false",
    )
    return env, db.engine(f"sqlite:///{path}")


def console(env, *args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "addons.staff.console", *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def stored_text(engine) -> str:
    with engine.connect() as connection:
        return "\n".join(
            str(value)
            for table in (staff_users, staff_invitations, staff_audit)
            for row in connection.execute(sa.select(table))
            for value in row
        )


def test_add_user_from_stdin_then_list_and_disable(store):
    env, engine = store
    added = console(
        env, "add-user", "--email", "Ana@Practice.com", "--role", "admin", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == (
        "Account #1 created: ana@practice.com (admin). "
        "Sign in at https://staff.example-practice.com/staff/"
    )
    assert PASSWORD not in added.stdout + added.stderr
    ana = accounts.authenticate(engine, "ana@practice.com", PASSWORD)
    assert ana is not None and ana.role == "admin"
    assert PASSWORD not in stored_text(engine)

    again = console(
        env, "add-user", "--email", "ana@practice.com", "--password-stdin", stdin=PASSWORD
    )
    assert again.returncode == 1
    assert again.stderr.strip() == "error: ana@practice.com already has an account."

    listed = console(env, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].split()[:4] == ["#1", "ana@practice.com", "admin", "active"]

    disabled = console(env, "disable", "--email", "ANA@practice.com")
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout.strip() == "ana@practice.com is disabled and signed out everywhere."
    assert accounts.authenticate(engine, "ana@practice.com", PASSWORD) is None
    assert "disabled 20" in console(env, "list").stdout
    twice = console(env, "disable", "--email", "ana@practice.com")
    assert (twice.returncode, twice.stderr.strip()) == (
        1,
        "error: ana@practice.com was disabled before: nothing changed",
    )
    unknown = console(env, "disable", "--email", "nobody@practice.com")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        1,
        "error: there is no account nobody@practice.com",
    )

    enabled = console(env, "enable", "--email", "ana@practice.com")
    assert enabled.returncode == 0, enabled.stderr
    assert accounts.authenticate(engine, "ana@practice.com", PASSWORD) is not None

    done = [(e.action, e.target) for e in reversed(audit.recent(engine, 10))]
    assert done == [
        ("user_created", "ana@practice.com"),
        ("user_disabled", "ana@practice.com"),
        ("user_enabled", "ana@practice.com"),
    ]
    assert all(e.user_email.startswith("cli:") for e in audit.recent(engine, 10))


@pytest.mark.parametrize("short", ["", "short", "elevenchars"])
def test_a_short_password_is_refused_and_nothing_is_created(store, short):
    env, engine = store
    result = console(
        env, "add-user", "--email", "ana@practice.com", "--password-stdin", stdin=short + "\n"
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: The password must have at least 12 characters."
    assert result.stdout == ""
    assert accounts.list_users(engine) == []


def test_a_password_is_read_whole_from_stdin_spaces_included(store):
    env, engine = store
    spaced = "  leading and trailing  "
    result = console(
        env, "add-user", "--email", "ana@practice.com", "--password-stdin", stdin=spaced + "\n"
    )
    assert result.returncode == 0, result.stderr
    assert accounts.authenticate(engine, "ana@practice.com", spaced) is not None
    assert accounts.authenticate(engine, "ana@practice.com", spaced.strip()) is None


def test_invite_prints_a_link_whose_token_works_once(store):
    env, engine = store
    result = console(env, "invite", "--email", "Ben@Practice.com")
    assert result.returncode == 0, result.stderr
    first, link = result.stdout.strip().splitlines()
    assert first == (
        "Invitation for ben@practice.com (staff), valid 72 hours and once; "
        "send this link to them only:"
    )
    prefix = "https://staff.example-practice.com/staff/invite/"
    assert link.startswith(prefix)
    token = link[len(prefix) :]
    assert len(token) >= 43 and token not in stored_text(engine)

    listed = console(env, "list").stdout
    assert "No staff accounts yet" in listed
    assert "invited ben@practice.com" in listed and "link valid until" in listed

    ben = accounts.accept_invitation(engine, token, PASSWORD)
    assert (ben.email, ben.role) == ("ben@practice.com", "staff")
    assert accounts.authenticate(engine, "ben@practice.com", PASSWORD) == ben
    with pytest.raises(accounts.InvitationError):
        accounts.accept_invitation(engine, token, PASSWORD)

    again = console(env, "invite", "--email", "ben@practice.com", "--role", "admin")
    assert (again.returncode, again.stderr.strip()) == (
        1,
        "error: ben@practice.com already has an account.",
    )
    entry = audit.recent(engine, 1)[0]
    assert (entry.action, entry.target, entry.detail) == (
        "user_invited",
        "ben@practice.com",
        "staff",
    )
    assert token not in entry.detail


def test_invite_falls_back_to_rasa_url(store):
    env, _engine = store
    env = {k: v for k, v in env.items() if k != "STAFF_URL"}
    env["RASA_URL"] = "https://assistant.example-practice.com/"
    result = console(env, "invite", "--email", "ben@practice.com", "--role", "admin")
    assert result.returncode == 0, result.stderr
    assert "https://assistant.example-practice.com/staff/invite/" in result.stdout
    assert "(admin)" in result.stdout


def test_set_password_signs_the_account_out(store):
    env, engine = store
    accounts.create_user(engine, "ana@practice.com", PASSWORD)
    new = "a brand new password"
    result = console(
        env, "set-password", "--email", "ana@practice.com", "--password-stdin", stdin=new + "\n"
    )
    assert result.returncode == 0, result.stderr
    assert accounts.authenticate(engine, "ana@practice.com", new) is not None
    assert accounts.authenticate(engine, "ana@practice.com", PASSWORD) is None
    missing = console(
        env, "set-password", "--email", "bo@practice.com", "--password-stdin", stdin=new + "\n"
    )
    assert (missing.returncode, missing.stderr.strip()) == (
        1,
        "error: there is no account bo@practice.com",
    )


def test_bad_arguments_and_no_terminal(store):
    env, engine = store
    no_email = console(env, "add-user")
    assert no_email.returncode == 2 and "--email" in no_email.stderr
    bad_role = console(env, "invite", "--email", "a@practice.com", "--role", "root")
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr
    not_email = console(env, "add-user", "--email", "ana", "--password-stdin", stdin=PASSWORD)
    assert not_email.returncode == 1 and "not an e-mail address" in not_email.stderr
    # without --password-stdin and without a terminal: refused, not read from a pipe
    piped = console(env, "add-user", "--email", "ana@practice.com", stdin=PASSWORD + "\n")
    assert piped.returncode == 1
    assert "no terminal to read the password from: use --password-stdin" in piped.stderr
    assert accounts.list_users(engine) == []


def test_an_unreachable_database_is_one_line_without_its_password(store):
    env, _engine = store
    env = dict(env, DATABASE_URL="postgresql://u:s3cretpw@127.0.0.1:9/x", DATABASE_WAIT_SECONDS="0")
    result = console(env, "list")
    assert result.returncode == 3
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL" in result.stderr and "s3cretpw" not in result.stderr
    assert "Traceback" not in result.stderr


# --- in a real terminal: getpass, nothing echoed ------------------------------------


def spawn(env, *args):
    return pexpect.spawn(
        sys.executable,
        ["-m", "addons.staff.console", *args],
        cwd=str(PROJECT_ROOT),
        env=env,
        encoding="utf-8",
        timeout=60,
    )


def finish(child) -> str:
    child.expect(pexpect.EOF)
    child.close()
    return child.before


def test_the_password_is_typed_twice_in_a_terminal_and_never_shown(store):
    env, engine = store
    child = spawn(env, "add-user", "--email", "ana@practice.com")
    child.expect_exact("Password (at least 12 characters): ")
    child.sendline(PASSWORD)
    child.expect_exact("The same password again: ")
    transcript = child.before
    child.sendline(PASSWORD)
    transcript += finish(child)
    assert child.exitstatus == 0
    assert "Account #1 created: ana@practice.com (staff)" in transcript
    assert PASSWORD not in transcript  # no echo
    assert accounts.authenticate(engine, "ana@practice.com", PASSWORD) is not None


def test_in_a_terminal_two_different_passwords_or_a_short_one_change_nothing(store):
    env, engine = store
    child = spawn(env, "add-user", "--email", "ana@practice.com")
    child.expect_exact("Password (at least 12 characters): ")
    child.sendline(PASSWORD)
    child.expect_exact("The same password again: ")
    child.sendline(PASSWORD + "!")
    out = finish(child)
    assert child.exitstatus == 1
    assert "error: the two passwords differ: nothing changed" in out
    assert PASSWORD not in out

    child = spawn(env, "add-user", "--email", "ana@practice.com")
    child.expect_exact("Password (at least 12 characters): ")
    child.sendline("short")
    out = finish(child)
    assert child.exitstatus == 1
    assert "error: the password must have at least 12 characters" in out
    assert "short" not in out.replace("error: the password must", "")
    assert accounts.list_users(engine) == []


def test_make_staff_user_runs_the_command():
    """The Makefile target's command line (make -n: setup itself is not run here)."""
    made = subprocess.run(
        ["make", "-n", "-o", "setup", "staff-user", "EMAIL=a@practice.com", "ROLE=admin"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    assert '-m addons.staff.console add-user --email "a@practice.com" --role "admin"' in made.stdout
    invite = subprocess.run(
        ["make", "-n", "-o", "setup", "staff-user", "EMAIL=a@practice.com", "INVITE=1"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert '-m addons.staff.console invite --email "a@practice.com"' in invite.stdout
    missing = subprocess.run(
        ["make", "-o", "setup", "staff-user"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode != 0 and "usage: make staff-user EMAIL=" in missing.stderr
