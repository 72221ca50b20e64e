"""The staff console's security core: accounts, sessions, the sign-in throttle, the audit log.

On a SQLite file per test; the session and throttle tests run on a real PostgreSQL
too (the console's state must hold across Rasa servers sharing one database). Times
are passed as `now=`, so nothing waits.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from addons.practice import db
from addons.staff.console import accounts, audit, sessions, throttle
from addons.staff.console.tables import (
    staff_audit,
    staff_invitations,
    staff_sessions,
    staff_signin_attempts,
    staff_users,
)

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery staple"
OTHER = "another long password 42"


@pytest.fixture
def engine(tmp_path):
    return db.engine(f"sqlite:///{tmp_path / 'tracker.db'}")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request, tmp_path):
    """The tracker database on SQLite, then on a real PostgreSQL."""
    if request.param == "sqlite":
        return db.engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    postgres = request.getfixturevalue("postgres")
    return db.engine(postgres.new_database(f"console_{uuid.uuid4().hex[:8]}"))


def everything_stored(engine) -> str:
    """Every value in the console's tables, as one text (for 'never stored' checks)."""
    parts = []
    with engine.connect() as connection:
        for table in (staff_users, staff_invitations, staff_sessions, staff_audit):
            for row in connection.execute(sa.select(table)):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


def user(engine, email="ana@practice.com", role="staff", password=PASSWORD):
    user_id = accounts.create_user(engine, email, password, role=role, now=T0)
    found = accounts.get_user(engine, user_id)
    assert found is not None
    return found


# --- accounts -----------------------------------------------------------------------


def test_create_user_stores_an_argon2id_hash_and_the_email_lowercased(engine):
    user_id = accounts.create_user(engine, "  Ana@Practice.COM ", PASSWORD, role="admin", now=T0)
    ana = accounts.get_user(engine, user_id)
    assert ana == accounts.User(user_id, "ana@practice.com", "admin", T0, None)
    assert ana.is_admin and ana.active
    with engine.connect() as connection:
        stored = connection.execute(sa.select(staff_users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in everything_stored(engine)
    assert accounts.get_user_by_email(engine, "ANA@practice.com") == ana
    assert accounts.get_user(engine, user_id + 1) is None


def test_a_second_account_for_the_same_email_is_refused_whatever_the_case(engine):
    user(engine)
    with pytest.raises(ValueError, match="already has an account"):
        accounts.create_user(engine, "ANA@practice.com", OTHER)
    assert len(accounts.list_users(engine)) == 1


@pytest.mark.parametrize("short", ["", "short", "elevenchars"])
def test_a_password_under_12_characters_is_refused_with_a_clear_message(engine, short):
    with pytest.raises(ValueError, match="at least 12 characters"):
        accounts.create_user(engine, "ana@practice.com", short)
    assert accounts.list_users(engine) == []
    assert accounts.create_user(engine, "ana@practice.com", "twelve chars") > 0  # 12 is enough


def test_a_bad_email_or_role_is_refused(engine):
    with pytest.raises(ValueError, match="not an e-mail address"):
        accounts.create_user(engine, "ana", PASSWORD)
    with pytest.raises(ValueError, match="role must be one of: staff, admin"):
        accounts.create_user(engine, "ana@practice.com", PASSWORD, role="root")
    with pytest.raises(ValueError, match="at most 1024"):
        accounts.create_user(engine, "ana@practice.com", "x" * 1025)


def test_authenticate_right_wrong_and_unknown(engine):
    ana = user(engine)
    assert accounts.authenticate(engine, "Ana@Practice.com", PASSWORD) == ana
    assert accounts.authenticate(engine, "ana@practice.com", OTHER) is None
    assert accounts.authenticate(engine, "ana@practice.com", "") is None
    assert accounts.authenticate(engine, "ana@practice.com", PASSWORD + " ") is None
    accounts._dummy_hash = None
    assert accounts.authenticate(engine, "nobody@practice.com", PASSWORD) is None
    # an unknown e-mail costs an argon2 verification too (no timing hint)
    assert accounts._dummy_hash is not None and accounts._dummy_hash.startswith("$argon2id$")


def test_a_disabled_user_cannot_sign_in_and_is_signed_out_everywhere(engine):
    ana = user(engine)
    token, _csrf = sessions.start(engine, ana, "10.0.0.1", now=T0)
    assert sessions.current(engine, token, now=T0) is not None

    assert accounts.disable_user(engine, "ana@practice.com", now=T0) is True
    assert accounts.disable_user(engine, ana.id) is False  # already
    assert accounts.disable_user(engine, "nobody@practice.com") is False
    assert accounts.get_user(engine, ana.id).disabled_at == T0
    assert accounts.authenticate(engine, "ana@practice.com", PASSWORD) is None
    assert sessions.current(engine, token, now=T0) is None
    assert accounts.sign_in(engine, "ana@practice.com", PASSWORD, "10.0.0.1", now=T0).user is None

    assert accounts.enable_user(engine, ana) is True
    assert accounts.enable_user(engine, ana) is False
    assert accounts.authenticate(engine, "ana@practice.com", PASSWORD) == ana


def test_a_session_of_a_user_disabled_meanwhile_is_refused(engine):
    """Disabled by another path than disable_user (a direct change): still refused."""
    ana = user(engine)
    token, _ = sessions.start(engine, ana, now=T0)
    with engine.begin() as connection:
        connection.execute(staff_users.update().values(disabled_at=T0))
    assert sessions.current(engine, token, now=T0) is None


def test_a_hash_with_weaker_parameters_is_replaced_at_sign_in(engine):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with engine.begin() as connection:
        connection.execute(
            staff_users.insert().values(
                email="old@practice.com", role="staff", password_hash=weak, created_at=T0
            )
        )
    assert accounts.authenticate(engine, "old@practice.com", OTHER) is None
    with engine.connect() as connection:
        assert connection.execute(sa.select(staff_users.c.password_hash)).scalar_one() == weak

    assert accounts.authenticate(engine, "old@practice.com", PASSWORD) is not None
    with engine.connect() as connection:
        rehashed = connection.execute(sa.select(staff_users.c.password_hash)).scalar_one()
    assert rehashed != weak and not PasswordHasher().check_needs_rehash(rehashed)
    assert "m=65536" in rehashed
    assert accounts.authenticate(engine, "old@practice.com", PASSWORD) is not None


def test_list_users_and_set_password(engine):
    ben = user(engine, "ben@practice.com")
    ana = user(engine, "ana@practice.com", role="admin")
    assert [u.email for u in accounts.list_users(engine)] == [
        "ana@practice.com",
        "ben@practice.com",
    ]
    token, _ = sessions.start(engine, ben, now=T0)

    with pytest.raises(ValueError, match="at least 12"):
        accounts.set_password(engine, "ben@practice.com", "short")
    assert sessions.current(engine, token, now=T0) is not None  # nothing changed

    assert accounts.set_password(engine, ben.id, OTHER) is True
    assert accounts.set_password(engine, "nobody@practice.com", OTHER) is False
    assert accounts.authenticate(engine, "ben@practice.com", PASSWORD) is None
    assert accounts.authenticate(engine, "ben@practice.com", OTHER) == ben
    assert sessions.current(engine, token, now=T0) is None  # signed out everywhere
    assert accounts.authenticate(engine, "ana@practice.com", PASSWORD) == ana


# --- invitations --------------------------------------------------------------------


def test_an_invitation_is_used_once_and_only_its_hash_is_stored(engine):
    token = accounts.invite(engine, "Cy@Practice.com", "admin", "ana@practice.com", now=T0)
    assert len(token) >= 43
    assert token not in everything_stored(engine)

    found = accounts.check_invitation(engine, token, now=T0)
    assert found == accounts.Invitation(
        "cy@practice.com", "admin", "ana@practice.com", T0 + timedelta(hours=72)
    )
    assert accounts.pending_invitations(engine, now=T0) == [found]

    with pytest.raises(accounts.PasswordError, match="at least 12"):
        accounts.accept_invitation(engine, token, "short", now=T0)
    assert accounts.check_invitation(engine, token, now=T0) is not None  # still usable

    cy = accounts.accept_invitation(engine, token, PASSWORD, now=T0 + timedelta(hours=1))
    assert (cy.email, cy.role, cy.created_at) == (
        "cy@practice.com",
        "admin",
        T0 + timedelta(hours=1),
    )
    assert accounts.authenticate(engine, "cy@practice.com", PASSWORD) == cy
    assert accounts.check_invitation(engine, token, now=T0) is None
    assert accounts.pending_invitations(engine, now=T0) == []

    with pytest.raises(accounts.InvitationError, match="not valid"):
        accounts.accept_invitation(engine, token, OTHER, now=T0 + timedelta(hours=2))
    assert accounts.authenticate(engine, "cy@practice.com", PASSWORD) == cy  # unchanged
    assert len(accounts.list_users(engine)) == 1


def test_an_expired_invitation_is_refused(engine):
    token = accounts.invite(engine, "cy@practice.com", now=T0)
    late = T0 + timedelta(hours=72)
    assert accounts.check_invitation(engine, token, now=late - timedelta(seconds=1)) is not None
    assert accounts.check_invitation(engine, token, now=late) is None
    with pytest.raises(accounts.InvitationError):
        accounts.accept_invitation(engine, token, PASSWORD, now=late)
    assert accounts.list_users(engine) == []


@pytest.mark.parametrize("forged", ["", "x", "A" * 43, "../../etc/passwd", "é" * 300])
def test_an_unknown_or_forged_invitation_token_is_refused(engine, forged):
    real = accounts.invite(engine, "cy@practice.com", now=T0)
    assert accounts.check_invitation(engine, forged, now=T0) is None
    with pytest.raises(accounts.InvitationError):
        accounts.accept_invitation(engine, forged, PASSWORD, now=T0)
    tampered = real[:-1] + ("A" if real[-1] != "A" else "B")
    with pytest.raises(accounts.InvitationError):
        accounts.accept_invitation(engine, tampered, PASSWORD, now=T0)
    assert accounts.list_users(engine) == []


def test_a_new_invitation_replaces_the_unused_one_and_an_account_cannot_be_invited(engine):
    first = accounts.invite(engine, "cy@practice.com", now=T0)
    second = accounts.invite(engine, "cy@practice.com", now=T0)
    assert accounts.check_invitation(engine, first, now=T0) is None
    assert accounts.check_invitation(engine, second, now=T0) is not None
    user(engine, "ana@practice.com")
    with pytest.raises(ValueError, match="already has an account"):
        accounts.invite(engine, "ANA@practice.com", now=T0)
    with pytest.raises(ValueError, match="not an e-mail"):
        accounts.invite(engine, "cy", now=T0)


def test_an_invitation_whose_email_got_an_account_meanwhile_is_refused(engine):
    token = accounts.invite(engine, "cy@practice.com", now=T0)
    user(engine, "cy@practice.com")
    with pytest.raises(accounts.AccountError, match="already has an account"):
        accounts.accept_invitation(engine, token, OTHER, now=T0)
    assert accounts.authenticate(engine, "cy@practice.com", PASSWORD) is not None


# --- sessions (SQLite and PostgreSQL) -----------------------------------------------


def test_a_session_stores_only_the_tokens_hash_and_gives_the_user_and_csrf(any_engine):
    ana = user(any_engine)
    token, csrf = sessions.start(any_engine, ana, "10.0.0.7", now=T0)
    assert token != csrf and len(token) >= 43 and len(csrf) >= 43
    assert token not in everything_stored(any_engine)

    found = sessions.current(any_engine, token, now=T0 + timedelta(minutes=1))
    assert found is not None
    assert found.user == ana and found.csrf == csrf and found.address == "10.0.0.7"
    assert found.created_at == T0
    assert found.expires_at == T0 + timedelta(minutes=31)
    assert sessions.csrf_ok(found, csrf)
    assert not sessions.csrf_ok(found, csrf[:-1])
    assert not sessions.csrf_ok(found, "")
    assert not sessions.csrf_ok(found, None)
    assert not sessions.csrf_ok(None, csrf)


def test_a_session_is_valid_on_another_server_postgresql(postgres):
    """Two servers: two engines (two connection pools) on one PostgreSQL database."""
    url = postgres.new_database(f"console_{uuid.uuid4().hex[:8]}")
    one = db.engine(url)
    other = sa.create_engine(url, future=True)
    try:
        ana = user(one)
        token, csrf = sessions.start(one, ana, now=T0)
        seen = sessions.current(other, token, now=T0 + timedelta(minutes=20))
        assert seen is not None and seen.csrf == csrf
        # the other server's request moved the idle limit for this one too
        assert sessions.current(one, token, now=T0 + timedelta(minutes=45)) is not None
        assert sessions.end(other, token) is True
        assert sessions.current(one, token, now=T0 + timedelta(minutes=46)) is None
    finally:
        other.dispose()


def test_a_session_expires_after_30_minutes_without_a_request(any_engine):
    token, _ = sessions.start(any_engine, user(any_engine), now=T0)
    at = T0
    for _ in range(3):  # each request moves the limit on
        at += timedelta(minutes=29)
        assert sessions.current(any_engine, token, now=at) is not None
    assert sessions.current(any_engine, token, now=at + timedelta(minutes=30)) is None
    # gone for good, even with a clock set back
    assert sessions.current(any_engine, token, now=at) is None
    with any_engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(staff_sessions)).scalar() == 0
        )


def test_the_idle_limit_follows_the_setting(any_engine, monkeypatch):
    monkeypatch.setenv("STAFF_SESSION_IDLE_MINUTES", "5")
    token, _ = sessions.start(any_engine, user(any_engine), now=T0)
    found = sessions.current(any_engine, token, now=T0 + timedelta(minutes=4))
    assert found is not None and found.expires_at == T0 + timedelta(minutes=9)
    assert sessions.current(any_engine, token, now=T0 + timedelta(minutes=10)) is None
    token, _ = sessions.start(any_engine, user(any_engine, "ben@practice.com"), now=T0)
    assert sessions.current(any_engine, token, now=T0 + timedelta(minutes=30), idle_minutes=60)


def test_a_session_ends_12_hours_after_sign_in_however_active(any_engine):
    token, _ = sessions.start(any_engine, user(any_engine), now=T0)
    at = T0
    while at + timedelta(minutes=20) < T0 + timedelta(hours=12):
        at += timedelta(minutes=20)
        found = sessions.current(any_engine, token, now=at)
        assert found is not None
    assert found.expires_at == T0 + timedelta(hours=12)  # the last one said so
    assert sessions.current(any_engine, token, now=T0 + timedelta(hours=12)) is None


@pytest.mark.parametrize("forged", [None, "", "x", "A" * 43, "A" * 5000, "';--", "\udcff"])
def test_an_unknown_or_forged_session_token_gives_nothing(any_engine, forged):
    real, _ = sessions.start(any_engine, user(any_engine), now=T0)
    assert sessions.current(any_engine, forged, now=T0) is None
    tampered = real[:-1] + ("A" if real[-1] != "A" else "B")
    assert sessions.current(any_engine, tampered, now=T0) is None
    # the stored hash itself is not a token either
    with any_engine.connect() as connection:
        stored = connection.execute(sa.select(staff_sessions.c.id_hash)).scalar_one()
    assert sessions.current(any_engine, stored, now=T0) is None
    assert sessions.end(any_engine, forged) is False
    assert sessions.current(any_engine, real, now=T0) is not None


def test_sign_out_ends_only_that_session(any_engine):
    ana = user(any_engine)
    phone, _ = sessions.start(any_engine, ana, now=T0)
    desk, _ = sessions.start(any_engine, ana, now=T0)
    assert sessions.end(any_engine, phone) is True
    assert sessions.end(any_engine, phone) is False
    assert sessions.current(any_engine, phone, now=T0) is None
    assert sessions.current(any_engine, desk, now=T0) is not None
    assert sessions.end_all(any_engine, ana.id) == 1
    assert sessions.current(any_engine, desk, now=T0) is None


def test_starting_a_session_clears_expired_ones(any_engine):
    ana = user(any_engine)
    sessions.start(any_engine, ana, now=T0)
    sessions.start(any_engine, ana, now=T0 + timedelta(hours=2))
    with any_engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(staff_sessions)).scalar() == 1
        )


# --- the throttle (SQLite and PostgreSQL) -------------------------------------------


def fail(engine, email, address, at, times=1):
    for _ in range(times):
        throttle.record(engine, email, address, ok=False, now=at)


def test_five_failures_for_one_email_lock_it_for_15_minutes(any_engine):
    for i in range(4):
        fail(any_engine, "ana@practice.com", f"10.0.0.{i}", T0 + timedelta(minutes=i))
    assert (
        throttle.check(any_engine, "ana@practice.com", "10.0.0.9", now=T0 + timedelta(minutes=4))
        is None
    )
    fail(any_engine, "ana@practice.com", "10.0.0.5", T0 + timedelta(minutes=5))

    retry = throttle.check(
        any_engine, "ANA@practice.com", "10.0.0.9", now=T0 + timedelta(minutes=5)
    )
    assert retry == T0 + timedelta(minutes=15)  # the oldest counted failure is 15 min old
    assert throttle.check(any_engine, "ana@practice.com", "", now=retry - timedelta(seconds=1))
    assert throttle.check(any_engine, "ana@practice.com", "", now=retry) is None
    # another account is not locked by it
    assert (
        throttle.check(any_engine, "ben@practice.com", "10.0.0.5", now=T0 + timedelta(minutes=5))
        is None
    )


def test_more_than_five_failures_lock_until_enough_are_old(any_engine):
    fail(any_engine, "ana@practice.com", "", T0, times=2)
    fail(any_engine, "ana@practice.com", "", T0 + timedelta(minutes=10), times=5)
    retry = throttle.check(any_engine, "ana@practice.com", "", now=T0 + timedelta(minutes=10))
    # 7 failures: when the 2 oldest are 15 minutes old, 5 still count
    assert retry == T0 + timedelta(minutes=25)
    assert throttle.check(any_engine, "ana@practice.com", "", now=T0 + timedelta(minutes=15))
    assert throttle.check(any_engine, "ana@practice.com", "", now=retry) is None


def test_a_success_clears_the_emails_count(any_engine):
    fail(any_engine, "ana@practice.com", "10.0.0.1", T0, times=4)
    throttle.record(
        any_engine, "ana@practice.com", "10.0.0.1", ok=True, now=T0 + timedelta(seconds=1)
    )
    fail(any_engine, "ana@practice.com", "10.0.0.1", T0 + timedelta(seconds=2), times=4)
    assert (
        throttle.check(any_engine, "ana@practice.com", "10.0.0.1", now=T0 + timedelta(seconds=3))
        is None
    )


def test_twenty_failures_from_one_address_lock_that_address(any_engine):
    for i in range(20):
        fail(any_engine, f"guess{i}@practice.com", "203.0.113.9", T0 + timedelta(seconds=i))
    at = T0 + timedelta(seconds=30)
    retry = throttle.check(any_engine, "new@practice.com", "203.0.113.9", now=at)
    assert retry == T0 + timedelta(minutes=15)
    assert throttle.check(any_engine, "new@practice.com", "198.51.100.1", now=at) is None
    # a success from the address does not buy it more guesses
    throttle.record(any_engine, "mine@practice.com", "203.0.113.9", ok=True, now=at)
    assert throttle.check(any_engine, "new@practice.com", "203.0.113.9", now=at) == retry
    assert throttle.check(any_engine, "new@practice.com", "203.0.113.9", now=retry) is None


def test_the_throttle_stores_no_email_as_typed(any_engine):
    fail(any_engine, "My Password 123!", "10.0.0.1", T0)
    with any_engine.connect() as connection:
        stored = [
            str(v) for row in connection.execute(sa.select(staff_signin_attempts)) for v in row
        ]
    assert not any("Password" in value or "password" in value for value in stored)


# --- sign_in: the throttle, the password and the audit together ---------------------


def test_sign_in_locks_out_after_5_failures_says_when_and_lets_in_after(engine):
    ana = user(engine)
    for i in range(4):
        result = accounts.sign_in(
            engine, "ana@practice.com", OTHER, "10.0.0.1", now=T0 + timedelta(minutes=i)
        )
        assert not result.ok and result.retry_at is None
    fifth = accounts.sign_in(
        engine, "ana@practice.com", OTHER, "10.0.0.1", now=T0 + timedelta(minutes=4)
    )
    assert fifth.user is None and fifth.retry_at == T0 + timedelta(minutes=15)

    # locked out: even the right password is not checked
    locked = accounts.sign_in(
        engine, "ana@practice.com", PASSWORD, "10.0.0.2", now=T0 + timedelta(minutes=14)
    )
    assert locked.user is None and locked.retry_at == T0 + timedelta(minutes=15)

    released = accounts.sign_in(
        engine, "ana@practice.com", PASSWORD, "10.0.0.2", now=T0 + timedelta(minutes=15)
    )
    assert released.ok and released.user == ana and released.retry_at is None

    actions = [(e.action, e.user_email, e.address) for e in reversed(audit.recent(engine, 50))]
    assert actions == (
        [("sign_in_failed", "ana@practice.com", "10.0.0.1")] * 5
        + [("lockout", "ana@practice.com", "10.0.0.1")]
        + [("lockout", "ana@practice.com", "10.0.0.2")]
        + [("sign_in", "ana@practice.com", "10.0.0.2")]
    )
    assert "until 2026-12-01T15:15:00+00:00" in audit.recent(engine, 2)[1].detail
    assert PASSWORD not in everything_stored(engine) and OTHER not in everything_stored(engine)


def test_sign_in_per_address_lockout(engine):
    user(engine)
    for i in range(20):
        accounts.sign_in(engine, f"guess{i}@practice.com", OTHER, "203.0.113.9", now=T0)
    result = accounts.sign_in(engine, "ana@practice.com", PASSWORD, "203.0.113.9", now=T0)
    assert result.user is None and result.retry_at == T0 + timedelta(minutes=15)
    assert accounts.sign_in(engine, "ana@practice.com", PASSWORD, "198.51.100.1", now=T0).ok


def test_a_failed_sign_in_to_an_unknown_account_keeps_what_was_typed_out_of_the_log(engine):
    accounts.sign_in(engine, "oops my password here", "x", "10.0.0.1", now=T0)
    entry = audit.recent(engine, 1)[0]
    assert (entry.action, entry.user_email, entry.detail) == (
        "sign_in_failed",
        "",
        "unknown account",
    )
    assert "oops" not in everything_stored(engine)


# --- the audit log ------------------------------------------------------------------


def test_audit_record_and_recent(engine):
    audit.record(
        engine, "ana@practice.com", "phone_revealed", "sms:+1555***23", address="10.0.0.1", now=T0
    )
    audit.record(
        engine, "ana@practice.com", "alert_handled", target="12", now=T0 + timedelta(seconds=1)
    )
    audit.record(
        engine,
        "cli:root",
        "user_created",
        "ben@practice.com",
        "staff",
        now=T0 + timedelta(seconds=2),
    )
    latest = audit.recent(engine, 2)
    assert [e.action for e in latest] == ["user_created", "alert_handled"]
    assert latest[0] == audit.AuditEntry(
        latest[0].id,
        T0 + timedelta(seconds=2),
        "cli:root",
        "user_created",
        "ben@practice.com",
        "staff",
        "",
    )
    revealed = audit.recent(engine, 10, action="phone_revealed")
    assert [(e.target, e.address, e.at) for e in revealed] == [("sms:+1555***23", "10.0.0.1", T0)]
    assert set(audit.ACTIONS) >= {
        "sign_in",
        "sign_in_failed",
        "lockout",
        "phone_revealed",
        "user_invited",
    }
    with pytest.raises(ValueError, match="not an audit action"):
        audit.record(engine, "ana@practice.com", "DROP TABLE")
    assert len(audit.recent(engine, 100)) == 3


def test_the_tables_are_created_on_an_engine_made_before_the_console_was_imported(tmp_path):
    bare = sa.create_engine(f"sqlite:///{tmp_path / 'bare.db'}", future=True)
    assert accounts.list_users(bare) == []
    assert {"staff_users", "staff_sessions", "staff_audit"} <= set(
        sa.inspect(bare).get_table_names()
    )
