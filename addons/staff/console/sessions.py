"""Staff sign-in sessions, in the tracker database (valid on every Rasa server).

`start` makes a session token (32 random bytes, URL-safe) for the cookie and a CSRF
token for the forms; only the token's SHA-256 is stored, so a copy of the database
signs nobody in. `current` finds the session of a cookie's token: None when the
token is unknown (or forged), the account disabled, nothing was asked for
`STAFF_SESSION_IDLE_MINUTES` (default 30), or the session is 12 hours old
(whatever the activity: then sign in again). Each request it answers moves the
idle limit on. `end` signs out.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Tuple

import sqlalchemy as sa

from addons.staff.console.accounts import User
from addons.staff.console.tables import ensure, staff_sessions, staff_users, token_hash
from addons.staff.console.tables import now as _now
from addons.staff.console.tables import utc as _utc

MAX_AGE = timedelta(hours=12)
_MAX_TOKEN_CHARS = 256


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    expires_at: datetime  # when it ends if nothing more is asked (aware UTC)
    created_at: Optional[datetime] = None
    address: str = ""


def idle_limit(idle_minutes: Optional[int] = None) -> timedelta:
    """How long a session lasts without a request (STAFF_SESSION_IDLE_MINUTES)."""
    if idle_minutes is None:
        from common.settings import current as settings

        idle_minutes = settings().staff_session_idle_minutes
    return timedelta(minutes=idle_minutes)


def start(
    engine: sa.engine.Engine,
    user: User,
    address: str = "",
    now: Optional[datetime] = None,
) -> Tuple[str, str]:
    """A new session for `user`: (token for the cookie, CSRF token). Also deletes the
    sessions that have expired (anyone's)."""
    ensure(engine)
    at = _now(now)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with engine.begin() as connection:
        connection.execute(
            staff_sessions.delete().where(
                sa.or_(
                    staff_sessions.c.expires_at <= at,
                    staff_sessions.c.last_seen_at <= at - idle_limit(),
                )
            )
        )
        connection.execute(
            staff_sessions.insert().values(
                id_hash=token_hash(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=at,
                last_seen_at=at,
                expires_at=at + MAX_AGE,
                address=(address or "")[:64],
            )
        )
    return token, csrf


def current(
    engine: sa.engine.Engine,
    token: Optional[str],
    now: Optional[datetime] = None,
    idle_minutes: Optional[int] = None,
) -> Optional[Session]:
    """The live session of this token, its last request moved to now; else None
    (unknown or forged token, expired by inactivity or by age, account disabled).
    An expired session is deleted."""
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
        return None
    ensure(engine)
    at = _now(now)
    idle = idle_limit(idle_minutes)
    wanted = token_hash(token)
    with engine.begin() as connection:
        row = connection.execute(
            sa.select(
                staff_sessions,
                staff_users.c.email,
                staff_users.c.role,
                staff_users.c.created_at.label("user_created_at"),
                staff_users.c.disabled_at,
            )
            .select_from(staff_sessions.join(staff_users))
            .where(staff_sessions.c.id_hash == wanted)
        ).first()
        if row is None or not hmac.compare_digest(row.id_hash, wanted):
            return None
        hard_end = _utc(row.expires_at)
        last_seen = _utc(row.last_seen_at)
        if at >= hard_end or at - last_seen >= idle or row.disabled_at is not None:
            connection.execute(staff_sessions.delete().where(staff_sessions.c.id_hash == wanted))
            return None
        if at > last_seen:
            connection.execute(
                staff_sessions.update()
                .where(staff_sessions.c.id_hash == wanted)
                .values(last_seen_at=at)
            )
    user = User(
        id=int(row.user_id),
        email=row.email,
        role=row.role,
        created_at=_utc(row.user_created_at),
        disabled_at=None,
    )
    return Session(
        user=user,
        csrf=row.csrf_token,
        expires_at=min(max(at, last_seen) + idle, hard_end),
        created_at=_utc(row.created_at),
        address=row.address,
    )


def end(engine: sa.engine.Engine, token: Optional[str]) -> bool:
    """Signs this session out; True when there was one."""
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
        return False
    ensure(engine)
    with engine.begin() as connection:
        return bool(
            connection.execute(
                staff_sessions.delete().where(staff_sessions.c.id_hash == token_hash(token))
            ).rowcount
        )


def end_all(engine: sa.engine.Engine, user_id: int) -> int:
    """Signs the account out everywhere; how many sessions ended."""
    ensure(engine)
    with engine.begin() as connection:
        return int(
            connection.execute(
                staff_sessions.delete().where(staff_sessions.c.user_id == int(user_id))
            ).rowcount
        )


def csrf_ok(session: Optional[Session], sent: Optional[str]) -> bool:
    """Whether a form's `csrf` field is this session's token (constant-time)."""
    if session is None or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(session.csrf.encode(), sent.encode("utf-8", "surrogatepass"))
