"""The staff console's tables, on the practice loop's metadata (the tracker database).

Importing this module adds them to `addons.practice.db.metadata`, so
`addons.practice.db.engine()` creates them with the others (idempotent). No
password, session token or invitation token is stored as such: passwords as
argon2id hashes, tokens as their SHA-256 (hex).

`ensure(engine)` creates them on an engine made before this module was imported
(every function of the console calls it; after the first time it costs nothing).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from addons.practice.db import When, as_utc, metadata

STAFF = "staff"
ADMIN = "admin"
ROLES = (STAFF, ADMIN)

staff_users = sa.Table(
    "staff_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(255), nullable=False, unique=True),  # lowercased
    sa.Column("role", sa.String(10), nullable=False),  # staff | admin
    sa.Column("password_hash", sa.String(255), nullable=False),  # argon2id, PHC string
    sa.Column("created_at", When, nullable=False),
    sa.Column("disabled_at", When),
)

staff_invitations = sa.Table(
    "staff_invitations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # SHA-256 hex
    sa.Column("email", sa.String(255), nullable=False),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False, default=""),
    sa.Column("expires_at", When, nullable=False),
    sa.Column("used_at", When),
    sa.Column("created_at", When),
)

staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),  # SHA-256 hex of the cookie
    sa.Column("user_id", sa.Integer, sa.ForeignKey("staff_users.id"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("last_seen_at", When, nullable=False),
    sa.Column("expires_at", When, nullable=False, index=True),  # 12 h after sign-in
    sa.Column("address", sa.String(64), nullable=False, default=""),
)

# Sign-in attempts for the throttle. `email` holds the SHA-256 (hex) of the
# lowercased e-mail typed, not the text itself: a password typed into the e-mail
# field by mistake is never stored.
staff_signin_attempts = sa.Table(
    "staff_signin_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(64), nullable=False, index=True),
    sa.Column("address", sa.String(64), nullable=False, default="", index=True),
    sa.Column("at", When, nullable=False, index=True),
    sa.Column("ok", sa.Boolean, nullable=False),
)

staff_audit = sa.Table(
    "staff_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", When, nullable=False, index=True),
    sa.Column("user_email", sa.String(255), nullable=False, default=""),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(255), nullable=False, default=""),
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.Column("address", sa.String(64), nullable=False, default=""),
)

TABLES = (staff_users, staff_invitations, staff_sessions, staff_signin_attempts, staff_audit)

_ready: "weakref.WeakSet[sa.engine.Engine]" = weakref.WeakSet()
_lock = threading.Lock()
_CREATE_TABLES_KEY = 15_000_015  # PostgreSQL advisory lock: one server creates at a time


def ensure(engine: sa.engine.Engine) -> None:
    """Creates the console's tables on `engine` if missing (once per engine and process)."""
    if engine in _ready:
        return
    with _lock:
        if engine in _ready:
            return
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATE_TABLES_KEY}
                )
            metadata.create_all(connection, tables=list(TABLES), checkfirst=True)
        _ready.add(engine)


# --- shared by the console's modules ------------------------------------------------


def now(at: Optional[datetime] = None) -> datetime:
    """`at` (tests), else `common.clock.now()`: timezone-aware UTC either way."""
    if at is None:
        from common.clock import now as clock_now

        return clock_now()
    return utc(at)


utc = as_utc  # a stored time as aware UTC


def token_hash(token: str) -> str:
    """What is stored for a session or invitation token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
