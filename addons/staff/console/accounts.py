"""Staff accounts: passwords hashed with argon2id, one-time invitations, sign-in.

Passwords are hashed with argon2-cffi's `PasswordHasher` and its defaults
(argon2id, RFC 9106's low-memory profile); a stored hash made with weaker
parameters is replaced at the next successful sign-in. A password has at least
12 characters. E-mail addresses are kept lowercased.

An invitation is a random token (32 bytes, URL-safe) shown once, by the command line
or the admin's page, as `<STAFF_URL>/staff/invite/<token>`; only its SHA-256 is
stored. It can be used once, within 72 hours, to set the password of a new account.

`sign_in` is the whole sign-in: the throttle first (a locked-out attempt is not
checked against the password), then the password, then the throttle's record and
the audit row. The other functions here do not write the audit log: their callers
do (the command line, the web pages), with who did it.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, List, Optional, Union

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from addons.staff.console import audit, throttle
from addons.staff.console.tables import (
    ADMIN,
    ROLES,
    STAFF,
    ensure,
    staff_invitations,
    staff_sessions,
    staff_users,
    token_hash,
)
from addons.staff.console.tables import now as _now
from addons.staff.console.tables import utc as _utc

__all__ = [
    "ADMIN",
    "INVITATION_HOURS",
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "ROLES",
    "STAFF",
    "AccountError",
    "Invitation",
    "InvitationError",
    "PasswordError",
    "SignIn",
    "User",
    "accept_invitation",
    "authenticate",
    "check_invitation",
    "create_user",
    "disable_user",
    "enable_user",
    "get_user",
    "get_user_by_email",
    "invite",
    "list_users",
    "normalize_email",
    "pending_invitations",
    "set_password",
    "sign_in",
]

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024  # longer is refused before hashing (no work for junk)
INVITATION_HOURS = 72
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A refused account change; the message can be shown as it is."""


class PasswordError(AccountError):
    """The password is not allowed (too short or too long)."""


class InvitationError(AccountError):
    """The invitation link is unknown, already used or expired."""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: str  # staff | admin
    created_at: datetime
    disabled_at: Optional[datetime]

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class Invitation:
    email: str
    role: str
    created_by: str
    expires_at: datetime


@dataclass(frozen=True)
class SignIn:
    """What `sign_in` decided: the user, or None with `retry_at` when locked out."""

    user: Optional[User]
    retry_at: Optional[datetime] = None  # locked out: they may try again from then

    @property
    def ok(self) -> bool:
        return self.user is not None


# --- helpers ----------------------------------------------------------------------


def normalize_email(email: str) -> str:
    """The e-mail as stored: trimmed and lowercased."""
    return (email or "").strip().lower()


def _valid_email(email: str) -> str:
    email = normalize_email(email)
    if len(email) > 254 or not _EMAIL.match(email):
        raise AccountError("That is not an e-mail address (like name@practice.com).")
    return email


def _role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")
    return role


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise PasswordError(f"The password must have at least {MIN_PASSWORD_CHARS} characters.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordError(f"The password must have at most {MAX_PASSWORD_CHARS} characters.")
    return password


def _user(row: Any) -> User:
    return User(
        id=int(row.id),
        email=row.email,
        role=row.role,
        created_at=_utc(row.created_at),
        disabled_at=None if row.disabled_at is None else _utc(row.disabled_at),
    )


_USER_COLUMNS = (
    staff_users.c.id,
    staff_users.c.email,
    staff_users.c.role,
    staff_users.c.created_at,
    staff_users.c.disabled_at,
)

_dummy_hash: Optional[str] = None


def _dummy() -> str:
    """A hash to verify against when the e-mail is unknown: the same work either way."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(24))
    return _dummy_hash


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# --- accounts -----------------------------------------------------------------------


def create_user(
    engine: sa.engine.Engine,
    email: str,
    password: str,
    role: str = STAFF,
    now: Optional[datetime] = None,
) -> int:
    """A new account; returns its id. AccountError (a ValueError) when the e-mail is not
    one, already has an account, the role is unknown or the password too short."""
    ensure(engine)
    email = _valid_email(email)
    _role(role)
    _check_password(password)
    hashed = _hasher.hash(password)
    try:
        with engine.begin() as connection:
            return int(
                connection.execute(
                    staff_users.insert().values(
                        email=email, role=role, password_hash=hashed, created_at=_now(now)
                    )
                ).inserted_primary_key[0]
            )
    except sa.exc.IntegrityError:
        raise AccountError(f"{email} already has an account.") from None


def get_user(engine: sa.engine.Engine, user_id: int) -> Optional[User]:
    ensure(engine)
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(*_USER_COLUMNS).where(staff_users.c.id == int(user_id))
        ).first()
    return None if row is None else _user(row)


def get_user_by_email(engine: sa.engine.Engine, email: str) -> Optional[User]:
    ensure(engine)
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(*_USER_COLUMNS).where(staff_users.c.email == normalize_email(email))
        ).first()
    return None if row is None else _user(row)


def list_users(engine: sa.engine.Engine) -> List[User]:
    """Every account, active and disabled, by e-mail."""
    ensure(engine)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(*_USER_COLUMNS).order_by(staff_users.c.email))
        return [_user(row) for row in rows]


def _where_user(user: Union[int, str, User]) -> Any:
    if isinstance(user, User):
        return staff_users.c.id == user.id
    if isinstance(user, int):
        return staff_users.c.id == user
    return staff_users.c.email == normalize_email(user)


def _end_sessions(connection: Any, user_id: int) -> None:
    connection.execute(staff_sessions.delete().where(staff_sessions.c.user_id == user_id))


def disable_user(
    engine: sa.engine.Engine, user: Union[int, str, User], now: Optional[datetime] = None
) -> bool:
    """Disables the account (by id, e-mail or User) and ends its sessions at once.
    True when it was active; False when unknown or already disabled."""
    ensure(engine)
    with engine.begin() as connection:
        row = connection.execute(sa.select(staff_users.c.id).where(_where_user(user))).first()
        if row is None:
            return False
        changed = connection.execute(
            staff_users.update()
            .where(staff_users.c.id == row.id, staff_users.c.disabled_at.is_(None))
            .values(disabled_at=_now(now))
        ).rowcount
        _end_sessions(connection, int(row.id))
    return bool(changed)


def enable_user(engine: sa.engine.Engine, user: Union[int, str, User]) -> bool:
    """Makes a disabled account usable again. True when it was disabled."""
    ensure(engine)
    with engine.begin() as connection:
        changed = connection.execute(
            staff_users.update()
            .where(_where_user(user), staff_users.c.disabled_at.is_not(None))
            .values(disabled_at=None)
        ).rowcount
    return bool(changed)


def set_password(engine: sa.engine.Engine, user: Union[int, str, User], password: str) -> bool:
    """A new password for the account; its sessions end (signed out everywhere).
    True when the account exists. PasswordError when the password is too short."""
    ensure(engine)
    hashed = _hasher.hash(_check_password(password))
    with engine.begin() as connection:
        row = connection.execute(sa.select(staff_users.c.id).where(_where_user(user))).first()
        if row is None:
            return False
        connection.execute(
            staff_users.update().where(staff_users.c.id == row.id).values(password_hash=hashed)
        )
        _end_sessions(connection, int(row.id))
    return True


# --- sign-in ------------------------------------------------------------------------


def authenticate(engine: sa.engine.Engine, email: str, password: str) -> Optional[User]:
    """The active account whose password this is, else None. An unknown e-mail is
    verified against a dummy hash (the same work, so the answer's time does not tell
    which e-mails have accounts); a disabled account fails. A hash made with older
    parameters is replaced by one with the current ones."""
    ensure(engine)
    if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD_CHARS:
        return None
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(*_USER_COLUMNS, staff_users.c.password_hash).where(
                staff_users.c.email == normalize_email(email)
            )
        ).first()
    if row is None:
        _verify(_dummy(), password)
        return None
    if not _verify(row.password_hash, password) or row.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as connection:
            connection.execute(
                staff_users.update()
                .where(
                    staff_users.c.id == row.id,
                    staff_users.c.password_hash == row.password_hash,
                )
                .values(password_hash=_hasher.hash(password))
            )
    return _user(row)


def sign_in(
    engine: sa.engine.Engine,
    email: str,
    password: str,
    address: str = "",
    now: Optional[datetime] = None,
) -> SignIn:
    """The sign-in form's whole decision, throttled and audited.

    Locked out (`throttle.check`): SignIn(None, retry_at), the password not checked,
    an audit row `lockout`. Otherwise the password is checked, the attempt recorded
    for the throttle and audited (`sign_in`, or `sign_in_failed`: the e-mail only when
    it is an account's, else "unknown account"); a failure that starts a lock-out
    returns its retry_at too (and audits `lockout`).
    """
    ensure(engine)
    at = _now(now)
    typed = normalize_email(email)
    retry_at = throttle.check(engine, typed, address, now=at)
    if retry_at is not None:
        known = get_user_by_email(engine, typed)
        audit.record(
            engine,
            known.email if known else "",
            "lockout",
            detail=_lockout_detail(known, retry_at),
            address=address,
            now=at,
        )
        return SignIn(None, retry_at)
    user = authenticate(engine, typed, password)
    throttle.record(engine, typed, address, ok=user is not None, now=at)
    if user is not None:
        audit.record(engine, user.email, "sign_in", address=address, now=at)
        return SignIn(user)
    known = get_user_by_email(engine, typed)
    why = "unknown account" if known is None else ("disabled" if known.disabled_at else "")
    audit.record(
        engine,
        known.email if known else "",
        "sign_in_failed",
        detail=why,
        address=address,
        now=at,
    )
    retry_at = throttle.check(engine, typed, address, now=at)
    if retry_at is not None:
        audit.record(
            engine,
            known.email if known else "",
            "lockout",
            detail=_lockout_detail(known, retry_at),
            address=address,
            now=at,
        )
    return SignIn(None, retry_at)


def _lockout_detail(known: Optional[User], retry_at: datetime) -> str:
    who = "" if known else "unknown account; "
    return f"{who}until {retry_at.isoformat(timespec='seconds')}"


# --- invitations --------------------------------------------------------------------


def invite(
    engine: sa.engine.Engine,
    email: str,
    role: str = STAFF,
    created_by: str = "",
    now: Optional[datetime] = None,
) -> str:
    """A one-time invitation for `email` to set a password within 72 hours; returns the
    token (shown once, never stored: only its SHA-256 is). An earlier unused invitation
    for the same e-mail stops working. AccountError when the e-mail already has an
    account or is not an e-mail address."""
    ensure(engine)
    email = _valid_email(email)
    _role(role)
    at = _now(now)
    token = secrets.token_urlsafe(32)
    with engine.begin() as connection:
        exists = connection.execute(
            sa.select(staff_users.c.id).where(staff_users.c.email == email)
        ).first()
        if exists is not None:
            raise AccountError(f"{email} already has an account.")
        connection.execute(
            staff_invitations.delete().where(
                staff_invitations.c.email == email, staff_invitations.c.used_at.is_(None)
            )
        )
        connection.execute(
            staff_invitations.insert().values(
                token_hash=token_hash(token),
                email=email,
                role=role,
                created_by=created_by or "",
                expires_at=at + timedelta(hours=INVITATION_HOURS),
                created_at=at,
            )
        )
    return token


def _invitation_row(connection: Any, token: str, at: datetime) -> Any:
    if not isinstance(token, str) or not token or len(token) > 256:
        return None
    wanted = token_hash(token)
    row = connection.execute(
        sa.select(staff_invitations).where(staff_invitations.c.token_hash == wanted)
    ).first()
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        return None
    if row.used_at is not None or _utc(row.expires_at) <= at:
        return None
    return row


def check_invitation(
    engine: sa.engine.Engine, token: str, now: Optional[datetime] = None
) -> Optional[Invitation]:
    """The invitation this token opens, if it can still be used (for the page that asks
    for the password); None when unknown, used or expired."""
    ensure(engine)
    with engine.connect() as connection:
        row = _invitation_row(connection, token, _now(now))
    if row is None:
        return None
    return Invitation(row.email, row.role, row.created_by, _utc(row.expires_at))


def pending_invitations(
    engine: sa.engine.Engine, now: Optional[datetime] = None
) -> List[Invitation]:
    """Invitations not used yet and not expired, soonest to expire first."""
    ensure(engine)
    at = _now(now)
    t = staff_invitations
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(t).where(t.c.used_at.is_(None), t.c.expires_at > at).order_by(t.c.expires_at)
        )
        return [Invitation(r.email, r.role, r.created_by, _utc(r.expires_at)) for r in rows]


def accept_invitation(
    engine: sa.engine.Engine, token: str, password: str, now: Optional[datetime] = None
) -> User:
    """Creates the invited account with this password and uses the invitation up.
    InvitationError when the token is unknown, used or expired (the same message
    for each); PasswordError when the password is too short (the invitation stays
    usable); AccountError when the e-mail got an account meanwhile."""
    ensure(engine)
    _check_password(password)
    at = _now(now)
    hashed = _hasher.hash(password)
    refused = InvitationError(
        "This invitation link is not valid: it was used, it expired or it is wrong. "
        "Ask an admin for a new one."
    )
    try:
        with engine.begin() as connection:
            row = _invitation_row(connection, token, at)
            if row is None:
                raise refused
            used = connection.execute(
                staff_invitations.update()
                .where(staff_invitations.c.id == row.id, staff_invitations.c.used_at.is_(None))
                .values(used_at=at)
            ).rowcount
            if used != 1:  # another request used it first
                raise refused
            user_id = connection.execute(
                staff_users.insert().values(
                    email=row.email, role=row.role, password_hash=hashed, created_at=at
                )
            ).inserted_primary_key[0]
    except sa.exc.IntegrityError:
        raise AccountError("This e-mail already has an account: sign in instead.") from None
    user = get_user(engine, int(user_id))
    assert user is not None
    return user
